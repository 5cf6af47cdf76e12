"""English texts: survey templates (title, description, questions, labels, options), surveys' titles and
the offerings' English titles in the read model.

The shipped templates get their English texts as a new version, never by changing a stored one (answers
stay tied to the version they answered): the newest version of each shipped template, with English beside
every bokmål text still worded as shipped. A version a coordinator reworded keeps its own words, without
English for what changed.

Revision ID: feedback_0006
Revises: feedback_0005
Create Date: 2026-12-03
"""

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "feedback_0006"
down_revision: str | None = "feedback_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("survey_templates", "title_en", 200),
    ("survey_templates", "description_en", 2000),
    ("surveys", "title_en", 300),
    ("offerings", "title_en", None),
)
AGREE = ("Helt uenig", "Strongly disagree", "Helt enig", "Strongly agree")
# Per shipped template: (bokmål, English) of the title and description, and per question key the
# bokmål text it was shipped with and its English texts.
ENGLISH: dict[str, dict[str, Any]] = {
    "session-evaluation": {
        "title": ("Evaluering av samlingen", "Session evaluation"),
        "description": (
            "Fem korte spørsmål. Svarene er anonyme og vises bare samlet, når nok har svart.",
            "Five short questions. Answers are anonymous and shown only together, once enough have answered.",
        ),
        "questions": {
            "useful": (
                "Hvor nyttig var samlingen for deg som leder?",
                "How useful was the session for you as a leader?",
                ("Lite nyttig", "Not useful", "Svært nyttig", "Very useful"),
            ),
            "relevant": (
                "Hvor relevant var innholdet for arbeidet ditt?",
                "How relevant was the content to your work?",
                ("Lite relevant", "Not relevant", "Svært relevant", "Very relevant"),
            ),
            "collaboration": (
                "Ga samlingen deg kontakter eller ideer til samarbeid på tvers av virksomheter?",
                "Did the session give you contacts or ideas for collaboration across agencies?",
                ("I liten grad", "To a small extent", "I stor grad", "To a great extent"),
            ),
            "format": (
                "Hvordan passet formen på samlingen?",
                "How well did the session's format suit you?",
                {
                    "Passet godt": "Suited me well",
                    "Passet greit": "Suited me fine",
                    "Passet dårlig": "Suited me poorly",
                },
            ),
            "take-away": (
                "Hva tar du med deg videre, og hva kan gjøres bedre?",
                "What will you take with you, and what could be done better?",
                None,
            ),
        },
    },
    "leader-group-self-evaluation": {
        "title": ("Egenevaluering av ledergruppen", "Leader group self-evaluation"),
        "description": (
            "Hvordan fungerer ledergruppen i dag? Besvares før og etter programmet, og resultatene "
            "sammenlignes tema for tema. Svarene er anonyme og vises bare samlet, når nok har svart.",
            "How does the leader group work today? Answered before and after the programme, and the results "
            "are compared theme by theme. Answers are anonymous and shown only together, once enough have "
            "answered.",
        ),
        "questions": {
            "structure-meetings": (
                "Møtene i ledergruppen har tydelig agenda, roller og oppfølging.",
                "The leader group's meetings have a clear agenda, roles and follow-up.",
                AGREE,
            ),
            "structure-priorities": (
                "Vi bruker tiden i ledergruppen på sakene som betyr mest.",
                "We spend the leader group's time on the matters that count most.",
                AGREE,
            ),
            "dialogue-open": (
                "Vi snakker åpent sammen i ledergruppen, også om uenighet.",
                "We talk openly in the leader group, also when we disagree.",
                AGREE,
            ),
            "dialogue-all": (
                "Alle i ledergruppen bidrar i diskusjonene.",
                "Everyone in the leader group contributes to the discussions.",
                AGREE,
            ),
            "strategy-long-term": (
                "Ledergruppen arbeider med langsiktige, strategiske spørsmål, ikke bare drift.",
                "The leader group works on long-term, strategic questions, not only day-to-day operations.",
                AGREE,
            ),
            "strategy-follow-up": (
                "Vi følger opp målene og tiltakene vi setter oss.",
                "We follow up the goals and measures we set ourselves.",
                AGREE,
            ),
            "relations-trust": (
                "Det er tillit mellom medlemmene i ledergruppen.",
                "There is trust between the members of the leader group.",
                AGREE,
            ),
            "relations-support": (
                "Vi støtter hverandre når det står på.",
                "We support each other when it matters.",
                AGREE,
            ),
            "competence-fit": (
                "Ledergruppen har den faglige kompetansen oppgavene krever.",
                "The leader group has the professional competence its tasks require.",
                AGREE,
            ),
            "competence-use": (
                "Vi bruker hverandres kompetanse aktivt.",
                "We make active use of each other's competence.",
                AGREE,
            ),
            "collaboration-others": (
                "Ledergruppen samarbeider godt med andre virksomheter i kommunen.",
                "The leader group works well with other agencies in the municipality.",
                AGREE,
            ),
            "collaboration-initiative": (
                "Vi tar selv initiativ til samarbeid på tvers av virksomheter og sektorer.",
                "We take the initiative to collaborate across agencies and sectors ourselves.",
                AGREE,
            ),
            "develop": (
                "Hvilke områder vil du helst at ledergruppen utvikler?",
                "Which areas would you most like the leader group to develop?",
                {
                    "Struktur": "Structure",
                    "Dialog": "Dialogue",
                    "Strategisk planlegging": "Strategic planning",
                    "Relasjoner": "Relations",
                    "Faglig kompetanse": "Professional competence",
                    "Samarbeid på tvers av virksomheter": "Collaboration across agencies",
                },
            ),
            "comment": (
                "Er det noe mer du vil si om hvordan ledergruppen fungerer?",
                "Is there anything more you would like to say about how the leader group works?",
                None,
            ),
        },
    },
}


