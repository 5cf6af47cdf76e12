"""HTTP endpoint for access requests to the catalog service (the gateway gathers every service's)."""

from __future__ import annotations

from services.catalog.privacy import repository
from services.catalog.privacy.models import PersonalDataRead
from services.kernel.privacy import subject_router

router = subject_router(
    "catalog",
    repository.SUBJECT,
    PersonalDataRead,
    "the audience facts it holds for them, and what they changed in the catalogue as a coordinator",
)
