"""One settings object, read once: the office's time zone and phone have one default and one reader."""

import pytest

from intake.config import DEFAULT_OFFICE_PHONE, DEFAULT_OFFICE_TIMEZONE, Settings
from intake.errors import ConfigurationError


def test_the_office_zone_and_phone_have_one_default():
    settings = Settings.from_env({})
    assert settings.office_timezone == DEFAULT_OFFICE_TIMEZONE == "America/Los_Angeles"
    assert settings.office_phone == DEFAULT_OFFICE_PHONE


def test_an_unknown_office_zone_is_refused_at_start():
    with pytest.raises(ConfigurationError, match="HEARD_OFFICE_TIMEZONE"):
        Settings.from_env({"HEARD_OFFICE_TIMEZONE": "Mars/Olympus_Mons"})


def test_the_console_and_the_board_report_read_the_same_zone(tmp_path, keyring, database):
    from app import create_app

    app = create_app({"TESTING": True, "HEARD_INSTANCE_DIR": str(tmp_path), "KEYRING": keyring, "DATABASE": database})
    zone = app.config["HEARD_SETTINGS"].office_timezone
    assert app.extensions["heard.console"]["targets"].timezone == zone
    assert app.extensions["heard.reports"].timezone == zone
