"""Open data: de-identified monthly tables, CSV and JSON, with a data dictionary.

What is published: counts of cases by month and one field at a time, nothing else.
No record is about one case; no name, contact detail, tracking number, free text
(narrative, location, officers, injuries, witnesses), exact date or time, badge or
unit number leaves through here.

- **Months**: a case's month is the month it was filed in the office's time zone
  (``HEARD_OFFICE_TIMEZONE``), written ``YYYY-MM``; a closing's month is the month of
  the complaint's first move to ``closed``. The month still running is not published.
- **Area**: none. Locations are the residents' own words (a corner, "outside my
  house", a business name); Heard has no table of districts to map them to, and
  publishing the words, or a guess at an area, could point at a person. No location
  field is published until the office configures such a mapping.
- **Small counts**: every count from 1 to 4 is withheld (blank in CSV, ``null`` in
  JSON, ``suppressed`` true). Zero is published: it says nothing about a person.
- **Complementary suppression**: each table also publishes its totals (per month,
  per value, overall), so a lone withheld count could be worked out by subtraction.
  Heard therefore withholds more cells until no withheld count can be computed
  exactly from the published ones: every row and column has none or at least two
  withheld cells, and no withheld cell is the only link between two groups of
  withheld cells (a "bridge", which the totals would pin down). Extra cells are the
  smallest non-zero counts available. The monthly totals are shared by every
  table filed by month, so a month total withheld in one is withheld in all.
- **Limits**: this protects exact counts against the published totals, not ranges:
  a reader may still learn that a withheld count is between 1 and 4, and tables
  are protected one at a time, apart from their shared monthly totals.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from intake import audit
from intake.db import utcnow
from intake.enums import Disposition, Kind, Status
from intake.errors import ValidationError
from intake.models import Case
from intake.reports.board import ReportSettings, category_of, flagged_for_interpreter
from intake.reports.names import CATEGORY_NAMES, CHANNEL_NAMES, DISPOSITION_NAMES, LANGUAGE_NAMES, STATUS_NAMES

MIN_PUBLISHED_COUNT = 5
ALL = "all"
DICTIONARY_FILE = "datapackage.json"
README_FILE = "README.md"
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

Cell = tuple[str, str]  # (month or "all", value or "all")

# A case's type: its category for a complaint (uncategorised when none), "commendation" for a commendation.
TYPE_NAMES = {code: name for code, name in CATEGORY_NAMES.items() if code != "commendation"}
TYPE_NAMES["commendation"] = "Commendation"
INTERPRETER_NAMES = {"yes": "Needs an interpreter", "no": "No interpreter flagged"}
COMPLAINT_DISPOSITIONS = {code: name for code, name in DISPOSITION_NAMES.items() if code != Disposition.ACKNOWLEDGED}


def case_type(case: Case) -> str:
    """Return the published type of a case; a category outside the office's list becomes ``other``."""
    if case.kind is Kind.COMMENDATION:
        return "commendation"
    category = category_of(case)
    return category if category in TYPE_NAMES and category != "commendation" else "other"


@dataclass(frozen=True)
class TableSpec:
    """One published table: a case field counted by month."""

    name: str
    title: str
    description: str
    dimension: str
    names: Mapping[str, str]
    value: Callable[[Case], str]
    by_closing: bool = False  # counted by the month of closing rather than of filing


SPECS = (
    TableSpec(
        "cases_by_type",
        "Cases filed, by type",
        "Complaints by the category the office gave them (uncategorised when not yet given), and commendations.",
        "type",
        TYPE_NAMES,
        case_type,
    ),
    TableSpec(
        "cases_by_channel",
        "Cases filed, by channel",
        "How the case reached the office.",
        "channel",
        CHANNEL_NAMES,
        lambda case: case.channel.value,
    ),
    TableSpec(
        "cases_by_language",
        "Cases filed, by language",
        "The language the resident used (ISO 639 code; hmn is Hmong).",
        "language",
        LANGUAGE_NAMES,
        lambda case: case.language.value,
    ),
    TableSpec(
        "cases_needing_interpreter",
        "Cases filed, by whether an interpreter is needed",
        "yes when no offline translation exists for the resident's language and staff need an interpreter.",
        "needs_interpreter",
        INTERPRETER_NAMES,
        lambda case: "yes" if flagged_for_interpreter(case) else "no",
    ),
    TableSpec(
        "cases_by_status",
        "Cases filed, by status when the data was exported",
        "Where each case filed in the month stood on the export date.",
        "status",
        STATUS_NAMES,
        lambda case: case.status.value,
    ),
    TableSpec(
        "complaints_closed_by_disposition",
        "Complaints closed, by disposition",
        "Complaints by the month of their first closing and the outcome recorded then.",
        "disposition",
        COMPLAINT_DISPOSITIONS,
        lambda case: "",  # filled from the closing itself
        by_closing=True,
    ),
)


