"""Run the Alembic migrations from code (the CLI, tests and setup use this)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# SQLite's search tables (FTS5, created by migration 0007): no model describes a virtual table.
SQLITE_SEARCH_TABLES = ("cases_search", "translations_search", "case_officers_search")


def comparison_options(dialect: str) -> dict[str, Callable[..., bool]]:
    """Return the Alembic options that compare the models with a database of ``dialect`` fairly.

    Left out: SQLite's FTS5 search tables and their shadow tables, and model indexes that
    exist on other databases only (``info={"dialects": (...)}``, such as the trigram indexes).
    """

    def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
        if type_ != "table" or name is None or dialect != "sqlite":
            return True
        return not any(name == table or name.startswith(f"{table}_") for table in SQLITE_SEARCH_TABLES)

    def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        dialects = getattr(obj, "info", {}).get("dialects") if type_ == "index" and not reflected else None
        return dialects is None or dialect in dialects

    return {"include_name": include_name, "include_object": include_object}


def alembic_config(database_url: str) -> Config:
    """Return an Alembic config for ``database_url``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate the database at ``database_url`` up to ``revision``."""
    command.upgrade(alembic_config(database_url), revision)
