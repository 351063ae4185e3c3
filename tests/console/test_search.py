"""The queue's search box: the resident's words, their English translations, the officers named, a tracking number."""

from intake import case_translation, complaints, console
from intake.console import CaseFilters, ServiceTargets
from intake.enums import Channel, Language, Role, Status
from intake.models import Translation
from tests.console.conftest import file, move, sign_in

TARGETS = ServiceTargets()


def _translate(session, case, field, text, message=None):
    source = message.body if message is not None else getattr(case, field)
    translation = Translation(
        key=f"{case.id}:{message.id if message else '-'}:{field}:en:{case_translation.digest(source)[:32]}",
        case_id=case.id,
        message_id=message.id if message else None,
        field=field,
        source_language=Language.ES,
        target_language=Language.EN,
        source_digest=case_translation.digest(source),
        text=text,
        engine="argos",
        models=["translate-es_en 1.0"],
        pivot=False,
    )
    session.add(translation)
    session.flush()
    return translation


def _search(session, viewer, text):
    return console.list_cases(session, viewer=viewer, filters=CaseFilters(text=text), targets=TARGETS)


def _ids(session, viewer, text):
    return [row.id for row in _search(session, viewer, text).rows]


def test_the_search_finds_a_case_by_its_english_translation(session, keyring, team):
    pushed = file(session, keyring)
    other = file(session, keyring, narrative="Me gritó en la calle.", location="Calle Weber")
    _translate(session, pushed, "narrative", "The officer pushed me against the car.")
    _translate(session, other, "narrative", "He yelled at me in the street.")
    intake = team[Role.INTAKE]
    assert _ids(session, intake, "pushed me") == [pushed.id]
    assert _ids(session, intake, "PUSHED") == [pushed.id]  # case folds on both databases
    assert _ids(session, intake, "yelled") == [other.id]
    assert _ids(session, intake, "empujó") == [pushed.id]  # the original words still count
    assert _ids(session, intake, "kicked") == []
    assert _ids(session, intake, "100%") == []  # LIKE's wildcards are plain characters


def test_a_case_matching_in_many_places_is_one_row_and_counted_once(session, keyring, team):
    case = file(session, keyring, narrative="El oficial me empujó. The officer was rude.")
    message = complaints.add_information(session, case=case, text="Otra vez grosero.", channel=Channel.SMS, actor="bot")
    _translate(session, case, "narrative", "The officer pushed me. The officer was rude.")
    _translate(session, case, "location", "Main and Hunter, rude corner")
    _translate(session, case, "message", "Rude again.", message=message)
    for _ in range(3):
        file(session, keyring)
    page = _search(session, team[Role.SUPERVISOR], "rude")
    assert [row.id for row in page.rows] == [case.id]
    assert page.total == 1 and page.counts[Status.RECEIVED] == 1


def test_the_search_pages_by_keyset_without_repeating_cases(session, keyring, team):
    cases = [file(session, keyring, narrative=f"Caso número {i}.") for i in range(5)]
    for case in cases:
        _translate(session, case, "narrative", "They searched my car.")
        _translate(session, case, "location", "They searched the car on Main.")
    file(session, keyring)  # matches nothing
    seen, cursor = [], None
    while True:
        page = console.list_cases(
            session,
            viewer=team[Role.INTAKE],
            filters=CaseFilters(text="searched"),
            targets=TARGETS,
            cursor=cursor,
            limit=2,
        )
        seen.extend(row.id for row in page.rows)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted(c.id for c in cases) and len(seen) == 5


def test_the_search_finds_officers_the_office_identified_until_removed(session, keyring, team):
    case = file(session, keyring)
    file(session, keyring)
    intake = team[Role.INTAKE]
    entry = console.add_officer(session, viewer=intake, case_id=case.id, badge_number="K-9921", unit="Harbor Patrol")
    assert _ids(session, intake, "k-9921") == [case.id]
    assert _ids(session, intake, "harbor") == [case.id]
    console.remove_officer(session, viewer=intake, case_id=case.id, officer_id=entry.id)
    assert _ids(session, intake, "k-9921") == []


def test_a_liaison_search_reaches_only_what_a_referral_shares(session, keyring, team):
    case = file(session, keyring)
    message = complaints.add_information(
        session, case=case, text="Mi primo Tomás vio todo.", channel=Channel.SMS, actor="bot"
    )
    _translate(session, case, "narrative", "The officer pushed me.")
    _translate(session, case, "message", "My cousin Tomas saw everything.", message=message)
    console.add_officer(session, viewer=team[Role.INTAKE], case_id=case.id, badge_number="K-9921")
    move(session, case, Status.REFERRED, assignee=team[Role.INTAKE])
    liaison = team[Role.LIAISON]
    assert _ids(session, liaison, "pushed") == [case.id]
    # The transcript and the office's own officer entries are not shared, so they find nothing.
    assert _ids(session, liaison, "cousin") == []
    assert _ids(session, liaison, "K-9921") == []
    assert _ids(session, team[Role.INTAKE], "cousin") == [case.id]


def test_the_queue_page_finds_a_case_by_its_translation(client, session, keyring, team):
    pushed = file(session, keyring)
    other = file(session, keyring)
    _translate(session, pushed, "narrative", "The officer pushed me against the car.")
    sign_in(client, team[Role.INTAKE])
    html = client.get("/console/?q=against+the+car").get_data(as_text=True)
    assert f'/console/cases/{pushed.id}"' in html and f'/console/cases/{other.id}"' not in html
