"""Generated people for demo data, tests and the bench (Faker zh_CN)."""

from __future__ import annotations

from typing import Any

from faker import Faker


def resident_id(
    fake: Faker, *, min_age: int = 25, max_age: int = 65, female: bool | None = None
) -> str:
    """Return a checksum-valid resident ID number (GB 11643) of someone of that age and sex."""
    # Faker's typing stub only knows the en_US signature of ssn; zh_CN takes these options.
    options: dict[str, Any] = {"min_age": min_age, "max_age": max_age}
    if female is not None:
        options["gender"] = "F" if female else "M"
    return str(fake.ssn(**options))
