"""The hub's configuration: YAML files validated by pydantic, with ``${ENV}`` references.

A hub file names the workspace and lists feed files (globs, relative to the hub file); each feed
file describes one partner feed. Any string value may reference the environment as ``${NAME}``
or ``${NAME:-default}``, so one config serves tests, the demo and production. Secrets are never
written in YAML: settings that need one name a file or an environment variable instead.

:func:`load_config` is an edge: it takes the environment mapping and the hub's settings
(:mod:`hub.settings`) as given (the CLI reads them once) or reads them from the process, and the
loaded config carries both down, so nothing deeper reads ``os.environ``.

Errors name the file, the feed and the field::

    examples/config/feeds/police.yaml: feed 'police': format.fields.date_of_birth: ...
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.json_schema import SkipJsonSchema

from connectors.config import SourceConfig
from hub.alerts_config import AlertsConfig
from hub.audit.witness import AuditConfig
from hub.settings import HubSettings
from hub.sharing_config import RecipientConfig, resolve_files, resolve_sharing
from hub.web_config import WebConfig
from matching.config import MatchingConfig
from schemas.errors import ConfigError
from schemas.feed import FeedFormat
from schemas.validation_messages import describe_problems
from schemas.yaml_files import parse_yaml

_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_FEED_NAME = r"^[a-z][a-z0-9_]{0,39}$"


class FeedConfig(BaseModel):
    """One partner feed: where its files come from, when, and how to read them."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    name: str = Field(pattern=_FEED_NAME, description="Short name, e.g. 'police'.")
    description: str = ""
    enabled: bool = Field(
        True, description="False pauses the feed: it is not pulled, and status says paused."
    )
    schedule: str = Field("0 2 * * *", description="Cron expression for scheduled pulls.")
    stale_after_hours: float | None = Field(
        None,
        gt=0,
        description="Status marks the feed stale when its last success is older; by default, "
        "older than its cadence (the gap between its two latest scheduled times) and half again.",
    )
    retention_days: int | None = Field(
        None, gt=0, description="Days landed, staged and quarantined files of an extract are "
        "kept (`iomhub retention apply`); unset: the longest retention of the agreements the "
        "feed provides to, or kept until set.",
    )  # fmt: skip
    source: SourceConfig
    format: FeedFormat

    @field_validator("schedule")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        from croniter import croniter

        if not croniter.is_valid(value):
            raise ValueError(f"not a valid cron expression: {value!r}")
        return value


class RetentionConfig(BaseModel):
    """``retention:`` of the hub file: periods for what is neither an extract nor a release."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    matched_days: int | None = Field(
        None,
        ge=1,
        description="Days matched/ outputs are kept after the match run that wrote them "
        "(default: the longest retention_days of the agreements).",
    )


class HubConfig(BaseModel):
    """The whole hub: its workspace and its feeds."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    workspace: Path = Field(description="Folder for state, landed files and every output.")
    feeds: list[FeedConfig]
    agreements: list[Path] = Field(default_factory=list, description="Sharing agreement files.")
    recipients: list[RecipientConfig] = Field(default_factory=list)
    reidentifiers: list[str] = Field(
        default_factory=list, description="Operators (IOMHUB_ACTOR) who may re-identify."
    )
    matching: MatchingConfig = Field(default_factory=MatchingConfig)  # type: ignore[arg-type]
    web: WebConfig = Field(default_factory=WebConfig)  # type: ignore[arg-type]
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)  # type: ignore[arg-type]
    audit: AuditConfig = Field(default_factory=AuditConfig)  # type: ignore[arg-type]
    retention: RetentionConfig = Field(default_factory=RetentionConfig)
    cohort: Path | None = Field(
        None, description="The scheme's IOM cohort rules (cohort.yaml), relative to this file."
    )
    config_path: Path | None = Field(None, exclude=True, description="Set by the loader.")
    config_files: list[Path] = Field(
        default_factory=list, exclude=True, description="Every file loaded (set by the loader)."
    )
    settings: SkipJsonSchema[HubSettings] = Field(
        default_factory=HubSettings.model_construct, exclude=True, repr=False,
        description="Secrets and the operator's name from the environment (set by the loader; "
        "a config built in code has none unless given).",
    )  # fmt: skip
    environment: SkipJsonSchema[Mapping[str, str]] = Field(
        default_factory=dict, exclude=True, repr=False,
        description="The environment the config was read with: ${NAME} references and the "
        "variables sources name for their secrets (set by the loader).",
    )  # fmt: skip

    @field_validator("feeds")
    @classmethod
    def _unique_names(cls, value: list[FeedConfig]) -> list[FeedConfig]:
        names = [feed.name for feed in value]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"feed name(s) used twice: {', '.join(duplicates)}")
        return value

    def feed(self, name: str) -> FeedConfig:
        """The named feed; ConfigError when there is none."""
        for feed in self.feeds:
            if feed.name == name:
                return feed
        raise ConfigError(
            f"no feed named {name!r}; configured: {', '.join(f.name for f in self.feeds)}"
        )

    def recipient(self, name: str) -> RecipientConfig:
        """The named recipient; ConfigError when there is none."""
        for recipient in self.recipients:
            if recipient.name == name:
                return recipient
        names = ", ".join(r.name for r in self.recipients) or "none"
        raise ConfigError(f"no recipient named {name!r}; configured: {names}")


