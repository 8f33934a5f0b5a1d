"""What goes on the wire: the response value, JSON encoding and GitHub's fixed headers."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from array import array
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from .errors import ApiError

API_VERSION = "2022-11-28"
JSON_TYPE = "application/json; charset=utf-8"

# Headers GitHub sends on every API response (copied from the recorded exchanges).
STATIC_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-GitHub-Media-Type", "github.v3; format=json"),
    ("x-github-api-version-selected", API_VERSION),
    (
        "Access-Control-Expose-Headers",
        "ETag, Link, Location, Retry-After, X-GitHub-OTP, X-RateLimit-Limit, "
        "X-RateLimit-Remaining, X-RateLimit-Used, X-RateLimit-Resource, X-RateLimit-Reset, "
        "X-OAuth-Scopes, X-Accepted-OAuth-Scopes, X-Poll-Interval, X-GitHub-Media-Type, "
        "X-GitHub-SSO, X-GitHub-Request-Id, Deprecation, Sunset",
    ),
    ("Access-Control-Allow-Origin", "*"),
    (
        "Vary",
        "Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding, Accept, X-Requested-With",
    ),
    ("X-Frame-Options", "deny"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-XSS-Protection", "0"),
    ("Referrer-Policy", "origin-when-cross-origin, strict-origin-when-cross-origin"),
    ("Content-Security-Policy", "default-src 'none'"),
)


@dataclass
class Response:
    status: int
    body: Any = None  # JSON-encodable; None means no body at all (204, 304)
    headers: dict[str, str] = field(default_factory=dict)
    token_id: int | None = None  # id of a token minted by this request; for the log only
    # Faults only: exact bytes to send instead of `body`, under `content_type`.
    raw: bytes | None = None
    content_type: str = JSON_TYPE
    github: bool = True  # False: an answer from something that is not GitHub (no GitHub headers)
    endless: bool = False  # a chunked body of blanks that never ends (a trickle fault)

    @classmethod
    def from_error(cls, error: ApiError) -> Response:
        return cls(error.status, error.body(), dict(error.headers))

    def payload(self) -> bytes | None:
        """The body's bytes, or None when there is no body at all."""
        if self.raw is not None:
            return self.raw
        return None if self.body is None else encode(self.body)


# Ids beyond this many digits cannot exist; Python's int() even refuses more than 4300.
MAX_ID_DIGITS = 18


def parse_id(raw: str) -> int | None:
    """A positive decimal id as GitHub writes them, or None (never a huge or odd number)."""
    if raw.isascii() and raw.isdigit() and len(raw) <= MAX_ID_DIGITS:
        return int(raw)
    return None


# Deeper than any GitHub request; measured before parsing, because the parser would recurse
# until the stack is spent. The same guard as github_app_token.responses (we import nothing).
MAX_NESTING = 64
# A string runs to its closing quote or, unclosed, to the end: linear whatever the body.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:(?:\\.|\\\Z)[^"\\]*)*(?:"|\Z)', re.S)
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 and -1 as signed bytes
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))


def too_deep(body: bytes) -> bool:
    """Whether arrays and objects in `body` nest deeper than MAX_NESTING."""
    if body.count(b"[") + body.count(b"{") <= MAX_NESTING:
        return False
    steps = _JSON_STRING.sub(b"", body).translate(_STEPS, _NOT_BRACKETS)
    return max(accumulate(array("b", steps)), default=0) > MAX_NESTING


def parse_json(body: bytes) -> Any:
    """Decode a request body; any failure (bad UTF-8 or JSON, nesting too deep) is ValueError."""
    if too_deep(body):
        raise ValueError("nested too deep")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("not JSON") from exc


def encode(body: Any) -> bytes:
    # GitHub sends compact JSON.
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def etag(body: Any, *, weak: bool) -> str:
    digest = hashlib.sha256(encode(body)).hexdigest()
    return f'W/"{digest}"' if weak else f'"{digest}"'


def request_id() -> str:
    # Shaped like the recorded `D590:F2E4:13B6DDD:13FE18A:648185AC`.
    parts = (
        secrets.token_hex(2),
        secrets.token_hex(2),
        secrets.token_hex(4)[1:],
        secrets.token_hex(4)[1:],
        secrets.token_hex(4),
    )
    return ":".join(p.upper() for p in parts)
