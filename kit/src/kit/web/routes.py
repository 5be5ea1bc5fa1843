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
    """Return the matched route's template (``/api/v1/cases/{case_id}``), or ``unmatched``.

    After routing, the scope names the route taken: its full template (with the prefixes it was
    included under) is looked up in a table built once per app. Before routing (a 401 from the
    authentication middleware) the routes are matched against the path.
    """
    route = scope.get("route")
    if route is not None:
        found = _templates(scope.get("app")).get(id(route))
        if found is not None:
            return found
    matched = _match(scope)
    return str(matched[0].path_format) if matched else "unmatched"


def _templates(app: Any) -> dict[int, str]:
    """Return each route's full template by the route's identity (routes included once only)."""
    state = getattr(app, "state", None)
    known: dict[int, str] | None = getattr(state, "kit_route_templates", None)
    if known is not None:
        return known
    seen: dict[int, list[str]] = {}
    router = getattr(app, "router", None)
    for context in iter_route_contexts(getattr(router, "routes", ())):
        if context.path_format:
            seen.setdefault(id(context.original_route), []).append(str(context.path_format))
    known = {key: paths[0] for key, paths in seen.items() if len(set(paths)) == 1}
    if state is not None:
        state.kit_route_templates = known
    return known


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
