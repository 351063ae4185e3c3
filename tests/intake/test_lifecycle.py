import itertools

import pytest
from sqlalchemy import select

from intake.cases import lifecycle
from intake.enums import Disposition, Role, Status
from intake.errors import IllegalTransition
from intake.models import AuditEntry, StatusChange
from tests.factories import make_case, make_staff


def _walk(session, case, *steps, actor="staff:1"):
    for step in steps:
        lifecycle.change_status(session, case=case, actor=actor, **step)


def test_a_complaint_walks_the_whole_lifecycle(session, keyring):
    case, _ = make_case(session, keyring)
    investigator = make_staff(session)
    _walk(
        session,
        case,
        {"to": Status.TRIAGE},
        {"to": Status.ASSIGNED, "assignee": investigator},
        {"to": Status.INVESTIGATING},
        {"to": Status.REFERRED, "reason": "referred to the department's internal affairs"},
        {"to": Status.CLOSED, "disposition": Disposition.SUSTAINED},
    )
    assert case.status is Status.CLOSED and case.disposition is Disposition.SUSTAINED
    assert case.assignee_id == investigator.id
    history = session.scalars(select(StatusChange).where(StatusChange.case_id == case.id).order_by(StatusChange.id))
    assert [h.to_status for h in history] == [
        Status.RECEIVED,
        Status.TRIAGE,
        Status.ASSIGNED,
        Status.INVESTIGATING,
        Status.REFERRED,
        Status.CLOSED,
    ]
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.case_id == case.id)).all()
    assert actions.count("case.status_changed") == 5


ILLEGAL = [(a, b) for a, b in itertools.product(Status, Status) if b not in lifecycle.TRANSITIONS[a]]


def _bring_to(session, case, status, staff):
    paths = {
        Status.RECEIVED: [],
        Status.TRIAGE: [{"to": Status.TRIAGE}],
        Status.ASSIGNED: [{"to": Status.TRIAGE}, {"to": Status.ASSIGNED, "assignee": staff}],
        Status.INVESTIGATING: [
            {"to": Status.TRIAGE},
            {"to": Status.ASSIGNED, "assignee": staff},
            {"to": Status.INVESTIGATING},
        ],
        Status.REFERRED: [
            {"to": Status.TRIAGE},
            {"to": Status.ASSIGNED, "assignee": staff},
            {"to": Status.INVESTIGATING},
            {"to": Status.REFERRED},
        ],
        Status.CLOSED: [{"to": Status.TRIAGE}, {"to": Status.CLOSED, "disposition": Disposition.NO_JURISDICTION}],
        Status.WITHDRAWN: [{"to": Status.WITHDRAWN, "reason": "resident asked"}],
    }
    _walk(session, case, *paths[status])


@pytest.mark.parametrize(("start", "target"), ILLEGAL, ids=[f"{a.value}->{b.value}" for a, b in ILLEGAL])
def test_illegal_transitions_are_refused_and_change_nothing(session, keyring, start, target):
    case, _ = make_case(session, keyring)
    staff = make_staff(session)
    _bring_to(session, case, start, staff)
    rows_before = session.scalars(select(StatusChange).where(StatusChange.case_id == case.id)).all()
    with pytest.raises(IllegalTransition, match=f"a {start.value} case cannot become {target.value}"):
        lifecycle.change_status(
            session,
            case=case,
            to=target,
            actor="staff:1",
            reason="r",
            assignee=staff,
            disposition=Disposition.SUSTAINED if target is Status.CLOSED else None,
        )
    assert case.status is start
    assert len(session.scalars(select(StatusChange).where(StatusChange.case_id == case.id)).all()) == len(rows_before)


def test_closing_needs_a_disposition_that_fits_the_kind(session, keyring):
    complaint, _ = make_case(session, keyring)
    _walk(session, complaint, {"to": Status.TRIAGE})
    with pytest.raises(IllegalTransition, match="needs a disposition"):
        lifecycle.change_status(session, case=complaint, to=Status.CLOSED, actor="staff:1")
    with pytest.raises(IllegalTransition, match="commendations"):
        lifecycle.change_status(
            session, case=complaint, to=Status.CLOSED, actor="staff:1", disposition=Disposition.ACKNOWLEDGED
        )
    commendation, _ = make_case(session, keyring, kind="commendation")
    _walk(session, commendation, {"to": Status.TRIAGE})
    with pytest.raises(IllegalTransition):
        lifecycle.change_status(
            session, case=commendation, to=Status.CLOSED, actor="staff:1", disposition=Disposition.SUSTAINED
        )
    _walk(session, commendation, {"to": Status.CLOSED, "disposition": Disposition.ACKNOWLEDGED})


def test_disposition_only_when_closing(session, keyring):
    case, _ = make_case(session, keyring)
    with pytest.raises(IllegalTransition, match="only when a case is closed"):
        lifecycle.change_status(
            session, case=case, to=Status.TRIAGE, actor="staff:1", disposition=Disposition.UNFOUNDED
        )


def test_assigning_needs_an_active_staff_member(session, keyring):
    case, _ = make_case(session, keyring)
    _walk(session, case, {"to": Status.TRIAGE})
    with pytest.raises(IllegalTransition, match="active staff member"):
        lifecycle.change_status(session, case=case, to=Status.ASSIGNED, actor="staff:1")
    gone = make_staff(session, Role.INTAKE, "gone@example.org")
    gone.active = False
    with pytest.raises(IllegalTransition, match="active staff member"):
        lifecycle.change_status(session, case=case, to=Status.ASSIGNED, actor="staff:1", assignee=gone)


def test_reopening_and_withdrawing_need_reasons(session, keyring):
    case, _ = make_case(session, keyring)
    _walk(session, case, {"to": Status.TRIAGE}, {"to": Status.CLOSED, "disposition": Disposition.DUPLICATE})
    with pytest.raises(IllegalTransition, match="needs a reason"):
        lifecycle.change_status(session, case=case, to=Status.TRIAGE, actor="staff:1")
    _walk(session, case, {"to": Status.TRIAGE, "reason": "not a duplicate after all"})
    assert case.status is Status.TRIAGE and case.disposition is None
    with pytest.raises(IllegalTransition, match="withdrawal needs a reason"):
        lifecycle.change_status(session, case=case, to=Status.WITHDRAWN, actor="resident:sms")
