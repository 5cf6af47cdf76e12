"""OpenAPI links from each operation that creates something to the operations on what it created.

A client (or a stateful test tool such as Schemathesis) learns from the document that the `id` a
`POST /offerings` answers is the `offering_id` of `GET /offerings/{offering_id}`, `.../publish` and the
rest, without guessing from names. Derived, not written by hand, so a new operation is linked the day
it is added: a `POST` answering 201 with a body is linked to every operation whose path starts with the
created collection's name followed by a path parameter (`/offerings/{offering_id}...`; for
`POST /offerings/{offering_id}/reflection-rounds`, the operations under `/reflection-rounds/{round_id}`),
and that parameter takes the answer's property of the same name, else its `id`.
"""

from __future__ import annotations

import re
from typing import Any

_FIRST_PARAMETER = re.compile(r"^/([^/{}]+)/\{([^/{}]+)\}")


def _schema(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    reference = schema.get("$ref", "")
    if reference.startswith("#/components/schemas/"):
        found: dict[str, Any] = document["components"]["schemas"][reference.rsplit("/", 1)[1]]
        return found
    return schema


def _created(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any] | None:
    """The 201 answer's body schema of a creating operation, if it has one."""
    answer = operation.get("responses", {}).get("201", {})
    schema = answer.get("content", {}).get("application/json", {}).get("schema")
    return _schema(document, schema) if schema else None


def declare_links(document: dict[str, Any]) -> None:
    paths: dict[str, dict[str, Any]] = document.get("paths", {})
    targets: dict[str, list[tuple[str, str]]] = {}  # collection -> [(operationId, parameter)]
    for path, item in paths.items():
        match = _FIRST_PARAMETER.match(path)
        if match is None:
            continue
        for operation in item.values():
            if isinstance(operation, dict) and "operationId" in operation:
                targets.setdefault(match.group(1), []).append((operation["operationId"], match.group(2)))
    for path, item in paths.items():
        operation = item.get("post")
        created = _created(document, operation) if isinstance(operation, dict) else None
        if operation is None or created is None:
            continue
        collection = path.rstrip("/").rsplit("/", 1)[-1]
        properties = created.get("properties", {})
        links = {}
        for operation_id, parameter in targets.get(collection, []):
            source = parameter if parameter in properties else "id" if "id" in properties else None
            if source is not None:
                links[operation_id] = {
                    "operationId": operation_id,
                    "parameters": {parameter: f"$response.body#/{source}"},
                }
        if links:
            operation["responses"]["201"]["links"] = links
