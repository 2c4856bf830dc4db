"""Render the DPO report document as one self-contained HTML file.

Inline CSS and inline SVG only: no script, font, image or stylesheet is fetched, and a Content
Security Policy forbids the page from loading anything. Every chart has its figures in a table
beside it. Each section has a stable id (``summary``, ``audit-integrity``, ``agreements``,
``disclosures``, ``reidentifications``, ``quarantine``, ``retention``, ``matching``,
``collection``, ``configuration``).
"""

from __future__ import annotations

import datetime
from collections import Counter
from html import escape
from typing import Any

from hub.governance.svg_charts import agreement_timeline, columns_by_day, hbar_chart

SECTIONS = (
    ("summary", "Summary"),
    ("audit-integrity", "Audit log integrity"),
    ("agreements", "Register of sharing agreements"),
    ("disclosures", "Disclosures"),
    ("reidentifications", "Re-identifications and consultations"),
    ("quarantine", "Quarantined data per feed"),
    ("retention", "Retention and erasure"),
    ("matching", "Matching (combination)"),
    ("collection", "Collection from partners"),
    ("configuration", "Configuration changes"),
)

_CSS = """
:root { --ink:#0b0c0c; --muted:#505a5f; --line:#b1b4b6; --soft:#f3f2f1; --blue:#1d70b8;
        --red:#d4351c; --green:#00703c; --amber:#f47738; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink);
       margin: 0; background: #fff; }
header { background: var(--ink); color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 24px; }
header p { margin: 2px 0; color: #dcdcdc; }
nav { padding: 10px 28px; border-bottom: 1px solid var(--line); background: var(--soft); }
nav a { color: var(--blue); margin-right: 14px; white-space: nowrap; }
main { padding: 8px 28px 40px; max-width: 1180px; }
section { margin-top: 26px; }
h2 { font-size: 20px; border-bottom: 3px solid var(--blue); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 18px 0 6px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 14px; font-size: 13.5px; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid
         var(--line); }
th { background: var(--soft); }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.tiles { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.tile { border-left: 5px solid var(--blue); background: var(--soft); padding: 8px 14px;
        min-width: 150px; }
.tile b { display: block; font-size: 26px; }
.tile.warn { border-color: var(--amber); } .tile.bad { border-color: var(--red); }
.banner { padding: 12px 16px; margin: 14px 0; font-weight: 600; }
.banner.ok { background: #e6f2ec; border-left: 6px solid var(--green); }
.banner.bad { background: #fbe9e6; border-left: 6px solid var(--red); }
.banner.warn { background: #fef1e8; border-left: 6px solid var(--amber); }
.status { padding: 1px 7px; border-radius: 10px; font-size: 12.5px; white-space: nowrap; }
.status.in-force { background: #cce2d8; } .status.review-overdue { background: #fcd6c3; }
.status.expired { background: #e0e0e0; } .status.not-yet-in-force { background: #d2e2f1; }
.status.invalid { background: #f6d7d2; }
.nw { white-space: nowrap; }
.muted { color: var(--muted); } code { font-size: 12.5px; word-break: break-all; }
.chart { margin: 8px 0 4px; }
@media print { nav { display: none; } header { background: #fff; color: var(--ink); }
               header p { color: var(--muted); } section { break-inside: avoid-page; } }
"""


def _e(value: Any) -> str:
    if value is None or value == "":
        return '<span class="muted">–</span>'
    if isinstance(value, list):
        return escape(", ".join(str(v) for v in value)) or '<span class="muted">–</span>'
    return escape(str(value))


