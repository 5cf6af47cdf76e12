"""Demo data drawn from the domain: Oslo's 54 top-leader groups, UKE's coordinators, and every offering
kind over the programme year 2026/27. Loading is idempotent: records are keyed by external id or title.

Sessions are scheduled through the catalogue's own service code, so they publish
`catalog.session_scheduled` and the enrollment service learns of them exactly as in production.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from devtools.devkeys import DEFAULT_EMAILS, DEFAULT_USER_EMAIL, person_oid
from services.catalog.offerings import service as offerings_service
from services.catalog.offerings.models import Format, Offering
from services.catalog.offerings.schemas import Facilitator, FacilitatorKind, OfferingCreate
from services.catalog.sessions import service as sessions_service
from services.catalog.sessions.models import CourseSession, SessionStatus
from services.catalog.sessions.schemas import SeriesCreate, SessionCreate
from services.enrollment.coaching import coaches
from services.enrollment.coaching.models import CoachKind
from services.enrollment.coaching.schemas import CoachCreate
from services.enrollment.directory.audience import publish_changes as publish_audience_changes
from services.enrollment.directory.models import (
    LeaderGroup,
    LeaderGroupMember,
    OrgUnit,
    OrgUnitKind,
    Person,
)
from services.enrollment.hrsync.service import publish_directory
from services.kernel import database
from services.kernel.auth.tokens import Principal
from services.kernel.languages import Language

OSLO = ZoneInfo("Europe/Oslo")

DISTRICTS = [
    "Alna",
    "Bjerke",
    "Frogner",
    "Gamle Oslo",
    "Grorud",
    "Grünerløkka",
    "Nordre Aker",
    "Nordstrand",
    "Sagene",
    "St. Hanshaugen",
    "Stovner",
    "Søndre Nordstrand",
    "Ullern",
    "Vestre Aker",
    "Østensjø",
]
DEPARTMENTS = [
    ("Byrådslederens kontor", "Byrådsleder"),
    ("Byrådsavdeling for finans", "Finans"),
    ("Byrådsavdeling for oppvekst og kunnskap", "Oppvekst og kunnskap"),
    ("Byrådsavdeling for helse, eldre og innbyggertjenester", "Helse, eldre og innbyggertjenester"),
    (
        "Byrådsavdeling for arbeid, integrering og sosiale tjenester",
        "Arbeid, integrering og sosiale tjenester",
    ),
    ("Byrådsavdeling for miljø og samferdsel", "Miljø og samferdsel"),
    ("Byrådsavdeling for byutvikling", "Byutvikling"),
    ("Byrådsavdeling for kultur og næring", "Kultur og næring"),
]
AGENCIES = [
    ("Utviklings- og kompetanseetaten", "Finans"),
    ("Utdanningsetaten", "Oppvekst og kunnskap"),
    ("Barne- og familieetaten", "Oppvekst og kunnskap"),
    ("Helseetaten", "Helse, eldre og innbyggertjenester"),
    ("Sykehjemsetaten", "Helse, eldre og innbyggertjenester"),
    ("Velferdsetaten", "Arbeid, integrering og sosiale tjenester"),
    ("Bymiljøetaten", "Miljø og samferdsel"),
    ("Klimaetaten", "Miljø og samferdsel"),
    ("Vann- og avløpsetaten", "Miljø og samferdsel"),
    ("Renovasjons- og gjenvinningsetaten", "Miljø og samferdsel"),
    ("Plan- og bygningsetaten", "Byutvikling"),
    ("Eiendoms- og byfornyelsesetaten", "Byutvikling"),
    ("Byantikvaren", "Byutvikling"),
    ("Kulturetaten", "Kultur og næring"),
    ("Deichman", "Kultur og næring"),
    ("Næringsetaten", "Kultur og næring"),
    ("Brann- og redningsetaten", "Finans"),
    ("Beredskapsetaten", "Byrådsleder"),
    ("Kommuneadvokaten", "Byrådsleder"),
    ("Kommunerevisjonen", "Byrådsleder"),
    ("Gravferdsetaten", "Helse, eldre og innbyggertjenester"),
    ("Innkjøpsetaten", "Finans"),
    ("Oslo kommunes kemnerkontor", "Finans"),
    ("Elev- og lærlingombudet", "Oppvekst og kunnskap"),
    ("Friluftsetaten", "Miljø og samferdsel"),
    ("Personvernombudet", "Byrådsleder"),
]
ENTERPRISES = [
    ("Oslobygg KF", "Byutvikling"),
    ("Boligbygg Oslo KF", "Byutvikling"),
    ("Oslo Havn KF", "Kultur og næring"),
    ("Kultur- og idrettsbygg Oslo KF", "Kultur og næring"),
    ("Sporveien Oslo", "Miljø og samferdsel"),
]
FIRST_NAMES = [
    "Anne",
    "Inger",
    "Kari",
    "Marit",
    "Ingrid",
    "Liv",
    "Eva",
    "Berit",
    "Astrid",
    "Bjørg",
    "Hilde",
    "Solveig",
    "Ola",
    "Jan",
    "Per",
    "Bjørn",
    "Lars",
    "Kjell",
    "Knut",
    "Arne",
    "Svein",
    "Thomas",
    "Geir",
    "Håkon",
    "Åse",
    "Øystein",
    "Sigrid",
    "Jørgen",
    "Nora",
    "Emil",
    "Aisha",
    "Mohammed",
    "Fatima",
    "Ali",
    "Zainab",
]
LAST_NAMES = [
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kristiansen",
    "Jensen",
    "Karlsen",
    "Johnsen",
    "Pettersen",
    "Eriksen",
    "Berg",
    "Haugen",
    "Hagen",
    "Johannessen",
    "Andreassen",
    "Jacobsen",
    "Dahl",
    "Jørgensen",
    "Halvorsen",
    "Henriksen",
    "Lund",
    "Sørensen",
    "Strand",
    "Ødegård",
    "Bakke",
    "Sæther",
    "Rønning",
    "Ahmed",
    "Ali",
    "Khan",
    "Nguyen",
]
MEMBER_ROLES = [
    "Avdelingsdirektør",
    "Økonomisjef",
    "HR-sjef",
    "Kommunikasjonssjef",
    "Fagdirektør",
    "Virksomhetsleder",
    "Seksjonssjef",
]


def _slug(text: str) -> str:
    table = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "ü": "u"})
    return re.sub(r"[^a-z0-9]+", "-", text.lower().translate(table)).strip("-")


def _units() -> list[tuple[str, str, str, str]]:
    """(external id, name, kind, sector) for 54 top-leader units."""
    units = [(f"bydel-{_slug(d)}", f"Bydel {d}", "city-district", "Bydel") for d in DISTRICTS]
    units += [(f"byr-{_slug(sector)}", name, "department", sector) for name, sector in DEPARTMENTS]
    units += [(f"etat-{_slug(name)}", name, "agency", sector) for name, sector in AGENCIES]
    units += [(f"kf-{_slug(name)}", name, "enterprise", sector) for name, sector in ENTERPRISES]
    return units


def _leader_title(kind: str) -> str:
    return {
        "city-district": "Bydelsdirektør",
        "department": "Kommunaldirektør",
        "agency": "Etatsdirektør",
        "enterprise": "Administrerende direktør",
    }[kind]


async def _upsert_person(
    session: AsyncSession, external_id: str, name: str, email: str, unit: OrgUnit
) -> Person:
    existing = (
        await session.execute(select(Person).where(Person.external_id == external_id))
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    person = Person(
        external_id=external_id,
        name=name,
        email=email,
        entra_oid=person_oid(email),
        org_unit_id=unit.id,
        org_unit_external_id=unit.external_id,
    )
    session.add(person)
    await session.flush()
    return person


async def load_directory(session: AsyncSession) -> int:
    """Org units, their top-leader groups and members, plus UKE's coordinators and ops; the directory
    events are published as the HR sync would, so the feedback service knows everyone."""
    rng = random.Random(2017)  # noqa: S311 - demo names, not secrets
    created = 0
    employee_no = 100_000
    for external_id, name, kind, sector in _units():
        unit = (
            await session.execute(select(OrgUnit).where(OrgUnit.external_id == external_id))
        ).scalar_one_or_none()
        if unit is None:
            unit = OrgUnit(external_id=external_id, name=name, kind=OrgUnitKind(kind), sector=sector)
            session.add(unit)
            await session.flush()
            created += 1
        domain = f"{_slug(name.replace('Bydel ', 'bydel-'))}.oslo.kommune.no"
        members: list[tuple[Person, str]] = []
        for index in range(rng.randint(5, 8)):
            employee_no += 1
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            full = f"{first} {last}"
            email = f"{_slug(first)}.{_slug(last)}.{employee_no}@{domain}"
            if index == 0 and external_id == "bydel-alna":
                full, email = "Ola Hansen", DEFAULT_USER_EMAIL
            person = await _upsert_person(session, f"E{employee_no}", full, email, unit)
            members.append((person, _leader_title(kind) if index == 0 else rng.choice(MEMBER_ROLES)))
        leader = members[0][0]
        group_external = f"tlg-{external_id}"
        group = (
            await session.execute(select(LeaderGroup).where(LeaderGroup.external_id == group_external))
        ).scalar_one_or_none()
        if group is None:
            group = LeaderGroup(
                external_id=group_external,
                org_unit_id=unit.id,
                org_unit_external_id=unit.external_id,
                leader_id=leader.id,
                leader_external_id=leader.external_id,
                name=f"Toppledergruppen, {name}",
            )
            session.add(group)
            await session.flush()
            session.add_all(
                LeaderGroupMember(
                    group_id=group.id, person_id=p.id, person_external_id=p.external_id, role_title=role
                )
                for p, role in members
            )
            await session.flush()
    uke = (
        await session.execute(
            select(OrgUnit).where(OrgUnit.external_id == f"etat-{_slug('Utviklings- og kompetanseetaten')}")
        )
    ).scalar_one()
    await _upsert_person(session, "K0001", "Kari Nordmann", DEFAULT_EMAILS["coordinator"], uke)
    await _upsert_person(session, "K0002", "Per Drift", DEFAULT_EMAILS["ops"], uke)
    if created:
        await publish_directory(
            session,
            set((await session.execute(select(OrgUnit.id))).scalars()),
            set((await session.execute(select(Person.id))).scalars()),
            set((await session.execute(select(LeaderGroup.id))).scalars()),
        )
    # Everyone's audience facts, as a sync publishes them (also for a database made before the catalogue
    # judged eligibility): once, after the directory events.
    await publish_audience_changes(session)
    return created


def _at(day: str, hour: int, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=OSLO)


# The programme year 2026/27: offerings launched in June, enrollment open from 15 August, sessions from
# September to June. Sessions already over are marked completed.
ENROLLMENT_OPENS = _at("2026-08-15", 9)
DEMO_COORDINATOR = Principal(oid=person_oid(DEFAULT_EMAILS["coordinator"]), roles=frozenset({"coordinator"}))
UKE = "Utviklings- og kompetanseetaten, Grensen 13"
TEAMS = "https://teams.microsoft.com/l/meetup-join/ledelsesutvikling-demo"
CONSULTANTS = [
    Facilitator(
        name="Kari Nordmann", kind=FacilitatorKind.internal, organisation="UKE", role="Organisasjonskonsulent"
    ),
    Facilitator(
        name="Jon Berg", kind=FacilitatorKind.internal, organisation="UKE", role="Organisasjonskonsulent"
    ),
]
RESEARCHER = Facilitator(
    name="Professor Anne Lie",
    kind=FacilitatorKind.external,
    organisation="Handelshøyskolen BI",
    role="Forsker",
)


@dataclass(frozen=True)
class DemoOffering:
    kind: str
    title: str
    summary: str
    themes: list[str]
    format: Format
    sessions: list[tuple[datetime, datetime]]
    capacity: int
    venue: str | None
    room: str | None = None
    meeting_url: str | None = None
    facilitators: tuple[Facilitator, ...] = tuple(CONSULTANTS)
    programme_every_days: int | None = None
    publish: bool = True
    # The page's longer text, after the summary.
    about: str = ""
    # The English title and summary, for leaders who read English better.
    english: tuple[str, str] | None = None


def _half_days(first: str, count: int, every_days: int) -> list[tuple[datetime, datetime]]:
    start = _at(first, 8, 30)
    return [
        (start + timedelta(days=every_days * i), start + timedelta(days=every_days * i, hours=4))
        for i in range(count)
    ]


OFFERINGS = [
    DemoOffering(
        "theme-gathering",
        "Temasamling: Effektive ledergrupper",
        "Felles arena for alle toppledergruppene i Rådhusets kongressal, med eksterne fagpersoner om hva som "
        "kjennetegner effektive ledergrupper.",
        ["effektive-ledergrupper", "strategisk-samhandling"],
        Format.physical,
        [
            (_at("2026-09-24", 9), _at("2026-09-24", 15, 30)),
            (_at("2027-05-20", 9), _at("2027-05-20", 15, 30)),
        ],
        300,
        "Oslo rådhus",
        "Kongressalen",
        facilitators=(*CONSULTANTS, RESEARCHER),
        english=(
            "Theme gathering: Effective leader groups",
            "A shared arena for all the top-leader groups in the City Hall, with external experts on what "
            "makes leader groups effective.",
        ),
        about=(
            "Hva skiller ledergrupper som lykkes? Forskeren Anne Lie legger fram funn om sammensetning, "
            "samspill, normer og beslutninger i ledergrupper, og toppledergruppene arbeider med egne "
            "eksempler i grupper på tvers av virksomhetene. Samlingen gir et felles språk for "
            "ledergruppeutviklingen og nettverk med andre toppledere."
        ),
    ),
    DemoOffering(
        "theme-gathering",
        "Temasamling: Risikostyring i tillitsbasert styring",
        "Dilemmaer i styringsdialogen og risikostyring når styringen bygger på tillit. Fysisk i Rådhuset og "
        "digitalt for dem som ikke kan møte.",
        ["risikostyring", "tillitsbasert-styring", "styringsdialog"],
        Format.hybrid,
        [(_at("2027-02-04", 9), _at("2027-02-04", 15))],
        300,
        "Oslo rådhus",
        "Kongressalen",
        meeting_url=TEAMS,
        english=(
            "Theme gathering: Risk management in trust-based governance",
            "Dilemmas in the governance dialogue and risk management when governance rests on trust. In the "
            "City Hall and online.",
        ),
        about=(
            "Hvordan styrer en virksomhet risiko uten detaljstyring? Vi ser på internkontroll, mål- og "
            "resultatstyring og tillitsreformen, og på dilemmaene i styringsdialogen mellom byrådsavdeling "
            "og virksomhet. Innlegg fra Byrådslederens kontor og samtaler i grupper."
        ),
    ),
    DemoOffering(
        "reflection-group",
        "Refleksjonsgrupper for toppledere 2026/27",
        "Små grupper satt sammen på tvers av virksomheter og sektorer, som utforsker dilemmaer i "
        "topplederrollen og bygger nettverk.",
        ["strategisk-samhandling", "endringsledelse"],
        Format.physical,
        [(_at(day, 13), _at(day, 16)) for day in ("2026-10-20", "2026-12-08", "2027-02-23", "2027-04-27")],
        42,
        UKE,
        "Møterom Akerselva",
        english=(
            "Reflection groups for top leaders 2026/27",
            "Small groups across agencies and sectors that explore dilemmas of the top-leader role and "
            "build networks.",
        ),
        about=(
            "Fire samlinger i en fast gruppe på seks til åtte toppledere fra ulike virksomheter og sektorer. "
            "En organisasjonskonsulent fra UKE leder gruppen, som gir rom for refleksjon og læring om egen "
            "lederrolle, toppledelse i en stor kommune og ledelse i usikre tider. Samhandling på tvers og et "
            "varig nettverk er en del av målet."
        ),
    ),
    DemoOffering(
        "leader-group-development",
        "Ledergruppeutvikling 2026/27",
        "Forskningsbasert program for effektive ledergrupper: seks halvdagssamlinger, én hver sjette uke, "
        "med hjemmelekse mellom samlingene og en egenevaluering av ledergruppen før start.",
        ["effektive-ledergrupper"],
        Format.physical,
        _half_days("2026-09-03", 6, 42),
        60,
        UKE,
        "Store sal",
        programme_every_days=42,
        english=(
            "Leader group development 2026/27",
            "A research-based programme for effective leader groups: six half-day sessions, one every six "
            "weeks, with homework in between.",
        ),
        about=(
            "Toppledergruppen deltar samlet. Programmet bygger på forskning om effektive ledergrupper: "
            "teamets oppgave, sammensetning, normer og møtepraksis. Før start gjør ledergruppen en "
            "egenevaluering, og mellom samlingene er det hjemmelekse. Lederutvikling for hele teamet, ikke "
            "bare for topplederen."
        ),
    ),
    DemoOffering(
        "leader-group-workshop",
        "Workshop: Krisehåndtering og beredskap i hverdagen",
        "Skreddersydd workshop for én toppledergruppe om balansen mellom beredskap og daglig drift.",
        ["krisehandtering"],
        Format.physical,
        [(_at(day, 9), _at(day, 12)) for day in ("2027-02-18", "2027-03-11")],
        1,
        "Hos virksomheten",
        english=(
            "Workshop: Crisis management and everyday preparedness",
            "A tailored workshop for one top-leader group on balancing emergency preparedness and daily "
            "operations.",
        ),
        about=(
            "Hva lærte vi av koronakrisen? Workshopen tar for seg kriseledelse og ledelse i usikre tider, "
            "balansen mellom beredskap og drift, og hva ledergruppen vil ta med seg videre. Skreddersys for "
            "hver virksomhet i samarbeid med topplederen."
        ),
    ),
    DemoOffering(
        "leader-group-workshop",
        "Workshop: Ledelse på avstand",
        "Digital workshop for én toppledergruppe om ledelse på avstand og hjemmekontor.",
        ["ledelse-pa-avstand"],
        Format.digital,
        [(_at("2027-03-25", 9), _at("2027-03-25", 11, 30))],
        1,
        None,
        meeting_url=TEAMS,
        english=(
            "Workshop: Leading at a distance",
            "An online workshop for one top-leader group on remote leadership and working from home.",
        ),
        about=(
            "Fjernledelse og hjemmekontor er kommet for å bli. Ledergruppen ser på hvordan de leder "
            "medarbeidere de sjelden møter, hvordan digitale møter blir bedre, og hvordan fellesskap og "
            "tillit holdes ved like i en hybrid hverdag."
        ),
    ),
    DemoOffering(
        "coaching",
        "Individuell veiledning for toppledere",
        "Individuell veiledning etter forespørsel, med en av UKEs organisasjonskonsulenter.",
        ["endringsledelse"],
        Format.hybrid,
        [],
        1,
        None,
        english=(
            "Individual coaching for top leaders",
            "Individual coaching on request, with one of the organisational consultants of the agency.",
        ),
        about=(
            "En toppleder kan be om individuell veiledning (coaching) om lederrollen, en vanskelig "
            "beslutning eller en endringsprosess. Samtalene er fortrolige og avtales med veilederen, "
            "digitalt eller fysisk, normalt tre til fem samtaler."
        ),
    ),
    DemoOffering(
        "professional-day",
        "Fagdag: Tillitsbasert ledelse",
        "Endagsarrangement for alle ledere om tillitsbasert styring og ledelse. Rekordmange påmeldte i fjor, "
        "men fortsatt plass til flere.",
        ["tillitsbasert-styring"],
        Format.physical,
        [(_at("2027-01-19", 9), _at("2027-01-19", 16))],
        400,
        "Oslo Kongressenter",
        "Plenumssalen",
        english=(
            "Seminar: Trust-based leadership",
            "A one-day event for all leaders on trust-based governance and leadership.",
        ),
        about=(
            "Hva betyr tillitsbasert ledelse i praksis for ledere på alle nivåer? Foredrag om tillit, "
            "handlingsrom og medarbeiderskap, erfaringer fra virksomheter som har prøvd, og samtaler om "
            "balansen mellom tillit og kontroll."
        ),
    ),
    DemoOffering(
        "theme-gathering",
        "Temasamling: Topplederens rolle i endring",
        "Under planlegging: hvordan toppledere leder endring i komplekse samfunnsutfordringer.",
        ["endringsledelse", "komplekse-samfunnsutfordringer"],
        Format.physical,
        [(_at("2027-06-10", 9), _at("2027-06-10", 15))],
        300,
        "Oslo rådhus",
        "Kongressalen",
        publish=False,
        about=(
            "Omstilling, digitalisering og komplekse samfunnsutfordringer krever toppledere som leder "
            "endring sammen med andre. Samlingen tar for seg endringsledelse på tvers av sektorer."
        ),
    ),
]


def _window(starts_at: datetime) -> dict[str, datetime]:
    return {
        "enrollment_opens_at": ENROLLMENT_OPENS,
        "enrollment_closes_at": starts_at - timedelta(days=1),
        "cancellation_deadline": starts_at - timedelta(days=7),
    }


async def _schedule(session: AsyncSession, offering: Offering, demo: DemoOffering) -> None:
    if demo.programme_every_days:
        first_start, first_end = demo.sessions[0]
        await sessions_service.schedule_series(
            session,
            DEMO_COORDINATOR,
            offering.id,
            SeriesCreate(
                first_starts_at=first_start,
                duration_minutes=int((first_end - first_start).total_seconds() // 60),
                interval_days=demo.programme_every_days,
                count=len(demo.sessions),
                capacity=demo.capacity,
                venue=demo.venue,
                room=demo.room,
                **_window(first_start),
            ),
        )
        return
    for starts_at, ends_at in demo.sessions:
        await sessions_service.schedule(
            session,
            DEMO_COORDINATOR,
            SessionCreate.model_validate(
                {
                    "offering_id": offering.id,
                    "starts_at": starts_at,
                    "ends_at": ends_at,
                    "capacity": demo.capacity,
                    "venue": demo.venue,
                    "room": demo.room,
                    "meeting_url": demo.meeting_url,
                    **_window(starts_at),
                }
            ),
        )


async def load_catalog(session: AsyncSession) -> int:
    """Each demo offering through the catalogue's own service code: draft, sessions, publish."""
    created = 0
    now = datetime.now(UTC)
    for demo in OFFERINGS:
        # Anyone may have made another offering with the same title since (Swagger UI's example is one).
        exists = (
            await session.execute(select(Offering.id).where(Offering.title == demo.title).limit(1))
        ).first()
        if exists is not None:
            continue
        offering = await offerings_service.create_offering(
            session,
            DEMO_COORDINATOR,
            OfferingCreate(
                kind_code=demo.kind,
                title=demo.title,
                summary=demo.summary,
                description=f"{demo.summary}\n\n{demo.about}",
                title_en=demo.english[0] if demo.english else None,
                summary_en=demo.english[1] if demo.english else None,
                format=demo.format,
                themes=demo.themes,
                facilitators=list(demo.facilitators),
            ),
        )
        await _schedule(session, offering, demo)
        if demo.publish:
            await offerings_service.publish_offering(session, DEMO_COORDINATOR, offering)
        # Sessions already over in this demo year are marked completed (attendance belongs to enrollment).
        await session.execute(
            update(CourseSession)
            .where(col(CourseSession.offering_id) == offering.id, col(CourseSession.ends_at) < now)
            .values(status=SessionStatus.completed.value)
        )
        created += 1
    return created


