"""The console's services: who may see and do what, the queue's filters and pages, clocks, audit entries."""

import datetime as dt
import random

import pytest
from sqlalchemy import select, text

from intake import triage
from intake.enums import Channel, Disposition, Kind, Language, MessageState, Role, Status
from intake.errors import IllegalTransition, NotFound, PermissionDenied, ValidationError
from intake.models import AuditEntry, Job, Message
from intake.triage import Action, CaseFilters, ServiceTargets, Sort
from tests.console.conftest import file, move, sms_case
from tests.intake.test_audit import _unlock_audit_log

UTC = dt.timezone.utc
TARGETS = ServiceTargets(timezone="UTC")  # the arithmetic below is written in UTC


def _audit(session, action=None, case_id=None):
    query = select(AuditEntry).order_by(AuditEntry.seq)
    if action:
        query = query.where(AuditEntry.action == action)
    if case_id:
        query = query.where(AuditEntry.case_id == case_id)
    return list(session.scalars(query))


def _list(session, viewer, **filters):
    sort = filters.pop("sort", Sort.NEWEST)
    cursor = filters.pop("cursor", None)
    limit = filters.pop("limit", 50)
    now = filters.pop("now", None)
    return triage.list_cases(
        session,
        viewer=viewer,
        filters=CaseFilters(**filters),
        targets=TARGETS,
        sort=sort,
        cursor=cursor,
        limit=limit,
        now=now,
    )


# ------------------------------------------------------------------ service targets


def test_three_working_days_skip_the_weekend():
    friday = dt.datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    assert TARGETS.acknowledge_by(friday) == dt.datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    saturday = dt.datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    assert TARGETS.acknowledge_by(saturday) == dt.datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    monday = dt.datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert TARGETS.acknowledge_by(monday) == dt.datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def test_working_days_are_counted_in_the_office_time_zone():
    stockton = ServiceTargets(acknowledge_working_days=3, timezone="America/Los_Angeles")
    # Friday 5 pm in Stockton is already Saturday in UTC; the office still counts it as a Friday filing.
    friday_evening = dt.datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
    due = stockton.acknowledge_by(friday_evening).astimezone(stockton.zone)
    assert (due.weekday(), due.hour) == (2, 17)


def test_the_overdue_cutoff_agrees_with_the_deadline():
    rng = random.Random(7)
    start = dt.datetime(2026, 1, 1, tzinfo=UTC)
    for targets in (TARGETS, ServiceTargets(acknowledge_working_days=5, timezone="Asia/Bangkok")):
        for _ in range(300):
            filed = start + dt.timedelta(minutes=rng.randrange(60 * 24 * 60))
            now = filed + dt.timedelta(minutes=rng.randrange(60 * 24 * 14))
            if abs(targets.acknowledge_by(filed) - now) < dt.timedelta(seconds=1):
                continue
            assert (filed < targets.overdue_cutoff(now)) == (targets.acknowledge_by(filed) < now), (filed, now)


def test_a_bad_time_zone_is_a_configuration_error():
    from intake.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        ServiceTargets(timezone="Mars/Olympus")


def test_an_unacknowledged_case_becomes_overdue_and_acknowledging_stops_the_clock(session, keyring, team):
    case = file(session, keyring)
    case.created_at = dt.datetime(2026, 11, 16, 10, 0, tzinfo=UTC)  # a Monday
    on_time = triage.clock_of(case, targets=TARGETS, now=dt.datetime(2026, 11, 19, 9, 0, tzinfo=UTC))
    late = triage.clock_of(case, targets=TARGETS, now=dt.datetime(2026, 11, 19, 11, 0, tzinfo=UTC))
    assert not on_time.overdue and late.overdue
    assert late.since_filed == dt.timedelta(days=3, hours=1)
    move(session, case, Status.TRIAGE)
    assert not triage.clock_of(case, targets=TARGETS, now=dt.datetime(2026, 12, 1, tzinfo=UTC)).overdue


# ------------------------------------------------------------------ the queue


