"""The person-id registry: reconciliation by shared records, events, decisions."""

from __future__ import annotations

from pathlib import Path

import pytest

from matching.errors import ReviewError
from matching.registry import PersonRegistry, pair_id, pair_key


def _first_run(registry: PersonRegistry) -> dict[int, str]:
    result = registry.reconcile([], [10, 20, 30], set())
    registry.commit("run-1", result, [("police", f"R{k}", result.assignment[k]) for k in
                    (10, 20, 30)], [], {}, "m1")  # fmt: skip
    return result.assignment


def test_new_clusters_get_new_sequential_ids(tmp_path: Path) -> None:
    with PersonRegistry(tmp_path / "registry.db") as registry:
        assignment = _first_run(registry)
        assert assignment == {10: "IOM-000001", 20: "IOM-000002", 30: "IOM-000003"}
        again = registry.reconcile([], [40], set())
        assert again.assignment == {40: "IOM-000004"}


def test_a_merge_keeps_the_id_with_most_records_and_records_the_event(tmp_path: Path) -> None:
    with PersonRegistry(tmp_path / "registry.db") as registry:
        _first_run(registry)
        # Cluster 7 now holds 2 records of IOM-000002 and 1 of IOM-000001.
        result = registry.reconcile([(7, "IOM-000001", 1), (7, "IOM-000002", 2),
                                     (8, "IOM-000003", 1)], [7, 8], set())  # fmt: skip
        assert result.assignment == {7: "IOM-000002", 8: "IOM-000003"}
        assert result.merges == 1 and result.created == 0
        assert ("merged", "IOM-000002", ["IOM-000001"], 3) in result.events
        registry.commit("run-2", result, [], [], {}, "m1")
        assert registry.person_status()["IOM-000001"] == "merged"


def test_a_split_keeps_the_id_on_the_larger_part(tmp_path: Path) -> None:
    with PersonRegistry(tmp_path / "registry.db") as registry:
        _first_run(registry)
        result = registry.reconcile([(5, "IOM-000001", 2), (6, "IOM-000001", 1)], [5, 6], set())
        assert result.assignment[5] == "IOM-000001"
        assert result.assignment[6] == "IOM-000004"
        assert result.splits == 1
        assert ("split", "IOM-000001", ["IOM-000004"], 2) in result.events


def test_ties_go_to_the_oldest_id(tmp_path: Path) -> None:
    with PersonRegistry(tmp_path / "registry.db") as registry:
        _first_run(registry)
        result = registry.reconcile([(9, "IOM-000003", 1), (9, "IOM-000002", 1)], [9], set())
        assert result.assignment == {9: "IOM-000002"}


def test_absent_people_retire_and_return(tmp_path: Path) -> None:
    with PersonRegistry(tmp_path / "registry.db") as registry:
        _first_run(registry)
        result = registry.reconcile([(1, "IOM-000001", 1)], [1], {"IOM-000002", "IOM-000003"})
        assert result.retired == 2
        registry.commit("run-2", result, [], [("police", "R20"), ("police", "R30")], {}, "m1")
        assert registry.person_status()["IOM-000002"] == "retired"
        back = registry.reconcile([(1, "IOM-000002", 1)], [1], set())
        assert back.assignment == {1: "IOM-000002"} and back.returned == 1
        registry.commit("run-3", back, [("police", "R20", "IOM-000002")], [], {}, "m1")
        assert registry.person_status()["IOM-000002"] == "active"
        assert registry.reconcile([], [99], set()).assignment == {99: "IOM-000004"}


def test_decisions_are_kept_in_canonical_order_and_can_be_withdrawn(tmp_path: Path) -> None:
    with PersonRegistry(tmp_path / "registry.db") as registry:
        registry.decide(("probation", "X1"), ("police", "P1"), True, by="a")
        registry.decide(("police", "P1"), ("probation", "X1"), False, by="b", note="twins")
        decided = registry.decisions()
        assert len(decided) == 1
        assert decided[0].left == ("police", "P1") and not decided[0].same
        assert registry.decisions_table().num_rows == 1
        assert registry.withdraw(("probation", "X1"), ("police", "P1"))
        assert not registry.decisions()
        with pytest.raises(ReviewError):
            registry.decide(("police", "P1"), ("police", "P1"), True)


def test_pair_ids_ignore_order() -> None:
    a, b = ("police", "P1"), ("health", "H1")
    assert pair_id(a, b) == pair_id(b, a)
    assert pair_key(a, b) == (b, a)
