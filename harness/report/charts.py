"""Inline SVG charts for the HTML report: no script, no library, no network.

Each function returns one ``<svg>`` element as text; every label and title
in it is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

COLOURS = {
    "passed": "#2e7d32",
    "failed": "#c62828",
    "skipped": "#9e9e9e",
    "interrupted": "#ef6c00",
}
SERIES = ("#1565c0", "#ef6c00", "#c62828", "#6a1b9a", "#00838f")


@dataclass(frozen=True)
class Bar:
    """One stage on the timeline: offsets in seconds from the run's start."""

    label: str
    start: float
    seconds: float
    status: str
    detail: str = ""


def timeline(bars: Sequence[Bar], width: int = 900) -> str:
    """A Gantt-like chart: one row per stage, coloured by its status."""
    if not bars:
        return "<p>No stages ran.</p>"
    row, left, right = 26, 130, 60
    end = max(bar.start + bar.seconds for bar in bars) or 1.0
    scale = (width - left - right) / end
    height = row * len(bars) + 30
    parts = [_svg_open(width, height, "stage timeline")]
    for tick in _ticks(end):
        x = left + tick * scale
        parts.append(
            f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 20}" '
            'stroke="#e0e0e0"/>'
            f'<text x="{x:.1f}" y="{height - 6}" font-size="11" '
            f'text-anchor="middle">{tick:g}s</text>'
        )
    for index, bar in enumerate(bars):
        y = index * row + 4
        x = left + bar.start * scale
        w = max(bar.seconds * scale, 2.0)
        colour = COLOURS.get(bar.status, "#607d8b")
        title = escape(f"{bar.label}: {bar.status} in {bar.seconds:.1f}s {bar.detail}")
        parts.append(
            f'<text x="{left - 8}" y="{y + 15}" font-size="12" '
            f'text-anchor="end">{escape(bar.label)}</text>'
            f'<rect class="bar {escape(bar.status)}" x="{x:.1f}" y="{y}" '
            f'width="{w:.1f}" height="{row - 8}" rx="3" fill="{colour}">'
            f"<title>{title}</title></rect>"
            f'<text x="{x + w + 4:.1f}" y="{y + 15}" font-size="11">'
            f"{bar.seconds:.1f}s</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def paired_bars(
    labels: Sequence[str],
    first: Sequence[float],
    second: Sequence[float],
    names: tuple[str, str],
    width: int = 900,
) -> str:
    """Two horizontal bars per label, each series scaled to its own maximum.

    The report draws the pyramid with it: tests per layer and seconds per
    layer side by side.
    """
    if not labels:
        return "<p>No tests ran.</p>"
    row, left, half = 30, 110, (width - 110) // 2 - 20
    height = row * len(labels) + 30
    parts = [_svg_open(width, height, f"{names[0]} and {names[1]} per layer")]
    for column, (series, name) in enumerate(((first, names[0]), (second, names[1]))):
        x0 = left + column * (half + 20)
        top = max(series) or 1.0
        parts.append(
            f'<text x="{x0}" y="{height - 6}" font-size="12" '
            f'font-weight="bold">{escape(name)}</text>'
        )
        for index, value in enumerate(series):
            y = index * row + 4
            w = max(value / top * (half - 60), 1.0)
            parts.append(
                f'<rect x="{x0}" y="{y}" width="{w:.1f}" height="{row - 10}" '
                f'fill="{SERIES[column]}"><title>{escape(labels[index])}: '
                f"{value:g} {escape(name)}</title></rect>"
                f'<text x="{x0 + w + 4:.1f}" y="{y + 14}" font-size="11">'
                f"{value:g}</text>"
            )
    for index, label in enumerate(labels):
        parts.append(
            f'<text x="{left - 8}" y="{index * row + 18}" font-size="12" '
            f'text-anchor="end">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def lines(
    times: Sequence[float],
    series: Mapping[str, Sequence[float | None]],
    unit: str,
    width: int = 900,
    height: int = 260,
) -> str:
    """Line chart of several series over seconds since the start."""
    points = [v for values in series.values() for v in values if v is not None]
    if len(times) < 2 or not points:
        return "<p>Not enough samples over time to draw.</p>"
    left, bottom, top_pad, right = 60, 30, 10, 120
    span = (times[-1] - times[0]) or 1.0
    top = max(points) * 1.1 or 1.0
    sx = (width - left - right) / span
    sy = (height - bottom - top_pad) / top
    parts = [_svg_open(width, height, f"load figures over time, {unit}")]
    for tick in _ticks(top):
        y = height - bottom - tick * sy
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="#eeeeee"/><text x="{left - 6}" y="{y + 4:.1f}" '
            f'font-size="11" text-anchor="end">{tick:g}{escape(unit)}</text>'
        )
    for tick in _ticks(span):
        x = left + tick * sx
        parts.append(
            f'<text x="{x:.1f}" y="{height - 10}" font-size="11" '
            f'text-anchor="middle">{tick:g}s</text>'
        )
    for index, (name, values) in enumerate(series.items()):
        colour = SERIES[index % len(SERIES)]
        coords = " ".join(
            f"{left + (t - times[0]) * sx:.1f},{height - bottom - v * sy:.1f}"
            for t, v in zip(times, values, strict=False)
            if v is not None
        )
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
            f'points="{coords}"><title>{escape(name)}</title></polyline>'
            f'<text x="{width - right + 8}" y="{top_pad + 14 + index * 16}" '
            f'font-size="12" fill="{colour}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _svg_open(width: int, height: int, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-label="{escape(label)}" width="100%" viewBox="0 0 {width} {height}" '
        f'font-family="system-ui, sans-serif">'
    )


def _ticks(end: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values from 0 to ``end``."""
    if end <= 0:
        return [0.0]
    raw = end / count
    magnitude = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 1.0
    step = next((m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw), raw)
    if raw < 1:
        step = max(round(raw, 2), 0.01)
    ticks, value = [], 0.0
    while value <= end + 1e-9:
        ticks.append(round(value, 2))
        value += step
    return ticks
