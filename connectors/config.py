"""Configuration of where and how a feed's files are pulled (the ``source:`` of a feed)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from connectors.base import AfterLanding
from connectors.hostkeys import host_label, parse_known_hosts_line


class Completeness(BaseModel):
    """When a partner's file counts as completely uploaded.

    A file with a ``<name>.sha256`` sidecar is complete when the sidecar is there. Otherwise its
    size and mtime must be unchanged for ``stable_seconds`` (across pulls) and its mtime at least
    ``min_age_seconds`` old. ``require_sidecar`` takes only files that have a sidecar. A file
    still waiting ``waiting_too_long_seconds`` after it was first seen as it is now (a sidecar
    that never came, an upload that stopped) is reported at every pull until it completes.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    require_sidecar: bool = False
    stable_seconds: int = Field(60, ge=0)
    min_age_seconds: int = Field(120, ge=0)
    waiting_too_long_seconds: int = Field(
        3600, ge=0, description="A file waiting to complete longer than this is reported."
    )


class RetryPolicy(BaseModel):
    """How transient failures (refused, timed out, dropped) are retried within one pull.

    The n-th retry waits ``first_delay_seconds * 2**(n-1)``, capped at ``max_delay_seconds``,
    with jitter: a random half of that wait is added or left out, so feeds on one server never
    retry in step. Terminal failures (host key, authentication, permission) are never retried.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    attempts: int = Field(4, ge=1, le=20, description="Tries in all, the first included.")
    first_delay_seconds: float = Field(2.0, ge=0, description="Wait before the first retry.")
    max_delay_seconds: float = Field(60.0, ge=0, description="Longest wait between tries.")


class SourceBase(BaseModel):
    """Settings every transport shares."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pattern: str = Field(description="Glob for the feed's files, e.g. 'police_nominals_*.csv'.")
    completeness: Completeness = Completeness()
    after_landing: AfterLanding = AfterLanding.LEAVE
    archive_folder: str = Field("archive", description="Folder for after_landing: archive.")
    retry: RetryPolicy = RetryPolicy()
    download_time_limit_seconds: float | None = Field(
        3600, gt=0, description="A single download taking longer is abandoned (None: no limit)."
    )

    @field_validator("archive_folder")
    @classmethod
    def _relative_folder(cls, value: str) -> str:
        path = PurePosixPath(value)
        if not value or path.is_absolute() or ".." in path.parts:
            raise ValueError("must be a folder inside the feed's folder, without '..'")
        return value

    def with_base_folder(self, base: Path) -> Self:
        """The same settings with relative local paths taken from ``base`` (the feed file's)."""
        return self

    def describe(self) -> str:
        """Where the files come from, for status and messages (never a secret)."""
        return self.pattern


class FolderSource(SourceBase):
    """A local drop folder (or a mounted share)."""

    kind: Literal["folder"] = "folder"
    path: Path

    def with_base_folder(self, base: Path) -> Self:
        if self.path.is_absolute():
            return self
        return self.model_copy(update={"path": base / self.path})

    def describe(self) -> str:
        return f"folder {self.path}"


_SECRET_KEYS = ("password", "passphrase", "private_key", "secret", "key")


def _local_path(base: Path, value: Path | None) -> Path | None:
    if value is None:
        return None
    value = value.expanduser()
    return value if value.is_absolute() else base / value


