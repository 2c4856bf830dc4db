"""The DPO report's sections on what each agreement allows field by field (with its parties,
contacts, conditions and DPIA) and on the people disclosed: distinct people per release, per
recipient, per month and in all, people with health data, and the pseudonym keys used."""

from __future__ import annotations

from html import escape
from typing import Any

from hub.governance.dpo_html_cells import cell, count_cell, section, tabulate, time_cell


def shared_fields(agreement: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The fields an agreement lets flow, and those it names only to say they never do."""
    terms = agreement.get("field_terms") or []
    shared = sorted(t["name"] for t in terms if t["shared"])
    return shared, sorted(t["name"] for t in terms if not t["shared"])


def _sharing(term: dict[str, Any]) -> str:
    return "shared" if term["shared"] else "<b>not shared</b> (dropped)"


def agreement_terms_section(doc: dict[str, Any]) -> str:
    html = ""
    for agreement in doc["agreements"]:
        if agreement["status"] == "invalid":
            continue
        facts = [
            ["Parties", cell(agreement["parties"])],
            ["Contacts", cell(agreement["contacts"])],
            ["DPIA reference", cell(agreement.get("dpia_reference"))],
            ["Conditions", cell(agreement.get("conditions") or "none: every person provided")],
        ]
        html += f"<h3>{cell(agreement['agreement_id'])} v{cell(agreement['version'])}</h3>"
        html += "<table><tbody>" + "".join(
            f"<tr><th>{escape(name)}</th><td>{value}</td></tr>" for name, value in facts
        ) + "</tbody></table>"  # fmt: skip
        html += tabulate(
            ["Field", "Treatment", "From feeds", "Shared", "Clause", "Conditions"],
            [
                [
                    cell(t["name"]),
                    cell(t["treatment"]),
                    cell(t["sources"]),
                    _sharing(t),
                    cell(t["clause"]),
                    cell(t["conditions"]),
                ]
                for t in agreement.get("field_terms") or []
            ],
            empty="No field named.",
        )
    return section("agreement-terms", html or '<p class="muted">No valid agreement.</p>')


def people_section(doc: dict[str, Any]) -> str:
    people = doc["people"]
    html = ""
    if not people["available"]:
        html += f'<div class="banner warn">{cell(people["note"])}</div>'
    else:
        html += (
            f'<div class="tiles"><div class="tile"><b>{count_cell(people["distinct_people"])}'
            "</b>distinct people across every release held</div></div>"
        )
        html += "<h3>Distinct people per recipient, over all its releases</h3>"
        html += tabulate(
            ["Recipient", "Releases", "Distinct people"],
            [
                [cell(r["recipient"]), count_cell(r["releases"]), count_cell(r["distinct_people"])]
                for r in people["by_recipient"]
            ],
            {1, 2},
            empty="No release held.",
        )
        html += "<h3>Distinct people released per month</h3>"
        html += tabulate(
            ["Month", "Distinct people"],
            [[cell(m["month"]), count_cell(m["distinct_people"])] for m in people["by_month"]],
            {1},
            empty="No release held.",
        )
    html += "<h3>Every release held</h3>"
    html += tabulate(
        [
            "Created (UTC)",
            "Recipient",
            "Release",
            "Rows",
            "Distinct people",
            "With health data",
            "Health fields",
            "Key id",
        ],
        [
            [
                time_cell(r["created_at"]),
                cell(r["recipient"]),
                f"<code>{cell(r['release_id'])}</code>",
                count_cell(r["rows"]),
                count_cell(r["distinct_people"]),
                count_cell(r["people_with_health_data"]),
                cell(r["health_fields"]),
                f"<code>{cell(r['key_id'])}</code>",
            ]
            for r in people["releases"]
        ],
        {3, 4, 5},
        empty="No release held.",
    )
    html += "<h3>Pseudonym keys and rotations</h3>"
    html += tabulate(
        ["Recipient", "Key id", "Releases", "First", "Last", "Rotation"],
        [
            [
                cell(k["recipient"]),
                f"<code>{cell(k['key_id'])}</code>",
                count_cell(k["releases"]),
                time_cell(k["first"]),
                time_cell(k["last"]),
                "rotated to this key" if k["rotation"] else "first key",
            ]
            for k in doc["pseudonym_keys"]
        ],
        {2},
        empty="No release recorded.",
    )
    return section("people", html)
