"""What each mail says, in Norwegian bokmål and in English: subject, opening line, the sessions it is
about, and what the reader can do next. Times are Oslo's, written out the way each language writes
dates. The texts are plain; `compose` escapes them for the HTML part."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.enrollment.events import NotificationKind
from services.kernel.calendars import summary
from services.kernel.languages import Language, pick
from services.kernel.schemas import OSLO, one_line

WEEKDAYS = {
    Language.nb: ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"),
    Language.en: ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
MONTHS = {
    Language.nb: (
        "januar", "februar", "mars", "april", "mai", "juni",
        "juli", "august", "september", "oktober", "november", "desember",
    ),
    Language.en: (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip


def moment(value: Any) -> datetime:
    return datetime.fromisoformat(str(value)).astimezone(OSLO)


def when(value: Any, language: Language) -> str:
    """`torsdag 4. mars 2027 kl. 09:30` / `Thursday 4 March 2027 at 09:30`, in Oslo time."""
    at = moment(value)
    day, month = WEEKDAYS[language][at.weekday()], MONTHS[language][at.month - 1]
    if language is Language.en:
        return f"{day} {at.day} {month} {at.year} at {at:%H:%M}"
    return f"{day} {at.day}. {month} {at.year} kl. {at:%H:%M}"


def span(starts_at: Any, ends_at: Any, language: Language) -> str:
    """A session's time: its start written out, and its end as a time (or in full on another day)."""
    start, end = moment(starts_at), moment(ends_at)
    until = f"{end:%H:%M}" if end.date() == start.date() else when(end, language)
    return f"{when(start, language)}–{until}"


@dataclass(frozen=True)
class Wording:
    subject: str
    opening: str


def _nb(kind: NotificationKind, title: str, data: dict[str, Any]) -> Wording:
    count = len(data.get("sessions") or [])
    every = "alle samlingene" if count > 1 else "samlingen"
    previous = data.get("previous_starts_at")
    closes = when(data["closes_at"], Language.nb) if data.get("closes_at") else ""
    starts = when(data["starts_at"], Language.nb) if data.get("starts_at") else ""
    words = {
        NotificationKind.confirmed: Wording(f"Påmelding bekreftet: {title}", f"Du er påmeldt {title}."),
        NotificationKind.waitlisted: Wording(
            f"Du står på venteliste: {title}",
            f"{title} er fullt. Du står som nummer {data.get('position')} på ventelisten, og får beskjed "
            "hvis du får plass.",
        ),
        NotificationKind.promoted: Wording(
            f"Du har fått plass: {title}", f"En plass ble ledig, og du er nå påmeldt {title}."
        ),
        NotificationKind.cancelled: Wording(
            f"Påmelding avmeldt: {title}", f"Påmeldingen din til {title} er avmeldt."
        ),
        NotificationKind.session_cancelled: Wording(
            f"Avlyst: {title}", f"Samlingen i {title} er avlyst, og påmeldingen er avmeldt."
        ),
        NotificationKind.session_rescheduled: Wording(
            f"Nytt tidspunkt: {title}",
            f"Samlingen i {title} er flyttet"
            + (f" fra {when(previous, Language.nb)}" if previous else "")
            + ". Du beholder plassen din.",
        ),
        NotificationKind.programme_cancelled: Wording(
            f"Avlyst: {title}", f"{title} er avlyst ({every}), og påmeldingen er avmeldt."
        ),
        NotificationKind.programme_rescheduled: Wording(
            f"Nye tidspunkter: {title}", f"{title} har fått nye tidspunkter. Du beholder plassen din."
        ),
        NotificationKind.session_reminder: Wording(
            f"Påminnelse: {title}", f"Dette er en påminnelse om {title}. Velkommen!"
        ),
        NotificationKind.survey_invitation: Wording(
            f"Invitasjon: {title}",
            f"Du er invitert til å svare på {title}. Svaret er anonymt: det kan ikke knyttes til deg, "
            f"heller ikke av oss. Undersøkelsen stenger {closes}.",
        ),
        NotificationKind.survey_reminder: Wording(
            f"Påminnelse: {title}",
            f"{title} stenger {closes}. Har du ikke svart ennå, er det fortsatt tid. Har du svart, kan du "
            "se bort fra denne påminnelsen.",
        ),
        NotificationKind.coaching_requested: Wording(
            f"Forespørsel mottatt: {title}",
            f"Vi har mottatt forespørselen din om {title}. En koordinator finner en veileder til deg og tar "
            "kontakt om tidspunkt.",
        ),
        NotificationKind.coaching_assigned: Wording(
            f"Veileder funnet: {title}",
            f"{data.get('coach_name', '')} blir veilederen din i {title}. Du får en invitasjon når første "
            "samtale er avtalt.",
        ),
        NotificationKind.coaching_assigned_to_coach: Wording(
            f"Ny veiledning: {title}",
            f"Du er satt som veileder for en forespørsel om {title}. Se forespørselen under Veiledning.",
        ),
        NotificationKind.coaching_unassigned: Wording(
            f"Veiledning flyttet: {title}",
            f"En forespørsel om {title} er ikke lenger satt til deg.",
        ),
        NotificationKind.coaching_scheduled: Wording(
            f"Samtale avtalt: {title}",
            f"En samtale i {title} er avtalt {starts}.",
        ),
        NotificationKind.coaching_completed: Wording(
            f"Veiledning avsluttet: {title}", f"Veiledningen din i {title} er avsluttet. Takk for samtalene!"
        ),
        NotificationKind.coaching_declined: Wording(
            f"Forespørsel avslått: {title}", f"Forespørselen din om {title} kan dessverre ikke innfris nå."
        ),
        NotificationKind.coaching_withdrawn: Wording(
            f"Forespørsel trukket: {title}", f"Forespørselen om {title} er trukket tilbake."
        ),
    }
    return words[kind]


