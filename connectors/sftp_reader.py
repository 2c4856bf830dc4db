"""Reading a remote file over SFTP with many read requests in flight, in one thread."""

from __future__ import annotations

import collections
import errno
from typing import Any


class PipelinedReader:
    """Reads a remote file in order, keeping up to ``depth`` read requests in flight.

    One thread does everything: requests go out ahead of the reader and responses are taken as
    they come, so a download runs at network speed without paramiko's prefetch thread (which,
    when the reader momentarily catches up with it, can stop prefetching for the rest of the
    file and fall back to one 32 KB round trip at a time). A short answer (a server with a
    smaller read limit) re-aims the requests after it; an empty answer or EOF ends the file.
    This uses ``SFTPClient._async_request`` and ``_read_response``, paramiko's own pipelining
    primitives (stable since paramiko 1.x).
    """

    def __init__(self, sftp: Any, handle: Any, offset: int, depth: int, block: int) -> None:
        self._sftp = sftp
        self._handle = handle.handle
        self._next = offset
        self._depth = max(1, depth)
        self._block = max(512, block)
        self._inflight: collections.deque[tuple[int, int, int]] = collections.deque()
        self._answers: dict[int, bytes | BaseException] = {}
        self._abandoned: set[int] = set()
        self._eof = False

    def _async_response(self, kind: int, message: Any, number: int) -> None:
        """Called by paramiko for each answer to one of this pipeline's requests."""
        from paramiko.sftp import (
            CMD_DATA,
            CMD_STATUS,
            SFTP_EOF,
            SFTP_NO_SUCH_FILE,
            SFTP_PERMISSION_DENIED,
            SFTPError,
        )

        if number in self._abandoned:
            self._abandoned.discard(number)
            return
        if kind == CMD_DATA:
            self._answers[number] = message.get_string()
        elif kind == CMD_STATUS:
            code = message.get_int()
            if code == SFTP_EOF:
                self._answers[number] = b""
            elif code == SFTP_NO_SUCH_FILE:
                self._answers[number] = FileNotFoundError(errno.ENOENT, "no such file")
            elif code == SFTP_PERMISSION_DENIED:
                self._answers[number] = PermissionError(errno.EACCES, "permission denied")
            else:
                self._answers[number] = SFTPError(f"read failed (SFTP status {code})")
        else:
            self._answers[number] = SFTPError("unexpected answer to a read")

    def _request(self) -> None:
        from paramiko.sftp import CMD_READ, int64

        number = self._sftp._async_request(
            self, CMD_READ, self._handle, int64(self._next), int(self._block)
        )
        self._inflight.append((number, self._next, self._block))
        self._next += self._block

    def read(self, size: int = -1) -> bytes:
        """The next bytes of the file (any amount); ``b""`` at the end."""
        while not self._eof and len(self._inflight) < self._depth:
            self._request()
        if not self._inflight:
            return b""
        number, offset, length = self._inflight.popleft()
        while number not in self._answers:
            self._sftp._read_response()
        answer = self._answers.pop(number)
        if isinstance(answer, BaseException):
            raise answer
        if not answer:
            self._eof = True
            return b""
        if len(answer) < length:  # a smaller read limit, or the end: ask again after it
            self._abandoned.update(n for n, _, _ in self._inflight)
            self._inflight.clear()
            self._answers.clear()
            self._block = len(answer)
            self._next = offset + len(answer)
        return answer

    def drain(self) -> None:
        """Take the answers still due (reads past the end) so the SFTP channel stays in step."""
        self._eof = True
        while self._inflight:
            number, _, _ = self._inflight.popleft()
            while number not in self._answers:
                self._sftp._read_response()
            self._answers.pop(number)
