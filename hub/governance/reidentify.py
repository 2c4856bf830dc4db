"""Re-identification: from a recipient's pseudonym back to the hub's person, for a stated reason.

Only an operator named in ``reidentifiers:`` of the hub file may do it, only with a reason, and
only holding the master key: the key that made the pseudonym is derived again and must carry the
key id the release recorded. The pseudonym is looked up in the pseudonym maps the hub kept for
the recipient's releases, sealed at rest and opened here, in memory, with the master key; when
no map holds it (the maps were pruned, say), the pseudonyms of the current matched view are
computed again under the recipient's current key. Every attempt, refused, found or not, is
recorded in the audit log as a consultation.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from typing import Any, NoReturn

from hub.audit.events import Reidentified, ReidentifyFailed, ReidentifyRefused
from hub.audit.log import AuditLog, current_actor
from hub.audit.reasons import refuse_personal_data
from hub.config import HubConfig
from hub.errors import PseudonymMapKeyMismatch
from hub.run.pseudonym_maps import open_pseudonym_maps
from hub.run.publish import load_sharing
from hub.workspace import Workspace
from schemas.duckdb_session import connect
from schemas.errors import HubError
from schemas.sql import quote_identifier, quote_literal
from sharing_agreements.pseudonyms import PSEUDONYM_PATTERN, derive_key, hmac_sql
from sharing_agreements.treatments.pseudonymise import pseudonym_input_sql
from sharing_agreements.view import PERSON_ID
from sharing_agreements.view_builder import open_persons

WRONG_MASTER_KEY = "the master key held does not match the key that made this pseudonym"


class ReidentificationRefused(HubError):
    """Re-identification was refused: no reason, an operator not authorised, or the wrong key."""

    exit_code = 2


@dataclass
class Reidentification:
    """What a pseudonym stands for."""

    recipient: str
    pseudonym: str
    found: bool
    person_id: str | None = None
    field: str | None = None
    releases: list[str] = dataclasses.field(default_factory=list)
    records: list[dict[str, str]] = dataclasses.field(default_factory=list)
    """The partner records of the person: source and the partner's record id."""
    method: str = "pseudonym map"


def _refuse(audit: AuditLog, recipient: str, pseudonym: str, why: str, reason: str) -> NoReturn:
    audit.record(
        ReidentifyRefused(
            recipient=recipient, pseudonym=pseudonym, refused=why, reason=reason or None
        )
    )
    raise ReidentificationRefused(f"re-identification refused: {why}")


def reidentify(
    config: HubConfig, recipient: str, pseudonym: str, reason: str, audit: AuditLog
) -> Reidentification:
    """Map one of ``recipient``'s pseudonyms back to the internal person, and record it."""
    reason = reason.strip()
    refuse_personal_data(reason, "a re-identification's reason")
    pseudonym = pseudonym.strip().lower()
    actor = current_actor(config.settings)
    if not re.match(PSEUDONYM_PATTERN, pseudonym):
        # Whatever was typed is not recorded: it might be a name rather than a pseudonym.
        _refuse(
            audit, recipient, "(not a pseudonym)", "that is not a pseudonym (32 hex digits)", reason
        )
    if len(reason) < 10:
        _refuse(audit, recipient, pseudonym, "a reason (10 characters or more) is required", reason)
    if actor not in config.reidentifiers:
        _refuse(
            audit,
            recipient,
            pseudonym,
            f"operator {actor!r} is not listed in reidentifiers: of the hub file",
            reason,
        )
    try:
        result = _look_up(config, recipient, pseudonym, audit, reason)
    except ReidentificationRefused:
        raise
    except (HubError, OSError) as error:
        audit.record(
            ReidentifyFailed(
                recipient=recipient, pseudonym=pseudonym, error=type(error).__name__, reason=reason
            )
        )
        raise
    audit.record(
        Reidentified(
            recipient=recipient,
            pseudonym=pseudonym,
            found=result.found,
            person_id=result.person_id,
            field=result.field,
            releases=tuple(result.releases),
            method=result.method,
            records=len(result.records),
            reason=reason,
        )
    )
    return result


