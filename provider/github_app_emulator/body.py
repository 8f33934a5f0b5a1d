"""Reading a request body off the wire, refusing bad framing with the right 4xx.

Either `Content-Length` (ASCII digits, one value) or `Transfer-Encoding: chunked`, never both
(RFC 9112 §6.3: that smells of request smuggling). A body over `MAX_BODY` is refused unread.
"""

from __future__ import annotations

from email.message import Message
from typing import BinaryIO

# The largest real body, 500 repository names of 100 characters, is ~60 KB; 1 MiB is ample.
MAX_BODY = 1 << 20
_MAX_LINE = 1024  # a chunk-size or trailer line
_MAX_TRAILERS = 64


class Refused(Exception):
    """The body cannot be read: answer `status` with `message`, then close the connection."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _too_large() -> Refused:
    return Refused(413, f"Request body is larger than {MAX_BODY} bytes")


def _bad(what: str) -> Refused:
    return Refused(400, f"Problems parsing request: {what}")


def _content_length(values: list[str]) -> int:
    distinct = {value.strip() for value in values}
    if len(distinct) != 1:
        raise _bad("conflicting Content-Length headers")
    raw = distinct.pop()
    if not (raw.isascii() and raw.isdigit()):
        raise _bad("Content-Length must be a non-negative integer")
    if len(raw) > len(str(MAX_BODY)) or int(raw) > MAX_BODY:
        raise _too_large()
    return int(raw)


def _read_exactly(rfile: BinaryIO, size: int) -> bytes:
    data = rfile.read(size)
    if len(data) != size:
        raise _bad("the body ended early")
    return data


def _chunk_size(rfile: BinaryIO) -> int:
    line = rfile.readline(_MAX_LINE + 1)
    if len(line) > _MAX_LINE or not line.endswith(b"\n"):
        raise _bad("bad chunk size line")
    raw = line.split(b";", 1)[0].strip()
    if not raw or len(raw) > 8 or any(c not in b"0123456789abcdefABCDEF" for c in raw):
        raise _bad("bad chunk size")
    return int(raw, 16)


def _read_chunked(rfile: BinaryIO) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while size := _chunk_size(rfile):
        total += size
        if total > MAX_BODY:
            raise _too_large()
        chunks.append(_read_exactly(rfile, size))
        if rfile.readline(3) not in (b"\r\n", b"\n"):
            raise _bad("a chunk is longer than its size")
    for _ in range(_MAX_TRAILERS):
        line = rfile.readline(_MAX_LINE + 1)
        if line in (b"\r\n", b"\n", b""):
            return b"".join(chunks)
    raise _bad("too many trailer lines")


def read_body(headers: Message, rfile: BinaryIO) -> bytes:
    """The request body; raises `Refused` for framing that cannot be trusted."""
    encodings = headers.get_all("Transfer-Encoding") or []
    lengths = headers.get_all("Content-Length") or []
    if encodings:
        if lengths:
            raise _bad("both Content-Length and Transfer-Encoding")
        if [e.strip().lower() for e in encodings] != ["chunked"]:
            raise _bad("only Transfer-Encoding: chunked is understood")
        return _read_chunked(rfile)
    if not lengths:
        return b""
    return _read_exactly(rfile, _content_length(lengths))
