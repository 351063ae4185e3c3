"""Merging duplicates: the duplicate is closed and linked, its records stay its own and show from the case it joined."""

import pytest
from sqlalchemy import select

from intake import triage
from intake.cases import filing as complaints
from intake.cases import tracking
from intake.enums import Channel, Disposition, Kind, Role, Status
from intake.errors import IllegalTransition, PermissionDenied, ValidationError
from intake.models import Attachment, AuditEntry, Case, Message, StatusChange
from intake.triage import ServiceTargets
from tests.console.conftest import CSRF, file, move, sign_in, sms_case
from tests.factories import make_case, make_partner

TARGETS = ServiceTargets()


def _audit(session, action, case_id):
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == action, AuditEntry.case_id == case_id)
            .order_by(AuditEntry.seq)
        )
    )


def _view(session, keyring, viewer, case):
    return triage.get_case_for(session, viewer=viewer, case_id=case.id, keyring=keyring, targets=TARGETS)


def _merge(session, team, duplicate, original, reason="The same stop on Main Street, filed twice."):
    return triage.merge_case(
        session,
        viewer=team[Role.SUPERVISOR],
        case_id=duplicate.id,
        into=tracking.format_tracking_number(original.tracking_number),
        reason=reason,
    )


def _evidence(session, case, sha="ab"):
    attachment = Attachment(
        case_id=case.id, content_type="image/png", size_bytes=3, sha256=sha * 32, storage_key=f"evidence/{sha}"
    )
    session.add(attachment)
    session.flush()
    return attachment


def test_a_supervisor_merges_a_duplicate_which_is_closed_and_linked_not_moved(session, keyring, team):
    original, _ = sms_case(session, keyring)
    duplicate, _ = sms_case(session, keyring, phone="+12095550177")
    move(session, duplicate, Status.TRIAGE)
    evidence = _evidence(session, duplicate)
    messages = {
        m.id for m in session.scalars(select(Message).where(Message.conversation_id == duplicate.conversation_id))
    }
    supervisor = team[Role.SUPERVISOR]

    change = _merge(session, team, duplicate, original)

    assert duplicate.status is Status.CLOSED and duplicate.disposition is Disposition.DUPLICATE
    assert duplicate.merged_into_id == original.id and original.merged_into_id is None
    assert original.status is Status.RECEIVED  # the case that carries on is untouched
    assert change.reason == "The same stop on Main Street, filed twice." and change.actor == f"staff:{supervisor.id}"
    # Nothing moved: the duplicate's evidence and messages are still its own.
    assert evidence.case_id == duplicate.id
    assert {
        m.id for m in session.scalars(select(Message).where(Message.conversation_id == duplicate.conversation_id))
    } == messages
    merged = _audit(session, "case.merged", duplicate.id)[-1]
    assert merged.actor == f"staff:{supervisor.id}"
    assert merged.summary == {"into": original.id, "status_change_id": change.id}
    assert "Main Street" not in str(merged.summary)
    assert _audit(session, "case.merged_in", original.id)[-1].summary == {"from": duplicate.id}
    assert _audit(session, "case.status_changed", duplicate.id)[-1].summary["disposition"] == "duplicate"


def test_a_new_case_is_taken_through_triage_to_be_merged(session, keyring, team):
    original, duplicate = file(session, keyring), file(session, keyring)
    _merge(session, team, duplicate, original)
    assert [c.to_status for c in duplicate.status_changes] == [Status.RECEIVED, Status.TRIAGE, Status.CLOSED]


def test_the_case_it_joined_shows_the_duplicates_words_messages_and_evidence(session, keyring, team):
    original, _ = sms_case(session, keyring)
    duplicate, _ = sms_case(session, keyring, phone="+12095550177", narrative="Me pararon dos oficiales.")
    own = _evidence(session, original, "aa")
    theirs = _evidence(session, duplicate, "bb")
    added = complaints.add_information(
        session, case=duplicate, text="Tengo un video.", channel=Channel.SMS, actor="bot"
    )
    _merge(session, team, duplicate, original)
    intake = team[Role.INTAKE]

    view = _view(session, keyring, intake, original)

    assert [m.case.id for m in view.merged_cases] == [duplicate.id]
    assert view.merged_cases[0].reason == "The same stop on Main Street, filed twice."
    assert (
        view.attachments == [own, theirs]
        and view.origin(theirs.case_id) is duplicate
        and view.origin(own.case_id) is None
    )
    assert added in view.transcript and view.message_origin[added.id] is duplicate
    assert all(view.message_origin.get(m.id) is None for m in view.transcript if m.case_id == original.id)
    assert view.transcript == sorted(view.transcript, key=lambda m: (m.created_at, m.id))
    # Reading the duplicate's records through the other case is on the duplicate's own trail too.
    assert _audit(session, "case.viewed", original.id)[-1].summary["merged_cases"] == [duplicate.id]
    assert _audit(session, "case.viewed", duplicate.id)[-1].summary == {
        "role": "intake",
        "contact_shown": False,
        "full": True,
        "via": original.id,
    }
    back = _view(session, keyring, intake, duplicate)
    assert back.merged_into is original and back.merge.reason == "The same stop on Main Street, filed twice."
    assert back.merged_cases == [] and not back.can_merge


