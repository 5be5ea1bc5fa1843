"""Settings: per-service variables win over shared ones, explicit values over both."""

from __future__ import annotations

import pytest

from kit.settings import ServiceSettings


def test_service_specific_variables_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://shared/db")
    monkeypatch.setenv("CASES_DATABASE_URL", "postgresql+asyncpg://cases/db")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "broker:9092")
    cases = ServiceSettings.for_service("cases")
    notify = ServiceSettings.for_service("notify")
    assert cases.database_url == "postgresql+asyncpg://cases/db"
    assert notify.database_url == "postgresql+asyncpg://shared/db"
    assert cases.kafka_bootstrap_servers == notify.kafka_bootstrap_servers == "broker:9092"
    assert cases.service_name == "cases"


def test_the_default_store_is_sqlite_per_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = ServiceSettings.for_service("deputies")
    assert settings.is_sqlite
    assert settings.database_url.endswith("/.local/deputies.db")


def test_explicit_overrides_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEPUTIES_HTTP_PORT", "9000")
    assert ServiceSettings.for_service("deputies", http_port=9100).http_port == 9100
    assert ServiceSettings.for_service("deputies").http_port == 9000


def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASES_HTTP_PORT", "not-a-port")
    with pytest.raises(ValueError, match="http_port"):
        ServiceSettings.for_service("cases")
