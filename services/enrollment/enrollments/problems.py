"""What enrolling, waiting and cancelling can refuse, as problem documents."""

from __future__ import annotations

from services.kernel.problems import BadRequestProblem, Conflict, NotFound


class SessionNotFound(NotFound):
    slug = "session-not-found"
    title = "Session not found"


class OfferingNotFound(NotFound):
    slug = "offering-not-found"
    title = "Offering not found"


class EnrollmentNotFound(NotFound):
    slug = "enrollment-not-found"
    title = "Enrollment not found"


class NotOpen(Conflict):
    slug = "session-not-open"
    title = "Not open for enrollment"


class EnrollmentWindowClosed(Conflict):
    slug = "enrollment-window-closed"
    title = "Enrollment is not open now"


class SessionStarted(Conflict):
    slug = "session-started"
    title = "Session has started"


class ProgrammeTakenWhole(Conflict):
    slug = "programme-taken-whole"
    title = "A programme's sessions are taken together"


class AlreadyEnrolled(Conflict):
    slug = "already-enrolled"
    title = "Already enrolled"


class NoMembers(Conflict):
    slug = "group-has-no-members"
    title = "The leader group has no active members"


class DeadlinePassed(Conflict):
    slug = "cancellation-deadline-passed"
    title = "The cancellation deadline has passed"


class NotCancellable(Conflict):
    slug = "enrollment-not-active"
    title = "The enrollment is not active"


class NotWaiting(Conflict):
    slug = "enrollment-not-waitlisted"
    title = "The enrollment is not on the waiting list"


class ReasonRequired(BadRequestProblem):
    slug = "reason-required"
    title = "A reason is required"
