"""Deny by default, source-aware decisions that carry their clause."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import yaml
from sharing_support import FEEDS, agreement_yaml

from sharing_agreements.model import Agreement
from sharing_agreements.policy import (
    DROPPED,
    FIELD_NOT_NAMED,
    NO_AGREEMENT,
    NOT_IN_FORCE,
    PARTNER_NOT_COVERED,
    decide,
    recipient_policy,
)

TODAY = datetime.date(2026, 6, 1)


def agreement(**overrides: Any) -> Agreement:
    return Agreement.model_validate(yaml.safe_load(agreement_yaml(**overrides)))


def test_allowed_decision_names_its_clause() -> None:
    terms = agreement(fields={"surname": {"treatment": "keep", "clause": "Schedule 2, 1.1"}})
    decision = decide([terms], "iom_team", "surname", "police", TODAY)
    assert decision.allowed and decision.code == "allowed"
    assert [str(c) for c in decision.clauses] == ["TEST-1 v1.0 Schedule 2, 1.1"]
    assert str(decision.treatment) == "keep"


@pytest.mark.parametrize(
    ("recipient", "field", "source", "code"),
    [
        ("performance", "surname", "police", NO_AGREEMENT),
        ("iom_team", "surname", "health", PARTNER_NOT_COVERED),
        ("iom_team", "forename", "police", FIELD_NOT_NAMED),
        ("iom_team", "nhs_number", "police", DROPPED),
    ],
)
def test_denials_say_why(recipient: str, field: str, source: str, code: str) -> None:
    terms = agreement(fields={"surname": "keep", "nhs_number": "drop"})
    decision = decide([terms], recipient, field, source, TODAY)
    assert not decision.allowed
    assert decision.code == code
    assert decision.reason


def test_expired_and_suspended_agreements_let_nothing_flow() -> None:
    expired = agreement(
        expiry_date=datetime.date(2026, 1, 1), review_date=datetime.date(2025, 6, 1)
    )
    decision = decide([expired], "iom_team", "surname", "police", TODAY)
    assert decision.code == NOT_IN_FORCE
    assert "expired on 2026-01-01" in decision.reason
    assert [c.agreement_id for c in decision.clauses] == ["TEST-1"]
    suspended = agreement(suspended=True)
    assert decide([suspended], "iom_team", "surname", "police", TODAY).code == NOT_IN_FORCE
    future = agreement(start_date=datetime.date(2026, 7, 1))
    assert "not in force until" in decide([future], "iom_team", "surname", "police", TODAY).reason


def test_field_clause_from_restricts_the_source() -> None:
    terms = agreement(fields={"offence_type": {"treatment": "keep", "from": ["police"]}})
    assert decide([terms], "iom_team", "offence_type", "police", TODAY).allowed
    denied = decide([terms], "iom_team", "offence_type", "probation", TODAY)
    assert denied.code == FIELD_NOT_NAMED


def test_recipient_policy_columns_and_grants() -> None:
    terms = agreement(
        where={"health_service": ["Drug and alcohol"]},
        fields={
            "surname": "keep",
            "pnc_id": {"treatment": "pseudonymise", "from": ["police"]},
            "nhs_number": "drop",
        },
    )
    policy = recipient_policy([terms], "iom_team", FEEDS, TODAY)
    assert policy.column_names == ["person_id", "surname", "pnc_id"]
    pnc = policy.column("pnc_id")
    assert pnc is not None and pnc.sources == ("police",)
    (grant,) = pnc.grants
    assert grant.known_to == ("police", "probation")
    assert grant.where == (("health_service", ("Drug and alcohol",)),)
    assert policy.retention_days == 365
    assert policy.decision("nhs_number", "police").code == DROPPED
    assert policy.decision("surname", "unheard_of").code == PARTNER_NOT_COVERED
    other = recipient_policy([terms], "performance", FEEDS, TODAY)
    assert other.columns == () and other.agreements == ()


def test_fingerprint_follows_the_policy() -> None:
    one = recipient_policy([agreement()], "iom_team", FEEDS, TODAY)
    same = recipient_policy([agreement()], "iom_team", FEEDS, TODAY)
    changed = recipient_policy([agreement(version="1.1")], "iom_team", FEEDS, TODAY)
    assert one.fingerprint() == same.fingerprint() != changed.fingerprint()
