"""Properties of releases, for any agreements and any data.

The oracle here reads the agreements directly (not the policy module): a value of field F from
feed P reaches recipient R only if an agreement in force names R, P and F with a treatment other
than drop, the person is among its subjects and its conditions hold.
"""

from __future__ import annotations

import datetime
import os
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sharing_support import FEEDS, SERVICES, make_persons

from schemas.identifiers import CANONICALISERS
from sharing_agreements.checks import check_release
from sharing_agreements.model import Agreement
from sharing_agreements.policy import find_contradictions, recipient_policy
from sharing_agreements.pseudonyms import derive_key
from sharing_agreements.treatments import Drop, Keep, Pseudonymise
from sharing_agreements.view import FIELD_KINDS, VIEW_FIELDS, source_column
from sharing_agreements.view_builder import build_view

TODAY = datetime.date(2026, 6, 1)
MASTER = os.urandom(32)
RECIPIENTS = ("r1", "r2")
PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _treatments(field: str) -> list[dict[str, Any]]:
    options: list[dict[str, Any]] = [{"treatment": "keep"}, {"treatment": "drop"}]
    if FIELD_KINDS[field] not in ("boolean", "sex"):
        options.append({"treatment": "pseudonymise"})
    if FIELD_KINDS[field] == "date":
        options += [
            {"treatment": "generalise", "to": to} for to in ("year", "month", "five_year_band")
        ]
    if field == "postcode":
        options += [{"treatment": "generalise", "to": to} for to in ("district", "sector")]
    return options


@st.composite
def agreement_sets(draw: st.DrawFn) -> list[Agreement]:
    """One to three agreements; a field has one treatment across them (else they contradict)."""
    fields = draw(st.lists(st.sampled_from(VIEW_FIELDS), min_size=1, max_size=10, unique=True))
    treatment = {name: draw(st.sampled_from(_treatments(name))) for name in fields}
    agreements = []
    for number in range(draw(st.integers(1, 3))):
        providers = draw(st.lists(st.sampled_from(FEEDS), min_size=1, max_size=4, unique=True))
        named = draw(st.lists(st.sampled_from(fields), min_size=1, unique=True))
        clauses = {}
        for name in named:
            clause = dict(treatment[name])
            if draw(st.booleans()):
                clause["from"] = draw(st.lists(st.sampled_from(providers), min_size=1, unique=True))
            clauses[name] = clause
        state = draw(st.sampled_from(["in force"] * 4 + ["expired", "future"]))
        start = {"in force": 2025, "expired": 2023, "future": 2027}[state]
        document: dict[str, Any] = {
            "id": f"A{number}",
            "title": "Generated",
            "version": "1",
            "parties": [{"name": "P", "role": "provider"}, {"name": "R", "role": "recipient"}],
            "providers": providers,
            "recipients": draw(st.sampled_from([["r1"], ["r2"], ["r1", "r2"]])),
            "purpose": "Generated for a property test.",
            "lawful_basis": [{"regime": "dpa2018_part3", "section": "35", "schedule": "S8"}],
            "start_date": datetime.date(start, 1, 1),
            "review_date": datetime.date(start, 6, 1),
            "expiry_date": datetime.date(start + 1, 12, 31),
            "retention_days": 30,
            "contacts": [{"role": "SPoC", "name": "X", "email": "x@example.org"}],
            "fields": clauses,
        }
        if draw(st.booleans()):
            document["subjects"] = {
                "known_to": draw(st.lists(st.sampled_from(FEEDS), min_size=1, unique=True))
            }
        if draw(st.booleans()):
            document["where"] = {
                "health_service": draw(st.lists(st.sampled_from(SERVICES), min_size=1, unique=True))
            }
        agreements.append(Agreement.model_validate(document))
    return agreements


@st.composite
def persons_tables(draw: st.DrawFn) -> pa.Table:
    """A small matched view; sometimes a value's source is missing or a feed nobody knows."""
    table = make_persons(draw(st.integers(10, 30)), draw(st.integers(0, 10_000)))
    if table.num_rows and draw(st.booleans()):
        name = draw(st.sampled_from(VIEW_FIELDS))
        odd = draw(st.sampled_from([None, "fire_service"]))
        column = table.column(source_column(name))
        replaced = pc.if_else(pc.is_valid(column), pa.scalar(odd, pa.string()), column)
        index = table.column_names.index(source_column(name))
        table = table.set_column(index, source_column(name), replaced)
    return table


