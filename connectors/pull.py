"""Pulling a feed: complete files only, verified, landed exactly once, nothing lost.

The steps are the same for every transport: list -> refuse unsafe names -> skip temporaries ->
complete? -> already landed? -> fetch under a temporary name while hashing -> fsync -> verify the
sidecar -> rename into ``landing/<feed>/<YYYY-MM-DD>/`` read-only -> record in the ledger ->
tidy up on the partner side. A file whose size or mtime changed while it downloaded is dropped
and looked at again next time. A connection dropped mid-download resumes from the bytes already
written (within the feed's retry budget); a download over its time limit is abandoned. A crash
at any point leaves either nothing or a landed file the next run recognises by its sha256.
"""

from __future__ import annotations

import datetime
import fnmatch
import hashlib
import os
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from connectors.base import AfterLanding, Connector, RemoteFile
from connectors.config import SourceBase
from connectors.errors import DownloadTimeLimit, RemoteFileMissing
from connectors.files import fsync_path, sha256_file
from connectors.retry import Retrier
from schemas.errors import HubError

TEMPORARY_SUFFIXES = (".part", ".filepart", ".tmp", ".partial", ".crdownload")
SIDECAR_SUFFIX = ".sha256"
REJECTED_SUFFIX = ".rejected"
"""A whole file rejected on checksum, kept in the quarantine folder under this suffix."""
LANDED_MODE = 0o400
"""Landed and quarantined files: read-only, and readable by the hub's own account alone."""
CHUNK_BYTES = 1024 * 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


@dataclass(frozen=True)
class LandedFile:
    """A partner file stored byte for byte in the workspace."""

    feed: str
    name: str
    size: int
    mtime: int
    sha256: str
    path: Path


@dataclass(frozen=True)
class WaitingFile:
    """A file not yet complete, and how long it has waited as it is now."""

    name: str
    seconds: float
    too_long: bool


@dataclass
class PullReport:
    """What one pull of one feed did."""

    feed: str
    landed: list[LandedFile] = field(default_factory=list)
    already_seen: int = 0
    waiting: list[str] = field(default_factory=list)
    """Files not yet complete (still uploading or too recent)."""
    waited: list[WaitingFile] = field(default_factory=list)
    """The waiting files with how long each has waited, and whether that is too long."""
    unmatched: list[str] = field(default_factory=list)
    """Files in the location whose names do not match the feed's pattern (not taken)."""
    refused: list[str] = field(default_factory=list)
    """Reasons for names refused as unsafe, and files rejected on checksum."""
    rejected: list[str] = field(default_factory=list)
    """Files fetched and rejected on their checksum (kept in quarantine, never landed)."""
    vanished: list[str] = field(default_factory=list)
    """Files that disappeared or changed between listing and the end of their download."""


class Ledger(Protocol):
    """The workspace's record of files seen and landed (implemented by the hub's state store)."""

    def first_seen(self, feed: str, name: str, size: int, mtime: int, now: float) -> float:
        """Record an observation of (name, size, mtime); return when it was first seen so."""
        ...

    def is_landed(self, feed: str, name: str, size: int, mtime: int) -> bool:
        """Whether this exact listing (name, size, mtime) has already landed or been rejected."""
        ...

    def was_rejected(self, feed: str, name: str, size: int, mtime: int) -> bool:
        """Whether this exact listing was fetched and rejected (it stays at the partner)."""
        ...

    def record_landed(self, landed: LandedFile) -> None:
        """Record a verified landed file (idempotent on (feed, name, size, mtime, sha256))."""
        ...

    def record_rejected(
        self, feed: str, remote: RemoteFile, sha256: str, path: Path, reason: str
    ) -> None:
        """Record a fetched file rejected before landing (kept in quarantine)."""
        ...


def unsafe_name_reason(name: str) -> str | None:
    """Why a remote name must not be fetched, or None when it is safe."""
    if not name or name in {".", ".."}:
        return "empty or dot name"
    if "/" in name or "\\" in name:
        return "contains a path separator"
    if ".." in name:
        return "contains '..'"
    if _CONTROL.search(name):
        return "contains control characters"
    if os.path.isabs(name):
        return "is an absolute path"
    return None


