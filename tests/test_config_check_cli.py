"""``iomhub config check`` end to end: the current extract sampled, agreements, keys, exit codes."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import EXAMPLE_CONFIG, police_row, write_police

from hub.cli import main


def _check(*arguments: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [*arguments[:-1], "config", "check", "--config",
                                       arguments[-1]])  # fmt: skip
    return result.exit_code, result.stdout, result.stderr


def test_a_sound_config_reports_feeds_agreements_and_keys(approved_example_env: Path) -> None:
    code, out, err = _check(str(EXAMPLE_CONFIG))
    assert code == 0, out + err
    assert "4 agreements loaded" in out
    assert "audit_key: found" in out and "master_key: found" in out
    assert "valid" in out and "error" not in err


def test_a_current_extract_read_with_day_and_month_swapped_warns_but_exits_0(
    example_env: Path,
) -> None:
    chooser = random.Random(3)
    dobs = [f"{chooser.randint(1, 12):02d}/{chooser.randint(1, 12):02d}/19{chooser.randint(60, 99)}"
            for _ in range(300)]  # fmt: skip
    rows = [police_row(f"DC{i:08d}", pnc="", dob=dob) for i, dob in enumerate(dobs)]
    write_police(example_env / "police", rows)
    run = CliRunner().invoke(main, ["run", "--config", str(EXAMPLE_CONFIG)])
    assert run.exit_code in (0, 4), run.output
    code, out, err = _check("--json", str(EXAMPLE_CONFIG))
    assert code == 0, err
    document = json.loads(out)
    assert document["feeds"]["police"]["sample"]["rows_read"] == 300
    (warning,) = [w for w in document["warnings"] if w["subject"] == "feed police"]
    assert "date_of_birth" in warning["message"] and "swapped" in warning["message"]
    code, out, err = _check(str(EXAMPLE_CONFIG))
    assert code == 0 and "warning: feed police: current extract" in err
    assert all(dob not in out + err for dob in dobs)


def test_a_missing_key_exits_2_and_names_where_it_was_looked_for(
    example_env: Path, hub_keys: Path
) -> None:
    (hub_keys / "master_key").unlink()
    code, out, err = _check(str(EXAMPLE_CONFIG))
    assert code == 2
    assert "master_key: MISSING" in out
    assert "error: keys: no master_key is set" in err and "IOMHUB_MASTER_KEY_FILE" in err
    assert (hub_keys / "audit_key").read_text() not in out + err


def test_a_bad_agreement_is_an_error_of_config_check(example_env: Path, tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(EXAMPLE_CONFIG.parent, config)
    agreement = config / "agreements" / "performance-analyst.yaml"
    agreement.write_text(agreement.read_text().replace("providers: [police, probation]",
                                                       "providers: [police, polize]"))  # fmt: skip
    code, out, err = _check(str(config / "hub.yaml"))
    assert code == 2, out + err
    assert "error: agreements:" in err and "performance-analyst.yaml" in err


@pytest.mark.parametrize("variable_set", [False, True])
def test_an_sftp_feed_s_missing_key_file_and_password_variable_are_errors(
    example_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable_set: bool
) -> None:
    config = tmp_path / "config"
    shutil.copytree(EXAMPLE_CONFIG.parent, config)
    feed = config / "feeds" / "police.yaml"
    text = feed.read_text().replace(
        "  kind: folder\n  path: ${IOMHUB_DROP_ROOT}/police\n",
        "  kind: sftp\n  host: 127.0.0.1\n  username: iomhub\n  folder: /outgoing\n"
        '  host_key: "127.0.0.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabg'
        'H5C9okWi0dh2l9GKJl"\n  private_key_file: keys/police_ed25519\n'
        "  password_env: POLICE_SFTP_PASSWORD\n",
    )
    feed.write_text(text)
    if variable_set:
        monkeypatch.setenv("POLICE_SFTP_PASSWORD", "not-printed-anywhere")
    code, out, err = _check("--json", str(config / "hub.yaml"))
    assert code == 2
    errors = [e["message"] for e in json.loads(out)["errors"]]
    assert any(m.startswith("private key file ") and m.endswith("does not exist") for m in errors)
    assert ("password variable POLICE_SFTP_PASSWORD is not set" in errors) is not variable_set
    assert "not-printed-anywhere" not in out + err
