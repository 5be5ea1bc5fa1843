"""Bearer tokens: HS256 JWTs that carry a principal; anything doubtful is an ``InvalidToken``."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

import jwt
from pydantic import SecretStr

from kit.principal import Principal, Role, ScopeError

ALGORITHM = "HS256"
# The one algorithm we accept, listed explicitly: "none" and every other alg header is refused.
ALGORITHMS = (ALGORITHM,)
DEFAULT_ISSUER = "npc-platform"
DEFAULT_AUDIENCE = "npc-platform"
DEFAULT_TTL = timedelta(hours=8)
DEFAULT_LEEWAY = timedelta(seconds=30)
# The one development secret: ``./dev run``, ``./dev token``/``kit-token`` and the settings' default.
# A service refuses to start with it (or the older default) unless development mode is on.
DEV_SECRET = "dev-secret-change-me-32-bytes-long!"  # noqa: S105 - refused outside development mode
# Also refused: the older default and docker-compose's fallback when JWT_SECRET is not exported.
BUILT_IN_SECRETS = frozenset({DEV_SECRET, "dev-secret-change-me", "change-me"})
_REQUIRED = ["sub", "iat", "exp", "iss", "aud"]
VERIFIED_TOKENS = 4096
"""Tokens a service remembers as verified (forgotten all at once when full)."""

Reason = Literal[
    "malformed",
    "bad_algorithm",
    "bad_signature",
    "expired",
    "not_yet_valid",
    "wrong_issuer",
    "wrong_audience",
    "missing_claim",
    "bad_claim",
    "no_roles",
    "unknown_role",
    "missing_scope",
    "bad_scope",
]


class InvalidToken(Exception):  # noqa: N818 - the name the services know
    """A token that cannot be trusted; ``reason`` says why (for logs and the 401 detail)."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason: Reason = reason


class InsecureSecretError(RuntimeError):
    """A service was asked to start with the built-in development secret outside development mode."""


def check_secret(secret: str, *, dev_mode: bool) -> None:
    """Refuse the built-in development secret unless development mode was asked for explicitly."""
    if secret in BUILT_IN_SECRETS and not dev_mode:
        raise InsecureSecretError(
            "JWT_SECRET is the built-in development secret: set a secret of your own "
            "(e.g. openssl rand -hex 32), or DEV_MODE=true for a local development run"
        )


class JwtSettings(Protocol):
    """Any settings object with the JWT fields of ``kit.settings.ServiceSettings``."""

    @property
    def jwt_secret(self) -> SecretStr | str:
        """The HMAC secret."""
        ...

    @property
    def jwt_issuer(self) -> str:
        """The expected ``iss``."""
        ...

    @property
    def jwt_audience(self) -> str:
        """The expected ``aud``."""
        ...


@dataclass(frozen=True)
class AuthConfig:
    """The secret, issuer and audience tokens are signed and checked with."""

    secret: str = field(repr=False)
    issuer: str = DEFAULT_ISSUER
    audience: str = DEFAULT_AUDIENCE
    leeway: timedelta = DEFAULT_LEEWAY
    _verified: dict[str, _Verified] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if not self.secret:
            raise ValueError("the JWT secret must not be empty")

    @classmethod
    def from_settings(cls, settings: JwtSettings) -> AuthConfig:
        """Return the config of a service's settings (``jwt_secret``, ``jwt_issuer``, ...)."""
        secret = settings.jwt_secret
        if isinstance(secret, SecretStr):
            secret = secret.get_secret_value()
        return cls(secret=secret, issuer=settings.jwt_issuer, audience=settings.jwt_audience)

    def issue(
        self, principal: Principal, *, ttl: timedelta = DEFAULT_TTL, now: datetime | None = None
    ) -> str:
        """Return a signed token for the principal."""
        return issue(
            principal,
            secret=self.secret,
            issuer=self.issuer,
            audience=self.audience,
            ttl=ttl,
            now=now,
        )

    def decode(self, token: str) -> Principal:
        """Return the principal of a token; raise ``InvalidToken`` when it cannot be trusted.

        A token verified before is not verified again while it is valid (a client sends the
        same token with every request): the signature and claims of one token string never
        change, only the time, which is checked on every use.
        """
        now = time.time()
        known = self._verified.get(token)
        if known is not None and known.valid_from <= now <= known.valid_until:
            return known.principal
        claims = verified_claims(
            token,
            secret=self.secret,
            issuer=self.issuer,
            audience=self.audience,
            leeway=self.leeway,
        )
        principal = principal_from_claims(claims)
        if len(self._verified) >= VERIFIED_TOKENS:
            self._verified.clear()
        slack = self.leeway.total_seconds()
        self._verified[token] = _Verified(
            principal,
            valid_from=max(float(claims["iat"]), float(claims.get("nbf", 0))) - slack,
            valid_until=float(claims["exp"]) + slack,
        )
        return principal


