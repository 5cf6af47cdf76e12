"""The authorisation map: every operation of the published document declares who may call it
(`x-required-roles`, `x-public`, or a secret address), and each one is called through the gateway as
each kind of caller to show the declaration is what happens."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from services.kernel import database
from tests.support import TokenFactory, create_leader

METHODS = ("get", "post", "put", "patch", "delete")
ROLES = ("coordinator", "hr-integration", "ops")


def _path(template: str, parameters: list[dict[str, Any]]) -> str:
    path = template
    for parameter in parameters:
        if parameter["in"] != "path":
            continue
        schema = parameter["schema"]
        if schema.get("format") == "uuid":
            value = str(uuid.uuid4())
        elif schema.get("type") == "integer":
            value = "1"
        else:
            value = "no-such-thing"
        path = path.replace("{" + parameter["name"] + "}", value)
    return path


async def test_every_operation_allows_exactly_the_roles_it_declares(
    client: httpx.AsyncClient, engine: AsyncEngine, tokens: TokenFactory
) -> None:
    leader_email = f"toppleder-{uuid.uuid4().hex[:6]}@bydel-sagene.oslo.kommune.no"
    async with database.create_sessionmaker(engine)() as session, session.begin():
        await create_leader(session, leader_email, name="Toppleder")
    callers: dict[str, dict[str, str]] = {
        "nobody": {},
        "employee": tokens.header(email=f"ansatt-{uuid.uuid4().hex[:6]}@uke.oslo.kommune.no"),
        "top leader": tokens.header(email=leader_email),
        **{role: tokens.header(role, email=f"{role}@uke.oslo.kommune.no") for role in ROLES},
    }
    document = (await client.get("/openapi.json")).json()
    checked, wrong = 0, []
    for template, item in document["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            if operation.get("x-public"):
                assert "security" not in operation, template
                continue
            if operation.get("x-unlinkable"):
                # Taken without a sign-in, and refused with one: it must not say who sent it.
                url = _path(template, operation.get("parameters", []))
                for caller, headers in callers.items():
                    response = await client.request(method.upper(), url, json={}, headers=headers)
                    checked += 1
                    refused = response.status_code == 400 and "identity-not-allowed" in response.text
                    if (caller == "nobody") == (refused or response.status_code == 401):
                        wrong.append(f"{method.upper()} {template} as {caller}: {response.status_code}")
                continue
            if operation.get("x-secret-url"):
                # The secret in the address is the key: no sign-in needed, and an address that names no
                # feed is a 404 (422 when it cannot be a secret) to everyone, signed in or not.
                url = _path(template, operation.get("parameters", []))
                for caller, headers in callers.items():
                    response = await client.request(method.upper(), url, headers=headers)
                    checked += 1
                    if response.status_code not in (404, 422):
                        wrong.append(f"{method.upper()} {template} as {caller}: {response.status_code}")
                continue
            assert "x-required-roles" in operation, f"{method.upper()} {template} declares no access rule"
            required = set(operation["x-required-roles"])
            url = _path(template, operation.get("parameters", []))
            body = json.dumps({}) if "requestBody" in operation else None
            for caller, headers in callers.items():
                response = await client.request(
                    method.upper(), url, content=body, headers={**headers, "content-type": "application/json"}
                )
                checked += 1
                status = response.status_code
                role_refusal = status == 403 and "requires the" in response.text
                if caller == "nobody":
                    ok = status == 401
                elif required:
                    allowed = caller in required
                    ok = (status not in (401, 403)) if allowed else role_refusal
                else:
                    ok = status != 401 and not role_refusal
                if not ok or status >= 500:
                    wrong.append(f"{method.upper()} {template} as {caller}: {status} {response.text[:120]}")
    assert not wrong, "\n".join(wrong)
    assert checked > 400
