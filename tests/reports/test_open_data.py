"""Open data: counts against a direct computation, the suppression rule, and nothing that identifies anyone."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from intake.enums import Kind, Status
from intake.errors import ValidationError
from intake.models import AuditEntry
from intake.reports import open_data
from intake.reports.open_data import ALL, MIN_PUBLISHED_COUNT, SPECS, suppress
from tests.reports.seed import NOW
from tests.reports.test_board import status_at

UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def database(seeded):
    """Every test here reads the seeded office, each in its own rolled-back transaction."""
    return seeded[0]


@pytest.fixture
def specs(seeded):
    return seeded[1]


# ---------------------------------------------------------------- the suppression rule on its own


def _table(counts_by_row: list[list[int]]):
    months = [f"2026-{m + 1:02d}" for m in range(len(counts_by_row))]
    values = [f"v{j}" for j in range(len(counts_by_row[0]))]
    interior = {(months[i], values[j]): n for i, row in enumerate(counts_by_row) for j, n in enumerate(row)}
    return open_data._with_margins(interior, months, values), months, values


def determinable(counts, months, values, suppressed) -> set:
    """Return the withheld cells that the published cells and the table's sums pin down exactly."""
    cells = sorted(suppressed)
    index = {cell: k for k, cell in enumerate(cells)}
    rows = []
    for line in open_data._lines(months, values):
        row = np.zeros(len(cells))
        for cell in line:
            if cell in index:  # every line says: its cells add up to its last cell, the total
                row[index[cell]] = -1.0 if cell == line[-1] else 1.0
        if row.any():
            rows.append(row)
    matrix = np.array(rows) if rows else np.zeros((0, len(cells)))
    rank = np.linalg.matrix_rank(matrix) if rows else 0
    pinned = set()
    for cell, k in index.items():
        unit = np.zeros(len(cells))
        unit[k] = 1.0
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            pinned.add(cell)
    return pinned


def test_counts_from_one_to_four_are_withheld_and_zero_is_not():
    counts, months, values = _table([[0, 3, 9], [7, 8, 6], [12, 0, 10]])
    hidden = suppress(counts, months, values)
    assert ("2026-01", "v1") in hidden
    assert ("2026-01", "v0") not in hidden or counts[("2026-01", "v0")] == 0
    assert all(not 0 < counts[c] < MIN_PUBLISHED_COUNT for c in set(counts) - hidden)
    assert not determinable(counts, months, values, hidden)


def test_a_lone_withheld_cell_gets_complements_in_its_row_and_column():
    counts, months, values = _table([[20, 3, 30], [25, 26, 27], [40, 41, 42]])
    hidden = suppress(counts, months, values)
    assert ("2026-01", "v1") in hidden and len(hidden) >= 4  # a rectangle at least
    for line in open_data._lines(months, values):
        assert sum(cell in hidden for cell in line) != 1
    assert not determinable(counts, months, values, hidden)
    # the complements are the smallest counts that close the rectangle
    assert ("2026-01", "v0") in hidden and ("2026-02", "v1") in hidden


def test_the_checker_finds_what_a_naive_rule_would_leak():
    counts, months, values = _table([[20, 3, 30], [25, 26, 27]])
    naive = {cell for cell, n in counts.items() if 0 < n < MIN_PUBLISHED_COUNT}
    assert determinable(counts, months, values, naive) == naive  # subtraction from the row total finds it


@pytest.mark.parametrize("seed", range(40))
def test_no_withheld_count_can_be_worked_out_from_the_published_ones(seed):
    rng = random.Random(seed)
    shape = (rng.randint(1, 7), rng.randint(1, 6))
    grid = [[rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 9, 15, 40]) for _ in range(shape[1])] for _ in range(shape[0])]
    counts, months, values = _table(grid)
    hidden = suppress(counts, months, values)
    assert {c for c, n in counts.items() if 0 < n < MIN_PUBLISHED_COUNT} <= hidden
    assert not determinable(counts, months, values, hidden), grid


def test_months_are_whole_calendar_months_and_the_running_month_is_refused(session, settings):
    assert open_data.month_range("2025-11", "2026-02") == ("2025-11", "2025-12", "2026-01", "2026-02")
    with pytest.raises(ValidationError):
        open_data.month_range("2026-03", "2026-02")
    with pytest.raises(ValidationError):
        open_data.month_range("2026-3", "2026-04")
    with pytest.raises(ValidationError):
        open_data.write_open_data(
            session, out_dir=Path("/nonexistent"), settings=settings, actor="t", until="2026-10", now=NOW
        )


# ---------------------------------------------------------------- the export of the seeded office


@pytest.fixture
def exported(session, specs, settings, tmp_path):
    result = open_data.write_open_data(session, out_dir=tmp_path / "open", settings=settings, actor="test", now=NOW)
    return result, tmp_path / "open"