def issue(
    principal: Principal,
    *,
    secret: str,
    issuer: str,
    audience: str,
    ttl: timedelta = DEFAULT_TTL,
    now: datetime | None = None,
) -> str:
    """Return an HS256 token carrying the principal, valid for ``ttl`` from ``now``."""
    if ttl <= timedelta(0):
        raise ValueError("ttl must be positive")
    issued = now or datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": principal.subject,
        "name": principal.name,
        "roles": sorted(str(r) for r in principal.roles),
        "scope": principal.scope,
        "iat": issued,
        "exp": issued + ttl,
        "iss": issuer,
        "aud": audience,
        "jti": uuid.uuid4().hex,
    }
    if principal.deputy_id is not None:
        claims["deputy_id"] = principal.deputy_id
    if principal.unit_id is not None:
        claims["unit_id"] = principal.unit_id
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


@dataclass(frozen=True, slots=True)
class _Verified:
    """A token verified once: its principal and the times it may be used between (epoch s)."""

    principal: Principal
    valid_from: float
    valid_until: float


def decode(
    token: str,
    *,
    secret: str,
    issuer: str,
    audience: str,
    leeway: timedelta = DEFAULT_LEEWAY,
) -> Principal:
    """Return the principal of a token; raise ``InvalidToken`` when it cannot be trusted."""
    claims = verified_claims(token, secret=secret, issuer=issuer, audience=audience, leeway=leeway)
    return principal_from_claims(claims)


def verified_claims(
    token: str,
    *,
    secret: str,
    issuer: str,
    audience: str,
    leeway: timedelta = DEFAULT_LEEWAY,
) -> dict[str, Any]:
    """Return the claims of a token whose signature, time and issuer hold; else ``InvalidToken``."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=list(ALGORITHMS),
            issuer=issuer,
            audience=audience,
            leeway=leeway,
            options={"require": _REQUIRED},
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(_reason(error), str(error)) from error
    return claims


def _reason(error: jwt.PyJWTError) -> Reason:
    """Name the reason PyJWT refused a token."""
    reasons: list[tuple[type[jwt.PyJWTError], Reason]] = [
        (jwt.ExpiredSignatureError, "expired"),
        (jwt.ImmatureSignatureError, "not_yet_valid"),
        (jwt.InvalidSignatureError, "bad_signature"),
        (jwt.InvalidAlgorithmError, "bad_algorithm"),
        (jwt.InvalidIssuerError, "wrong_issuer"),
        (jwt.InvalidAudienceError, "wrong_audience"),
        (jwt.MissingRequiredClaimError, "missing_claim"),
        (jwt.DecodeError, "malformed"),
    ]
    return next((reason for kind, reason in reasons if isinstance(error, kind)), "bad_claim")


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """Return the principal of verified claims; raise ``InvalidToken`` on a missing or odd one."""
    roles = claims.get("roles")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise InvalidToken("bad_claim", "roles must be a list of role names")
    if not roles:
        raise InvalidToken("no_roles")
    unknown = sorted(set(roles) - set(Role))
    if unknown:
        raise InvalidToken("unknown_role", ", ".join(unknown))
    scope = claims.get("scope")
    if not isinstance(scope, str) or not scope:
        raise InvalidToken("missing_scope")
    optional = {k: claims.get(k) for k in ("deputy_id", "unit_id")}
    name = claims.get("name", "")
    if not isinstance(name, str) or any(
        v is not None and not isinstance(v, str) for v in optional.values()
    ):
        raise InvalidToken("bad_claim", "name, deputy_id and unit_id must be strings")
    try:
        return Principal(
            subject=str(claims["sub"]),
            name=name,
            roles=frozenset(Role(r) for r in roles),
            scope=scope,
            deputy_id=optional["deputy_id"],
            unit_id=optional["unit_id"],
        )
    except ScopeError as error:
        raise InvalidToken("bad_scope", str(error)) from error
    except ValueError as error:
        raise InvalidToken("bad_claim", str(error)) from error


def issue_token(
    settings: JwtSettings,
    *,
    subject: str,
    roles: Iterable[Role | str],
    scope: str,
    name: str = "",
    deputy_id: str | None = None,
    unit_id: str | None = None,
    ttl: timedelta = DEFAULT_TTL,
) -> str:
    """Return a token signed with a service's settings (tests, local tools)."""
    principal = Principal(
        subject=subject,
        name=name,
        roles=frozenset(Role(r) for r in roles),
        scope=scope,
        deputy_id=deputy_id,
        unit_id=unit_id,
    )
    return AuthConfig.from_settings(settings).issue(principal, ttl=ttl)
