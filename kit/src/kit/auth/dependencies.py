"""FastAPI dependencies: the caller from ``Authorization: Bearer``, role checks, scope checks.

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

from kit.auth.tokens import AuthConfig, InvalidToken, JwtSettings
from kit.principal import Principal, Role
from kit.web.problems import Forbidden, Unauthorized

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
        if credentials is None:
            raise Unauthorized("send a bearer token: Authorization: Bearer <token>")
        try:
            return self.config.decode(credentials.credentials)
        except InvalidToken as error:
            log.info("bearer token refused: %s", error.reason)
            raise Unauthorized(f"invalid token ({error.reason})", error="invalid_token") from None

    async def current_principal(self, credentials: Credentials) -> Principal:
        """Return the caller; 401 when the token is missing or cannot be trusted."""
        return self.authenticate(credentials)

    def require(self, *roles: Role) -> PrincipalDependency:
        """Return a dependency yielding the caller; 403 unless they hold one of the roles."""
        return _requiring(roles, self.current_principal)


def make_auth(config: AuthConfig | JwtSettings) -> Auth:
    """Return the dependencies for a config or for settings with ``jwt_*`` fields."""
    return Auth(config if isinstance(config, AuthConfig) else AuthConfig.from_settings(config))


def install_auth(app: FastAPI, config: AuthConfig | JwtSettings) -> Auth:
    """Bind an ``Auth`` to the app, for ``current_principal`` and ``require_roles``."""
    auth = make_auth(config)
    app.state.auth = auth
    return auth


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
    """Return the caller, checked with the app's ``Auth``; 401 without a good token."""
    return auth_of(request.app).authenticate(credentials)


def require_roles(*roles: Role) -> PrincipalDependency:
    """Return a dependency yielding the caller (app-bound auth); 403 without one of the roles."""
    return _requiring(roles, current_principal)


def ensure_scope(principal: Principal, township_code: str) -> None:
    """Raise a 403 problem unless the place lies inside the principal's scope."""
    if not principal.covers(township_code):
        raise Forbidden(
            f"{township_code} is outside your scope ({principal.scope})",
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
            raise Forbidden(f"this needs one of the roles: {names}", required_roles=list(wanted))
        return principal

    return principal_with_role