# The programme's coaches for coaching on request; each signs in with the e-mail's development oid
# (`make token ROLE=user EMAIL=jon.berg@uke.oslo.kommune.no`).
DEMO_COACHES = [
    CoachCreate(
        name="Jon Berg",
        email="jon.berg@uke.oslo.kommune.no",
        organisation="UKE",
        kind=CoachKind.internal,
        entra_oid=person_oid("jon.berg@uke.oslo.kommune.no"),
        capacity_per_term=6,
    ),
    CoachCreate(
        name="Eva Lie",
        email="eva.lie@lie-lederutvikling.no",
        organisation="Lie Lederutvikling AS",
        kind=CoachKind.external,
        entra_oid=person_oid("eva.lie@lie-lederutvikling.no"),
        capacity_per_term=4,
        language=Language.en,
    ),
]


async def load_coaches(session: AsyncSession) -> None:
    known = {c.email for c in await coaches.coaches(session)}
    for coach in DEMO_COACHES:
        if coach.email not in known:
            await coaches.add_coach(session, coach)


async def load_demo_data(database_url: str) -> str:
    engine = database.create_engine(database_url, application_name="demo-data")
    sessionmaker = database.create_sessionmaker(engine)
    try:
        async with sessionmaker() as session, session.begin():
            units = await load_directory(session)
            await load_coaches(session)
        async with sessionmaker() as session, session.begin():
            offerings = await load_catalog(session)
    finally:
        await engine.dispose()
    return f"demo data: {units} new org units with top-leader groups, {offerings} new offerings"
