"""The columnar reconciliation decides exactly as the plain rules do, for any overlap."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_reconcile import ID_PREFIX, reference_reconcile

from matching.reconcile import decide

_PEOPLE = [f"{ID_PREFIX}{n:06d}" for n in range(1, 9)]


@st.composite
def _runs(draw: st.DrawFn) -> tuple:
    status = draw(st.dictionaries(st.sampled_from(_PEOPLE),
                                  st.sampled_from(["active", "merged", "retired"])))  # fmt: skip
    rows = draw(st.lists(st.tuples(st.integers(1, 6), st.sampled_from(_PEOPLE),
                                   st.integers(1, 4)), max_size=14))  # fmt: skip
    overlap = list({(c, p): (c, p, n) for c, p, n in rows}.values())  # one row per pair
    clusters = sorted({c for c, _, _ in overlap} | set(draw(st.lists(st.integers(1, 9)))))
    absent = draw(st.none() | st.sets(st.sampled_from(_PEOPLE)))
    return overlap, clusters, absent, status, draw(st.integers(9, 12))


@settings(max_examples=300, deadline=None)
@given(run=_runs())
def test_columnar_decisions_match_the_plain_rules(run: tuple) -> None:
    overlap, clusters, absent, status, next_number = run
    active = sorted(p for p, s in status.items() if s == "active")
    expected_absent = absent if absent is not None else set(active) - {p for _, p, _ in overlap}
    expected = reference_reconcile(overlap, clusters, expected_absent, status, next_number)
    table = pa.table(
        {
            "cluster_key": pa.array([c for c, _, _ in overlap], pa.int64()),
            "person_id": pa.array([p for _, p, _ in overlap], pa.string()),
            "shared": pa.array([n for _, _, n in overlap], pa.int64()),
        }
    )
    result = decide(
        table, pa.array(clusters, pa.int64()), active=pa.array(active, pa.string()),
        retired_before=pa.array(sorted(p for p, s in status.items() if s == "retired"),
                                pa.string()),
        absent=None if absent is None else pa.array(sorted(absent), pa.string()),
        next_number=next_number,
    )  # fmt: skip
    assert result.assignment == expected["assignment"]
    counts = {k: getattr(result, k) for k in expected["counts"]}  # type: ignore[attr-defined]
    assert counts == expected["counts"]
    assert sorted(result.events) == expected["events"]
    assert sorted(result.activated + result.created_ids()) == expected["activated"]
    assert result.top_number == expected["top"]
