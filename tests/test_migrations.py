"""The migrations build exactly the schema the models describe, on every backend."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from intake import models  # noqa: F401
from intake.db import Base, make_engine
from intake.migrate import alembic_config


def test_upgrade_from_empty_matches_the_models(fresh_database_url):
    engine = make_engine(fresh_database_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
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
