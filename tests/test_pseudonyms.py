"""Per-recipient keyed pseudonyms: HKDF keys, HMAC in DuckDB equal to the reference."""

from __future__ import annotations

import hashlib
import hmac
import os

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from sharing_agreements.pseudonyms import derive_key, pseudonymise

MASTER = os.urandom(32)


def test_key_ids_name_recipient_and_version_and_hide_the_key() -> None:
    key = derive_key(MASTER, "iom_team")
    assert key.key_id.startswith("iom_team-v1-")
    assert key.key.hex() not in repr(key)
    assert derive_key(MASTER, "iom_team").key == key.key
    assert derive_key(MASTER, "iom_team", 2).key != key.key
    assert derive_key(MASTER, "performance").key != key.key
    assert derive_key(os.urandom(32), "iom_team").key_id != key.key_id


def test_pseudonym_is_rfc2104_hmac_sha256_with_domain() -> None:
    key = derive_key(MASTER, "iom_team")
    expected = hmac.new(key.key, b"person_id\x1fP0000001", hashlib.sha256).hexdigest()[:32]
    assert key.pseudonym("person_id", "P0000001") == expected
    assert key.pseudonym("pnc_id", "P0000001") != expected


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=40)), min_size=1, max_size=30))
def test_bulk_pseudonyms_equal_the_reference(values: list[str | None]) -> None:
    key = derive_key(MASTER, "performance")
    bulk = pseudonymise(pa.array(values, pa.string()), key, "surname").to_pylist()
    reference = [None if v is None else key.pseudonym("surname", v) for v in values]
    assert bulk == reference


def test_two_recipients_pseudonyms_of_one_person_differ() -> None:
    ids = pa.array([f"P{i:07d}" for i in range(1000)])
    team = pseudonymise(ids, derive_key(MASTER, "iom_team"), "person_id").to_pylist()
    analyst = pseudonymise(ids, derive_key(MASTER, "performance"), "person_id").to_pylist()
    assert not set(team) & set(analyst)
    assert len(set(team)) == 1000
