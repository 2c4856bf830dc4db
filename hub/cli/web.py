"""``iomhub serve`` (the web app) and ``iomhub users ...`` (its accounts).

``users`` changes are written to the audit log as configuration entries, with the operating
system user who made them. Passwords are read from standard input (``--password-stdin``) or a
hidden prompt, never from the command line.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click

from hub.cli.common import Options, config_option, error_boundary


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    raise click.UsageError("give the password on standard input with --password-stdin")


def _open(config_path: Path):  # type: ignore[no-untyped-def]
    from hub.accounts import AccountStore
    from hub.config import load_config
    from hub.web.context import ACCOUNTS_DB
    from hub.workspace import Workspace

    config = load_config(config_path)
    workspace = Workspace(config.workspace)
    workspace.create()
    return config, workspace, AccountStore(workspace.root / ACCOUNTS_DB)


def _record(workspace, action: str, name: str, roles: str | None = None) -> None:  # type: ignore[no-untyped-def]
    from hub.audit import Operation

    objects = {"account": name, **({"roles": roles} if roles else {})}
    workspace.open_audit().record(Operation.CONFIGURATION, action, objects=objects)


@click.group()
def users() -> None:
    """Accounts of the web app: add, list, disable, reset a password."""


@users.command("add")
@config_option
@click.option("--name", required=True, help="Account name (letters, digits, . _ - @).")
@click.option(
    "--role",
    "roles",
    required=True,
    multiple=True,
    help="iom_officer, reviewer, data_officer, dpo or admin; repeat or comma-separate.",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--one-time", is_flag=True, help="Generate a password and print it once.")
@click.pass_obj
@error_boundary
def users_add(
    options: Options,
    config_path: Path,
    name: str,
    roles: tuple[str, ...],
    password_stdin: bool,
    one_time: bool,
) -> None:
    """Create an account with its roles."""
    from hub.accounts import parse_roles

    _, workspace, accounts = _open(config_path)
    parsed = parse_roles([r for item in roles for r in item.split(",")])
    password = secrets.token_urlsafe(12) if one_time else _read_password(password_stdin)
    account = accounts.add(name, parsed, password)
    _record(workspace, "account_added", name, ",".join(sorted(parsed)))
    options.emit(
        {
            "account": account.name,
            "roles": sorted(account.roles),
            **({"password": password} if one_time else {}),
        }
    )
    if not options.json_mode:
        click.echo(f"account {account.name} added with roles {', '.join(sorted(account.roles))}")
        if one_time:
            click.echo(f"  one-time password (shown once): {password}")


@users.command("list")
@config_option
@click.pass_obj
@error_boundary
def users_list(options: Options, config_path: Path) -> None:
    """Every account, its roles and whether it can sign in."""
    _, _, accounts = _open(config_path)
    rows = accounts.all()
    options.emit(
        {
            "accounts": [
                {
                    "name": a.name,
                    "roles": sorted(a.roles),
                    "disabled": a.disabled,
                    "locked_until": a.locked_until,
                }
                for a in rows
            ]
        }
    )
    if not options.json_mode:
        for a in rows:
            state = "disabled" if a.disabled else ("locked" if a.locked_until else "active")
            click.echo(f"{a.name:24} {','.join(sorted(a.roles)):40} {state}")


@users.command("disable")
@config_option
@click.option("--name", required=True)
@click.pass_obj
@error_boundary
def users_disable(options: Options, config_path: Path, name: str) -> None:
    """Stop an account from signing in; its open sessions end at their next request."""
    _, workspace, accounts = _open(config_path)
    accounts.disable(name)
    _record(workspace, "account_disabled", name)
    if not options.quiet:
        click.echo(f"account {name} disabled")


@users.command("reset-password")
@config_option
@click.option("--name", required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--one-time", is_flag=True, help="Generate a password and print it once.")
@click.pass_obj
@error_boundary
def users_reset_password(
    options: Options, config_path: Path, name: str, password_stdin: bool, one_time: bool
) -> None:
    """Set a new password (clears a lock-out)."""
    _, workspace, accounts = _open(config_path)
    password = secrets.token_urlsafe(12) if one_time else _read_password(password_stdin)
    accounts.reset_password(name, password)
    _record(workspace, "account_password_reset", name)
    if not options.quiet:
        click.echo(f"password of {name} reset")
        if one_time:
            click.echo(f"  one-time password (shown once): {password}")


@click.command("serve")
@config_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option("--ssl-keyfile", type=click.Path(exists=True, path_type=Path), default=None)
@click.option("--ssl-certfile", type=click.Path(exists=True, path_type=Path), default=None)
@click.option(
    "--behind-tls-proxy",
    is_flag=True,
    help="Served to browsers over HTTPS by a reverse proxy: cookies are Secure.",
)
@click.pass_obj
@error_boundary
def serve(
    options: Options,
    config_path: Path,
    host: str,
    port: int,
    ssl_keyfile: Path | None,
    ssl_certfile: Path | None,
    behind_tls_proxy: bool,
) -> None:
    """Serve the web app (sign-in, cohort, people, feeds) until stopped."""
    import uvicorn

    from hub.config import load_config
    from hub.web.app import create_app
    from hub.web.context import WebContext
    from hub.workspace import Workspace

    config = load_config(config_path)
    audit = Workspace(config.workspace).open_audit()
    secure = behind_tls_proxy or bool(ssl_certfile)
    app = create_app(WebContext.open(config, audit, secure_cookies=secure))
    if not options.quiet:
        scheme = "https" if ssl_certfile else "http"
        click.echo(f"serving the IOM Exchange Hub on {scheme}://{host}:{port}/ (Ctrl-C stops)")
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        ssl_keyfile=str(ssl_keyfile) if ssl_keyfile else None,
        ssl_certfile=str(ssl_certfile) if ssl_certfile else None,
        proxy_headers=behind_tls_proxy,
        server_header=False,
    )


COMMANDS = (users, serve)
