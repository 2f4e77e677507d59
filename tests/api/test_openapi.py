"""The OpenAPI document: valid, every operation but /healthz secured, answers documented."""

from __future__ import annotations

from openapi_spec_validator import validate

from core.api.schemas import EntitlementOut
from tests.api.conftest import Seeded, TestClient

OPEN = {"/healthz"}


def test_openapi_document_validates(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    validate(spec)
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["bearer"]["description"]}
    assert "reads the remote system" in spec["info"]["description"]


def test_every_operation_is_secured_and_documented(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["paths"], "no paths"
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            where = f"{method.upper()} {path}"
            assert op.get("summary") and op.get("description"), where
            assert "200" in op["responses"], where
            if path in OPEN:
                assert "security" not in op, where
                continue
            assert op.get("security") == [{"bearer": []}], where
            for status in ("401", "403"):
                assert status in op["responses"], f"{where} does not document {status}"
                schema = op["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorOut"}, where


def test_preview_says_it_reads_the_remote(client: TestClient) -> None:
    op = client.get("/openapi.json").json()["paths"]["/v1/mappings/preview"]["post"]
    assert "reads the remote" in op["description"]
    lookup = client.get("/openapi.json").json()["paths"]["/v1/entitlements"]["get"]
    assert "never a remote call" in lookup["description"]


def test_entitlement_schema_is_the_documented_one(client: TestClient, seeded: Seeded) -> None:
    spec = client.get("/openapi.json").json()
    ok = spec["paths"]["/v1/entitlements"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/EntitlementOut"}
    assert set(spec["components"]["schemas"]["EntitlementOut"]["properties"]) == set(
        EntitlementOut.model_fields)
