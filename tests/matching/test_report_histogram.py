"""The match report's histogram: its axis ends where its bars do."""

from __future__ import annotations

from matching.report import _histogram_spec


def test_the_weight_axis_spans_the_bins_and_each_bar_its_bin() -> None:
    bins = [{"bin": -3.0, "pairs": 2}, {"bin": 2.0, "pairs": 40}, {"bin": 54.0, "pairs": 1}]
    spec = _histogram_spec(bins)
    x = spec["encoding"]["x"]
    assert x["scale"] == {"domain": [-3.0, 55.0], "nice": False}
    assert spec["encoding"]["x2"] == {"field": "bin_end"}
    assert [row["bin_end"] for row in spec["data"]["values"]] == [-2.0, 3.0, 55.0]


def test_no_scored_pair_gives_an_empty_chart_not_an_error() -> None:
    assert _histogram_spec([])["data"]["values"] == []
