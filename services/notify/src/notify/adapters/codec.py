"""Preferences as a JSON document (the stored row and the API body) and back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from types import MappingProxyType
from typing import Any

from notify.domain.hours import DigestTime, QuietHours
from notify.domain.model import Channel
from notify.domain.preferences import Preferences


def _clock(value: str) -> time:
    return time.fromisoformat(value)


def preferences_from(doc: Mapping[str, Any]) -> Preferences:
    """Return preferences from a stored document; raise ``ValueError`` on an unknown channel."""
    default = Preferences()
    digest = doc.get("digest", {})
    return Preferences(
        channels=tuple(Channel(c) for c in doc.get("channels", default.channels)),
        per_event=MappingProxyType(
            {k: tuple(Channel(c) for c in v) for k, v in doc.get("per_event", {}).items()}
        ),
        fan_out=bool(doc.get("fan_out", False)),
        quiet=tuple(
            QuietHours(_clock(w["start"]), _clock(w["end"]))
            for w in doc.get("quiet", [{"start": "22:00", "end": "07:00"}])
        ),
        urgent_passes_quiet=bool(doc.get("urgent_passes_quiet", True)),
        digest=None
        if digest is None
        else DigestTime(
            _clock(digest.get("send_at", "08:30")), bool(digest.get("workdays_only", True))
        ),
        digest_everything=bool(doc.get("digest_everything", False)),
    )


def document(prefs: Preferences) -> dict[str, Any]:
    """Return the JSON document of preferences."""
    return {
        "channels": [c.value for c in prefs.channels],
        "per_event": {k: [c.value for c in v] for k, v in prefs.per_event.items()},
        "fan_out": prefs.fan_out,
        "quiet": [
            {"start": w.start.strftime("%H:%M"), "end": w.end.strftime("%H:%M")}
            for w in prefs.quiet
        ],
        "urgent_passes_quiet": prefs.urgent_passes_quiet,
        "digest": None
        if prefs.digest is None
        else {
            "send_at": prefs.digest.send_at.strftime("%H:%M"),
            "workdays_only": prefs.digest.workdays_only,
        },
        "digest_everything": prefs.digest_everything,
    }
