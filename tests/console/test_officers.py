"""Officers and units as structured entries: added, corrected and removed, beside the resident's words."""

import re

import pytest
from sqlalchemy import select

from intake import triage
from intake.cases import officers
from intake.enums import Role, Status
from intake.errors import NotFound, PermissionDenied, ValidationError
from intake.models import AuditEntry, CaseOfficer
from intake.triage import ServiceTargets
from tests.console.conftest import CSRF, file, move, sign_in

TARGETS = ServiceTargets()
RESIDENT_WORDS = "Oficial alto, placa 4471, patrulla 12"


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


def _entries(session, case):
    return list(session.scalars(select(CaseOfficer).where(CaseOfficer.case_id == case.id).order_by(CaseOfficer.id)))


@pytest.mark.parametrize("role", [Role.INTAKE, Role.SUPERVISOR])
def test_the_office_records_officers_beside_the_residents_own_words(session, keyring, team, role):
    case = file(session, keyring)
    viewer = team[role]
    first = triage.add_officer(
        session, viewer=viewer, case_id=case.id, name="  Ofc.   J. Ruiz ", badge_number="4471", unit="Patrol 12"
    )
    second = triage.add_officer(
        session, viewer=viewer, case_id=case.id, description="Tall, grey moustache.\nDrove the second car."
    )
    assert (first.name, first.badge_number, first.unit, first.description) == (
        "Ofc. J. Ruiz",
        "4471",
        "Patrol 12",
        None,
    )
    assert second.description == "Tall, grey moustache.\nDrove the second car." and second.name is None
    assert first.created_by == f"staff:{viewer.id}"
    assert case.officers == RESIDENT_WORDS  # the resident's words are not touched
    assert _view(session, keyring, viewer, case).officers == [first, second]
    added = _audit(session, "case.officer_added", case.id)
    assert [e.summary for e in added] == [
        {"officer_id": first.id, "fields": ["name", "badge_number", "unit"]},
        {"officer_id": second.id, "fields": ["description"]},
    ]
    assert all(e.actor == f"staff:{viewer.id}" for e in added)
    assert "Ruiz" not in str(added[0].summary)  # the words are in the change's digest, not in clear


def test_a_correction_supersedes_the_entry_and_keeps_the_old_one(session, keyring, team):
    case = file(session, keyring)
    intake = team[Role.INTAKE]
    old = triage.add_officer(session, viewer=intake, case_id=case.id, name="Ofc. Ruiz", badge_number="4417")
    new = triage.change_officer(
        session, viewer=intake, case_id=case.id, officer_id=old.id, name="Ofc. Ruiz", badge_number="4471"
    )
    assert new.id != old.id and new.supersedes_id == old.id and new.badge_number == "4471"
    assert old.ended_at is not None and old.ended_by == f"staff:{intake.id}" and old.badge_number == "4417"
    assert _view(session, keyring, intake, case).officers == [new]
    assert _audit(session, "case.officer_changed", case.id)[-1].summary == {
        "officer_id": new.id,
        "supersedes": old.id,
        "fields": ["badge_number"],
    }
    # Saving it unchanged adds nothing.
    same = triage.change_officer(
        session, viewer=intake, case_id=case.id, officer_id=new.id, name="Ofc. Ruiz", badge_number="4471"
    )
    assert same is new and len(_entries(session, case)) == 2
    assert len(_audit(session, "case.officer_changed", case.id)) == 1
    # The old entry is history now: it cannot be edited or removed again.
    with pytest.raises(ValidationError):
        triage.change_officer(session, viewer=intake, case_id=case.id, officer_id=old.id, unit="Patrol 3")


def test_removing_an_officer_ends_the_entry_without_deleting_it(session, keyring, team):
    case = file(session, keyring)
    supervisor = team[Role.SUPERVISOR]
    entry = triage.add_officer(session, viewer=supervisor, case_id=case.id, unit="Traffic")
    triage.remove_officer(session, viewer=supervisor, case_id=case.id, officer_id=entry.id)
    assert _entries(session, case) == [entry] and entry.ended_at is not None
    assert _view(session, keyring, supervisor, case).officers == []
    assert _audit(session, "case.officer_removed", case.id)[-1].summary == {"officer_id": entry.id}
    with pytest.raises(ValidationError):
        triage.remove_officer(session, viewer=supervisor, case_id=case.id, officer_id=entry.id)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({}, "officer"),
        ({"name": "  ", "description": "\n"}, "officer"),
        ({"badge_number": "9" * 41}, "badge_number"),
        ({"description": "x" * 2001}, "description"),
        ({"rank": "sergeant"}, "rank"),
    ],
)
def test_officer_details_are_checked(session, keyring, team, fields, error):
    case = file(session, keyring)
    with pytest.raises(ValidationError) as refused:
        triage.add_officer(session, viewer=team[Role.INTAKE], case_id=case.id, **fields)
    assert error in refused.value.errors
    assert _entries(session, case) == [] and _audit(session, "case.officer_added", case.id) == []