@dataclass
class Table:
    """A table's counts, margins included, and which cells are withheld."""

    spec: TableSpec
    months: tuple[str, ...]
    counts: dict[Cell, int]
    suppressed: set[Cell] = field(default_factory=set)

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(self.spec.names)

    def rows(self) -> list[dict[str, Any]]:
        """Return the published rows: each month then ``all``, each value then ``all``."""
        out = []
        for month in (*self.months, ALL):
            for value in (*self.values, ALL):
                hidden = (month, value) in self.suppressed
                out.append(
                    {
                        "month": month,
                        self.spec.dimension: value,
                        "count": None if hidden else self.counts[(month, value)],
                        "suppressed": hidden,
                    }
                )
        return out


# ---------------------------------------------------------------- counting


def month_of(when: dt.datetime, zone: dt.tzinfo) -> str:
    """Return ``YYYY-MM`` for ``when`` in ``zone``."""
    return when.astimezone(zone).strftime("%Y-%m")


def parse_month(text: str, name: str) -> tuple[int, int]:
    """Read ``YYYY-MM`` or raise ValidationError naming the option."""
    match = _MONTH.match(text.strip())
    if match is None:
        raise ValidationError({name: f"must be a month such as 2026-07, not {text!r}"})
    return int(match[1]), int(match[2])


def month_range(since: str, until: str) -> tuple[str, ...]:
    """Return every month from ``since`` to ``until``, both included."""
    year, month = parse_month(since, "since")
    last = parse_month(until, "until")
    if (year, month) > last:
        raise ValidationError({"since": f"{since} is after {until}"})
    months = []
    while (year, month) <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(months)


def _with_margins(interior: Mapping[Cell, int], months: Sequence[str], values: Sequence[str]) -> dict[Cell, int]:
    counts: dict[Cell, int] = {}
    for month in months:
        for value in values:
            counts[(month, value)] = interior.get((month, value), 0)
        counts[(month, ALL)] = sum(counts[(month, v)] for v in values)
    for value in values:
        counts[(ALL, value)] = sum(counts[(m, value)] for m in months)
    counts[(ALL, ALL)] = sum(counts[(m, ALL)] for m in months)
    return counts


def _first_closing(case: Case) -> tuple[dt.datetime, Disposition] | None:
    for change in case.status_changes:
        if change.to_status is Status.CLOSED and change.disposition is not None:
            return change.created_at, change.disposition
    return None


def count_tables(cases: Iterable[Case], months: Sequence[str], zone: dt.tzinfo) -> list[Table]:
    """Count every table in ``SPECS`` over ``months`` (no suppression yet)."""
    wanted = set(months)
    interiors: dict[str, Counter[Cell]] = defaultdict(Counter)
    for case in cases:
        filed = month_of(case.created_at, zone)
        for spec in SPECS:
            if spec.by_closing:
                closing = _first_closing(case) if case.kind is Kind.COMPLAINT else None
                if closing is not None and month_of(closing[0], zone) in wanted:
                    interiors[spec.name][(month_of(closing[0], zone), closing[1].value)] += 1
            elif filed in wanted:
                interiors[spec.name][(filed, spec.value(case))] += 1
    return [
        Table(spec=spec, months=tuple(months), counts=_with_margins(interiors[spec.name], months, tuple(spec.names)))
        for spec in SPECS
    ]


# ---------------------------------------------------------------- suppression


def _lines(months: Sequence[str], values: Sequence[str]) -> list[list[Cell]]:
    rows = [*months, ALL]
    cols = [*values, ALL]
    return [[(r, c) for c in cols] for r in rows] + [[(r, c) for r in rows] for c in cols]


def _pick(candidates: Iterable[Cell], counts: Mapping[Cell, int], suppressed: set[Cell]) -> Cell | None:
    """Choose the cell to withhold: the smallest non-zero count, interior before totals, zeros last."""
    open_cells = [cell for cell in candidates if cell not in suppressed]
    if not open_cells:
        return None
    return min(open_cells, key=lambda c: (counts[c] == 0, counts[c], ALL in c, c))


def _bridges(suppressed: set[Cell]) -> list[Cell]:
    """Return the withheld cells the totals would pin down: bridges of the row-column graph."""
    graph: dict[str, list[tuple[str, Cell]]] = defaultdict(list)
    for cell in suppressed:
        row, col = "r:" + cell[0], "c:" + cell[1]
        graph[row].append((col, cell))
        graph[col].append((row, cell))

    def connected_without(edge: Cell) -> bool:
        start, goal = "r:" + edge[0], "c:" + edge[1]
        seen = {start}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for neighbour, via in graph[node]:
                if via == edge or neighbour in seen:
                    continue
                if neighbour == goal:
                    return True
                seen.add(neighbour)
                queue.append(neighbour)
        return False

    return sorted(cell for cell in suppressed if not connected_without(cell))


