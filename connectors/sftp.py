"""The SFTP connector: one folder on a partner's (or a recipient's) SFTP server, over paramiko.

What a partner's security team checks, and where it is done here:

* The server's host key is pinned in config and compared byte for byte before anything else is
  sent; an unknown, changed or revoked key stops the feed (:class:`HostKeyError`), never
  retried and never accepted automatically. The message gives the presented fingerprint and
  how to verify it with the partner.
* The hub authenticates with a private key file (Ed25519 or RSA; readable by its owner only, as
  OpenSSH insists) and/or a password; a passphrase or password comes from the environment the
  caller hands over, or a secrets file (:mod:`connectors.secrets`), never from YAML, and is never
  logged or shown.
* Errors are wrapped once, here: transient ones (refused, timed out, dropped) as
  :class:`ConnectorUnavailable` for the caller to retry; terminal ones (host key,
  authentication, permission) as :class:`ConnectorError`. Messages name the feed and the
  server, never a secret.
* Names the server lists are untrusted; symbolic links are resolved on the server and refused
  when they lead outside the folder.

paramiko is imported lazily, inside the methods that need it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import posixpath
import socket
import stat as stat_module
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from connectors.base import AfterLanding, Connector, RemoteFile
from connectors.config import SftpEndpoint
from connectors.errors import (
    AuthenticationFailed,
    ConnectorError,
    ConnectorUnavailable,
    HostKeyError,
    RemoteFileMissing,
)
from connectors.hostkeys import (
    PinnedKey,
    fingerprint,
    host_key_algorithms,
    host_label,
    parse_known_hosts_line,
    read_known_hosts,
)
from connectors.pull import unsafe_name_reason
from connectors.secrets import read_secret
from connectors.sftp_reader import PipelinedReader
from schemas.errors import HubError

if TYPE_CHECKING:
    import paramiko

# paramiko logs its own view of failures (with tracebacks) to stderr when nothing else is
# configured; the hub reports each failure once, through its own errors.
logging.getLogger("paramiko").addHandler(logging.NullHandler())

PIN_HINT = (
    "ask the partner for the server's host key fingerprint by another channel (phone, or a "
    "signed email), compare it with the fingerprint above, and only if they match pin the key "
    "in the feed's source (host_key or known_hosts_file); see docs/sftp.md"
)


def _describe(error: BaseException) -> str:
    """What went wrong on the network, in words (no secret can be in these)."""
    if isinstance(error, ConnectionRefusedError):
        return "refused the connection"
    if isinstance(error, TimeoutError | socket.timeout):
        return "did not answer in time"
    if isinstance(error, EOFError | ConnectionResetError | BrokenPipeError):
        return "dropped the connection"
    if isinstance(error, socket.gaierror):
        return "could not be found (unknown host name)"
    if isinstance(error, OSError) and error.strerror:
        return f"could not be reached ({error.strerror})"
    text = str(error).strip()
    return f"broke the connection ({text})" if text else "broke the connection"


class SftpConnector(Connector):
    """Lists, reads, tidies up and uploads files in one SFTP folder.

    ``who`` in messages is ``"<role> '<name>'"``, e.g. ``feed 'police'`` or ``recipient 'pcc'``.
    The connection opens on first use and reopens after it was lost; ``close`` ends it.

    Downloads keep ``read_depth`` requests of ``read_block`` bytes in flight on an SSH channel
    whose window is ``window_bytes`` (larger than what is in flight, so the server never
    waits for the window to reopen); ``bench/sftp_bench.py`` measured these choices.
    """

    def __init__(
        self,
        endpoint: SftpEndpoint,
        feed: str = "",
        *,
        role: str = "feed",
        read_depth: int = 32,
        read_block: int = 128 * 1024,
        window_bytes: int = 8 * 1024 * 1024,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.environment: Mapping[str, str] = os.environ if environment is None else environment
        """Where ``password_env`` and ``passphrase_env`` are looked up (the hub hands its own
        down; standalone use reads the process environment)."""
        self.feed = feed
        self.who = f"{role} {feed!r}"
        self.location = f"SFTP server {endpoint.server}"
        self.read_depth = read_depth
        self.read_block = read_block
        self.window_bytes = window_bytes
        self._transport: paramiko.Transport | None = None
        self._sftp: paramiko.SFTPClient | None = None
        self._root = ""
        self._links: set[str] = set()

    # --- connecting ----------------------------------------------------------------------------

    def _client(self) -> paramiko.SFTPClient:
        transport = self._transport
        if self._sftp is not None and transport is not None and transport.is_active():
            return self._sftp
        self._drop()
        self._connect()
        assert self._sftp is not None
        return self._sftp

    def _drop(self) -> None:
        sftp, transport = self._sftp, self._transport
        self._sftp = self._transport = None
        for thing in (sftp, transport):
            if thing is not None:
                with contextlib.suppress(Exception):
                    thing.close()

    def _fail(self, what: str) -> ConnectorUnavailable:
        return ConnectorUnavailable(
            f"{self.who}: {self.location} {what}", feed=self.feed, server=self.endpoint.server
        )

    def _pinned(self) -> tuple[list[PinnedKey], list[PinnedKey]]:
        """Keys pinned for this server, and keys revoked for it."""
        endpoint = self.endpoint
        if endpoint.host_key is not None:
            key = parse_known_hosts_line(endpoint.host_key)
            keys = [key] if key is not None else []
        else:
            assert endpoint.known_hosts_file is not None
            try:
                keys = read_known_hosts(endpoint.known_hosts_file)
            except OSError as error:
                raise ConnectorError(
                    f"{self.who}: cannot read the known_hosts file "
                    f"{endpoint.known_hosts_file} ({error.strerror or type(error).__name__})",
                    feed=self.feed,
                ) from None
            except ValueError as error:
                raise ConnectorError(f"{self.who}: {error}", feed=self.feed) from None
        mine = [key for key in keys if key.matches_host(endpoint.host, endpoint.port)]
        return [k for k in mine if not k.revoked], [k for k in mine if k.revoked]

    def _private_key(self) -> paramiko.PKey | None:
        import paramiko

        path = self.endpoint.private_key_file
        if path is None:
            return None
        try:
            mode = path.stat().st_mode
        except OSError as error:
            raise ConnectorError(
                f"{self.who}: cannot read the private key file {path} "
                f"({error.strerror or type(error).__name__})",
                feed=self.feed,
            ) from None
        if mode & 0o077:
            raise ConnectorError(
                f"{self.who}: the private key file {path} may be read by other users",
                hint=f"chmod 600 {path} (OpenSSH refuses such keys too)",
                feed=self.feed,
            )
        passphrase = read_secret(
            "private key passphrase",
            env=self.endpoint.passphrase_env,
            file=self.endpoint.passphrase_file,
            who=self.who,
            environment=self.environment,
        )
        try:
            secret = passphrase.encode() if passphrase is not None else None
            return paramiko.PKey.from_path(path, secret)  # positional: renamed in paramiko 5
        except paramiko.PasswordRequiredException:
            raise ConnectorError(
                f"{self.who}: the private key file {path} is encrypted and no passphrase is "
                "configured",
                hint="set the source's passphrase_env or passphrase_file",
                feed=self.feed,
            ) from None
        except (paramiko.SSHException, ValueError, TypeError, OSError):
            raise ConnectorError(
                f"{self.who}: the private key file {path} cannot be read: not an Ed25519, RSA "
                "or ECDSA private key, or the passphrase is wrong",
                feed=self.feed,
            ) from None

    def _connect(self) -> None:
        import paramiko

        endpoint = self.endpoint
        pinned, revoked = self._pinned()
        pkey = self._private_key()
        password = read_secret(
            "password", env=endpoint.password_env, file=endpoint.password_file, who=self.who,
            environment=self.environment,
        )  # fmt: skip
        timeout = endpoint.connect_timeout_seconds
        try:
            sock = socket.create_connection((endpoint.host, endpoint.port), timeout=timeout)
        except OSError as error:
            raise self._fail(_describe(error)) from error
        transport = paramiko.Transport(sock)
        try:
            transport.banner_timeout = transport.handshake_timeout = timeout
            transport.auth_timeout = timeout
            options = transport.get_security_options()
            wanted = [name for name in host_key_algorithms(pinned) if name in options.key_types]
            if wanted:  # make the server present the kind of key that is pinned
                options.key_types = wanted
            try:
                transport.start_client(timeout=timeout)
            except (paramiko.SSHException, OSError, EOFError) as error:
                raise self._fail(_describe(error)) from error
            self._check_host_key(transport.get_remote_server_key(), pinned, revoked)
            self._authenticate(transport, pkey, password)
            try:
                sftp = paramiko.SFTPClient.from_transport(transport, window_size=self.window_bytes)
            except (paramiko.SSHException, OSError, EOFError) as error:
                raise self._fail(f"would not start SFTP ({_describe(error)})") from error
            if sftp is None:
                raise self._fail("would not start SFTP")
            channel = sftp.get_channel()
            if channel is not None:
                channel.settimeout(endpoint.idle_timeout_seconds)
            self._transport, self._sftp = transport, sftp
            self._root = self._resolve_folder(sftp)
        except BaseException:
            self._drop()
            with contextlib.suppress(Exception):
                transport.close()
            raise

    def _check_host_key(
        self, key: paramiko.PKey, pinned: list[PinnedKey], revoked: list[PinnedKey]
    ) -> None:
        blob = key.asbytes()
        presented = f"{key.get_name()} key {fingerprint(blob)}"
        label = host_label(self.endpoint.host, self.endpoint.port)
        context = {"feed": self.feed, "server": self.endpoint.server}
        if any(k.blob == blob for k in revoked):
            raise HostKeyError(
                f"{self.who}: SFTP server {label} presented the {presented}, which is marked "
                "@revoked in the pinned keys; nothing was sent or fetched",
                hint=PIN_HINT,
                **context,
            )
        if not pinned:
            raise HostKeyError(
                f"{self.who}: no host key is pinned for SFTP server {label}; it presented the "
                f"{presented}. Nothing was sent or fetched, and the key was not accepted",
                hint=PIN_HINT,
                **context,
            )
        if not any(k.blob == blob for k in pinned):
            expected = ", ".join(f"{k.key_type} {k.fingerprint}" for k in pinned)
            raise HostKeyError(
                f"{self.who}: SFTP server {label} presented the {presented}, not the pinned "
                f"key ({expected}). Either the partner replaced its key or someone is "
                "intercepting the connection; nothing was sent or fetched",
                hint=PIN_HINT,
                **context,
            )

    def _authenticate(
        self, transport: paramiko.Transport, pkey: paramiko.PKey | None, password: str | None
    ) -> None:
        import paramiko

        username = self.endpoint.username
        try:
            try:
                remaining: list[str] = []
                if pkey is not None:
                    remaining = transport.auth_publickey(username, pkey)
                if password is not None and (pkey is None or remaining):
                    transport.auth_password(username, password)
            except paramiko.AuthenticationException:
                if pkey is None or password is None or transport.is_authenticated():
                    raise
                transport.auth_password(username, password)
        except paramiko.AuthenticationException:
            how = " and ".join(
                what
                for what, used in (("key", pkey is not None), ("password", password is not None))
                if used
            )
            hint = "ask the partner to check the account and the hub's authorised key"
            if pkey is not None:
                hint += f" (the hub's public key is {pkey.get_name()} {pkey.fingerprint})"
            raise AuthenticationFailed(
                f"{self.who}: SFTP server {self.endpoint.server} refused the hub's {how} for "
                f"user {username!r}",
                hint=hint,
                feed=self.feed,
                server=self.endpoint.server,
            ) from None
        except (paramiko.SSHException, OSError, EOFError) as error:
            raise self._fail(f"{_describe(error)} during authentication") from error
        if not transport.is_authenticated():
            raise AuthenticationFailed(
                f"{self.who}: SFTP server {self.endpoint.server} wants more than the configured "
                f"credentials for user {username!r}",
                feed=self.feed,
            )

    def _resolve_folder(self, sftp: paramiko.SFTPClient) -> str:
        folder = self.endpoint.folder
        try:
            root = sftp.normalize(folder)
            if not stat_module.S_ISDIR(sftp.stat(root).st_mode or 0):
                raise FileNotFoundError(folder)
        except (FileNotFoundError, PermissionError) as error:
            what = "may not be read" if isinstance(error, PermissionError) else "does not exist"
            raise ConnectorError(
                f"{self.who}: the folder {folder!r} on {self.location} {what}",
                hint="check the source's folder setting with the partner",
                feed=self.feed,
            ) from None
        return root

    @contextlib.contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Wrap paramiko's and the network's errors once, naming the feed and the server."""
        import paramiko

        try:
            yield
        except HubError:
            raise
        except PermissionError as error:
            raise ConnectorError(
                f"{self.who}: {self.location} denied permission while {doing}",
                hint="ask the partner to give the hub's account access to the folder (read; "
                "write too for after_landing archive or delete, and for uploads)",
                feed=self.feed,
            ) from error
        except FileNotFoundError as error:
            raise RemoteFileMissing(
                f"{self.who}: no such file or folder on {self.location} while {doing}",
                feed=self.feed,
            ) from error
        except (OSError, EOFError, paramiko.SSHException, paramiko.SFTPError) as error:
            self._drop()
            raise self._fail(f"{_describe(error)} while {doing}") from error

    def _path(self, name: str) -> str:
        return posixpath.join(self._root, name)

    # --- the connector interface ---------------------------------------------------------------

    def list_files(self) -> list[RemoteFile]:
        with self._errors("listing the folder"):
            sftp = self._client()
            entries = sftp.listdir_attr(self._root)
            files, links = [], set()
            for entry in entries:
                name, mode = entry.filename, entry.st_mode or 0
                listed = RemoteFile(name, entry.st_size or 0, int(entry.st_mtime or 0))
                if stat_module.S_ISREG(mode):
                    files.append(listed)
                elif stat_module.S_ISLNK(mode):
                    links.add(name)
                    target = None
                    if unsafe_name_reason(name) is None:
                        with contextlib.suppress(FileNotFoundError, PermissionError):
                            target = sftp.stat(self._path(name))
                    if target is None:
                        files.append(listed)  # broken or unreadable: refused by is_inside
                    elif stat_module.S_ISREG(target.st_mode or 0):
                        files.append(
                            RemoteFile(name, target.st_size or 0, int(target.st_mtime or 0))
                        )
        self._links = links
        return sorted(files, key=lambda item: item.name)

    def is_inside(self, name: str) -> bool:
        if unsafe_name_reason(name) is not None:
            return False
        if name not in self._links:
            return True
        with self._errors(f"resolving the link {name!r}"):
            sftp = self._client()
            try:
                real = sftp.normalize(self._path(name))
            except (FileNotFoundError, PermissionError):
                return False
        return real.startswith(self._root.rstrip("/") + "/")

    def stat(self, name: str) -> RemoteFile | None:
        with self._errors(f"checking {name!r}"):
            sftp = self._client()
            try:
                info = sftp.stat(self._path(name))
            except FileNotFoundError:
                return None
        return RemoteFile(name, info.st_size or 0, int(info.st_mtime or 0))

    @contextlib.contextmanager
    def _open(self, name: str, offset: int) -> Iterator[BinaryIO]:
        with self._errors(f"opening {name!r}"):
            sftp = self._client()
            handle = sftp.open(self._path(name), "rb")
        doing = f"downloading {name!r}"
        try:
            reader = PipelinedReader(sftp, handle, offset, self.read_depth, self.read_block)
            yield cast(BinaryIO, _GuardedReader(reader, self, doing))
            with self._errors(doing):
                reader.drain()
        finally:
            with contextlib.suppress(Exception):
                handle.close()

    def open_read(self, name: str, offset: int = 0) -> contextlib.AbstractContextManager[BinaryIO]:
        return self._open(name, offset)

    def read_small(self, name: str, limit: int = 4096) -> bytes:
        with self._errors(f"reading {name!r}"), self._client().open(self._path(name)) as handle:
            return cast(bytes, handle.read(limit))

    def after_landing(self, name: str, action: AfterLanding, archive_folder: str) -> None:
        if action is AfterLanding.LEAVE:
            return
        with self._errors(f"tidying up {name!r} ({action.value})"):
            sftp = self._client()
            if action is AfterLanding.DELETE:
                with contextlib.suppress(FileNotFoundError):
                    sftp.remove(self._path(name))
                return
            archive = self._path(archive_folder)
            self._make_folders(sftp, archive)
            with contextlib.suppress(FileNotFoundError):
                self._replace(sftp, self._path(name), posixpath.join(archive, name))

    def upload(self, local_path: Path, remote_name: str) -> None:
        if reason := unsafe_name_reason(remote_name):
            raise ConnectorError(f"{self.who}: cannot upload as {remote_name!r}: {reason}")
        if not local_path.is_file():
            raise ConnectorError(f"{self.who}: nothing to upload at {local_path}")
        temporary = self._path(f".{remote_name}.{uuid.uuid4().hex[:12]}.part")
        with self._errors(f"uploading {remote_name!r}"):
            sftp = self._client()
            try:
                sftp.put(str(local_path), temporary, confirm=True)
                self._replace(sftp, temporary, self._path(remote_name))
            except BaseException:
                with contextlib.suppress(Exception):
                    sftp.remove(temporary)
                raise

    def close(self) -> None:
        self._drop()

    # --- internals -----------------------------------------------------------------------------

    @staticmethod
    def _replace(sftp: paramiko.SFTPClient, source: str, target: str) -> None:
        """Rename, replacing ``target`` atomically where the server supports it (OpenSSH does)."""
        try:
            sftp.posix_rename(source, target)
        except (FileNotFoundError, PermissionError):
            raise
        except OSError:  # no posix-rename@openssh.com: a plain rename, after removing the target
            with contextlib.suppress(FileNotFoundError):
                sftp.remove(target)
            sftp.rename(source, target)

    def _make_folders(self, sftp: paramiko.SFTPClient, folder: str) -> None:
        try:
            if stat_module.S_ISDIR(sftp.stat(folder).st_mode or 0):
                return
        except FileNotFoundError:
            pass
        parent = posixpath.dirname(folder.rstrip("/"))
        if parent and parent != folder and parent.startswith(self._root):
            self._make_folders(sftp, parent)
        with contextlib.suppress(OSError):
            sftp.mkdir(folder, 0o700)
        if not stat_module.S_ISDIR(sftp.stat(folder).st_mode or 0):
            raise ConnectorError(f"{self.who}: {folder!r} on {self.location} is not a folder")


class _GuardedReader:
    """A remote file's reader whose errors become connector errors."""

    def __init__(self, handle: Any, connector: SftpConnector, doing: str) -> None:
        self._handle = handle
        self._connector = connector
        self._doing = doing

    def read(self, size: int = -1) -> bytes:
        with self._connector._errors(self._doing):
            return cast(bytes, self._handle.read(size))
