"""The problems the survey endpoints answer with."""

from __future__ import annotations

from services.kernel.problems import Conflict, NotFound, Problem, ServiceUnavailable


class TemplateNotFound(NotFound):
    slug = "template-not-found"
    title = "Survey template not found"


class TemplateExists(Conflict):
    slug = "template-exists"
    title = "A template with this key exists"


class QuestionTypeChanged(Problem):
    status = 422
    slug = "question-type-changed"
    title = "A question changed its type"


class SurveyNotFound(NotFound):
    slug = "survey-not-found"
    title = "Survey not found"


class SurveyNotOpen(Conflict):
    slug = "survey-closed"
    title = "The survey is closed"


class BallotKeyMismatch(ServiceUnavailable):
    slug = "ballot-key-mismatch"
    title = "The answers cannot be opened"


class NoInvitees(Problem):
    status = 422
    slug = "no-invitees"
    title = "Nobody to invite"