def test_the_queue_filters_by_every_field(session, keyring, team):
    supervisor = team[Role.SUPERVISOR]
    es = file(session, keyring, language="es", injuries="moretón")
    en = file(session, keyring, language="en", injuries=None, narrative="He shouted at me on Main Street.")
    commendation = file(
        session, keyring, kind="commendation", language="vi", injuries="  ", channel="web_form", narrative="Cảm ơn"
    )
    en.needs_interpreter = False
    es.needs_interpreter = True
    es.category = "use_of_force"
    move(session, en, Status.ASSIGNED, assignee=team[Role.INTAKE])
    session.flush()

    def ids(**filters):
        return {row.id for row in _list(session, supervisor, **filters).rows}

    assert ids() == {es.id, en.id, commendation.id}
    assert ids(language=Language.ES) == {es.id}
    assert ids(kind=Kind.COMMENDATION) == {commendation.id}
    assert ids(status=Status.ASSIGNED) == {en.id}
    assert ids(category="use_of_force") == {es.id}
    assert ids(channel=Channel.WEB_FORM) == {commendation.id}
    assert ids(assignee_id=team[Role.INTAKE].id) == {en.id}
    assert ids(assignee_id=triage.UNASSIGNED) == {es.id, commendation.id}
    assert ids(needs_interpreter=True) == {es.id}
    assert ids(injury_reported=True) == {es.id}
    assert ids(injury_reported=False) == {en.id, commendation.id}
    assert ids(text="SHOUTED") == {en.id}
    assert ids(text="empujó") == {es.id}
    assert ids(text="100%_") == set()
    assert ids(text=es.tracking_number) == {es.id}


def test_the_queue_filters_by_filing_date_in_the_office_zone(session, keyring, team):
    stockton = ServiceTargets(timezone="America/Los_Angeles")
    late_evening = file(session, keyring)
    late_evening.created_at = dt.datetime(2026, 11, 21, 7, 30, tzinfo=UTC)  # 23:30 on the 20th in Stockton
    next_day = file(session, keyring)
    next_day.created_at = dt.datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    session.flush()
    page = triage.list_cases(
        session,
        viewer=team[Role.INTAKE],
        filters=CaseFilters(filed_from=dt.date(2026, 11, 20), filed_to=dt.date(2026, 11, 20)),
        targets=stockton,
    )
    assert [row.id for row in page.rows] == [late_evening.id]


def test_overdue_filter_and_flag(session, keyring, team):
    now = dt.datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # a Thursday
    old = file(session, keyring)
    old.created_at = dt.datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    fresh = file(session, keyring)
    fresh.created_at = dt.datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    handled = move(session, file(session, keyring), Status.TRIAGE)
    handled.created_at = old.created_at
    session.flush()
    page = _list(session, team[Role.INTAKE], overdue=True, now=now)
    assert [row.id for row in page.rows] == [old.id]
    assert page.rows[0].clock.overdue
    assert {row.id for row in _list(session, team[Role.INTAKE], overdue=False, now=now).rows} == {fresh.id, handled.id}


def test_counts_per_status_ignore_the_status_filter(session, keyring, team):
    for _ in range(3):
        file(session, keyring)
    move(session, file(session, keyring), Status.TRIAGE)
    move(session, file(session, keyring, language="en"), Status.TRIAGE)
    page = _list(session, team[Role.SUPERVISOR], status=Status.TRIAGE, language=Language.ES)
    assert page.counts[Status.RECEIVED] == 3 and page.counts[Status.TRIAGE] == 1
    assert page.counts[Status.CLOSED] == 0
    assert page.total == 1 and len(page.rows) == 1


@pytest.mark.parametrize("sort", list(Sort))
def test_keyset_pages_cover_the_queue_once_in_order(session, keyring, team, sort):
    cases = [file(session, keyring) for _ in range(7)]
    same = dt.datetime(2026, 11, 1, tzinfo=UTC)
    for i, case in enumerate(cases):
        # Ties on the sort column are broken by id, so nothing is skipped or repeated.
        case.created_at = same if i % 2 else same + dt.timedelta(hours=i)
        case.updated_at = same + dt.timedelta(hours=7 - i) if i % 3 else same
    session.flush()
    seen, cursor = [], None
    while True:
        page = _list(session, team[Role.INTAKE], sort=sort, cursor=cursor, limit=3)
        seen.extend(row.id for row in page.rows)
        cursor = page.next_cursor
        if cursor is None:
            break
    column, descending = {
        Sort.NEWEST: ("created_at", True),
        Sort.OLDEST: ("created_at", False),
        Sort.RECENTLY_UPDATED: ("updated_at", True),
        Sort.LEAST_RECENTLY_UPDATED: ("updated_at", False),
    }[sort]
    expected = sorted(cases, key=lambda c: (getattr(c, column), c.id), reverse=descending)
    assert seen == [c.id for c in expected]


