"""The problems answering is refused with."""

from __future__ import annotations

from services.kernel.problems import Conflict, Forbidden, NotFound, Problem


class InvitationNotFound(NotFound):
    slug = "invitation-not-found"
    title = "Invitation not found"


class CredentialAlreadyIssued(Conflict):
    slug = "credential-already-issued"
    title = "A credential was issued for this invitation"


class InvalidBlindedMessage(Problem):
    status = 422
    slug = "invalid-blinded-message"
    title = "The blinded message cannot be signed with the survey's key"


class InvalidCredential(Forbidden):
    slug = "invalid-credential"
    title = "The token and signature are not a credential for this survey"


class AlreadyAnswered(Conflict):
    slug = "already-answered"
    title = "Already answered"


class InvalidAnswers(Problem):
    status = 422
    slug = "invalid-answers"
    title = "The answers do not fit the survey's questions"


class UnknownOrgUnit(Problem):
    status = 422
    slug = "unknown-org-unit"
    title = "No such org unit"