def _en(kind: NotificationKind, title: str, data: dict[str, Any]) -> Wording:
    count = len(data.get("sessions") or [])
    every = "every session" if count > 1 else "the session"
    previous = data.get("previous_starts_at")
    closes = when(data["closes_at"], Language.en) if data.get("closes_at") else ""
    starts = when(data["starts_at"], Language.en) if data.get("starts_at") else ""
    words = {
        NotificationKind.confirmed: Wording(f"Enrolment confirmed: {title}", f"You are enrolled in {title}."),
        NotificationKind.waitlisted: Wording(
            f"You are on the waiting list: {title}",
            f"{title} is full. You are number {data.get('position')} on the waiting list, and will be "
            "told if a place becomes free.",
        ),
        NotificationKind.promoted: Wording(
            f"You have a place: {title}", f"A place became free, and you are now enrolled in {title}."
        ),
        NotificationKind.cancelled: Wording(
            f"Enrolment cancelled: {title}", f"Your enrolment in {title} has been cancelled."
        ),
        NotificationKind.session_cancelled: Wording(
            f"Cancelled: {title}", f"A session of {title} is cancelled, and your place in it with it."
        ),
        NotificationKind.session_rescheduled: Wording(
            f"New time: {title}",
            f"A session of {title} has moved"
            + (f" from {when(previous, Language.en)}" if previous else "")
            + ". You keep your place.",
        ),
        NotificationKind.programme_cancelled: Wording(
            f"Cancelled: {title}", f"{title} is cancelled ({every}), and your enrolment with it."
        ),
        NotificationKind.programme_rescheduled: Wording(
            f"New times: {title}", f"{title} has new times. You keep your place."
        ),
        NotificationKind.session_reminder: Wording(
            f"Reminder: {title}", f"This is a reminder of {title}. Welcome!"
        ),
        NotificationKind.survey_invitation: Wording(
            f"Invitation: {title}",
            f"You are invited to answer {title}. Your answer is anonymous: it cannot be linked to you, not "
            f"even by us. The survey closes {closes}.",
        ),
        NotificationKind.survey_reminder: Wording(
            f"Reminder: {title}",
            f"{title} closes {closes}. If you have not answered yet, there is still time. If you have, "
            "please ignore this reminder.",
        ),
        NotificationKind.coaching_requested: Wording(
            f"Request received: {title}",
            f"We have received your request for {title}. A coordinator will find you a coach and be in "
            "touch about times.",
        ),
        NotificationKind.coaching_assigned: Wording(
            f"Your coach: {title}",
            f"{data.get('coach_name', '')} will be your coach in {title}. You get an invitation once "
            "the first conversation is agreed.",
        ),
        NotificationKind.coaching_assigned_to_coach: Wording(
            f"New coaching: {title}",
            f"You are the coach for a request for {title}. See the request under Coaching.",
        ),
        NotificationKind.coaching_unassigned: Wording(
            f"Coaching moved: {title}", f"A request for {title} is no longer assigned to you."
        ),
        NotificationKind.coaching_scheduled: Wording(
            f"Conversation booked: {title}",
            f"A conversation in {title} is booked for {starts}.",
        ),
        NotificationKind.coaching_completed: Wording(
            f"Coaching completed: {title}",
            f"Your coaching in {title} is completed. Thank you for the conversations!",
        ),
        NotificationKind.coaching_declined: Wording(
            f"Request declined: {title}", f"Your request for {title} cannot be met at this time."
        ),
        NotificationKind.coaching_withdrawn: Wording(
            f"Request withdrawn: {title}", f"The request for {title} has been withdrawn."
        ),
    }
    return words[kind]


