"""Blind credentials: a key pair per survey, invitations that record a credential instead of an answer,
and ballots that carry the hash of the token they spent.

An invitation marked answered becomes one whose credential was issued (so it cannot be used again);
the `answered` column goes. Responses released before small surveys stopped being released are held to
today's rules, at the default threshold of 5: those of a survey with fewer are deleted (and the survey
shows 0), and an answer to a question that fewer than 5 responses of its group (survey, unit, sector)
answer is removed. The `feedback.response_received` events (one per answer, with its time, request
id and trace) are deleted from the event bus: nothing consumes them, and they said when people
answered.

Revision ID: feedback_0004
Revises: feedback_0003
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "feedback_0004"
down_revision: str | None = "feedback_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey_keys",
        sa.Column("survey_id", sa.Uuid(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sealed_private_key", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["feedback.surveys.id"],
            name=op.f("fk_survey_keys_survey_id_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("survey_id", name=op.f("pk_survey_keys")),
        schema="feedback",
    )
    op.add_column(
        "invitations",
        sa.Column("credential_issued", sa.Boolean(), nullable=False, server_default=sa.false()),
        schema="feedback",
    )
    op.add_column(
        "invitations", sa.Column("credential_request", sa.LargeBinary(), nullable=True), schema="feedback"
    )
    op.add_column(
        "invitations",
        sa.Column("withdrawn", sa.Boolean(), nullable=False, server_default=sa.false()),
        schema="feedback",
    )
    op.execute("UPDATE feedback.invitations SET credential_issued = answered WHERE answered")
    op.drop_column("invitations", "answered", schema="feedback")
    op.alter_column("invitations", "credential_issued", server_default=None, schema="feedback")
    op.alter_column("invitations", "withdrawn", server_default=None, schema="feedback")
    op.execute(
        "DELETE FROM feedback.responses r USING feedback.surveys s WHERE s.id = r.survey_id AND s.responses < 5"
    )
    op.execute("UPDATE feedback.surveys SET responses = 0 WHERE status = 'closed' AND responses < 5")
    op.execute(
        """
        WITH rare AS (
            SELECT q.survey_id, q.org_unit_id, q.sector, array_agg(q.key) AS keys
            FROM (
                SELECT r.survey_id, r.org_unit_id, r.sector, k.key, count(*) AS n
                FROM feedback.responses r, jsonb_object_keys(r.answers) AS k(key)
                GROUP BY 1, 2, 3, 4
            ) q
            WHERE q.n < 5
            GROUP BY 1, 2, 3
        )
        UPDATE feedback.responses r SET answers = r.answers - rare.keys
        FROM rare
        WHERE rare.survey_id = r.survey_id AND rare.org_unit_id IS NOT DISTINCT FROM r.org_unit_id
          AND rare.sector IS NOT DISTINCT FROM r.sector
        """
    )
    op.execute(
        "DO $$ BEGIN IF to_regclass('eventbus.events') IS NOT NULL THEN "
        "DELETE FROM eventbus.events WHERE topic = 'feedback.response_received'; END IF; END $$"
    )
    op.add_column("ballots", sa.Column("token_hash", sa.LargeBinary(), nullable=True), schema="feedback")
    op.create_unique_constraint(
        op.f("uq_ballots_survey_id_token_hash"), "ballots", ["survey_id", "token_hash"], schema="feedback"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("uq_ballots_survey_id_token_hash"), "ballots", schema="feedback", type_="unique")
    op.drop_column("ballots", "token_hash", schema="feedback")
    op.add_column(
        "invitations",
        sa.Column("answered", sa.Boolean(), nullable=False, server_default=sa.false()),
        schema="feedback",
    )
    op.execute("UPDATE feedback.invitations SET answered = credential_issued")
    op.drop_column("invitations", "withdrawn", schema="feedback")
    op.drop_column("invitations", "credential_request", schema="feedback")
    op.drop_column("invitations", "credential_issued", schema="feedback")
    op.drop_table("survey_keys", schema="feedback")