@pytest.mark.parametrize("cursor", ["nonsense", "W10", "WyJvbGRlc3QiLCAiMjAyNi0xMS0wMVQwMDowMDowMCswMDowMCIsIDFd"])
def test_a_cursor_that_is_not_this_queues_is_refused(session, team, cursor):
    with pytest.raises(ValidationError):
        _list(session, team[Role.INTAKE], cursor=cursor)


def test_viewing_the_queue_is_audited_without_the_search_words(session, keyring, team):
    file(session, keyring)
    _list(session, team[Role.INTAKE], text="María López", language=Language.ES)
    entry = _audit(session, "queue.viewed")[-1]
    assert entry.actor == f"staff:{team[Role.INTAKE].id}"
    assert entry.summary["filters"] == {"language": "es", "text_search": True}
    assert "María" not in str(entry.summary)


def test_a_liaison_sees_only_referred_cases_in_the_queue(session, keyring, team):
    referred = move(session, file(session, keyring), Status.REFERRED, assignee=team[Role.INTAKE])
    file(session, keyring)
    move(session, file(session, keyring), Status.INVESTIGATING, assignee=team[Role.INTAKE])
    page = _list(session, team[Role.LIAISON])
    assert [row.id for row in page.rows] == [referred.id]
    assert page.counts == {Status.REFERRED: 1}
    assert _list(session, team[Role.LIAISON], status=Status.RECEIVED).rows == []


# ------------------------------------------------------------------ one case


def _view(session, keyring, viewer, case):
    return triage.get_case_for(session, viewer=viewer, case_id=case.id, keyring=keyring, targets=TARGETS)


@pytest.mark.parametrize("role", [Role.INTAKE, Role.SUPERVISOR])
def test_handlers_see_the_contact_details_and_everything_else(session, keyring, team, role):
    case, _ = sms_case(session, keyring)
    view = _view(session, keyring, team[role], case)
    assert view.contact is not None and view.contact.phone == "+12095550142" and view.contact.name == "María López"
    assert view.transcript and view.status_history and view.audit_trail
    entry = _audit(session, "case.viewed", case.id)[-1]
    assert entry.summary == {"role": role.value, "contact_shown": True, "full": True}


def test_an_auditor_reads_the_case_without_contact_details(session, keyring, team):
    case, _ = sms_case(session, keyring)
    view = _view(session, keyring, team[Role.AUDITOR], case)
    assert view.contact is None and view.contact_withheld
    assert view.transcript and view.audit_trail
    assert view.moves == [] and view.assignable == [] and not view.can_reply


def test_a_liaison_sees_a_referred_case_without_contact_transcript_notes_or_trail(session, keyring, team):
    case, _ = sms_case(session, keyring)
    move(session, case, Status.REFERRED, assignee=team[Role.INTAKE])
    view = _view(session, keyring, team[Role.LIAISON], case)
    assert view.contact is None and view.contact_withheld
    assert view.transcript == [] and view.notes == [] and view.audit_trail == [] and view.status_history == []
    assert view.shows("narrative") and not view.shows("anonymous")
    assert _audit(session, "case.viewed", case.id)[-1].summary["contact_shown"] is False


@pytest.mark.parametrize("status", [s for s in Status if s is not Status.REFERRED])
def test_a_liaison_asking_for_an_unreferred_case_is_told_nothing(session, keyring, team, status):
    case = move(session, file(session, keyring), status, assignee=team[Role.INTAKE])
    with pytest.raises(PermissionDenied) as refused:
        _view(session, keyring, team[Role.LIAISON], case)
    assert refused.value.conceal
    denied = _audit(session, "access.denied", case.id)[-1]
    assert denied.summary == {"attempted": "view_case", "role": "liaison"}


