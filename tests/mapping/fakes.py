"""Test data for the mapping tests: a fake remote describe and local entity fields."""

from __future__ import annotations

from pathlib import Path

from connectors.base import FieldSpec, ObjectSpec

HERE = Path(__file__).parent


def _spec(name: str, *fields: FieldSpec) -> ObjectSpec:
    return ObjectSpec(name=name, fields={f.name: f for f in fields})


CONTRACT_SPEC = _spec(
    "Contract",
    FieldSpec("Id", "id", writable=False),
    FieldSpec("ContractNumber", "string", writable=False, label="Contract Number"),
    FieldSpec("Name", "string", label="Contract Name"),
    FieldSpec("Status", "enum", choices=("Draft", "In Approval Process", "Activated", "Expired")),
    FieldSpec("StartDate", "date", label="Contract Start Date"),
    FieldSpec("EndDate", "date", label="Contract End Date"),
    FieldSpec("OwnerExpirationNotice", "integer"),
    FieldSpec("Auto_Renew__c", "boolean", label="Auto Renew"),
    FieldSpec("Contract_Value__c", "number", label="Contract Value"),
    FieldSpec("Uptime_Target__c", "number", label="Uptime Target"),
    FieldSpec("AccountId", "reference", label="Account ID"),
    FieldSpec("Support_Tier__c", "enum", label="Support Tier",
              choices=("Basic", "Standard", "Premium", "Enterprise")),
    FieldSpec("Description", "text"),
    FieldSpec("Source__c", "string"),
    FieldSpec("Coverage__c", "string"),
    FieldSpec("ContractHub_Id__c", "string", external_id=True, label="ContractHub Id"),
    FieldSpec("Signed_At__c", "datetime", label="Signed At"),
    FieldSpec("SystemModstamp", "datetime", writable=False),
    # Jira-style custom fields whose labels repeat.
    FieldSpec("customfield_10010", "string", label="Tier"),
    FieldSpec("customfield_10020", "string", label="Tier"),
)

ACCOUNT_SPEC = _spec(
    "Account",
    FieldSpec("Id", "id", writable=False),
    FieldSpec("Name", "string"),
    FieldSpec("Website", "string"),
    FieldSpec("BillingStreet", "text"),
    FieldSpec("BillingCity", "string"),
    FieldSpec("BillingCountry", "string"),
    FieldSpec("Contract_Status__c", "string"),
    FieldSpec("Support_Tier__c", "enum", choices=("Basic", "Standard", "Premium", "Enterprise")),
    FieldSpec("Renewal_Date__c", "date"),
    FieldSpec("Entitlement_Summary__c", "text"),
    FieldSpec("ContractHub_Id__c", "string", external_id=True),
)

REMOTE_SPECS = {"Contract": CONTRACT_SPEC, "Account": ACCOUNT_SPEC}

CUSTOMER_FIELDS = {
    "id": "string", "name": "string", "domain": "string", "timezone": "string",
    "billing_street": "string", "billing_city": "string", "billing_country": "string",
    "owner": "string", "contract_status": "string", "support_tier": "string",
    "renewal_date": "date", "entitlement_summary": "text",
}

CONTRACT_FIELDS = {
    "id": "string", "number": "string", "customer_id": "reference:customer", "kind": "string",
    "status": "string", "start_date": "date", "end_date": "date",
    "renewal_notice_days": "integer", "auto_renew": "boolean", "value": "number",
    "currency": "string", "tier": "string", "coverage": "string", "timezone": "string",
    "uptime_target": "number", "version": "integer", "parent_id": "reference:contract",
    "description": "text",
}

LOCAL_FIELDS = {"customer": CUSTOMER_FIELDS, "contract": CONTRACT_FIELDS}


class FakeLinks:
    """A MappingContext over an in-memory table of sync links."""

    def __init__(self, links: dict[str, dict[str, str]]) -> None:
        self.links = links  # entity -> local id -> remote id

    def remote_id_for(self, entity: str, local_id: str) -> str | None:
        return self.links.get(entity, {}).get(local_id)

    def local_id_for(self, entity: str, remote_id: str) -> str | None:
        for local, remote in self.links.get(entity, {}).items():
            if remote == remote_id:
                return local
        return None
