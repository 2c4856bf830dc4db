"""Survivorship: which partner's value each field of the person view takes, and from where.

Fields are grouped so that values that belong together come from one record (a postcode with
its address, an offence type with its date). For each person and group, the winning record is
the first by:

1. the group's preference (e.g. a full date of birth over a ``01/01`` year-only one);
2. the source order (most trusted feed first; feeds not listed come after, by name);
3. recency within the source (the latest offence, referral, tenancy or sentence);
4. the partner's record id (so the choice is repeatable).

Only records with a value in the group compete. Each field ``F`` comes with ``F__source``, the
feed its value came from (null when no record has one), because sharing agreements decide by
source. Identifiers are shown in canonical form, and only valid ones. ``docs/matching.md``
lists the rules field by field.

A recipient may not see every feed, so the winner is not the only value kept: when records of
more than one feed compete in a group, ``G__candidates`` (:func:`candidates_column`) lists each
feed's best record (its group's values and ``_source``) in the order above, winner first. The
sharing layer releases, per recipient, the first candidate from a feed the recipient may see,
so what a recipient receives never depends on records it may not see. The column is null when
one feed (or none) competes: the winner is then the only candidate.

The view's columns are defined here once (:data:`VIEW_FIELDS`, :data:`PERSON_ID`,
:data:`SOURCES`, :func:`source_column`, :data:`FIELD_GROUPS`, :func:`candidates_column`); the
sharing layer reads the view by these names.
"""

from __future__ import annotations

from dataclasses import dataclass

from matching.config import SurvivorshipConfig
from schemas.sql import quote_literal

PERSON_ID = "person_id"
"""The column holding the hub's person id."""
SOURCES = "sources"
"""The column listing the feeds that hold a record of the person."""
SOURCE_SUFFIX = "__source"
CANDIDATE_SOURCE = "_source"
"""The key of a candidate struct naming its feed."""


def source_column(field: str) -> str:
    """The column naming the feed a field's value came from."""
    return f"{field}{SOURCE_SUFFIX}"


@dataclass(frozen=True)
class Group:
    """Fields taken together from one record."""

    name: str
    fields: dict[str, str]
    """view field -> SQL expression over the canonical record."""
    sources: tuple[str, ...]
    """Default source order, most trusted first."""
    prefer: str | None = None
    """SQL ordering expression applied before the source order (ascending)."""
    recency: str | None = None
    """SQL expression; later wins within a source."""


IDENTITY_GROUPS = ("name", "date_of_birth", "sex", "address")

GROUPS: tuple[Group, ...] = (
    Group("name", {"forename": "forename", "middle_names": "middle_names",
                   "surname": "surname"}, ("probation", "police", "health", "housing")),
    Group("date_of_birth", {"date_of_birth": "date_of_birth"},
          ("probation", "police", "health", "housing"),
          prefer="CASE WHEN month(date_of_birth) = 1 AND day(date_of_birth) = 1 THEN 1 ELSE 0 END"),
    Group("sex", {"sex": "sex"}, ("health", "probation", "police", "housing"),
          prefer="CASE WHEN sex IN ('male', 'female') THEN 0 ELSE 1 END"),
    Group("address", {"address": "address", "town": "town", "postcode": "postcode_canonical"},
          ("housing", "probation", "police", "health"),
          prefer="CASE WHEN postcode_canonical IS NULL THEN 1 ELSE 0 END",
          recency="tenancy_start_date"),
    Group("pnc_id", {"pnc_id": "pnc_id_canonical"}, ("police", "probation")),
    Group("cro_number", {"cro_number": "cro_number_canonical"}, ("police", "probation")),
    Group("nhs_number", {"nhs_number": "nhs_number_canonical"}, ("health",)),
    Group("crn", {"crn": "crn_canonical"}, ("probation",)),
    Group("nomis_number", {"nomis_number": "nomis_number_canonical"}, ("probation", "police")),
    Group("offence", {"offence_type": "offence_type", "offence_date": "offence_date",
                      "offence_count_12m": "offence_count_12m", "rfg_score": "rfg_score",
                      "da_flag": "da_flag"}, ("police",), recency="offence_date"),
    Group("probation", {"ogrs_score": "ogrs_score", "rosh_level": "rosh_level",
                        "sentence_type": "sentence_type",
                        "sentence_end_date": "sentence_end_date",
                        "offender_manager": "offender_manager",
                        "offender_manager_team": "offender_manager_team"},
          ("probation",), recency="sentence_end_date"),
    Group("health", {"health_service": "health_service", "referral_date": "referral_date",
                     "treatment_status": "treatment_status",
                     "primary_substance": "primary_substance"},
          ("health",), recency="referral_date"),
    Group("housing", {"accommodation_status": "accommodation_status",
                      "housing_provider": "housing_provider",
                      "tenancy_start_date": "tenancy_start_date"},
          ("housing",), recency="tenancy_start_date"),
)  # fmt: skip
"""Every field of the person view, in output order."""

