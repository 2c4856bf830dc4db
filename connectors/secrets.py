"""Reading a secret (a password, a key passphrase) from an environment mapping or a secrets file.

This is the one place the connectors read secrets. The environment is a mapping handed down by
the caller (the hub passes the one its config was loaded with), not read here. Values are
returned to the caller and never logged, stored or put in a message; errors name only where the
secret was looked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from connectors.errors import ConnectorError


def read_secret(
    what: str, *, env: str | None, file: Path | None, who: str, environment: Mapping[str, str]
) -> str | None:
    """The secret in the variable ``env`` of ``environment``, or in ``file`` (None: neither set).

    A secrets file holds the value alone; one trailing newline is ignored. ``who`` names the
    feed or recipient for messages.
    """
    if env is not None:
        value = environment.get(env)
        if value is None:
            raise ConnectorError(
                f"{who}: the {what} is to come from the environment variable {env}, "
                "which is not set",
                hint=f"export {env} in the hub's environment (e.g. the service's "
                "EnvironmentFile), or use a secrets file",
            )
        return value
    if file is not None:
        try:
            value = file.read_text(encoding="utf-8")
        except OSError as error:
            raise ConnectorError(
                f"{who}: cannot read the {what} from the secrets file {file} "
                f"({error.strerror or type(error).__name__})",
                hint="check the file exists and the hub's user may read it",
            ) from None
        return value[:-1] if value.endswith("\n") else value
    return None
