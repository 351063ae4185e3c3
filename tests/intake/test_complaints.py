import pytest
from sqlalchemy import select, text

from intake.cases import filing as complaints
from intake.cases import tracking
from intake.enums import Channel, Kind, Language, PreferredContact, Status
from intake.errors import ErrorCode, NotFound, ValidationError, code_of
from intake.models import AuditEntry, Case, Contact, StatusChange
from tests.factories import make_case, submission_data


def test_filing_keeps_the_residents_words_and_encrypts_contact(session, keyring):
    case, receipt = make_case(session, keyring)
    session.flush()
    assert tracking.is_valid(receipt.tracking_number) and len(receipt.pin) == 6
    assert case.status is Status.RECEIVED and case.language is Language.ES and case.kind is Kind.COMPLAINT
    assert case.narrative == submission_data()["narrative"]
    assert case.incident_time_text == "el sábado como a las 9 de la noche"
    assert case.pin_digest != receipt.pin and receipt.pin not in case.pin_digest
    row = session.execute(text("SELECT * FROM case_contacts WHERE case_id = :id"), {"id": case.id}).mappings().one()
    stored = " ".join(str(v) for v in row.values())
    assert "María" not in stored and "555" not in stored and "maria@" not in stored
    contact = session.get(Contact, case.id)
    assert keyring.decrypt(contact.phone_token) == "+12095550142"
    assert keyring.decrypt(contact.name_token) == "María López"
    assert contact.preferred is PreferredContact.SMS
    history = session.scalars(select(StatusChange).where(StatusChange.case_id == case.id)).all()
    assert [(h.from_status, h.to_status) for h in history] == [(None, Status.RECEIVED)]
    entry = session.scalars(select(AuditEntry).where(AuditEntry.case_id == case.id)).one()
    assert entry.action == "case.filed" and "María" not in str(entry.summary)


@pytest.mark.parametrize(
    "narrative",
    [
        "Oficial me dijo que I was trespassing pero it's a public park 😡😡",
        "警察在我家門口推了我，还骂我。",
        "ប៉ូលិសបានវាយខ្ញុំ",
        "ຕຳຫຼວດບໍ່ຍອມບອກຊື່",
        "ਪੁਲਿਸ ਵਾਲੇ ਨੇ ਮੈਨੂੰ ਧੱਕਾ ਦਿੱਤਾ",
        "Tub tub ceev xwm tsis hais lus zoo rau kuv",
        "Cảnh sát đã xô tôi ngã",
        "Pinahinto ako ng pulis tapos hindi sinabi kung bakit",
    ],
)
def test_any_script_round_trips_exactly(session, keyring, narrative):
    case, _ = make_case(session, keyring, narrative=narrative)
    session.expire_all()
    assert session.get(Case, case.id).narrative == narrative


def test_status_look_up_needs_the_pin_or_the_filing_phone(session, keyring):
    case, receipt = make_case(session, keyring)
    view = complaints.look_up_status(
        session,
        keyring=keyring,
        tracking_text=tracking.format_tracking_number(receipt.tracking_number),
        pin=receipt.pin,
    )
    assert view.status is Status.RECEIVED and view.tracking_number == case.tracking_number
    by_phone = complaints.look_up_status(
        session, keyring=keyring, tracking_text=receipt.tracking_number, phone="209-555-0142"
    )
    assert by_phone.status is Status.RECEIVED


