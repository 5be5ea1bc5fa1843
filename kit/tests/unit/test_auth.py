"""Principals, tokens, the FastAPI dependencies over an authorisation matrix, and kit-token."""

# No ``from __future__ import annotations``: FastAPI must evaluate the route annotations, and
# those in ``build_app`` refer to its local ``auth``.

import base64
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Annotated, Any

import httpx
import jwt
import pytest
from fastapi import Depends, FastAPI
from pydantic import SecretStr

from kit.auth import (
    AuthConfig,
    InvalidToken,
    Principal,
    Role,
    ScopeError,
    current_principal,
    decode,
    ensure_scope,
    install_auth,
    issue,
    issue_token,
    make_auth,
    require_roles,
)
from kit.auth.cli import main, parse_ttl
from kit.settings import ServiceSettings
from kit.web import install_problem_handlers

SECRET = "unit-test-secret-long-enough-for-hs512-" + "x" * 32  # 64+ bytes: no key warnings
CONFIG = AuthConfig(secret=SECRET, issuer="test-issuer", audience="test-audience")
COUNTY, TOWNSHIP, SIBLING, OTHER_COUNTY = "990101", "990101001", "990101002", "990102001"


def principal(role: Role = Role.township_staff, scope: str = TOWNSHIP, **extra: Any) -> Principal:
    return Principal(
        subject=f"{role}-{scope}", name="张三", roles=frozenset({role}), scope=scope, **extra
    )


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    base: dict[str, Any] = {
        "sub": "u1",
        "name": "张三",
        "roles": ["township_staff"],
        "scope": TOWNSHIP,
        "iat": now,
        "exp": now + 3600,
        "iss": CONFIG.issuer,
        "aud": CONFIG.audience,
        "jti": "j1",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def reason_of(token: str) -> str:
    with pytest.raises(InvalidToken) as caught:
        CONFIG.decode(token)
    return caught.value.reason


# -- principal ---------------------------------------------------------------------------------


def test_scope_is_a_prefix_test() -> None:
    staff = principal(Role.township_staff, TOWNSHIP)
    admin = principal(Role.county_admin, COUNTY)
    assert staff.covers(TOWNSHIP)
    assert staff.covers(TOWNSHIP + "001")  # a village of the township
    assert not staff.covers(SIBLING)
    assert not staff.covers(COUNTY)  # a township's staff do not cover their county
    assert admin.covers(TOWNSHIP)
    assert admin.covers(SIBLING)
    assert not admin.covers(OTHER_COUNTY)
    assert not admin.covers("")
    assert not admin.covers("990101abc")
    assert admin.is_county_level
    assert principal(scope="99").is_county_level
    assert not staff.is_county_level


def test_has_any_of_the_roles() -> None:
    both = Principal(
        subject="u", roles=frozenset({Role.deputy, Role.township_staff}), scope=TOWNSHIP
    )
    assert both.has(Role.deputy)
    assert both.has(Role.county_admin, Role.township_staff)
    assert not both.has(Role.county_admin)
    assert not both.has()


@pytest.mark.parametrize("scope", ["", "9", "9901010010011", "99a", "９９", " 99"])
def test_scope_must_be_2_to_12_digits(scope: str) -> None:
    with pytest.raises(ScopeError):
        principal(scope=scope)


# -- tokens ------------------------------------------------------------------------------------


def test_round_trip_keeps_every_field() -> None:
    original = Principal(
        subject="u-42",
        name="欧阳修",
        roles=frozenset({Role.deputy, Role.township_staff}),
        scope=TOWNSHIP,
        deputy_id="d-7",
        unit_id="unit-3",
    )
    token = issue(original, secret=SECRET, issuer="test-issuer", audience="test-audience")
    assert decode(token, secret=SECRET, issuer="test-issuer", audience="test-audience") == original
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "HS256"
    payload = jwt.decode(token, options={"verify_signature": False})
    assert {"sub", "name", "roles", "scope", "iat", "exp", "iss", "aud", "jti"} <= payload.keys()


def test_each_token_has_its_own_id() -> None:
    first, second = CONFIG.issue(principal()), CONFIG.issue(principal())
    assert (
        jwt.decode(first, options={"verify_signature": False})["jti"]
        != jwt.decode(second, options={"verify_signature": False})["jti"]
    )


def test_expired_token_is_refused_after_the_leeway() -> None:
    now = datetime.now(UTC)
    assert CONFIG.decode(
        CONFIG.issue(principal(), ttl=timedelta(minutes=1), now=now - timedelta(seconds=70))
    )
    stale = CONFIG.issue(principal(), ttl=timedelta(minutes=1), now=now - timedelta(minutes=5))
    assert reason_of(stale) == "expired"


def test_tampered_payload_is_refused() -> None:
    header, _, signature = CONFIG.issue(principal()).split(".")
    forged = b64(claims(roles=["county_admin"], scope="99"))
    assert reason_of(f"{header}.{forged}.{signature}") == "bad_signature"


def test_wrong_secret_issuer_and_audience_are_refused() -> None:
    token = CONFIG.issue(principal())
    with pytest.raises(InvalidToken) as caught:
        decode(token, secret=SECRET + "x", issuer="test-issuer", audience="test-audience")
    assert caught.value.reason == "bad_signature"
    assert (
        reason_of(jwt.encode(claims(iss="someone-else"), SECRET, algorithm="HS256"))
        == "wrong_issuer"
    )
    assert (
        reason_of(jwt.encode(claims(aud="another-app"), SECRET, algorithm="HS256"))
        == "wrong_audience"
    )


def test_alg_none_and_other_algorithms_are_refused() -> None:
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims(iat=0, exp=4102444800))}."
    assert reason_of(unsigned) == "bad_algorithm"
    assert reason_of(jwt.encode(claims(), SECRET, algorithm="HS512")) == "bad_algorithm"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"roles": ["township_staff", "superuser"]}, "unknown_role"),
        ({"roles": []}, "no_roles"),
        ({"roles": "county_admin"}, "bad_claim"),
        ({"scope": None}, "missing_scope"),
        ({"scope": ""}, "missing_scope"),
        ({"scope": "99x"}, "bad_scope"),
        ({"deputy_id": 7}, "bad_claim"),
        ({"exp": None}, "missing_claim"),
        ({"sub": None}, "missing_claim"),
    ],
)
def test_odd_claims_are_refused(overrides: dict[str, Any], reason: str) -> None:
    assert reason_of(jwt.encode(claims(**overrides), SECRET, algorithm="HS256")) == reason


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "a.b", "e30.e30.e30.e30"])
def test_malformed_tokens_are_refused(token: str) -> None:
    assert reason_of(token) == "malformed"


