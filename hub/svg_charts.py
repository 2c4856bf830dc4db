"""Small inline SVG charts for self-contained reports: no scripts, fonts or images to fetch.

Every chart is a string of SVG with a ``<title>`` (read out by screen readers) and sizes in
user units, so it scales with the page. Texts are escaped; the data beside each chart is also
given as a table in the report, for those who would rather read.
"""

from __future__ import annotations

import datetime
from html import escape

PALETTE = ("#1d70b8", "#d4351c", "#00703c", "#f47738", "#4c2c92", "#5694ca", "#b58840")
INK, MUTED, GRID = "#0b0c0c", "#505a5f", "#dfe1e3"
FONT = 'font-family="system-ui, sans-serif"'


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" class="chart" role="img" aria-label="{escape(title)}" '
        f'{FONT} font-size="12"><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def hbar_chart(rows: list[tuple[str, float]], *, title: str, unit: str = "") -> str:
    """Horizontal bars, one per (label, value), longest first as given."""
    label_width, bar_width, row = 290, 300, 24
    width, height = label_width + bar_width + 90, max(len(rows), 1) * row + 12
    top = max((value for _, value in rows), default=0) or 1
    body = []
    for index, (label, value) in enumerate(rows):
        y = 6 + index * row
        length = max(bar_width * value / top, 1 if value else 0)
        body.append(
            f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end" fill="{INK}">'
            f"<title>{escape(label)}</title>{escape(_clip(label, 42))}</text>"
            f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row - 8}" '
            f'fill="{PALETTE[0]}" rx="2"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 15}" fill="{MUTED}">'
            f"{_number(value)}{escape(unit)}</text>"
        )
    if not rows:
        body.append(f'<text x="8" y="20" fill="{MUTED}">nothing in this period</text>')
    return _svg(width, height, title, body)


def columns_by_day(
    points: dict[datetime.date, float], since: datetime.date, until: datetime.date, *, title: str
) -> str:
    """One column per day from ``since`` to ``until``: totals over time."""
    days = max((until - since).days + 1, 1)
    width, height, left, bottom, plot_h = 640, 170, 50, 140, 120
    step = (width - left - 10) / days
    top = max(points.values(), default=0) or 1
    body = [
        f'<line x1="{left}" y1="{bottom}" x2="{width - 10}" y2="{bottom}" stroke="{GRID}"/>',
        f'<text x="{left - 6}" y="{bottom - plot_h + 4}" text-anchor="end" fill="{MUTED}">'
        f"{_number(top)}</text>",
        f'<text x="{left - 6}" y="{bottom}" text-anchor="end" fill="{MUTED}">0</text>',
    ]
    for offset in range(days):
        day = since + datetime.timedelta(days=offset)
        value = points.get(day, 0)
        if value:
            column = plot_h * value / top
            body.append(
                f'<rect x="{left + offset * step + step * 0.1:.1f}" y="{bottom - column:.1f}" '
                f'width="{max(step * 0.8, 1):.1f}" height="{column:.1f}" fill="{PALETTE[0]}">'
                f"<title>{day.isoformat()}: {_number(value)}</title></rect>"
            )
    body.append(f'<text x="{left}" y="{bottom + 16}" fill="{MUTED}">{since.isoformat()}</text>')
    body.append(
        f'<text x="{width - 10}" y="{bottom + 16}" text-anchor="end" fill="{MUTED}">'
        f"{until.isoformat()}</text>"
    )
    return _svg(width, height, title, body)


