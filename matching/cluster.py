"""Conservative clustering: links at a high threshold, then no cluster holding a contradiction.

1. Links are the scored pairs at or above the link weight that no guard stops
   (:mod:`matching.guards`), minus pairs a reviewer said are different, plus pairs a reviewer
   said are the same.
2. Connected components of the links (Splink's, in the engine).
3. Every component of three or more records is checked for *cannot-link* pairs among all its
   members (identifier conflict, likely twins, different generation, reviewer's "different").
   Only components with one are rebuilt. First, a record linked about equally well to two
   records that cannot be one person is ambiguous: both its links are dropped (and reviewed).
   Then links are joined in order: links between records sharing a valid PNC, CRO or NHS
   number first, then reviewers' "same", then the rest by strength; each only if it brings no
   cannot-link pair together. A chain A-B-C where A and C are twins therefore ends as {A, B}
   and {C}, not one person; and a reviewer's "same" never splits off a record held by a shared
   valid identifier (it is refused instead). A reviewer's "different" removes the pair's own
   link and forbids the pair in any cluster, so any automatic link can be split.

An incremental run clusters only the records of touched components; the others keep their
last cluster (table ``kept``, see :mod:`matching.incremental`).

Tables read: ``frame``, ``scored``, ``decided``. Tables written: ``links``, ``kept``,
``clusters`` (``unique_id``, ``cluster_key``, ``joined_probability``, ``component``) and
``ambiguous`` (links dropped).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from matching.engine import Engine
from matching.guards import cannot_link_sql, qualified, shared_identifier_sql

HUMAN_WEIGHT = 1000.0
"""Match weight given to a pair a reviewer confirmed, so it is joined first."""


@dataclass(frozen=True)
class ClusterStats:
    """Counts from one clustering."""

    links: int
    components_checked: int
    components_rebuilt: int
    links_refused: int


def build_links(engine: Engine, link_weight: float) -> int:
    """Create ``links`` from ``scored`` and ``decided``; return how many."""
    engine.create_table(
        "links",
        f"""
        SELECT s.unique_id_l, s.unique_id_r, s.match_weight, s.match_probability
        FROM scored s
        ANTI JOIN decided d ON d.unique_id_l = s.unique_id_l AND d.unique_id_r = s.unique_id_r
        WHERE s.match_weight >= {float(link_weight)} AND NOT s.cannot_link
        UNION ALL
        SELECT unique_id_l, unique_id_r, {HUMAN_WEIGHT}, 1.0 FROM decided WHERE same
        """,
    )
    return int(engine.scalar("SELECT count(*) FROM links"))


def cluster_records(engine: Engine, link_weight: float, *, keep_last: bool = False) -> ClusterStats:
    """Cluster ``frame`` records into people; writes ``clusters``.

    With ``keep_last`` (an incremental run), the records of the last run's untouched
    components keep their clusters (:func:`matching.incremental.mark_kept_clusters`) and only
    the others are clustered.
    """
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    links = build_links(engine, link_weight)
    if keep_last:
        from matching.incremental import mark_kept_clusters

        mark_kept_clusters(engine)
    else:
        engine.create_table("kept", """
            SELECT unique_id, unique_id AS component, unique_id AS cluster_key,
                   CAST(NULL AS DOUBLE) AS joined_probability
            FROM frame LIMIT 0
        """)  # fmt: skip
    engine.create_table("nodes", "SELECT unique_id FROM frame ANTI JOIN kept USING (unique_id)")
    engine.create_table("open_links", """
        SELECT * FROM links SEMI JOIN nodes ON nodes.unique_id = links.unique_id_l
    """)  # fmt: skip
    api = engine.splink_api()
    components = cluster_pairwise_predictions_at_threshold(
        "nodes", "open_links", api, node_id_column_name="unique_id"
    )
    engine.create_table(
        "components",
        "SELECT unique_id, min(unique_id) OVER (PARTITION BY cluster_id) AS component "
        f"FROM {engine.physical_name(components)}",
    )
    components.drop_table_from_database_and_remove_from_cache()

    checked = int(engine.scalar(
        "SELECT count(*) FROM (SELECT component FROM components GROUP BY 1 HAVING count(*) >= 3)"
    ))  # fmt: skip
    engine.create_table("cannot", _cannot_link_pairs_sql())
    rebuilt, refused = _rebuild_conflicted(engine)
    if keep_last:
        engine.execute("""
            INSERT INTO ambiguous SELECT unique_id_l, unique_id_r FROM last_ambiguous
            SEMI JOIN kept ON kept.unique_id = last_ambiguous.unique_id_l
        """)  # fmt: skip

    engine.create_table(
        "clusters",
        """
        WITH assigned AS (
            SELECT c.unique_id, c.component, coalesce(r.sub_cluster, c.component) AS cluster_ref,
                   r.sub_cluster IS NOT NULL AS rebuilt
            FROM components c LEFT JOIN rebuilt r USING (unique_id)
        ),
        keyed AS (
            SELECT unique_id, component, min(unique_id) OVER (PARTITION BY cluster_ref, rebuilt)
                AS cluster_key
            FROM assigned
        ),
        both_ways AS (
            SELECT unique_id_l AS a, unique_id_r AS b, match_probability FROM open_links
            UNION ALL
            SELECT unique_id_r AS a, unique_id_l AS b, match_probability FROM open_links
        ),
        joined AS (
            SELECT e.a AS unique_id, max(e.match_probability) AS joined_probability
            FROM both_ways e
            JOIN keyed ka ON ka.unique_id = e.a
            JOIN keyed kb ON kb.unique_id = e.b
            WHERE ka.cluster_key = kb.cluster_key
            GROUP BY e.a
        )
        SELECT k.unique_id, k.cluster_key, j.joined_probability, k.component
        FROM keyed k LEFT JOIN joined j USING (unique_id)
        UNION ALL
        SELECT unique_id, cluster_key, joined_probability, component FROM kept
        """,
    )
    return ClusterStats(links, checked, rebuilt, refused)


def _cannot_link_pairs_sql() -> str:
    return f"""
    WITH big AS (
        SELECT unique_id, component FROM components
        WHERE component IN (SELECT component FROM components GROUP BY 1 HAVING count(*) >= 3)
    ),
    member_pairs AS (
        SELECT a.unique_id AS unique_id_l, b.unique_id AS unique_id_r, a.component
        FROM big a JOIN big b ON a.component = b.component AND a.unique_id < b.unique_id
    ),
    ruled AS (
        SELECT p.unique_id_l, p.unique_id_r, p.component
        FROM member_pairs p
        JOIN frame l ON l.unique_id = p.unique_id_l
        JOIN frame r ON r.unique_id = p.unique_id_r
        WHERE {cannot_link_sql(qualified)}
    ),
    told AS (
        SELECT p.unique_id_l, p.unique_id_r, p.component
        FROM member_pairs p JOIN decided d
          ON d.unique_id_l = p.unique_id_l AND d.unique_id_r = p.unique_id_r AND NOT d.same
    )
    SELECT * FROM ruled
    ANTI JOIN decided d ON d.unique_id_l = ruled.unique_id_l
                       AND d.unique_id_r = ruled.unique_id_r AND d.same
    UNION
    SELECT * FROM told
    """


def _rebuild_conflicted(engine: Engine) -> tuple[int, int]:
    """Rebuild components holding a cannot-link pair; writes ``rebuilt`` and ``ambiguous``.

    Returns the number of components rebuilt and of links refused or dropped as ambiguous.
    """
    import pyarrow as pa

    cannot = engine.to_arrow("SELECT unique_id_l, unique_id_r FROM cannot")
    edges = engine.to_arrow(
        f"""
        SELECT s.unique_id_l, s.unique_id_r, s.match_weight, {shared_identifier_sql(qualified)}
            AS held
        FROM links s JOIN components c ON c.unique_id = s.unique_id_l
        JOIN frame l ON l.unique_id = s.unique_id_l
        JOIN frame r ON r.unique_id = s.unique_id_r
        WHERE c.component IN (SELECT DISTINCT component FROM cannot)
        ORDER BY held DESC, s.match_weight DESC, s.unique_id_l, s.unique_id_r
        """
    ).to_pylist()
    members = engine.to_arrow(
        "SELECT unique_id, component FROM components "
        "WHERE component IN (SELECT DISTINCT component FROM cannot)"
    )
    forbidden: dict[int, set[int]] = defaultdict(set)
    for a, b in zip(cannot.column(0).to_pylist(), cannot.column(1).to_pylist(), strict=True):
        forbidden[a].add(b)
        forbidden[b].add(a)
    links = [
        ScoredLink(e["unique_id_l"], e["unique_id_r"], e["match_weight"], bool(e["held"]))
        for e in edges
    ]
    dropped = ambiguous_links([k for k in links if k.weight < HUMAN_WEIGHT], forbidden)
    kept = [(k.left, k.right) for k in links if (k.left, k.right) not in dropped]
    roots, refused = constrained_union(members.column(0).to_pylist(), kept, forbidden)
    ids = members.column(0).to_pylist()
    engine.register_arrow(
        "rebuilt_arrow",
        pa.table({"unique_id": pa.array(ids, pa.int64()),
                  "sub_cluster": pa.array([roots[i] for i in ids], pa.int64())}),
    )  # fmt: skip
    engine.create_table("rebuilt", "SELECT * FROM rebuilt_arrow")
    engine.register_arrow(
        "ambiguous_arrow",
        pa.table({"unique_id_l": pa.array([a for a, _ in sorted(dropped)], pa.int64()),
                  "unique_id_r": pa.array([b for _, b in sorted(dropped)], pa.int64())}),
    )  # fmt: skip
    engine.create_table("ambiguous", "SELECT * FROM ambiguous_arrow")
    return len(set(members.column(1).to_pylist())), refused + len(dropped)


AMBIGUITY_MARGIN = 6.0
"""A record linked to two records that cannot be one person, with match weights closer than
this (a likelihood ratio of 64), is ambiguous: neither link is made and both go to review."""


@dataclass(frozen=True)
class ScoredLink:
    """A link between two records, its match weight, and whether a shared valid PNC, CRO or
    NHS number holds it."""

    left: int
    right: int
    weight: float
    held: bool


def ambiguous_links(
    links: list[ScoredLink], forbidden: dict[int, set[int]]
) -> set[tuple[int, int]]:
    """Links to drop because their shared record cannot tell two people apart.

    The classic case: a housing record with a name and an address but no date of birth, at the
    address of a father and son of that name; it matches both equally well. A link held by a
    shared valid identifier is not ambiguous beside one that is not: the identifier says which
    person the record is (the other link is then refused when the clusters are joined).
    """
    neighbours: dict[int, list[tuple[int, ScoredLink]]] = defaultdict(list)
    for link in links:
        neighbours[link.left].append((link.right, link))
        neighbours[link.right].append((link.left, link))
    dropped: set[tuple[int, int]] = set()
    for node, linked in neighbours.items():
        for i, (a, link_a) in enumerate(linked):
            for b, link_b in linked[i + 1 :]:
                if (
                    b in forbidden.get(a, ())
                    and link_a.held == link_b.held
                    and abs(link_a.weight - link_b.weight) < AMBIGUITY_MARGIN
                ):
                    dropped.add((min(node, a), max(node, a)))
                    dropped.add((min(node, b), max(node, b)))
    return dropped


def constrained_union(
    nodes: Iterable[int], edges: Iterable[tuple[int, int]], forbidden: dict[int, set[int]]
) -> tuple[dict[int, int], int]:
    """Union-find over ``edges`` in the given order, refusing joins that put a forbidden pair
    in one set. Returns each node's root (its set's smallest node) and the joins refused."""
    parent: dict[int, int] = {n: n for n in nodes}
    members: dict[int, set[int]] = {n: {n} for n in parent}

    def find(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    refused = 0
    for a, b in edges:
        root_a, root_b = find(a), find(b)
        if root_a == root_b:
            continue
        small, large = sorted((root_a, root_b), key=lambda r: len(members[r]))
        if any(forbidden.get(x, set()) & members[large] for x in members[small]):
            refused += 1
            continue
        parent[small] = large
        members[large] |= members.pop(small)
    result: dict[int, int] = {}
    for group in members.values():
        smallest = min(group)
        for node in group:
            result[node] = smallest
    return result, refused