def _n(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else _e(value)


def _time(value: Any) -> str:
    return (
        f'<span class="nw">{escape(str(value)[:19].replace("T", " "))}</span>'
        if value
        else _e(None)
    )


def _table(
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
            f"<td{' class=n' if i in numeric else ''}>{cell}</td>" for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _objects(objects: dict[str, Any]) -> str:
    return "<br>".join(f"{escape(str(k))}: {_e(v)}" for k, v in (objects or {}).items()) or _e(None)


def _section(section_id: str, body: str) -> str:
    title = dict(SECTIONS)[section_id]
    return f'<section id="{section_id}"><h2>{escape(title)}</h2>{body}</section>'


def _summary(doc: dict[str, Any]) -> str:
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
    return _section("summary", html)


def _integrity(doc: dict[str, Any]) -> str:
    audit = doc["audit"]
    if audit["ok"]:
        banner = (
            f'<div class="banner ok">The audit log verified: {audit["entries"]:,} entries, '
            "each chained to the one before and authenticated by the audit key.</div>"
        )
    else:
        banner = (
            f'<div class="banner bad">The audit log FAILED verification at entry '
            f"{_e(audit['first_bad_sequence'])}: {_e(audit['problem'])}. This report uses "
            f"only the {audit['entries']:,} entries before it.</div>"
        )
    rows = [
        ["entries verified", _n(audit["entries"])],
        ["entries in this period", _n(audit["entries_in_period"])],
        ["hash of the last verified entry", f"<code>{_e(audit['last_hash'])}</code>"],
        ["audit key id", f"<code>{_e(audit['key_id'])}</code>"],
    ]
    note = (
        '<p class="muted">Keep this hash: a later <code>iomhub audit verify</code> on an '
        "intact log still contains the entry it names.</p>"
    )
    table = "<table><tbody>" + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return _section("audit-integrity", banner + table + "</tbody></table>" + note)


def _status(status: str) -> str:
    return f'<span class="status {escape(status.replace(" ", "-"))}">{escape(status)}</span>'


def _day(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _agreements(doc: dict[str, Any]) -> str:
    agreements = doc["agreements"]
    if not agreements:
        return _section("agreements", '<p class="muted">No agreement files found.</p>')
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
            f"<b>{_e(a['agreement_id'])}</b><br>{_e(a['title'])}",
            _e(a["version"]),
            _status(a["status"])
            + (f"<br><span class=muted>{_e(a['note'])}</span>" if a["note"] else ""),
            _e(a["providers"]),
            _e(a["recipients"]),
            _e(a["purpose"]),
            _e(a["lawful_basis"]),
            _e(a["start_date"]),
            _e(a["review_date"]),
            _e(a["expiry_date"]),
            _n(a["retention_days"]),
            _e(sorted(a["fields"])),
        ]
        for a in agreements
    ]
    table = _table(
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
            "Fields",
        ],
        rows,
        {10},
    )
    return _section("agreements", f'<div class="chart">{chart}</div>{table}')


def _disclosures(doc: dict[str, Any]) -> str:
    disclosures = doc["disclosures"]
    groups = disclosures["by_agreement_and_recipient"]
    html = ""
    unlogged = disclosures["releases_without_audit_entry"]
    if unlogged:
        html += (
            f'<div class="banner bad">{len(unlogged)} release folder(s) have no disclosure '
            "entry in the audit log: "
            + _e([f"{r['recipient']}/{r['release_id']}" for r in unlogged])
            + "</div>"
        )
    bars = [(f"{g['agreement']} → {g['recipient']}", g["rows"]) for g in groups]
    html += '<h3>Rows disclosed per agreement and recipient</h3><div class="chart">'
    html += hbar_chart(bars, title="Rows disclosed per agreement and recipient") + "</div>"
    since = datetime.date.fromisoformat(doc["period"]["since"])
    until = datetime.date.fromisoformat(doc["period"]["until"])
    per_day: Counter[datetime.date] = Counter()
    for release in disclosures["releases"]:
        per_day[datetime.date.fromisoformat(release["time"][:10])] += release["rows"]
    html += '<h3>Rows disclosed per day</h3><div class="chart">'
    html += columns_by_day(dict(per_day), since, until, title="Rows disclosed per day") + "</div>"
    html += _table(
        ["Agreement", "Recipient", "Lawful basis", "Releases", "Rows", "Fields", "First", "Last"],
        [
            [
                _e(g["agreement"]),
                _e(g["recipient"]),
                _e(g["lawful_basis"]),
                _n(g["releases"]),
                _n(g["rows"]),
                _e(g["fields"]),
                _time(g["first"]),
                _time(g["last"]),
            ]
            for g in groups
        ],
        {3, 4},
    )
    html += "<h3>Every release in the period</h3>"
    html += _table(
        ["Time (UTC)", "Recipient", "Release", "Agreement(s)", "Rows", "Fields", "By"],
        [
            [
                _time(r["time"]),
                _e(r["recipient"]),
                f"<code>{_e(r['release_id'])}</code>",
                _e(r["agreement_ids"]),
                _n(r["rows"]),
                _e(r["fields"]),
                _e(r["actor"]),
            ]
            for r in disclosures["releases"]
        ],
        {4},
    )
    if disclosures["deliveries"]:
        html += "<h3>Deliveries (releases pushed to recipients)</h3>"
        html += _table(
            ["Time (UTC)", "Recipient", "Release", "To"],
            [
                [
                    _time(d["time"]),
                    _e((d["objects"] or {}).get("recipient")),
                    f"<code>{_e((d['objects'] or {}).get('release_id'))}</code>",
                    _e((d["objects"] or {}).get("to")),
                ]
                for d in disclosures["deliveries"]
            ],
        )
    if disclosures["refusals"]:
        html += "<h3>Disclosures refused or withheld</h3>"
        html += _table(
            ["Time (UTC)", "Action", "What", "Agreement", "Reason"],
            [
                [
                    _time(r["time"]),
                    _e(r["action"]),
                    _objects(r["objects"]),
                    _e(r["agreement_id"]),
                    _e(r["reason"]),
                ]
                for r in disclosures["refusals"]
            ],
        )
    return _section("disclosures", html)