def _rows(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _expected(specs, spec, months):
    """Count a table directly from the specs (final state, as the export sees it)."""
    wanted = set(months)
    counts: Counter = Counter()
    for s in specs:
        if spec.by_closing:
            if s.kind is not Kind.COMPLAINT:
                continue
            closing = next(((w, d) for w, _f, to, d in s.events() if to is Status.CLOSED), None)
            if closing and closing[0].strftime("%Y-%m") in wanted:
                counts[(closing[0].strftime("%Y-%m"), closing[1].value)] += 1
            continue
        month = s.filed.strftime("%Y-%m")
        if month not in wanted:
            continue
        value = {
            "cases_by_type": lambda: "commendation" if s.kind is Kind.COMMENDATION else (s.category or "uncategorised"),
            "cases_by_channel": lambda: s.channel.value,
            "cases_by_language": lambda: s.language.value,
            "cases_needing_interpreter": lambda: "yes" if s.needs_interpreter else "no",
            "cases_by_status": lambda: status_at(s, NOW + dt.timedelta(days=1))[0].value,
        }[spec.name]()
        counts[(month, value)] += 1
    return counts


def test_published_counts_match_a_direct_computation_and_follow_the_rule(exported, specs):
    result, folder = exported
    assert result.months[0] == "2024-09" and result.months[-1] == "2026-09"  # the running month is left out
    assert result.cases == sum(s.filed < dt.datetime(2026, 10, 1, tzinfo=UTC) for s in specs)
    month_totals = {}
    for spec in SPECS:
        rows = _rows(folder / f"{spec.name}.csv")
        as_json = json.loads((folder / f"{spec.name}.json").read_text(encoding="utf-8"))["rows"]
        assert len(rows) == len(as_json) == (len(result.months) + 1) * (len(spec.names) + 1)
        expected = _expected(specs, spec, result.months)
        assert sum(expected.values()) > 0
        counts, hidden = {}, set()
        for row, twin in zip(rows, as_json, strict=True):
            cell = (row["month"], row[spec.dimension])
            assert (twin["month"], twin[spec.dimension]) == cell
            if row["suppressed"] == "true":
                assert row["count"] == "" and twin["count"] is None and twin["suppressed"] is True
                hidden.add(cell)
                continue
            count = int(row["count"])
            assert count == twin["count"]
            assert count == 0 or count >= MIN_PUBLISHED_COUNT, f"{spec.name} publishes a small count at {cell}"
            if ALL not in cell:
                assert count == expected[cell], (spec.name, cell)
            elif cell[0] == ALL and cell[1] != ALL:
                assert count == sum(n for (m, v), n in expected.items() if v == cell[1])
            elif cell[1] == ALL and cell[0] != ALL:
                assert count == sum(n for (m, v), n in expected.items() if m == cell[0])
            else:
                assert count == sum(expected.values())
            counts[cell] = count
        every = {(m, v): expected.get((m, v), 0) for m in result.months for v in spec.names}
        full = open_data._with_margins(every, result.months, tuple(spec.names))
        assert {c for c, n in full.items() if 0 < n < MIN_PUBLISHED_COUNT} <= hidden
        assert not determinable(full, result.months, tuple(spec.names), hidden), spec.name
        if not spec.by_closing:
            month_totals[spec.name] = {c: counts.get(c) for c in full if c[1] == ALL}
    # every table counted by filing month publishes (or withholds) the same monthly totals
    assert len({json.dumps(sorted(t.items(), key=str)) for t in month_totals.values()}) == 1


def test_no_identifying_field_reaches_the_open_data(exported, specs):
    _result, folder = exported
    text = "\n".join(path.read_text(encoding="utf-8") for path in sorted(folder.iterdir()))
    lowered = text.lower()
    for spec in specs:
        for words in spec.secrets.values():
            assert words.lower() not in lowered, words
        assert spec.tracking_number not in text
        assert f"{spec.tracking_number[:3]}-{spec.tracking_number[3:6]}-{spec.tracking_number[6:]}" not in text
        if spec.officers:
            assert spec.officers.lower() not in lowered
    for marker in ("zelphine", "quorrow", "verbena", "ortolan", "marker", "@", "555-", "4471", "5521", "9090"):
        assert marker not in lowered, marker
    assert not re.search(r"(badge|placa|car|unit)\s*#?\s*\d", lowered)
    tables = "\n".join(path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.csv")))
    tables += "\n".join(path.read_text(encoding="utf-8") for path in sorted(folder.glob("cases*.json")))
    assert not re.search(r"\d{4}-\d{2}-\d{2}", tables), "a day-level date in a table"
    assert not re.search(r"\d{1,2}:\d{2}", tables), "a time of day in a table"
    assert not re.search(r"\b\d{3}-\d{3}-\d{4}\b", text), "something shaped like a phone or tracking number"
    columns = set()
    for path in folder.glob("*.csv"):
        columns |= set(_rows(path)[0])
    assert columns <= {"month", "count", "suppressed"} | {spec.dimension for spec in SPECS}


def test_the_data_dictionary_describes_every_file_and_column(exported):
    result, folder = exported
    package = json.loads((folder / open_data.DICTIONARY_FILE).read_text(encoding="utf-8"))
    assert package["suppression"]["minimum_published_count"] == 5
    assert "location or area" in " ".join(package["not_published"])
    assert {r["path"] for r in package["resources"]} == {f"{s.name}.csv" for s in SPECS}
    for resource in package["resources"]:
        rows = _rows(folder / resource["path"])
        fields = [f["name"] for f in resource["schema"]["fields"]]
        assert fields == list(rows[0]) and all(f["description"] for f in resource["schema"]["fields"])
        allowed = set(resource["schema"]["fields"][1]["constraints"]["enum"])
        assert {row[fields[1]] for row in rows} <= allowed
        assert (folder / resource["also"]).exists()
    readme = (folder / open_data.README_FILE).read_text(encoding="utf-8")
    assert "Counts from 1 to 4 are withheld" in readme and "cases_by_type.csv" in readme
    assert result.files and all(path.exists() for path in result.files)


def test_the_export_is_audited(exported, session):
    result, _folder = exported
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()
    assert entry.action == "open_data.exported" and entry.actor == "test"
    assert entry.summary == {"since": "2024-09", "until": "2026-09", "cases": result.cases, "files": len(result.files)}
