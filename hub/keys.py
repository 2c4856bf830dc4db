"""Creating key files: random 256-bit keys written as hex, readable by their owner only."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from schemas.errors import ConfigError


def write_new_key(path: Path) -> None:
    """Create ``path`` holding a new random key; never overwrite an existing key."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # a key folder: owner only
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as error:
        raise ConfigError(f"{path} exists; a key is never overwritten") from error
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
