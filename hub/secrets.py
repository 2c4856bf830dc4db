"""Secrets the hub needs, read from the environment or from files: never from YAML.

Each secret ``X`` is looked up, in order, as the environment variable ``IOMHUB_X``, then as the
file named by ``IOMHUB_X_FILE``, then as the file ``X`` in the folder named by
``IOMHUB_SECRETS_DIR``. Values never appear in reprs, logs or messages; a missing secret's error
lists every place searched.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import SecretStr

from schemas.errors import ConfigError

ENV_PREFIX = "IOMHUB_"


def _places(name: str) -> list[str]:
    upper = name.upper()
    places = [f"environment variable {ENV_PREFIX}{upper}",
              f"file named by {ENV_PREFIX}{upper}_FILE"]  # fmt: skip
    places.append(f"file {name.lower()} in the folder named by {ENV_PREFIX}SECRETS_DIR")
    return places


def find_secret(name: str) -> SecretStr | None:
    """The named secret (e.g. ``audit_key``), or None when it is set nowhere."""
    upper = name.upper()
    if value := os.environ.get(f"{ENV_PREFIX}{upper}"):
        return SecretStr(value.strip())
    candidates = []
    if file_name := os.environ.get(f"{ENV_PREFIX}{upper}_FILE"):
        candidates.append(Path(file_name))
    if folder := os.environ.get(f"{ENV_PREFIX}SECRETS_DIR"):
        candidates.append(Path(folder) / name.lower())
    for candidate in candidates:
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


def require_secret(name: str, purpose: str) -> SecretStr:
    """The named secret; ConfigError listing every place searched when it is missing."""
    secret = find_secret(name)
    if secret is None:
        raise ConfigError(
            f"no {name} is set ({purpose}); searched: {'; '.join(_places(name))}",
            hint=f"create one with `iomhub keys generate --out FILE`, then set "
            f"{ENV_PREFIX}{name.upper()}_FILE=FILE",
        )
    return secret


def secret_bytes(secret: SecretStr) -> bytes:
    """Key material from a secret written as hex (64+ digits) or as text."""
    value = secret.get_secret_value()
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raw = value.encode("utf-8")
    if len(raw) < 32:
        raise ConfigError("a key must carry at least 32 bytes (64 hex digits)")
    return raw
