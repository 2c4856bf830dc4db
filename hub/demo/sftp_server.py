"""The demo's partners on a real SFTP server on loopback, so the demo pulls the way production does.

:class:`LoopbackSftpServer` is a small SFTP server (paramiko acting as the server) on
127.0.0.1: one account per partner, authenticated by that partner's public key, each jailed in
its own folder. :func:`sftp_demo_config` generates the keys, pins the server's host key, and
writes a hub config whose feeds are the example feeds (``examples/config/feeds/*.yaml``) with
an SFTP source pointing at the server. Imported only by the demo (paramiko is heavy).
"""

from __future__ import annotations

import base64
import contextlib
import os
import posixpath
import shutil
import socket
import threading
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import paramiko
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from paramiko.sftp import SFTP_NO_SUCH_FILE, SFTP_OK

from connectors.hostkeys import fingerprint

EXAMPLE_FEEDS = Path(__file__).resolve().parent / "config" / "feeds"


def write_ed25519_key(path: Path) -> str:
    """Write a new Ed25519 private key (OpenSSH format, mode 0600); return its public key line."""
    key = ed25519.Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return public.decode()


class _Accounts(paramiko.ServerInterface):
    """Public-key authentication against the partners' keys; records whose folder to serve."""

    def __init__(self, accounts: dict[str, tuple[Path, bytes]]) -> None:
        self.accounts = accounts
        self.root: Path | None = None

    def get_allowed_auths(self, username: str) -> str:
        return "publickey"

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        account = self.accounts.get(username)
        if account is not None and key.asbytes() == account[1]:
            self.root = account[0]
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session" and self.root is not None:
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED


class _JailedFolder(paramiko.SFTPServerInterface):
    """One partner's folder served as ``/``; nothing outside it can be reached."""

    def __init__(self, server: _Accounts, *args: Any, **kwargs: Any) -> None:
        super().__init__(server, *args, **kwargs)
        assert server.root is not None
        self.root = server.root.resolve()

    def _local(self, path: str, *, follow: bool = True) -> Path:
        remote = posixpath.normpath(posixpath.join("/", path))
        local = self.root / remote.lstrip("/")
        if follow and not Path(os.path.realpath(local)).is_relative_to(self.root):
            raise PermissionError(13, "outside the folder")
        return local

    @staticmethod
    def _attributes(info: os.stat_result, name: str | None = None) -> paramiko.SFTPAttributes:
        attributes = paramiko.SFTPAttributes.from_stat(info)
        if name is not None:
            attributes.filename = name
        return attributes

    def list_folder(self, path: str) -> Any:
        try:
            folder = self._local(path)
            return [self._attributes(os.lstat(folder / name), name) for name in os.listdir(folder)]
        except OSError as error:
            return paramiko.SFTPServer.convert_errno(error.errno)

    def stat(self, path: str) -> Any:
        try:
            return self._attributes(os.stat(self._local(path)))
        except OSError as error:
            return paramiko.SFTPServer.convert_errno(error.errno)

    def lstat(self, path: str) -> Any:
        try:
            return self._attributes(os.lstat(self._local(path, follow=False)))
        except OSError as error:
            return paramiko.SFTPServer.convert_errno(error.errno)

    def open(self, path: str, flags: int, attr: paramiko.SFTPAttributes) -> Any:
        try:
            local = self._local(path)
            descriptor = os.open(local, flags, getattr(attr, "st_mode", None) or 0o600)
        except OSError as error:
            return paramiko.SFTPServer.convert_errno(error.errno)
        if flags & (os.O_WRONLY | os.O_RDWR):
            mode = "ab" if flags & os.O_APPEND else ("r+b" if flags & os.O_RDWR else "wb")
        else:
            mode = "rb"
        handle = paramiko.SFTPHandle(flags)
        handle.filename = str(local)  # type: ignore[attr-defined]
        handle.readfile = handle.writefile = os.fdopen(descriptor, mode)  # type: ignore[attr-defined]
        return handle

    def remove(self, path: str) -> int:
        return self._call(os.remove, self._local(path, follow=False))

    def rename(self, oldpath: str, newpath: str) -> int:
        target = self._local(newpath, follow=False)
        if target.exists():
            return paramiko.sftp.SFTP_FAILURE
        return self._call(os.rename, self._local(oldpath, follow=False), target)

    def posix_rename(self, oldpath: str, newpath: str) -> int:
        return self._call(
            os.replace, self._local(oldpath, follow=False), self._local(newpath, follow=False)
        )

    def mkdir(self, path: str, attr: paramiko.SFTPAttributes) -> int:
        return self._call(os.mkdir, self._local(path, follow=False), 0o700)

    def rmdir(self, path: str) -> int:
        return self._call(os.rmdir, self._local(path, follow=False))

    def canonicalize(self, path: str) -> str:
        remote = posixpath.normpath(posixpath.join("/", path))
        real = Path(os.path.realpath(self.root / remote.lstrip("/")))
        if not real.is_relative_to(self.root):
            return "!outside-the-folder"
        return "/" + real.relative_to(self.root).as_posix().removeprefix(".")

    @staticmethod
    def _call(function: Any, *args: Any) -> int:
        try:
            function(*args)
        except FileNotFoundError:
            return SFTP_NO_SUCH_FILE
        except OSError as error:
            return paramiko.SFTPServer.convert_errno(error.errno)
        return SFTP_OK


