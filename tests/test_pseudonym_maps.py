"""Pseudonym maps at rest: sealed under the master key, readable only through the look-ups."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sharing_support import agreement_yaml, make_persons, published_hub

from hub.config import HubConfig
from hub.errors import PseudonymMapKeyMismatch, PseudonymMapUnreadable
from hub.governance.reidentify import ReidentificationRefused, reidentify
from hub.keys import write_new_key
from hub.run.pseudonym_maps import map_key, read_pseudonym_map
from hub.workspace import Workspace
from schemas.duckdb_session import connect

FIELDS = {"forename": "keep", "pnc_id": {"treatment": "pseudonymise", "clause": "1.4"}}


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> HubConfig:
    agreement = agreement_yaml(fields=FIELDS)
    config, team = published_hub(tmp_path, monkeypatch, agreement, make_persons(40, seed=3))
    assert team.status == "published"
    return config


def _sealed(config: HubConfig) -> Path:
    (path,) = Workspace(config.workspace).pseudonym_maps("iom_team")
    return path


def _with_master(config: HubConfig, key_file: Path) -> HubConfig:
    settings = config.settings.model_copy(update={"master_key_file": key_file})
    return config.model_copy(update={"settings": settings})


def test_the_map_on_disk_is_neither_parquet_nor_plain(hub: HubConfig) -> None:
    path = _sealed(hub)
    data = path.read_bytes()
    assert b"PAR1" not in data and path.stat().st_mode & 0o077 == 0
    with pytest.raises(pa.ArrowInvalid):
        pq.read_table(path)
    persons = pq.read_table(Workspace(hub.workspace).matched.persons).column("person_id")
    assert not any(str(p).encode() in data for p in persons.to_pylist())
    assert map_key(hub.settings.master_key_bytes()).key_id.encode() in data.splitlines()[1]
    mapping = read_pseudonym_map(path, hub.settings.master_key_bytes())
    assert 0 < len(set(mapping.column("person_id").to_pylist())) <= persons.length()
    assert set(mapping.column("person_id").to_pylist()) <= {str(p) for p in persons.to_pylist()}
    assert set(mapping.column("field").to_pylist()) == {"person_id", "pnc_id"}


def test_another_master_key_cannot_open_it(hub: HubConfig, tmp_path: Path) -> None:
    write_new_key(tmp_path / "other" / "master_key")
    other = _with_master(hub, tmp_path / "other" / "master_key")
    with pytest.raises(PseudonymMapKeyMismatch, match="sealed under key maps-v1-"):
        read_pseudonym_map(_sealed(hub), other.settings.master_key_bytes())


def test_an_altered_map_fails_authentication(hub: HubConfig) -> None:
    path = _sealed(hub)
    data = bytearray(path.read_bytes())
    data[-5] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(PseudonymMapUnreadable, match="altered"):
        read_pseudonym_map(path, hub.settings.master_key_bytes())


def test_reidentify_opens_the_map_with_the_key_and_refuses_without_it(
    hub: HubConfig, tmp_path: Path
) -> None:
    released = Workspace(hub.workspace).published / "iom_team"
    (view,) = released.glob("*/view.parquet")
    pseudonym = str(pq.read_table(view).column("pnc_id").drop_null()[0])
    audit = Workspace(hub.workspace).open_audit(hub.settings)
    found = reidentify(hub, "iom_team", pseudonym, "Checking a PNC match query", audit)
    assert found.found and found.method == "pseudonym map" and found.field == "pnc_id"
    con = connect()
    try:
        expected = con.sql(
            "SELECT CAST(person_id AS VARCHAR) FROM read_parquet($p) WHERE pnc_id IS NOT NULL",
            params={"p": str(Workspace(hub.workspace).matched.persons)},
        ).fetchall()
    finally:
        con.close()
    assert found.person_id in {row[0] for row in expected}
    write_new_key(tmp_path / "other" / "master_key")
    other = _with_master(hub, tmp_path / "other" / "master_key")
    with pytest.raises(ReidentificationRefused, match="master key held does not match"):
        reidentify(other, "iom_team", pseudonym, "Checking a PNC match query", audit)


def test_maps_kept_in_the_clear_are_sealed_by_the_next_publish(hub: HubConfig) -> None:
    from hub.output import Reporter
    from hub.run.publish import publish_all

    master = hub.settings.master_key_bytes()
    sealed = _sealed(hub)
    mapping = read_pseudonym_map(sealed, master)
    sealed.unlink()
    plain = sealed.with_name("pseudonyms.parquet")
    pq.write_table(mapping, plain)  # as releases before sealing kept it
    workspace = Workspace(hub.workspace)
    state = workspace.open_state()
    try:
        publish_all(hub, workspace, state, workspace.open_audit(hub.settings),
                    Reporter(quiet=True), recipients=["iom_team"])  # fmt: skip
    finally:
        state.close()
    assert not plain.exists() and workspace.plain_pseudonym_maps() == []
    assert read_pseudonym_map(sealed, master).equals(mapping)
