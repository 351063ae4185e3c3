import logging

import pytest

from intake.logs import REDACTED, install_redaction, redact


@pytest.mark.parametrize(
    "text",
    ["call +12095550142 now", "from (209) 555-0142.", "sms 209.555.0142", "tel:+855 12 345 678", "+52 55 1234 5678"],
)
def test_redact_hides_phone_numbers(text):
    out = redact(text)
    assert REDACTED in out
    assert "555" not in out and "345" not in out and "1234" not in out


def test_redact_keeps_ordinary_text():
    assert redact("case 42 moved to triage at step 3") == "case 42 moved to triage at step 3"


def test_log_records_are_redacted_whatever_the_logger(caplog):
    install_redaction()
    with caplog.at_level(logging.INFO):
        logging.getLogger("some.library").info("inbound from %s: %s", "+12095550142", "hola")
    assert "+12095550142" not in caplog.text
    assert REDACTED in caplog.text and "hola" in caplog.text
