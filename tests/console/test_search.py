"""The queue's search box: the resident's words, their English translations, the officers named, a tracking number."""

from sqlalchemy import select
from sqlalchemy import text as sql

from intake import triage
from intake.cases import filing as complaints
from intake.enums import Channel, Language, Role, Status
from intake.models import Case, Translation
from intake.translation import cases as case_translation
from intake.triage import CaseFilters, ServiceTargets
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
    return triage.list_cases(session, viewer=viewer, filters=CaseFilters(text=text), targets=TARGETS)


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
        page = triage.list_cases(
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
    entry = triage.add_officer(session, viewer=intake, case_id=case.id, badge_number="K-9921", unit="Harbor Patrol")
    assert _ids(session, intake, "k-9921") == [case.id]
    assert _ids(session, intake, "harbor") == [case.id]
    triage.remove_officer(session, viewer=intake, case_id=case.id, officer_id=entry.id)
    assert _ids(session, intake, "k-9921") == []


def test_a_liaison_search_reaches_only_what_a_referral_shares(session, keyring, team):
    case = file(session, keyring)
    message = complaints.add_information(
        session, case=case, text="Mi primo Tomás vio todo.", channel=Channel.SMS, actor="bot"
    )
    _translate(session, case, "narrative", "The officer pushed me.")
    _translate(session, case, "message", "My cousin Tomas saw everything.", message=message)
    triage.add_officer(session, viewer=team[Role.INTAKE], case_id=case.id, badge_number="K-9921")
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


# The search indexes (trigram GIN on PostgreSQL, trigram FTS5 on SQLite) must change the speed only.

QUERIES = [
    "empujó",
    "EMPUJÓ",
    "Empuj",
    "jó",  # two characters: no trigram, SQLite scans
    "e",
    "警察推",
    "🚓",
    "car 🚓",
    "cảnh",
    "CẢNH",
    "Tomás",
    "k-99",
    "100%",
    "_",
    'dijo "alto"',
    "ó.",
    "zzzq",
]


def _found(session, viewer, text, *, indexed):
    """Return the cases the search finds, through the search indexes or by reading every row."""
    dialect = session.get_bind().dialect.name
    scan = dialect == "postgresql" and not indexed
    if scan:
        session.execute(sql("SET LOCAL enable_bitmapscan = off"))
    try:
        where = triage.queue._text_search(text, viewer=viewer, dialect=dialect, indexed=indexed)
        return set(session.scalars(select(Case.id).where(where)))
    finally:
        if scan:
            session.execute(sql("SET LOCAL enable_bitmapscan = on"))


def _mixed_cases(session, keyring, team):
    spanish = file(session, keyring, narrative='El oficial me empujó. Le dije "alto".', location="Calle Tomás")
    vietnamese = file(session, keyring, narrative="Cảnh sát đã xô tôi 🚓 gần xe car 🚓.")
    chinese = file(session, keyring, narrative="警察推了我还骂我。")
    file(session, keyring, narrative="Nothing to see: 100 percent fine.")
    _translate(session, chinese, "narrative", "The police pushed me, 100% sure.")
    triage.add_officer(session, viewer=team[Role.INTAKE], case_id=vietnamese.id, badge_number="K-9921")
    return spanish, vietnamese, chinese


def test_the_index_finds_exactly_what_a_scan_finds(session, keyring, team):
    spanish, vietnamese, chinese = _mixed_cases(session, keyring, team)
    for role in (Role.INTAKE, Role.LIAISON):
        viewer = team[role]
        for query in QUERIES:
            found = _found(session, viewer, query, indexed=True)
            assert found == _found(session, viewer, query, indexed=False), (role, query)
    intake = team[Role.INTAKE]
    assert _ids(session, intake, "警察推") == [chinese.id]
    assert _ids(session, intake, "🚓") == [vietnamese.id]
    assert _ids(session, intake, "EMPUJ") == [spanish.id]  # ASCII folds on both databases
    assert _ids(session, intake, "100%") == [chinese.id]  # the translation; "100 percent" is no match
    assert _ids(session, intake, "k-99") == [vietnamese.id]


def test_a_search_too_short_for_a_trigram_still_finds_its_case(session, keyring, team):
    spanish, _, chinese = _mixed_cases(session, keyring, team)
    assert triage.queue._fts_phrase("jó") is None
    assert _ids(session, team[Role.INTAKE], "jó") == [spanish.id]
    assert _ids(session, team[Role.INTAKE], "骂") == [chinese.id]


def test_corrected_words_and_new_translations_are_found_at_once(session, keyring, team):
    case = file(session, keyring, narrative="Me empujó contra el carro.")
    intake = team[Role.INTAKE]
    complaints.correct_case(
        session, case=case, changes={"narrative": "Me golpeó en la cara."}, actor="test", reason="the resident's words"
    )
    session.flush()
    assert _ids(session, intake, "golpeó") == [case.id]
    assert _ids(session, intake, "empujó") == []
    _translate(session, case, "narrative", "He hit me in the face.")
    assert _ids(session, intake, "hit me") == [case.id]
