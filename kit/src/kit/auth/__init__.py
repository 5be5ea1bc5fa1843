"""Authentication: JWTs and FastAPI dependencies (principals and roles live in kit.principal)."""

from kit.auth.dependencies import (
    Auth,
    auth_of,
    current_principal,
    ensure_scope,
    install_auth,
    make_auth,
    require_roles,
)
from kit.auth.tokens import (
    AuthConfig,
    InvalidToken,
    JwtSettings,
    decode,
    issue,
    issue_token,
    principal_from_claims,
)
from kit.principal import Principal, Role, ScopeError

__all__ = [
    "Auth",
    "AuthConfig",
    "InvalidToken",
    "JwtSettings",
    "Principal",
    "Role",
    "ScopeError",
    "auth_of",
    "current_principal",
    "decode",
    "ensure_scope",
    "install_auth",
    "issue",
    "issue_token",
    "make_auth",
    "principal_from_claims",
    "require_roles",
]