class LoopbackSftpServer:
    """An SFTP server on 127.0.0.1 with one account (key and folder) per partner."""

    def __init__(self, host_key_file: Path, accounts: dict[str, tuple[Path, str]]) -> None:
        self.host_key = paramiko.Ed25519Key.from_private_key_file(str(host_key_file))
        self.accounts = {
            user: (folder.resolve(), paramiko.PKey.from_type_string(*_split(public)).asbytes())
            for user, (folder, public) in accounts.items()
        }
        self._listener: socket.socket | None = None
        self._transports: list[paramiko.Transport] = []
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def host_key_line(self) -> str:
        """The server's key as a known_hosts line for 127.0.0.1 on its port."""
        return f"[127.0.0.1]:{self.port} {self.host_key.get_name()} {self.host_key.get_base64()}"

    @property
    def host_key_fingerprint(self) -> str:
        return fingerprint(self.host_key.asbytes())

    def start(self) -> None:
        """Listen on a free port and serve connections in the background."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        self._listener, self.port = listener, listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, name="demo-sftp", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return  # closed by stop()
            transport = paramiko.Transport(connection)
            transport.add_server_key(self.host_key)
            transport.set_subsystem_handler("sftp", paramiko.SFTPServer, _JailedFolder)
            self._transports.append(transport)
            with contextlib.suppress(paramiko.SSHException, EOFError, OSError):
                transport.start_server(server=_Accounts(self.accounts))

    def stop(self) -> None:
        """Stop listening and close every connection."""
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
        for transport in self._transports:
            transport.close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _split(public: str) -> tuple[str, bytes]:
    key_type, blob = public.split()[:2]
    return key_type, base64.b64decode(blob)


def write_partner_keys(keys: Path, feeds: list[str]) -> dict[str, str]:
    """Write the server's host key and one key per partner; return each partner's public key."""
    write_ed25519_key(keys / "sftp_host_ed25519")
    return {feed: write_ed25519_key(keys / f"{feed}_ed25519") for feed in feeds}


def write_loopback_config(demo_dir: Path, feeds: list[str], port: int, host_key_line: str) -> Path:
    """Write a hub config whose feeds are the example feeds pulled over SFTP from 127.0.0.1.

    Keys are those of :func:`write_partner_keys` under ``demo_dir/keys``; the workspace is
    ``demo_dir/workspace``. Returns the hub file's path.
    """
    config_dir = demo_dir / "config"
    (config_dir / "feeds").mkdir(parents=True, exist_ok=True)
    for feed in feeds:
        document = yaml.safe_load((EXAMPLE_FEEDS / f"{feed}.yaml").read_text(encoding="utf-8"))
        document["source"] = {
            "kind": "sftp",
            "host": "127.0.0.1",
            "port": port,
            "username": feed,
            "folder": ".",
            "host_key": host_key_line,
            "private_key_file": f"../../keys/{feed}_ed25519",
            "pattern": document["source"]["pattern"],
            "completeness": {"stable_seconds": 0, "min_age_seconds": 0},
            "after_landing": "archive",
            "retry": {"attempts": 1},  # the server runs only with the demo: no waiting for it
        }
        (config_dir / "feeds" / f"{feed}.yaml").write_text(
            f"# {feed}: the example feed, pulled over SFTP from the demo's loopback server\n"
            + yaml.safe_dump(document, sort_keys=False, allow_unicode=True),
            encoding="utf-8",
        )
    hub_document = yaml.safe_load((EXAMPLE_FEEDS.parent / "hub.yaml").read_text("utf-8"))
    hub_document.update({"workspace": "../workspace", "feeds": ["feeds/*.yaml"]})
    shutil.copytree(EXAMPLE_FEEDS.parent / "agreements", config_dir / "agreements",
                    dirs_exist_ok=True)  # fmt: skip
    if (EXAMPLE_FEEDS.parent / "cohort.yaml").exists():
        shutil.copy(EXAMPLE_FEEDS.parent / "cohort.yaml", config_dir / "cohort.yaml")
    (config_dir / "hub.yaml").write_text(
        "# Written by iomhub demo: the four demo partners on an SFTP server on 127.0.0.1\n"
        "# (it ran only while the demo ran), with the example agreements and recipients.\n"
        "# After the demo, use ../config-folders/hub.yaml: the same partners from their folders.\n"
        + yaml.safe_dump(hub_document, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    return config_dir / "hub.yaml"


@contextlib.contextmanager
def sftp_demo_config(demo_dir: Path, partner_folders: dict[str, Path]) -> Any:
    """Serve each partner's folder over SFTP and write a hub config that pulls from it.

    Yields ``(config_path, server)``; the server stops when the block ends.
    """
    keys = demo_dir / "keys"
    public = write_partner_keys(keys, list(partner_folders))
    accounts = {feed: (folder, public[feed]) for feed, folder in partner_folders.items()}
    with LoopbackSftpServer(keys / "sftp_host_ed25519", accounts) as server:
        config = write_loopback_config(
            demo_dir, list(partner_folders), server.port, server.host_key_line
        )
        yield config, server
