"""The DPO report's sections on what left the hub: disclosures (releases, deliveries, refusals),
and re-identifications with the other consultations of identified data.
"""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any

from hub.governance.dpo_html_cells import cell, count_cell, key_values, section, tabulate, time_cell
from hub.svg_charts import columns_by_day, hbar_chart


def disclosures_section(doc: dict[str, Any]) -> str:
    disclosures = doc["disclosures"]
    groups = disclosures["by_agreement_and_recipient"]
    html = ""
    unlogged = disclosures["releases_without_audit_entry"]
    if unlogged:
        html += (
            f'<div class="banner bad">{len(unlogged)} release folder(s) have no disclosure '
            "entry in the audit log: "
            + cell([f"{r['recipient']}/{r['release_id']}" for r in unlogged])
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
    html += tabulate(
        ["Agreement", "Recipient", "Lawful basis", "Releases", "Rows", "Fields", "First", "Last"],
        [
            [
                cell(g["agreement"]),
                cell(g["recipient"]),
                cell(g["lawful_basis"]),
                count_cell(g["releases"]),
                count_cell(g["rows"]),
                cell(g["fields"]),
                time_cell(g["first"]),
                time_cell(g["last"]),
            ]
            for g in groups
        ],
        {3, 4},
    )
    html += "<h3>Every release in the period</h3>"
    html += tabulate(
        [
            "Time (UTC)",
            "Recipient",
            "Release",
            "Agreement(s)",
            "Lawful basis then",
            "Rows",
            "Fields",
            "By",
        ],
        [
            [
                time_cell(r["time"]),
                cell(r["recipient"]),
                f"<code>{cell(r['release_id'])}</code>",
                cell(
                    [v["agreement"] for v in r.get("agreement_versions", [])] or r["agreement_ids"]
                ),
                cell(r.get("lawful_basis", "")),
                count_cell(r["rows"]),
                cell(r["fields"]),
                cell(r["actor"]),
            ]
            for r in disclosures["releases"]
        ],
        {5},
    )
    if disclosures["deliveries"]:
        html += "<h3>Deliveries (releases pushed to recipients)</h3>"
        html += tabulate(
            ["Time (UTC)", "Recipient", "Release", "To"],
            [
                [
                    time_cell(d["time"]),
                    cell((d["objects"] or {}).get("recipient")),
                    f"<code>{cell((d['objects'] or {}).get('release_id'))}</code>",
                    cell((d["objects"] or {}).get("to")),
                ]
                for d in disclosures["deliveries"]
            ],
        )
    if disclosures["refusals"]:
        html += "<h3>Disclosures refused or withheld</h3>"
        html += tabulate(
            ["Time (UTC)", "Action", "What", "Agreement", "Reason"],
            [
                [
                    time_cell(r["time"]),
                    cell(r["action"]),
                    key_values(r["objects"]),
                    cell(r["agreement_id"]),
                    cell(r["reason"]),
                ]
                for r in disclosures["refusals"]
            ],
        )
    return section("disclosures", html)


def _outcome(outcome: str) -> str:
    """A consultation's outcome; anything but a plain re-identification stands out."""
    return cell(outcome) if outcome == "re-identified" else f"<b>{cell(outcome)}</b>"


def reidentifications_section(doc: dict[str, Any]) -> str:
    consultations = doc["consultations"]
    reids = [c for c in consultations if c["action"].startswith("reidentify")]
    html = ""
    if reids:
        per_actor = Counter(c["actor"] for c in reids if c["outcome"] == "re-identified")
        html += (
            '<div class="chart">'
            + hbar_chart(per_actor.most_common(), title="Re-identifications per person")
            + "</div>"
        )
    html += "<h3>Re-identifications</h3>"
    html += tabulate(
        ["Time (UTC)", "By", "Outcome", "What", "Agreement", "Reason"],
        [
            [
                time_cell(c["time"]),
                cell(c["actor"]),
                _outcome(c["outcome"]),
                key_values(c["objects"]),
                cell(c["agreement_id"]),
                cell(c["reason"]),
            ]
            for c in reids
        ],
        empty="No re-identification in this period.",
    )
    others = [c for c in consultations if not c["action"].startswith("reidentify")]
    html += "<h3>Other consultations of identified data (e.g. subject access look-ups)</h3>"
    html += tabulate(
        ["Time (UTC)", "By", "Action", "Outcome", "What", "Found", "Reason"],
        [
            [
                time_cell(c["time"]),
                cell(c["actor"]),
                cell(c["action"]),
                _outcome(c["outcome"]) if c["outcome"] != "found" else cell("found"),
                key_values(c["objects"]),
                key_values(c["counts"]),
                cell(c["reason"]),
            ]
            for c in others
        ],
    )
    return section("reidentifications", html)
