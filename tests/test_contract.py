"""The committed contract in openapi/ matches the code, and reads well in Swagger UI."""

from __future__ import annotations

import importlib
import json
import pkgutil
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError

import services
from devtools.contract import OPENAPI_DIR, check_openapi
from gateway.settings import GatewaySettings


def test_committed_openapi_matches_the_code() -> None:
    assert check_openapi() == [], "run `make openapi` and commit the result"


def merged() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((OPENAPI_DIR / "openapi.json").read_text())
    return document


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in merged()["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def test_every_operation_has_summary_description_and_unique_id() -> None:
    ids = [operation["operationId"] for _, _, operation in operations()]
    assert len(ids) == len(set(ids))
    for path, method, operation in operations():
        assert operation.get("summary"), f"{method} {path} has no summary"
        assert operation.get("description"), f"{method} {path} has no docstring"


def test_every_api_operation_requires_the_bearer_token_and_documents_401() -> None:
    """All but the unlinkable ones (an anonymous ballot) and those keyed by a secret in their address (a
    calendar feed), which are exactly those the gateway takes without a token: they cannot drift apart."""
    unlinkable = set()
    secret = set()
    for path, method, operation in operations():
        if not path.startswith("/api/v1/"):
            continue
        if operation.get("x-secret-url"):
            assert operation.get("security") == [], f"{method} {path}"
            secret.add(f"{method.upper()} {path}")
            continue
        if operation.get("x-unlinkable"):
            assert operation.get("security") == [], f"{method} {path}"
            assert "401" not in operation["responses"], f"{method} {path}"
            unlinkable.add(f"{method.upper()} {path}")
            continue
        assert operation.get("security") == [{"bearerAuth": []}], f"{method} {path}"
        assert "401" in operation["responses"], f"{method} {path}"
    assert unlinkable == set(GatewaySettings().unlinkable_routes)
    assert secret == set(GatewaySettings().secret_url_routes)


def test_errors_are_documented_as_problem_details() -> None:
    for path, method, operation in operations():
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                schema = response["content"]["application/problem+json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ProblemDetails"}, f"{method} {path} {status}"


def test_event_payloads_are_published() -> None:
    events = json.loads((OPENAPI_DIR / "events.json").read_text())
    assert set(events["topics"]) >= {"catalog.session_scheduled", "enrollment.confirmed"}
    confirmed = events["topics"]["enrollment.confirmed"]
    assert confirmed["payload_version"] == 1
    assert "session_seats_version" in confirmed["payload_schema"]["properties"]


def test_swagger_ui_prefills_the_enrollment_body_with_one_that_is_accepted() -> None:
    """Swagger UI fills a request body from its schema's first example; without one it set all four
    mutually exclusive ids, and "Execute" was refused. Every example given is valid."""
    from services.enrollment.enrollments.schemas import EnrollmentCreate

    body = merged()["paths"]["/api/v1/enrollment/enrollments"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    schema = merged()["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert schema["examples"], "no example: Swagger UI would invent one from every property"
    for example in schema["examples"]:
        EnrollmentCreate.model_validate(example)


# Problems the reading of the code finds that the operation cannot answer with, and why.
UNREACHABLE = {
    ("catalog_publish_offering", "if-match-required"): "If-Match is optional there",
    ("catalog_archive_offering", "if-match-required"): "If-Match is optional there",
    ("enrollment_sync_org_units", "offering-not-found"): "withdrawals load offerings that exist",
    ("enrollment_sync_people", "offering-not-found"): "withdrawals load offerings that exist",
    ("enrollment_sync_leader_groups", "offering-not-found"): "withdrawals load offerings that exist",
    ("enrollment_create_round", "reflection-round-not-found"): "the round was just created",
    ("enrollment_list_rounds", "reflection-round-not-found"): "the rounds were just listed",
    ("enrollment_my_groups", "reflection-round-not-found"): "the rounds were just read",
    # A coordinator books the request's leader into a session of the request's offering.
    **{
        ("enrollment_book_coaching_session", slug): "one named person in a session, as a coordinator"
        for slug in (
            "not-in-directory",
            "leader-group-not-found",
            "group-has-no-members",
            "offering-not-found",
            "coaching-on-request",
        )
    },
    # Withdrawing cancels the request's own upcoming places as a coordinator would, with a reason.
    **{
        ("enrollment_withdraw_coaching_request", slug): "the request's own places, cancelled with a reason"
        for slug in (
            "cancellation-deadline-passed",
            "reason-required",
            "forbidden",
            "person-not-found",
            "enrollment-not-found",
            "offering-not-found",
        )
    },
}


def test_every_problem_an_operation_can_raise_is_declared_on_it() -> None:
    """Read from the code (`tests/problem_types.py`): each problem type an operation's endpoint, its
    dependencies and the functions they call raise is declared under its status, by its type URI."""
    from fastapi.routing import APIRoute

    from services.kernel import health
    from services.kernel.eventbus import admin as eventbus_admin
    from services.kernel.problems import problem_type
    from services.registry import SERVICES
    from tests.problem_types import problems_of

    undeclared = []
    for service in SERVICES:
        definition = service.definition
        document = json.loads((OPENAPI_DIR / f"{definition.name}.json").read_text())
        by_id = {
            op["operationId"]: op
            for item in document["paths"].values()
            for op in item.values()
            if isinstance(op, dict) and "operationId" in op
        }
        routers = [
            health.router,
            *definition.routers,
            *([eventbus_admin.router] if definition.subscriptions else []),
        ]
        for router in routers:
            for route in router.routes:
                if not isinstance(route, APIRoute) or not route.include_in_schema:
                    continue
                operation_id = f"{definition.name}_{route.name}"
                responses = by_id[operation_id]["responses"]
                for problem in problems_of(route):
                    declared = responses.get(str(problem.status), {}).get("description", "")
                    if (
                        problem_type(problem.slug) not in declared
                        and (operation_id, problem.slug) not in UNREACHABLE
                    ):
                        undeclared.append(f"{operation_id}: {problem.status} {problem.slug}")
    assert undeclared == []


def test_hr_sync_bodies_document_their_records() -> None:
    """An integrator sees each record's fields before sending (records are still validated one by one,
    so a bad one is reported beside the good ones)."""
    schemas = merged()["components"]["schemas"]

    def items(path: str) -> dict[str, Any]:
        body = merged()["paths"][f"/api/v1/enrollment/directory{path}"]["post"]["requestBody"]
        name = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        record: dict[str, Any] = schemas[name]["properties"]["records"]["items"]
        return record

    units = items("/sync/org-units")
    assert set(units["required"]) >= {"external_id", "name", "kind"}
    assert "agency" in units["properties"]["kind"]["enum"]
    people = items("/sync/people")
    assert "pattern" in people["properties"]["email"]
    assert "entra_oid" in people["properties"]
    groups = items("/sync/leader-groups")
    assert groups["properties"]["members"]["items"]["properties"]["person_external_id"]


def swagger_prefill(schema: dict[str, Any], schemas: dict[str, Any]) -> Any:
    """The body Swagger UI fills in for a schema, near enough: the schema's first example if it has one,
    else its default, else a value made from its properties (first enum value, "string", 0, now...)."""
    if "$ref" in schema:
        return swagger_prefill(schemas[schema["$ref"].rsplit("/", 1)[1]], schemas)
    if schema.get("examples"):
        return schema["examples"][0]
    if "default" in schema:
        return schema["default"]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"] or schema[key]
            return swagger_prefill(options[0], schemas)
    if "enum" in schema:
        return schema["enum"][0]
    if schema.get("type") == "object" or "properties" in schema:
        return {name: swagger_prefill(s, schemas) for name, s in schema.get("properties", {}).items()}
    if schema.get("type") == "array":
        return [swagger_prefill(schema.get("items", {}), schemas)]
    made = {"uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "date-time": datetime.now(UTC).isoformat()}
    return {"string": made.get(schema.get("format", ""), "string"), "integer": 0, "number": 0}.get(
        schema.get("type", ""), True if schema.get("type") == "boolean" else None
    )


def test_every_request_body_swagger_ui_fills_in_is_accepted() -> None:
    """A new user presses "Try it out" and "Execute": the body Swagger UI filled in passes validation
    (refusals after that, such as an unknown id, are the service's answer, not a broken form)."""
    models: dict[str, type[BaseModel]] = {}
    for module in pkgutil.walk_packages(services.__path__, "services."):
        if ".migrations" not in module.name:
            for name, value in vars(importlib.import_module(module.name)).items():
                if isinstance(value, type) and issubclass(value, BaseModel):
                    models.setdefault(name, value)
    schemas = merged()["components"]["schemas"]
    refused = []
    for path, method, operation in operations():
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is None:
            continue
        name = body["schema"]["$ref"].rsplit("/", 1)[1]
        try:
            models[name].model_validate(swagger_prefill(body["schema"], schemas))
        except ValidationError as exc:
            refused.append(f"{method} {path} ({name}): {exc.errors()[0]['loc']} {exc.errors()[0]['type']}")
    assert refused == []


def test_what_an_operation_creates_is_linked_to_the_operations_on_it() -> None:
    """A stateful client (Schemathesis's stateful phase among them) follows the links from a 201 to the
    operations on what was created, with the created id as their path parameter."""
    paths = merged()["paths"]
    created = paths["/api/v1/catalog/offerings"]["post"]["responses"]["201"]["links"]
    assert created["catalog_get_offering"] == {
        "operationId": "catalog_get_offering",
        "parameters": {"offering_id": "$response.body#/id"},
    }
    assert "catalog_publish_offering" in created
    rounds = paths["/api/v1/enrollment/offerings/{offering_id}/reflection-rounds"]["post"]
    assert rounds["responses"]["201"]["links"]["enrollment_get_round"]["parameters"] == {
        "round_id": "$response.body#/id"
    }
    templates = paths["/api/v1/feedback/survey-templates"]["post"]["responses"]["201"]["links"]
    assert templates["feedback_list_template_versions"]["parameters"] == {"key": "$response.body#/key"}
    ids = {op["operationId"] for item in paths.values() for op in item.values() if isinstance(op, dict)}
    for item in paths.values():
        for operation in item.values():
            for link in operation.get("responses", {}).get("201", {}).get("links", {}).values():
                assert link["operationId"] in ids