def test_issue_token_signs_with_service_settings() -> None:
    settings = ServiceSettings(
        jwt_secret=SecretStr(SECRET), jwt_issuer="svc-iss", jwt_audience="svc-aud"
    )
    token = issue_token(settings, subject="s1", roles=["county_admin"], scope=COUNTY, unit_id="u9")
    found = decode(token, secret=SECRET, issuer="svc-iss", audience="svc-aud")
    assert found.roles == {Role.county_admin}
    assert found.unit_id == "u9"
    assert found.scope == COUNTY


# -- FastAPI dependencies ------------------------------------------------------------------------


def build_app() -> FastAPI:
    """A tiny app: who am I, a township's records (staff or county admin), the audit log."""
    app = FastAPI()
    install_problem_handlers(app)
    auth = make_auth(CONFIG)

    @app.get("/me")
    async def me(caller: Annotated[Principal, Depends(auth.current_principal)]) -> dict[str, Any]:
        return {"subject": caller.subject, "scope": caller.scope}

    @app.get("/townships/{code}/records")
    async def records(
        code: str,
        caller: Annotated[Principal, Depends(auth.require(Role.county_admin, Role.township_staff))],
    ) -> dict[str, str]:
        ensure_scope(caller, code)
        return {"township": code}

    @app.get("/audit")
    async def audit(caller: Annotated[Principal, Depends(auth.require(Role.auditor))]) -> list[str]:
        return []

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


