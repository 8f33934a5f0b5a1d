"""What GitHub's JSON answers mean: tokens, installations and error messages.

Wire names (`expires_at`, `repository_selection`) stay inside this module. Every parser
takes raw bytes and returns a value or raises `Malformed` with a cause that quotes no
value from the body, so a cause can never echo a token.
"""

from __future__ import annotations

import json
import re
from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from itertools import accumulate
from typing import Any

from . import clock

MAX_TEXT = 300
"""Characters of a server's message we repeat in an error."""
_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.\d{1,9})?(?:([Zz])|([+-])(\d\d):(\d\d))",
    re.ASCII,
)
_TOKEN_IN_TEXT = re.compile(r'"token"\s*:\s*"([^"\\\s]{1,65536})"')
MAX_NESTING = 64
"""How deep arrays and objects may nest in an answer we parse; GitHub's nest five deep."""
# A string runs to its closing quote or, unclosed, to the end: one way to match each byte,
# so the scan stays linear whatever the body.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:(?:\\.|\\\Z)[^"\\]*)*(?:"|\Z)', re.S)
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 and -1 as signed bytes
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))


class Malformed(ValueError):
    """An answer we cannot use; the message names the field, never its value."""


@dataclass(frozen=True)
class Installation:
    """What `GET /app/installations/{id}` and the installation lookups tell about one."""

    id: int
    account: str
    permissions: Mapping[str, str]
    repository_selection: str


@dataclass(frozen=True)
class AccessToken:
    token: str = field(repr=False)
    expires_at: str
    """RFC 3339 in UTC, `YYYY-MM-DDTHH:MM:SSZ`, as GitHub sends it."""
    permissions: Mapping[str, str]
    repository_selection: str
    repositories: tuple[str, ...]
    """`owner/name` of each repository the token is limited to; empty when unscoped."""
    clock_offset: float
    """Seconds GitHub's clock was ahead of ours when it minted the token (see clock.token_clock)."""
    lifetime: int
    """Seconds GitHub granted the token: `expires_at` less GitHub's clock at the mint."""


def nesting(body: bytes) -> int:
    """How deep arrays and objects nest in `body`, brackets inside strings aside.

    Measured before parsing: the parser recurses until the stack is spent, and then whatever
    the garbage collector runs at that depth (a finalizer) fails too.
    """
    steps = _JSON_STRING.sub(b"", body).translate(_STEPS, _NOT_BRACKETS)
    return max(accumulate(array("b", steps)), default=0)


def decode(body: bytes) -> Any:
    """The JSON value of `body`; raises Malformed when it is not JSON."""
    if body.count(b"[") + body.count(b"{") > MAX_NESTING and nesting(body) > MAX_NESTING:
        raise Malformed(f"the body nests more than {MAX_NESTING} levels deep")
    try:
        return json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise Malformed("the body is not JSON") from None


def usable_token(value: Any) -> str | None:
    """`value` if it can be sent in an Authorization header, else None. No format assumed."""
    if isinstance(value, str) and 0 < len(value) <= 65536 and value.isascii() and (
        value.isprintable() and not any(c.isspace() for c in value)
    ):
        return value
    return None


def salvage_token(body: bytes) -> str | None:
    """A token held by an answer we cannot otherwise use, so that it can be revoked."""
    try:
        data = decode(body)
    except Malformed:
        data = None
    if isinstance(data, dict) and usable_token(data.get("token")):
        return data["token"]
    match = _TOKEN_IN_TEXT.search(body.decode("utf-8", "replace"))
    return usable_token(match.group(1)) if match else None


def rfc3339_utc(value: Any) -> datetime:
    """An aware UTC datetime for an RFC 3339 date-time, or Malformed."""
    match = _RFC3339.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise Malformed("`expires_at` is not an RFC 3339 date-time")
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    try:
        offset = timedelta(0)
        if match.group(8):
            sign = -1 if match.group(8) == "-" else 1
            offset = sign * timedelta(hours=int(match.group(9)), minutes=int(match.group(10)))
        moment = datetime(year, month, day, hour, minute, second, tzinfo=timezone(offset))
        return moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise Malformed("`expires_at` is not a valid date-time") from None


def _strings(value: Any, name: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise Malformed(f"`{name}` is not an object of strings")
    return dict(value)


def _string(value: Any, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Malformed(f"`{name}` is not a string")
    return value


def _full_names(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(
        isinstance(r, dict) and isinstance(r.get("full_name"), str) for r in value
    ):
        raise Malformed("`repositories` is not a list of repositories with a `full_name`")
    return tuple(r["full_name"] for r in value)


def access_token(body: bytes, github_offset: float | None, now: float) -> AccessToken:
    """The token in a 201 from `POST /app/installations/{id}/access_tokens`.

    `now` is our clock; `github_offset` (from `Date`) is checked against the expiry by
    clock.token_clock, which refuses a token already dead on GitHub's clock or expiring
    more than a day away.
    """
    data = decode(body)
    if not isinstance(data, dict):
        raise Malformed("the body is not a JSON object")
    token = usable_token(data.get("token"))
    if token is None:
        raise Malformed("`token` is missing, or not a string that fits an HTTP header")
    expires = rfc3339_utc(data.get("expires_at"))
    try:
        offset, lifetime = clock.token_clock(expires.timestamp(), github_offset, now)
    except ValueError as err:
        raise Malformed(str(err)) from None
    return AccessToken(
        token=token,
        expires_at=expires.replace(tzinfo=None).isoformat(timespec="seconds") + "Z",
        permissions=_strings(data.get("permissions"), "permissions"),
        repository_selection=_string(data.get("repository_selection"), "repository_selection"),
        repositories=_full_names(data.get("repositories")),
        clock_offset=offset,
        lifetime=int(lifetime),
    )


def installation(body: bytes) -> Installation:
    """An installation from `GET /app/installations/{id}` or the owner/repository lookups."""
    data = decode(body)
    if not isinstance(data, dict):
        raise Malformed("the body is not a JSON object")
    id_ = data.get("id")
    if isinstance(id_, bool) or not isinstance(id_, int) or not 0 < id_ < 2**63:
        raise Malformed("`id` is not a positive integer")
    account = data.get("account")
    if not isinstance(account, dict) or not isinstance(account.get("login"), str):
        raise Malformed("`account.login` is missing or not a string")
    return Installation(
        id=id_,
        account=account["login"],
        permissions=_strings(data.get("permissions"), "permissions"),
        repository_selection=_string(data.get("repository_selection"), "repository_selection"),
    )


def clean(text: str, *secrets: str) -> str:
    """Server text fit to repeat: printable, at most MAX_TEXT characters, secrets cut out."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    text = "".join(c if c.isprintable() else " " for c in text)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "..."


def error_fields(body: bytes) -> tuple[str, str | None]:
    """GitHub's `message` and `documentation_url` from an error answer, raw (see `clean`)."""
    try:
        data = decode(body)
    except Malformed:
        return "an answer that is not JSON", None
    if not isinstance(data, dict):
        return "an answer that is not a GitHub error object", None
    message = data.get("message")
    docs = data.get("documentation_url")
    return (
        message if isinstance(message, str) else "no message",
        docs if isinstance(docs, str) and docs.startswith("https://") else None,
    )