def agreement_timeline(
    bars: list[tuple[str, datetime.date | None, datetime.date | None, datetime.date | None, str]],
    today: datetime.date,
    *,
    title: str,
) -> str:
    """Agreements as bars from start to expiry, a mark at the review date, a line at today.

    ``bars`` holds (label, start, review, expiry, status).
    """
    known = [d for _, s, r, e, _ in bars for d in (s, r, e) if d is not None] + [today]
    first = min(known) - datetime.timedelta(days=30)
    horizon = today + datetime.timedelta(days=3 * 365)  # far expiry dates run off the edge
    last = min(max(known), horizon) + datetime.timedelta(days=30)
    span = max((last - first).days, 1)
    left, plot_w, row = 170, 450, 26
    width, height = left + plot_w + 30, len(bars) * row + 44

    def x(day: datetime.date) -> float:
        return left + plot_w * (min(max(day, first), last) - first).days / span

    colours = {
        "in force": PALETTE[2],
        "review overdue": PALETTE[3],
        "expired": MUTED,
        "not yet in force": PALETTE[5],
    }
    body = []
    for index, (label, start, review, expiry, status) in enumerate(bars):
        y = 22 + index * row
        begin, end = x(start or first), x(expiry or last)
        if expiry is None or expiry > last:
            body.append(f'<path d="M{end:.1f} {y + 3} l8 7 l-8 7 z" fill="{MUTED}"/>')
        body.append(
            f'<text x="{left - 8}" y="{y + 14}" text-anchor="end" fill="{INK}">'
            f"{escape(_clip(label, 24))}</text>"
            f'<rect x="{begin:.1f}" y="{y + 3}" width="{max(end - begin, 2):.1f}" height="14" '
            f'rx="3" fill="{colours.get(status, PALETTE[1])}"><title>{escape(label)}: '
            f"{escape(status)}</title></rect>"
        )
        if review is not None:
            cx = x(review)
            body.append(
                f'<path d="M{cx:.1f} {y + 1} l6 9 l-6 9 l-6 -9 z" fill="{INK}">'
                f"<title>review {review.isoformat()}</title></path>"
            )
    now_x = x(today)
    body.append(
        f'<line x1="{now_x:.1f}" y1="16" x2="{now_x:.1f}" y2="{height - 22}" stroke="{PALETTE[1]}"'
        f' stroke-dasharray="4 3"/><text x="{now_x:.1f}" y="{height - 8}" text-anchor="middle" '
        f'fill="{PALETTE[1]}">today {today.isoformat()}</text>'
    )
    body.append(f'<text x="{left}" y="12" fill="{MUTED}">{first.isoformat()}</text>')
    body.append(
        f'<text x="{left + plot_w}" y="12" text-anchor="end" fill="{MUTED}">'
        f"{last.isoformat()}</text>"
    )
    return _svg(width, height, title, body)


def columns_against_baseline(
    columns: list[tuple[str, float | None]], baseline: float | None, *, title: str
) -> str:
    """One column per (label, value) beside a dashed line at ``baseline`` (e.g. each month
    since entry against the monthly rate before it); a value of None is drawn as a gap."""
    width, height, left, bottom, plot_h = 640, 190, 50, 150, 120
    step = (width - left - 10) / max(len(columns), 1)
    top = max([v for _, v in columns if v is not None] + [baseline or 0]) or 1
    body = [
        f'<line x1="{left}" y1="{bottom}" x2="{width - 10}" y2="{bottom}" stroke="{GRID}"/>',
        f'<text x="{left - 6}" y="{bottom - plot_h + 4}" text-anchor="end" fill="{MUTED}">'
        f"{_number(top)}</text>",
        f'<text x="{left - 6}" y="{bottom}" text-anchor="end" fill="{MUTED}">0</text>',
    ]
    for index, (label, value) in enumerate(columns):
        x = left + index * step
        if value is not None:
            column = plot_h * value / top
            body.append(
                f'<rect x="{x + step * 0.15:.1f}" y="{bottom - column:.1f}" '
                f'width="{step * 0.7:.1f}" height="{column:.1f}" fill="{PALETTE[0]}">'
                f"<title>{escape(label)}: {value:,.2f}</title></rect>"
            )
        body.append(
            f'<text x="{x + step / 2:.1f}" y="{bottom + 16}" text-anchor="middle" '
            f'fill="{MUTED}">{escape(label)}</text>'
        )
    if baseline is not None:
        y = bottom - plot_h * baseline / top
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="{PALETTE[1]}" '
            f'stroke-dasharray="6 4" stroke-width="2"><title>12 months before entry: '
            f"{baseline:,.2f}</title></line>"
        )
    if not columns:
        body.append(f'<text x="{left + 8}" y="{bottom - 8}" fill="{MUTED}">no whole month since '
                    "entry yet</text>")  # fmt: skip
    return _svg(width, height, title, body)
