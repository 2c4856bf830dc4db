"""The match report: one self-contained HTML file per run, beside the outputs.

It shows Splink's match-weights chart of the model, the distribution of cluster sizes, links
by pair of feeds, the match weights of scored pairs, and the review list's size by reason.
Vega, Vega-Lite and Vega-Embed (the libraries Splink packages) are inlined once, so the report
opens on a machine with no internet. It holds counts and model parameters only, never a name,
date or identifier of a person.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ReportData:
    """Everything the report shows."""

    run_id: str
    generated_at: str
    model_version: str
    link_weight: float
    review_weight: float
    counts: dict[str, Any]
    records_by_source: dict[str, int]
    cluster_sizes: list[dict[str, int]]
    """[{"size": n, "persons": k}, ...]."""
    links_by_feed_pair: list[dict[str, Any]]
    """[{"feeds": "police-probation", "links": n}, ...]."""
    weight_histogram: list[dict[str, Any]]
    """[{"bin": w, "pairs": n}, ...] over scored pairs."""
    review_by_reason: dict[str, int]
    match_weights_spec: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)


def _bar_spec(
    values: list[dict[str, Any]],
    x: str,
    y: str,
    *,
    x_type: str = "ordinal",
    title: str,
    x_title: str,
    y_title: str,
    log: bool = False,
) -> dict[str, Any]:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": title,
        "width": 560,
        "height": 240,
        "data": {"values": values},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "x": {"field": x, "type": x_type, "title": x_title},
            "y": {"field": y, "type": "quantitative", "title": y_title,
                  **({"scale": {"type": "symlog"}} if log else {})},
        },
    }  # fmt: skip


def _histogram_spec(bins: list[dict[str, Any]]) -> dict[str, Any]:
    """Match weights of scored pairs: one bar per whole-number bin, spanning it, on an axis that
    ends where the bins do (a bar mark alone left Vega-Lite an axis five times too long)."""
    values = [{**row, "bin_end": row["bin"] + 1} for row in bins]
    spec = _bar_spec(values, "bin", "pairs", x_type="quantitative",
                     title="Match weight of scored pairs", x_title="match weight",
                     y_title="pairs", log=True)  # fmt: skip
    if values:
        domain = [min(row["bin"] for row in values), max(row["bin_end"] for row in values)]
        spec["encoding"]["x"]["scale"] = {"domain": domain, "nice": False}
    spec["encoding"]["x2"] = {"field": "bin_end"}
    return spec


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def render_report(data: ReportData) -> str:
    """The report as one HTML document with its scripts inline."""
    from splink.internals.html_utils import json_for_html, load_chart_libraries

    charts: list[tuple[str, dict[str, Any]]] = []
    if data.match_weights_spec:
        charts.append(("match-weights", data.match_weights_spec))
    charts.append(
        (
            "cluster-sizes",
            _bar_spec(
                data.cluster_sizes,
                "size",
                "persons",
                title="People by number of records",
                x_title="records per person",
                y_title="people",
                log=True,
            ),
        )
    )
    charts.append(
        (
            "feed-pairs",
            _bar_spec(
                data.links_by_feed_pair,
                "feeds",
                "links",
                title="Links by pair of feeds",
                x_title="feeds",
                y_title="links",
            ),
        )
    )
    charts.append(("weights", _histogram_spec(data.weight_histogram)))
    libraries = load_chart_libraries()
    scripts = "\n".join(f"<script>{source}</script>" for source in libraries.values())
    embeds = "\n".join(
        f"vegaEmbed('#{name}', {json_for_html(spec)}, {{actions: false}})"
        ".catch(function (e) { document.getElementById('" + name + "').textContent = e; });"
        for name, spec in charts
    )
    counts_rows = [[k.replace("_", " "), v] for k, v in data.counts.items()]
    sources_rows = [[s, n] for s, n in sorted(data.records_by_source.items())]
    pair_rows = [[row["feeds"], row["links"]] for row in data.links_by_feed_pair]
    size_rows = [[row["size"], row["persons"]] for row in data.cluster_sizes]
    review_rows = [[reason, n] for reason, n in sorted(data.review_by_reason.items())]
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in data.notes)
    title = f"Match report {html.escape(data.run_id)}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 70em; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; }}
td, th {{ border: 1px solid #ccc; padding: 0.25em 0.75em; text-align: right; }}
th {{ background: #f3f3f3; }} td:first-child, th:first-child {{ text-align: left; }}
.grid {{ display: flex; flex-wrap: wrap; gap: 2em; }}
</style>
{scripts}
</head><body>
<h1>{title}</h1>
<p>Generated {html.escape(data.generated_at)} with model <b>{html.escape(data.model_version)}
</b>. Pairs at match weight {data.link_weight:+.1f} or more are linked unless a rule stops them;
pairs from {data.review_weight:+.1f} up to that go to review.</p>
<div class="grid"><div><h2>Counts</h2>{_table(["", "count"], counts_rows)}</div>
<div><h2>Records by feed</h2>{_table(["feed", "records"], sources_rows)}</div>
<div><h2>Review list</h2>{_table(["reason", "pairs"], review_rows or [["none", 0]])}</div></div>
<h2>The model: match weights</h2>
<p>Each bar is the weight of evidence one comparison level adds (positive: for the same
person; negative: against). Term-frequency adjustments then lower the weight of common
names, dates and postcodes and raise that of rare ones.</p>
<div id="match-weights"></div>
<h2>People by number of records</h2><div id="cluster-sizes"></div>
{_table(["records per person", "people"], size_rows)}
<h2>Links by pair of feeds</h2><div id="feed-pairs"></div>
{_table(["feeds", "links"], pair_rows or [["none", 0]])}
<h2>Match weights of scored pairs</h2><div id="weights"></div>
{"<h2>Notes</h2><ul>" + notes + "</ul>" if notes else ""}
<script>
{embeds}
</script>
</body></html>
"""
