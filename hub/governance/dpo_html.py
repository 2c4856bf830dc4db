"""Render the DPO report document as one self-contained HTML file.

Inline CSS and inline SVG only: no script, font, image or stylesheet is fetched, and a Content
Security Policy forbids the page from loading anything. Every chart has its figures in a table
beside it. Each section has a stable id (``summary``, ``audit-integrity``, ``agreements``,
``agreement-terms``, ``disclosures``, ``people``, ``reidentifications``, ``quarantine``,
``retention``, ``matching``, ``collection``, ``configuration``).

This module holds the page (styles, header, navigation); the sections are rendered by
:mod:`~hub.governance.dpo_html_overview`, :mod:`~hub.governance.dpo_html_sharing`,
:mod:`~hub.governance.dpo_html_people` and :mod:`~hub.governance.dpo_html_holdings` from the
cells of :mod:`~hub.governance.dpo_html_cells`.
"""

from __future__ import annotations

from html import escape
from typing import Any

from hub.governance.dpo_html_cells import SECTIONS, cell, time_cell
from hub.governance.dpo_html_holdings import (
    collection_section,
    configuration_section,
    matching_section,
    quarantine_section,
    retention_section,
)
from hub.governance.dpo_html_overview import agreements_section, integrity_section, summary_section
from hub.governance.dpo_html_people import agreement_terms_section, people_section
from hub.governance.dpo_html_sharing import disclosures_section, reidentifications_section

_CSS = """
svg.chart { max-width: 100%; height: auto; }
:root { --ink:#0b0c0c; --muted:#505a5f; --line:#b1b4b6; --soft:#f3f2f1; --blue:#1d70b8;
        --red:#d4351c; --green:#00703c; --amber:#f47738; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink);
       margin: 0; background: #fff; }
header { background: var(--ink); color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 24px; }
header p { margin: 2px 0; color: #dcdcdc; }
nav { padding: 10px 28px; border-bottom: 1px solid var(--line); background: var(--soft);
      display: flex; flex-wrap: wrap; gap: 4px 14px; }
nav a { color: var(--blue); white-space: nowrap; }
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


def render_html(doc: dict[str, Any]) -> str:
    """The whole report as one HTML page."""
    period = doc["period"]
    title = f"DPO report {period['since']} to {period['until']}"
    nav = "".join(f'<a href="#{sid}">{escape(name)}</a>' for sid, name in SECTIONS)
    body = "".join(
        part(doc)
        for part in (
            summary_section,
            integrity_section,
            agreements_section,
            agreement_terms_section,
            disclosures_section,
            people_section,
            reidentifications_section,
            quarantine_section,
            retention_section,
            matching_section,
            collection_section,
            configuration_section,
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
        f"{time_cell(doc['generated_at'])} by {cell(doc['generated_by'])}</p>"
        f"<p>Workspace {cell(doc['workspace'])}</p></header>"
        f"<nav>{nav}</nav><main>{body}"
        '<p class="muted">Figures come from the verified audit log, the agreement register, the '
        "state database and the workspace. The log holds ids, counts and hashes only.</p>"
        "</main></body></html>\n"
    )