def test_an_unknown_case_is_not_found(session, keyring, team):
    with pytest.raises(NotFound):
        triage.get_case_for(session, viewer=team[Role.INTAKE], case_id=987654, keyring=keyring, targets=TARGETS)


def test_an_inactive_account_can_do_nothing(session, keyring, team):
    case = file(session, keyring)
    team[Role.SUPERVISOR].active = False
    with pytest.raises(PermissionDenied):
        _view(session, keyring, team[Role.SUPERVISOR], case)


# ------------------------------------------------------------------ the permission matrix, at the service layer


def _actions(session, keyring, case, team):
    """Every change the console offers, as a function of the viewer."""
    original = file(session, keyring)  # an open case the matrix's case could duplicate
    return {
        Action.VIEW_QUEUE: lambda v: _list(session, v),
        Action.VIEW_CASE: lambda v: _view(session, keyring, v, case),
        Action.CATEGORISE: lambda v: triage.categorise(session, viewer=v, case_id=case.id, category="other"),
        Action.ASSIGN: lambda v: triage.assign(session, viewer=v, case_id=case.id, assignee_id=team[Role.INTAKE].id),
        Action.CHANGE_STATUS: lambda v: triage.change_status(
            session, viewer=v, case_id=case.id, to=Status.INVESTIGATING
        ),
        Action.CLOSE: lambda v: triage.change_status(
            session, viewer=v, case_id=case.id, to=Status.CLOSED, reason="done", disposition=Disposition.MEDIATED
        ),
        Action.REFER: lambda v: triage.change_status(session, viewer=v, case_id=case.id, to=Status.REFERRED),
        Action.ADD_NOTE: lambda v: triage.add_note(session, viewer=v, case_id=case.id, body="called the resident"),
        Action.REPLY: lambda v: triage.reply(session, viewer=v, case_id=case.id, text="We have your report."),
        Action.EDIT_OFFICERS: lambda v: triage.add_officer(session, viewer=v, case_id=case.id, badge_number="4471"),
        Action.MERGE: lambda v: triage.merge_case(
            session, viewer=v, case_id=case.id, into=original.tracking_number, reason="the same stop, filed twice"
        ),
        Action.VIEW_AUDIT_LOG: lambda v: triage.read_audit_log(session, viewer=v),
    }


EXPECTED = {
    Role.INTAKE: {
        Action.VIEW_QUEUE,
        Action.VIEW_CASE,
        Action.CATEGORISE,
        Action.CHANGE_STATUS,
        Action.ADD_NOTE,
        Action.REPLY,
        Action.EDIT_OFFICERS,
    },
    Role.SUPERVISOR: {
        Action.VIEW_QUEUE,
        Action.VIEW_CASE,
        Action.CATEGORISE,
        Action.ASSIGN,
        Action.CHANGE_STATUS,
        Action.CLOSE,
        Action.REFER,
        Action.ADD_NOTE,
        Action.REPLY,
        Action.EDIT_OFFICERS,
        Action.MERGE,
        Action.VIEW_AUDIT_LOG,
    },
    Role.AUDITOR: {Action.VIEW_QUEUE, Action.VIEW_CASE, Action.VIEW_AUDIT_LOG},
    Role.LIAISON: {Action.VIEW_QUEUE},  # the case is not referred, so it does not exist for them
}
MATRIX_ACTIONS = [
    Action.VIEW_QUEUE,
    Action.VIEW_CASE,
    Action.CATEGORISE,
    Action.ASSIGN,
    Action.CHANGE_STATUS,
    Action.CLOSE,
    Action.REFER,
    Action.ADD_NOTE,
    Action.REPLY,
    Action.EDIT_OFFICERS,
    Action.MERGE,
    Action.VIEW_AUDIT_LOG,
]


