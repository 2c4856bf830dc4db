"""The DPO report's opening sections: summary tiles, audit log integrity, and the register of
sharing agreements with its timeline.
"""

from __future__ import annotations

import datetime
from html import escape
from typing import Any

from hub.governance.dpo_html_cells import cell, count_cell, section, tabulate
from hub.governance.dpo_html_people import shared_fields
from hub.svg_charts import agreement_timeline, hbar_chart


def summary_section(doc: dict[str, Any]) -> str:
    agreements = doc["agreements"]
    disclosures = doc["disclosures"]
    reids = [c for c in doc["consultations"] if c["action"] == "reidentify"]
    tiles = [
        ("agreements in force", sum(a["status"] == "in force" for a in agreements), ""),
        (
            "agreements needing attention",
            sum(a["status"] in ("review overdue", "expired", "invalid") for a in agreements),
            "warn",
        ),
        ("releases", len(disclosures["releases"]), ""),
        ("rows disclosed", sum(r["rows"] for r in disclosures["releases"]), ""),
        ("re-identifications", len(reids), "warn" if reids else ""),
        ("rows quarantined", sum(q["rows_quarantined"] for q in doc["quarantine"]), ""),
        ("erasures", len(doc["retention"]["erasures"]), ""),
        (
            "erasures due now",
            len(doc["retention"]["due"]),
            "bad" if doc["retention"]["due"] else "",
        ),
    ]
    html = (
        '<div class="tiles">'
        + "".join(
            f'<div class="tile {cls}"><b>{value:,}</b>{escape(label)}</div>'
            for label, value, cls in tiles
        )
        + "</div>"
    )
    activity = [(op, count) for op, count in doc["activity"].items()]
    html += '<h3>Logged operations in the period (DPA 2018 s.62)</h3><div class="chart">'
    html += hbar_chart(activity, title="Audit entries per operation in the period") + "</div>"
    return section("summary", html)


def integrity_section(doc: dict[str, Any]) -> str:
    audit = doc["audit"]
    if audit["ok"]:
        banner = (
            f'<div class="banner ok">The audit log verified: {audit["entries"]:,} entries, '
            "each chained to the one before and authenticated by the audit key.</div>"
        )
    else:
        banner = (
            f'<div class="banner bad">The audit log FAILED verification at entry '
            f"{cell(audit['first_bad_sequence'])}: {cell(audit['problem'])}. This report uses "
            f"only the {audit['entries']:,} entries before it.</div>"
        )
    rows = [
        ["entries verified", count_cell(audit["entries"])],
        ["entries in this period", count_cell(audit["entries_in_period"])],
        ["hash of the last verified entry", f"<code>{cell(audit['last_hash'])}</code>"],
        ["audit key id", f"<code>{cell(audit['key_id'])}</code>"],
    ]
    note = (
        '<p class="muted">Keep this hash: a later <code>iomhub audit verify</code> on an '
        "intact log still contains the entry it names.</p>"
    )
    table = "<table><tbody>" + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return section("audit-integrity", banner + table + "</tbody></table>" + note)


def _status(status: str) -> str:
    return f'<span class="status {escape(status.replace(" ", "-"))}">{escape(status)}</span>'


def _day(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def agreements_section(doc: dict[str, Any]) -> str:
    agreements = doc["agreements"]
    if not agreements:
        return section("agreements", '<p class="muted">No agreement files found.</p>')
    today = datetime.date.fromisoformat(doc["generated_at"][:10])
    bars = [
        (
            a["agreement_id"],
            _day(a["start_date"]),
            _day(a["review_date"]),
            _day(a["expiry_date"]),
            a["status"],
        )
        for a in agreements
    ]
    chart = agreement_timeline(
        bars, today, title="Agreements from start to expiry; diamonds mark review dates"
    )
    rows = [
        [
            f"<b>{cell(a['agreement_id'])}</b><br>{cell(a['title'])}",
            cell(a["version"]),
            _status(a["status"])
            + (f"<br><span class=muted>{cell(a['note'])}</span>" if a["note"] else ""),
            cell(a["providers"]),
            cell(a["recipients"]),
            cell(a["purpose"]),
            cell(a["lawful_basis"]),
            cell(a["start_date"]),
            cell(a["review_date"]),
            cell(a["expiry_date"]),
            count_cell(a["retention_days"]),
            cell(shared_fields(a)[0]),
            cell(shared_fields(a)[1]),
        ]
        for a in agreements
    ]
    table = tabulate(
        [
            "Agreement",
            "Version",
            "Status",
            "From",
            "To",
            "Purpose",
            "Lawful basis",
            "Start",
            "Review",
            "Expiry",
            "Retention (days)",
            "Fields shared",
            "Never shared (dropped)",
        ],
        rows,
        {10},
    )
    return section("agreements", f'<div class="chart">{chart}</div>{table}')
