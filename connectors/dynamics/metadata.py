"""What a table looks like: entity set, primary id, columns, alternate keys, lookups.

Read once per connector from the metadata endpoints
``EntityDefinitions(LogicalName='t')`` (+ ``/Attributes``, ``/Keys``,
``/ManyToOneRelationships``, and the choice values from
``/Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$expand=OptionSet``:
``OptionSet`` is a navigation property, not in the plain attribute list).

The mapping names a table by its logical name (``account``) and a column by
the name it has in a row: a lookup column ``chub_accountid`` is
``_chub_accountid_value`` (the target's id), and the connector writes it
through the relationship's navigation property
(``"chub_AccountId@odata.bind": "/accounts(<id>)"``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.base import ConfigError, FieldSpec, FieldType, ObjectSpec

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
TYPES: dict[str, FieldType] = {
    "String": "string", "Memo": "text", "EntityName": "string", "Integer": "integer",
    "BigInt": "integer", "Decimal": "number", "Money": "number", "Double": "number",
    "Boolean": "boolean", "Picklist": "enum", "State": "enum", "Status": "enum",
    "Lookup": "reference", "Customer": "reference", "Owner": "reference",
    "Uniqueidentifier": "id",
}


@dataclass(frozen=True)
class Lookup:
    nav: str
    target_set: str


@dataclass(frozen=True)
class TableInfo:
    logical_name: str
    entity_set: str
    primary_id: str
    spec: ObjectSpec
    lookups: Mapping[str, Lookup] = field(default_factory=dict)
    """By the row name (``_x_value``): how to write it."""


def checked_name(name: str, what: str = "table or column") -> str:
    if not isinstance(name, str) or not NAME.match(name):
        raise ConfigError(f"dynamics: {name!r} is not a {what} name")
    return name


def field_specs(attributes: list[Mapping[str, Any]], keys: list[Mapping[str, Any]],
                choices: Mapping[str, tuple[str, ...]]) -> dict[str, FieldSpec]:
    """Field specs by row name; ``choices`` are the option values of choice columns."""
    key_columns = {c for k in keys for c in k.get("KeyAttributes") or ()}
    specs: dict[str, FieldSpec] = {}
    for a in attributes:
        logical, kind = str(a.get("LogicalName")), str(a.get("AttributeType"))
        ftype: FieldType = TYPES.get(kind, "string")
        if kind == "DateTime":
            ftype = "date" if a.get("Format") == "DateOnly" else "datetime"
        name = f"_{logical}_value" if ftype == "reference" else logical
        label = ((a.get("DisplayName") or {}).get("UserLocalizedLabel") or {}).get("Label")
        specs[name] = FieldSpec(
            name=name, type=ftype,
            writable=bool(a.get("IsValidForCreate") or a.get("IsValidForUpdate"))
            and kind != "Owner",
            external_id=logical in key_columns,
            choices=choices.get(logical, ()) if ftype == "enum" else (), label=label)
    return specs


def option_values(answer: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Choice column -> its option values, from the ``PicklistAttributeMetadata`` cast."""
    return {str(a.get("LogicalName")): tuple(
        str(o.get("Value")) for o in (a.get("OptionSet") or {}).get("Options") or ())
        for a in answer.get("value") or ()}


def lookups(relationships: list[Mapping[str, Any]], entity_sets: Mapping[str, str]
            ) -> dict[str, Lookup]:
    out = {}
    for r in relationships:
        target = entity_sets.get(str(r.get("ReferencedEntity")))
        nav = r.get("ReferencingEntityNavigationPropertyName")
        if target and nav:
            out[f"_{r['ReferencingAttribute']}_value"] = Lookup(str(nav), target)
    return out
