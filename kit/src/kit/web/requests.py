"""Request plumbing every service's routes share: versions (If-Match / ETag), keys, pages.

``If-Match`` is read only after the caller is authenticated (each dependency here depends on
the principal): a request without a token gets 401, not 428 or 422. ``IfMatch`` answers 428
(Precondition Required) when the header is missing; ``IfMatchLater`` hands the handler a
``Precondition`` whose ``required()`` it calls after its role check, so a caller who may not
write at all gets 403 first. ``install_precondition_docs`` marks the header required in OpenAPI
wherever a route needs it. The dependencies are coroutines: FastAPI runs a plain ``def``
dependency in its thread pool, a thread hop per request for a few microseconds of work.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Protocol

from fastapi import Depends, FastAPI, Header, Query, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from kit.auth.dependencies import current_principal
from kit.errors import invalid
from kit.precondition import Precondition
from kit.principal import Principal
from kit.web.problems import PreconditionRequired, Problem, problem_responses

_VERSION = re.compile(r'^(?:W/)?"?(\d+)"?$')
IfMatchHeader = Annotated[
    str | None, Header(alias="If-Match", description='The version read (its ETag), e.g. "3"')
]
Authenticated = Annotated[Principal, Depends(current_principal)]


def parse_version(value: str | None) -> int | None:
    """Return the version of an ``If-Match`` value; None when absent; 422 when malformed."""
    if value is None or not value.strip():
        return None
    match = _VERSION.match(value.strip())
    if not match:
        raise invalid(
            ("header", "If-Match"), 'send the version you read as If-Match, e.g. "3"', "malformed"
        )
    return int(match.group(1))


async def if_match(_: Authenticated, value: IfMatchHeader = None) -> int:
    """Return the version the client read, from `If-Match`; 428 when it is missing."""
    version = parse_version(value)
    if version is None:
        raise PreconditionRequired()
    return version


IfMatch = Annotated[int, Depends(if_match)]


async def if_match_later(_: Authenticated, value: IfMatchHeader = None) -> Precondition:
    """Return what `If-Match` said, for the handler to require after its role check."""
    return Precondition(parse_version(value))


IfMatchLater = Annotated[Precondition, Depends(if_match_later)]


async def optional_if_match(_: Authenticated, value: IfMatchHeader = None) -> int | None:
    """Return the version the client read, when it sent one."""
    return parse_version(value)


OptionalIfMatch = Annotated[int | None, Depends(optional_if_match)]
_REQUIRING: tuple[Callable[..., Any], ...] = (if_match, if_match_later)


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    """Yield every dependency callable of a route, depth first."""
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def install_precondition_docs(app: FastAPI) -> None:
    """Mark `If-Match` required (and document 428) in OpenAPI on routes that require it."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        for route in iter_route_contexts(app.routes):
            dependant = getattr(route, "dependant", None)
            if not isinstance(dependant, Dependant) or not route.include_in_schema:
                continue
            if not any(call in _REQUIRING for call in _calls(dependant)):
                continue
            for method in route.methods or ():
                operation = schema.get("paths", {}).get(route.path_format, {}).get(method.lower())
                if operation is None:
                    continue
                for parameter in operation.get("parameters", []):
                    if parameter.get("in") == "header" and parameter.get("name") == "If-Match":
                        parameter["required"] = True
                        parameter["schema"] = {"type": "string", "title": "If-Match"}
                responses = operation.setdefault("responses", {})
                for status, entry in problem_responses(428).items():
                    responses.setdefault(str(status), _without_model(entry))
        _ensure_problem_schema(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _without_model(entry: dict[str, Any]) -> dict[str, Any]:
    """Return a ``responses=`` entry as OpenAPI (without FastAPI's ``model`` key)."""
    return {k: v for k, v in entry.items() if k != "model"}


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Retry-safe creation: the same key returns the first result",
    ),
]


def etag(response: Response, version: int) -> None:
    """Set the ETag of a versioned record."""
    response.headers["ETag"] = f'"{version}"'


class Paging:
    """Page number and size from the query string."""

    def __init__(
        self,
        page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
        page_size: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> None:
        self.page = page
        self.page_size = page_size

    @property
    def offset(self) -> int:
        """Return how many rows the page skips."""
        return (self.page - 1) * self.page_size


async def paging(
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Paging:
    """Return the page asked for (a coroutine: a class dependency runs in the thread pool)."""
    return Paging(page, page_size)


PagingDep = Annotated[Paging, Depends(paging)]


class PageLike(Protocol):
    """Anything with items, a total and its page coordinates."""

    items: Any
    total: int
    page: int
    page_size: int


def page_body(page: PageLike) -> dict[str, Any]:
    """Return a view page as a response body."""
    return {
        "items": page.items,
        "total": page.total,
        "page": page.page,
        "page_size": page.page_size,
    }


def _ensure_problem_schema(schema: dict[str, Any]) -> None:
    """Put the ``Problem`` schema (and what it refers to) in the components, if missing."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    if "Problem" in components:
        return
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in problem.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components["Problem"] = problem