def _flows(agreements: list[Agreement], recipient: str, field: str, row: dict[str, Any]) -> bool:
    """The oracle: may this row's value of ``field`` reach ``recipient``?"""
    source = row[source_column(field)]
    for agreement in agreements:
        clause = agreement.fields.get(field)
        if (
            clause is None
            or recipient not in agreement.recipients
            or not agreement.in_force(TODAY)
            or source not in agreement.providers
            or (clause.from_ is not None and source not in clause.from_)
            or isinstance(clause.treatment, Drop)
        ):
            continue
        if agreement.subjects and not set(agreement.subjects.known_to) & set(row["sources"]):
            continue
        if any(str(row[name]) not in values for name, values in agreement.where.items()):
            continue
        return True
    return False


def _clear_forms(field: str, value: Any) -> set[str]:
    text = value.isoformat() if isinstance(value, datetime.date) else str(value)
    forms = {text, text.strip().upper()}
    if canonical := CANONICALISERS.get(field, lambda _: None)(text):
        forms.add(canonical)
    return forms


@PROPERTY_SETTINGS
@given(agreement_sets(), persons_tables(), st.sampled_from(RECIPIENTS))
def test_nothing_leaves_that_the_agreements_do_not_allow(
    agreements: list[Agreement], persons: pa.Table, recipient: str
) -> None:
    assert not find_contradictions(agreements)
    policy = recipient_policy(agreements, recipient, FEEDS, TODAY)
    key = derive_key(MASTER, recipient)
    con = duckdb.connect()
    con.register("persons", persons)
    view = build_view(con, "persons", policy, key)
    release = view.table
    assert check_release(con, release, policy, "persons", release.num_rows) == []

    allowed_anywhere = {
        name
        for a in agreements
        if recipient in a.recipients and a.in_force(TODAY)
        for name, clause in a.fields.items()
        if not isinstance(clause.treatment, Drop)
    }
    assert set(release.column_names) - {"person_id"} <= allowed_anywhere

    by_pseudonym = {
        key.pseudonym("person_id", row["person_id"]): row for row in persons.to_pylist()
    }
    released_people = set()
    for out in release.to_pylist():
        row = by_pseudonym[out["person_id"]]
        released_people.add(row["person_id"])
        assert any(out[name] is not None for name in release.column_names[1:])
        for name in release.column_names[1:]:
            if out[name] is None:
                continue
            assert _flows(agreements, recipient, name, row), (name, row[source_column(name)])
            rule = policy.column(name)
            assert rule is not None
            if isinstance(rule.treatment, Pseudonymise):
                assert len(out[name]) == 32
                assert out[name] not in _clear_forms(name, row[name])
            if isinstance(rule.treatment, Keep):
                assert out[name] == row[name]
    for row in persons.to_pylist():
        should = [
            n
            for n in release.column_names[1:]
            if row[n] is not None and _flows(agreements, recipient, n, row)
        ]
        keep_or_pseudonymise = [
            n
            for n in should
            if isinstance(policy.column(n).treatment, Keep | Pseudonymise)  # type: ignore[union-attr]
        ]
        if keep_or_pseudonymise:
            assert row["person_id"] in released_people
    assert view.persons_in == persons.num_rows


@settings(PROPERTY_SETTINGS, max_examples=12)
@given(agreement_sets(), st.integers(0, 10_000))
def test_pseudonyms_stay_per_recipient_and_stable_across_releases(
    agreements: list[Agreement], seed: int
) -> None:
    first = make_persons(30, seed)
    later = make_persons(30, seed + 1).slice(0, 20)  # same ids, other values, fewer people
    maps = {}
    for recipient in RECIPIENTS:
        policy = recipient_policy(agreements, recipient, FEEDS, TODAY)
        key = derive_key(MASTER, recipient)
        for label, table in (("first", first), ("later", later)):
            con = duckdb.connect()
            con.register("persons", table)
            view = build_view(con, "persons", policy, key)
            ids = view.pseudonym_map.filter(pc.equal(view.pseudonym_map["field"], "person_id"))
            maps[recipient, label] = dict(
                zip(ids["person_id"].to_pylist(), ids["pseudonym"].to_pylist(), strict=True)
            )
    for recipient in RECIPIENTS:
        first_map, later_map = maps[recipient, "first"], maps[recipient, "later"]
        for person in set(first_map) & set(later_map):
            assert first_map[person] == later_map[person]
    team, analyst = maps["r1", "first"], maps["r2", "first"]
    for person in set(team) & set(analyst):
        assert team[person] != analyst[person]
