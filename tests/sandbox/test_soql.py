"""The SOQL subset: parsing, error codes and positions, typed evaluation."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from sandbox.salesforce.soql import SoqlError, parse, tokenize
from sandbox.salesforce.soql_eval import compile_query
from sandbox.salesforce.store import Store

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def store() -> Store:
    st = Store(clock=lambda: NOW)
    st.insert("Account", {"Name": "Acme", "Industry": "Banking", "BillingCity": "Oslo",
                          "Renewal_Date__c": "2026-03-01",
                          "SystemModstamp": "2026-01-05T08:00:00.000+0000"})
    st.insert("Account", {"Name": "beta_co", "Support_Tier__c": "Gold",
                          "SystemModstamp": "2026-01-05T10:00:00+01:00"})
    st.insert("Account", {"Name": "O'Brien 100%", "Industry": "Retail",
                          "Renewal_Date__c": date(2026, 1, 6),
                          "SystemModstamp": datetime(2026, 1, 5, 9, 30, tzinfo=UTC)})
    return st


def names(store: Store, text: str) -> list[str]:
    compiled = compile_query(text, store.object)
    return [r["Name"] for r in compiled.run(store.rows(compiled.object_name), NOW.date())]


def error_of(store: Store, text: str) -> SoqlError:
    with pytest.raises(SoqlError) as caught:
        compile_query(text, store.object)
    return caught.value


# parsing -------------------------------------------------------------------
def test_parse_full_grammar() -> None:
    query = parse("SELECT Id, Name FROM Account WHERE (Name LIKE 'A%' OR Name = null) "
                  "AND NOT Industry IN ('Retail', 'Media') ORDER BY Name DESC NULLS LAST, Id "
                  "LIMIT 10 OFFSET 5")
    assert [f.name for f in query.fields] == ["Id", "Name"]
    assert query.object.name == "Account"
    assert query.where.op == "AND"
    assert [(o.field.name, o.descending, o.nulls_first) for o in query.order] == [
        ("Name", True, False), ("Id", False, None)]
    assert (query.limit, query.offset) == (10, 5)


def test_keywords_are_case_insensitive() -> None:
    assert parse("select id from account where name != 'x' order by name asc").limit is None


def test_literals_are_typed() -> None:
    kinds = [(t.kind, t.value) for t in tokenize(
        "'it\\'s' 42 -1.5 TRUE 2026-01-05 2026-01-05T09:00:00Z 2026-01-05T10:00:00+01:00 "
        "LAST_N_DAYS:7")][:-1]
    assert kinds[0] == ("STRING", "it's")
    assert kinds[1] == ("NUMBER", 42)
    assert kinds[2] == ("NUMBER", -1.5)
    assert kinds[3][0] == "KEYWORD"
    assert kinds[4] == ("DATE", date(2026, 1, 5))
    assert kinds[5] == ("DATETIME", NOW)
    assert kinds[6] == ("DATETIME", NOW)  # the same instant written with an offset
    assert kinds[7] == ("DATE_RANGE", ("LAST_N_DAYS", 7))


@pytest.mark.parametrize("text, column, token", [
    ("SELECT Id FRO Account", 11, "'FRO'"),
    ("SELECT Id FROM", 15, "<EOF>"),
    ("SELECT FROM Account", 8, "'FROM'"),
    ("SELECT Id FROM Account WHERE Name = 'a' AND Name = 'b' OR Name = 'c'", 56, "'OR'"),
    ("SELECT Id FROM Account LIMIT -1", 30, "'-1'"),
    ("SELECT Id FROM Account ORDER Name", 30, "'Name'"),
    ("SELECT Id FROM Account WHERE Name IN 'a'", 38, "''a''"),
])
def test_syntax_errors_are_malformed_query_with_position(text: str, column: int,
                                                         token: str) -> None:
    with pytest.raises(SoqlError) as caught:
        parse(text)
    error = caught.value
    assert error.error_code == "MALFORMED_QUERY"
    assert (error.row, error.column) == (1, column)
    assert error.message.endswith(f"unexpected token: {token}")
    assert f"ERROR at Row:1:Column:{column}" in error.message
    assert error.message.splitlines()[2] == " " * (column - 1) + "^"


def test_bad_escape_and_unterminated_string() -> None:
    assert parse_error("SELECT Id FROM Account WHERE Name = 'a\\qb'").error_code == \
        "MALFORMED_QUERY"
    assert "unterminated" in parse_error("SELECT Id FROM Account WHERE Name = 'abc").message


def parse_error(text: str) -> SoqlError:
    with pytest.raises(SoqlError) as caught:
        parse(text)
    return caught.value


# binding errors ----------------------------------------------------------------
def test_unknown_object_is_invalid_type(store: Store) -> None:
    error = error_of(store, "SELECT Id FROM Acount")
    assert error.error_code == "INVALID_TYPE"
    assert "sObject type 'Acount' is not supported" in error.message
    assert error.column == 16


def test_unknown_field_is_invalid_field(store: Store) -> None:
    error = error_of(store, "SELECT Id, Tier__c FROM Account")
    assert error.error_code == "INVALID_FIELD"
    assert "No such column 'Tier__c' on entity 'Account'" in error.message
    assert error.column == 12


@pytest.mark.parametrize("text, code", [
    ("SELECT Id FROM Account WHERE Name = 5", "INVALID_QUERY_FILTER_OPERATOR"),
    ("SELECT Id FROM Account WHERE CreatedDate > 2026-01-01", "INVALID_QUERY_FILTER_OPERATOR"),
    ("SELECT Id FROM Account WHERE Renewal_Date__c = '2026-01-01'",
     "INVALID_QUERY_FILTER_OPERATOR"),
    ("SELECT Id FROM Account WHERE IsDeleted = 'true'", "INVALID_QUERY_FILTER_OPERATOR"),
    ("SELECT Id FROM Account WHERE Id = 'not-an-id'", "INVALID_QUERY_FILTER_OPERATOR"),
    ("SELECT Id FROM Account WHERE Entitlement_Summary__c = 'x'", "INVALID_FIELD"),
    ("SELECT Id FROM Account ORDER BY Entitlement_Summary__c", "INVALID_FIELD"),
    ("SELECT Id FROM Account WHERE Owner.Name = 'x'", "INVALID_FIELD"),
    ("SELECT Id FROM Account OFFSET 2001", "NUMBER_OUTSIDE_VALID_RANGE"),
])
def test_semantic_errors(store: Store, text: str, code: str) -> None:
    assert error_of(store, text).error_code == code


# evaluation -------------------------------------------------------------------
def test_text_equality_and_like_are_case_insensitive(store: Store) -> None:
    assert names(store, "SELECT Name FROM Account WHERE Name = 'ACME'") == ["Acme"]
    assert names(store, "SELECT Name FROM Account WHERE Name LIKE 'b%'") == ["beta_co"]
    assert names(store, "SELECT Name FROM Account WHERE Name LIKE 'Acm_'") == ["Acme"]
    assert names(store, "SELECT Name FROM Account WHERE Name LIKE '%100\\%'") == [
        "O'Brien 100%"]
    assert names(store, "SELECT Name FROM Account WHERE Name LIKE 'beta\\_%'") == ["beta_co"]
    assert names(store, "SELECT Name FROM Account WHERE Name = 'O\\'Brien 100%'") == [
        "O'Brien 100%"]


def test_not_equal_and_not_in_keep_nulls(store: Store) -> None:
    assert names(store, "SELECT Name FROM Account WHERE Industry != 'Banking'") == [
        "beta_co", "O'Brien 100%"]
    assert names(store, "SELECT Name FROM Account WHERE Industry NOT IN ('Retail')") == [
        "Acme", "beta_co"]
    assert names(store, "SELECT Name FROM Account WHERE Industry = null") == ["beta_co"]
    assert names(store, "SELECT Name FROM Account WHERE Industry IN ('Retail', 'Banking')") \
        == ["Acme", "O'Brien 100%"]


def test_boolean_logic_and_parentheses(store: Store) -> None:
    text = ("SELECT Name FROM Account WHERE (Industry = 'Banking' OR Support_Tier__c = "
            "'Gold') AND NOT Name LIKE 'b%'")
    assert names(store, text) == ["Acme"]
    assert names(store, "SELECT Name FROM Account WHERE NOT (Industry = null)") == [
        "Acme", "O'Brien 100%"]


def test_datetimes_compare_as_instants(store: Store) -> None:
    # beta_co's SystemModstamp was written as 10:00+01:00, i.e. 09:00Z
    text = "SELECT Name FROM Account WHERE SystemModstamp = 2026-01-05T09:00:00Z"
    assert names(store, text) == ["beta_co"]
    text = "SELECT Name FROM Account WHERE SystemModstamp > 2026-01-05T10:00:00+02:00"
    assert names(store, text) == ["beta_co", "O'Brien 100%"]


def test_dates_compare_as_dates_and_date_literals(store: Store) -> None:
    assert names(store, "SELECT Name FROM Account WHERE Renewal_Date__c < 2026-02-01") == [
        "O'Brien 100%"]
    assert names(store, "SELECT Name FROM Account WHERE Renewal_Date__c = TOMORROW") == [
        "O'Brien 100%"]
    assert names(store, "SELECT Name FROM Account WHERE SystemModstamp = TODAY") == [
        "Acme", "beta_co", "O'Brien 100%"]
    assert names(store, "SELECT Name FROM Account WHERE Renewal_Date__c = NEXT_N_DAYS:60") \
        == ["Acme", "O'Brien 100%"]
    assert names(store, "SELECT Name FROM Account WHERE CreatedDate < YESTERDAY") == []


def test_order_by_several_fields_with_nulls(store: Store) -> None:
    assert names(store, "SELECT Name FROM Account ORDER BY Industry") == [
        "beta_co", "Acme", "O'Brien 100%"]
    assert names(store, "SELECT Name FROM Account ORDER BY Industry DESC") == [
        "O'Brien 100%", "Acme", "beta_co"]
    assert names(store, "SELECT Name FROM Account ORDER BY Industry NULLS LAST") == [
        "Acme", "O'Brien 100%", "beta_co"]
    assert names(store, "SELECT Name FROM Account ORDER BY SystemModstamp DESC, Name") == [
        "O'Brien 100%", "beta_co", "Acme"]


def test_limit_offset_and_count(store: Store) -> None:
    assert names(store, "SELECT Name FROM Account ORDER BY Name LIMIT 2 OFFSET 1") == [
        "beta_co", "O'Brien 100%"]
    compiled = compile_query("SELECT COUNT() FROM Account WHERE Industry != null", store.object)
    assert compiled.count_only
    assert len(compiled.run(store.rows("Account"), NOW.date())) == 2


def test_ids_match_in_15_and_18_characters(store: Store) -> None:
    record = store.all("Account")[0]
    for form in (record["Id"], record["Id"][:15]):
        assert names(store, f"SELECT Name FROM Account WHERE Id = '{form}'") == ["Acme"]


def test_cursor_pair_filter_finds_ties_after_the_cursor() -> None:
    st = Store(clock=lambda: NOW)
    made = [st.insert("Account", {"Name": f"A{i}"}) for i in range(5)]  # one SystemModstamp
    stamp = "2026-01-05T09:00:00.000Z"
    text = (f"SELECT Id FROM Account WHERE SystemModstamp > {stamp} OR "
            f"(SystemModstamp = {stamp} AND Id > '{made[1]}') ORDER BY SystemModstamp, Id")
    compiled = compile_query(text, st.object)
    got = [r["Id"] for r in compiled.run(st.rows("Account"), NOW.date())]
    assert got == made[2:]
