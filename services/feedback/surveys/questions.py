"""Questions of a survey template, and how answers are checked against them.

A template version is a list of questions. Four types: `scale` (1 to 5, both ends labelled),
`single-choice`, `multiple-choice` and `free-text`. A question may name a `dimension` (a slug such as
`structure` or `collaboration`): reports average the scale questions of a dimension, and a leader
group's baseline and follow-up are compared dimension by dimension.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from services.kernel.languages import Language, pick
from services.kernel.problems import FieldError
from services.kernel.schemas import SINGLE_LINE, WriteModel

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,39}$")]
SCALE = range(1, 6)
FREE_TEXT_DEFAULT_LENGTH = 2000


class QuestionType(StrEnum):
    scale = "scale"
    single_choice = "single-choice"
    multiple_choice = "multiple-choice"
    free_text = "free-text"


EN = "In English; where left out, respondents reading English get the bokmål text."


class Option(WriteModel):
    key: Slug
    label: str = Field(min_length=1, max_length=200, pattern=SINGLE_LINE)
    label_en: str | None = Field(
        default=None, min_length=1, max_length=200, pattern=SINGLE_LINE, description=EN
    )


class Question(WriteModel):
    key: Slug = Field(description="Stable id of the question across versions (answers are keyed by it).")
    type: QuestionType
    text: str = Field(min_length=1, max_length=500)
    text_en: str | None = Field(default=None, min_length=1, max_length=500, description=EN)
    required: bool = True
    dimension: Slug | None = Field(default=None, description="e.g. structure, dialogue, collaboration.")
    min_label: str | None = Field(default=None, max_length=100, description="Label of 1 (scale only).")
    max_label: str | None = Field(default=None, max_length=100, description="Label of 5 (scale only).")
    min_label_en: str | None = Field(default=None, max_length=100, description=EN)
    max_label_en: str | None = Field(default=None, max_length=100, description=EN)
    options: list[Option] | None = Field(default=None, min_length=2, max_length=20)
    max_length: int | None = Field(default=None, ge=1, le=4000, description="Free text only (default 2000).")

    @model_validator(mode="after")
    def _fields_fit_the_type(self) -> Self:
        scale = self.type is QuestionType.scale
        choice = self.type in (QuestionType.single_choice, QuestionType.multiple_choice)
        text = self.type is QuestionType.free_text
        if scale and not (self.min_label and self.max_label):
            raise ValueError("a scale question needs min_label and max_label (the labelled ends)")
        if not scale and (self.min_label or self.max_label or self.min_label_en or self.max_label_en):
            raise ValueError("min_label and max_label belong to scale questions only")
        if choice and not self.options:
            raise ValueError("a choice question needs at least two options")
        if not choice and self.options:
            raise ValueError("options belong to choice questions only")
        if self.options and len({o.key for o in self.options}) != len(self.options):
            raise ValueError("option keys must be unique")
        if not text and self.max_length is not None:
            raise ValueError("max_length belongs to free-text questions only")
        if text and self.max_length is None:
            self.max_length = FREE_TEXT_DEFAULT_LENGTH
        return self

    def option_keys(self) -> list[str]:
        return [o.key for o in self.options or []]

    def in_language(self, language: Language) -> Question:
        """The question as a respondent reading `language` sees it: its texts in that language where
        written, else in bokmål."""
        options = [
            o.model_copy(update={"label": pick(language, o.label, o.label_en)}) for o in self.options or []
        ]
        return self.model_copy(
            update={
                "text": pick(language, self.text, self.text_en),
                "min_label": pick(language, self.min_label, self.min_label_en),
                "max_label": pick(language, self.max_label, self.max_label_en),
                "options": options or None,
            }
        )


# What Swagger UI fills in for a template's content (and, with a key, for a new template).
TEMPLATE_EXAMPLE: dict[str, Any] = {
    "title": "Evaluering av samlingen",
    "questions": [
        {
            "key": "nytte",
            "type": "scale",
            "text": "Hvor nyttig var samlingen?",
            "min_label": "Lite nyttig",
            "max_label": "Svært nyttig",
        },
        {"key": "kommentar", "type": "free-text", "text": "Hva tar du med deg?", "required": False},
    ],
}


class TemplateDraft(WriteModel):
    """A template version's content."""

    model_config = ConfigDict(json_schema_extra={"examples": [TEMPLATE_EXAMPLE]})

    title: str = Field(min_length=1, max_length=200, pattern=SINGLE_LINE)
    description: str | None = Field(default=None, max_length=2000)
    title_en: str | None = Field(
        default=None, min_length=1, max_length=200, pattern=SINGLE_LINE, description=EN
    )
    description_en: str | None = Field(default=None, max_length=2000, description=EN)
    questions: list[Question] = Field(min_length=1, max_length=60)

    @model_validator(mode="after")
    def _unique_question_keys(self) -> Self:
        keys = [q.key for q in self.questions]
        if len(keys) != len(set(keys)):
            raise ValueError("question keys must be unique within a template")
        return self


