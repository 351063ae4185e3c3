import io
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


# -- every part of a record (issue 16, item 8) ----------------------------------------------------


@pytest.fixture
def written():
    """What a plain handler with the standard formatter writes (as gunicorn's and the worker's do)."""
    install_redaction()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s %(phone)s"))
    logger = logging.getLogger("heard.test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def test_an_exceptions_text_and_traceback_are_redacted(written):
    logger, stream = written
    try:
        try:
            raise ValueError("no resident with phone +12095550142")
        except ValueError as exc:
            raise RuntimeError("lookup failed for (209) 555-0142") from exc
    except RuntimeError:
        logger.exception("turn failed", extra={"phone": "+12095550142"})
    logger.warning("where", stack_info=True, extra={"phone": "209.555.0142"})
    out = stream.getvalue()
    assert "Traceback" in out and "RuntimeError" in out and "ValueError" in out
    assert "555" not in out, out


def test_sqlalchemys_parameters_never_reach_the_log(written, fresh_database_url):
    from sqlalchemy import text

    from intake.db import Database

    logger, stream = written
    database = Database(fresh_database_url)
    with database.engine.connect() as conn:
        try:
            conn.execute(
                text("INSERT INTO no_such_table (phone, name) VALUES (:p, :n)"),
                {"p": "+12095550142", "n": "María López"},
            )
        except Exception:
            logger.exception("database refused", extra={"phone": ""})
    database.dispose()
    out = stream.getvalue()
    assert "no_such_table" in out
    assert "555" not in out and "María" not in out, out


@pytest.mark.parametrize(("status", "size"), [("403", "1234"), ("404", "987654"), ("500", "12")])
def test_the_access_log_keeps_each_answers_status_through_the_redaction(status, size):
    """An operator watching for attacks reads 403s and 5xx in gunicorn's access log; a phone number never."""
    from pathlib import Path

    settings: dict[str, object] = {}
    exec((Path(__file__).resolve().parents[2] / "gunicorn.conf.py").read_text(), settings)
    atoms = {"h": "127.0.0.1", "m": "POST", "U": "/twilio/sms", "s": status, "B": size, "M": "4"}
    line = redact(str(settings["access_log_format"]) % atoms)
    assert f"status={status}" in line and "/twilio/sms" in line, line
    atoms["U"] = "/status/209-555-0142"
    assert "555" not in redact(str(settings["access_log_format"]) % atoms)