def _reidentifications(doc: dict[str, Any]) -> str:
    consultations = doc["consultations"]
    reids = [c for c in consultations if c["action"].startswith("reidentify")]
    html = ""
    if reids:
        per_actor = Counter(c["actor"] for c in reids if c["action"] == "reidentify")
        html += (
            '<div class="chart">'
            + hbar_chart(per_actor.most_common(), title="Re-identifications per person")
            + "</div>"
        )
    html += "<h3>Re-identifications</h3>"
    html += _table(
        ["Time (UTC)", "By", "Outcome", "What", "Agreement", "Reason"],
        [
            [
                _time(c["time"]),
                _e(c["actor"]),
                "re-identified" if c["action"] == "reidentify" else "<b>refused</b>",
                _objects(c["objects"]),
                _e(c["agreement_id"]),
                _e(c["reason"]),
            ]
            for c in reids
        ],
        empty="No re-identification in this period.",
    )
    others = [c for c in consultations if not c["action"].startswith("reidentify")]
    html += "<h3>Other consultations of identified data (e.g. subject access look-ups)</h3>"
    html += _table(
        ["Time (UTC)", "By", "Action", "What", "Found", "Reason"],
        [
            [
                _time(c["time"]),
                _e(c["actor"]),
                _e(c["action"]),
                _objects(c["objects"]),
                _objects(c["counts"]),
                _e(c["reason"]),
            ]
            for c in others
        ],
    )
    return _section("reidentifications", html)


def _quarantine(doc: dict[str, Any]) -> str:
    rows = doc["quarantine"]
    chart = hbar_chart(
        [(f"{q['feed']} ({q['quarantined_share'] * 100:.1f}% of rows)", q["rows_quarantined"])
         for q in rows],
        title="Rows quarantined per feed (share of the rows received)",
    )  # fmt: skip
    table = _table(
        [
            "Feed",
            "Extracts",
            "Extracts rejected",
            "Rows accepted",
            "Rows quarantined",
            "Share",
            "Main reasons",
            "Quarantine files",
            "Files rejected on checksum",
        ],
        [
            [
                _e(q["feed"]),
                _n(q["extracts"]),
                _n(q["extracts_rejected"]),
                _n(q["rows_accepted"]),
                _n(q["rows_quarantined"]),
                f"{q['quarantined_share'] * 100:.1f}%",
                "<br>".join(f"{_e(r['reason'])} ({r['rows']:,})" for r in q["top_reasons"])
                or _e(None),
                _n(q["quarantine_files"]),
                _n(q["files_rejected_on_checksum"]),
            ]
            for q in rows
        ],
        {1, 2, 3, 4, 5, 7, 8},
    )
    intro = (
        '<p class="muted">Extracts received in the period; quarantine files are those held now.</p>'
    )
    return _section(
        "quarantine", intro + (f'<div class="chart">{chart}</div>' if rows else "") + table
    )


def _retention_rows(items: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [
            _e(i["kind"]),
            f"<code>{_e(i['id'])}</code>",
            _e(i["owner"]),
            _n(i["age_days"]),
            _n(i["retention_days"]),
            _n(len(i["files"])),
            _n(i["bytes"]),
            _e(i["reason"]),
        ]
        for i in items
    ]