def check_answers(
    questions: list[Question], answers: dict[str, Any]
) -> tuple[dict[str, Any], list[FieldError]]:
    """The answers in canonical form, and every reason they do not fit the questions."""
    errors: list[FieldError] = []
    known = {q.key: q for q in questions}
    for key in answers:
        if key not in known:
            errors.append(
                FieldError(loc=["body", "answers", key], msg="no such question", type="unknown_question")
            )
    clean: dict[str, Any] = {}
    for question in questions:
        loc: list[str | int] = ["body", "answers", question.key]
        value = answers.get(question.key)
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "" or value == []:
            if question.required:
                errors.append(FieldError(loc=loc, msg="an answer is required", type="missing"))
            continue
        problem = _problem(question, value)
        if problem:
            errors.append(FieldError(loc=loc, msg=problem, type="invalid_answer"))
        else:
            clean[question.key] = sorted(set(value)) if isinstance(value, list) else value
    return clean, errors


def _problem(question: Question, value: Any) -> str | None:
    match question.type:
        case QuestionType.scale:
            if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE:
                return "must be a whole number from 1 to 5"
        case QuestionType.single_choice:
            if not isinstance(value, str) or value not in question.option_keys():
                return f"must be one of: {', '.join(question.option_keys())}"
        case QuestionType.multiple_choice:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                return "must be a list of option keys"
            unknown = [v for v in value if v not in question.option_keys()]
            if unknown:
                return (
                    f"unknown options {', '.join(unknown)}; choose from {', '.join(question.option_keys())}"
                )
        case QuestionType.free_text:
            if not isinstance(value, str):
                return "must be text"
            if "\x00" in value:
                return "must not contain NUL characters"
            assert question.max_length is not None
            if len(value) > question.max_length:
                return f"must be at most {question.max_length} characters"
    return None


def largest_answers(questions: list[Question]) -> dict[str, Any]:
    """The answers that serialise longest: a sealed ballot is padded to this size, so its length tells
    nothing about what was answered."""
    widest = "\U0010ffff"  # a character JSON escapes to the most bytes (a surrogate pair, 12 bytes)
    answers: dict[str, Any] = {}
    for question in questions:
        match question.type:
            case QuestionType.scale:
                answers[question.key] = 5
            case QuestionType.single_choice:
                answers[question.key] = max(question.option_keys(), key=len)
            case QuestionType.multiple_choice:
                answers[question.key] = question.option_keys()
            case QuestionType.free_text:
                assert question.max_length is not None
                answers[question.key] = widest * question.max_length
    return answers


def encode(document: dict[str, Any]) -> bytes:
    """The one JSON encoding of a ballot (ASCII only, so its length bound holds for any text)."""
    return json.dumps(document, ensure_ascii=True, separators=(",", ":"), sort_keys=True).encode()
