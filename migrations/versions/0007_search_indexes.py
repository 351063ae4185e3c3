"""Indexes for the queue's search box: trigram GIN indexes on PostgreSQL, trigram FTS5 tables on SQLite.

The search is a case-insensitive substring match (``ILIKE '%words%'``) that no B-tree index can
serve. PostgreSQL's ``pg_trgm`` GIN indexes serve ``ILIKE`` directly. SQLite has no such index,
so each searched table gets an external-content FTS5 table (``trigram`` tokenizer, SQLite 3.34+)
kept current by triggers; the console uses it to find candidate rows and checks them with the
same ``LIKE`` as before, so the results do not change.

NOTE: a later migration that copies ``cases``, ``translations`` or ``case_officers`` on SQLite
(batch mode) drops their triggers with the old table: it must create them again (see ``_create_fts``).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 09:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# table -> the columns the console searches
_SEARCHED = {
    "cases": ("narrative", "location", "officers"),
    "translations": ("text",),
    "case_officers": ("name", "badge_number", "unit"),
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _create_fts()
        return
    # NOTE: pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, columns in _SEARCHED.items():
        for column in columns:
            op.create_index(
                f"ix_{table}_{column}_trgm",
                table,
                [column],
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in _SEARCHED:
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_search_{event}")
            op.execute(f"DROP TABLE IF EXISTS {table}_search")
        return
    for table, columns in _SEARCHED.items():
        for column in columns:
            op.drop_index(f"ix_{table}_{column}_trgm", table_name=table)
    # NOTE: the extension stays: other databases' objects, or the DBA's, may use it.


def _create_fts() -> None:
    for table, columns in _SEARCHED.items():
        listed = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        op.execute(
            f"CREATE VIRTUAL TABLE {table}_search USING fts5("
            f"{listed}, content='{table}', content_rowid='id', tokenize='trigram')"
        )
        op.execute(
            f"CREATE TRIGGER {table}_search_insert AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {table}_search (rowid, {listed}) VALUES (new.id, {new}); END"
        )
        # An external-content table forgets a row only when told its old values exactly.
        op.execute(
            f"CREATE TRIGGER {table}_search_delete AFTER DELETE ON {table} BEGIN "
            f"INSERT INTO {table}_search ({table}_search, rowid, {listed}) VALUES ('delete', old.id, {old}); END"
        )
        op.execute(
            f"CREATE TRIGGER {table}_search_update AFTER UPDATE OF id, {listed} ON {table} BEGIN "
            f"INSERT INTO {table}_search ({table}_search, rowid, {listed}) VALUES ('delete', old.id, {old}); "
            f"INSERT INTO {table}_search (rowid, {listed}) VALUES (new.id, {new}); END"
        )
        op.execute(f"INSERT INTO {table}_search ({table}_search) VALUES ('rebuild')")
