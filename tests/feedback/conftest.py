"""A programme's worth of people for feedback tests: units in two sectors and their leaders."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.feedback.support import Respondent, announce, people, unit


@pytest.fixture
async def crowd(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, list[Respondent]]:
    """Twelve leaders of Bydel Alna (sector Bydel), one of Bydel Nordre Aker, five of UKE (sector Etat),
    announced to the feedback service as the HR sync would."""
    alna, nordre_aker, uke = (
        unit("Bydel Alna", "Bydel"),
        unit("Bydel Nordre Aker", "Bydel"),
        unit("UKE", "Etat"),
    )
    groups = {"alna": people(12, alna), "nordre_aker": people(1, nordre_aker), "uke": people(5, uke)}
    await announce(sessionmaker, [alna, nordre_aker, uke], [r for g in groups.values() for r in g])
    return groups


@pytest.fixture
def units(crowd: dict[str, list[Respondent]]) -> dict[str, uuid.UUID]:
    return {name: members[0].org_unit_id for name, members in crowd.items()}
