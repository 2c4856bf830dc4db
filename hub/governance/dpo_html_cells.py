"""The building blocks of the DPO report's HTML: its sections and their titles, escaped cells,
tables and the section wrapper. Values are escaped here; section renderers join escaped parts.
"""

from __future__ import annotations

from html import escape
from typing import Any

SECTIONS = (
    ("summary", "Summary"),
    ("audit-integrity", "Audit log integrity"),
    ("agreements", "Register of sharing agreements"),
    ("agreement-terms", "Agreements field by field"),
    ("disclosures", "Disclosures"),
    ("people", "People disclosed and pseudonym keys"),
    ("reidentifications", "Re-identifications and consultations"),
    ("quarantine", "Quarantined data per feed"),
    ("retention", "Retention and erasure"),
    ("matching", "Matching (combination)"),
    ("collection", "Collection from partners"),
    ("configuration", "Configuration changes"),
)


def cell(value: Any) -> str:
    """A value escaped for a cell; a list joined by commas; nothing as a muted dash."""
    if value is None or value == "":
        return '<span class="muted">–</span>'
    if isinstance(value, list):
        return escape(", ".join(str(v) for v in value)) or '<span class="muted">–</span>'
    return escape(str(value))


def count_cell(value: Any) -> str:
    """A number with thousands separators."""
    return f"{value:,}" if isinstance(value, int) else cell(value)


def time_cell(value: Any) -> str:
    """An ISO time to the second, unbroken."""
    return (
        f'<span class="nw">{escape(str(value)[:19].replace("T", " "))}</span>'
        if value
        else cell(None)
    )


def tabulate(
    headers: list[str],
    rows: list[list[str]],
    numeric: set[int] | None = None,
    empty: str = "None in this period.",
) -> str:
    """A table from already-escaped cells."""
    if not rows:
        return f'<p class="muted">{escape(empty)}</p>'
    numeric = numeric or set()
    head = "".join(
        f"<th{' class=n' if i in numeric else ''}>{escape(h)}</th>" for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=n' if i in numeric else ''}>{content}</td>"
            for i, content in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def key_values(objects: dict[str, Any]) -> str:
    """One ``key: value`` line per item of a mapping (an entry's objects or counts)."""
    lines = [f"{escape(str(k))}: {cell(v)}" for k, v in (objects or {}).items()]
    return "<br>".join(lines) or cell(None)


def section(section_id: str, body: str) -> str:
    """A section with its stable id and its title."""
    title = dict(SECTIONS)[section_id]
    return f'<section id="{section_id}"><h2>{escape(title)}</h2>{body}</section>'
