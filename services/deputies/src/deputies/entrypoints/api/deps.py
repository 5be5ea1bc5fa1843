"""Request plumbing shared by the routes: the caller, versions (If-Match), pages."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Response
from pydantic import BaseModel

from deputies.domain.access import Viewer
from deputies.domain.errors import invalid
from deputies.handlers.context import Caller
from kit.auth.dependencies import current_principal
from kit.auth.principal import Principal

_VERSION = re.compile(r'^(?:W/)?"?(\d+)"?$')


def viewer_of(principal: Principal) -> Viewer:
    """Return the part of a principal the access rules look at."""
    return Viewer(
        subject=principal.subject,
        roles=frozenset(str(r) for r in principal.roles),
        scope=principal.scope,
        deputy_id=principal.deputy_id,
    )


def get_caller(principal: Annotated[Principal, Depends(current_principal)]) -> Caller:
    """Return who calls, from the bearer token."""
    return Caller(viewer=viewer_of(principal), principal=principal)


CallerDep = Annotated[Caller, Depends(get_caller)]


def if_match(
    value: Annotated[
        str | None, Header(alias="If-Match", description='Version read, e.g. "3"')
    ] = None,
) -> int:
    """Return the version the client read, from `If-Match`; required on updates."""
    match = _VERSION.match((value or "").strip())
    if not match:
        raise invalid(
            ("header", "If-Match"), 'send the version you read as If-Match, e.g. "3"', "missing"
        )
    return int(match.group(1))


IfMatch = Annotated[int, Depends(if_match)]


def optional_if_match(
    value: Annotated[
        str | None, Header(alias="If-Match", description='Version read, e.g. "3"')
    ] = None,
) -> int | None:
    """Return the version the client read, when it sent one."""
    return None if value is None else if_match(value)


OptionalIfMatch = Annotated[int | None, Depends(optional_if_match)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Retry-safe creation: the same key returns the first result",
    ),
]


def keyed(caller: Caller, key: str | None, body: BaseModel) -> Caller:
    """Return the caller carrying a creating request's Idempotency-Key and body."""
    return replace(caller, idempotency_key=key, request=body.model_dump(mode="json"))


def etag(response: Response, version: int) -> None:
    """Set the ETag of a versioned record."""
    response.headers["ETag"] = f'"{version}"'


class Paging:
    """Page number and size from the query string."""

    def __init__(
        self,
        page: Annotated[int, Query(ge=1)] = 1,
        page_size: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> None:
        self.page = page
        self.page_size = page_size


PagingDep = Annotated[Paging, Depends()]


def page_body(page: Any) -> dict[str, Any]:
    """Return a view page as a response body."""
    return {
        "items": page.items,
        "total": page.total,
        "page": page.page,
        "page_size": page.page_size,
    }
