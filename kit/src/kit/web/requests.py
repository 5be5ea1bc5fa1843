"""Request plumbing every service's routes share: versions (If-Match / ETag), keys, pages."""

from __future__ import annotations

import re
from typing import Annotated, Any, Protocol

from fastapi import Depends, Header, Query, Response

from kit.errors import invalid

_VERSION = re.compile(r'^(?:W/)?"?(\d+)"?$')


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


PagingDep = Annotated[Paging, Depends()]


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
