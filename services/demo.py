"""Demo data drawn from the domain: Oslo's 54 top-leader groups, UKE's coordinators, and one offering of
each kind with sessions in 2027. Loading is idempotent: records are keyed by external id or title.

Sessions are scheduled through the catalogue's own service code, so they publish
`catalog.session_scheduled` and the enrolment service learns of them exactly as in production.
"""

from __future__ import annotations

import random
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from services.catalog.offerings.models import Offering, OfferingStatus
from services.catalog.sessions import service as sessions_service
from services.catalog.sessions.schemas import SessionCreate
from services.enrollment.directory.models import LeaderGroup, LeaderGroupMember, OrgUnit, Person
from services.kernel import database
from services.kernel.auth.devkeys import DEFAULT_EMAILS, DEFAULT_USER_EMAIL, person_oid

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
        external_id=external_id, name=name, email=email, entra_oid=person_oid(email), org_unit_id=unit.id
    )
    session.add(person)
    await session.flush()
    return person


async def load_directory(session: AsyncSession) -> int:
    """Org units, their top-leader groups and members, plus UKE's coordinators and ops."""
    rng = random.Random(2017)  # noqa: S311 - demo names, not secrets
    created = 0
    employee_no = 100_000
    for external_id, name, kind, sector in _units():
        unit = (
            await session.execute(select(OrgUnit).where(OrgUnit.external_id == external_id))
        ).scalar_one_or_none()
        if unit is None:
            unit = OrgUnit(external_id=external_id, name=name, kind=kind, sector=sector)
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
                leader_id=leader.id,
                name=f"Toppledergruppen, {name}",
            )
            session.add(group)
            await session.flush()
            session.add_all(
                LeaderGroupMember(group_id=group.id, person_id=p.id, role_title=role) for p, role in members
            )
            await session.flush()
    uke = (
        await session.execute(
            select(OrgUnit).where(OrgUnit.external_id == f"etat-{_slug('Utviklings- og kompetanseetaten')}")
        )
    ).scalar_one()
    await _upsert_person(session, "K0001", "Kari Nordmann", DEFAULT_EMAILS["coordinator"], uke)
    await _upsert_person(session, "K0002", "Per Drift", DEFAULT_EMAILS["ops"], uke)
    return created


def _at(day: str, hour: int, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=OSLO)


OFFERINGS: list[tuple[str, str, str, str, list[tuple[datetime, datetime, int]]]] = [
    (
        "theme-gathering",
        "Temasamling: Effektive ledergrupper",
        "Felles arena for alle toppledergruppene i Rådhusets kongressal, med eksterne fagpersoner.",
        "Rådhuset, kongressalen",
        [(_at("2027-02-04", 9), _at("2027-02-04", 15, 30), 300)],
    ),
    (
        "theme-gathering",
        "Temasamling: Risikostyring i tillitsbasert styring",
        "Dilemmaer i styringsdialogen og risikostyring når styringen bygger på tillit.",
        "Rådhuset, kongressalen",
        [(_at("2027-04-15", 9), _at("2027-04-15", 15), 300)],
    ),
    (
        "reflection-group",
        "Refleksjonsgruppe for toppledere 2027",
        "Små grupper satt sammen på tvers av virksomheter og sektorer; dilemmaer i topplederrollen.",
        "Utviklings- og kompetanseetaten, Grensen 13",
        [(_at("2027-03-02", 13), _at("2027-03-02", 16), 42)],
    ),
    (
        "leader-group-development",
        "Ledergruppeutvikling 2027",
        "Forskningsbasert program for effektive ledergrupper: seks halvdagssamlinger med hjemmelekse.",
        "Utviklings- og kompetanseetaten, Grensen 13",
        [
            (_at(day, 8, 30), _at(day, 12, 30), 60)
            for day in ("2027-01-21", "2027-03-04", "2027-04-15", "2027-05-27", "2027-06-10", "2027-08-26")
        ],
    ),
    (
        "leader-group-workshop",
        "Workshop: Krisehåndtering og beredskap i hverdagen",
        "Skreddersydd workshop for én toppledergruppe: balansen mellom beredskap og daglig drift.",
        "Etter avtale",
        [(_at("2027-02-18", 9), _at("2027-02-18", 12), 1)],
    ),
    (
        "coaching",
        "Individuell veiledning for toppledere",
        "Individuell veiledning etter forespørsel.",
        "Etter avtale",
        [],
    ),
    (
        "professional-day",
        "Fagdag: Tillitsbasert ledelse",
        "Endagsarrangement for alle ledere om tillitsbasert styring og ledelse.",
        "Oslo Kongressenter",
        [(_at("2027-01-19", 9), _at("2027-01-19", 16), 400)],
    ),
]


async def load_catalog(session: AsyncSession) -> int:
    created = 0
    for kind, title, summary, venue, dates in OFFERINGS:
        exists = (await session.execute(select(Offering).where(Offering.title == title))).scalar_one_or_none()
        if exists is not None:
            continue
        offering = Offering(
            kind_code=kind,
            title=title,
            summary=summary,
            booking_unit="group" if kind == "leader-group-workshop" else "person",
            status=OfferingStatus.published.value,
        )
        session.add(offering)
        await session.flush()
        for starts_at, ends_at, capacity in dates:
            await sessions_service.schedule(
                session,
                SessionCreate(
                    offering_id=offering.id,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    capacity=capacity,
                    venue=venue,
                ),
            )
        created += 1
    return created


async def load_demo_data(database_url: str) -> str:
    engine = database.create_engine(database_url, application_name="demo-data")
    sessionmaker = database.create_sessionmaker(engine)
    try:
        async with sessionmaker() as session, session.begin():
            units = await load_directory(session)
        async with sessionmaker() as session, session.begin():
            offerings = await load_catalog(session)
    finally:
        await engine.dispose()
    return f"demo data: {units} new org units with top-leader groups, {offerings} new offerings"