def test_wrong_pin_unknown_number_and_wrong_phone_get_the_same_answer(session, keyring):
    _, receipt = make_case(session, keyring)
    wrong_pin = "000000" if receipt.pin != "000000" else "111111"
    unknown = tracking.new_tracking_number()
    messages = set()
    for kwargs in (
        {"tracking_text": receipt.tracking_number, "pin": wrong_pin},
        {"tracking_text": unknown, "pin": receipt.pin},
        {"tracking_text": "not a number", "pin": receipt.pin},
        {"tracking_text": receipt.tracking_number, "phone": "+12095550199"},
        {"tracking_text": receipt.tracking_number},
    ):
        with pytest.raises(NotFound) as caught:
            complaints.look_up_status(session, keyring=keyring, **kwargs)
        messages.add(str(caught.value))
    assert len(messages) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"narrative": None}, "narrative"),
        ({"narrative": "   "}, "narrative"),
        ({"narrative": "x" * 1_000_000}, "narrative"),
        ({"narrative": 42}, "narrative"),
        ({"narrative": "bad \x00 byte"}, "narrative"),
        ({"narrative": "lone \ud800 surrogate"}, "narrative"),
        ({"kind": "complaintt"}, "kind"),
        ({"kind": None}, "kind"),
        ({"language": "fr"}, "language"),
        ({"channel": "pigeon"}, "channel"),
        ({"anonymous": "yes"}, "anonymous"),
        ({"location": ["Main St"]}, "location"),
        ({"narative": "typo"}, "narative"),
        ({"incident_time": "last Tuesday"}, "incident_time"),
        ({"incident_time": "2026-11-01T21:30:00"}, "incident_time"),
        ({"contact": "María"}, "contact"),
        ({"contact": {"phone": "not a phone"}}, "contact.phone"),
        ({"contact": {"email": "maria-at-example"}}, "contact.email"),
        ({"contact": {"email": "m@example.org", "preferred": "sms"}}, "contact.preferred"),
        ({"anonymous": True}, "contact.name"),
    ],
)
def test_bad_submissions_name_the_field(overrides, field):
    with pytest.raises(ValidationError) as caught:
        complaints.parse_submission(submission_data(**overrides))
    assert field in caught.value.errors


def test_all_errors_are_reported_at_once():
    with pytest.raises(ValidationError) as caught:
        complaints.parse_submission({"kind": "x", "language": "fr"})
    assert {"kind", "language", "narrative"} <= set(caught.value.errors)


def test_anonymous_report_may_leave_a_phone_for_updates():
    submission = complaints.parse_submission(submission_data(anonymous=True, contact={"phone": "+1 209 555 0142"}))
    assert submission.anonymous and submission.contact.name is None
    assert submission.contact.phone == "+12095550142"


def test_minimal_commendation(session, keyring):
    submission = complaints.parse_submission(
        {"kind": "commendation", "language": "vi", "narrative": "Cảm ơn anh cảnh sát đã giúp mẹ tôi."},
        default_channel=Channel.WEB_FORM,
    )
    case, _ = complaints.file_case(session, keyring=keyring, submission=submission, actor="test")
    assert case.kind is Kind.COMMENDATION and case.channel is Channel.WEB_FORM and case.contact is None


def test_iso_incident_time_is_kept_in_utc():
    submission = complaints.parse_submission(submission_data(incident_time="2026-11-01T21:30:00-08:00"))
    assert submission.incident_at.isoformat() == "2026-11-02T05:30:00+00:00"


def test_correction_is_a_new_version_that_keeps_the_old_words(session, keyring):
    case, _ = make_case(session, keyring)
    before = case.location
    revision = complaints.correct_case(
        session,
        case=case,
        changes={"location": "Calle Main y Hunter, frente a la biblioteca"},
        actor="staff:1",
        reason="resident called to add detail",
    )
    assert case.version == 2 and revision.version == 2
    assert revision.previous == {"location": before}
    with pytest.raises(ValidationError):
        complaints.correct_case(session, case=case, changes={"tracking_number": "1"}, actor="staff:1", reason="x")
    with pytest.raises(ValidationError):
        complaints.correct_case(session, case=case, changes={"location": "y"}, actor="staff:1", reason=" ")


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({"narrative": ""}, "narrative", ErrorCode.EMPTY),
        ({"narrative": "x" * 20_001}, "narrative", ErrorCode.TOO_LONG),
        ({"kind": "praise"}, "kind", ErrorCode.CHOICE),
        ({"contact": {"phone": "12"}}, "contact.phone", ErrorCode.PHONE),
        ({"contact": {"email": "not-an-address"}}, "contact.email", ErrorCode.EMAIL),
        ({"contact": {"email": "a@b.org", "preferred": "phone"}}, "contact.preferred", ErrorCode.NEEDS_PHONE),
        ({"contact": {"phone": "+12095550123", "preferred": "email"}}, "contact.preferred", ErrorCode.NEEDS_EMAIL),
        ({"incident_time": "2999-01-01T00:00:00+00:00"}, "incident_time", ErrorCode.FUTURE),
        ({"incident_time": "yesterday"}, "incident_time", ErrorCode.TIME),
    ],
)
def test_field_errors_carry_codes_callers_word_in_their_own_language(data, field, code):
    """The resident pages choose their words by code, never by matching the English message."""
    with pytest.raises(ValidationError) as caught:
        complaints.parse_submission({**submission_data(), **data})
    assert code_of(caught.value.errors[field]) is code
