"""A seeded office: two years of cases with known filing times, clocks, languages and officers.

Each case is described by a plain ``Spec`` first; the tests compute every expected figure
from the specs directly, then compare with what the reports read from the database.
Every seeded name, phone, email, narrative, location and officers text is unique, so a
test can scan the open data for any of them.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from intake.cases import filing as complaints
from intake.cases import lifecycle
from intake.enums import Channel, Disposition, Kind, Language, Status
from intake.models import Case, StatusChange, Translation
from tests.factories import submission_data

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 10, 15, 12, 0, tzinfo=UTC)
PERIOD = "2026Q3"
CATEGORIES = ["use_of_force", "discourtesy", "bias_or_profiling", "improper_stop_search_arrest", "property", None]
COMPLAINT_OUTCOMES = [Disposition.SUSTAINED, Disposition.NOT_SUSTAINED, Disposition.UNFOUNDED, Disposition.MEDIATED]


@dataclass
class Spec:
    """What one seeded case is, and what happens to it when."""

    index: int
    kind: Kind
    channel: Channel
    language: Language
    category: str | None
    filed: dt.datetime
    ack_hours: float | None = None  # to triage
    close_hours: float | None = None  # first closing (after triage)
    disposition: Disposition | None = None
    reopen_hours: float | None = None  # reopened into triage, then closed again at reclose_hours
    reclose_hours: float | None = None
    withdraw_hours: float | None = None
    incident_parsed: bool = True
    incident_text: bool = True
    location_given: bool = True
    needs_interpreter: bool = False
    translated: bool = False
    officers: str = ""
    case_id: int = 0
    tracking_number: str = ""
    secrets: dict[str, str] = field(default_factory=dict)

    def at(self, hours: float) -> dt.datetime:
        return self.filed + dt.timedelta(hours=hours)

    def events(self) -> list[tuple[dt.datetime, Status, Status, Disposition | None]]:
        """Return (when, from, to, disposition) for every move after filing, in order."""
        moves = []
        if self.ack_hours is not None:
            moves.append((self.at(self.ack_hours), Status.RECEIVED, Status.TRIAGE, None))
            if self.close_hours is not None:
                moves.append((self.at(self.close_hours), Status.TRIAGE, Status.CLOSED, self.disposition))
                if self.reopen_hours is not None:
                    moves.append((self.at(self.reopen_hours), Status.CLOSED, Status.TRIAGE, None))
                    moves.append((self.at(self.reclose_hours), Status.TRIAGE, Status.CLOSED, self.disposition))
            elif self.withdraw_hours is not None:
                moves.append((self.at(self.withdraw_hours), Status.TRIAGE, Status.WITHDRAWN, None))
        elif self.withdraw_hours is not None:
            moves.append((self.at(self.withdraw_hours), Status.RECEIVED, Status.WITHDRAWN, None))
        return moves


def _random_specs(rng: random.Random) -> list[Spec]:
    specs = []
    start = dt.datetime(2024, 9, 20, tzinfo=UTC)  # a few before the eight quarters begin (2024Q4)
    span = (NOW - dt.timedelta(days=2) - start).total_seconds()
    languages = [Language.EN] * 5 + [Language.ES] * 3 + [Language.VI, Language.KM, Language.HMN, Language.ZH]
    channels = [Channel.SMS, Channel.SMS, Channel.VOICE, Channel.WEB_CHAT, Channel.WEB_FORM, Channel.TTY]
    for index in range(70):
        kind = Kind.COMMENDATION if rng.random() < 0.2 else Kind.COMPLAINT
        filed = start + dt.timedelta(seconds=rng.random() * span)
        language = rng.choice(languages)
        spec = Spec(
            index=index,
            kind=kind,
            channel=rng.choice(channels),
            language=language,
            category="commendation" if kind is Kind.COMMENDATION and rng.random() < 0.7 else rng.choice(CATEGORIES),
            filed=filed,
            incident_parsed=rng.random() < 0.7,
            incident_text=rng.random() < 0.9,
            location_given=rng.random() < 0.8,
            officers=rng.choice(["a tall officer", "two officers, no names", "I don't know", ""]),
        )
        if language is not Language.EN:
            spec.needs_interpreter = language in (Language.KM, Language.HMN)
            spec.translated = not spec.needs_interpreter and rng.random() < 0.75
        roll = rng.random()
        if roll < 0.1:
            spec.withdraw_hours = rng.uniform(1, 100)
        elif roll < 0.9:
            spec.ack_hours = rng.uniform(0.5, 200)
            if rng.random() < 0.65:
                spec.close_hours = spec.ack_hours + rng.uniform(24, 2000)
                spec.disposition = (
                    Disposition.ACKNOWLEDGED if kind is Kind.COMMENDATION else rng.choice(COMPLAINT_OUTCOMES)
                )
            elif rng.random() < 0.2:
                spec.withdraw_hours = spec.ack_hours + rng.uniform(1, 50)
        _drop_future(spec)
        specs.append(spec)
    return specs


def _drop_future(spec: Spec) -> None:
    """Keep only what has happened by NOW."""
    latest = (NOW - spec.filed).total_seconds() / 3600 - 1
    if spec.ack_hours is not None and spec.ack_hours > latest:
        spec.ack_hours = spec.close_hours = spec.disposition = spec.withdraw_hours = None
    if spec.close_hours is not None and spec.close_hours > latest:
        spec.close_hours = spec.disposition = None
    if spec.withdraw_hours is not None and spec.withdraw_hours > latest:
        spec.withdraw_hours = None


def _officer_specs() -> list[Spec]:
    """Complaints (and commendations) naming badges and units, for early warning."""

    def complaint(days_ago: float, officers: str, **extra: object) -> Spec:
        return Spec(
            index=0,
            kind=Kind.COMPLAINT,
            channel=Channel.SMS,
            language=Language.ES,
            category="use_of_force",
            filed=NOW - dt.timedelta(days=days_ago),
            officers=officers,
            **extra,  # type: ignore[arg-type]
        )

    return [
        complaint(20, "Oficial alto, placa 4471, patrulla 12"),
        complaint(95, "placa 4471"),
        complaint(300, "badge #4471 and a second officer"),
        complaint(40, "Officer Kim, badge 5521"),
        complaint(50, "badge 5521, car 12"),
        complaint(60, "car 12"),
        complaint(10, "badge 9090"),
        complaint(200, "badge 9090"),
        complaint(400, "badge 9090"),  # outside the twelve months
        complaint(30, "badge 8080"),
        complaint(31, "badge 8080"),
        complaint(
            32,
            "badge 8080",
            ack_hours=2,
            close_hours=30,
            disposition=Disposition.DUPLICATE,
        ),
        *[
            Spec(
                index=0,
                kind=Kind.COMMENDATION,
                channel=Channel.WEB_FORM,
                language=Language.EN,
                category="commendation",
                filed=NOW - dt.timedelta(days=days),
                officers="badge 7777 was kind",
            )
            for days in (5, 15, 25)
        ],
    ]


def _fixed_specs() -> list[Spec]:
    """Cases that pin down edge cases in the quarter: a reopened complaint, one acknowledged after the quarter."""
    return [
        Spec(
            index=0,
            kind=Kind.COMPLAINT,
            channel=Channel.RELAY,
            language=Language.EN,
            category="discourtesy",
            filed=dt.datetime(2026, 7, 3, 9, tzinfo=UTC),
            ack_hours=5,
            close_hours=100,
            disposition=Disposition.NOT_SUSTAINED,
            reopen_hours=200,
            reclose_hours=400,
        ),
        Spec(
            index=0,
            kind=Kind.COMPLAINT,
            channel=Channel.VOICE,
            language=Language.TL,
            category=None,
            filed=dt.datetime(2026, 9, 30, 20, tzinfo=UTC),
            ack_hours=10,  # on 1 October: after the quarter
            translated=True,
        ),
    ]


def seed_specs() -> list[Spec]:
    """Return every spec, numbered, with its unique identifying words."""
    specs = _random_specs(random.Random(8)) + _officer_specs() + _fixed_specs()
    for number, spec in enumerate(specs):
        spec.index = number
        spec.secrets = {
            "name": f"Zelphine Quorrow{number:03d}",
            "phone": f"(209) 555-{1000 + number:04d}",
            "email": f"zq{number:03d}@residents.example.org",
            "narrative": f"Narrative marker kx{number:03d}q: the officer shouted at me near the bus stop.",
            "location": f"{1200 + number} Verbena Lane apartment {number}",
            "injuries": f"bruise marker inj{number:03d}",
            "witnesses": f"my neighbour Ortolan{number:03d}",
            "incident_text": f"last Tuesday around {number % 12 + 1} pm (marker t{number:03d})",
        }
    return specs


def seed(session, keyring, specs: list[Spec] | None = None) -> list[Spec]:
    """File every spec's case, back-date it and play its status changes; return the specs with ids."""
    specs = specs if specs is not None else seed_specs()
    for spec in specs:
        words = spec.secrets
        overrides = {
            "kind": spec.kind.value,
            "channel": spec.channel.value,
            "language": spec.language.value,
            "narrative": words["narrative"],
            "incident_time_text": words["incident_text"] if spec.incident_text else None,
            "location": words["location"] if spec.location_given else None,
            "officers": spec.officers or None,
            "injuries": words["injuries"],
            "witnesses": words["witnesses"],
            "contact": {"name": words["name"], "phone": words["phone"], "email": words["email"], "preferred": "sms"},
        }
        if spec.incident_parsed:
            overrides["incident_time"] = (spec.filed - dt.timedelta(days=3)).isoformat()
        case, receipt = complaints.file_case(
            session,
            keyring=keyring,
            submission=complaints.parse_submission(submission_data(**overrides)),
            actor="test",
        )
        case.created_at = case.updated_at = spec.filed
        case.category = spec.category
        if spec.needs_interpreter:
            case.needs_interpreter = True
            case.translation_status = "needs_interpreter"
        session.flush()
        first = session.query(StatusChange).filter_by(case_id=case.id).one()
        first.created_at = spec.filed
        for when, _from, to, disposition in spec.events():
            change = lifecycle.change_status(
                session, case=case, to=to, actor="test", reason="seeded", disposition=disposition
            )
            change.created_at = when
        if spec.translated:
            session.add(
                Translation(
                    key=f"{case.id}:-:narrative:en:seed",
                    case_id=case.id,
                    field="narrative",
                    source_language=spec.language,
                    target_language=Language.EN,
                    source_digest="0" * 64,
                    text="(translated)",
                    engine="argos",
                    models=["seed"],
                )
            )
        session.flush()
        spec.case_id = case.id
        spec.tracking_number = receipt.tracking_number
    session.expire_all()
    return specs


def case_of(session, spec: Spec) -> Case:
    return session.get(Case, spec.case_id)
