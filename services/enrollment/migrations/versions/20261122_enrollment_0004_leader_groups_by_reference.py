"""Leader groups and their members by HR external id (order-independent, may be pending).

Revision ID: enrollment_0004
Revises: enrollment_0003
Create Date: 2026-11-22 14:59:51.137635
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "enrollment_0004"
down_revision: str | None = "enrollment_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Leader groups: unit and leader kept as HR external ids, resolved when present (may be pending).
    for name in ("org_unit_external_id", "leader_external_id"):
        op.add_column("leader_groups", sa.Column(name, sa.String(length=100)), schema="enrollment")
    op.add_column(
        "leader_groups",
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        schema="enrollment",
    )
    op.execute(
        "UPDATE enrollment.leader_groups g SET org_unit_external_id = u.external_id, "
        "leader_external_id = p.external_id FROM enrollment.org_units u, enrollment.people p "
        "WHERE u.id = g.org_unit_id AND p.id = g.leader_id"
    )
    op.alter_column(
        "leader_groups", "org_unit_id", existing_type=sa.UUID(), nullable=True, schema="enrollment"
    )
    op.alter_column("leader_groups", "leader_id", existing_type=sa.UUID(), nullable=True, schema="enrollment")
    op.drop_constraint(
        op.f("uq_leader_groups_org_unit_id"), "leader_groups", schema="enrollment", type_="unique"
    )
    op.create_index(
        op.f("ix_leader_groups_org_unit_id"), "leader_groups", ["org_unit_id"], schema="enrollment"
    )

    # Members: keyed by the person's external id, so a member may arrive before the person.
    op.add_column(
        "leader_group_members", sa.Column("person_external_id", sa.String(length=100)), schema="enrollment"
    )
    op.execute(
        "UPDATE enrollment.leader_group_members m SET person_external_id = p.external_id "
        "FROM enrollment.people p WHERE p.id = m.person_id"
    )
    op.alter_column(
        "leader_group_members",
        "person_external_id",
        existing_type=sa.String(length=100),
        nullable=False,
        schema="enrollment",
    )
    op.drop_constraint(
        op.f("pk_leader_group_members"), "leader_group_members", schema="enrollment", type_="primary"
    )
    op.create_primary_key(
        op.f("pk_leader_group_members"),
        "leader_group_members",
        ["group_id", "person_external_id"],
        schema="enrollment",
    )
    op.alter_column(
        "leader_group_members", "person_id", existing_type=sa.UUID(), nullable=True, schema="enrollment"
    )
    op.drop_constraint(
        op.f("fk_leader_group_members_group_id_leader_groups"),
        "leader_group_members",
        schema="enrollment",
        type_="foreignkey",
    )
    op.create_foreign_key(
        op.f("fk_leader_group_members_group_id_leader_groups"),
        "leader_group_members",
        "leader_groups",
        ["group_id"],
        ["id"],
        source_schema="enrollment",
        referent_schema="enrollment",
        ondelete="CASCADE",
    )


def downgrade() -> None:
    raise NotImplementedError("members whose person has not arrived cannot be expressed in the old shape")