class SftpEndpoint(BaseModel):
    """How to reach one folder on one SFTP server, safely. Secrets are never in here.

    The server's host key is pinned (``host_key`` or ``known_hosts_file``, exactly one); the hub
    authenticates with a private key file and/or a password. A key's passphrase and a password
    are read at connect time from an environment variable or a secrets file, never from YAML.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    host: str = Field(min_length=1, description="Server name or address, as pinned.")
    port: int = Field(22, ge=1, le=65535)
    username: str = Field(min_length=1)
    folder: str = Field(".", description="The folder on the server (absolute or from login).")
    host_key: str | None = Field(
        None, description="The server's pinned host key: one known_hosts line."
    )
    known_hosts_file: Path | None = Field(
        None, description="A known_hosts file holding the server's pinned host key."
    )
    private_key_file: Path | None = Field(
        None, description="The hub's private key (Ed25519 or RSA, OpenSSH or PEM format)."
    )
    passphrase_env: str | None = Field(None, description="Env variable with the key passphrase.")
    passphrase_file: Path | None = Field(None, description="File with the key passphrase.")
    password_env: str | None = Field(None, description="Env variable with the password.")
    password_file: Path | None = Field(None, description="File with the password.")
    connect_timeout_seconds: float = Field(
        30, gt=0, description="Connecting, the SSH handshake and authentication, each."
    )
    idle_timeout_seconds: float = Field(
        60, gt=0, description="No answer from the server for this long: the connection is lost."
    )

    @model_validator(mode="before")
    @classmethod
    def _no_secrets_in_yaml(cls, data: Any) -> Any:
        if isinstance(data, dict):
            found = sorted(key for key in data if str(key).lower() in _SECRET_KEYS)
            if found:
                raise ValueError(
                    f"{', '.join(found)}: secrets are never written in YAML; use password_env "
                    "/ password_file, passphrase_env / passphrase_file, private_key_file"
                )
        return data

    @field_validator("passphrase_env", "password_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not value.replace("_", "a").isalnum():
            raise ValueError("must be the name of an environment variable, e.g. IOMHUB_SFTP_PASS")
        return value

    @field_validator("host_key")
    @classmethod
    def _parse_host_key(cls, value: str | None) -> str | None:
        if value is not None:
            key = parse_known_hosts_line(value)
            if key is None or key.revoked:
                raise ValueError("expected one known_hosts line: '[host] <key type> <base64>'")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.host_key is None) == (self.known_hosts_file is None):
            raise ValueError(
                "pin the server's host key with exactly one of host_key, known_hosts_file"
            )
        if self.host_key is not None:
            key = parse_known_hosts_line(self.host_key)
            if key is not None and not key.matches_host(self.host, self.port):
                raise ValueError(
                    f"host_key is for {', '.join(key.hosts or ())}, not for "
                    f"{host_label(self.host, self.port)}"
                )
        has_password = self.password_env is not None or self.password_file is not None
        if self.private_key_file is None and not has_password:
            raise ValueError("set private_key_file, or password_env / password_file")
        if self.passphrase_env and self.passphrase_file:
            raise ValueError("set only one of passphrase_env, passphrase_file")
        if self.password_env and self.password_file:
            raise ValueError("set only one of password_env, password_file")
        return self

    def with_base_folder(self, base: Path) -> Self:
        """Relative local files (keys, known_hosts, secrets) taken from ``base``."""
        fields = ("known_hosts_file", "private_key_file", "passphrase_file", "password_file")
        return self.model_copy(
            update={name: _local_path(base, getattr(self, name)) for name in fields}
        )

    @property
    def server(self) -> str:
        """``host:port`` for messages."""
        return f"{self.host}:{self.port}"

    def describe(self) -> str:
        """``sftp://user@host:port/folder`` (no secret in it)."""
        folder = self.folder if self.folder.startswith("/") else f"/{self.folder}"
        return f"sftp://{self.username}@{self.server}{folder}"


class SftpSource(SftpEndpoint, SourceBase):
    """A partner's SFTP server: the feed's files in one folder there."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    kind: Literal["sftp"] = "sftp"

    def with_base_folder(self, base: Path) -> Self:
        return SftpEndpoint.with_base_folder(self, base)

    def describe(self) -> str:
        return SftpEndpoint.describe(self)


SourceConfig = Annotated[FolderSource | SftpSource, Field(discriminator="kind")]
"""Every transport's source settings (a union discriminated by ``kind``)."""
