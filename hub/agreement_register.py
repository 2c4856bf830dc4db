"""The register of sharing agreements, as a DPO reads it: who, what for, on what basis, until when.

Agreements are YAML files in the ``agreements/`` folder beside the hub file (the sharing layer
loads and enforces them; this module only describes them). Each becomes an
:class:`AgreementSummary` with its status on a given day:

``in force``            started, not expired, review date not passed
``review overdue``      in force, but its review date has passed
``not yet in force``    its start date is in the future
``expired``             its expiry date has passed (nothing flows under it)
``invalid``             the file cannot be read; the reason says why
"""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hub.config import HubConfig

REVIEW_SOON_DAYS = 60
_DURATION = re.compile(
    r"^\s*(?:P)?(\d+)\s*(d|day|days|w|week|weeks|m|month|months|y|year|years)?\s*$", re.I
)
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


@dataclass(frozen=True)
class AgreementSummary:
    """One agreement as the register shows it (no personal data: names of roles and bodies)."""

    agreement_id: str
    title: str
    version: str
    status: str
    recipients: list[str] = field(default_factory=list)
    providers: list[str] = field(default_factory=list)
    parties: list[str] = field(default_factory=list)
    purpose: str = ""
    lawful_basis: str = ""
    start_date: str | None = None
    review_date: str | None = None
    expiry_date: str | None = None
    retention_days: int | None = None
    fields: dict[str, str] = field(default_factory=dict)
    contacts: list[str] = field(default_factory=list)
    file: str = ""
    sha256: str = ""
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready document."""
        return asdict(self)


def agreements_folder(config: HubConfig) -> Path | None:
    """Where the agreement files are: ``agreements/`` beside the hub file."""
    explicit = getattr(config, "agreements_dir", None)
    if explicit:
        return Path(explicit)
    if config.config_path is None:
        return None
    return config.config_path.parent / "agreements"


def agreement_files(config: HubConfig) -> list[Path]:
    """Every agreement file, sorted by name."""
    folder = agreements_folder(config)
    if folder is None or not folder.is_dir():
        return []
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])


def parse_days(value: Any) -> int | None:
    """A retention period in days from ``365``, ``"90 days"``, ``"6 months"``, ``"P2Y"``."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a period: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, dict):
        for unit, days in (("days", 1), ("weeks", 7), ("months", 30), ("years", 365)):
            if unit in value:
                return int(value[unit]) * days
        raise ValueError(f"not a period: {value!r}")
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"not a period: {value!r}")
    unit = (match.group(2) or "d")[0].lower()
    return int(match.group(1)) * _UNIT_DAYS[unit]


def status_on(
    day: datetime.date,
    start: datetime.date | None,
    review: datetime.date | None,
    expiry: datetime.date | None,
) -> tuple[str, str]:
    """The status of an agreement on ``day`` and a short note."""
    if expiry is not None and day > expiry:
        return "expired", f"expired on {expiry.isoformat()}"
    if start is not None and day < start:
        return "not yet in force", f"starts on {start.isoformat()}"
    if review is not None and day > review:
        return "review overdue", f"review was due on {review.isoformat()}"
    notes = []
    if review is not None and (review - day).days <= REVIEW_SOON_DAYS:
        notes.append(f"review due in {(review - day).days} days")
    if expiry is not None and (expiry - day).days <= REVIEW_SOON_DAYS:
        notes.append(f"expires in {(expiry - day).days} days")
    return "in force", "; ".join(notes)


def _first(document: dict[str, Any], *names: str) -> Any:
    for name in names:
        if document.get(name) not in (None, ""):
            return document[name]
    return None


def _date(value: Any) -> datetime.date | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


def _names(value: Any) -> list[str]:
    """Names from a list of strings or of mappings with a name or id."""
    if value is None:
        return []
    if isinstance(value, str | int):
        return [str(value)]
    if isinstance(value, dict):
        return [str(key) for key in value]
    names = []
    for item in value:
        if isinstance(item, dict):
            names.append(str(_first(item, "name", "id", "recipient", "feed", "role") or "?"))
        else:
            names.append(str(item))
    return names


def _fields(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(name): _treatment(spec) for name, spec in value.items()}
    fields = {}
    for item in value or []:
        if isinstance(item, dict):
            fields[str(_first(item, "name", "field") or "?")] = _treatment(item)
        else:
            fields[str(item)] = "keep"
    return fields


def _treatment(spec: Any) -> str:
    if isinstance(spec, dict):
        return str(_first(spec, "treatment", "action") or "keep")
    return str(spec or "keep")


def summarise_agreement(path: Path, day: datetime.date) -> AgreementSummary:
    """Read one agreement file; an unreadable one is listed as ``invalid`` with the reason."""
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    try:
        document = yaml.safe_load(raw)
        if isinstance(document, dict) and isinstance(document.get("agreement"), dict):
            document = document["agreement"]
        if not isinstance(document, dict):
            raise ValueError("expected a mapping at the top level")
        start = _date(_first(document, "start_date", "start", "starts", "effective_from"))
        review = _date(_first(document, "review_date", "review", "review_by"))
        expiry = _date(_first(document, "expiry_date", "expiry", "expires", "end_date"))
        retention = parse_days(_first(document, "retention_days", "retention", "retention_period"))
        status, note = status_on(day, start, review, expiry)
        return AgreementSummary(
            agreement_id=str(_first(document, "id", "agreement_id") or path.stem),
            title=str(_first(document, "title", "name") or ""),
            version=str(_first(document, "version") or ""),
            status=status,
            recipients=_names(_first(document, "recipients", "recipient")),
            providers=_names(_first(document, "providers", "providing_feeds", "feeds", "sources")),
            parties=_names(_first(document, "parties")),
            purpose=str(_first(document, "purpose") or "").strip(),
            lawful_basis=_lawful_basis(_first(document, "lawful_basis", "legal_basis")),
            start_date=start.isoformat() if start else None,
            review_date=review.isoformat() if review else None,
            expiry_date=expiry.isoformat() if expiry else None,
            retention_days=retention,
            fields=_fields(_first(document, "fields", "data_items")),
            contacts=_names(_first(document, "contacts")),
            file=path.name,
            sha256=digest,
            note=note,
        )
    except (yaml.YAMLError, ValueError, TypeError) as error:
        return AgreementSummary(
            agreement_id=path.stem,
            title="",
            version="",
            status="invalid",
            file=path.name,
            sha256=digest,
            note=f"cannot be read: {error}",
        )


def _lawful_basis(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{key}: {item}" for key, item in value.items())
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    return str(value or "").strip()


def agreement_register(
    config: HubConfig, day: datetime.date | None = None
) -> list[AgreementSummary]:
    """Every agreement file, summarised with its status on ``day`` (default today, UTC)."""
    day = day or datetime.datetime.now(datetime.UTC).date()
    return [summarise_agreement(path, day) for path in agreement_files(config)]
