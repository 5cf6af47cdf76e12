"""The topics an integrator may subscribe to: every published topic not marked internal.

Read from the committed event contract (`openapi/events.json`, which a test keeps equal to the payload
models of all three services): the enrolment service delivers the other services' events too, and the
services never import each other's code.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from services.kernel.settings import REPO_ROOT

EVENTS_DOCUMENT = REPO_ROOT / "openapi" / "events.json"


@cache
def offered() -> dict[str, dict[str, Any]]:
    """Topic → its entry in the event contract (source, payload version, description, payload schema)."""
    topics: dict[str, dict[str, Any]] = json.loads(EVENTS_DOCUMENT.read_text(encoding="utf-8"))["topics"]
    return {name: entry for name, entry in topics.items() if entry.get("webhook")}