def expand_environment(value: Any, environment: Mapping[str, str], *, where: str) -> Any:
    """Replace ``${NAME}`` and ``${NAME:-default}`` in every string of a YAML document."""
    if isinstance(value, dict):
        return {k: expand_environment(item, environment, where=where) for k, item in value.items()}
    if isinstance(value, list):
        return [expand_environment(item, environment, where=where) for item in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in environment:
            return environment[name]
        if default is not None:
            return default
        raise ConfigError(
            f"{where}: environment variable {name} is not set",
            hint=f"export {name}=... or write ${{{name}:-default}} in the file",
        )

    return _ENV_REFERENCE.sub(replace, value)


def read_yaml(path: Path, environment: Mapping[str, str]) -> dict[str, Any]:
    """Read one YAML mapping with environment references expanded from ``environment``."""
    try:
        document = parse_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ConfigError(f"{path}: no such file") from error
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid YAML ({error})") from error
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    return expand_environment(document, environment, where=str(path))


def describe_validation_error(error: ValidationError, model: type[BaseModel], *, where: str) -> str:
    """One readable message per problem: ``file: feed 'x': field.path: message``."""
    return "\n".join(f"{where}: {problem.where or '(top level)'}: {problem.message}"
                     for problem in describe_problems(error, model))  # fmt: skip


def load_feed(path: Path, environment: Mapping[str, str]) -> FeedConfig:
    """Load and validate one feed file."""
    document = read_yaml(path, environment)
    name = document.get("name", path.stem)
    try:
        feed = FeedConfig.model_validate(document)
    except ValidationError as error:
        raise ConfigError(
            describe_validation_error(error, FeedConfig, where=f"{path}: feed {name!r}"),
            file=str(path),
        ) from error
    return feed.model_copy(update={"source": feed.source.with_base_folder(path.parent)})


def _resolve_relative(base: Path, value: str | Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def load_config(
    path: Path | str,
    *,
    settings: HubSettings | None = None,
    environment: Mapping[str, str] | None = None,
) -> HubConfig:
    """Load the hub file and every feed file it lists; raise ConfigError naming what is wrong.

    ``environment`` expands ``${NAME}`` references and ``settings`` carries the secrets; both
    are read from the process here, at the edge, when not given (the CLI reads them once).
    """
    hub_path = Path(path)
    environment = dict(os.environ if environment is None else environment)
    settings = HubSettings() if settings is None else settings
    document = read_yaml(hub_path, environment)
    base = hub_path.parent
    feeds: list[FeedConfig] = []
    feed_files: list[Path] = []
    problems: list[str] = []
    entries = document.get("feeds") or []
    if not isinstance(entries, list):
        raise ConfigError(f"{hub_path}: feeds: expected a list of feed files or feeds")
    for entry in entries:
        try:
            if isinstance(entry, str):
                matches = resolve_files(base, [entry], key="feeds", where=hub_path)
                feeds.extend(load_feed(match, environment) for match in matches)
                feed_files.extend(matches)
            else:
                feeds.append(FeedConfig.model_validate(entry))
        except ConfigError as error:
            problems.append(error.message)
        except ValidationError as error:
            problems.append(
                describe_validation_error(error, FeedConfig, where=f"{hub_path}: feeds")
            )
    if problems:
        raise ConfigError("\n".join(problems), file=str(hub_path))
    document = resolve_sharing(document, base, hub_path)
    files = [hub_path, *feed_files, *document.get("agreements", [])]
    document = {**document, "feeds": feeds, "config_path": hub_path, "config_files": files,
                "settings": settings, "environment": environment}  # fmt: skip
    if "workspace" in document:
        document["workspace"] = _resolve_relative(base, document["workspace"]).resolve()
    if document.get("cohort"):
        document["cohort"] = _resolve_relative(base, document["cohort"])
    try:
        config = HubConfig.model_validate(document)
    except ValidationError as error:
        raise ConfigError(
            describe_validation_error(error, HubConfig, where=str(hub_path)), file=str(hub_path)
        ) from error
    return config.model_copy(
        update={"audit": config.audit.resolved(base, config.workspace, where=hub_path)}
    )
