"""The templates the service ships (version 1 of each, inserted by migration feedback_0003).

Never edit a shipped version here once released: a changed wording is a new version, made through the
API or a new migration, so that answers already given stay tied to the questions they answered.
"""

from __future__ import annotations

from typing import Any

SESSION_EVALUATION = "session-evaluation"
SELF_EVALUATION = "leader-group-self-evaluation"

AGREE = {"min_label": "Helt uenig", "max_label": "Helt enig"}

# The themes of effective leader groups in DOMAIN.md, and the programme's main goal (collaboration).
DIMENSIONS = {
    "structure": "Struktur",
    "dialogue": "Dialog",
    "strategic-planning": "Strategisk planlegging",
    "relations": "Relasjoner",
    "professional-competence": "Faglig kompetanse",
    "collaboration": "Samarbeid på tvers av virksomheter",
}


def _agree(key: str, dimension: str, text: str) -> dict[str, Any]:
    return {"key": key, "type": "scale", "dimension": dimension, "text": text, **AGREE}


SHIPPED: dict[str, dict[str, Any]] = {
    SESSION_EVALUATION: {
        "title": "Evaluering av samlingen",
        "description": "Fem korte spørsmål. Svarene er anonyme og vises bare samlet, når nok har svart.",
        "questions": [
            {
                "key": "useful",
                "type": "scale",
                "text": "Hvor nyttig var samlingen for deg som leder?",
                "min_label": "Lite nyttig",
                "max_label": "Svært nyttig",
            },
            {
                "key": "relevant",
                "type": "scale",
                "text": "Hvor relevant var innholdet for arbeidet ditt?",
                "min_label": "Lite relevant",
                "max_label": "Svært relevant",
            },
            {
                "key": "collaboration",
                "type": "scale",
                "dimension": "collaboration",
                "text": "Ga samlingen deg kontakter eller ideer til samarbeid på tvers av virksomheter?",
                "min_label": "I liten grad",
                "max_label": "I stor grad",
            },
            {
                "key": "format",
                "type": "single-choice",
                "text": "Hvordan passet formen på samlingen?",
                "options": [
                    {"key": "good", "label": "Passet godt"},
                    {"key": "ok", "label": "Passet greit"},
                    {"key": "poor", "label": "Passet dårlig"},
                ],
            },
            {
                "key": "take-away",
                "type": "free-text",
                "required": False,
                "max_length": 2000,
                "text": "Hva tar du med deg videre, og hva kan gjøres bedre?",
            },
        ],
    },
    SELF_EVALUATION: {
        "title": "Egenevaluering av ledergruppen",
        "description": (
            "Hvordan fungerer ledergruppen i dag? Besvares før og etter programmet, og resultatene "
            "sammenlignes tema for tema. Svarene er anonyme og vises bare samlet, når nok har svart."
        ),
        "questions": [
            _agree(
                "structure-meetings",
                "structure",
                "Møtene i ledergruppen har tydelig agenda, roller og oppfølging.",
            ),
            _agree(
                "structure-priorities",
                "structure",
                "Vi bruker tiden i ledergruppen på sakene som betyr mest.",
            ),
            _agree("dialogue-open", "dialogue", "Vi snakker åpent sammen i ledergruppen, også om uenighet."),
            _agree("dialogue-all", "dialogue", "Alle i ledergruppen bidrar i diskusjonene."),
            _agree(
                "strategy-long-term",
                "strategic-planning",
                "Ledergruppen arbeider med langsiktige, strategiske spørsmål, ikke bare drift.",
            ),
            _agree(
                "strategy-follow-up", "strategic-planning", "Vi følger opp målene og tiltakene vi setter oss."
            ),
            _agree("relations-trust", "relations", "Det er tillit mellom medlemmene i ledergruppen."),
            _agree("relations-support", "relations", "Vi støtter hverandre når det står på."),
            _agree(
                "competence-fit",
                "professional-competence",
                "Ledergruppen har den faglige kompetansen oppgavene krever.",
            ),
            _agree("competence-use", "professional-competence", "Vi bruker hverandres kompetanse aktivt."),
            _agree(
                "collaboration-others",
                "collaboration",
                "Ledergruppen samarbeider godt med andre virksomheter i kommunen.",
            ),
            _agree(
                "collaboration-initiative",
                "collaboration",
                "Vi tar selv initiativ til samarbeid på tvers av virksomheter og sektorer.",
            ),
            {
                "key": "develop",
                "type": "multiple-choice",
                "required": False,
                "text": "Hvilke områder vil du helst at ledergruppen utvikler?",
                "options": [{"key": key, "label": label} for key, label in DIMENSIONS.items()],
            },
            {
                "key": "comment",
                "type": "free-text",
                "required": False,
                "max_length": 2000,
                "text": "Er det noe mer du vil si om hvordan ledergruppen fungerer?",
            },
        ],
    },
}
