"""The hub file's sharing settings, and the release checks on tampered views."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from sharing_support import FEEDS, agreement_yaml, make_persons, write_hub

from hub.config import load_config
from schemas.errors import ConfigError
from sharing_agreements.checks import check_release
from sharing_agreements.load import load_agreement
from sharing_agreements.policy import recipient_policy
from sharing_agreements.pseudonyms import derive_key
from sharing_agreements.view_builder import build_view


def test_recipients_and_agreements_are_resolved(tmp_path: Path) -> None:
    hub = write_hub(tmp_path, {"a.yaml": agreement_yaml()})
    config = load_config(hub)
    assert config.agreements == [tmp_path / "config" / "agreements" / "a.yaml"]
    assert config.agreements[0] in config.config_files  # changes to agreements are audited
    team = config.recipient("iom_team")
    assert team.formats == ["parquet", "csv"]
    assert team.push is not None and team.push.pattern == "*"
    assert config.recipient("performance").delivery_folder(Path("/w")) == Path(
        "/w/published/performance"
    )
    assert config.reidentifiers == ["data-officer"]
    with pytest.raises(ConfigError, match="no recipient named 'nobody'"):
        config.recipient("nobody")


def test_relative_folders_are_relative_to_the_hub_file(tmp_path: Path) -> None:
    recipients = (
        "recipients:\n  - name: iom_team\n    folder: out/team\n"
        "    push: {kind: folder, path: push/team}\n"
    )
    config = load_config(write_hub(tmp_path, {"a.yaml": agreement_yaml()}, recipients=recipients))
    team = config.recipient("iom_team")
    assert team.folder == tmp_path / "config" / "out" / "team"
    assert team.push is not None and team.push.path == tmp_path / "config" / "push" / "team"


@pytest.mark.parametrize(
    ("recipients", "expected"),
    [
        ("recipients:\n  - name: a\n  - name: a\n", "used twice"),
        ("recipients:\n  - name: a\n    formats: [xlsx]\n", "formats"),
        ("recipients:\n  - name: Bad Name\n", "name"),
    ],
)
def test_bad_recipients_are_refused(tmp_path: Path, recipients: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        load_config(write_hub(tmp_path, {"a.yaml": agreement_yaml()}, recipients=recipients))


def test_agreement_glob_must_match(tmp_path: Path) -> None:
    hub = write_hub(tmp_path, {})
    with pytest.raises(ConfigError, match="matches no file"):
        load_config(hub)


def test_checks_catch_a_tampered_release(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(agreement_yaml(), encoding="utf-8")
    policy = recipient_policy([load_agreement(path)], "iom_team", FEEDS, datetime.date(2026, 6, 1))
    persons = make_persons(80, seed=4)
    con = duckdb.connect()
    con.register("persons", persons)
    view = build_view(con, "persons", policy, derive_key(os.urandom(32), "iom_team"))
    release = view.table
    assert check_release(con, release, policy, "persons", release.num_rows) == []

    extra = release.append_column("nhs_number", pa.array(["x"] * release.num_rows))
    assert "not allowed ['nhs_number']" in check_release(con, extra, policy, "persons", 0)[0]

    clear = persons.column("pnc_id").to_pylist()[: release.num_rows]
    index = release.column_names.index("pnc_id")
    leaked = release.set_column(index, "pnc_id", pa.array(clear, pa.string()))
    problems = check_release(con, leaked, policy, "persons", release.num_rows)
    assert any("in clear where the agreement says pseudonymise" in p for p in problems)
    assert any("pnc_id" in p and "not pseudonyms" in p for p in problems)

    internal = persons.column("person_id").to_pylist()[: release.num_rows]
    exposed = release.set_column(0, "person_id", pa.array(internal, pa.string()))
    assert any("person_id" in p for p in check_release(con, exposed, policy, "persons", 0))

    index = release.column_names.index("date_of_birth")
    full = persons.column("date_of_birth").slice(0, release.num_rows)
    finer = release.set_column(index, "date_of_birth", full)
    problems = check_release(con, finer, policy, "persons", release.num_rows)
    assert any("generalised to year" in p for p in problems)
    assert check_release(con, release, policy, "persons", release.num_rows + 1) != []
