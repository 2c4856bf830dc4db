"""People who sign in to the hub: accounts, roles, Argon2 password hashes, lockout.

Accounts live in ``accounts.db`` inside the workspace (owner-only). A password is kept only as
an Argon2id hash (argon2-cffi); repeated failures lock the account for a while; a disabled
account cannot sign in. Accounts of single sign-on (OpenID Connect) are kept here too, with no
password (their roles set from the provider's claims at each sign-in). The command line
(``iomhub users ...``) and the web app use the same functions. Nothing here logs a password or
its hash.
"""

from __future__ import annotations

import datetime
import enum
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hub.audit.events import AccountChanged
from hub.config import HubConfig
from hub.errors import AccountError
from hub.workspace import Workspace
from schemas.sqlite_store import database_transaction

MAX_FAILURES = 5
"""Failed sign-ins in a row before the account is locked."""
LOCKOUT = datetime.timedelta(minutes=15)
MIN_PASSWORD_CHARS = 12
SSO_MARK = "sso:"
"""What a single sign-on account holds in place of a password hash: no password matches it."""


class Role(enum.StrEnum):
    """What a person may do in the hub; a person may hold several."""

    IOM_OFFICER = "iom_officer"
    REVIEWER = "reviewer"
    DATA_OFFICER = "data_officer"
    DPO = "dpo"
    ADMIN = "admin"
    PANEL_POLICE = "panel_police"
    """A police decision-maker of the IOM panel (selects and deselects with probation)."""
    PANEL_PROBATION = "panel_probation"
    """A probation decision-maker of the IOM panel."""


@dataclass(frozen=True)
class Account:
    """One person's account, without its password hash."""

    name: str
    roles: frozenset[Role]
    disabled: bool
    failures: int
    locked_until: datetime.datetime | None
    created_at: datetime.datetime

    def holds(self, role: Role) -> bool:
        """Whether the account holds ``role`` (admins hold only what they are given)."""
        return role in self.roles


class SignInRefused(AccountError):
    """A sign-in failed; the message never says whether the name exists."""


class SingleSignOnAccountRefused(AccountError):
    """A provider named an account single sign-on may not use; ``cause`` says why for the log:
    'local_account' (a password account of the hub) or 'disabled'."""

    def __init__(self, message: str, cause: str) -> None:
        super().__init__(message)
        self.cause = cause


