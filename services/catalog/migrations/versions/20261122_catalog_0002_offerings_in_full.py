"""Offerings in full (audience, format, description, facilitators, funder, lifecycle, version, search),
themes, sessions with rooms, links, enrolment windows and cancellation deadlines, and change history.

Existing rows are kept: new columns get defaults, and the six kinds get their audience and programme
settings.

Revision ID: catalog_0002
Revises: catalog_0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "catalog_0002"
down_revision: str | None = "catalog_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_VECTOR_SQL = (
    "setweight(to_tsvector('norwegian', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('norwegian', coalesce(summary, '')), 'B') || "
    "setweight(to_tsvector('norwegian', coalesce(description, '')), 'C')"
)
THEMES = [
    ("tillitsbasert-styring", "Tillitsbasert styring og ledelse", "Trust-based governance and leadership"),
    ("strategisk-samhandling", "Strategisk samhandling på tvers", "Strategic collaboration across agencies"),
    ("effektive-ledergrupper", "Effektive ledergrupper", "Effective leader groups"),
    ("krisehandtering", "Krisehåndtering og beredskap", "Crisis leadership and preparedness"),
    ("ledelse-pa-avstand", "Ledelse på avstand og hjemmekontor", "Remote leadership and home office"),
    ("risikostyring", "Risikostyring", "Risk management"),
    ("styringsdialog", "Dilemmaer i styringsdialogen", "Dilemmas in the governance dialogue"),
    ("endringsledelse", "Topplederens rolle i endring", "The top leader's role in change"),
    ("komplekse-samfunnsutfordringer", "Komplekse samfunnsutfordringer", "Complex societal challenges"),
]
# kind -> (default audience, is programme, requires dated sessions)
KIND_SETTINGS = {
    "theme-gathering": ("all-leaders", False, True),
    "reflection-group": ("top-leaders", False, True),
    "leader-group-development": ("top-leader-groups", True, True),
    "leader-group-workshop": ("top-leader-groups", False, True),
    "coaching": ("top-leaders", False, False),
    "professional-day": ("all-leaders", False, True),
}


def upgrade() -> None:
    op.create_table(
        "changes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("offering_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("actor_oid", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_changes")),
        schema="catalog",
    )
    op.create_index(
        op.f("ix_changes_offering_id"), "changes", ["offering_id"], unique=False, schema="catalog"
    )
    themes = op.create_table(
        "themes",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name_nb", sa.String(), nullable=False),
        sa.Column("name_en", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_themes")),
        schema="catalog",
    )
    op.bulk_insert(themes, [{"code": c, "name_nb": nb, "name_en": en} for c, nb, en in THEMES])
    op.create_table(
        "offering_themes",
        sa.Column("offering_id", sa.Uuid(), nullable=False),
        sa.Column("theme_code", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["offering_id"],
            ["catalog.offerings.id"],
            name=op.f("fk_offering_themes_offering_id_offerings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_code"], ["catalog.themes.code"], name=op.f("fk_offering_themes_theme_code_themes")
        ),
        sa.PrimaryKeyConstraint("offering_id", "theme_code", name=op.f("pk_offering_themes")),
        schema="catalog",
    )
    op.create_index(
        op.f("ix_offering_themes_theme_code"),
        "offering_themes",
        ["theme_code"],
        unique=False,
        schema="catalog",
    )

    kind_columns: list[tuple[str, Any, Any]] = [
        ("default_audience", sa.String(), sa.text("'all-leaders'")),
        ("is_programme", sa.Boolean(), sa.false()),
        ("requires_sessions", sa.Boolean(), sa.true()),
    ]
    for name, type_, default in kind_columns:
        op.add_column(
            "offering_kinds", sa.Column(name, type_, server_default=default, nullable=False), schema="catalog"
        )
    for code, (audience, programme, requires_sessions) in KIND_SETTINGS.items():
        op.execute(
            sa.text(
                "UPDATE catalog.offering_kinds SET default_audience = :a, is_programme = :p, "
                "requires_sessions = :r WHERE code = :c"
            ).bindparams(a=audience, p=programme, r=requires_sessions, c=code)
        )

    offering_columns: list[tuple[str, Any, Any]] = [
        ("description", sa.String(), sa.text("''")),
        ("audience", sa.String(), sa.text("'all-leaders'")),
        ("format", sa.String(), sa.text("'physical'")),
        ("funded_by", sa.String(), sa.text("'Byrådslederens kontor'")),
        ("is_programme", sa.Boolean(), sa.false()),
        ("version", sa.Integer(), sa.text("1")),
        ("created_by_oid", sa.String(), sa.text("''")),
        ("updated_by_oid", sa.String(), sa.text("''")),
    ]
    for name, type_, default in offering_columns:
        op.add_column(
            "offerings", sa.Column(name, type_, server_default=default, nullable=False), schema="catalog"
        )
    op.add_column(
        "offerings",
        sa.Column("audience_org_unit_ids", postgresql.ARRAY(sa.UUID()), server_default="{}", nullable=False),
        schema="catalog",
    )
    op.add_column(
        "offerings",
        sa.Column(
            "facilitators", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False
        ),
        schema="catalog",
    )
    op.add_column(
        "offerings",
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        schema="catalog",
    )
    op.add_column("offerings", sa.Column("published_at", sa.DateTime(timezone=True)), schema="catalog")
    op.add_column("offerings", sa.Column("archived_at", sa.DateTime(timezone=True)), schema="catalog")
    # Offerings from before this revision were published on creation; their kind decides the rest.
    op.execute(
        """
        UPDATE catalog.offerings o
        SET published_at = CASE WHEN o.status = 'published' THEN o.created_at END,
            audience = k.default_audience,
            is_programme = k.is_programme
        FROM catalog.offering_kinds k WHERE k.code = o.kind_code
        """
    )
    op.add_column(
        "offerings",
        sa.Column("search_vector", postgresql.TSVECTOR(), sa.Computed(SEARCH_VECTOR_SQL, persisted=True)),
        schema="catalog",
    )
    op.create_index(
        "ix_offerings_search_vector",
        "offerings",
        ["search_vector"],
        unique=False,
        schema="catalog",
        postgresql_using="gin",
    )
    op.create_index(op.f("ix_offerings_status"), "offerings", ["status"], unique=False, schema="catalog")

    for name in ("room", "meeting_url", "status_reason"):
        op.add_column("sessions", sa.Column(name, sa.String()), schema="catalog")
    op.add_column("sessions", sa.Column("position", sa.Integer()), schema="catalog")
    for name in ("enrolment_opens_at", "enrolment_closes_at", "cancellation_deadline"):
        op.add_column("sessions", sa.Column(name, sa.DateTime(timezone=True)), schema="catalog")
    op.add_column(
        "sessions",
        sa.Column("sequence", sa.Integer(), server_default=sa.text("0"), nullable=False),
        schema="catalog",
    )
    op.add_column(
        "sessions",
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        schema="catalog",
    )
    op.add_column(
        "sessions",
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        schema="catalog",
    )
    op.create_index("ix_sessions_starts_at", "sessions", ["starts_at"], unique=False, schema="catalog")
    checks = {
        "window_closes_before_start": "enrolment_closes_at IS NULL OR enrolment_closes_at <= starts_at",
        "window_opens_before_close": (
            "enrolment_opens_at IS NULL OR enrolment_closes_at IS NULL OR enrolment_opens_at < enrolment_closes_at"
        ),
        "deadline_before_start": "cancellation_deadline IS NULL OR cancellation_deadline <= starts_at",
    }
    for name, condition in checks.items():
        op.create_check_constraint(op.f(f"ck_sessions_{name}"), "sessions", condition, schema="catalog")


def downgrade() -> None:
    for name in ("window_closes_before_start", "window_opens_before_close", "deadline_before_start"):
        op.drop_constraint(op.f(f"ck_sessions_{name}"), "sessions", schema="catalog", type_="check")
    op.drop_index("ix_sessions_starts_at", table_name="sessions", schema="catalog")
    for name in (
        "updated_at", "version", "sequence", "cancellation_deadline", "enrolment_closes_at",
        "enrolment_opens_at", "position", "status_reason", "meeting_url", "room",
    ):  # fmt: skip
        op.drop_column("sessions", name, schema="catalog")
    op.drop_index(op.f("ix_offerings_status"), table_name="offerings", schema="catalog")
    op.drop_index("ix_offerings_search_vector", table_name="offerings", schema="catalog")
    for name in (
        "search_vector", "archived_at", "published_at", "updated_at", "facilitators", "audience_org_unit_ids",
        "updated_by_oid", "created_by_oid", "version", "is_programme", "funded_by", "format", "audience",
        "description",
    ):  # fmt: skip
        op.drop_column("offerings", name, schema="catalog")
    for name in ("requires_sessions", "is_programme", "default_audience"):
        op.drop_column("offering_kinds", name, schema="catalog")
    op.drop_table("offering_themes", schema="catalog")
    op.drop_table("themes", schema="catalog")
    op.drop_index(op.f("ix_changes_offering_id"), table_name="changes", schema="catalog")
    op.drop_table("changes", schema="catalog")
