"""The hub's settings: one precedence for secrets, values never shown, read once and passed down."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from hub.audit.events import ConfigRemoved
from hub.audit.log import current_actor
from hub.config import load_config
from hub.settings import HubSettings
from hub.workspace import Workspace
from schemas.errors import ConfigError

EXAMPLE_CONFIG = Path(__file__).resolve().parent.parent / "examples" / "config" / "hub.yaml"


def _key() -> str:
    return secrets.token_hex(32)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_variable_beats_the_file_which_beats_the_secrets_folder(tmp_path: Path) -> None:
    variable, in_file, in_folder = _key(), _key(), _key()
    named = _write(tmp_path / "named" / "audit", in_file)
    folder = _write(tmp_path / "folder" / "audit_key", in_folder).parent
    every = HubSettings(audit_key=variable, audit_key_file=named, secrets_dir=folder)
    no_variable = every.model_copy(update={"audit_key": None})
    folder_only = no_variable.model_copy(update={"audit_key_file": None})
    assert every.audit_key_bytes() == bytes.fromhex(variable)
    assert no_variable.audit_key_bytes() == bytes.fromhex(in_file)
    assert folder_only.audit_key_bytes() == bytes.fromhex(in_folder)


def test_a_file_named_by_x_file_is_read_without_its_newline(tmp_path: Path) -> None:
    key = _key()
    settings = HubSettings(master_key_file=_write(tmp_path / "master", f"{key}\n"))
    assert settings.master_key_bytes() == bytes.fromhex(key)


def test_a_missing_file_falls_through_to_the_secrets_folder(tmp_path: Path) -> None:
    key = _key()
    folder = _write(tmp_path / "keys" / "master_key", key).parent
    settings = HubSettings(master_key_file=tmp_path / "absent", secrets_dir=folder)
    assert settings.master_key_bytes() == bytes.fromhex(key)


def test_the_same_variable_names_are_read_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    audit, master = _key(), _key()
    monkeypatch.setenv("IOMHUB_AUDIT_KEY_FILE", str(_write(tmp_path / "a", audit)))
    monkeypatch.setenv("IOMHUB_MASTER_KEY", master)
    monkeypatch.setenv("IOMHUB_AUDIT_KEY", "")  # set but empty: as if unset
    monkeypatch.setenv("IOMHUB_ACTOR", "iom-data-officer")
    settings = HubSettings()
    assert settings.audit_key_bytes() == bytes.fromhex(audit)
    assert settings.master_key_bytes() == bytes.fromhex(master)
    assert settings.actor_name == "iom-data-officer" == current_actor(settings)
    assert settings.secrets_dir is not None  # IOMHUB_SECRETS_DIR, set for every test


def test_a_missing_secret_names_every_place_searched(tmp_path: Path) -> None:
    settings = HubSettings(audit_key_file=tmp_path / "nowhere", secrets_dir=tmp_path / "empty")
    with pytest.raises(ConfigError) as raised:
        settings.audit_key_bytes()
    message = raised.value.message
    assert "no audit_key is set" in message
    for place in (
        "environment variable IOMHUB_AUDIT_KEY",
        f"file named by IOMHUB_AUDIT_KEY_FILE ({tmp_path / 'nowhere'})",
        f"folder named by IOMHUB_SECRETS_DIR ({tmp_path / 'empty' / 'audit_key'})",
    ):
        assert place in message
    assert message.index("IOMHUB_AUDIT_KEY;") < message.index("_FILE") < message.index("SECRETS")
    assert "IOMHUB_AUDIT_KEY_FILE=FILE" in (raised.value.hint or "")


def test_places_not_configured_are_said_to_be_unset() -> None:
    settings = HubSettings.model_construct()  # nothing from the environment at all
    with pytest.raises(ConfigError, match=r"IOMHUB_MASTER_KEY_FILE \(not set\).*DIR \(not set\)"):
        settings.master_key_bytes()


def test_secret_values_never_render(tmp_path: Path) -> None:
    audit, master = _key(), _key()
    settings = HubSettings(audit_key=audit, master_key=master, actor="ops")
    config = load_config(EXAMPLE_CONFIG, settings=settings, environment=_example_env(tmp_path))
    for shown in (repr(settings), str(settings), settings.model_dump_json(), repr(config),
                  str(config), config.model_dump_json()):  # fmt: skip
        assert audit not in shown and master not in shown
    assert "**********" in repr(settings)


def test_too_short_a_key_is_refused_without_showing_it() -> None:
    with pytest.raises(ConfigError, match="at least 32 bytes") as raised:
        HubSettings(audit_key="short-secret").audit_key_bytes()
    assert "short-secret" not in str(raised.value)


def _example_env(tmp_path: Path) -> dict[str, str]:
    return {"IOMHUB_DROP_ROOT": str(tmp_path / "drop"), "IOMHUB_WORKSPACE": str(tmp_path / "ws")}


def test_the_config_loader_takes_its_environment_and_settings_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IOMHUB_WORKSPACE", str(tmp_path / "from-the-process"))
    settings = HubSettings(audit_key=_key(), actor="reviewer")
    config = load_config(EXAMPLE_CONFIG, settings=settings, environment=_example_env(tmp_path))
    assert config.workspace == (tmp_path / "ws").resolve()
    assert config.settings is settings
    assert config.feeds[0].source.path.parent == tmp_path / "drop"  # type: ignore[union-attr]


def test_the_audit_log_is_keyed_and_signed_by_the_settings_passed(tmp_path: Path) -> None:
    settings = HubSettings(audit_key=_key(), actor="iom-data-officer")
    audit = Workspace(tmp_path / "ws").open_audit(settings)
    (tmp_path / "ws" / "audit").mkdir(parents=True)
    entry = audit.record(ConfigRemoved(file="feeds/gone.yaml", sha256="0" * 64))
    assert entry.actor == "iom-data-officer"
    assert Workspace(tmp_path / "ws").open_audit(settings).verify().ok
    other = HubSettings(audit_key=_key())
    assert not Workspace(tmp_path / "ws").open_audit(other).verify().ok


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (EXAMPLE_CONFIG.parents[2] / "README.md").read_text(encoding="utf-8")
    for name in HubSettings.model_fields:
        assert f"`IOMHUB_{name.upper()}`" in readme, name
