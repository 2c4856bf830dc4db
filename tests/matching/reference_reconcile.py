"""The person-id rules written plainly, one person at a time: the reference the columnar
reconciliation (``matching.reconcile``) is checked against."""

from __future__ import annotations

from collections import defaultdict

ID_PREFIX = "IOM-"


def id_number(person_id: str) -> int:
    try:
        return int(person_id.removeprefix(ID_PREFIX))
    except ValueError:
        return 1 << 62


def reference_reconcile(
    overlap: list[tuple[int, str, int]], clusters: list[int], absent: set[str],
    status: dict[str, str], next_number: int,
) -> dict[str, object]:  # fmt: skip
    """Assignment, counts, events (sorted), activated ids and the top id number."""
    best: dict[str, tuple[int, int]] = {}
    spread: dict[str, set[int]] = defaultdict(set)
    for cluster, person, shared in overlap:
        spread[person].add(cluster)
        current = best.get(person)
        if current is None or (shared, -cluster) > (current[1], -current[0]):
            best[person] = (cluster, shared)
    claims: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for person, (cluster, shared) in best.items():
        claims[cluster].append((shared, person))
    assignment: dict[int, str] = {}
    events: list[tuple[str, str, list[str], int]] = []
    counts = {"created": 0, "merges": 0, "splits": 0, "retired": 0, "returned": 0}
    for cluster, claimants in claims.items():
        claimants.sort(key=lambda c: (-c[0], id_number(c[1]), c[1]))
        kept = claimants[0][1]
        assignment[cluster] = kept
        if status.get(kept) == "retired":
            counts["returned"] += 1
            events.append(("returned", kept, [], claimants[0][0]))
        if len(claimants) > 1:
            counts["merges"] += 1
            events.append(("merged", kept, [p for _, p in claimants[1:]],
                           sum(c[0] for c in claimants)))  # fmt: skip
    for cluster in sorted(set(clusters)):
        if cluster not in assignment:
            assignment[cluster] = f"{ID_PREFIX}{next_number:06d}"
            next_number += 1
            counts["created"] += 1
    for person, of_person in spread.items():
        if len(of_person) > 1:
            counts["splits"] += 1
            parts = sorted({assignment[c] for c in of_person} - {person})
            events.append(("split", person, parts, len(of_person)))
    kept_ids = set(assignment.values())
    for person in sorted(absent):
        if person not in kept_ids:
            counts["retired"] += 1
            events.append(("retired", person, [], 0))
    return {
        "assignment": assignment,
        "counts": counts,
        "events": sorted(events),
        "activated": sorted(p for p in kept_ids if status.get(p) != "active"),
        "top": max((id_number(p) for p in kept_ids), default=0),
    }
