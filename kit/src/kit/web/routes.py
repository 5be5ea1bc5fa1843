"""The route template and the township a request asks for, from its ASGI scope (bounded, no personal data)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs

from fastapi.routing import iter_route_contexts
from starlette.routing import Match
from starlette.types import Scope

_CODE = re.compile(r"^\d{2,12}$")
_TOWNSHIP_PARAMS = ("township", "township_code", "code")


def route_template(scope: Scope) -> str:
    """Return the matched route's template (``/api/v1/cases/{case_id}``), or ``unmatched``."""
    matched = _match(scope)
    return str(matched[0].path_format) if matched else "unmatched"


def asked_township(scope: Scope) -> str | None:
    """Return the division code a request names in its path or ``township`` query, if any."""
    params: dict[str, Any] = dict(scope.get("path_params") or {})
    if not params:
        matched = _match(scope)
        params = dict(matched[1].get("path_params") or {}) if matched else {}
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    for name in _TOWNSHIP_PARAMS:
        for value in [params.get(name), *query.get(name, [])[:1]]:
            if isinstance(value, str) and _CODE.match(value):
                return value
    return None


def _match(scope: Scope) -> tuple[Any, dict[str, Any]] | None:
    """Return the app's route (with its full template) matching the request, and its child scope.

    FastAPI keeps included routers nested; ``iter_route_contexts`` gives each route with the
    prefixes it was included under.
    """
    app = scope.get("app")
    router = getattr(app, "router", None)
    partial: tuple[Any, dict[str, Any]] | None = None
    for route in iter_route_contexts(getattr(router, "routes", ())):
        if not route.path_format:
            continue
        match, child = route.matches(scope)
        if match is Match.FULL:
            return route, child
        if match is Match.PARTIAL and partial is None:
            partial = (route, child)
    return partial