def _look_up(
    config: HubConfig, recipient: str, pseudonym: str, audit: AuditLog, reason: str
) -> Reidentification:
    settings = config.recipient(recipient)
    master = config.settings.master_key_bytes()
    workspace = Workspace(config.workspace)
    con = connect()
    try:
        try:
            result = _from_maps(con, workspace, recipient, pseudonym, master)
        except PseudonymMapKeyMismatch:
            _refuse(audit, recipient, pseudonym, WRONG_MASTER_KEY, reason)
        if result.found:
            _check_key(audit, workspace, result, master, reason, settings.key_version)
        else:
            key = derive_key(master, recipient, settings.key_version)
            fields = _pseudonymised_fields(config, recipient)
            result = _recompute(con, workspace, recipient, pseudonym, key, fields)
        if result.found and result.person_id:
            result.records = _records(con, workspace, result.person_id)
    finally:
        con.close()
    return result


def _from_maps(
    con: Any, workspace: Workspace, recipient: str, pseudonym: str, master: bytes
) -> Reidentification:
    """Look the pseudonym up in the recipient's sealed maps, opened in memory with the key."""
    maps = workspace.pseudonym_maps(recipient)
    result = Reidentification(recipient, pseudonym, False)
    if not maps:
        return result
    table = open_pseudonym_maps(con, maps, master)
    rows = con.sql(
        f"SELECT field, person_id, release_id FROM {table} "
        "WHERE pseudonym = $p ORDER BY release_id",
        params={"p": pseudonym},
    ).fetchall()
    if rows:
        result.found = True
        result.field, result.person_id = str(rows[0][0]), str(rows[0][1])
        result.releases = sorted({str(r[2]) for r in rows})
    return result


def _check_key(
    audit: AuditLog,
    workspace: Workspace,
    result: Reidentification,
    master: bytes,
    reason: str,
    current_version: int,
) -> None:
    """The master key held now must be the one that made the pseudonym."""
    path = workspace.release_record(result.recipient, result.releases[-1]).decisions
    try:
        decisions = json.loads(path.read_text(encoding="utf-8"))
        version, key_id = int(decisions["key_version"]), str(decisions["key_id"])
    except (OSError, ValueError, KeyError):
        version, key_id = current_version, None
    key = derive_key(master, result.recipient, version)
    genuine = key_id is None or key.key_id == key_id
    if genuine and result.field == PERSON_ID and result.person_id is not None:
        genuine = key.pseudonym(PERSON_ID, result.person_id) == result.pseudonym
    if not genuine:
        _refuse(
            audit,
            result.recipient,
            result.pseudonym,
            WRONG_MASTER_KEY,
            reason,
        )


def _pseudonymised_fields(config: HubConfig, recipient: str) -> list[str]:
    """Fields any agreement naming the recipient pseudonymises."""
    names = {
        name
        for agreement in load_sharing(config).naming(recipient)
        for name, clause in agreement.fields.items()
        if clause.treatment.pseudonymous
    }
    return sorted(names)


def _recompute(
    con: Any, workspace: Workspace, recipient: str, pseudonym: str, key: Any, fields: list[str]
) -> Reidentification:
    result = Reidentification(recipient, pseudonym, False, method="recomputed")
    persons = workspace.matched.persons
    if not persons.is_file():
        return result
    open_persons(con, persons)
    present = set(con.sql("SELECT * FROM persons LIMIT 0").columns)
    domains = [PERSON_ID] + [f for f in fields if f in present]
    for domain in domains:
        inner, outer = key.pads(domain)
        rows = con.sql(
            f"SELECT CAST({quote_identifier(PERSON_ID)} AS VARCHAR) FROM persons WHERE "
            f"{hmac_sql(pseudonym_input_sql(domain), 'i', 'o')} = $p LIMIT 1",
            params={"i": inner, "o": outer, "p": pseudonym},
        ).fetchall()
        if rows:
            result.found, result.person_id, result.field = True, str(rows[0][0]), domain
            return result
    return result


def _records(con: Any, workspace: Workspace, person_id: str) -> list[dict[str, str]]:
    links = workspace.matched.record_links
    if not links.is_file():
        return []
    rows = con.sql(
        f"SELECT source, source_record_id FROM read_parquet({quote_literal(links)}) "
        "WHERE CAST(person_id AS VARCHAR) = $p ORDER BY source, source_record_id",
        params={"p": person_id},
    ).fetchall()
    return [{"source": str(s), "source_record_id": str(r)} for s, r in rows]
