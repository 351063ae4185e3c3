"""Charts as plain SVG drawn on the server: no script, no library, readable without colour.

Every chart is an ``<svg role="img">`` whose ``<title>`` is its text alternative (browsers
read it as the image's name, WeasyPrint writes it as the PDF figure's alt text) and whose
``<desc>`` adds the key facts. Each value is printed beside its bar or point, series are
told apart by marker shape and a legend as well as by colour (Okabe–Ito colours, safe for
colour-blind readers), and the page shows the same numbers in a table beside each chart.
Only presentation attributes are used, never ``style``, so a strict Content-Security-Policy
allows them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
MARKERS = ("circle", "square", "diamond", "triangle")
TEXT = "#1a1a1a"
GRID = "#c8c8c8"
FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"


@dataclass(frozen=True)
class Series:
    """One named line or set of columns; None is a gap (no value for that point)."""

    name: str
    values: tuple[float | None, ...]


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _number(value: float, digits: int = 1) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"


def _open(chart_id: str, width: int, height: int, title: str, description: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{_attr(chart_id)}" role="img" '
        f'aria-labelledby="{_attr(chart_id)}-title {_attr(chart_id)}-desc" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="{_attr(FONT)}" font-size="12">',
        f'<title id="{_attr(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{_attr(chart_id)}-desc">{escape(description)}</desc>',
    ]


def _text(x: float, y: float, content: str, *, anchor: str = "start", size: int = 12, weight: str = "normal") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" font-weight="{weight}" '
        f'fill="{TEXT}">{escape(content)}</text>'
    )


def nice_ceiling(value: float) -> tuple[float, float]:
    """Return an axis maximum at or above ``value`` and a tick step giving four or five ticks."""
    if value <= 0:
        return 1.0, 1.0
    raw = value / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    if step < 1 and value >= 1:
        step = 1
    return step * math.ceil(value / step), step


def bar_chart(*, chart_id: str, title: str, description: str, rows: Sequence[tuple[str, float]], unit: str = "") -> str:
    """Draw horizontal bars, one per row, each labelled with its name and value."""
    label_width, bar_area, row_height, top = 230, 330, 22, 8
    width = label_width + bar_area + 70
    height = top + row_height * max(len(rows), 1) + 8
    largest = max((value for _label, value in rows), default=0)
    scale = bar_area / largest if largest > 0 else 0
    parts = _open(chart_id, width, height, title, description)
    parts.append(f'<line x1="{label_width}" y1="{top - 4}" x2="{label_width}" y2="{height - 4}" stroke="{TEXT}"/>')
    for index, (label, value) in enumerate(rows):
        y = top + index * row_height
        length = value * scale
        parts.append(_text(label_width - 8, y + 15, label, anchor="end"))
        if length > 0:
            parts.append(
                f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row_height - 6}" '
                f'fill="{COLOURS[0]}"/>'
            )
        parts.append(_text(label_width + length + 6, y + 15, f"{_number(value)}{unit}"))
    parts.append("</svg>")
    return "\n".join(parts)


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}"/>'
    if shape == "diamond":
        corners = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}"
        return f'<polygon points="{corners}" fill="{colour}"/>'
    if shape == "triangle":
        return (
            f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} {x - 5:.1f},{y + 4:.1f}" fill="{colour}"/>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>'


def _legend(series: Sequence[Series], x: float, y: float, *, columns: bool) -> list[str]:
    parts = []
    for index, one in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        left = x + index * 190
        if columns:
            parts.append(f'<rect x="{left:.1f}" y="{y - 9:.1f}" width="12" height="12" fill="{colour}"/>')
        else:
            parts.append(
                f'<line x1="{left - 2:.1f}" y1="{y - 3:.1f}" x2="{left + 14:.1f}" y2="{y - 3:.1f}" '
                f'stroke="{colour}" stroke-width="2"/>'
            )
            parts.append(_marker(MARKERS[index % len(MARKERS)], left + 6, y - 3, colour))
        parts.append(_text(left + 18, y + 1, one.name))
    return parts


def _axes(
    parts: list[str], *, left: float, top: float, plot_w: float, plot_h: float, maximum: float, step: float, unit: str
) -> None:
    tick = 0.0
    while tick <= maximum + 1e-9:
        y = top + plot_h - tick / maximum * plot_h
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(_text(left - 6, y + 4, f"{_number(tick)}{unit}", anchor="end", size=11))
        tick += step
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="{TEXT}"/>')
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="{TEXT}"/>')


def column_chart(
    *, chart_id: str, title: str, description: str, categories: Sequence[str], series: Sequence[Series], unit: str = ""
) -> str:
    """Draw grouped vertical columns: one group per category, one column per series, values on top."""
    left, top, plot_w, plot_h = 56, 30, 600, 200
    width, height = left + plot_w + 20, top + plot_h + 44
    largest = max((v for one in series for v in one.values if v is not None), default=0)
    maximum, step = nice_ceiling(largest * 1.12 if largest else 0)
    parts = _open(chart_id, width, height, title, description)
    parts += _legend(series, left, 14, columns=True)
    _axes(parts, left=left, top=top, plot_w=plot_w, plot_h=plot_h, maximum=maximum, step=step, unit=unit)
    group = plot_w / max(len(categories), 1)
    column = min(28.0, (group - 10) / max(len(series), 1))
    for g, category in enumerate(categories):
        start = left + g * group + (group - column * len(series)) / 2
        for s, one in enumerate(series):
            value = one.values[g]
            if value is None:
                continue
            x = start + s * column
            h = value / maximum * plot_h
            y = top + plot_h - h
            if h > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{column - 2:.1f}" height="{h:.1f}" '
                    f'fill="{COLOURS[s % len(COLOURS)]}"/>'
                )
            parts.append(_text(x + (column - 2) / 2, y - 3, _number(value), anchor="middle", size=10))
        parts.append(_text(left + g * group + group / 2, top + plot_h + 16, category, anchor="middle", size=11))
    parts.append("</svg>")
    return "\n".join(parts)


def line_chart(
    *, chart_id: str, title: str, description: str, categories: Sequence[str], series: Sequence[Series], unit: str = ""
) -> str:
    """Draw one line per series over the categories, each point marked and labelled; gaps where a value is None."""
    left, top, plot_w, plot_h = 56, 30, 600, 200
    width, height = left + plot_w + 20, top + plot_h + 44
    largest = max((v for one in series for v in one.values if v is not None), default=0)
    maximum, step = nice_ceiling(largest * 1.12 if largest else 0)
    parts = _open(chart_id, width, height, title, description)
    parts += _legend(series, left + 8, 14, columns=False)
    _axes(parts, left=left, top=top, plot_w=plot_w, plot_h=plot_h, maximum=maximum, step=step, unit=unit)
    group = plot_w / max(len(categories), 1)
    for g, category in enumerate(categories):
        parts.append(_text(left + g * group + group / 2, top + plot_h + 16, category, anchor="middle", size=11))
    for s, one in enumerate(series):
        colour = COLOURS[s % len(COLOURS)]
        points = [
            (left + g * group + group / 2, top + plot_h - value / maximum * plot_h, value)
            for g, value in enumerate(one.values)
            if value is not None
        ]
        runs: list[list[tuple[float, float]]] = [[]]
        for g, value in enumerate(one.values):
            if value is None:
                runs.append([])
            else:
                runs[-1].append((left + g * group + group / 2, top + plot_h - value / maximum * plot_h))
        for run in runs:
            if len(run) > 1:
                coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                parts.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y, value in points:
            parts.append(_marker(MARKERS[s % len(MARKERS)], x, y, colour))
            parts.append(_text(x, y - 8 - 10 * s, f"{_number(value)}{unit}", anchor="middle", size=10))
    parts.append("</svg>")
    return "\n".join(parts)