def test_merges_chain_a_duplicate_of_a_duplicate_shows_on_the_case_that_carries_on(session, keyring, team):
    first, second, third = file(session, keyring), file(session, keyring), file(session, keyring)
    _merge(session, team, third, second)
    with pytest.raises(ValidationError):
        _merge(session, team, second, third)  # back the other way: a cycle, refused (the duplicate is closed)
    _merge(session, team, second, first)
    view = _view(session, keyring, team[Role.SUPERVISOR], first)
    assert [m.case.id for m in view.merged_cases] == [second.id, third.id]
    with pytest.raises(ValidationError):
        _merge(session, team, first, third)  # first → third → second → first would be a cycle
    assert first.status is Status.RECEIVED and first.merged_into_id is None


def _refusal_cases(session, keyring, team, problem):
    original, duplicate = file(session, keyring), file(session, keyring)
    into = original
    if problem == "into itself":
        into = duplicate
    elif problem == "into a closed case":
        move(session, original, Status.CLOSED)
    elif problem == "into a withdrawn case":
        move(session, original, Status.WITHDRAWN)
    elif problem == "into a merged case":
        _merge(session, team, original, file(session, keyring))
    elif problem == "a closed case":
        move(session, duplicate, Status.CLOSED)
    elif problem == "across kinds":
        into = file(session, keyring, kind=Kind.COMMENDATION.value)
    return duplicate, into


@pytest.mark.parametrize(
    ("problem", "error", "words"),
    [
        ("into itself", ValidationError, "into itself"),
        ("into a closed case", ValidationError, "is closed"),
        ("into a withdrawn case", ValidationError, "is withdrawn"),
        ("into a merged case", ValidationError, "is closed"),
        ("a closed case", IllegalTransition, "only an open case"),
        ("across kinds", ValidationError, "another complaint"),
        ("without a reason", ValidationError, "needs a reason"),
        ("into an unknown number", ValidationError, "no case has that tracking number"),
    ],
)
def test_merges_that_make_no_sense_are_refused_and_change_nothing(session, keyring, team, problem, error, words):
    duplicate, into = _refusal_cases(session, keyring, team, problem)
    status_before, changes_before = duplicate.status, len(duplicate.status_changes)
    target = "000-000-0000" if problem == "into an unknown number" else into.tracking_number
    reason = " " if problem == "without a reason" else "same"
    with pytest.raises(error) as refused:
        triage.merge_case(session, viewer=team[Role.SUPERVISOR], case_id=duplicate.id, into=target, reason=reason)
    assert words in str(refused.value)
    session.expire_all()
    assert duplicate.status is status_before and len(duplicate.status_changes) == changes_before
    assert duplicate.merged_into_id is None
    assert _audit(session, "case.merged", duplicate.id) == []


def test_only_a_supervisor_merges(session, keyring, team):
    original, duplicate = file(session, keyring), file(session, keyring)
    for role in (Role.INTAKE, Role.AUDITOR):
        with pytest.raises(PermissionDenied):
            triage.merge_case(
                session, viewer=team[role], case_id=duplicate.id, into=original.tracking_number, reason="same"
            )
    assert duplicate.status is Status.RECEIVED and duplicate.merged_into_id is None
    assert not _view(session, keyring, team[Role.INTAKE], duplicate).can_merge
    assert _view(session, keyring, team[Role.SUPERVISOR], duplicate).can_merge


def test_reopening_a_duplicate_undoes_the_merge(session, keyring, team):
    original, duplicate = file(session, keyring), file(session, keyring)
    _merge(session, team, duplicate, original)
    triage.change_status(
        session, viewer=team[Role.SUPERVISOR], case_id=duplicate.id, to=Status.TRIAGE, reason="not the same stop"
    )
    assert duplicate.status is Status.TRIAGE and duplicate.merged_into_id is None and duplicate.disposition is None
    assert _audit(session, "case.unmerged", duplicate.id)[-1].summary == {"merged_into": original.id}
    assert _audit(session, "case.unmerged", original.id)[-1].summary == {"duplicate": duplicate.id}
    assert _view(session, keyring, team[Role.INTAKE], original).merged_cases == []
    # Now the other way round is no cycle, and it is allowed.
    _merge(session, team, original, duplicate)
    assert original.merged_into_id == duplicate.id