_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    name TEXT PRIMARY KEY,
    roles TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL
);
"""


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def parse_roles(text: str | list[str]) -> frozenset[Role]:
    """Roles from ``"reviewer,dpo"`` or a list; AccountError naming the known roles."""
    names = text.split(",") if isinstance(text, str) else text
    known = {role.value for role in Role}
    unknown = sorted({n.strip() for n in names if n.strip()} - known)
    if unknown:
        raise AccountError(
            f"unknown role {', '.join(unknown)}", hint=f"roles: {', '.join(sorted(known))}"
        )
    roles = frozenset(Role(n.strip()) for n in names if n.strip())
    if {Role.PANEL_POLICE, Role.PANEL_PROBATION} <= roles:
        raise AccountError("a panel decision-maker decides for one agency: police or probation")
    if not roles:
        raise AccountError("an account needs at least one role", hint=f"roles: {', '.join(known)}")
    return roles


class AccountStore:
    """Accounts in ``<workspace>/accounts.db``."""

    def __init__(self, path: Path, hasher: PasswordHasher | None = None) -> None:
        self.path = path
        self._hasher = hasher or PasswordHasher()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._transaction():
            pass  # creates the tables

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with database_transaction(self.path, _SCHEMA) as db:
            yield db

    # --- administration ---------------------------------------------------------------------

    def add(self, name: str, roles: frozenset[Role], password: str) -> Account:
        """Create an account; AccountError if the name is taken or the password too short."""
        _check_name(name)
        _check_password(password)
        with self._transaction() as db:
            try:
                db.execute(
                    "INSERT INTO accounts (name, roles, password_hash, created_at) "
                    "VALUES (?, ?, ?, ?)",
                    (name, _roles_text(roles), self._hasher.hash(password), _now().isoformat()),
                )
            except sqlite3.IntegrityError as error:
                raise AccountError(f"an account named {name!r} exists already") from error
        return self.get(name)

    def get(self, name: str) -> Account:
        """The named account; AccountError if there is none."""
        with self._transaction() as db:
            row = db.execute(
                "SELECT name, roles, disabled, failures, locked_until, created_at "
                "FROM accounts WHERE name = ?",
                (name,),
            ).fetchone()
        if row is None:
            raise AccountError(f"no account named {name!r}", hint="iomhub users list")
        return _account(row)

    def all(self) -> list[Account]:
        """Every account, by name."""
        with self._transaction() as db:
            rows = db.execute(
                "SELECT name, roles, disabled, failures, locked_until, created_at "
                "FROM accounts ORDER BY name"
            ).fetchall()
        return [_account(row) for row in rows]

    def disable(self, name: str) -> Account:
        """Stop an account from signing in (its history stays)."""
        self._update(name, "UPDATE accounts SET disabled = 1 WHERE name = ?", (name,))
        return self.get(name)

    def reset_password(self, name: str, password: str) -> Account:
        """Set a new password; clears failures and any lock."""
        _check_password(password)
        self._update(
            name,
            "UPDATE accounts SET password_hash = ?, failures = 0, locked_until = NULL "
            "WHERE name = ?",
            (self._hasher.hash(password), name),
        )
        return self.get(name)

    def _update(self, name: str, sql: str, parameters: tuple[object, ...]) -> None:
        with self._transaction() as db:
            if db.execute(sql, parameters).rowcount == 0:
                raise AccountError(f"no account named {name!r}", hint="iomhub users list")

    def provision_sso(self, name: str, roles: frozenset[Role], provider: str) -> Account:
        """The single sign-on account ``name`` with ``roles`` (created, or its roles replaced:
        the provider's claims decide them at each sign-in). SingleSignOnAccountRefused when
        ``name`` is a password account (a provider never takes one over) or a disabled one."""
        _check_name(name)
        with self._transaction() as db:
            row = db.execute(
                "SELECT password_hash, disabled FROM accounts WHERE name = ?", (name,)
            ).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO accounts (name, roles, password_hash, created_at) "
                    "VALUES (?, ?, ?, ?)",
                    (name, _roles_text(roles), SSO_MARK + provider, _now().isoformat()),
                )
            elif not str(row[0]).startswith(SSO_MARK):
                raise SingleSignOnAccountRefused(
                    "this hub cannot sign that account in by single sign-on; ask its administrator",
                    "local_account",
                )
            elif row[1]:
                raise SingleSignOnAccountRefused(
                    "this account is disabled; ask an administrator", "disabled"
                )
            else:
                db.execute(
                    "UPDATE accounts SET roles = ? WHERE name = ?", (_roles_text(roles), name)
                )
        return self.get(name)

    # --- signing in -------------------------------------------------------------------------

    def authenticate(self, name: str, password: str) -> Account:
        """The account if ``password`` is right; SignInRefused otherwise (failures counted)."""
        now = _now()
        with self._transaction() as db:
            row = db.execute(
                "SELECT password_hash, disabled, failures, locked_until FROM accounts "
                "WHERE name = ?",
                (name,),
            ).fetchone()
            if row is None:
                self._hasher.hash(password)  # the same work whether or not the name exists
                raise SignInRefused("wrong name or password")
            stored, disabled, failures, locked_until = row
            if disabled:
                raise SignInRefused("this account is disabled; ask an administrator")
            if locked_until and datetime.datetime.fromisoformat(locked_until) > now:
                raise SignInRefused(
                    "too many failed sign-ins: this account is locked for "
                    f"{int(LOCKOUT.total_seconds() // 60)} minutes"
                )
            try:
                self._hasher.verify(stored, password)
            except (VerificationError, InvalidHashError) as error:
                failures += 1
                lock = (now + LOCKOUT).isoformat() if failures >= MAX_FAILURES else None
                db.execute(
                    "UPDATE accounts SET failures = ?, locked_until = ? WHERE name = ?",
                    (0 if lock else failures, lock, name),
                )
                raise SignInRefused("wrong name or password") from error
            db.execute(
                "UPDATE accounts SET failures = 0, locked_until = NULL WHERE name = ?", (name,)
            )
        return self.get(name)


def _roles_text(roles: frozenset[Role]) -> str:
    return ",".join(sorted(role.value for role in roles))


def _account(row: tuple[object, ...]) -> Account:
    name, roles, disabled, failures, locked_until, created_at = row
    return Account(
        name=str(name),
        roles=frozenset(Role(r) for r in str(roles).split(",") if r),
        disabled=bool(disabled),
        failures=int(str(failures)),
        locked_until=datetime.datetime.fromisoformat(str(locked_until)) if locked_until else None,
        created_at=datetime.datetime.fromisoformat(str(created_at)),
    )


def _check_name(name: str) -> None:
    if not name or len(name) > 64 or not all(c.isalnum() or c in "._-@" for c in name):
        raise AccountError(
            f"account name {name!r} is not allowed",
            hint="use up to 64 letters, digits and . _ - @",
        )


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")


def open_accounts(config: HubConfig) -> AccountStore:
    """The accounts of the hub configured by ``config``."""
    workspace = Workspace(config.workspace)
    workspace.create()
    return AccountStore(workspace.accounts_path)


def _audited(config: HubConfig, event: AccountChanged) -> None:
    Workspace(config.workspace).open_audit(config.settings).record(event)


def add_account(config: HubConfig, name: str, roles: frozenset[Role], password: str) -> Account:
    """Create an account and log it (the audit entry comes first: no key, no account)."""
    accounts = open_accounts(config)
    _check_name(name)
    _check_password(password)
    _audited(config, AccountChanged(account=name, change="added",
                                    roles=tuple(sorted(r.value for r in roles))))  # fmt: skip
    return accounts.add(name, roles, password)


def disable_account(config: HubConfig, name: str) -> Account:
    """Stop an account from signing in, and log it; its open sessions end at their next request."""
    accounts = open_accounts(config)
    accounts.get(name)
    _audited(config, AccountChanged(account=name, change="disabled"))
    return accounts.disable(name)


def reset_account_password(config: HubConfig, name: str, password: str) -> Account:
    """Set a new password (clearing a lock-out), and log that it was reset."""
    accounts = open_accounts(config)
    accounts.get(name)
    _check_password(password)
    _audited(config, AccountChanged(account=name, change="password reset"))
    return accounts.reset_password(name, password)
