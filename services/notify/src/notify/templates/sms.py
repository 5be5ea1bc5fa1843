"""SMS segment counting (pure).

One SMS carries 70 UCS-2 characters, or 160 GSM-7 characters; a longer text is split in segments
of 67 (UCS-2) or 153 (GSM-7), since each carries a user-data header. Any Chinese character makes
the whole text UCS-2. Characters beyond the basic plane (some emoji) take two UCS-2 units.
"""

from __future__ import annotations

from typing import Final

_GSM_BASIC: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED: Final = frozenset("^{}\\[~]|€\f")
UCS2_SINGLE, UCS2_PART = 70, 67
GSM_SINGLE, GSM_PART = 160, 153


def _gsm_units(text: str) -> int | None:
    units = 0
    for char in text:
        if char in _GSM_BASIC:
            units += 1
        elif char in _GSM_EXTENDED:
            units += 2
        else:
            return None
    return units


def sms_units(text: str) -> tuple[int, bool]:
    """Return the text's length in encoding units and whether it needs UCS-2."""
    gsm = _gsm_units(text)
    if gsm is not None:
        return gsm, False
    return sum(2 if ord(c) > 0xFFFF else 1 for c in text), True


def sms_segments(text: str) -> int:
    """Return how many SMS segments the text takes (0 for an empty text)."""
    units, ucs2 = sms_units(text)
    single, part = (UCS2_SINGLE, UCS2_PART) if ucs2 else (GSM_SINGLE, GSM_PART)
    if units <= single:
        return 1 if units else 0
    return -(-units // part)