@pytest.mark.parametrize("action", MATRIX_ACTIONS)
@pytest.mark.parametrize("role", list(Role))
def test_the_permission_matrix(session, keyring, team, role, action):
    case, _ = sms_case(session, keyring)
    # Assigned, then investigating: every action above is a legal move from there.
    start = Status.INVESTIGATING if action in (Action.CLOSE, Action.REFER) else Status.ASSIGNED
    move(session, case, start, assignee=team[Role.INTAKE])
    if action is Action.ASSIGN:
        case.assignee_id = None
    before = len(_audit(session, "access.denied"))
    run = _actions(session, keyring, case, team)[action]
    if action in EXPECTED[role]:
        run(team[role])
        assert len(_audit(session, "access.denied")) == before
    else:
        with pytest.raises(PermissionDenied):
            run(team[role])
        assert len(_audit(session, "access.denied")) == before + 1


@pytest.mark.parametrize("action", [a for a in MATRIX_ACTIONS if a not in (Action.VIEW_QUEUE, Action.VIEW_AUDIT_LOG)])
def test_a_liaison_may_read_a_referred_case_but_change_nothing(session, keyring, team, action):
    case, _ = sms_case(session, keyring)
    move(session, case, Status.REFERRED, assignee=team[Role.INTAKE])
    run = _actions(session, keyring, case, team)[action]
    if action is Action.VIEW_CASE:
        run(team[Role.LIAISON])
        return
    with pytest.raises(PermissionDenied) as refused:
        run(team[Role.LIAISON])
    assert not refused.value.conceal


def test_a_liaison_may_download_evidence_of_a_referred_case_only(session, keyring, team):
    from intake.models import Attachment

    case = file(session, keyring)
    attachment = Attachment(case_id=case.id, content_type="image/png", size_bytes=3, sha256="ab" * 32, storage_key="x")
    session.add(attachment)
    session.flush()
    with pytest.raises(PermissionDenied):
        triage.get_attachment_for(session, viewer=team[Role.LIAISON], case_id=case.id, attachment_id=attachment.id)
    move(session, case, Status.REFERRED, assignee=team[Role.INTAKE])
    evidence = triage.get_attachment_for(
        session, viewer=team[Role.LIAISON], case_id=case.id, attachment_id=attachment.id
    )
    assert evidence.filename.endswith(".png") and "abab" in evidence.filename
    assert _audit(session, "attachment.downloaded", case.id)[-1].summary["sha256"] == "ab" * 32


def test_an_attachment_of_another_case_is_not_found(session, keyring, team):
    from intake.models import Attachment

    mine, other = file(session, keyring), file(session, keyring)
    attachment = Attachment(case_id=other.id, content_type="image/png", size_bytes=3, sha256="cd" * 32, storage_key="x")
    session.add(attachment)
    session.flush()
    with pytest.raises(NotFound):
        triage.get_attachment_for(session, viewer=team[Role.INTAKE], case_id=mine.id, attachment_id=attachment.id)


# ------------------------------------------------------------------ status moves by role


@pytest.mark.parametrize(
    ("start", "to", "intake_may"),
    [
        (Status.RECEIVED, Status.TRIAGE, True),
        (Status.RECEIVED, Status.WITHDRAWN, True),
        (Status.ASSIGNED, Status.INVESTIGATING, True),
        (Status.ASSIGNED, Status.TRIAGE, False),
        (Status.INVESTIGATING, Status.REFERRED, False),
        (Status.INVESTIGATING, Status.CLOSED, False),
        (Status.REFERRED, Status.INVESTIGATING, False),
        (Status.CLOSED, Status.TRIAGE, False),
    ],
)
def test_who_may_make_each_move(session, keyring, team, start, to, intake_may):
    for role in (Role.INTAKE, Role.SUPERVISOR):
        case = move(session, file(session, keyring), start, assignee=team[Role.INTAKE])
        allowed = intake_may or role is Role.SUPERVISOR
        assert (to in triage.moves_for(team[role], case)) == allowed
        kwargs = {"reason": "resident asked", "disposition": Disposition.UNFOUNDED if to is Status.CLOSED else None}
        if allowed:
            triage.change_status(session, viewer=team[role], case_id=case.id, to=to, **kwargs)
            assert case.status is to
        else:
            with pytest.raises(PermissionDenied):
                triage.change_status(session, viewer=team[role], case_id=case.id, to=to, **kwargs)
            assert case.status is start