VIEW_FIELDS: tuple[str, ...] = tuple(f for group in GROUPS for f in group.fields)
"""The fields of the person view, in column order (each with its :func:`source_column`)."""

FIELD_GROUPS: dict[str, str] = {f: group.name for group in GROUPS for f in group.fields}
"""View field -> the group whose records it is taken from."""


def candidates_column(group: str) -> str:
    """The column listing a group's candidates, one per feed, best first (see the module)."""
    return f"{group}__candidates"


def source_order(group: Group, config: SurvivorshipConfig) -> tuple[str, ...]:
    """The source order for a group after configuration overrides."""
    if group.name in config.fields:
        return tuple(config.fields[group.name])
    if config.sources is not None and group.name in IDENTITY_GROUPS:
        return tuple(config.sources)
    return group.sources


def _rank_sql(sources: tuple[str, ...]) -> str:
    if not sources:
        return "0"
    cases = " ".join(f"WHEN {quote_literal(s)} THEN {i}" for i, s in enumerate(sources))
    return f"CASE source {cases} ELSE {len(sources)} END"


def _recency_key(expression: str) -> str:
    """An ascending key for "latest first, missing last" of a date expression."""
    return f"coalesce(-date_diff('day', DATE '1970-01-01', {expression}), 9223372036854775807)"


def persons_sql(records: str, assignment: str, config: SurvivorshipConfig) -> str:
    """SQL for the person view.

    ``records`` holds canonical records; ``assignment`` maps (source, source_record_id) to
    person_id. The result has person_id, record_count, sources, then F and F__source for every
    view field, then :func:`candidates_column` for every group. A person with one record takes
    its values as they are. For the others, per person, feed and group, ``min`` keeps the record
    that comes first by the group's order (a struct whose first member is the ordering key, so
    structs compare as their keys do); per person the feeds' picks are listed and sorted the
    same way, and the first wins. Rows come in no particular order (readers sort by person_id
    when they need to).
    """
    per_feed, ranked, singles, winners, candidates, selects, listed = [], [], [], [], [], [], []
    for group in GROUPS:
        present = " OR ".join(f"({expr}) IS NOT NULL" for expr in group.fields.values())
        order = [group.prefer] if group.prefer else []
        order.append(_rank_sql(source_order(group, config)))
        order.append("source")
        if group.recency:
            order.append(_recency_key(group.recency))
        order.append("source_record_id")
        key = ", ".join(f"'k{i}': {term}" for i, term in enumerate(order))
        values = ", ".join(f"'{field}': ({expr})" for field, expr in group.fields.items())
        pick = f"{values}, '{CANDIDATE_SOURCE}': source"
        g, w = f"g_{group.name}", f"w_{group.name}"
        per_feed.append(f"min({{'_key': {{{key}}}, {pick}}}) FILTER (WHERE {present}) AS {g}")
        ranked.append(f"list_sort(list({g}) FILTER (WHERE {g} IS NOT NULL)) AS {g}")
        singles.append(f"CASE WHEN {present} THEN {{{pick}}} END AS {w}")
        winners.append(f"{g}[1] AS {w}")
        plain = ", ".join(f"'{name}': c.{name}" for name in [*group.fields, CANDIDATE_SOURCE])
        candidates.append(
            f"CASE WHEN len({g}) > 1 THEN list_transform({g}, lambda c: {{{plain}}}) END AS {g}"
        )
        for field in group.fields:
            selects.append(f"{w}.{field} AS {field}")
            selects.append(
                f"CASE WHEN {w}.{field} IS NOT NULL THEN {w}.{CANDIDATE_SOURCE} "
                f"END AS {source_column(field)}"
            )
        listed.append(f"{g} AS {candidates_column(group.name)}")
    return f"""
WITH sized AS (
    SELECT person_id, source, source_record_id,
        count(*) OVER (PARTITION BY person_id) AS record_count
    FROM {assignment}
),
joined AS (
    SELECT s.person_id, s.record_count, r.* FROM {records} r
    JOIN sized s USING (source, source_record_id)
),
feeds AS (
    SELECT person_id, source, any_value(record_count) AS record_count, {", ".join(per_feed)}
    FROM joined WHERE record_count > 1
    GROUP BY person_id, source
),
ranked AS (
    SELECT person_id, any_value(record_count) AS record_count,
        list_sort(list(source)) AS sources, {", ".join(ranked)}
    FROM feeds
    GROUP BY person_id
),
picked AS (
    SELECT person_id, record_count, [source] AS sources, {", ".join(singles)}
    FROM joined WHERE record_count = 1
    UNION ALL BY NAME
    SELECT person_id, record_count, sources, {", ".join(winners)}, {", ".join(candidates)}
    FROM ranked
)
SELECT person_id AS {PERSON_ID}, CAST(record_count AS BIGINT) AS record_count,
    sources AS {SOURCES}, {", ".join(selects)}, {", ".join(listed)}
FROM picked
"""
