"""Before and after values of an update, restricted fields masked; who reads which audit rows."""

from __future__ import annotations

import csv
import io
from datetime import date
from enum import StrEnum

from openpyxl import load_workbook

from kit.audit import AuditFilter, AuditScope, audit_scope, change_detail, changes, snapshot
from kit.masking import MaskKind
from kit.principal import Principal, Role
from kit.web.audit_log import csv_bytes, xlsx_bytes

RESTRICTED = {
    "phone": MaskKind.phone,
    "id_number": MaskKind.id_number,
    "address": MaskKind.address,
    "birth_date": None,
}


class Colour(StrEnum):
    """An enum field."""

    red = "red"
    blue = "blue"


def test_only_changed_fields_appear_with_restricted_ones_masked() -> None:
    before = {
        "name": "张三",
        "phone": "13812345678",
        "id_number": "110101199003071234",
        "address": "浙江省杭州市西湖区文三路100号",
        "birth_date": date(1990, 3, 7),
        "party": "群众",
    }
    after = {
        **before,
        "phone": "13987654321",
        "address": "浙江省杭州市滨江区江南大道1号",
        "birth_date": date(1990, 3, 8),
        "party": "中共党员",
    }
    found = changes(before, after, restricted=RESTRICTED)
    assert found == {
        "address": {"before": "浙江省杭州市西湖区", "after": "浙江省杭州市滨江区"},
        "birth_date": {"before": "****", "after": "****"},
        "party": {"before": "群众", "after": "中共党员"},
        "phone": {"before": "138****5678", "after": "139****4321"},
    }
    text = repr(found)
    for secret in ("13812345678", "13987654321", "文三路", "江南大道", "1990-03"):
        assert secret not in text


def test_a_restricted_field_set_or_cleared_keeps_none_visible() -> None:
    found = changes({"phone": None}, {"phone": "13812345678"}, restricted=RESTRICTED)
    assert found == {"phone": {"before": None, "after": "138****5678"}}
    cleared = changes({"id_number": "110101199003071234"}, {}, restricted=RESTRICTED)
    assert cleared == {"id_number": {"before": "110101********1234", "after": None}}


def test_values_are_json_ready_and_unchanged_values_are_left_out() -> None:
    before = {
        "levels": frozenset({"township", "county"}),
        "colour": Colour.red,
        "on": date(2026, 1, 2),
    }
    after = {
        "levels": frozenset({"county", "township"}),
        "colour": Colour.blue,
        "on": date(2026, 1, 3),
    }
    assert changes(before, after) == {
        "colour": {"before": "red", "after": "blue"},
        "on": {"before": "2026-01-02", "after": "2026-01-03"},
    }


def test_change_detail_names_the_fields_and_keeps_the_extra_detail() -> None:
    detail = change_detail({"a": 1, "b": 2}, {"a": 1, "b": 3}, reason="更正")
    assert detail == {
        "reason": "更正",
        "changed": ["b"],
        "changes": {"b": {"before": 2, "after": 3}},
    }


def test_snapshot_takes_the_named_attributes() -> None:
    class Record:
        a = 1
        b = "x"

    assert snapshot(Record(), ("a", "b")) == {"a": 1, "b": "x"}


def _who(role: Role, scope: str) -> Principal:
    return Principal(subject=f"{role}-{scope}", roles=frozenset({role}), scope=scope)


def test_the_audit_log_is_read_by_auditors_and_staff_within_their_scope_only() -> None:
    assert audit_scope(_who(Role.auditor, "990101")) == AuditScope("990101", unplaced=True)
    assert audit_scope(_who(Role.county_admin, "990101")) == AuditScope("990101", unplaced=False)
    assert audit_scope(_who(Role.township_staff, "990101001")) == AuditScope(
        "990101001", unplaced=False
    )
    for role in (Role.deputy, Role.handling_unit, Role.operator, Role.county_leader):
        assert audit_scope(_who(role, "990101")) is None
    staff = AuditScope("990101001", unplaced=False)
    assert staff.covers("990101001")
    assert not staff.covers("990101002")


def test_an_export_asks_only_for_the_filters_given() -> None:
    assert AuditFilter(action="update", township="990101001").asked() == {
        "action": "update",
        "township": "990101001",
    }


def test_exports_never_carry_a_formula_and_read_back() -> None:
    rows = [["1", '=HYPERLINK("x")', "+1", "张三", '{"a": 1}']]
    text = csv_bytes(rows).decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[1][:4] == ["1", '\'=HYPERLINK("x")', "'+1", "张三"]
    sheet = load_workbook(io.BytesIO(xlsx_bytes(rows))).active
    assert sheet is not None
    values = [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]
    assert values[:4] == ["1", '\'=HYPERLINK("x")', "'+1", "张三"]
