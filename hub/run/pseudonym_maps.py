"""Pseudonym maps at rest: sealed under a key derived from the master key, opened in memory.

A release's pseudonym map (field, pseudonym, person_id) maps every pseudonym of the release back
to the hub's person. It is never written in the clear: publishing seals it with AES-256-GCM
under ``HKDF-SHA256(master, salt="iomhub pseudonym maps", info="pseudonym-maps:v1")`` and only
the re-identification and subject-access look-ups open it, in memory. Whoever can read the
workspace but does not hold the master key cannot read a map.

A sealed file is two header lines and the ciphertext::

    IOMHUB-SEALED-MAP 1
    {"cipher": "AES-256-GCM", "content": "parquet", "key_id": "maps-v1-1a2b3c4d", "nonce": "..."}
    <AES-GCM ciphertext of the map as Parquet, authenticated with both header lines>

The key id names the sealing key without revealing it: a map sealed under another master key is
refused by name before any decryption, and a header or ciphertext altered fails authentication.
Maps that releases published before sealing kept in the clear (``pseudonyms.parquet``) are
sealed, and the clear copies deleted, by the next publishing run (:func:`seal_plain_maps`).
"""

from __future__ import annotations

import io
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from connectors.files import fsync_path
from hub.errors import PseudonymMapKeyMismatch, PseudonymMapUnreadable
from hub.workspace import ReleaseRecord, Workspace
from sharing_agreements.pseudonyms import derive_subkey

if TYPE_CHECKING:
    import duckdb

MAGIC = b"IOMHUB-SEALED-MAP 1\n"
CIPHER = "AES-256-GCM"
MAP_TABLE = "pseudonym_maps"
"""The engine table :func:`open_pseudonym_maps` registers."""
_SALT = b"iomhub pseudonym maps"
_INFO = b"pseudonym-maps:v1"
_NONCE_BYTES = 12


@dataclass(frozen=True)
class MapKey:
    """The key pseudonym maps are sealed with. The key bytes never appear in a repr."""

    key_id: str
    key: bytes = field(repr=False)


def map_key(master: bytes) -> MapKey:
    """The map-sealing key, derived by HKDF-SHA256 from the master key under its own label."""
    key, tag = derive_subkey(master, _SALT, _INFO)
    return MapKey(f"maps-v1-{tag}", key)


def seal_table(table: pa.Table, path: Path, master: bytes) -> None:
    """Write ``table`` to ``path`` as a sealed map (owner-only file, flushed to disk)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = map_key(master)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    nonce = secrets.token_bytes(_NONCE_BYTES)
    header = {"cipher": CIPHER, "content": "parquet", "key_id": key.key_id, "nonce": nonce.hex()}
    prefix = MAGIC + json.dumps(header, sort_keys=True).encode() + b"\n"
    sealed = AESGCM(key.key).encrypt(nonce, buffer.getvalue(), prefix)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(prefix + sealed)
    fsync_path(path)


def write_pseudonym_map(con: duckdb.DuckDBPyConnection, map_sql: str, path: Path,
                        master: bytes) -> None:  # fmt: skip
    """Seal the result of ``map_sql`` (field, pseudonym, person_id) into ``path``."""
    seal_table(con.sql(map_sql).to_arrow_table(), path, master)


def read_pseudonym_map(path: Path, master: bytes) -> pa.Table:
    """Open one sealed map in memory; refuse one sealed under another key or altered."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    data = path.read_bytes()
    name = f"{path.parent.parent.name}/{path.parent.name}"
    if not data.startswith(MAGIC):
        raise PseudonymMapUnreadable(f"the pseudonym map of release {name} is not a sealed map")
    end = data.index(b"\n", len(MAGIC)) + 1
    try:
        header = json.loads(data[len(MAGIC) : end])
        key_id, nonce = str(header["key_id"]), bytes.fromhex(str(header["nonce"]))
    except (ValueError, KeyError, TypeError) as error:
        raise PseudonymMapUnreadable(
            f"the pseudonym map of release {name} has an unreadable header"
        ) from error
    key = map_key(master)
    if key_id != key.key_id:
        raise PseudonymMapKeyMismatch(
            f"the pseudonym map of release {name} was sealed under key {key_id}; "
            f"the master key held gives {key.key_id}",
            hint="use the master key the release was published with",
        )
    try:
        plain = AESGCM(key.key).decrypt(nonce, data[end:], data[:end])
    except InvalidTag as error:
        raise PseudonymMapUnreadable(
            f"the pseudonym map of release {name} fails authentication: it was altered"
        ) from error
    return pq.read_table(io.BytesIO(plain))


def seal_plain_maps(workspace: Workspace, master: bytes) -> int:
    """Seal the maps releases published before sealing kept in the clear, and delete the clear
    copies; return how many. A map sealed already (a run killed between the two) is kept."""
    plain = workspace.plain_pseudonym_maps()
    for path in plain:
        sealed = ReleaseRecord(path.parent).pseudonyms
        if not sealed.exists():
            temporary = sealed.with_name(f".{sealed.name}.partial")
            temporary.unlink(missing_ok=True)
            seal_table(pq.read_table(path), temporary, master)
            os.replace(temporary, sealed)
        path.unlink()
    return len(plain)


def open_pseudonym_maps(con: duckdb.DuckDBPyConnection, paths: list[Path], master: bytes) -> str:
    """Open the sealed maps at ``paths`` in memory as one engine table; return its name.

    Its columns: field, pseudonym, person_id, recipient, release_id (from each map's folder
    ``releases/<recipient>/<release_id>/``).
    """
    schema = pa.schema([("field", pa.string()), ("pseudonym", pa.string()),
                        ("person_id", pa.string()), ("recipient", pa.string()),
                        ("release_id", pa.string())])  # fmt: skip
    tables = []
    for path in paths:
        table = read_pseudonym_map(path, master).select(["field", "pseudonym", "person_id"])
        table = table.cast(pa.schema(list(schema)[:3]))
        rows = table.num_rows
        table = table.append_column(
            "recipient", pa.array([path.parent.parent.name] * rows, pa.string())
        )  # typed: an empty release's map has no rows to infer the type from
        tables.append(
            table.append_column("release_id", pa.array([path.parent.name] * rows, pa.string()))
        )
    con.register(MAP_TABLE, pa.concat_tables(tables) if tables else schema.empty_table())
    return MAP_TABLE
