"""Merging the services' OpenAPI documents into the one the gateway publishes.

Paths get the public prefix (`/api/v1/<service>`), components that are identical across services are
kept once, components that share a name but differ are renamed `<Service><Name>` (and every `$ref` to
them rewritten), operations are tagged by service, and the gateway's bearer scheme replaces the
services' own. Health endpoints stay off the public document: the gateway's `/readyz` covers them.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from services.kernel.problem_docs import declare_answer

SCHEMA_REF = "#/components/schemas/"
HIDDEN_PATHS = frozenset({"/healthz", "/readyz"})
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})

BEARER_SCHEME: dict[str, Any] = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": (
        "An OIDC access token from Microsoft Entra ID (v2). In development, "
        "`make token ROLE=coordinator` prints one; paste it here without the `Bearer ` prefix."
    ),
}


_PROBLEM = {"application/problem+json": {"schema": {"$ref": f"{SCHEMA_REF}ProblemDetails"}}}
_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}
}
# What the gateway itself may answer for any operation it forwards (see gateway/protection.py).
GATEWAY_RESPONSES: dict[str, dict[str, Any]] = {
    "400": {
        "description": (
            "The request target or a header value cannot be forwarded as sent "
            "(`urn:problem:invalid-url`, `urn:problem:invalid-header`)"
        ),
        "content": _PROBLEM,
    },
    "401": {
        "description": "Missing or invalid bearer token (`urn:problem:unauthorized`)",
        "content": _PROBLEM,
    },
    "413": {"description": "Request body too large (`urn:problem:payload-too-large`)", "content": _PROBLEM},
    "429": {
        "description": "Too many requests (`urn:problem:rate-limited`)",
        "headers": _RETRY_AFTER,
        "content": _PROBLEM,
    },
    "431": {
        "description": "Request headers too large (`urn:problem:headers-too-large`)",
        "content": _PROBLEM,
    },
    "502": {
        "description": "The service sent an invalid response (`urn:problem:bad-gateway`)",
        "content": _PROBLEM,
    },
    "503": {
        "description": (
            "The service is unavailable (`urn:problem:service-unavailable`), or its circuit is open "
            "(`urn:problem:upstream-circuit-open`)"
        ),
        "headers": _RETRY_AFTER,
        "content": _PROBLEM,
    },
    "504": {
        "description": "The service did not answer in time (`urn:problem:upstream-timeout`)",
        "content": _PROBLEM,
    },
}


def oauth_scheme(oauth: Mapping[str, Any]) -> dict[str, Any]:
    """Sign-in from Swagger UI: the authorization-code flow (with PKCE, as a public client: no secret)."""
    return {
        "type": "oauth2",
        "description": "Sign in with Microsoft Entra ID (authorization code with PKCE; no client secret).",
        "flows": {
            "authorizationCode": {
                "authorizationUrl": oauth["authorization_url"],
                "tokenUrl": oauth["token_url"],
                "scopes": dict.fromkeys(oauth["scopes"], "Use the API as the signed-in person"),
            }
        },
    }


def _rewrite_refs(node: Any, renames: Mapping[str, str]) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(SCHEMA_REF):
                name = value[len(SCHEMA_REF) :]
                out[key] = SCHEMA_REF + renames.get(name, name)
            else:
                out[key] = _rewrite_refs(value, renames)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, renames) for item in node]
    return node


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = set()
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(SCHEMA_REF):
                found.add(value[len(SCHEMA_REF) :])
            else:
                found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node)) if node else set()
    return set()


def _reachable(paths: Mapping[str, Any], schemas: Mapping[str, Any]) -> set[str]:
    """Components referenced from the published paths, directly or through other components."""
    pending = _refs(paths)
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        pending |= _refs(schemas[name])
    return seen


def _plan_renames(
    service: str, schemas: Mapping[str, Any], merged: Mapping[str, Any], taken: set[str]
) -> dict[str, str]:
    """Which of a service's component names must change to avoid clashing with different components.

    A component is "the same" when it is equal after its own references are rewritten, so the decision
    depends on other decisions; renaming is repeated until nothing more changes.
    """
    renames: dict[str, str] = {}
    prefix = service[:1].upper() + service[1:]
    while True:
        changed = False
        for name, schema in schemas.items():
            if name in renames or name not in merged:
                continue
            if _rewrite_refs(schema, renames) != merged[name]:
                candidate = f"{prefix}{name}"
                suffix = 2
                while candidate in merged or candidate in taken:
                    candidate = f"{prefix}{name}{suffix}"
                    suffix += 1
                renames[name] = candidate
                taken.add(candidate)
                changed = True
        if not changed:
            return renames


def merge(
    documents: Mapping[str, Mapping[str, Any]],
    *,
    title: str,
    version: str,
    description: str,
    prefix: str = "/api/v1",
    gateway_paths: Mapping[str, Any] | None = None,
    gateway_schemas: Mapping[str, Any] | None = None,
    oauth: Mapping[str, Any] | None = None,
    webhooks: Mapping[str, Any] | None = None,
    webhook_schemas: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One OpenAPI 3.1 document from the services' documents (keyed by service name, merged in order),
    with the `webhooks` an integrator may receive (their schemas' names are kept as given)."""
    merged_schemas: dict[str, Any] = dict(copy.deepcopy(gateway_schemas or {}))
    paths: dict[str, Any] = dict(copy.deepcopy(gateway_paths or {}))
    tags: list[dict[str, str]] = [{"name": "gateway", "description": "The gateway itself."}]
    taken: set[str] = set(merged_schemas)

    for service, document in documents.items():
        schemas = document.get("components", {}).get("schemas", {})
        renames = _plan_renames(service, schemas, merged_schemas, taken)
        for name, schema in schemas.items():
            new_name = renames.get(name, name)
            if new_name not in merged_schemas:
                merged_schemas[new_name] = _rewrite_refs(schema, renames)
                taken.add(new_name)
        service_tags: list[str] = []
        for path, item in document.get("paths", {}).items():
            if path in HIDDEN_PATHS:
                continue
            new_item = _rewrite_refs(copy.deepcopy(item), renames)
            for method, operation in new_item.items():
                if method not in HTTP_METHODS:
                    continue
                if oauth and operation.get("security"):
                    # Either a pasted bearer token, or signing in through Entra ID from Swagger UI.
                    operation["security"] = [*operation["security"], {"entraId": list(oauth["scopes"])}]
                responses = operation.setdefault("responses", {})
                for status, response in GATEWAY_RESPONSES.items():
                    if status == "401" and operation.get("security") == []:
                        continue  # taken without sign-in: the gateway asks for no token
                    declare_answer(responses, status, response)
                operation_tags = [f"{service} · {tag}" for tag in operation.get("tags", [])] or [service]
                operation["tags"] = operation_tags
                service_tags.extend(t for t in operation_tags if t not in service_tags)
            paths[f"{prefix}/{service}{path}"] = new_item
        info = document.get("info", {})
        tags.extend(
            {
                "name": tag,
                "description": f"{info.get('title', service)}: {info.get('description', '')}".strip(),
            }
            for tag in service_tags
        )

    for name, schema in (webhook_schemas or {}).items():
        if name in merged_schemas and merged_schemas[name] != schema:
            raise ValueError(f"webhook schema {name} clashes with a service's component")
        merged_schemas[name] = copy.deepcopy(schema)
    if webhooks:
        tags.append(
            {"name": "webhooks", "description": "What a registered webhook endpoint receives, per topic."}
        )
    used = _reachable({**paths, **(webhooks or {})}, merged_schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "paths": paths,
        **({"webhooks": copy.deepcopy(dict(webhooks))} if webhooks else {}),
        "components": {
            "schemas": {name: merged_schemas[name] for name in sorted(used)},
            "securitySchemes": {
                "bearerAuth": BEARER_SCHEME,
                **({"entraId": oauth_scheme(oauth)} if oauth else {}),
            },
        },
        "tags": tags,
    }