def title_in(data: dict[str, Any], language: Language) -> str:
    """The offering's title in `language`: English where the offering has an English title."""
    return str(pick(language, data.get("offering_title") or "", data.get("offering_title_en")))


def wording(kind: NotificationKind, language: Language, data: dict[str, Any]) -> Wording:
    title = title_in(data, language)
    return (_en if language is Language.en else _nb)(kind, title, data)


LABELS = {
    Language.nb: {
        "cancelled": "AVLYST",
        "venue": "Sted",
        "online": "Digitalt",
        "reason": "Begrunnelse",
        "deadline": "Du kan melde deg av fram til {deadline} under Mine påmeldinger: {link}",
        "manage": "Se og endre påmeldingene dine under Mine påmeldinger: {link}",
        "calendar": "Invitasjonen er lagt ved, så samlingen kommer i kalenderen din.",
        "calendar_cancel": "Avlysningen er lagt ved, så kalenderen din oppdateres.",
        "answer": "Svar her: {link}",
        "regards": "Vennlig hilsen\nUtviklings- og kompetanseetaten",
    },
    Language.en: {
        "cancelled": "CANCELLED",
        "venue": "Venue",
        "online": "Online",
        "reason": "Reason",
        "deadline": "You can cancel until {deadline} under My enrolments: {link}",
        "manage": "See and change your enrolments under My enrolments: {link}",
        "calendar": "The invitation is attached, so the session lands in your calendar.",
        "calendar_cancel": "The cancellation is attached, so your calendar is updated.",
        "answer": "Answer here: {link}",
        "regards": "Kind regards\nThe Agency for Improvement and Development (Oslo kommune)",
    },
}


def session_lines(title: str, facts: dict[str, Any], language: Language, programme_size: int) -> list[str]:
    """A session in a mail: its name, time, place and link."""
    label = LABELS[language]
    name = summary(title, facts.get("position"), programme_size, english=language is Language.en)
    cancelled = f" ({label['cancelled']})" if facts.get("status") == "cancelled" else ""
    lines = [f"{name}{cancelled}", span(facts["starts_at"], facts["ends_at"], language)]
    about = pick(language, facts.get("description"), facts.get("description_en"))
    if about:
        lines.append(one_line(about))
    place = ", ".join(str(part) for part in (facts.get("venue"), facts.get("room")) if part)
    if place:
        lines.append(f"{label['venue']}: {place}")
    if facts.get("meeting_url"):
        lines.append(f"{label['online']}: {facts['meeting_url']}")
    return lines
