"""One database session per request, closed (and rolled back if uncommitted) at teardown."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from intake.crypto import Keyring
from intake.db import Database
from intake.storage import Storage


def database() -> Database:
    """Return the application's Database."""
    return current_app.extensions["heard.database"]  # type: ignore[no-any-return]


def keyring() -> Keyring:
    """Return the application's keys."""
    return current_app.extensions["heard.keyring"]  # type: ignore[no-any-return]


def storage() -> Storage:
    """Return where the application keeps evidence, recordings and the spool."""
    return current_app.extensions["heard.storage"]  # type: ignore[no-any-return]


def get_session() -> Session:
    """Return this request's session, opening it on first use."""
    if "db_session" not in g:
        g.db_session = database().sessionmaker()
    return g.db_session  # type: ignore[no-any-return]


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    """Close each request's session when the request ends."""
    app.teardown_appcontext(_close_session)
