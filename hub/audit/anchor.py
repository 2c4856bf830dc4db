"""Anchors of the audit log outside its own folder: the state database's record of the last
entry, and checkpoints signed with the witness key (Ed25519, kept apart from the audit key).

An :class:`Anchor` says "entry N was written and its hash was H". The log verifies only when it
still holds entry N with hash H: deleting ``audit/``, rolling it back with an older
``head.json``, or rewriting it under the audit key is then seen. :class:`StateRecord` keeps the
anchor every write leaves in ``state.db``; a :class:`Checkpoint` is the same anchor, with the
time, signed, for the witness (:mod:`hub.audit.witness`) and for every release manifest.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field

from hub.state import StateStore

STATE_FACT = "audit:last"
"""The state database's fact holding the last entry written: ``{"sequence": n, "hash": h}``."""


@dataclass(frozen=True)
class Anchor:
    """Entry ``sequence`` was written with ``hash``, as ``source`` recorded."""

    sequence: int
    hash: str
    source: str
    """Who recorded it, for messages: 'the state database', 'the witness's checkpoint 12'."""


class StateRecord:
    """The last entry written, kept in the workspace's state database (``state.db``)."""

    def __init__(self, state_path: Path) -> None:
        self.state_path = state_path

    def recorded(self) -> Anchor | None:
        """The last entry the database recorded, or None (no database, or no record yet)."""
        if not self.state_path.exists():
            return None
        state = StateStore(self.state_path)
        try:
            value = state.fact(STATE_FACT)
        finally:
            state.close()
        if value is None:
            return None
        document = json.loads(value)
        return Anchor(int(document["sequence"]), str(document["hash"]), "the state database")

    def record(self, sequence: int, entry_hash: str) -> None:
        """Record the entry just written as the last one."""
        state = StateStore(self.state_path)
        try:
            state.set_fact(STATE_FACT, json.dumps({"sequence": sequence, "hash": entry_hash}))
        finally:
            state.close()


class Checkpoint(BaseModel):
    """The log's last entry at a time, signed with the witness key (or unsigned when the hub
    has no witness key: it still contradicts a rollback, but anyone could have written it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sequence: int = Field(ge=0, description="The last entry's sequence number (0: empty log).")
    hash: str = Field(description="The last entry's hash (64 zeros for an empty log).")
    time: str = Field(description="When the checkpoint was made, UTC ISO 8601.")
    audit_key_id: str = Field(description="The audit key's public id (which key wrote the log).")
    public_key: str | None = Field(None, description="The witness key's Ed25519 public key, hex.")
    key_id: str | None = Field(None, description="The witness key's public id.")
    signature: str | None = Field(None, description="Ed25519 over the other fields, hex.")

    def signed_bytes(self) -> bytes:
        """What the signature covers: every field but the signature, as canonical JSON."""
        body = self.model_dump(exclude={"signature"})
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    def anchor(self, source: str) -> Anchor:
        """This checkpoint as an anchor of the log."""
        return Anchor(self.sequence, self.hash, source)

    def problem(self, signer: WitnessSigner | None) -> str | None:
        """Why the checkpoint cannot be trusted, or None when ``signer``'s key signed it."""
        if signer is None:
            return "no witness key is set to check the checkpoint's signature"
        if self.signature is None or self.public_key is None:
            return "it is not signed"
        if self.public_key != signer.public_key_hex:
            return (f"it is signed with witness key {self.key_id}, not this hub's "
                    f"{signer.key_id}")  # fmt: skip
        try:
            signer.public_key.verify(bytes.fromhex(self.signature), self.signed_bytes())
        except (InvalidSignature, ValueError):
            return "its signature does not match (it was altered or forged)"
        return None


class WitnessSigner:
    """Signs checkpoints with the witness key (an Ed25519 private key)."""

    def __init__(self, private_key: bytes) -> None:
        self._key = Ed25519PrivateKey.from_private_bytes(private_key)
        self.public_key: Ed25519PublicKey = self._key.public_key()
        self.public_key_hex = self.public_key.public_bytes_raw().hex()

    @property
    def key_id(self) -> str:
        """A short public id of the key (the first 16 hex digits of its public key's SHA-256)."""
        return hashlib.sha256(bytes.fromhex(self.public_key_hex)).hexdigest()[:16]

    def sign(self, checkpoint: Checkpoint) -> Checkpoint:
        """The checkpoint with this key's public key, id and signature."""
        unsigned = checkpoint.model_copy(
            update={"public_key": self.public_key_hex, "key_id": self.key_id, "signature": None}
        )
        return unsigned.model_copy(
            update={"signature": self._key.sign(unsigned.signed_bytes()).hex()}
        )


def make_checkpoint(
    sequence: int, entry_hash: str, audit_key_id: str, signer: WitnessSigner | None
) -> Checkpoint:
    """A checkpoint of the log at entry ``sequence``, made now, signed when there is a key."""
    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")
    checkpoint = Checkpoint(sequence=sequence, hash=entry_hash, time=now,
                            audit_key_id=audit_key_id)  # fmt: skip
    return signer.sign(checkpoint) if signer is not None else checkpoint
