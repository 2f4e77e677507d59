"""The emulated org's tables: ``account`` and the custom ``chub_supportcontract``.

A table has a logical name, an entity set name, a primary id column, columns
and alternate keys. Column types are Dataverse ``AttributeType`` values
(String, Memo, Integer, Decimal, Money, Boolean, DateTime, Lookup, Owner,
Picklist, Uniqueidentifier, BigInt); a DateTime column with ``date_only``
has the ``DateOnly`` format and reads as ``YYYY-MM-DD``. A lookup column
``x`` reads as ``_x_value`` and is written through its single-valued
navigation property: ``"nav@odata.bind": "/accounts(<guid>)"``.

Extra columns can be declared per table (``build_schema(extra=...)``), as an
admin adds custom columns to an org.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

TIERS = {"Basic": 100000000, "Standard": 100000001, "Premium": 100000002,
         "Enterprise": 100000003}
STATUSES = {"Draft": 100000000, "Pending Approval": 100000001, "Approved": 100000002,
            "Out for Signature": 100000003, "Active": 100000004, "Expired": 100000005,
            "Terminated": 100000006, "Cancelled": 100000007}


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "String"
    max_length: int | None = None
    options: Mapping[str, int] = field(default_factory=dict)
    targets: tuple[str, ...] = ()
    nav: str | None = None
    writable: bool = True
    date_only: bool = False
    label: str | None = None

    @property
    def wire_name(self) -> str:
        """The property name in a row: ``_x_value`` for lookups and owners."""
        return f"_{self.name}_value" if self.type in ("Lookup", "Owner") else self.name


@dataclass
class Table:
    logical_name: str
    entity_set: str
    primary_id: str
    primary_name: str
    columns: dict[str, Column]
    keys: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def by_wire_name(self) -> dict[str, Column]:
        return {c.wire_name: c for c in self.columns.values()}

    def nav_property(self, name: str) -> Column | None:
        for c in self.columns.values():
            if c.nav == name:
                return c
        return None

    @property
    def type_name(self) -> str:
        return f"Microsoft.Dynamics.CRM.{self.logical_name}"


def _system_columns(primary_id: str) -> list[Column]:
    return [Column(primary_id, "Uniqueidentifier"),
            Column("createdon", "DateTime", writable=False),
            Column("modifiedon", "DateTime", writable=False),
            Column("versionnumber", "BigInt", writable=False),
            Column("ownerid", "Owner", targets=("systemuser", "team"), nav="ownerid",
                   writable=False)]


def _account() -> Table:
    cols = _system_columns("accountid") + [
        Column("name", max_length=160, label="Account Name"),
        Column("accountnumber", max_length=20),
        Column("address1_line1", max_length=250),
        Column("address1_city", max_length=80),
        Column("address1_country", max_length=80),
        Column("chub_contracthubid", max_length=100, label="ContractHub Id"),
        Column("chub_contractstatus", max_length=100, label="Contract Status"),
        Column("chub_supporttier", "Picklist", options=TIERS, label="Support Tier"),
        Column("chub_renewaldate", "DateTime", date_only=True, label="Renewal Date"),
        Column("chub_entitlementsummary", "Memo", max_length=4000,
               label="Entitlement Summary"),
        Column("chub_renewalalert", max_length=255, label="Renewal Alert"),
    ]
    return Table("account", "accounts", "accountid", "name", {c.name: c for c in cols},
                 keys={"chub_contracthubid_key": ("chub_contracthubid",)})


def _support_contract() -> Table:
    cols = _system_columns("chub_supportcontractid") + [
        Column("chub_name", max_length=100, label="Contract Number"),
        Column("chub_contracthubid", max_length=100, label="ContractHub Id"),
        Column("chub_accountid", "Lookup", targets=("account",), nav="chub_AccountId",
               label="Account"),
        Column("chub_contractstatus", "Picklist", options=STATUSES, label="Contract Status"),
        Column("chub_supporttier", "Picklist", options=TIERS, label="Support Tier"),
        Column("chub_startdate", "DateTime", date_only=True, label="Start Date"),
        Column("chub_renewaldate", "DateTime", date_only=True, label="Renewal Date"),
        Column("chub_description", "Memo", max_length=2000, label="Description"),
    ]
    return Table("chub_supportcontract", "chub_supportcontracts", "chub_supportcontractid",
                 "chub_name", {c.name: c for c in cols},
                 keys={"chub_contracthubid_key": ("chub_contracthubid",)})


def build_schema(extra: Mapping[str, Iterable[Column]] | None = None) -> dict[str, Table]:
    """Tables by logical name, with ``extra`` columns added per logical name."""
    tables = {t.logical_name: t for t in (_account(), _support_contract())}
    for logical, columns in (extra or {}).items():
        for c in columns:
            tables[logical].columns[c.name] = c
    return tables


def attribute_metadata(table: Table, col: Column) -> dict[str, Any]:
    """One entry of ``EntityDefinitions(LogicalName='t')/Attributes``."""
    kind = {"Picklist": "PicklistAttributeMetadata", "Lookup": "LookupAttributeMetadata",
            "Owner": "LookupAttributeMetadata", "DateTime": "DateTimeAttributeMetadata",
            "String": "StringAttributeMetadata", "Memo": "MemoAttributeMetadata"
            }.get(col.type, f"{col.type}AttributeMetadata")
    meta: dict[str, Any] = {
        "@odata.type": f"#Microsoft.Dynamics.CRM.{kind}",
        "LogicalName": col.name, "SchemaName": col.name, "AttributeType": col.type,
        "IsPrimaryId": col.name == table.primary_id,
        "IsPrimaryName": col.name == table.primary_name,
        "IsValidForCreate": col.writable, "IsValidForUpdate": col.writable
        and col.name != table.primary_id, "IsValidForRead": True,
        "DisplayName": {"UserLocalizedLabel": {"Label": col.label or col.name}},
    }
    if col.max_length is not None:
        meta["MaxLength"] = col.max_length
    if col.targets:
        meta["Targets"] = list(col.targets)
    if col.type == "DateTime":
        meta["Format"] = "DateOnly" if col.date_only else "DateAndTime"
    return meta


def option_set(col: Column) -> dict[str, Any]:
    """A choice column's ``OptionSet`` (a navigation property: only with ``$expand``)."""
    return {"Options": [{"Value": v, "Label": {"UserLocalizedLabel": {"Label": k}}}
                        for k, v in col.options.items()]}
