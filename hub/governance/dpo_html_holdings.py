"""The DPO report's sections on what the hub holds and does: quarantine per feed, retention and
erasure, matching, collection from partners and configuration changes.
"""

from __future__ import annotations

from typing import Any

from hub.governance.dpo_html_cells import cell, count_cell, key_values, section, tabulate, time_cell
from hub.svg_charts import hbar_chart


def quarantine_section(doc: dict[str, Any]) -> str:
    rows = doc["quarantine"]
    chart = hbar_chart(
        [(f"{q['feed']} ({q['quarantined_share'] * 100:.1f}% of rows)", q["rows_quarantined"])
         for q in rows],
        title="Rows quarantined per feed (share of the rows received)",
    )  # fmt: skip
    table = tabulate(
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
                cell(q["feed"]),
                count_cell(q["extracts"]),
                count_cell(q["extracts_rejected"]),
                count_cell(q["rows_accepted"]),
                count_cell(q["rows_quarantined"]),
                f"{q['quarantined_share'] * 100:.1f}%",
                "<br>".join(f"{cell(r['reason'])} ({r['rows']:,})" for r in q["top_reasons"])
                or cell(None),
                count_cell(q["quarantine_files"]),
                count_cell(q["files_rejected_on_checksum"]),
            ]
            for q in rows
        ],
        {1, 2, 3, 4, 5, 7, 8},
    )
    intro = (
        '<p class="muted">Extracts received in the period; quarantine files are those held now.</p>'
    )
    return section(
        "quarantine", intro + (f'<div class="chart">{chart}</div>' if rows else "") + table
    )


def _retention_rows(items: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [
            cell(i["kind"]),
            f"<code>{cell(i['id'])}</code>",
            cell(i["owner"]),
            count_cell(i["age_days"]),
            count_cell(i["retention_days"]),
            count_cell(len(i["files"])),
            count_cell(i["bytes"]),
            cell(i["reason"]),
        ]
        for i in items
    ]


def retention_section(doc: dict[str, Any]) -> str:
    retention = doc["retention"]
    html = ""
    if retention["due"]:
        html += (
            f'<div class="banner warn">{len(retention["due"])} item(s) are past their '
            "retention and not yet erased: run <code>iomhub retention apply --apply</code>."
            "</div>"
        )
    html += "<h3>Erasures in the period</h3>"
    html += tabulate(
        ["Time (UTC)", "By", "Action", "What", "Files", "Bytes", "Agreement", "Reason"],
        [
            [
                time_cell(e["time"]),
                cell(e["actor"]),
                cell(e["action"]),
                cell((e["objects"] or {}).get("id")),
                count_cell((e["counts"] or {}).get("files")),
                count_cell((e["counts"] or {}).get("bytes")),
                cell(e["agreement_id"]),
                cell(e["reason"]),
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
    html += tabulate(headers, _retention_rows(retention["due"]), {3, 4, 5, 6}, "Nothing is due.")
    html += "<h3>Held beyond retention, and why</h3>"
    html += tabulate(
        headers, _retention_rows(retention["held_beyond_retention"]), {3, 4, 5, 6}, "Nothing."
    )
    html += "<h3>Held with no retention period</h3>"
    html += tabulate(
        headers, _retention_rows(retention["without_retention_period"]), {3, 4, 5, 6}, "Nothing."
    )
    return section("retention", html)


def matching_section(doc: dict[str, Any]) -> str:
    runs = doc["combination"]
    html = tabulate(
        ["Time (UTC)", "By", "Action", "What", "Counts"],
        [
            [
                time_cell(r["time"]),
                cell(r["actor"]),
                cell(r["action"]),
                key_values(r["objects"]),
                key_values(r["counts"]),
            ]
            for r in runs
        ],
    )
    if doc["alterations"]:
        html += "<h3>Alterations in the period</h3>"
        html += tabulate(
            ["Action", "Entries"],
            [[cell(k), count_cell(v)] for k, v in doc["alterations"].items()],
            {1},
        )
    return section("matching", html)


def collection_section(doc: dict[str, Any]) -> str:
    return section(
        "collection",
        tabulate(
            ["Feed", "Files pulled", "Bytes", "Last pull (UTC)"],
            [
                [
                    cell(c["feed"]),
                    count_cell(c["files"]),
                    count_cell(c["bytes"]),
                    time_cell(c["last"]),
                ]
                for c in doc["collection"]
            ],
            {1, 2},
        ),
    )


def configuration_section(doc: dict[str, Any]) -> str:
    rows = [
        [time_cell(c["time"]), cell(c["actor"]),
         cell(" ".join(filter(None, [(c["objects"] or {}).get("kind"), c["action"]]))),
         cell((c["objects"] or {}).get("file")),
         f"<code>{cell((c['objects'] or {}).get('sha256'))}</code>"]
        for c in doc["configuration"]
    ]  # fmt: skip
    return section(
        "configuration", tabulate(["Time (UTC)", "By", "Change", "File", "sha256"], rows)
    )
