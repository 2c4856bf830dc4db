"""Server-drawn SVG for the review pages: a pair's score as a waterfall, a person as a graph.

Markup only (no script, no inline style: colours come from classes in ``static/app.css``); every
text is escaped. The charts carry values (names in the labels of comparisons are not shown: the
values sit in the table beside the chart).
"""

from __future__ import annotations

import math

from markupsafe import Markup, escape

from hub.run.review_records import ClusterView
from matching.score import GUARD_WORDS, PairEvidence

ROW = 22
LABEL_WIDTH = 150
BAR_WIDTH = 360
VALUE_WIDTH = 60


def waterfall_svg(evidence: PairEvidence, link_weight: float) -> Markup:
    """The prior, each comparison's weight (term frequency included), the total, each guard."""
    bars: list[tuple[str, float, str]] = [("start (prior)", evidence.prior_weight, "prior")]
    for step in evidence.steps:
        weight = step.weight + step.frequency_weight
        if step.level == "missing on either side" or not weight:
            continue
        bars.append((step.comparison, weight, "for" if weight > 0 else "against"))
    running, points = 0.0, []
    for label, weight, kind in bars:
        points.append((label, running, running + weight, kind))
        running += weight
    ends = [p for _, a, b, _ in points for p in (a, b)] + [0.0, link_weight, running]
    low, high = min(ends), max(ends)
    span = (high - low) or 1.0

    def x(value: float) -> float:
        return LABEL_WIDTH + (value - low) / span * BAR_WIDTH

    rows = len(points) + 1 + len(evidence.guards)
    height = (rows + 1) * ROW + 10
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    parts = [f'<svg class="waterfall" role="img" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>Match weight {evidence.match_weight:+.2f}</title>"]  # fmt: skip
    for i, (label, start, end, kind) in enumerate(points):
        y = i * ROW + 4
        left, right = sorted((x(start), x(end)))
        parts.append(f'<text x="4" y="{y + 15}" class="wf-label">{escape(label)}</text>'
                     f'<rect class="wf-{kind}" x="{left:.1f}" y="{y + 3}" '
                     f'width="{max(right - left, 1.5):.1f}" height="{ROW - 6}"/>'
                     f'<text x="{LABEL_WIDTH + BAR_WIDTH + 6}" y="{y + 15}" class="wf-value">'
                     f"{end - start:+.2f}</text>")  # fmt: skip
    y = len(points) * ROW + 4
    left, right = sorted((x(0.0), x(running)))
    parts.append(f'<text x="4" y="{y + 15}" class="wf-label wf-total-label">match weight</text>'
                 f'<rect class="wf-total" x="{left:.1f}" y="{y + 3}" '
                 f'width="{max(right - left, 1.5):.1f}" height="{ROW - 6}"/>'
                 f'<text x="{LABEL_WIDTH + BAR_WIDTH + 6}" y="{y + 15}" class="wf-value">'
                 f"{running:+.2f}</text>")  # fmt: skip
    for j, guard in enumerate(evidence.guards):
        gy = (len(points) + 1 + j) * ROW + 4
        parts.append(f'<text x="4" y="{gy + 15}" class="wf-label">guard: {escape(guard)}</text>'
                     f'<text x="{LABEL_WIDTH}" y="{gy + 15}" class="wf-guard">stops the link: '
                     f"{escape(GUARD_WORDS.get(guard, guard))}</text>")  # fmt: skip
    bottom = rows * ROW + 4
    for value, kind in ((0.0, "zero"), (link_weight, "threshold")):
        parts.append(f'<line class="wf-{kind}" x1="{x(value):.1f}" y1="2" x2="{x(value):.1f}" '
                     f'y2="{bottom}"/>')  # fmt: skip
    parts.append(f'<text x="{x(link_weight) + 3:.1f}" y="{bottom + 14}" class="wf-value">'
                 f"link at {link_weight:+.1f}</text></svg>")  # fmt: skip
    return Markup("".join(parts))


GRAPH = 320


def cluster_svg(view: ClusterView, *, weights: bool = True) -> Markup:
    """The person's records on a circle; solid lines link, dashed lines are scored but not
    linked, red lines a reviewer's "different", blue a reviewer's "same"; each line labelled
    with its match weight unless ``weights`` is off (blind mode)."""
    count = len(view.records)
    centre, radius = GRAPH / 2, GRAPH / 2 - 60
    spots = [(centre + radius * math.cos(2 * math.pi * i / count - math.pi / 2),
              centre + radius * math.sin(2 * math.pi * i / count - math.pi / 2))
             for i in range(count)]  # fmt: skip
    parts = [f'<svg class="cluster" role="img" viewBox="0 0 {GRAPH} {GRAPH}" width="{GRAPH}" '
             f'height="{GRAPH}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>Person {escape(view.person_id)}: {count} records</title>"]  # fmt: skip
    for edge in view.edges:
        kind = (f"edge-{edge.decision}" if edge.decision else
                "edge-linked" if edge.linked else "edge-scored")  # fmt: skip
        (x1, y1), (x2, y2) = spots[edge.left], spots[edge.right]
        parts.append(f'<line class="{kind}" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" '
                     f'y2="{y2:.1f}"/>')  # fmt: skip
        if weights:
            middle = f'x="{(x1 + x2) / 2:.1f}" y="{(y1 + y2) / 2:.1f}"'
            weight = f"{edge.evidence.match_weight:+.0f}"
            parts.append(f'<text class="edge-weight" {middle}>{weight}</text>')
    for (cx, cy), record in zip(spots, view.records, strict=True):
        parts.append(f'<circle class="node node-{escape(record.key[0])}" cx="{cx:.1f}" '
                     f'cy="{cy:.1f}" r="9"/><text class="node-label" x="{cx:.1f}" '
                     f'y="{cy + 24:.1f}">{escape(record.text)}</text>')  # fmt: skip
    parts.append("</svg>")
    return Markup("".join(parts))
