"""The three services, in one list for the tools that handle all of them (CLI, `make run`, OpenAPI)."""

from __future__ import annotations

from dataclasses import dataclass

from services.catalog.app import DEFINITION as CATALOG
from services.catalog.settings import CatalogSettings
from services.enrollment.app import DEFINITION as ENROLLMENT
from services.enrollment.settings import EnrollmentSettings
from services.feedback.app import DEFINITION as FEEDBACK
from services.feedback.settings import FeedbackSettings
from services.kernel.service import EVENTBUS_MIGRATIONS, ServiceDefinition
from services.kernel.settings import ServiceSettings


@dataclass(frozen=True)
class RegisteredService:
    definition: ServiceDefinition
    settings_class: type[ServiceSettings]
    factory: str  # for uvicorn --factory

    @property
    def name(self) -> str:
        return self.definition.name


SERVICES = (
    RegisteredService(CATALOG, CatalogSettings, "services.catalog.app:create_app"),
    RegisteredService(ENROLLMENT, EnrollmentSettings, "services.enrollment.app:create_app"),
    RegisteredService(FEEDBACK, FeedbackSettings, "services.feedback.app:create_app"),
)
MIGRATION_SETS = (EVENTBUS_MIGRATIONS, *(s.definition.migrations for s in SERVICES))
