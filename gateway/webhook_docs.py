"""The OpenAPI document's `webhooks` section: what an integrator's endpoint receives for each topic.

Made from the event contract (`openapi/events.json`): one operation per topic offered as a webhook, its
body the Standard Webhooks message (`type`, `timestamp`, `version`, `data`) with the topic's payload
schema as `data`. JSON Schema `$defs` inside a payload are moved to the components (a `$ref` in an
OpenAPI document resolves against the document, not the payload's schema), named after the topic.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

SCHEMA_REF = "#/components/schemas/"
DEFS_REF = "#/$defs/"

HEADERS = (
    ("webhook-id", "The event's id: the same on every attempt and replay; drop a message seen before."),
    ("webhook-timestamp", "When this attempt was signed (seconds since 1970); refuse one far from now."),
    (
        "webhook-signature",
        "`v1,<base64 HMAC-SHA256 of id.timestamp.body>` per signing secret, space-separated (two during a "
        "secret rotation); verify with a Standard Webhooks library.",
    ),
)


def _camel(topic: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in topic.replace(".", "_").split("_"))


def _moved_defs(node: Any, prefix: str) -> Any:
    if isinstance(node, dict):
        return {
            key: (
                SCHEMA_REF + prefix + value[len(DEFS_REF) :]
                if key == "$ref" and isinstance(value, str) and value.startswith(DEFS_REF)
                else _moved_defs(value, prefix)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_moved_defs(item, prefix) for item in node]
    return node


def webhook_section(topics: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the `webhooks` object, the component schemas it refers to) for the topics offered as webhooks."""
    webhooks: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for topic, entry in sorted(topics.items()):
        if not entry.get("webhook"):
            continue
        name = _camel(topic)
        payload = copy.deepcopy(entry["payload_schema"])
        # Titles as the component names: client generators name their models by title, and two
        # topics' payloads may hold same-titled parts that differ.
        for def_name, definition in payload.pop("$defs", {}).items():
            schemas[f"{name}{def_name}"] = {**_moved_defs(definition, name), "title": f"{name}{def_name}"}
        schemas[f"{name}Payload"] = {**_moved_defs(payload, name), "title": f"{name}Payload"}
        schemas[f"{name}Webhook"] = {
            "type": "object",
            "title": f"{name}Webhook",
            "required": ["type", "timestamp", "version", "data"],
            "properties": {
                "type": {"type": "string", "const": topic},
                "timestamp": {"type": "string", "format": "date-time", "description": "When it occurred."},
                "version": {
                    "type": "integer",
                    "const": entry["payload_version"],
                    "description": "The payload's schema version.",
                },
                "data": {"$ref": f"{SCHEMA_REF}{name}Payload"},
            },
        }
        webhooks[topic] = {
            "post": {
                "summary": topic,
                "description": entry.get("description", ""),
                "operationId": f"webhook_{topic.replace('.', '_')}",
                "tags": ["webhooks"],
                "parameters": [
                    {
                        "name": header,
                        "in": "header",
                        "required": True,
                        "description": text,
                        "schema": {"type": "string"},
                    }
                    for header, text in HEADERS
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": f"{SCHEMA_REF}{name}Webhook"}}},
                },
                "responses": {
                    "2XX": {"description": "Received. Any other answer, or none in time, is retried later."}
                },
            }
        }
    return webhooks, schemas
