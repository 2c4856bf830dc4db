"""A release's manifest and its decisions record: what it is, under which agreements, how to
check it (the manifest travels with the release), and what was decided for it (kept inside the
workspace, never published)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from importlib import metadata
from typing import Any

from hub.audit.anchor import Checkpoint
from hub.sharing_config import RecipientConfig
from sharing_agreements.policy import RecipientPolicy
from sharing_agreements.pseudonyms import PseudonymKey
from sharing_agreements.treatments import PERSON_ID_TREATMENT
from sharing_agreements.view_builder import ViewResult

PSEUDONYM_SCHEME = "HMAC-SHA256, first 128 bits in hex; key per recipient by HKDF-SHA256"


def build_manifest(
    recipient: RecipientConfig,
    policy: RecipientPolicy,
    key: PseudonymKey,
    view: ViewResult,
    release_id: str,
    fingerprint: str,
    previous: str | None,
    files: list[dict[str, Any]],
    agreement_sha256: Mapping[str, str],
    checkpoint: Checkpoint | None = None,
) -> dict[str, Any]:
    """The release's manifest: what it is, under which agreements (each version's text by its
    SHA-256), and how to check it; ``checkpoint`` is the audit log's at the time (each
    recipient's copy anchors the log)."""
    created = datetime.datetime.now(datetime.UTC)
    retention = policy.retention_days
    fields = [
        {
            "name": "person_id",
            "treatment": str(PERSON_ID_TREATMENT),
            "note": "this recipient's pseudonym of the hub's person id",
        }
    ]
    fields += [
        {
            "name": rule.field,
            "treatment": str(rule.treatment),
            "from": list(rule.sources),
            "clauses": [str(c) for c in rule.clauses],
        }
        for rule in policy.columns
    ]
    return {
        "release_id": release_id,
        "recipient": recipient.name,
        "created_at": created.isoformat(timespec="seconds"),
        "agreements": [
            {
                "id": a.id,
                "version": a.version,
                "sha256": agreement_sha256.get(a.label),
                "title": a.title,
                "retention_days": a.retention_days,
            }
            for a in policy.agreements
        ],
        "retain_until": (created.date() + datetime.timedelta(days=retention)).isoformat()
        if retention
        else None,
        "fields": fields,
        "row_count": view.rows,
        **_k_anonymity(view),
        "key_id": key.key_id,
        "pseudonyms": PSEUDONYM_SCHEME,
        "files": files,
        "previous_release": previous,
        "fingerprint": fingerprint,
        "generator": f"iom-exchange-hub {_version()}",
        "audit_checkpoint": checkpoint.model_dump() if checkpoint else None,
    }


def _k_anonymity(view: ViewResult) -> dict[str, Any]:
    """The release's k-anonymity, when its agreements ask for one."""
    found = view.k_anonymity
    if found is None:
        return {}
    summary = {"quasi_identifiers": list(found.quasi_identifiers), "k": found.k,
               "achieved_k": found.achieved, "suppressed": found.suppressed}  # fmt: skip
    return {"k_anonymity": summary}


def _version() -> str:
    try:
        return metadata.version("iom-exchange-hub")
    except metadata.PackageNotFoundError:
        return "unknown"


def decisions_record(
    policy: RecipientPolicy, view: ViewResult, key: PseudonymKey, manifest: dict[str, Any]
) -> dict[str, Any]:
    return {
        "release_id": manifest["release_id"],
        "recipient": policy.recipient,
        "decided_on": policy.today.isoformat(),
        "key_id": key.key_id,
        "key_version": key.version,
        "persons_in_view": view.persons_in,
        "persons_released": view.persons_out,
        "values_released": view.released_values,
        "decisions": [d.as_dict() for d in policy.decisions],
        "withheld": [w.__dict__ for w in view.withheld],
    }
