"""The allow-listed transforms: each direction, round trips, errors, purity."""

from __future__ import annotations

import copy
from collections.abc import Mapping as MappingABC
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.mapping import TRANSFORMS, Transform, TransformError
from core.mapping.model import freeze

from .fakes import FakeLinks


def t(name: str, args: Any = None) -> Transform:
    return Transform(name, freeze(args))


def out(transform: Transform, value: Any, record: dict | None = None, ctx: Any = None) -> Any:
    return transform.to_remote(value, record or {}, ctx)


def back(transform: Transform, value: Any, ctx: Any = None) -> Any:
    return transform.to_local(value, {}, ctx)


def test_registry_is_the_allow_list() -> None:
    assert set(TRANSFORMS) == {"enum", "date", "datetime", "number", "currency", "string",
                               "lookup", "find", "constant", "template", "boolean"}
    assert {n for n, k in TRANSFORMS.items() if k.out_only} == {"constant", "template"}


# enum ------------------------------------------------------------------------

STATUS = t("enum", {"map": {"draft": "Draft", "active": "Activated", "expired": "Expired"}})


def test_enum_both_ways() -> None:
    assert out(STATUS, "active") == "Activated"
    assert back(STATUS, "Activated") == "active"


def test_enum_unknown_value_names_value_and_allowed_values() -> None:
    with pytest.raises(TransformError, match=r"'bogus'.*'draft', 'active', 'expired'"):
        out(STATUS, "bogus")
    with pytest.raises(TransformError, match=r"'Bogus'.*'Draft', 'Activated', 'Expired'"):
        back(STATUS, "Bogus")


def test_enum_defaults_apply_only_when_given() -> None:
    lenient = t("enum", {"map": {"draft": "Draft"}, "default_in": None, "default_out": "Other"})
    assert back(lenient, "Whatever") is None
    assert out(lenient, "whatever") == "Other"


def test_enum_map_in_settles_many_to_one() -> None:
    many = t("enum", {"map": {"active": "Activated", "approved": "Activated"},
                      "map_in": {"Activated": "approved"}})
    assert out(many, "active") == "Activated"
    assert back(many, "Activated") == "approved"


def test_enum_option_set_numbers() -> None:
    option = t("enum", {"map": {"basic": 100000000, "premium": 100000001}})
    assert out(option, "premium") == 100000001
    assert back(option, 100000001) == "premium"


@given(st.dictionaries(st.text(min_size=1), st.text(min_size=1), min_size=1).filter(
    lambda d: len(set(d.values())) == len(d)))
def test_enum_round_trip(table: dict[str, str]) -> None:
    transform = t("enum", {"map": table})
    for local in table:
        assert back(transform, out(transform, local)) == local


# date and datetime ---------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%Y%m%d"])
@given(day=st.dates(min_value=date(1000, 1, 1)))
def test_date_round_trip(fmt: str, day: date) -> None:
    transform = t("date", {"format": fmt})
    assert back(transform, out(transform, day)) == day


def test_date_defaults_to_iso_and_reports_bad_text() -> None:
    iso = t("date")
    assert out(iso, date(2024, 2, 29)) == "2024-02-29"
    assert out(iso, "2024-02-29") == "2024-02-29"
    with pytest.raises(TransformError, match=r"'29/02/2024' does not match the date format"):
        back(iso, "29/02/2024")
    with pytest.raises(TransformError, match="expected a date"):
        out(iso, datetime(2024, 1, 1))


def test_datetime_wall_time_in_zone_to_utc() -> None:
    paris = t("datetime", {"timezone": "Europe/Paris", "format": "%Y-%m-%d %H:%M:%S"})
    instant = datetime(2024, 7, 1, 8, 0, tzinfo=UTC)
    assert out(paris, instant) == "2024-07-01 10:00:00"  # CEST, UTC+2
    assert back(paris, "2024-01-15 10:00:00") == datetime(2024, 1, 15, 9, 0, tzinfo=UTC)
    assert back(paris, "2024-01-15 10:00:00").tzinfo is UTC


def test_datetime_iso_default_keeps_offsets() -> None:
    ny = t("datetime", {"timezone": "America/New_York"})
    instant = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
    assert out(ny, instant) == "2024-03-10T08:00:00-04:00"
    assert back(ny, "2024-01-01T10:00:00.000+0000") == datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert back(ny, "2024-01-01T10:00:00") == datetime(2024, 1, 1, 15, tzinfo=UTC)


@settings(deadline=None)
@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1),
                    timezones=st.just(UTC)),
       st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"]))
def test_datetime_round_trip(instant: datetime, zone: str) -> None:
    transform = t("datetime", {"timezone": zone})
    assert back(transform, out(transform, instant)) == instant


@settings(deadline=None)
@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1),
                    timezones=st.just(UTC)).map(lambda d: d.replace(microsecond=0)))
def test_datetime_wall_format_round_trip_outside_repeated_hour(instant: datetime) -> None:
    transform = t("datetime", {"timezone": "Europe/Paris", "format": "%Y-%m-%d %H:%M:%S"})
    again = back(transform, out(transform, instant))
    # A wall time in the repeated autumn hour names two instants; it reads back as the first.
    assert again == instant or again == instant - timedelta(hours=1)


# numbers ------------------------------------------------------------------------

