"""``config check``: everything a run would fail on later, found before it runs.

The hub file and every feed file are loaded (date formats, repeated keys and unknown settings are
refused there); then, without contacting any partner:

- each feed's current extract, when a workspace holds one, is sampled through the feed's mapping
  (:func:`schemas.sample_check.check_sample`): most rows rejected, or day and month swapped;
- the agreements are loaded and judged today, as publishing would (a bad agreement otherwise
  stops every recipient's release after matching);
- the keys are looked for: the audit key, the master key when a recipient is configured, and
  each SFTP feed's or push's private key file, passphrase and password. Only whether each is
  found is said, never a value.

Errors (exit 2) stop a run; warnings are worth a look but do not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from connectors.config import SftpEndpoint
from hub.config import HubConfig
from hub.settings import HubSettings, SecretName, secret_bytes
from hub.workspace import Workspace
from schemas.errors import HubError
from schemas.sample_check import SampleCheck, check_sample

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One problem: how serious, what it concerns (a feed, the agreements, a key), what."""

    severity: Severity
    subject: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"severity": self.severity, "subject": self.subject, "message": self.message}


@dataclass(frozen=True)
class FeedSummary:
    """One feed as configured, and its current extract's sample when one was read."""

    name: str
    source: str
    schedule: str
    columns: int
    sample: SampleCheck | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        sample = None if self.sample is None else {
            "file": self.sample.path.name, "rows_read": self.sample.rows_read,
            "rows_rejected": self.sample.rows_rejected,
        }  # fmt: skip
        return {"source": self.source, "schedule": self.schedule, "columns": self.columns,
                "sample": sample}  # fmt: skip


@dataclass(frozen=True)
class KeyPresence:
    """Whether one key or secret the hub needs was found (never its value)."""

    name: str
    found: bool


@dataclass(frozen=True)
class ConfigCheck:
    """The outcome of ``config check``."""

    config: Path
    workspace: Path
    feeds: tuple[FeedSummary, ...]
    agreements: int
    keys: tuple[KeyPresence, ...]
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The findings a run would fail on."""
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """The findings worth a look."""
        return tuple(f for f in self.findings if f.severity == "warning")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "config": str(self.config),
            "workspace": str(self.workspace),
            "feeds": {feed.name: feed.as_dict() for feed in self.feeds},
            "agreements": self.agreements,
            "keys": {key.name: key.found for key in self.keys},
            "errors": [f.as_dict() for f in self.errors],
            "warnings": [f.as_dict() for f in self.warnings],
        }


def check_config(config: HubConfig) -> ConfigCheck:
    """Check a loaded config: samples, agreements and keys (see the module docstring)."""
    findings: list[Finding] = []
    samples = _sample_current_extracts(config, findings)
    feeds = tuple(
        FeedSummary(feed.name, feed.source.kind, feed.schedule, len(feed.format.columns),
                    samples.get(feed.name))
        for feed in config.feeds
    )  # fmt: skip
    agreements = _check_agreements(config, findings)
    keys = _check_keys(config, findings)
    return ConfigCheck(
        config.config_path or Path("."), config.workspace, feeds, agreements, keys,
        tuple(findings),
    )  # fmt: skip


def _sample_current_extracts(config: HubConfig, findings: list[Finding]) -> dict[str, SampleCheck]:
    """Each feed's current extract read through its mapping; nothing when no workspace exists."""
    workspace = Workspace(config.workspace)
    if not workspace.state_path.exists():
        return {}
    state = workspace.open_state()
    try:
        current = state.current_extracts()
    finally:
        state.close()
    samples = {}
    for feed in config.feeds:
        extract = current.get(feed.name)
        if extract is None or not extract.landed_path.is_file():
            continue
        subject = f"feed {feed.name}"
        try:
            sample = check_sample(extract.landed_path, feed.format, feed=feed.name)
        except HubError as error:
            findings.append(Finding("warning", subject, f"current extract {extract.name} could "
                                    f"not be read with this mapping: {error.message}"))  # fmt: skip
            continue
        samples[feed.name] = sample
        findings.extend(
            Finding("warning", subject, f"current extract {extract.name}: "
                    + (finding.message if finding.field == "*"
                       else f"{finding.field}: {finding.message}"))
            for finding in sample.findings
        )  # fmt: skip
    return samples


def _check_agreements(config: HubConfig, findings: list[Finding]) -> int:
    """Load and judge the agreements today; their problems become findings."""
    from hub.governance.agreements_check import check_agreements

    if not config.agreements:
        if config.recipients:
            message = "recipients but no agreement file are listed: nothing is published"
            findings.append(Finding("warning", "agreements", message))
        return 0
    try:
        checked = check_agreements(config)
    except HubError as error:
        findings.extend(Finding("error", "agreements", line)
                        for line in error.message.splitlines())  # fmt: skip
        return 0
    findings.extend(Finding("warning", "agreements", warning) for warning in checked.warnings)
    return checked.agreements


def _check_keys(config: HubConfig, findings: list[Finding]) -> tuple[KeyPresence, ...]:
    """Whether each key the hub will need is found; never a value."""
    settings = config.settings
    keys = [_secret(settings, "audit_key", "it authenticates the audit log", findings)]
    if config.recipients:
        purpose = "every recipient's pseudonym key is derived from it"
        keys.append(_secret(settings, "master_key", purpose, findings))
    endpoints: list[tuple[str, SftpEndpoint]] = [
        (f"feed {feed.name}", feed.source) for feed in config.feeds
        if isinstance(feed.source, SftpEndpoint)
    ]  # fmt: skip
    endpoints += [(f"recipient {r.name}", r.push) for r in config.recipients
                  if isinstance(r.push, SftpEndpoint)]  # fmt: skip
    for subject, endpoint in endpoints:
        keys.extend(_sftp_secrets(subject, endpoint, config.environment, findings))
    return tuple(keys)


def _secret(
    settings: HubSettings, name: SecretName, purpose: str, findings: list[Finding]
) -> KeyPresence:
    try:
        secret = settings.find_secret(name)
        if secret is not None:
            secret_bytes(secret)
    except HubError as error:
        findings.append(Finding("error", "keys", f"{name}: {error.message}"))
        return KeyPresence(name, False)
    found = secret is not None
    if not found:
        findings.append(Finding("error", "keys", f"no {name} is set ({purpose}); searched: "
                                f"{'; '.join(settings.places(name))}"))  # fmt: skip
    return KeyPresence(name, found)


def _sftp_secrets(
    subject: str, endpoint: SftpEndpoint, environment: Mapping[str, str], findings: list[Finding]
) -> list[KeyPresence]:
    """The private key file, passphrase and password an SFTP endpoint names, each found or not."""
    wanted: list[tuple[str, str, bool]] = []
    for label, path in (("private key file", endpoint.private_key_file),
                        ("passphrase file", endpoint.passphrase_file),
                        ("password file", endpoint.password_file),
                        ("known_hosts file", endpoint.known_hosts_file)):  # fmt: skip
        if path is not None:
            wanted.append((label, str(path), path.is_file()))
    for label, variable in (("passphrase variable", endpoint.passphrase_env),
                            ("password variable", endpoint.password_env)):  # fmt: skip
        if variable is not None:
            wanted.append((label, variable, bool(environment.get(variable))))
    presences = []
    for label, where, found in wanted:
        name = f"{subject}: {label} {where}"
        presences.append(KeyPresence(name, found))
        if not found:
            missing = "is not set" if "variable" in label else "does not exist"
            findings.append(Finding("error", subject, f"{label} {where} {missing}"))
    return presences
