"""What the HR integration sends and what a sync answers."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, WithJsonSchema

from services.enrollment.directory.models import OrgUnitKind
from services.kernel.paging import Page
from services.kernel.problems import FieldError
from services.kernel.schemas import SINGLE_LINE, WriteModel

EXTERNAL_ID = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$"
MAX_RECORDS = 100_000


class OrgUnitRecord(WriteModel):
    external_id: str = Field(pattern=EXTERNAL_ID, examples=["bydel-alna"])
    name: str = Field(min_length=1, max_length=300, pattern=SINGLE_LINE, examples=["Bydel Alna"])
    kind: OrgUnitKind
    sector: str | None = Field(default=None, max_length=200, pattern=SINGLE_LINE, examples=["Bydel"])
    parent_external_id: str | None = Field(default=None, pattern=EXTERNAL_ID)
    active: bool = True


class PersonRecord(WriteModel):
    external_id: str = Field(pattern=EXTERNAL_ID, description="Employee number.", examples=["E100234"])
    name: str = Field(min_length=1, max_length=300, pattern=SINGLE_LINE)
    email: str = Field(pattern=r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$", max_length=254)
    entra_oid: uuid.UUID | None = Field(default=None, description="The `oid` in the person's tokens.")
    org_unit_external_id: str | None = Field(default=None, pattern=EXTERNAL_ID)
    manager_external_id: str | None = Field(default=None, pattern=EXTERNAL_ID)
    active: bool = True
    preferred_language: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$",
        max_length=35,
        description="The person's preferred language as a BCP 47 tag (`nb`, `nn`, `en`, `en-GB`). Mails "
        "are written in English for a tag whose language is `en` and in Norwegian bokmål otherwise "
        "(also when absent).",
        examples=["nb"],
    )


class MemberRecord(WriteModel):
    person_external_id: str = Field(pattern=EXTERNAL_ID)
    role_title: str | None = Field(
        default=None, max_length=200, pattern=SINGLE_LINE, examples=["Økonomisjef"]
    )


class LeaderGroupRecord(WriteModel):
    """A top-leader group; `members` is the whole membership and replaces what was there."""

    external_id: str = Field(pattern=EXTERNAL_ID, examples=["tlg-bydel-alna"])
    name: str = Field(min_length=1, max_length=300, pattern=SINGLE_LINE)
    org_unit_external_id: str = Field(pattern=EXTERNAL_ID)
    leader_external_id: str = Field(
        pattern=EXTERNAL_ID, description="The top leader (a person's external id)."
    )
    members: list[MemberRecord] = Field(default_factory=list, max_length=200)
    active: bool = True


def record_schema(model: type[BaseModel]) -> dict[str, Any]:
    """`model`'s JSON schema with the definitions it refers to written in place, to document one record of
    a sync body. The body takes each record as plain JSON and the service validates them one by one, so a
    bad record is reported beside the good ones instead of refusing the batch."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(definitions[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    documented: dict[str, Any] = inline(schema)
    return documented


class SyncRequest(WriteModel):
    """A batch of records. Each is validated on its own: valid ones are applied, the rest are reported."""

    records: list[dict[str, Any]] = Field(max_length=MAX_RECORDS)
    full: bool = Field(
        default=False,
        description="These records are the complete set: active records missing from it are deactivated.",
    )
    force: bool = Field(
        default=False, description="Allow a full sync that deactivates more than the guard share."
    )


class OrgUnitSync(SyncRequest):
    records: list[Annotated[dict[str, Any], WithJsonSchema(record_schema(OrgUnitRecord))]] = Field(
        max_length=MAX_RECORDS
    )


class PeopleSync(SyncRequest):
    records: list[Annotated[dict[str, Any], WithJsonSchema(record_schema(PersonRecord))]] = Field(
        max_length=MAX_RECORDS
    )


class LeaderGroupSync(SyncRequest):
    records: list[Annotated[dict[str, Any], WithJsonSchema(record_schema(LeaderGroupRecord))]] = Field(
        max_length=MAX_RECORDS
    )


class RejectedRecord(WriteModel):
    position: int = Field(description="0-based index in `records`.")
    external_id: str | None
    errors: list[FieldError]


class SyncResult(WriteModel):
    received: int
    created: int
    updated: int
    unchanged: int
    deactivated: int = Field(description="Deactivated because a full sync did not include them.")
    rejected: list[RejectedRecord]
    pending_references: int = Field(description="References (parent, org unit, manager) not yet resolvable.")
    enrollments_cancelled: int = Field(
        default=0, description="Future enrollments cancelled because their person is no longer active."
    )


class PendingReference(BaseModel):
    """A record that names another not yet received from HR (resolved when that one arrives)."""

    record: Literal["org-unit", "person", "leader-group"] = Field(description="The kind of record waiting.")
    external_id: str = Field(description="The waiting record's HR id.")
    reference: Literal["parent", "org-unit", "manager", "leader", "member"] = Field(
        description="Which of its references points at nothing yet."
    )
    missing: str = Field(description="The HR id it names, which no record has yet.")


class PendingReferencePage(Page[PendingReference]):
    """A page of references waiting for their target."""
