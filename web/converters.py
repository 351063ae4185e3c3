"""URL converters every blueprint shares."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

from intake.inputs import MAX_ID


class IdConverter(IntegerConverter):
    """``<int:...>`` for ids: ASCII digits only and no larger than any table holds, else the route does not match (404).

    NOTE: werkzeug's own takes any Unicode decimal digits and any length, and a 23-digit id
    reaches the database as a query that fails (500) instead of a page that is not there.
    """

    regex = r"[0-9]{1,10}"

    def __init__(self, map: object, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)  # type: ignore[arg-type]


def init_app(app: Flask) -> None:
    """Make ``<int:...>`` in every route an id converter; call before any blueprint is registered."""
    app.url_map.converters["int"] = IdConverter
