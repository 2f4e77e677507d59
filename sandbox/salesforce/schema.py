"""The objects the emulator knows: Account and Contract, plus custom fields.

Field properties follow the Salesforce object reference: system fields
(``Id``, ``IsDeleted``, ``CreatedDate``, ``LastModifiedDate``,
``SystemModstamp``) and ``Contract.ContractNumber`` (auto-number) and
``Contract.EndDate`` (calculated from ``StartDate`` + ``ContractTerm``) are
read-only; ``Account.Name`` and ``Contract.AccountId`` are required;
``Contract.Status`` is a restricted picklist defaulting to ``Draft``.
Long text areas (over 255 characters) can be neither filtered nor sorted.

Custom fields come from a config such as
``{"Account": [{"name": "Tier__c", "type": "string", "externalId": True}]}``
and are added after the standard fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sandbox.salesforce import ids

FIELD_TYPES = {
    "id", "string", "textarea", "picklist", "reference", "boolean", "date", "datetime",
    "int", "double", "currency", "percent", "email", "phone", "url",
}
_SOAP_TYPES = {
    "id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean", "date": "xsd:date",
    "datetime": "xsd:dateTime", "int": "xsd:int", "double": "xsd:double",
    "currency": "xsd:double", "percent": "xsd:double",
}
INDUSTRIES = (
    "Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals", "Communications",
    "Construction", "Consulting", "Education", "Electronics", "Energy", "Engineering",
    "Entertainment", "Environmental", "Finance", "Food & Beverage", "Government",
    "Healthcare", "Hospitality", "Insurance", "Machinery", "Manufacturing", "Media",
    "Not For Profit", "Other", "Recreation", "Retail", "Shipping", "Technology",
    "Telecommunications", "Transportation", "Utilities",
)
CONTRACT_STATUSES = ("Draft", "In Approval Process", "Activated")

DEFAULT_CUSTOM_FIELDS: dict[str, list[dict[str, Any]]] = {
    "Account": [
        {"name": "ContractHub_Id__c", "type": "string", "externalId": True, "unique": True},
        {"name": "Support_Tier__c", "type": "string"},
        {"name": "Contract_Status__c", "type": "string"},
        {"name": "Renewal_Date__c", "type": "date"},
        {"name": "Entitlement_Summary__c", "type": "textarea", "length": 32768},
        {"name": "Renewal_Alert__c", "type": "string"},
    ],
    "Contract": [
        {"name": "ContractHub_Id__c", "type": "string", "externalId": True},
        {"name": "Renewal_Date__c", "type": "date"},
        {"name": "Support_Tier__c", "type": "string"},
        # the hub's eight statuses: the standard Status picklist has three
        {"name": "Contract_Status__c", "type": "picklist", "restricted": True,
         "picklistValues": ["Draft", "Pending Approval", "Approved", "Out for Signature",
                            "Active", "Expired", "Terminated", "Cancelled"]},
    ],
}


@dataclass(frozen=True)
class FieldDef:
    """One field and the properties the describe call reports."""

    name: str
    type: str
    label: str = ""
    length: int = 0
    createable: bool = True
    updateable: bool = True
    nillable: bool = True
    external_id: bool = False
    unique: bool = False
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    default: Any = None
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    custom: bool = False
    auto_number: bool = False
    calculated: bool = False

    @property
    def filterable(self) -> bool:
        return not (self.type == "textarea" and self.length > 255)

    @property
    def sortable(self) -> bool:
        return self.filterable

    @property
    def required(self) -> bool:
        """Must be given on create (not nillable and not defaulted)."""
        return self.createable and not self.nillable and self.default is None

    def describe(self) -> dict[str, Any]:
        text = self.type in ("string", "textarea", "picklist", "email", "phone", "url")
        return {
            "name": self.name,
            "label": self.label or self.name.removesuffix("__c").replace("_", " "),
            "type": self.type,
            "soapType": _SOAP_TYPES.get(self.type, "xsd:string"),
            "length": self.length if text else 0,
            "byteLength": self.length * 3 if text else (18 if self.type in _ID_TYPES else 0),
            "digits": 9 if self.type == "int" else 0,
            "precision": 18 if self.type in ("double", "currency", "percent") else 0,
            "scale": 2 if self.type in ("double", "currency", "percent") else 0,
            "createable": self.createable,
            "updateable": self.updateable,
            "nillable": self.nillable,
            "defaultedOnCreate": self.default is not None or self.name in _SYSTEM_DEFAULTED,
            "defaultValue": self.default if self.type != "picklist" else None,
            "externalId": self.external_id,
            "unique": self.unique,
            "idLookup": self.type == "id" or self.external_id,
            "caseSensitive": False,
            "filterable": self.filterable,
            "sortable": self.sortable,
            "groupable": self.filterable and self.type not in ("double", "currency", "datetime"),
            "custom": self.custom,
            "calculated": self.calculated,
            "autoNumber": self.auto_number,
            "restrictedPicklist": self.restricted,
            "picklistValues": [
                {"active": True, "defaultValue": value == self.default, "label": value,
                 "validFor": None, "value": value}
                for value in self.picklist
            ],
            "referenceTo": list(self.reference_to),
            "relationshipName": self.relationship_name,
        }


_ID_TYPES = ("id", "reference")
_SYSTEM_DEFAULTED = {"Id", "IsDeleted", "CreatedDate", "LastModifiedDate", "SystemModstamp",
                     "OwnerId"}


@dataclass
class ObjectDef:
    """One sObject type: its name, key prefix and ordered fields."""

    name: str
    label: str
    label_plural: str
    key_prefix: str
    fields: dict[str, FieldDef] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_lower = {name.lower(): f for name, f in self.fields.items()}

    def add(self, definition: FieldDef) -> None:
        if definition.name.lower() in self._by_lower:
            raise ValueError(f"{self.name}.{definition.name} is defined twice")
        self.fields[definition.name] = definition
        self._by_lower[definition.name.lower()] = definition

    def field(self, name: str) -> FieldDef | None:
        """The field named ``name``, case-insensitively, or None."""
        return self._by_lower.get(name.lower())

    def external_ids(self) -> list[FieldDef]:
        return [f for f in self.fields.values() if f.external_id]

    def describe(self, version: str) -> dict[str, Any]:
        out = self.basic(version)
        out["fields"] = [f.describe() for f in self.fields.values()]
        out["urls"]["uiDetailTemplate"] = None
        out["childRelationships"] = []
        out["recordTypeInfos"] = []
        return out

    def basic(self, version: str) -> dict[str, Any]:
        base = f"/services/data/v{version}/sobjects/{self.name}"
        return {
            "name": self.name, "label": self.label, "labelPlural": self.label_plural,
            "keyPrefix": self.key_prefix, "custom": False, "createable": True,
            "updateable": True, "deletable": True, "undeletable": True, "queryable": True,
            "retrieveable": True, "replicateable": True, "searchable": True,
            "layoutable": True, "triggerable": True, "activateable": False,
            "urls": {"sobject": base, "describe": f"{base}/describe",
                     "rowTemplate": f"{base}/{{ID}}"},
        }


def _system_fields(prefix_label: str) -> list[FieldDef]:
    ro = {"createable": False, "updateable": False, "nillable": False}
    return [
        FieldDef("Id", "id", f"{prefix_label} ID", length=18, **ro),
        FieldDef("IsDeleted", "boolean", "Deleted", **ro),
        FieldDef("CreatedDate", "datetime", "Created Date", **ro),
        FieldDef("LastModifiedDate", "datetime", "Last Modified Date", **ro),
        FieldDef("SystemModstamp", "datetime", "System Modstamp", **ro),
    ]


def _account() -> ObjectDef:
    obj = ObjectDef("Account", "Account", "Accounts", ids.KEY_PREFIXES["Account"])
    for f in _system_fields("Account"):
        obj.add(f)
    for f in (
        FieldDef("Name", "string", "Account Name", length=255, nillable=False),
        FieldDef("BillingStreet", "textarea", "Billing Street", length=255),
        FieldDef("BillingCity", "string", "Billing City", length=40),
        FieldDef("BillingCountry", "string", "Billing Country", length=80),
        FieldDef("OwnerId", "reference", "Owner ID", length=18, nillable=False,
                 reference_to=("User",), relationship_name="Owner", default=ids.USER_ID),
        FieldDef("Industry", "picklist", "Industry", length=255, picklist=INDUSTRIES),
    ):
        obj.add(f)
    return obj


def _contract() -> ObjectDef:
    obj = ObjectDef("Contract", "Contract", "Contracts", ids.KEY_PREFIXES["Contract"])
    for f in _system_fields("Contract"):
        obj.add(f)
    for f in (
        FieldDef("AccountId", "reference", "Account ID", length=18, nillable=False,
                 reference_to=("Account",), relationship_name="Account"),
        FieldDef("ContractNumber", "string", "Contract Number", length=30,
                 createable=False, updateable=False, nillable=False, auto_number=True),
        FieldDef("Status", "picklist", "Status", length=40, nillable=False,
                 picklist=CONTRACT_STATUSES, restricted=True, default="Draft"),
        FieldDef("StartDate", "date", "Contract Start Date"),
        FieldDef("EndDate", "date", "Contract End Date", createable=False,
                 updateable=False, calculated=True),
        FieldDef("ContractTerm", "int", "Contract Term"),
        FieldDef("Description", "textarea", "Description", length=32000),
        FieldDef("OwnerId", "reference", "Owner ID", length=18, nillable=False,
                 reference_to=("User",), relationship_name="Owner", default=ids.USER_ID),
    ):
        obj.add(f)
    return obj


def custom_field(obj_name: str, spec: Mapping[str, Any]) -> FieldDef:
    """A ``FieldDef`` from one custom-field config entry (validated)."""
    name = spec.get("name")
    ftype = spec.get("type", "string")
    if not isinstance(name, str) or not name.endswith("__c"):
        raise ValueError(f"{obj_name}: custom field name must end with '__c', got {name!r}")
    if ftype not in FIELD_TYPES - {"id"}:
        raise ValueError(f"{obj_name}.{name}: unknown type {ftype!r}")
    default_length = {"string": 255, "textarea": 255, "picklist": 255}.get(ftype, 0)
    external = bool(spec.get("externalId", False))
    if external and ftype not in ("string", "int", "double", "email"):
        raise ValueError(f"{obj_name}.{name}: an external id must be text, number or email")
    return FieldDef(
        name=name,
        type=ftype,
        label=str(spec.get("label", "")),
        length=int(spec.get("length", default_length)),
        nillable=not bool(spec.get("required", False)),
        external_id=external,
        unique=bool(spec.get("unique", False)),
        picklist=tuple(spec.get("picklistValues", ())),
        restricted=bool(spec.get("restricted", False)),
        reference_to=tuple(spec.get("referenceTo", ())),
        custom=True,
    )


def build_schema(
    custom_fields: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
) -> dict[str, ObjectDef]:
    """Account and Contract with ``custom_fields`` (default: the hub's set)."""
    objects = {"Account": _account(), "Contract": _contract()}
    config = DEFAULT_CUSTOM_FIELDS if custom_fields is None else custom_fields
    for obj_name, specs in config.items():
        obj = objects.get(obj_name)
        if obj is None:
            raise ValueError(f"custom fields for unknown object {obj_name!r}")
        for spec in specs:
            obj.add(custom_field(obj_name, spec))
    return objects
