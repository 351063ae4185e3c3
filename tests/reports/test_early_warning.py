"""Early warning: what is read from the officers field, who is flagged, and that only supervisors see it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from intake.enums import Role
from intake.errors import NotFound, PermissionDenied
from intake.models import AuditEntry
from intake.reports import early_warning
from intake.reports.board import ReportSettings
from intake.reports.early_warning import Identifier, identifiers, months_before
from tests.factories import make_staff
from tests.reports.seed import NOW

UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def database(seeded):
    """Every test here reads the seeded office, each in its own rolled-back transaction."""
    return seeded[0]


@pytest.fixture
def specs(seeded):
    return seeded[1]


def ids(*pairs: str) -> set[Identifier]:
    return {Identifier(*pair.split(":")) for pair in pairs}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Oficial alto, placa 4471, patrulla 12", {"badge:4471", "unit:12"}),
        ("badge #4471 and car 12", {"badge:4471", "unit:12"}),
        ("Badge No. 4471", {"badge:4471"}),
        ("badge number: 5521; unit 4-Adam", {"badge:5521", "unit:4"}),
        ("badges 4471, 4472 and 4473", {"badge:4471", "badge:4472", "badge:4473"}),
        ("Officer Smith #4471", {"badge:4471"}),
        ("car #4471", {"unit:4471"}),
        ("2 officers, car 12 y 13", {"unit:12", "unit:13"}),
        ("他的警号4471，警车12", {"badge:4471", "unit:12"}),
        ("số hiệu 3321", {"badge:3321"}),
        ("placa ៤៤៧១", {"badge:4471"}),  # Khmer digits
        ("ＢＡＤＧＥ ４４７１", {"badge:4471"}),  # full width
        ("badge 04471", {"badge:04471"}),  # kept as written
        # Not read, on purpose:
        ("car 20 feet away, unit 3 blocks", set()),
        ("Officer Lee 4471", set()),
        ("apartment 4471", set()),
        ("tall, bald, no badge", set()),
        ("Officer in car 7, #12", {"unit:7"}),  # '#12' is too short to be taken for a badge
        ("I don't know", set()),
        ("", set()),
        (None, set()),
    ],
)
def test_badges_and_units_are_read_conservatively(text, expected):
    assert identifiers(text) == ids(*expected)


def test_identifiers_round_trip_and_refuse_anything_else():
    assert Identifier.parse("badge:4471") == Identifier("badge", "4471") and str(Identifier("unit", "12")) == "unit:12"
    for bad in ("badge:", "officer:12", "badge:12a", "badge:١٢", "unit:12345678", "4471"):
        with pytest.raises(NotFound):
            Identifier.parse(bad)


def test_the_window_is_calendar_months():
    assert months_before(dt.datetime(2026, 10, 15, tzinfo=UTC), 12) == dt.datetime(2025, 10, 15, tzinfo=UTC)
    assert months_before(dt.datetime(2026, 3, 31, tzinfo=UTC), 1) == dt.datetime(2026, 2, 28, tzinfo=UTC)
    assert months_before(dt.datetime(2026, 1, 10, tzinfo=UTC), 13) == dt.datetime(2024, 12, 10, tzinfo=UTC)


def test_badges_and_units_at_the_threshold_are_flagged(session, specs, settings):
    warning = early_warning.compute_flags(session, settings=settings, now=NOW)
    flagged = {str(flag.identifier): flag for flag in warning.flags}
    # 4471: three complaints; unit 12: three; 5521 two; 9090 a third one 400 days ago; 8080 one a duplicate;
    # 7777 only in commendations.
    assert set(flagged) == {"badge:4471", "unit:12"}
    by_badge = [s for s in specs if "4471" in s.officers]
    assert {c.case_id for c in flagged["badge:4471"].cases} == {s.case_id for s in by_badge}
    assert [c.filed_at for c in flagged["badge:4471"].cases] == sorted(s.filed for s in by_badge)
    complaints = [s for s in specs if s.kind.value == "complaint" and s.filed >= months_before(NOW, 12)]
    counted = [s for s in complaints if not (s.disposition and s.disposition.value == "duplicate")]
    assert warning.complaints == len(counted)
    assert warning.unread == sum(not identifiers(s.officers) for s in counted)


def test_the_threshold_and_window_are_configurable(session, specs):
    lower = early_warning.compute_flags(
        session, settings=ReportSettings(early_warning_threshold=2, early_warning_months=12), now=NOW
    )
    assert {str(f.identifier) for f in lower.flags} == {
        "badge:4471",
        "unit:12",
        "badge:5521",
        "badge:9090",
        "badge:8080",
    }
    longer = early_warning.compute_flags(
        session, settings=ReportSettings(early_warning_threshold=3, early_warning_months=14), now=NOW
    )
    assert "badge:9090" in {str(f.identifier) for f in longer.flags}


@pytest.mark.parametrize("role", [Role.INTAKE, Role.AUDITOR, Role.LIAISON])
def test_only_supervisors_see_flags_and_every_refusal_is_audited(session, specs, settings, role):
    viewer = make_staff(session, role=role, email=f"{role.value}@example.org")
    with pytest.raises(PermissionDenied):
        early_warning.flags_for(session, viewer=viewer, settings=settings, now=NOW)
    with pytest.raises(PermissionDenied):
        early_warning.flag_for(session, viewer=viewer, identifier="badge:4471", settings=settings, now=NOW)
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(2)).all()
    assert [e.action for e in entries] == ["access.denied", "access.denied"]
    assert {e.summary["attempted"] for e in entries} == {"view_early_warning"}
    assert all(e.actor == f"staff:{viewer.id}" for e in entries)


def test_a_supervisor_sees_the_flags_and_each_view_is_audited(session, specs, settings):
    viewer = make_staff(session, role=Role.SUPERVISOR, email="sup@example.org")
    warning = early_warning.flags_for(session, viewer=viewer, settings=settings, now=NOW)
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()
    assert entry.action == "early_warning.viewed" and entry.actor == f"staff:{viewer.id}"
    assert entry.summary == {"threshold": 3, "months": 12, "flags": [str(f.identifier) for f in warning.flags]}

    flag = early_warning.flag_for(session, viewer=viewer, identifier="badge:4471", settings=settings, now=NOW)
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()
    assert entry.action == "early_warning.flag_viewed"
    assert entry.summary == {"flag": "badge:4471", "case_ids": [c.case_id for c in flag.cases]}

    with pytest.raises(NotFound):  # a badge under the threshold is not a flag, and is not shown
        early_warning.flag_for(session, viewer=viewer, identifier="badge:5521", settings=settings, now=NOW)


def test_an_inactive_supervisor_sees_nothing(session, specs, settings):
    viewer = make_staff(session, role=Role.SUPERVISOR, email="gone@example.org")
    viewer.active = False
    with pytest.raises(PermissionDenied):
        early_warning.flags_for(session, viewer=viewer, settings=settings, now=NOW)
