"""Support for the SFTP tests: feeds on the test server, pulling, looking at landing."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.config import FeedConfig
from hub.output import Reporter
from hub.run.pull import FeedPullOutcome, pull_one
from hub.settings import HubSettings
from hub.workspace import Workspace

RSA_PASSPHRASE = "correct horse battery staple"
PARTNER_PASSWORD = "pw-for-the-sftp-tests-only"
MINIMAL_FORMAT = {"fields": {"source_record_id": "id", "surname": "surname"}}


def feed_config(name: str, source: dict[str, Any], **extra: Any) -> FeedConfig:
    """A feed with the given source settings and a two-column format."""
    return FeedConfig.model_validate(
        {"name": name, "source": source, "format": MINIMAL_FORMAT, **extra}
    )


@dataclass
class Puller:
    """Pulls feeds into one workspace, recording retry waits instead of sleeping."""

    root: Path
    waits: list[float] = field(default_factory=list)
    output: io.StringIO = field(default_factory=io.StringIO)

    @property
    def workspace(self) -> Workspace:
        return Workspace(self.root)

    def _sleep(self, seconds: float) -> bool:
        self.waits.append(seconds)
        return False

    def pull(
        self, feed: FeedConfig, environment: Mapping[str, str] | None = None
    ) -> FeedPullOutcome:
        """Pull one feed the way a hub run does (retries included)."""
        state = self.workspace.open_state()
        try:
            return pull_one(
                feed, self.workspace, state, self.workspace.open_audit(HubSettings()),
                Reporter(stream=self.output), sleep=self._sleep, environment=environment,
            )  # fmt: skip
        finally:
            state.close()

    def landed(self, feed: str) -> list[Path]:
        """Files landed for the feed, in every day folder."""
        folder = self.root / "landing" / feed
        return sorted(p for p in folder.glob("*/*") if p.parent.name != ".incoming")

    def leftovers(self, feed: str) -> list[Path]:
        """Partial downloads left in the feed's incoming folder."""
        return sorted((self.root / "landing" / feed / ".incoming").glob("*"))


def sha256_of(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def csv_bytes(rows: int, tag: str = "x") -> bytes:
    """A small, valid extract for the two-column format."""
    lines = ["id,surname"] + [f"{tag}{i},SMITH" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()