SCOPES = {
    Role.county_admin: COUNTY,
    Role.county_leader: COUNTY,
    Role.auditor: COUNTY,
    Role.operator: COUNTY,
    Role.township_staff: TOWNSHIP,
    Role.deputy: TOWNSHIP,
    Role.handling_unit: TOWNSHIP,
}
RECORD_ROLES = {Role.county_admin, Role.township_staff}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("target", [TOWNSHIP, SIBLING, OTHER_COUNTY])
async def test_authorisation_matrix(client: httpx.AsyncClient, role: Role, target: str) -> None:
    scope = SCOPES[role]
    token = CONFIG.issue(principal(role, scope))
    response = await client.get(f"/townships/{target}/records", headers=bearer(token))
    expected = 200 if role in RECORD_ROLES and target.startswith(scope) else 403
    assert response.status_code == expected, response.text
    if expected == 403:
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["status"] == 403
        assert body["title"] == "Forbidden"
        assert body["instance"] == f"/townships/{target}/records"
        if role in RECORD_ROLES:
            assert "outside your scope" in body["detail"]
        else:
            assert sorted(body["required_roles"]) == sorted(RECORD_ROLES)
    audit = await client.get("/audit", headers=bearer(token))
    assert audit.status_code == (200 if role is Role.auditor else 403)
    me = await client.get("/me", headers=bearer(token))
    assert me.status_code == 200
    assert me.json() == {"subject": f"{role}-{scope}", "scope": scope}


def other_config_token(
    *, secret: str = SECRET, issuer: str = "test-issuer", audience: str = "test-audience"
) -> str:
    config = AuthConfig(secret=secret, issuer=issuer, audience=audience)
    return config.issue(principal(Role.county_admin, COUNTY))


BAD_HEADERS: dict[str, dict[str, str]] = {
    "missing": {},
    "empty bearer": {"Authorization": "Bearer "},
    "basic scheme": {"Authorization": "Basic dXNlcjpwYXNz"},
    "garbage": bearer("not-a-token"),
    "expired": bearer(
        CONFIG.issue(
            principal(), ttl=timedelta(minutes=1), now=datetime.now(UTC) - timedelta(hours=1)
        )
    ),
    "wrong secret": bearer(other_config_token(secret=SECRET + "-other")),
    "wrong audience": bearer(other_config_token(audience="another-app")),
    "alg none": bearer(f"{b64({'alg': 'none'})}.{b64(claims(iat=0, exp=4102444800))}."),
}


@pytest.mark.parametrize("case", list(BAD_HEADERS))
@pytest.mark.parametrize("path", ["/me", f"/townships/{TOWNSHIP}/records", "/audit"])
async def test_missing_or_bad_token_is_401(client: httpx.AsyncClient, case: str, path: str) -> None:
    response = await client.get(path, headers=BAD_HEADERS[case])
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["status"] == 401
    assert body["title"] == "Unauthorized"
    assert "detail" in body


async def test_invalid_token_names_the_reason(client: httpx.AsyncClient) -> None:
    response = await client.get("/me", headers=BAD_HEADERS["expired"])
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert "expired" in response.json()["detail"]


def test_require_needs_a_role() -> None:
    with pytest.raises(ValueError, match="at least one role"):
        make_auth(CONFIG).require()


def app_bound(app: FastAPI) -> FastAPI:
    """Routes using the app-bound dependencies, which find their Auth on the app."""
    install_problem_handlers(app)

    @app.get("/me")
    async def me(caller: Annotated[Principal, Depends(current_principal)]) -> str:
        return caller.subject

    @app.get("/admin")
    async def admin(caller: Annotated[Principal, Depends(require_roles(Role.county_admin))]) -> str:
        return caller.subject

    return app


