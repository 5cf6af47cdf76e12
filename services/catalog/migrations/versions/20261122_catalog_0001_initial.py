"""Catalog: offering kinds (with the six kinds the programme runs), offerings, sessions.

Revision ID: catalog_0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "catalog_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = [
    (
        "theme-gathering",
        "Temasamling / felles arena",
        "Theme gathering",
        "person",
        10,
        "Stor plenumssamling for toppledergruppene, fysisk, digital eller hybrid, med eksterne fagpersoner.",
    ),
    (
        "reflection-group",
        "Refleksjonsgruppe",
        "Reflection group",
        "person",
        20,
        "Små grupper av toppledere på tvers av virksomheter og sektorer som utforsker dilemmaer i rollen.",
    ),
    (
        "leader-group-development",
        "Ledergruppeutvikling",
        "Leader-group development",
        "person",
        30,
        "Forskningsbasert program for effektive ledergrupper: om lag seks halvdagssamlinger med hjemmelekse.",
    ),
    (
        "leader-group-workshop",
        "Workshop for toppledergrupper",
        "Workshop for a top-leader group",
        "group",
        40,
        "Skreddersydd workshop for én ledergruppe, f.eks. krisehåndtering eller ledelse på avstand.",
    ),
    (
        "coaching",
        "Individuell veiledning / coaching",
        "Individual coaching",
        "person",
        50,
        "Individuell veiledning for én toppleder etter forespørsel.",
    ),
    (
        "professional-day",
        "Fagdag",
        "Professional day",
        "person",
        60,
        "Endagsarrangement for alle ledere, f.eks. om tillitsbasert ledelse.",
    ),
]


def upgrade() -> None:
    kinds = op.create_table(
        "offering_kinds",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name_nb", sa.String(), nullable=False),
        sa.Column("name_en", sa.String(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("default_booking_unit", sa.String(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_offering_kinds")),
        schema="catalog",
    )
    op.bulk_insert(
        kinds,
        [
            {
                "code": c,
                "name_nb": nb,
                "name_en": en,
                "default_booking_unit": unit,
                "sort_order": order,
                "description": desc,
            }
            for c, nb, en, unit, order, desc in KINDS
        ],
    )
    op.create_table(
        "offerings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind_code", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("summary", sa.String(), nullable=False),
        sa.Column("booking_unit", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["kind_code"], ["catalog.offering_kinds.code"], name=op.f("fk_offerings_kind_code_offering_kinds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offerings")),
        schema="catalog",
    )
    op.create_index(op.f("ix_offerings_kind_code"), "offerings", ["kind_code"], schema="catalog")
    op.create_table(
        "sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("offering_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("venue", sa.String(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("seats_taken", sa.Integer(), nullable=False),
        sa.Column("seats_version", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_sessions_ends_after_start")),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_sessions_capacity_positive")),
        sa.ForeignKeyConstraint(
            ["offering_id"], ["catalog.offerings.id"], name=op.f("fk_sessions_offering_id_offerings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
        schema="catalog",
    )
    op.create_index(op.f("ix_sessions_offering_id"), "sessions", ["offering_id"], schema="catalog")


def downgrade() -> None:
    op.drop_table("sessions", schema="catalog")
    op.drop_table("offerings", schema="catalog")
    op.drop_table("offering_kinds", schema="catalog")