def test_closing_needs_a_reason_and_a_disposition(session, keyring, team):
    case = move(session, file(session, keyring), Status.TRIAGE)
    supervisor = team[Role.SUPERVISOR]
    with pytest.raises(ValidationError):
        triage.change_status(
            session, viewer=supervisor, case_id=case.id, to=Status.CLOSED, reason=" ", disposition=Disposition.MEDIATED
        )
    with pytest.raises(IllegalTransition):
        triage.change_status(session, viewer=supervisor, case_id=case.id, to=Status.CLOSED, reason="resolved")
    triage.change_status(
        session,
        viewer=supervisor,
        case_id=case.id,
        to=Status.CLOSED,
        reason="resolved",
        disposition=Disposition.MEDIATED,
    )
    assert case.status is Status.CLOSED and case.disposition is Disposition.MEDIATED
    entry = _audit(session, "case.status_changed", case.id)[-1]
    assert entry.actor == f"staff:{supervisor.id}" and entry.summary["to"] == "closed"


def test_a_referral_records_exactly_what_was_shared(session, keyring, team):
    case = move(session, file(session, keyring, witnesses=None), Status.INVESTIGATING, assignee=team[Role.INTAKE])
    triage.change_status(session, viewer=team[Role.SUPERVISOR], case_id=case.id, to=Status.REFERRED)
    entry = _audit(session, "case.referred", case.id)[-1]
    assert entry.summary["contact_shared"] is False
    assert "narrative" in entry.summary["shared_fields"] and "witnesses" not in entry.summary["shared_fields"]
    assert set(entry.summary["shared_fields"]) <= set(triage.LIAISON_FIELDS)


def test_assigning_a_new_case_triages_it_first_and_reassigning_is_audited(session, keyring, team):
    case = file(session, keyring)
    supervisor = team[Role.SUPERVISOR]
    triage.assign(session, viewer=supervisor, case_id=case.id, assignee_id=team[Role.INTAKE].id)
    assert case.status is Status.ASSIGNED and case.assignee_id == team[Role.INTAKE].id
    assert [c.to_status for c in case.status_changes] == [Status.RECEIVED, Status.TRIAGE, Status.ASSIGNED]
    triage.assign(session, viewer=supervisor, case_id=case.id, assignee_id=supervisor.id)
    assert case.assignee_id == supervisor.id
    assert _audit(session, "case.reassigned", case.id)[-1].summary == {
        "from": team[Role.INTAKE].id,
        "to": supervisor.id,
    }
    with pytest.raises(ValidationError):
        triage.assign(session, viewer=supervisor, case_id=case.id, assignee_id=team[Role.AUDITOR].id)


def test_categorising_is_audited_and_checked(session, keyring, team):
    case = file(session, keyring)
    triage.categorise(session, viewer=team[Role.INTAKE], case_id=case.id, category="bias_or_profiling")
    assert case.category == "bias_or_profiling"
    assert _audit(session, "case.categorised", case.id)[-1].summary == {"from": None, "to": "bias_or_profiling"}
    with pytest.raises(ValidationError):
        triage.categorise(session, viewer=team[Role.INTAKE], case_id=case.id, category="made_up")


def test_a_note_is_kept_and_audited(session, keyring, team):
    case = file(session, keyring)
    triage.add_note(session, viewer=team[Role.INTAKE], case_id=case.id, body="Needs a Spanish interpreter.")
    assert [n.body for n in case.notes] == ["Needs a Spanish interpreter."]
    assert _audit(session, "note.added", case.id)[-1].actor == f"staff:{team[Role.INTAKE].id}"
    with pytest.raises(ValidationError):
        triage.add_note(session, viewer=team[Role.INTAKE], case_id=case.id, body="   ")


# ------------------------------------------------------------------ replies and callbacks