async def check_app_bound(app: FastAPI) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        admin = bearer(CONFIG.issue(principal(Role.county_admin, COUNTY)))
        staff = bearer(CONFIG.issue(principal(Role.township_staff, TOWNSHIP)))
        assert (await http.get("/me", headers=admin)).json() == f"county_admin-{COUNTY}"
        assert (await http.get("/admin", headers=admin)).status_code == 200
        assert (await http.get("/admin", headers=staff)).status_code == 403
        assert (await http.get("/admin")).status_code == 401
        assert (
            await http.get("/me", headers=bearer(other_config_token(issuer="x")))
        ).status_code == 401


async def test_app_bound_dependencies_use_the_installed_auth() -> None:
    app = app_bound(FastAPI())
    install_auth(app, CONFIG)
    await check_app_bound(app)


async def test_app_bound_dependencies_fall_back_to_the_runtime_settings() -> None:
    app = app_bound(FastAPI())
    settings = SimpleNamespace(
        jwt_secret=SECRET, jwt_issuer=CONFIG.issuer, jwt_audience=CONFIG.audience
    )
    app.state.runtime = SimpleNamespace(settings=settings)
    await check_app_bound(app)


# -- kit-token -----------------------------------------------------------------------------------


def test_cli_prints_a_token_signed_with_the_env(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)
    monkeypatch.setenv("JWT_ISSUER", CONFIG.issuer)
    monkeypatch.setenv("JWT_AUDIENCE", CONFIG.audience)
    argv = ["--role", "deputy", "--role", "township_staff", "--scope", TOWNSHIP, "--name", "张三"]
    assert main([*argv, "--deputy-id", "d-1", "--ttl", "30m"]) == 0
    out, err = capsys.readouterr()
    found = CONFIG.decode(out.strip())
    assert found.roles == {Role.deputy, Role.township_staff}
    assert (found.name, found.subject, found.deputy_id, found.scope) == (
        "张三",
        "张三",
        "d-1",
        TOWNSHIP,
    )
    payload = jwt.decode(out.strip(), options={"verify_signature": False})
    assert payload["exp"] - payload["iat"] == 30 * 60
    assert err == ""


def test_cli_warns_about_the_default_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("JWT_SECRET", "JWT_ISSUER", "JWT_AUDIENCE"):
        monkeypatch.delenv(name, raising=False)
    assert main(["--role", "county_admin", "--scope", COUNTY]) == 0
    out, err = capsys.readouterr()
    assert "JWT_SECRET is not set" in err
    # the token is signed with the one development secret the services default to
    found = AuthConfig.from_settings(ServiceSettings(dev_mode=True)).decode(out.strip())
    assert found.subject == f"county_admin-{COUNTY}"


@pytest.mark.parametrize(
    "argv",
    [
        ["--role", "superuser", "--scope", COUNTY],
        ["--role", "county_admin", "--scope", "99x"],
        ["--role", "county_admin"],
        ["--scope", COUNTY],
        ["--role", "county_admin", "--scope", COUNTY, "--ttl", "0h"],
    ],
)
def test_cli_refuses_bad_arguments(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2


def test_cli_warns_about_a_short_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JWT_SECRET", "short")
    assert main(["--role", "county_admin", "--scope", COUNTY]) == 0
    assert "under 32 bytes" in capsys.readouterr().err


def test_cli_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0
    assert "JWT_SECRET" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("8h", timedelta(hours=8)),
        ("2d", timedelta(days=2)),
    ],
)
def test_parse_ttl(text: str, expected: timedelta) -> None:
    assert parse_ttl(text) == expected


def test_openapi_declares_the_bearer_scheme() -> None:
    schema = build_app().openapi()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert schema["paths"]["/audit"]["get"]["security"] == [{"HTTPBearer": []}]
    assert "parameters" not in schema["paths"]["/audit"]["get"]  # no stray query parameters