def is_temporary(name: str) -> bool:
    """Upload temporaries and hidden files, which are never taken."""
    return name.startswith(".") or name.lower().endswith(TEMPORARY_SUFFIXES)


def _printable(name: str) -> str:
    return _CONTROL.sub("?", name)


def parse_sidecar(content: bytes) -> str | None:
    """The hex digest in a ``.sha256`` sidecar (``<hex>`` or ``<hex>  <name>``), lower-cased."""
    words = content.decode("ascii", errors="replace").split()
    if words and _HEX64.match(words[0]):
        return words[0].lower()
    return None


def fetch_verified(
    connector: Connector,
    remote: RemoteFile,
    incoming: Path,
    *,
    time_limit: float | None = None,
    retrier: Retrier | None = None,
    who: str = "",
    monotonic: Callable[[], float] = time.monotonic,
) -> tuple[Path, str]:
    """Copy a remote file into ``incoming`` under a unique temporary name; return path and sha256.

    A connection dropped mid-transfer (a transient error) resumes from the bytes already
    written, as long as ``retrier`` allows. The copy is fsynced before returning. A download
    taking longer than ``time_limit`` seconds raises :class:`DownloadTimeLimit`. On any error
    the temporary file is removed: a failed download leaves nothing behind.
    """
    incoming.mkdir(parents=True, exist_ok=True)
    temporary = incoming / f"{uuid.uuid4().hex}.part"
    digest = hashlib.sha256()
    deadline = None if time_limit is None else monotonic() + time_limit
    written = 0
    try:
        with temporary.open("wb") as target:
            while True:
                try:
                    with connector.open_read(remote.name, written) as source:
                        while chunk := source.read(CHUNK_BYTES):
                            digest.update(chunk)
                            target.write(chunk)
                            written += len(chunk)
                            if deadline is not None and monotonic() > deadline:
                                raise DownloadTimeLimit(
                                    f"{who}: downloading {remote.name!r} from "
                                    f"{connector.location} took longer than its limit of "
                                    f"{time_limit:g} s; the partial copy was removed",
                                    hint="the next run tries again; raise the source's "
                                    "download_time_limit_seconds if the file is that large",
                                )
                    break
                except HubError as error:
                    if retrier is None:
                        raise
                    retrier.wait_or_raise(error)
            target.flush()
            os.fsync(target.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary, digest.hexdigest()


def _land(temporary: Path, feed_landing: Path, name: str, sha256: str, day: str) -> Path:
    folder = feed_landing / day
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if target.exists():
        if sha256_file(target) == sha256:
            temporary.unlink()
            return target
        target = folder / f"{Path(name).stem}.{sha256[:12]}{Path(name).suffix}"
        if target.exists():
            temporary.unlink()
            return target
    os.chmod(temporary, LANDED_MODE)
    os.replace(temporary, target)
    fsync_path(folder)
    return target


def clear_incoming(incoming: Path) -> None:
    """Remove partial downloads left by an interrupted pull (they were never recorded)."""
    if incoming.is_dir():
        for leftover in incoming.glob("*.part"):
            leftover.unlink(missing_ok=True)


def pull_feed(
    connector: Connector,
    feed: str,
    source: SourceBase,
    *,
    landing: Path,
    quarantine: Path,
    ledger: Ledger,
    clock: Callable[[], float] = time.time,
    retrier: Retrier | None = None,
    report: PullReport | None = None,
) -> PullReport:
    """Pull every complete, new file of one feed into ``landing/<feed>/``.

    Raises the connector's errors for the feed as a whole (unreachable, permission, host key);
    per-file problems (unsafe name, checksum mismatch, a file changing under us) are reported
    and the pull goes on. ``retrier`` lets an interrupted download resume; ``report`` carries
    files landed by an earlier, interrupted attempt of the same pull.
    """
    report = report or PullReport(feed)
    landed_now = {(item.name, item.size, item.mtime) for item in report.landed}
    who = f"feed {feed!r}"
    feed_landing = landing / feed
    incoming = feed_landing / ".incoming"
    clear_incoming(incoming)
    listing = connector.list_files()
    names = {item.name for item in listing}
    for remote in listing:
        if reason := unsafe_name_reason(remote.name):
            report.refused.append(f"{_printable(remote.name)!r}: {reason}")
            continue
        if is_temporary(remote.name) or remote.name.endswith(SIDECAR_SUFFIX):
            continue
        if not fnmatch.fnmatchcase(remote.name, source.pattern):
            report.unmatched.append(_printable(remote.name))
            continue
        if not connector.is_inside(remote.name):
            report.refused.append(f"{remote.name!r}: a link leading outside the feed's folder")
            continue
        sidecar_name = remote.name + SIDECAR_SUFFIX
        has_sidecar = sidecar_name in names
        if has_sidecar and not connector.is_inside(sidecar_name):
            report.refused.append(f"{sidecar_name!r}: a link leading outside the feed's folder")
            continue
        if ledger.is_landed(feed, remote.name, remote.size, remote.mtime):
            if (remote.name, remote.size, remote.mtime) not in landed_now:
                report.already_seen += 1
            if source.after_landing is not AfterLanding.LEAVE and not ledger.was_rejected(
                feed, remote.name, remote.size, remote.mtime
            ):  # an earlier run landed it but stopped before tidying up
                _tidy(connector, source, remote.name, has_sidecar)
            continue
        now = clock()
        if not has_sidecar:
            first = ledger.first_seen(feed, remote.name, remote.size, remote.mtime, now)
            rules = source.completeness
            stable = now - first >= rules.stable_seconds
            old_enough = now - remote.mtime >= rules.min_age_seconds
            if rules.require_sidecar or not stable or not old_enough:
                report.waiting.append(remote.name)
                waited = now - first
                report.waited.append(
                    WaitingFile(remote.name, waited, waited >= rules.waiting_too_long_seconds)
                )
                continue
        try:
            temporary, sha256 = fetch_verified(
                connector, remote, incoming, who=who, retrier=retrier,
                time_limit=source.download_time_limit_seconds,
            )  # fmt: skip
        except RemoteFileMissing:
            report.vanished.append(remote.name)
            continue
        if temporary.stat().st_size != remote.size or connector.stat(remote.name) != remote:
            temporary.unlink()  # still being written, or replaced: the next pull looks again
            report.vanished.append(remote.name)
            continue
        if has_sidecar:
            expected = parse_sidecar(connector.read_small(sidecar_name))
            if expected != sha256:
                kept = _quarantine_file(temporary, quarantine / feed, remote.name, sha256)
                reason = (
                    "sidecar is not a sha256 digest"
                    if expected is None
                    else "sha256 does not match its .sha256 sidecar"
                )
                ledger.record_rejected(feed, remote, sha256, kept, reason)
                report.refused.append(f"{remote.name!r}: {reason}; kept at {kept}")
                report.rejected.append(remote.name)
                continue
        day = datetime.datetime.fromtimestamp(clock(), datetime.UTC).strftime("%Y-%m-%d")
        path = _land(temporary, feed_landing, remote.name, sha256, day)
        landed = LandedFile(feed, remote.name, remote.size, remote.mtime, sha256, path)
        ledger.record_landed(landed)
        report.landed.append(landed)
        landed_now.add((remote.name, remote.size, remote.mtime))
        _tidy(connector, source, remote.name, has_sidecar)
    return report


def _tidy(connector: Connector, source: SourceBase, name: str, has_sidecar: bool) -> None:
    """The after-landing action, on the file and on its sidecar."""
    if source.after_landing is AfterLanding.LEAVE:
        return
    connector.after_landing(name, source.after_landing, source.archive_folder)
    if has_sidecar:
        connector.after_landing(name + SIDECAR_SUFFIX, source.after_landing, source.archive_folder)


def _quarantine_file(temporary: Path, folder: Path, name: str, sha256: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.{sha256[:12]}{REJECTED_SUFFIX}"
    os.chmod(temporary, LANDED_MODE)
    os.replace(temporary, target)
    return target
