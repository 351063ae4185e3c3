"""Fixtures for the reports: the seeded office (filed once per module, in a database of its own) and settings."""

from __future__ import annotations

import pytest

from intake.db import Database
from intake.reports.board import ReportSettings
from tests.conftest import _new_database
from tests.console.conftest import client, quick_hashes, team  # noqa: F401 (the console's fixtures, for its pages)
from tests.reports.seed import seed


@pytest.fixture(scope="module")
def seeded(database_url, tmp_path_factory, keyring):
    """A database of the module's own, on the same backend, holding the seeded office (committed once)."""
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    url, drop = _new_database(backend, tmp_path_factory.mktemp("reports"))
    database = Database(url)
    with database.session() as session:
        specs = seed(session, keyring)
        session.commit()
    yield database, specs
    database.dispose()
    drop()


@pytest.fixture
def settings():
    return ReportSettings(timezone="UTC", early_warning_threshold=3, early_warning_months=12)
