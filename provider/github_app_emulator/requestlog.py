"""The request log: what each GitHub API request was, with anything secret-shaped scrubbed."""

from __future__ import annotations

import re
from typing import Any

from .model import AuthKind, RequestRecord
from .wire import parse_json

# Anything token- or JWT-shaped is scrubbed, known to us or not: legacy tokens (`ghs_` + 36),
# stateless ones (`ghs_<app id>_<JWT>`, dots and dashes included), other GitHub tokens, JWTs.
_SECRET_SHAPES = re.compile(r"gh[a-z]_[\w.-]+|github_pat_\w+|eyJ[\w-]*\.[\w-]+\.[\w-]*")
REDACTED = "[REDACTED]"
CAP = 10_000  # oldest entries go first


def scrub(value: Any) -> Any:
    """Copy of `value` with every token/JWT-shaped string replaced."""
    if isinstance(value, str):
        return _SECRET_SHAPES.sub(REDACTED, value)
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


class RequestLog:
    """Entries in arrival order (by sequence number). Not locked itself: see `State`."""

    def __init__(self) -> None:
        self._entries: list[tuple[int, RequestRecord]] = []
        self._seq = 0

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def record(
        self,
        seq: int,
        method: str,
        path: str,
        query: str,
        status: int,
        auth: AuthKind,
        token_id: int | None,
        body: bytes,
        at: float,
    ) -> None:
        try:
            parsed = parse_json(body) if body.strip() else None
        except ValueError:
            parsed = None
        entry = RequestRecord(
            method,
            scrub(path),
            scrub(query),
            status,
            auth,
            token_id,
            scrub(parsed) if isinstance(parsed, dict) else None,
            at,
        )
        self._entries.append((seq, entry))
        if len(self._entries) > CAP:
            del self._entries[: len(self._entries) - CAP]

    def records(self) -> list[RequestRecord]:
        return [entry for _, entry in sorted(self._entries, key=lambda item: item[0])]

    def clear(self) -> None:
        self._entries.clear()
