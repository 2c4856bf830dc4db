"""What a release must not reveal by its shape: a missing value never points at a record the
recipient may not see, and quasi-identifiers never single a person out (k-anonymity).

Populations are generated as partner records, linked to people and turned into the matched view
by survivorship itself, so the candidates each feed offers come from the real query.
"""

from __future__ import annotations

import datetime
import os
from typing import Any

import duckdb
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sharing_support import FEEDS, make_persons

from matching.config import SurvivorshipConfig
from matching.survivorship import persons_sql
from schemas.canonical import arrow_schema
from sharing_agreements.checks import check_release
from sharing_agreements.model import Agreement
from sharing_agreements.policy import RecipientPolicy, recipient_policy
from sharing_agreements.pseudonyms import derive_key
from sharing_agreements.view_builder import build_view

TODAY = datetime.date(2026, 6, 1)
KEY = derive_key(os.urandom(32), "r1")
PROPERTY_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
RELEASED_FIELDS = ("forename", "surname", "date_of_birth", "sex", "postcode", "pnc_id",
                   "offence_type", "health_service", "accommodation_status")  # fmt: skip


def _agreement(providers: list[str], fields: dict[str, Any], **extra: Any) -> Agreement:
    return Agreement.model_validate({
        "id": "A1", "title": "Generated", "version": "1",
        "parties": [{"name": "P", "role": "provider"}, {"name": "R", "role": "recipient"}],
        "providers": providers, "recipients": ["r1"], "purpose": "Generated for a test.",
        "lawful_basis": [{"regime": "dpa2018_part3", "section": "35", "schedule": "S8"}],
        "start_date": datetime.date(2025, 1, 1), "review_date": datetime.date(2026, 1, 1),
        "expiry_date": datetime.date(2027, 12, 31), "retention_days": 30,
        "contacts": [{"role": "SPoC", "name": "X", "email": "x@example.org"}],
        "fields": fields, **extra,
    })  # fmt: skip


# --- generated partner records --------------------------------------------------------------


def _record(draw: st.DrawFn, person: int, number: int, source: str) -> dict[str, Any]:
    maybe = st.none() | st.just(True)
    record: dict[str, Any] = {"source": source, "source_record_id": f"{source}-{person}-{number}",
                              "extract_id": f"{source}-x1", "person_id": f"P{person}"}  # fmt: skip
    if draw(maybe):
        record["forename"] = draw(st.sampled_from(["Anna", "Bill", "Ruth"]))
        record["surname"] = draw(st.sampled_from(["Khan", "Wood", "Nowak"]))
    if draw(maybe):
        record["date_of_birth"] = datetime.date(draw(st.integers(1970, 1990)),
                                                draw(st.sampled_from([1, 6])), 1)  # fmt: skip
    if draw(maybe):
        record["sex"] = draw(st.sampled_from(["male", "female", "unknown"]))
    if draw(maybe):
        record["postcode_canonical"] = draw(st.sampled_from(["TR15 9RR", "PL25 4DJ"]))
        record["postcode"] = record["postcode_canonical"]
    if source == "police" and draw(maybe):
        record["offence_type"] = draw(st.sampled_from(["Burglary", "Theft"]))
        record["offence_date"] = datetime.date(2025, draw(st.integers(1, 12)), 1)
    if source in ("police", "probation") and draw(maybe):
        record["pnc_id_canonical"] = draw(st.sampled_from(["2013/0686271U", "2001/0000001X"]))
        record["pnc_id"] = record["pnc_id_canonical"]
    if source == "health" and draw(maybe):
        record["health_service"] = "Drug and alcohol"
        record["referral_date"] = datetime.date(2025, draw(st.integers(1, 12)), 1)
    if source == "housing" and draw(maybe):
        record["accommodation_status"] = draw(st.sampled_from(["Settled", "Temporary"]))
    return record


@st.composite
def populations(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Partner records of 1 to 12 people, each known to one to five records of any feeds."""
    records = []
    for person in range(draw(st.integers(1, 12))):
        feeds = draw(st.lists(st.sampled_from(FEEDS), min_size=1, max_size=5))
        records += [_record(draw, person, n, feed) for n, feed in enumerate(feeds)]
    return records


@st.composite
def hidden_feed_policies(draw: st.DrawFn) -> tuple[RecipientPolicy, tuple[str, ...]]:
    """A recipient's policy and the feeds it may not see (at least one)."""
    visible = draw(st.lists(st.sampled_from(FEEDS), min_size=1, max_size=3, unique=True))
    fields: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from(RELEASED_FIELDS), min_size=1, unique=True)):
        clause: dict[str, Any] = {"treatment": "keep"}
        if name == "postcode" and draw(st.booleans()):
            clause = {"treatment": "generalise", "to": "district"}
        if name == "pnc_id" and draw(st.booleans()):
            clause = {"treatment": "pseudonymise"}
        if draw(st.booleans()):
            clause["from"] = draw(st.lists(st.sampled_from(visible), min_size=1, unique=True))
        fields[name] = clause
    extra = {}
    if draw(st.booleans()):
        extra["subjects"] = {
            "known_to": draw(st.lists(st.sampled_from(visible), min_size=1, unique=True))
        }
    policy = recipient_policy([_agreement(visible, fields, **extra)], "r1", FEEDS, TODAY)
    return policy, tuple(feed for feed in FEEDS if feed not in visible)