def test_an_entry_of_another_case_is_not_found(session, keyring, team):
    mine, other = file(session, keyring), file(session, keyring)
    entry = triage.add_officer(session, viewer=team[Role.INTAKE], case_id=other.id, name="Ofc. Ruiz")
    with pytest.raises(NotFound):
        triage.change_officer(session, viewer=team[Role.INTAKE], case_id=mine.id, officer_id=entry.id, name="X")
    with pytest.raises(NotFound):
        triage.remove_officer(session, viewer=team[Role.INTAKE], case_id=mine.id, officer_id=entry.id)
    assert entry.ended_at is None


def test_an_auditor_reads_the_officers_and_a_liaison_sees_only_the_residents_words(session, keyring, team):
    case = file(session, keyring)
    entry = triage.add_officer(session, viewer=team[Role.INTAKE], case_id=case.id, badge_number="4471")
    assert _view(session, keyring, team[Role.AUDITOR], case).officers == [entry]
    with pytest.raises(PermissionDenied):
        triage.change_officer(
            session, viewer=team[Role.AUDITOR], case_id=case.id, officer_id=entry.id, badge_number="1"
        )
    move(session, case, Status.REFERRED, assignee=team[Role.INTAKE])
    view = _view(session, keyring, team[Role.LIAISON], case)
    assert view.officers == [] and view.shows("officers") and not view.shows("officer_entries")
    with pytest.raises(PermissionDenied):
        triage.remove_officer(session, viewer=team[Role.LIAISON], case_id=case.id, officer_id=entry.id)
    assert entry.ended_at is None and entry.badge_number == "4471"


# ------------------------------------------------------------------ through the case page


def test_officers_are_added_edited_and_removed_from_the_case_page(client, session, keyring, team):
    case = file(session, keyring)
    sign_in(client, team[Role.INTAKE])
    page = client.get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert re.search(r'<blockquote class="narrative" lang="es">' + re.escape(RESIDENT_WORDS), page)
    assert "Staff have identified no officers or units yet." in page

    def post(path, **data):
        response = client.post(f"/console/cases/{case.id}/{path}", data={**data, "csrf_token": CSRF})
        assert response.status_code == 303
        return client.get(response.headers["Location"]).get_data(as_text=True)

    page = post("officers", name="Ofc. Ruiz", badge_number="4471", unit="Patrol 12", description="")
    assert 'class="flash flash-success"' in page
    [entry] = officers.current(session, case_id=case.id)
    assert re.search(r"<td>Ofc\. Ruiz</td>\s*<td>4471</td>\s*<td>Patrol 12</td>", page)
    assert f'action="/console/cases/{case.id}/officers/{entry.id}"' in page

    page = post(f"officers/{entry.id}", name="Ofc. Ruiz", badge_number="4471", unit="Patrol 14", description="")
    [corrected] = officers.current(session, case_id=case.id)
    assert corrected.supersedes_id == entry.id and "<td>Patrol 14</td>" in page and "<td>Patrol 12</td>" not in page

    page = post(f"officers/{corrected.id}/remove")
    assert officers.current(session, case_id=case.id) == []
    assert "Staff have identified no officers or units yet." in page
    assert case.officers == RESIDENT_WORDS

    page = post("officers", name="", badge_number="", unit="", description="")
    assert 'class="flash flash-error"' in page and "give at least a name" in page


def test_read_only_roles_get_no_officer_forms(client, session, keyring, team):
    case = file(session, keyring)
    triage.add_officer(session, viewer=team[Role.INTAKE], case_id=case.id, name="Ofc. Ruiz")
    sign_in(client, team[Role.AUDITOR])
    page = client.get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert "<td>Ofc. Ruiz</td>" in page and f"/console/cases/{case.id}/officers" not in page
