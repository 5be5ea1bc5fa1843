"""The version a client read (``If-Match``), required only once the caller has been authorised."""

from __future__ import annotations

from dataclasses import dataclass

from kit.errors import PreconditionRequiredError


@dataclass(frozen=True)
class Precondition:
    """What ``If-Match`` said; ``required()`` after the role check gives 403 before 428."""

    version: int | None

    def required(self) -> int:
        """Return the version read; raise ``PreconditionRequiredError`` (428) when none was sent."""
        if self.version is None:
            raise PreconditionRequiredError(
                'send the version you read as If-Match, e.g. If-Match: "3"'
            )
        return self.version
