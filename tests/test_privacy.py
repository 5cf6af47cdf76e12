"""Personal data by the rules: every table is in its service's register of processing (or declared to
hold none), the register is published to ops and privacy officers, and docs/privacy.md names the same
tables."""

from __future__ import annotations

import importlib

import httpx
import pytest
from sqlmodel import SQLModel

import services.catalog.models
import services.enrollment.models
import services.feedback.models  # noqa: F401 - every table of every service in the metadata
from services.kernel.settings import REPO_ROOT
from tests.support import TokenFactory

SERVICES = ("catalog", "enrollment", "feedback")


def _register(service: str) -> tuple[set[str], set[str]]:
    module = importlib.import_module(f"services.{service}.privacy.register")
    listed = {table for entry in module.REGISTER for table in entry.stored_in}
    return listed, set(module.NO_PERSONAL_DATA)


@pytest.mark.parametrize("service", SERVICES)
def test_every_table_is_in_the_register_or_declared_to_hold_no_personal_data(service: str) -> None:
    tables = {f"{t.schema}.{t.name}" for t in SQLModel.metadata.sorted_tables if t.schema == service}
    listed, without = _register(service)
    assert listed & without == set(), "a table is both in the register and declared free of personal data"
    assert tables - listed - without == set(), "tables missing from the register"
    assert (listed | without) - tables == set(), "the register names tables that do not exist"


def test_the_register_in_the_docs_names_the_same_tables() -> None:
    text = (REPO_ROOT / "docs" / "privacy.md").read_text()
    for service in SERVICES:
        listed, without = _register(service)
        missing = sorted(table for table in listed | without if f"`{table}`" not in text)
        assert missing == [], f"docs/privacy.md does not name {missing}"


async def test_the_register_is_published_to_ops_and_privacy_officers(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    for role in ("ops", "privacy-officer"):
        response = await catalog.get("/privacy/register", headers=tokens.header(role))
        assert response.status_code == 200, response.text
        document = response.json()
        assert document["service"] == "catalog"
        assert {t for p in document["processing"] for t in p["stored_in"]} == _register("catalog")[0]
        assert all(p["purpose"] and p["basis"] and p["retention"] for p in document["processing"])
    for headers in (tokens.header("coordinator"), tokens.header()):
        assert (await catalog.get("/privacy/register", headers=headers)).status_code == 403