def _retention(doc: dict[str, Any]) -> str:
    retention = doc["retention"]
    html = ""
    if retention["due"]:
        html += (
            f'<div class="banner warn">{len(retention["due"])} item(s) are past their '
            "retention and not yet erased: run <code>iomhub retention apply --apply</code>."
            "</div>"
        )
    html += "<h3>Erasures in the period</h3>"
    html += _table(
        ["Time (UTC)", "By", "Action", "What", "Files", "Bytes", "Agreement", "Reason"],
        [
            [
                _time(e["time"]),
                _e(e["actor"]),
                _e(e["action"]),
                _e((e["objects"] or {}).get("id")),
                _n((e["counts"] or {}).get("files")),
                _n((e["counts"] or {}).get("bytes")),
                _e(e["agreement_id"]),
                _e(e["reason"]),
            ]
            for e in retention["erasures"]
        ],
        {4, 5},
    )
    headers = [
        "Kind",
        "Id",
        "Feed or recipient",
        "Age (days)",
        "Retention (days)",
        "Files",
        "Bytes",
        "Why",
    ]
    html += "<h3>Due for erasure now</h3>"
    html += _table(headers, _retention_rows(retention["due"]), {3, 4, 5, 6}, "Nothing is due.")
    html += "<h3>Held beyond retention, and why</h3>"
    html += _table(
        headers, _retention_rows(retention["held_beyond_retention"]), {3, 4, 5, 6}, "Nothing."
    )
    html += "<h3>Held with no retention period</h3>"
    html += _table(
        headers, _retention_rows(retention["without_retention_period"]), {3, 4, 5, 6}, "Nothing."
    )
    return _section("retention", html)


def _matching(doc: dict[str, Any]) -> str:
    runs = doc["combination"]
    html = _table(
        ["Time (UTC)", "By", "Action", "What", "Counts"],
        [
            [
                _time(r["time"]),
                _e(r["actor"]),
                _e(r["action"]),
                _objects(r["objects"]),
                _objects(r["counts"]),
            ]
            for r in runs
        ],
    )
    if doc["alterations"]:
        html += "<h3>Alterations in the period</h3>"
        html += _table(
            ["Action", "Entries"], [[_e(k), _n(v)] for k, v in doc["alterations"].items()], {1}
        )
    return _section("matching", html)


def _collection(doc: dict[str, Any]) -> str:
    return _section(
        "collection",
        _table(
            ["Feed", "Files pulled", "Bytes", "Last pull (UTC)"],
            [
                [_e(c["feed"]), _n(c["files"]), _n(c["bytes"]), _time(c["last"])]
                for c in doc["collection"]
            ],
            {1, 2},
        ),
    )


def _configuration(doc: dict[str, Any]) -> str:
    rows = [
        [_time(c["time"]), _e(c["actor"]),
         _e(" ".join(filter(None, [(c["objects"] or {}).get("kind"), c["action"]]))),
         _e((c["objects"] or {}).get("file")),
         f"<code>{_e((c['objects'] or {}).get('sha256'))}</code>"]
        for c in doc["configuration"]
    ]  # fmt: skip
    return _section("configuration", _table(["Time (UTC)", "By", "Change", "File", "sha256"], rows))


def render_html(doc: dict[str, Any]) -> str:
    """The whole report as one HTML page."""
    period = doc["period"]
    title = f"DPO report {period['since']} to {period['until']}"
    nav = "".join(f'<a href="#{sid}">{escape(name)}</a>' for sid, name in SECTIONS)
    body = "".join(
        part(doc)
        for part in (
            _summary,
            _integrity,
            _agreements,
            _disclosures,
            _reidentifications,
            _quarantine,
            _retention,
            _matching,
            _collection,
            _configuration,
        )
    )
    csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'"
    return (
        "<!doctype html>\n"
        f'<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="iomhub report dpo v{doc["version"]}">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>IOM Exchange Hub: Data Protection Officer's report</h1>"
        f"<p>Period {escape(period['since'])} to {escape(period['until'])} (UTC) · generated "
        f"{_time(doc['generated_at'])} by {_e(doc['generated_by'])}</p>"
        f"<p>Workspace {_e(doc['workspace'])}</p></header>"
        f"<nav>{nav}</nav><main>{body}"
        '<p class="muted">Figures come from the verified audit log, the agreement register, the '
        "state database and the workspace. The log holds ids, counts and hashes only.</p>"
        "</main></body></html>\n"
    )