def _component(suppressed: set[Cell], start: str, without: Cell) -> set[str]:
    nodes = {start}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for cell in suppressed:
            if cell == without:
                continue
            ends = ("r:" + cell[0], "c:" + cell[1])
            if node in ends:
                other = ends[1] if node == ends[0] else ends[0]
                if other not in nodes:
                    nodes.add(other)
                    queue.append(other)
    return nodes


def suppress(
    counts: Mapping[Cell, int],
    months: Sequence[str],
    values: Sequence[str],
    *,
    forced: Iterable[Cell] = (),
    minimum: int = MIN_PUBLISHED_COUNT,
) -> set[Cell]:
    """Return the cells to withhold: counts from 1 to minimum - 1, ``forced`` ones, and their complements."""
    suppressed = {cell for cell, n in counts.items() if 0 < n < minimum} | set(forced)
    lines = _lines(months, values)
    while True:
        changed = False
        for line in lines:
            if sum(cell in suppressed for cell in line) == 1:
                pick = _pick(line, counts, suppressed)
                if pick is not None:
                    suppressed.add(pick)
                    changed = True
        if changed:
            continue
        bridges = _bridges(suppressed)
        if not bridges:
            return suppressed
        bridge = bridges[0]
        side = _component(suppressed, "r:" + bridge[0], bridge)
        other = _component(suppressed, "c:" + bridge[1], bridge)
        candidates = [
            (row, col)
            for row in (*months, ALL)
            for col in (*values, ALL)
            if ("r:" + row in side and "c:" + col in other) or ("r:" + row in other and "c:" + col in side)
        ]
        pick = _pick(candidates, counts, suppressed)
        if pick is None:  # cannot happen in a full table; withhold the whole table rather than leak
            return set(counts)
        suppressed.add(pick)


def protect(tables: Sequence[Table]) -> None:
    """Suppress every table, the monthly totals shared by the tables filed by month."""
    shared: set[Cell] = set()
    while True:
        for table in tables:
            forced = {cell for cell in shared if cell in table.counts} if not table.spec.by_closing else set()
            table.suppressed = suppress(table.counts, table.months, table.values, forced=forced)
        totals = {cell for table in tables if not table.spec.by_closing for cell in table.suppressed if cell[1] == ALL}
        if totals <= shared:
            return
        shared |= totals


# ---------------------------------------------------------------- writing


def _cases(session: Session) -> Iterable[Case]:
    query = select(Case).order_by(Case.id).options(selectinload(Case.status_changes)).execution_options(yield_per=500)
    return session.scalars(query)


def default_months(session: Session, zone: dt.tzinfo, now: dt.datetime) -> tuple[str, str]:
    """Return the first month with a case and the last month that has ended."""
    first = session.scalar(select(Case.created_at).order_by(Case.created_at).limit(1))
    local_now = now.astimezone(zone)
    last_year, last_month = (local_now.year - 1, 12) if local_now.month == 1 else (local_now.year, local_now.month - 1)
    until = f"{last_year:04d}-{last_month:02d}"
    since = month_of(first, zone) if first is not None else until
    return min(since, until), until


def _dictionary(tables: Sequence[Table], settings: ReportSettings, exported: dt.date) -> dict[str, Any]:
    resources = []
    for table in tables:
        spec = table.spec
        month_note = "closing" if spec.by_closing else "filing"
        resources.append(
            {
                "name": spec.name,
                "title": spec.title,
                "description": spec.description,
                "path": f"{spec.name}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "also": f"{spec.name}.json",
                "schema": {
                    "fields": [
                        {
                            "name": "month",
                            "type": "string",
                            "description": f"Month of {month_note} (YYYY-MM, {settings.timezone}), or 'all' for the "
                            "total over every month.",
                        },
                        {
                            "name": spec.dimension,
                            "type": "string",
                            "description": "One of the codes in 'values', or 'all' for the total over every value.",
                            "constraints": {"enum": [*spec.names, ALL]},
                            "values": dict(spec.names),
                        },
                        {
                            "name": "count",
                            "type": "integer",
                            "description": "Number of cases; blank (null in JSON) when withheld.",
                        },
                        {"name": "suppressed", "type": "boolean", "description": "true when the count is withheld."},
                    ],
                    "missingValues": [""],
                },
            }
        )
    return {
        "name": "heard-open-data",
        "title": "Police complaints and commendations received by the independent intake office",
        "created": exported.isoformat(),
        "months": [tables[0].months[0], tables[0].months[-1]] if tables and tables[0].months else [],
        "timezone": settings.timezone,
        "suppression": {
            "minimum_published_count": MIN_PUBLISHED_COUNT,
            "rule": (
                f"Counts from 1 to {MIN_PUBLISHED_COUNT - 1} are withheld; zero is published. Further cells, the "
                "smallest non-zero ones, are withheld until no withheld count can be computed exactly from the "
                "published counts and totals of the same table; monthly totals are withheld alike in every table "
                "counted by month of filing."
            ),
            "limits": (
                f"A withheld count may still be known to lie between 1 and {MIN_PUBLISHED_COUNT - 1}; tables are "
                "protected one at a time apart from their shared monthly totals, so knowing how two fields relate "
                "(for example a language that always needs an interpreter) may narrow a withheld count further."
            ),
        },
        "not_published": [
            "names, phone numbers, email addresses and any contact detail",
            "tracking numbers, PINs and any identifier of a case",
            "the residents' words: narrative, incident time as said, location, officers, injuries, witnesses",
            "exact dates and times (months only)",
            "location or area (no mapping from the residents' words to districts is configured)",
            "badge, car or unit numbers and officer names",
            "the month still running",
        ],
        "resources": resources,
    }


