"""Authentication first, then FastAPI dependencies: the caller, role checks, scope checks.

``install_auth`` puts ``AuthenticationMiddleware`` in front of every route: a request to a
non-public path without a valid bearer token is answered 401 (and recorded as a refusal) before
routing, so no validation error, missing ``If-Match`` or lookup can answer first. The dependencies
below then read the principal the middleware found.

Nothing is created from configuration at import time. A service either builds an ``Auth`` from
its settings and writes ``Depends(auth.require(Role.county_admin))``, or uses the app-bound
``current_principal`` / ``require_roles``, which find the ``Auth`` that ``install_auth`` put on
``app.state.auth`` (falling back to the JWT fields of ``app.state.runtime.settings``).

FastAPI evaluates route annotations in the module's globals: a route written inside a builder
function as ``Annotated[Principal, Depends(auth.require(...))]`` with a local ``auth`` needs a
module without ``from __future__ import annotations``; ``require_roles(...)`` works either way.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the dependency annotations of
# the closures below at runtime, and those refer to local variables.

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from kit.auth.tokens import AuthConfig, InvalidToken, JwtSettings, check_secret
from kit.principal import Principal, Role
from kit.web.problems import Forbidden, Unauthorized
from kit.web.refusals import refusals_of, token_reason

# Reachable without a token: probes, metrics and the API documentation (and its own assets).
PUBLIC_PATHS = frozenset(
    {"/livez", "/readyz", "/metrics", "/docs", "/docs/oauth2-redirect", "/openapi.json"}
)
PUBLIC_PREFIXES = ("/docs/assets/",)

log = logging.getLogger(__name__)

# Stateless: reads the header and declares the bearer scheme in OpenAPI; holds no configuration.
_bearer = HTTPBearer(auto_error=False, description="A platform JWT (``kit-token`` makes one)")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
PrincipalDependency = Callable[..., Awaitable[Principal]]


class Auth:
    """The dependencies of one token configuration: ``current_principal`` and ``require``."""

    def __init__(self, config: AuthConfig) -> None:
        self.config = config

    def authenticate(self, credentials: HTTPAuthorizationCredentials | None) -> Principal:
        """Return the principal of bearer credentials; raise a 401 problem without a good one."""
        return self.from_token(credentials.credentials if credentials else None)

    def from_token(self, token: str | None) -> Principal:
        """Return the principal of a bearer token; raise a 401 problem without a good one."""
        if not token:
            raise Unauthorized(
                "send a bearer token: Authorization: Bearer <token>", reason="no_token"
            )
        try:
            return self.config.decode(token)
        except InvalidToken as error:
            raise Unauthorized(
                f"invalid token ({error.reason})", error="invalid_token", reason=error.reason
            ) from None

    async def current_principal(self, credentials: Credentials) -> Principal:
        """Return the caller; 401 when the token is missing or cannot be trusted."""
        return self.authenticate(credentials)

    def require(self, *roles: Role) -> PrincipalDependency:
        """Return a dependency yielding the caller; 403 unless they hold one of the roles."""
        return _requiring(roles, self.current_principal)


def make_auth(config: AuthConfig | JwtSettings) -> Auth:
    """Return the dependencies for a config or for settings with ``jwt_*`` fields."""
    return Auth(config if isinstance(config, AuthConfig) else AuthConfig.from_settings(config))


def install_auth(
    app: FastAPI,
    config: AuthConfig | JwtSettings,
    *,
    public: frozenset[str] = PUBLIC_PATHS,
    public_prefixes: tuple[str, ...] = (),
) -> Auth:
    """Authenticate every non-public request first; bind the ``Auth`` the dependencies use.

    Settings with the built-in development secret are refused unless their ``dev_mode`` is on.
    ``public_prefixes`` are paths whose routes authenticate by other means (a signed URL).
    """
    auth = make_auth(config)
    if not isinstance(config, AuthConfig):
        check_secret(auth.config.secret, dev_mode=bool(getattr(config, "dev_mode", False)))
    app.state.auth = auth
    app.add_middleware(
        AuthenticationMiddleware, public=public, prefixes=PUBLIC_PREFIXES + public_prefixes
    )
    return auth


class AuthenticationMiddleware:
    """Plain ASGI middleware: 401 before routing unless the path is public or the token is good."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        public: frozenset[str] = PUBLIC_PATHS,
        prefixes: tuple[str, ...] = PUBLIC_PREFIXES,
    ) -> None:
        self.app = app
        self.public = public
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or path in self.public or path.startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        app = scope["app"]
        try:
            principal = auth_of(app).from_token(_bearer_token(Headers(scope=scope)))
        except Unauthorized as refusal:
            recorder = refusals_of(app)
            if recorder is not None:
                await recorder.record(
                    scope,
                    status=401,
                    reason=token_reason(refusal.reason),
                    principal=None,
                    detail=refusal.reason,
                )
            await refusal.to_response(path)(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


def _bearer_token(headers: Headers) -> str | None:
    """Return the token of an ``Authorization: Bearer <token>`` header, if there is one."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def auth_of(app: Any) -> Auth:
    """Return the app's ``Auth``: the installed one, else one from its runtime's settings."""
    auth = getattr(app.state, "auth", None)
    if isinstance(auth, Auth):
        return auth
    settings = getattr(getattr(app.state, "runtime", None), "settings", None)
    if settings is None:
        raise RuntimeError("no Auth on this app: call kit.auth.install_auth(app, config)")
    auth = make_auth(settings)
    app.state.auth = auth
    return auth


async def current_principal(request: Request, credentials: Credentials) -> Principal:
    """Return the caller the middleware authenticated (else check the token); 401 without one."""
    found = getattr(request.state, "principal", None)
    if isinstance(found, Principal):
        return found
    return auth_of(request.app).authenticate(credentials)


def require_roles(*roles: Role) -> PrincipalDependency:
    """Return a dependency yielding the caller (app-bound auth); 403 without one of the roles."""
    return _requiring(roles, current_principal)


def ensure_scope(principal: Principal, township_code: str) -> None:
    """Raise a 403 problem unless the place lies inside the principal's scope."""
    if not principal.covers(township_code):
        raise Forbidden(
            f"{township_code} is outside your scope ({principal.scope})",
            reason="scope",
            township=township_code,
            scope=principal.scope,
        )


def _requiring(roles: Iterable[Role], source: PrincipalDependency) -> PrincipalDependency:
    """Return a dependency that passes the principal of ``source`` on if it holds a role."""
    wanted = tuple(Role(r) for r in roles)
    if not wanted:
        raise ValueError("name at least one role; use current_principal for any signed-in user")
    names = ", ".join(wanted)

    async def principal_with_role(principal: Annotated[Principal, Depends(source)]) -> Principal:
        if not principal.has(*wanted):
            raise Forbidden(
                f"this needs one of the roles: {names}", reason="role", required_roles=list(wanted)
            )
        return principal

    return principal_with_role