def test_number_scale_and_decimals() -> None:
    percent = t("number", {"scale": 100, "decimals": 2})
    assert out(percent, 0.99951) == 99.95
    assert back(percent, 99.95) == 0.9995
    assert out(t("number", {"decimals": 0}), 29.5) == 30
    assert isinstance(out(t("number", {"decimals": 0}), 29.5), int)
    assert back(t("number"), "12.5") == 12.5
    for bad in ("twelve", True, float("nan"), None.__class__):
        with pytest.raises(TransformError):
            out(t("number"), bad)


@given(st.integers(min_value=-10**9, max_value=10**9), st.integers(0, 4),
       st.sampled_from([1, 10, 100, 1000]))
def test_number_round_trip(units: int, decimals: int, scale: int) -> None:
    transform = t("number", {"decimals": decimals, "scale": scale})
    local = float(Decimal(units).scaleb(-decimals) / scale)
    assert back(transform, out(transform, local)) == pytest.approx(local, rel=1e-12, abs=0)


def test_currency_is_decimal_rounded_half_up() -> None:
    money = t("currency")
    assert out(money, 10.005) == Decimal("10.01")
    assert back(money, "1234.5") == Decimal("1234.50")
    assert out(t("currency", {"decimals": 0}), Decimal("2.5")) == Decimal("3")


# text and booleans -------------------------------------------------------------

def test_string_case_trim_and_outbound_truncation() -> None:
    s = t("string", {"trim": True, "case": "upper", "truncate": 3})
    assert out(s, "  acme corp ") == "ACM"
    assert back(s, "  acme corp ") == "ACME CORP"  # never truncated inbound
    assert out(t("string"), 42) == "42"
    with pytest.raises(TransformError, match="expected text"):
        out(t("string"), ["a"])


def test_boolean_with_and_without_words() -> None:
    yes_no = t("boolean", {"true": "Yes", "false": "No"})
    assert out(yes_no, True) == "Yes" and out(yes_no, False) == "No"
    assert back(yes_no, "yes") is True and back(yes_no, "No") is False
    with pytest.raises(TransformError, match="'Yes' or 'No'"):
        back(yes_no, "maybe")
    plain = t("boolean")
    assert back(plain, "true") is True and back(plain, 0) is False
    with pytest.raises(TransformError):
        out(plain, "true")


# lookup, constant, template --------------------------------------------------------

def test_lookup_through_links(links: FakeLinks) -> None:
    lookup = t("lookup", {"entity": "customer"})
    assert out(lookup, 7, ctx=links) == "001A000001"
    assert back(lookup, "001A000001", ctx=links) == "7"
    with pytest.raises(TransformError, match="customer 8 has no linked record"):
        out(lookup, 8, ctx=links)
    with pytest.raises(TransformError, match="not linked to any local customer"):
        back(lookup, "001XXX", ctx=links)
    with pytest.raises(TransformError, match="needs a mapping context"):
        out(lookup, 7)


def test_constant_and_template_are_outbound_only() -> None:
    const = t("constant", "contracthub")
    assert out(const, None) == "contracthub"
    with pytest.raises(TransformError, match="outbound only"):
        back(const, "contracthub")
    tmpl = t("template", "{number} - {kind} ({value:,.2f}) {missing}")
    record = {"number": "C-1", "kind": "support", "value": Decimal("1234.5"), "missing": None}
    assert out(tmpl, None, record) == "C-1 - support (1,234.50) "
    with pytest.raises(TransformError, match="cannot format kind"):
        out(t("template", "{kind:d}"), None, {"kind": "x"})


# purity ------------------------------------------------------------------------------

@pytest.mark.parametrize("transform, value", [
    (STATUS, "draft"), (t("date"), date(2024, 1, 1)), (t("number", {"scale": 100}), 0.5),
    (t("string", {"trim": True}), " x "), (t("template", "{a}"), None),
    (t("constant", 1), None), (t("boolean"), True), (t("currency"), 1),
])
def test_transforms_do_not_touch_their_inputs(transform: Transform, value: Any) -> None:
    record = {"a": ["nested", {"x": 1}], "b": {"c": [1, 2]}}
    before_record, before_args = copy.deepcopy(record), thaw(transform.args)
    transform.to_remote(value, record, None)
    assert record == before_record
    assert thaw(transform.args) == before_args


def thaw(value: Any) -> Any:
    if isinstance(value, MappingABC):
        return {k: thaw(v) for k, v in value.items()}
    return list(map(thaw, value)) if isinstance(value, tuple) else value


def test_frozen_args_cannot_be_changed() -> None:
    with pytest.raises(TypeError):
        STATUS.args["map"]["draft"] = "Changed"  # type: ignore[index]


class _Store:
    def __init__(self, rows: dict[str, str]) -> None:
        self.rows = rows

    def find_local(self, entity: str, field: str, value: str) -> list[str]:
        return [i for i, v in self.rows.items() if v.lower() == value.strip().lower()]

    def value_of(self, entity: str, local_id: str, field: str) -> str | None:
        return self.rows.get(local_id)


def test_find_names_a_local_row_by_a_field_and_never_guesses() -> None:
    from core.mapping.conversions import TransformError

    t = Transform("find", {"entity": "customer", "by": "domain"})
    store = _Store({"1": "acme.example", "2": "globex.example", "3": "GLOBEX.example"})
    assert back(t, "ACME.example", store) == "1"
    assert back(t, "nobody.example", store) is None  # kept, flagged, not guessed
    with pytest.raises(TransformError, match="2 customers have domain 'globex.example'"):
        back(t, "globex.example", store)
    assert out(t, "1", ctx=store) == "acme.example"