def _english_version_id(key: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"urn:ledelse:survey-template:{key}:english")


def _translated(question: dict[str, Any], shipped: tuple[str, str, Any]) -> bool:
    """Add the English texts to `question` where its bokmål is as shipped; True if any was added."""
    text_nb, text_en, extra = shipped
    if question.get("text") != text_nb:
        return False
    question["text_en"] = text_en
    if (
        isinstance(extra, tuple)
        and question.get("min_label") == extra[0]
        and question.get("max_label") == extra[2]
    ):
        question["min_label_en"], question["max_label_en"] = extra[1], extra[3]
    if isinstance(extra, dict):
        for option in question.get("options") or []:
            if option.get("label") in extra:
                option["label_en"] = extra[option["label"]]
    return True


def upgrade() -> None:
    for table, column, length in COLUMNS:
        op.add_column(table, sa.Column(column, sa.String(length), nullable=True), schema="feedback")
    bind = op.get_bind()
    templates = sa.table(
        "survey_templates",
        sa.column("id", sa.Uuid()),
        sa.column("key", sa.String()),
        sa.column("version", sa.Integer()),
        sa.column("title", sa.String()),
        sa.column("description", sa.String()),
        sa.column("title_en", sa.String()),
        sa.column("description_en", sa.String()),
        sa.column("questions", postgresql.JSONB()),
        sa.column("ballot_size", sa.Integer()),
        sa.column("created_by", sa.String()),
        schema="feedback",
    )
    for key, english in ENGLISH.items():
        newest = bind.execute(
            sa.select(templates).where(templates.c.key == key).order_by(templates.c.version.desc()).limit(1)
        ).first()
        if newest is None:
            continue
        questions = [
            dict(q, options=[dict(o) for o in q["options"]]) if q.get("options") else dict(q)
            for q in newest.questions
        ]
        added = [
            _translated(q, english["questions"][q["key"]])
            for q in questions
            if q["key"] in english["questions"]
        ]
        title_nb, title_en = english["title"]
        description_nb, description_en = english["description"]
        if not any(added) and newest.title != title_nb:
            continue
        op.bulk_insert(
            templates,
            [
                {
                    "id": _english_version_id(key),
                    "key": key,
                    "version": newest.version + 1,
                    "title": newest.title,
                    "description": newest.description,
                    "title_en": title_en if newest.title == title_nb else None,
                    "description_en": description_en if newest.description == description_nb else None,
                    "questions": questions,
                    # The same questions, answered the same way: a ballot pads to the same size.
                    "ballot_size": newest.ballot_size,
                    "created_by": "system",
                }
            ],
        )


def downgrade() -> None:
    # The English versions go unless a survey was opened with one (then it stays, without its English).
    for key in ENGLISH:
        op.execute(
            sa.text(
                "DELETE FROM feedback.survey_templates t WHERE t.id = :id "
                "AND NOT EXISTS (SELECT 1 FROM feedback.surveys s WHERE s.template_id = t.id)"
            ).bindparams(id=_english_version_id(key))
        )
    for table, column, _ in reversed(COLUMNS):
        op.drop_column(table, column, schema="feedback")
