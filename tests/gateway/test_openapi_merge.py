"""Merging the services' OpenAPI documents."""

from __future__ import annotations

from typing import Any

from gateway.openapi_merge import merge


def document(title: str, paths: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "1", "description": f"{title} service"},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }


def op(ref: str, tag: str = "things", operation_id: str = "x") -> dict[str, Any]:
    return {
        "get": {
            "tags": [tag],
            "operationId": operation_id,
            "security": [{"bearerAuth": []}],
            "responses": {
                "200": {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}
            },
        }
    }


PROBLEM = {"type": "object", "properties": {"title": {"type": "string"}}}


def test_paths_prefixed_identical_components_once_conflicts_renamed() -> None:
    catalog = document(
        "Catalogue",
        {"/sessions": op("Session", "sessions", "catalog_list"), "/healthz": op("Problem")},
        {
            "Session": {"type": "object", "properties": {"seats": {"type": "integer"}}},
            "Problem": PROBLEM,
        },
    )
    enrollment = document(
        "Enrollment",
        {"/sessions": op("Session", "sessions", "enrollment_list"), "/problem": op("Problem")},
        {
            "Session": {"type": "object", "properties": {"capacity": {"type": "integer"}}},
            "Problem": PROBLEM,
        },
    )
    merged = merge(
        {"catalog": catalog, "enrollment": enrollment},
        title="API",
        version="1",
        description="d",
        prefix="/api/v1",
    )

    assert set(merged["paths"]) == {
        "/api/v1/catalog/sessions",
        "/api/v1/enrollment/sessions",
        "/api/v1/enrollment/problem",
    }
    schemas = merged["components"]["schemas"]
    assert set(schemas) == {"Session", "EnrollmentSession", "Problem"}
    assert schemas["Session"]["properties"] == {"seats": {"type": "integer"}}
    assert schemas["EnrollmentSession"]["properties"] == {"capacity": {"type": "integer"}}
    enrollment_ref = merged["paths"]["/api/v1/enrollment/sessions"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]["$ref"]
    assert enrollment_ref == "#/components/schemas/EnrollmentSession"
    assert merged["paths"]["/api/v1/catalog/sessions"]["get"]["tags"] == ["catalog · sessions"]
    assert merged["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert {t["name"] for t in merged["tags"]} >= {"catalog · sessions", "enrollment · sessions"}


def test_a_component_that_refers_to_a_renamed_one_is_renamed_too() -> None:
    """`List` is textually identical in both, but its `$ref` points at a different `Item`."""
    listing = {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}
    first = document("A", {"/l": op("List")}, {"List": listing, "Item": {"type": "string"}})
    second = document("B", {"/l": op("List")}, {"List": listing, "Item": {"type": "integer"}})

    schemas = merge({"a": first, "b": second}, title="t", version="1", description="d")["components"][
        "schemas"
    ]

    assert schemas["BItem"] == {"type": "integer"}
    assert schemas["BList"]["items"] == {"$ref": "#/components/schemas/BItem"}
    assert schemas["List"]["items"] == {"$ref": "#/components/schemas/Item"}


def test_unreferenced_components_are_dropped() -> None:
    doc = document("A", {"/healthz": op("Liveness")}, {"Liveness": {"type": "object"}})
    merged = merge({"a": doc}, title="t", version="1", description="d")
    assert merged["paths"] == {}
    assert merged["components"]["schemas"] == {}