def _release(records: list[dict[str, Any]], policy: RecipientPolicy) -> dict[str, dict]:
    """The recipient's rows by pseudonym, built from partner records through survivorship."""
    con = duckdb.connect()
    con.register("records", pa.Table.from_pylist(records, schema=arrow_schema()))
    assignment = [{"person_id": r["person_id"], "source": r["source"],
                   "source_record_id": r["source_record_id"]} for r in records]  # fmt: skip
    text = pa.string()
    con.register("assignment", pa.Table.from_pylist(assignment, schema=pa.schema(
        [("person_id", text), ("source", text), ("source_record_id", text)])))  # fmt: skip
    survivors = persons_sql("records", "assignment", SurvivorshipConfig())
    con.execute(f"CREATE TEMP TABLE persons AS {survivors}")
    view = build_view(con, "persons", policy, KEY)
    release = view.table
    assert check_release(con, release, policy, "persons", view.rows) == []
    return {row["person_id"]: row for row in release.to_pylist()}


@PROPERTY_SETTINGS
@given(records=populations(), drawn=hidden_feed_policies())
def test_records_a_recipient_may_not_see_never_change_its_release(
    records: list[dict[str, Any]], drawn: tuple[RecipientPolicy, tuple[str, ...]]
) -> None:
    policy, hidden = drawn
    seen = [r for r in records if r["source"] not in hidden]
    assert _release(records, policy) == _release(seen, policy)


def test_a_health_record_does_not_empty_sex_for_a_recipient_not_allowed_health() -> None:
    probation = {"source": "probation", "source_record_id": "PR-1", "extract_id": "x",
                 "person_id": "P1", "sex": "male", "surname": "Khan"}  # fmt: skip
    health = {"source": "health", "source_record_id": "HE-1", "extract_id": "x",
              "person_id": "P1", "sex": "female", "surname": "Khan"}  # fmt: skip
    policy = recipient_policy(
        [_agreement(["police", "probation"], {"sex": "keep", "surname": "keep"})],
        "r1", FEEDS, TODAY,
    )  # fmt: skip
    (alone,) = _release([probation], policy).values()
    (with_health,) = _release([probation, health], policy).values()
    assert alone == with_health and with_health["sex"] == "male"


# --- k-anonymity ----------------------------------------------------------------------------

QUASI_IDENTIFIERS = ("date_of_birth", "sex", "postcode")


def _k_anonymous_policy(k: int) -> RecipientPolicy:
    fields = {
        "date_of_birth": {"treatment": "k_anonymise", "k": k, "to": "year"},
        "sex": {"treatment": "k_anonymise", "k": k},
        "postcode": {"treatment": "k_anonymise", "k": k, "to": "district"},
        "surname": "keep",
    }
    return recipient_policy([_agreement(list(FEEDS), fields)], "r1", FEEDS, TODAY)


def _groups(release: pa.Table) -> dict[tuple[Any, ...], int]:
    sizes: dict[tuple[Any, ...], int] = {}
    for row in release.select(list(QUASI_IDENTIFIERS)).to_pylist():
        combination = tuple(row.values())
        if any(value is not None for value in combination):
            sizes[combination] = sizes.get(combination, 0) + 1
    return sizes


@settings(max_examples=15, deadline=None)
@given(count=st.integers(20, 300), seed=st.integers(0, 10_000), k=st.integers(2, 6))
def test_every_combination_of_quasi_identifiers_is_shared_by_k_people(
    count: int, seed: int, k: int
) -> None:
    persons = make_persons(count, seed=seed)
    policy = _k_anonymous_policy(k)
    con = duckdb.connect()
    con.register("persons", persons)
    view = build_view(con, "persons", policy, KEY)
    release = view.table
    sizes = _groups(release)
    assert all(size >= k for size in sizes.values())
    found = view.k_anonymity
    assert found is not None and found.quasi_identifiers == QUASI_IDENTIFIERS and found.k == k
    assert found.achieved == (min(sizes.values()) if sizes else None)
    unsuppressed = _groups(build_view(con, "persons", _k_anonymous_policy(2), KEY).table)
    small = sum(n for n in unsuppressed.values() if n < k)
    assert found.suppressed >= small - sum(n for n in unsuppressed.values() if n < 2)
    assert check_release(con, release, policy, "persons", view.rows) == []


def test_a_release_with_a_small_group_is_refused() -> None:
    persons = make_persons(200, seed=3)
    policy = _k_anonymous_policy(5)
    con = duckdb.connect()
    con.register("persons", persons)
    view = build_view(con, "persons", policy, KEY)
    release = view.table
    assert view.k_anonymity is not None and view.k_anonymity.suppressed > 0
    years = release.column("date_of_birth").to_pylist()
    index = next(i for i, row in enumerate(release.to_pylist())
                 if row["date_of_birth"] is None and row["sex"] is None)  # fmt: skip
    years[index] = 1900
    leaked = release.set_column(
        release.column_names.index("date_of_birth"), "date_of_birth", pa.array(years, pa.int32())
    )
    problems = check_release(con, leaked, policy, "persons", view.rows)
    assert problems == ["date_of_birth, sex, postcode: 1 group(s) smaller than 5"]
