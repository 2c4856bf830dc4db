"""``iomhub serve`` (the web app) and ``iomhub users ...`` (its accounts).

Account changes are written to the audit log (configuration entries, never a password) by the
functions in :mod:`hub.accounts`. Passwords are read from standard input (``--password-stdin``),
a hidden prompt, or generated once (``--one-time``); never from the command line.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click

from hub.cli.common import Options, config_option, error_boundary

password_options = (
    click.option("--password-stdin", is_flag=True, help="Read the password from standard input."),
    click.option("--one-time", is_flag=True, help="Generate a password and print it once."),
)


def _with_password_options(command):  # type: ignore[no-untyped-def]
    for option in reversed(password_options):
        command = option(command)
    return command


def _password(from_stdin: bool, one_time: bool) -> str:
    if one_time:
        return secrets.token_urlsafe(12)
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    raise click.UsageError("give the password on standard input with --password-stdin")


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
    help="iom_officer, reviewer, data_officer, dpo, admin, panel_police or panel_probation; "
    "repeat or comma-separate.",
)
@_with_password_options
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
    from hub.accounts import add_account, parse_roles

    parsed = parse_roles([r for item in roles for r in item.split(",")])
    password = _password(password_stdin, one_time)
    account = add_account(options.load_config(config_path), name, parsed, password)
    shown = sorted(role.value for role in account.roles)
    options.emit({"account": account.name, "roles": shown,
                  **({"password": password} if one_time else {})})  # fmt: skip
    if not options.json_mode:
        click.echo(f"account {account.name} added with roles {', '.join(shown)}")
        if one_time:
            click.echo(f"  one-time password (shown once): {password}")


@users.command("list")
@config_option
@click.pass_obj
@error_boundary
def users_list(options: Options, config_path: Path) -> None:
    """Every account, its roles and whether it can sign in."""
    from hub.accounts import open_accounts

    rows = open_accounts(options.load_config(config_path)).all()
    options.emit({"accounts": [{"name": a.name, "roles": sorted(r.value for r in a.roles),
                                "disabled": a.disabled, "locked_until": a.locked_until}
                               for a in rows]})  # fmt: skip
    if not options.json_mode:
        for a in rows:
            state = "disabled" if a.disabled else ("locked" if a.locked_until else "active")
            click.echo(f"{a.name:24} {','.join(sorted(r.value for r in a.roles)):40} {state}")


@users.command("disable")
@config_option
@click.option("--name", required=True)
@click.pass_obj
@error_boundary
def users_disable(options: Options, config_path: Path, name: str) -> None:
    """Stop an account from signing in; its open sessions end at their next request."""
    from hub.accounts import disable_account

    disable_account(options.load_config(config_path), name)
    if not options.quiet:
        click.echo(f"account {name} disabled")


@users.command("reset-password")
@config_option
@click.option("--name", required=True)
@_with_password_options
@click.pass_obj
@error_boundary
def users_reset_password(
    options: Options, config_path: Path, name: str, password_stdin: bool, one_time: bool
) -> None:
    """Set a new password (clears a lock-out)."""
    from hub.accounts import reset_account_password

    password = _password(password_stdin, one_time)
    reset_account_password(options.load_config(config_path), name, password)
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

    from hub.web.app import create_app
    from hub.web.context import WebContext

    config = options.load_config(config_path)
    secure = behind_tls_proxy or bool(ssl_certfile)
    app = create_app(WebContext.open(config, secure_cookies=secure))
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