def test_a_reply_goes_out_as_a_queued_text_on_the_case(session, keyring, team):
    case, correspondent = sms_case(session, keyring)
    sent = triage.reply(session, viewer=team[Role.INTAKE], case_id=case.id, text="  We received your report.  ")
    assert len(sent) == 1
    message = sent[0]
    assert message.case_id == case.id and message.correspondent_id == correspondent.id
    assert message.body == "We received your report." and message.state is MessageState.QUEUED
    assert message.meta == {"staff_id": team[Role.INTAKE].id, "source": "console"}
    job = session.scalars(select(Job).where(Job.kind == "sms.send")).one()
    assert job.payload == {"message_id": message.id}
    entry = _audit(session, "case.replied", case.id)[-1]
    assert entry.summary == {"channel": "sms", "message_ids": [message.id]}
    assert "received" not in str(entry.summary)
    view = _view(session, keyring, team[Role.INTAKE], case)
    assert message in view.transcript


def test_no_reply_without_a_text_conversation_or_after_stop(session, keyring, team):
    partner_case = file(session, keyring)
    with pytest.raises(ValidationError) as refused:
        triage.reply(session, viewer=team[Role.INTAKE], case_id=partner_case.id, text="hello")
    assert "another way" in str(refused.value)
    case, correspondent = sms_case(session, keyring, phone="+12095550199")
    correspondent.opted_out = True
    with pytest.raises(ValidationError) as stopped:
        triage.reply(session, viewer=team[Role.INTAKE], case_id=case.id, text="hello")
    assert "STOP" in str(stopped.value)
    assert (
        session.scalars(select(Message).where(Message.case_id == case.id, Message.direction == "outbound")).all() == []
    )
    with pytest.raises(ValidationError):
        triage.reply(session, viewer=team[Role.INTAKE], case_id=case.id, text="x" * 1601)


def test_a_callback_request_waits_until_marked_done(session, keyring, team):
    from intake.cases import filing as complaints

    case = file(session, keyring)
    intake = team[Role.INTAKE]
    assert not _view(session, keyring, intake, case).callback_pending
    with pytest.raises(ValidationError):
        triage.mark_callback_done(session, viewer=intake, case_id=case.id)
    complaints.add_information(
        session, case=case, text="Please call me", channel=Channel.SMS, actor="bot", action="case.callback_requested"
    )
    assert _view(session, keyring, intake, case).callback_pending
    triage.mark_callback_done(session, viewer=intake, case_id=case.id, note="Called at 3 pm")
    assert not _view(session, keyring, intake, case).callback_pending
    assert _audit(session, "case.callback_done", case.id)[-1].actor == f"staff:{intake.id}"


def test_a_case_filed_as_a_callback_request_is_pending_from_the_start(session, keyring, team):
    case = file(session, keyring)
    case.category = "callback_request"
    assert _view(session, keyring, team[Role.INTAKE], case).callback_pending


# ------------------------------------------------------------------ the audit log


def test_the_audit_log_pages_newest_first_and_verifies(session, keyring, team):
    for _ in range(4):
        file(session, keyring)
    auditor = team[Role.AUDITOR]
    first = triage.read_audit_log(session, viewer=auditor, limit=3)
    assert first.chain.ok and len(first.entries) == 3
    assert [e.seq for e in first.entries] == sorted((e.seq for e in first.entries), reverse=True)
    second = triage.read_audit_log(session, viewer=auditor, before=first.next_before, limit=3)
    assert max(e.seq for e in second.entries) < min(e.seq for e in first.entries)
    assert _audit(session, "audit.viewed")[-1].summary == {
        "before": first.next_before,
        "case_id": None,
        "chain_ok": True,
    }


def test_the_audit_log_of_a_case_that_does_not_exist_is_empty(session, team):
    page = triage.read_audit_log(session, viewer=team[Role.AUDITOR], case_id=987654)
    assert page.entries == [] and page.chain.ok
    with pytest.raises(PermissionDenied):
        triage.read_audit_log(session, viewer=team[Role.INTAKE], case_id=987654)


def test_the_audit_log_shows_a_broken_chain(session, keyring, team):
    case = file(session, keyring)
    entry = _audit(session, "case.filed", case.id)[0]
    _unlock_audit_log(session)
    session.execute(text("UPDATE audit_log SET actor = 'staff:999' WHERE seq = :seq"), {"seq": entry.seq})
    session.expire_all()
    page = triage.read_audit_log(session, viewer=team[Role.AUDITOR])
    assert not page.chain.ok and page.chain.first_bad_seq == entry.seq
