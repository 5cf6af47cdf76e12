"""Every error is an RFC 9457 problem document with the request id; no client input produces a 500."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from services.kernel.settings import REPO_ROOT
from tests.support import TokenFactory


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


async def test_unknown_route_is_a_404_problem(catalog: httpx.AsyncClient, tokens: TokenFactory) -> None:
    assert_problem(await catalog.get("/no/such/thing", headers=tokens.header()), 404)


async def test_wrong_method_is_a_405_problem(catalog: httpx.AsyncClient, tokens: TokenFactory) -> None:
    assert_problem(await catalog.delete("/sessions", headers=tokens.header()), 405)


async def test_missing_token_is_a_401_problem(catalog: httpx.AsyncClient) -> None:
    response = await catalog.get("/offerings")
    body = assert_problem(response, 401)
    assert body["type"] == "urn:problem:unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer not-a-jwt", "Token abc"])
async def test_bad_authorization_is_a_401_problem(catalog: httpx.AsyncClient, header: str) -> None:
    assert_problem(await catalog.get("/offerings", headers={"Authorization": header}), 401)


async def test_identity_headers_are_not_trusted(catalog: httpx.AsyncClient) -> None:
    headers = {"X-User-Oid": "someone", "X-Roles": "coordinator", "X-Forwarded-User": "admin"}
    assert_problem(await catalog.get("/offerings", headers=headers), 401)


async def test_wrong_role_is_a_403_problem(catalog: httpx.AsyncClient, tokens: TokenFactory) -> None:
    body = assert_problem(
        await catalog.post(
            "/offerings", json={"kind_code": "coaching", "title": "x"}, headers=tokens.header()
        ),
        403,
    )
    assert "coordinator" in str(body["detail"])


async def test_malformed_json_is_a_400_problem_as_documented(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    """A body that is not JSON is a malformed request (400 `bad-request`, declared on every operation);
    JSON whose fields fail the rules stays a 422."""
    response = await catalog.post(
        "/offerings",
        content=b'{"kind_code": "coaching", "title": ',
        headers={**tokens.header("coordinator"), "content-type": "application/json"},
    )
    body = assert_problem(response, 400)
    assert body["type"] == "urn:problem:bad-request"
    assert body["errors"][0]["type"] == "json_invalid"  # type: ignore[index]
    documented = catalog_document()["paths"]["/offerings"]["post"]["responses"]
    assert "bad-request" in documented["400"]["description"]
    fields = await catalog.post(
        "/offerings", json={"kind_code": "coaching"}, headers=tokens.header("coordinator")
    )
    assert assert_problem(fields, 422)["type"] == "urn:problem:validation-error"


def catalog_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((REPO_ROOT / "openapi" / "catalog.json").read_text())
    return document


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind_code": "coaching", "title": "x", "unexpected": 1}, "unexpected"),
        ({"kind_code": "coaching", "title": 42}, "title"),
        ({"kind_code": "coaching"}, "title"),
        ({"kind_code": "coaching", "title": ""}, "title"),
        ({"kind_code": "coaching", "title": "x", "booking_unit": "team"}, "booking_unit"),
    ],
)
async def test_invalid_fields_are_named_in_a_422_problem(
    catalog: httpx.AsyncClient, tokens: TokenFactory, payload: dict[str, object], field: str
) -> None:
    body = assert_problem(
        await catalog.post("/offerings", json=payload, headers=tokens.header("coordinator")), 422
    )
    assert ["body", field] in [error["loc"] for error in body["errors"]]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "path",
    [
        "/sessions/not-a-uuid",
        "/offerings?limit=0",
        "/offerings?limit=101",
        "/offerings?open_now=perhaps",
        "/offerings?starts_from=2027-01-01T10:00:00",
        "/offerings?format=paper",
        "/offerings?sort=random",
    ],
)
async def test_bad_path_and_query_parameters_are_422(
    catalog: httpx.AsyncClient, tokens: TokenFactory, path: str
) -> None:
    assert_problem(await catalog.get(path, headers=tokens.header()), 422)


async def test_request_id_is_accepted_or_generated(catalog: httpx.AsyncClient, tokens: TokenFactory) -> None:
    given = await catalog.get("/nope", headers={**tokens.header(), "X-Request-ID": "trace-123"})
    assert given.headers["x-request-id"] == "trace-123"
    assert given.json()["request_id"] == "trace-123"
    forged = await catalog.get("/nope", headers={**tokens.header(), "X-Request-ID": "bad id\nINFO forged"})
    assert forged.headers["x-request-id"] != "bad id\nINFO forged"
    assert len(forged.headers["x-request-id"]) == 32


async def test_health_and_docs_need_no_token(catalog: httpx.AsyncClient) -> None:
    assert (await catalog.get("/healthz")).json() == {"status": "ok"}
    ready = await catalog.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "migrations": "ok", "consumers": "ok"}
    assert (await catalog.get("/openapi.json")).status_code == 200
    docs = await catalog.get("/docs")
    assert docs.status_code == 200
    assert "/docs-assets/swagger-ui-bundle.js" in docs.text


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        (
            "GET",
            "/offerings/00000000-0000-0000-0000-000000000000/history?cursor=!!!",
            None,
            400,
        ),
        ("GET", "/offerings/00000000-0000-0000-0000-000000000000/history?limit=101", None, 422),
        ("GET", "/offerings?cursor=not-a-cursor", None, 400),
        ("GET", "/offerings?q=a%00b", None, 400),
        ("GET", "/offerings?starts_until=0.5", None, 422),  # a time is ISO 8601, not seconds since 1970
        ("POST", "/offerings", {"kind_code": "coaching", "title": "a\u0000b"}, 422),
        ("POST", "/offerings", {"kind_code": "coaching", "title": "x", "summary": ["not", "text"]}, 422),
        ("POST", "/offerings", [], 422),
        # JSON's types as the contract gives them: no 0 for false, no "5" for 5.
        ("POST", "/offerings", {"kind_code": "coaching", "title": "x", "is_programme": 0}, 422),
        # maxLength holds for the text as sent, before trimming (2,001 characters here, 2,000 trimmed).
        ("POST", "/offerings", {"kind_code": "coaching", "title": "x", "summary": " " + "x" * 2000}, 422),
        ("POST", "/offering-kinds", {"code": "k", "name_nb": "k", "name_en": "k", "sort_order": "5"}, 422),
        ("POST", "/eventbus/dead-letters/99999999999999999999/retry", None, 422),
        ("POST", "/eventbus/subscriptions/catalog.seats/reset", {"position": {"xid": "1", "id": 2**63}}, 422),
        (
            "POST",
            "/eventbus/subscriptions/catalog.seats/reset",
            {"position": {"xid": str(2**63), "id": 1}},
            422,
        ),
        (
            "POST",
            "/sessions",
            {"offering_id": "x", "starts_at": "yesterday", "ends_at": 5, "capacity": 1},
            422,
        ),
        (
            "POST",
            "/sessions",
            {
                "offering_id": "00000000-0000-0000-0000-000000000000",
                "starts_at": "2027-01-01T10:00:00",  # no offset: ambiguous in Europe/Oslo
                "ends_at": "2027-01-01T12:00:00+01:00",
                "capacity": 1,
            },
            422,
        ),
    ],
)
async def test_hostile_input_is_refused_without_a_500(
    catalog: httpx.AsyncClient,
    tokens: TokenFactory,
    method: str,
    path: str,
    body: object,
    status: int,
) -> None:
    response = await catalog.request(method, path, json=body, headers=tokens.header("coordinator", "ops"))
    assert_problem(response, status)


async def test_an_unexpected_error_is_a_500_problem_with_the_request_id(
    catalog: httpx.AsyncClient, tokens: TokenFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.catalog.offerings import repository

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(repository, "list_kinds", broken)
    response = await catalog.get("/offering-kinds", headers={**tokens.header(), "X-Request-ID": "trace-500"})
    body = assert_problem(response, 500)
    assert body["request_id"] == "trace-500"
    assert "bug" not in response.text


async def test_a_pool_that_stays_busy_is_a_503(
    catalog: httpx.AsyncClient, tokens: TokenFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every connection of the request pool busy for the pool's whole timeout (an overload): the client is
    told to try again, not that the service failed."""
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    from services.catalog.offerings import repository

    async def overloaded(*args: object, **kwargs: object) -> None:
        raise PoolTimeout(
            "QueuePool limit of size 10 overflow 0 reached, connection timed out, timeout 30.00"
        )

    monkeypatch.setattr(repository, "list_kinds", overloaded)
    response = await catalog.get("/offering-kinds", headers=tokens.header())
    body = assert_problem(response, 503)
    assert body["type"] == "urn:problem:database-unavailable"
    assert response.headers["retry-after"] == "2"


async def test_a_connection_left_in_the_middle_of_an_operation_is_a_503(
    catalog: httpx.AsyncClient, tokens: TokenFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the driver says when a pooled connection was left mid-operation (seen while PostgreSQL
    restarted under load): the database is not usable just now, which is a 503 to retry, not a 500."""
    from asyncpg.exceptions._base import InternalClientError

    from services.catalog.offerings import repository

    async def stuck(*args: object, **kwargs: object) -> None:
        raise InternalClientError("cannot switch to state 12; another operation (2) is in progress")

    monkeypatch.setattr(repository, "list_kinds", stuck)
    response = await catalog.get("/offering-kinds", headers=tokens.header())
    body = assert_problem(response, 503)
    assert body["type"] == "urn:problem:database-unavailable"
    assert int(response.headers["retry-after"]) >= 1