def _readme(dictionary: Mapping[str, Any]) -> str:
    lines = [
        f"# {dictionary['title']}",
        "",
        f"Exported {dictionary['created']}; months {' to '.join(dictionary['months'])} ({dictionary['timezone']}).",
        "",
        "## Suppression",
        "",
        dictionary["suppression"]["rule"],
        "",
        dictionary["suppression"]["limits"],
        "",
        "## Not published",
        "",
        *(f"- {item}" for item in dictionary["not_published"]),
        "",
        "## Files",
        "",
    ]
    for resource in dictionary["resources"]:
        lines += [
            f"### {resource['path']} (and {resource['also']})",
            "",
            f"{resource['title']}. {resource['description']}",
            "",
            "| column | meaning |",
            "|---|---|",
        ]
        for column in resource["schema"]["fields"]:
            lines.append(f"| `{column['name']}` | {column['description']} |")
        values = resource["schema"]["fields"][1]["values"]
        lines += ["", "Values: " + "; ".join(f"`{code}` {name}" for code, name in values.items()) + ".", ""]
    return "\n".join(lines)


@dataclass(frozen=True)
class OpenDataExport:
    """What an export wrote."""

    files: tuple[Path, ...]
    months: tuple[str, ...]
    cases: int


def write_open_data(
    session: Session,
    *,
    out_dir: Path,
    settings: ReportSettings,
    actor: str,
    since: str | None = None,
    until: str | None = None,
    now: dt.datetime | None = None,
) -> OpenDataExport:
    """Write every table as CSV and JSON, the data dictionary and a README into ``out_dir``; audit the export."""
    now = now or utcnow()
    zone = settings.zone
    first, last_complete = default_months(session, zone, now)
    until = until or last_complete
    since = since or first
    if parse_month(until, "until") > parse_month(last_complete, "until"):
        raise ValidationError({"until": f"must be a month that has ended ({last_complete} or earlier)"})
    months = month_range(since, until)
    tables = count_tables(_cases(session), months, zone)
    protect(tables)
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    for table in tables:
        rows = table.rows()
        csv_path = out_dir / f"{table.spec.name}.csv"
        with csv_path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["month", table.spec.dimension, "count", "suppressed"])
            writer.writeheader()
            for row in rows:
                writer.writerow(
                    {
                        **row,
                        "count": "" if row["count"] is None else row["count"],
                        "suppressed": str(row["suppressed"]).lower(),
                    }
                )
        json_path = out_dir / f"{table.spec.name}.json"
        json_path.write_text(
            json.dumps(
                {"name": table.spec.name, "title": table.spec.title, "dimension": table.spec.dimension, "rows": rows},
                ensure_ascii=False,
                indent=1,
            )
            + "\n",
            encoding="utf-8",
        )
        files += [csv_path, json_path]
    dictionary = _dictionary(tables, settings, now.astimezone(zone).date())
    (out_dir / DICTIONARY_FILE).write_text(json.dumps(dictionary, ensure_ascii=False, indent=1) + "\n", "utf-8")
    (out_dir / README_FILE).write_text(_readme(dictionary), "utf-8")
    files += [out_dir / DICTIONARY_FILE, out_dir / README_FILE]
    cases = tables[0].counts[(ALL, ALL)]
    audit.record(
        session,
        actor=actor,
        action="open_data.exported",
        summary={"since": months[0], "until": months[-1], "cases": cases, "files": len(files)},
    )
    return OpenDataExport(files=tuple(files), months=months, cases=cases)
