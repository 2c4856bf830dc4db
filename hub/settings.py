"""The hub's settings from its environment: secrets and the operator's name, typed, read once.

:class:`HubSettings` reads the ``IOMHUB_`` variables (pydantic-settings) once, at the edge (the
CLI, or :func:`hub.config.load_config` for library callers), and is passed down inside the loaded
config; nothing deeper reads ``os.environ``. Secrets are never written in YAML.

Each secret ``x`` (``audit_key``, ``master_key``, ``witness_key``, ``oidc_client_secret``) is
looked up in this order, the first found winning:

1. the environment variable ``IOMHUB_X`` (the value itself);
2. the file named by ``IOMHUB_X_FILE``;
3. the file ``x`` in the folder named by ``IOMHUB_SECRETS_DIR``.

A file holds the value alone; surrounding whitespace is ignored. Values are :class:`SecretStr`:
they never appear in reprs, logs or messages, and a missing secret's error lists every place
searched.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.errors import ConfigError

ENV_PREFIX = "IOMHUB_"
SecretName = Literal["audit_key", "master_key", "witness_key", "oidc_client_secret"]
MIN_KEY_BYTES = 32
WITNESS_KEY_BYTES = 32


class HubSettings(BaseSettings):
    """Secrets and the operator's name, from ``IOMHUB_*`` variables (see the module docstring)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_ignore_empty=True, extra="ignore", frozen=True
    )

    audit_key: SecretStr | None = None
    """IOMHUB_AUDIT_KEY: the key authenticating the audit log (hex, 64+ digits, or text)."""
    audit_key_file: Path | None = None
    """IOMHUB_AUDIT_KEY_FILE: a file holding the audit key."""
    master_key: SecretStr | None = None
    """IOMHUB_MASTER_KEY: the key every recipient's pseudonym key is derived from."""
    master_key_file: Path | None = None
    """IOMHUB_MASTER_KEY_FILE: a file holding the master key."""
    witness_key: SecretStr | None = None
    """IOMHUB_WITNESS_KEY: the Ed25519 key (64 hex digits) signing the audit log's checkpoints;
    kept apart from the audit key."""
    witness_key_file: Path | None = None
    """IOMHUB_WITNESS_KEY_FILE: a file holding the witness key."""
    oidc_client_secret: SecretStr | None = None
    """IOMHUB_OIDC_CLIENT_SECRET: the web app's client secret at its OpenID Connect provider."""
    oidc_client_secret_file: Path | None = None
    """IOMHUB_OIDC_CLIENT_SECRET_FILE: a file holding the OpenID Connect client secret."""
    secrets_dir: Path | None = None
    """IOMHUB_SECRETS_DIR: a folder holding ``audit_key``, ``master_key``, ``witness_key`` and
    ``oidc_client_secret`` files."""
    actor: str | None = None
    """IOMHUB_ACTOR: the operator or service account named in the audit log."""

    @property
    def actor_name(self) -> str:
        """Who is running the hub: ``IOMHUB_ACTOR``, else the operating-system user."""
        return self.actor or getpass.getuser()

    def places(self, name: SecretName) -> list[str]:
        """Every place the secret is looked for, in order, as words for a message."""
        upper = f"{ENV_PREFIX}{name.upper()}"
        file_name = getattr(self, f"{name}_file")
        return [
            f"environment variable {upper}",
            f"file named by {upper}_FILE" + (f" ({file_name})" if file_name else " (not set)"),
            f"file {name} in the folder named by {ENV_PREFIX}SECRETS_DIR"
            + (f" ({self.secrets_dir / name})" if self.secrets_dir else " (not set)"),
        ]

    def find_secret(self, name: SecretName) -> SecretStr | None:
        """The named secret from the first place that holds it, or None when none does."""
        value: SecretStr | None = getattr(self, name)
        if value is not None and value.get_secret_value().strip():
            return SecretStr(value.get_secret_value().strip())
        candidates: list[Path] = [getattr(self, f"{name}_file")]
        if self.secrets_dir is not None:
            candidates.append(self.secrets_dir / name)
        for candidate in candidates:
            if candidate is None:
                continue
            try:
                text = candidate.read_text(encoding="utf-8").strip()
            except FileNotFoundError:
                continue
            except OSError as error:
                raise ConfigError(
                    f"cannot read the {name} file {candidate}: {error.strerror}"
                ) from error
            if text:
                return SecretStr(text)
        return None

    def require_secret(self, name: SecretName, purpose: str) -> SecretStr:
        """The named secret; ConfigError listing every place searched when it is missing."""
        secret = self.find_secret(name)
        if secret is None:
            raise ConfigError(
                f"no {name} is set ({purpose}); searched: {'; '.join(self.places(name))}",
                hint=f"create one with `iomhub keys generate --out FILE`, then set "
                f"{ENV_PREFIX}{name.upper()}_FILE=FILE",
            )
        return secret

    def audit_key_bytes(self) -> bytes:
        """The audit key's bytes (it authenticates the audit log)."""
        return secret_bytes(self.require_secret("audit_key", "it authenticates the audit log"))

    def master_key_bytes(self) -> bytes:
        """The master key's bytes (every recipient's pseudonym key is derived from it)."""
        purpose = "every recipient's pseudonym key is derived from it"
        return secret_bytes(self.require_secret("master_key", purpose))

    def witness_key_bytes(self) -> bytes | None:
        """The witness key's 32 bytes (an Ed25519 private key signing the audit log's
        checkpoints), or None when none is set; ConfigError when it is the audit key."""
        secret = self.find_secret("witness_key")
        if secret is None:
            return None
        try:
            raw = bytes.fromhex(secret.get_secret_value())
        except ValueError:
            raw = b""
        if len(raw) != WITNESS_KEY_BYTES:
            raise ConfigError(
                f"the witness_key must be {WITNESS_KEY_BYTES * 2} hex digits (an Ed25519 key)",
                hint="create one with `iomhub keys generate --out FILE`",
            )
        audit_key = self.find_secret("audit_key")
        if audit_key is not None and audit_key.get_secret_value().lower() == raw.hex():
            raise ConfigError("the witness_key must not be the audit key; keep the two apart")
        return raw

    def with_secrets_dir(self, folder: Path) -> HubSettings:
        """These settings with every secret read from ``folder`` alone (the demo's own keys)."""
        return self.model_copy(
            update={
                "audit_key": None,
                "audit_key_file": None,
                "master_key": None,
                "master_key_file": None,
                "witness_key": None,
                "witness_key_file": None,
                "oidc_client_secret": None,
                "oidc_client_secret_file": None,
                "secrets_dir": folder,
            }
        )


def secret_bytes(secret: SecretStr) -> bytes:
    """Key material from a secret written as hex (64+ digits) or as text."""
    value = secret.get_secret_value()
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raw = value.encode("utf-8")
    if len(raw) < MIN_KEY_BYTES:
        raise ConfigError(f"a key must carry at least {MIN_KEY_BYTES} bytes (64 hex digits)")
    return raw
