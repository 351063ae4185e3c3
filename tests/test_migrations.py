"""The migrations build exactly the schema the models describe, on every backend."""

import datetime as dt

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import DateTime, bindparam, inspect, text

from intake import models  # noqa: F401
from intake.db import Base, make_engine
from intake.migrate import alembic_config, comparison_options


def test_upgrade_from_empty_matches_the_models(fresh_database_url):
    engine = make_engine(fresh_database_url)
    with engine.connect() as connection:
        options = comparison_options(connection.dialect.name)
        diff = compare_metadata(MigrationContext.configure(connection, opts=options), Base.metadata)
    engine.dispose()
    assert diff == []


def test_downgrade_to_empty_and_back(fresh_database_url):
    config = alembic_config(fresh_database_url)
    command.downgrade(config, "base")
    engine = make_engine(fresh_database_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    command.upgrade(config, "head")
    engine = make_engine(fresh_database_url)
    assert {"cases", "audit_log", "audit_head"} <= set(inspect(engine).get_table_names())
    engine.dispose()


# NOTE: timestamps bound as DateTime, so SQLAlchemy writes them, not sqlite3's default adapter (deprecated in 3.12).
NOW = bindparam("now", type_=DateTime(timezone=True))


def test_0006_adds_merges_and_officers_to_a_database_that_holds_cases(fresh_database_url):
    # A status change points at the case, so a copy of `cases` (SQLite's batch mode) would trip its foreign key.
    config = alembic_config(fresh_database_url)
    command.downgrade(config, "0005")
    engine = make_engine(fresh_database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO cases (id, tracking_number, pin_digest, kind, status, channel, language, narrative,"
                " anonymous, needs_interpreter, version, created_at, updated_at) VALUES (7, '1234567890', :digest,"
                " 'complaint', 'received', 'sms', 'es', 'Me empujó.', false, false, 1, :now, :now)"
            ).bindparams(NOW),
            {"digest": "0" * 64, "now": dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)},
        )
        connection.execute(
            text(
                "INSERT INTO status_changes (case_id, to_status, actor, created_at)"
                " VALUES (7, 'received', 'test', :now)"
            ).bindparams(NOW),
            {"now": dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)},
        )
    command.upgrade(config, "head")
    with engine.begin() as connection:
        assert connection.execute(text("SELECT narrative, merged_into_id FROM cases WHERE id = 7")).one() == (
            "Me empujó.",
            None,
        )
        connection.execute(
            text(
                "INSERT INTO case_officers (case_id, badge_number, created_by, created_at)"
                " VALUES (7, '4471', 'test', :now)"
            ).bindparams(NOW),
            {"now": dt.datetime(2026, 11, 2, tzinfo=dt.timezone.utc)},
        )
        foreign = [
            fk
            for fk in inspect(connection).get_foreign_keys("cases")
            if fk["constrained_columns"] == ["merged_into_id"]
        ]
        assert [(fk["referred_table"], fk["referred_columns"]) for fk in foreign] == [("cases", ["id"])]
    engine.dispose()


def test_0010_gives_queued_jobs_their_priority_and_calls_failed_jobs_dead(fresh_database_url):
    config = alembic_config(fresh_database_url)
    command.downgrade(config, "0009")
    engine = make_engine(fresh_database_url)
    with engine.begin() as connection:
        for kind, state in [("translate.case", "queued"), ("sms.send", "queued"), ("sms.media", "failed")]:
            connection.execute(
                text(
                    "INSERT INTO jobs (kind, payload, state, attempts, max_attempts, run_after, created_at, updated_at)"
                    " VALUES (:kind, '{}', :state, 0, 10, :now, :now, :now)"
                ).bindparams(NOW),
                {"kind": kind, "state": state, "now": dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)},
            )
    command.upgrade(config, "head")
    with engine.begin() as connection:
        rows = connection.execute(text("SELECT kind, state, priority FROM jobs ORDER BY id")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("translate.case", "queued", 100),
        ("sms.send", "queued", 0),
        ("sms.media", "dead", 50),
    ]