def test_the_resident_of_a_duplicate_keeps_their_number_and_pin_and_is_told_it_was_merged(
    client, session, keyring, team
):
    original, _ = make_case(session, keyring)
    duplicate, receipt = make_case(session, keyring)
    before = complaints.look_up_status(session, keyring=keyring, tracking_text=receipt.tracking_number, pin=receipt.pin)
    assert before.merged is False and before.as_dict()["merged"] is False
    _merge(session, team, duplicate, original)
    after = complaints.look_up_status(session, keyring=keyring, tracking_text=receipt.tracking_number, pin=receipt.pin)
    assert after.tracking_number == duplicate.tracking_number and after.status is Status.CLOSED and after.merged
    _, token = make_partner(session)
    response = client.get(
        f"/api/v1/complaints/{tracking.format_tracking_number(receipt.tracking_number)}/status",
        query_string={"pin": receipt.pin},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["merged"] is True and body["status"] == "closed"
    assert original.tracking_number not in str(body)  # the other case may be another resident's


def test_words_added_to_a_duplicate_stay_there_and_bring_the_case_it_joined_up(session, keyring, team):
    original, duplicate = file(session, keyring), file(session, keyring)
    _merge(session, team, duplicate, original)
    before = original.updated_at
    message = complaints.add_information(
        session, case=duplicate, text="Encontré otro testigo.", channel=Channel.SMS, actor="bot"
    )
    assert message.case_id == duplicate.id and original.updated_at > before
    assert message in _view(session, keyring, team[Role.INTAKE], original).transcript


def test_a_liaison_sees_only_the_referred_case_not_what_was_merged_into_it(session, keyring, team):
    original, duplicate = file(session, keyring), file(session, keyring)
    own, theirs = _evidence(session, original, "aa"), _evidence(session, duplicate, "bb")
    _merge(session, team, duplicate, original)
    move(session, original, Status.REFERRED, assignee=team[Role.INTAKE])
    view = _view(session, keyring, team[Role.LIAISON], original)
    assert view.merged_cases == [] and view.attachments == [own] and view.transcript == []
    with pytest.raises(PermissionDenied):
        triage.get_attachment_for(session, viewer=team[Role.LIAISON], case_id=duplicate.id, attachment_id=theirs.id)


# ------------------------------------------------------------------ through the case page


def test_merging_from_the_case_page_shows_the_link_on_both_pages(client, session, keyring, team):
    original, _ = sms_case(session, keyring)
    duplicate, _ = sms_case(session, keyring, phone="+12095550177", narrative="Me pararon dos oficiales.")
    theirs = _evidence(session, duplicate, "bb")
    sign_in(client, team[Role.SUPERVISOR])
    page = client.get(f"/console/cases/{duplicate.id}").get_data(as_text=True)
    assert f'action="/console/cases/{duplicate.id}/merge"' in page
    number = tracking.format_tracking_number(original.tracking_number)
    response = client.post(
        f"/console/cases/{duplicate.id}/merge", data={"into": number, "reason": "Same stop.", "csrf_token": CSRF}
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="flash flash-success"' in page
    assert f'<a href="/console/cases/{original.id}">' in page and "Merged as a duplicate" in page
    assert "Same stop." in page and f'action="/console/cases/{duplicate.id}/merge"' not in page
    page = client.get(f"/console/cases/{original.id}").get_data(as_text=True)
    assert "Duplicates merged into this case" in page and f'<a href="/console/cases/{duplicate.id}">' in page
    assert '<blockquote class="narrative" lang="es">Me pararon dos oficiales.</blockquote>' in page
    # The duplicate's evidence is reached through its own case, where its downloads are recorded.
    assert f"/console/cases/{duplicate.id}/attachments/{theirs.id}" in page
    assert duplicate.status is Status.CLOSED and duplicate.merged_into_id == original.id


def test_a_refused_merge_comes_back_with_the_reason(client, session, keyring, team):
    case = file(session, keyring)
    sign_in(client, team[Role.SUPERVISOR])
    response = client.post(
        f"/console/cases/{case.id}/merge",
        data={"into": case.tracking_number, "reason": "same", "csrf_token": CSRF},
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "a case cannot be merged into itself" in page and 'role="alert"' in page
    assert case.status is Status.RECEIVED
    assert session.scalars(select(StatusChange).where(StatusChange.case_id == case.id)).all()[-1].to_status is (
        Status.RECEIVED
    )
    assert session.get(Case, case.id).merged_into_id is None
