"""The committed contract in openapi/: each service's document, the merged one, and the event payloads.

`make openapi` writes the files; a test (and `ledelse openapi --check`) fails when they drift from the code.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from gateway.app import merged_document
from services.catalog import events as catalog_events
from services.enrollment import events as enrollment_events
from services.feedback import events as feedback_events
from services.kernel.eventbus import EventPayload
from services.kernel.settings import REPO_ROOT, Environment
from services.registry import SERVICES

OPENAPI_DIR = REPO_ROOT / "openapi"
PUBLISHERS: dict[str, tuple[type[EventPayload], ...]] = {
    "catalog": catalog_events.PUBLISHED,
    "enrollment": enrollment_events.PUBLISHED,
    "feedback": feedback_events.PUBLISHED,
}


def _render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def service_documents() -> dict[str, dict[str, Any]]:
    documents = {}
    for service in SERVICES:
        module_name, factory_name = service.factory.split(":")
        factory: Callable[[Any], FastAPI] = getattr(importlib.import_module(module_name), factory_name)
        app = factory(service.settings_class(app_env=Environment.development))
        documents[service.name] = app.openapi()
    return documents


def events_document() -> dict[str, Any]:
    """JSON Schemas of every published payload, with the envelope every event carries."""
    topics = {}
    for source, payloads in PUBLISHERS.items():
        for payload in payloads:
            topics[payload.topic] = {
                "source": source,
                "aggregate_type": payload.aggregate_type,
                "payload_version": payload.version,
                "webhook": not payload.internal,
                "description": (payload.__doc__ or "").strip(),
                "payload_schema": payload.model_json_schema(),
            }
    return {
        "title": "Ledelsesutvikling domain events",
        "description": (
            "Events exchanged through the eventbus schema. Each row carries event_id (uuid), topic, source, "
            "aggregate_type, aggregate_id, aggregate_version, occurred_at, request_id, payload_version and "
            "payload (JSON, described per topic below). Consumers ignore unknown payload fields. Topics "
            "with `webhook` true may be subscribed to as webhooks."
        ),
        "topics": dict(sorted(topics.items())),
    }


def rendered_files() -> dict[Path, str]:
    documents = service_documents()
    files = {OPENAPI_DIR / f"{name}.json": _render(doc) for name, doc in documents.items()}
    events = events_document()
    files[OPENAPI_DIR / "openapi.json"] = _render(merged_document(documents, events=events))
    files[OPENAPI_DIR / "events.json"] = _render(events)
    return files


def write_openapi() -> list[Path]:
    OPENAPI_DIR.mkdir(exist_ok=True)
    written = []
    for path, text in rendered_files().items():
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def check_openapi() -> list[str]:
    """One line per committed file that differs from what the code produces (empty: no drift)."""
    drift = []
    for path, text in rendered_files().items():
        if not path.exists():
            drift.append(f"{path.relative_to(REPO_ROOT)} is missing; run `make openapi`")
        elif path.read_text(encoding="utf-8") != text:
            drift.append(f"{path.relative_to(REPO_ROOT)} differs from the code; run `make openapi`")
    return drift
