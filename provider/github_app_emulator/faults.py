"""Injected faults: a queue of failures for the next matching requests, and their responses."""

from __future__ import annotations

import http
import math

from . import ratelimit
from .errors import DOCS_PRIMARY, DOCS_REST, DOCS_SECONDARY, MSG_SECONDARY
from .model import Fault
from .wire import Response

KINDS = ("error", "delay", "reset", "secondary", "primary")


def make(
    kind: str,
    count: int = 1,
    *,
    status: int | None = None,
    retry_after: int | None = None,
    delay: float | None = None,
    path: str | None = None,
) -> Fault:
    """Validate the arguments of `Emulator.inject` (also used by the HTTP control route)."""
    if kind not in KINDS:
        raise ValueError(f"fault kind must be one of {', '.join(KINDS)}")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError("count must be a positive integer")
    if kind == "error":
        status = 502 if status is None else status
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise ValueError("an error fault needs a 4xx/5xx status")
    elif kind in ("secondary", "primary"):
        status = 403 if status is None else status
        if status not in (403, 429):  # BEHAVIOUR.md §5: "403 or 429"
            raise ValueError("rate-limit faults answer 403 or 429")
    elif status is not None:
        raise ValueError(f"a {kind} fault takes no status")
    if retry_after is not None and (
        isinstance(retry_after, bool) or not isinstance(retry_after, int) or retry_after < 0
    ):
        raise ValueError("retry_after must be a non-negative integer")
    if kind == "delay":
        delay = 1.0 if delay is None else float(delay)
        if not math.isfinite(delay) or delay < 0:
            raise ValueError("delay must be a non-negative number of seconds")
    if path is not None and not isinstance(path, str):
        raise ValueError("path must be a string")
    return Fault(kind, count, status, retry_after, delay, path)  # type: ignore[arg-type]


class FaultQueue:
    """First matching fault wins; each match uses up one of its `count`. Not locked itself."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self._faults.append(fault)

    def take(self, path: str) -> Fault | None:
        for fault in self._faults:
            if fault.path is None or fault.path in path:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self._faults.clear()


def respond(
    fault: Fault, *, now: float, limit: int, installation_id: int | None, app_id: int | None
) -> Response:
    """The response for an `error`, `secondary` or `primary` fault."""
    status = fault.status or 502
    if fault.kind == "error":
        try:
            message = http.HTTPStatus(status).phrase
        except ValueError:
            message = "Error"
        return Response(status, {"message": message, "documentation_url": DOCS_REST})
    wait = fault.retry_after if fault.retry_after is not None else 1
    if fault.kind == "secondary":
        # §5: observed body; clients must honour Retry-After.
        body = {"documentation_url": DOCS_SECONDARY, "message": MSG_SECONDARY}
        return Response(status, body, {"Retry-After": str(wait)})
    # Primary: §5 quotes "API rate limit exceeded for installation ID xxxxxxx." The app and
    # anonymous variants below are our inference.
    if installation_id is not None:
        message = f"API rate limit exceeded for installation ID {installation_id}."
    elif app_id is not None:
        message = f"API rate limit exceeded for app ID {app_id}."
    else:
        message = "API rate limit exceeded for 127.0.0.1."
    reset = math.ceil(now) + wait
    headers = ratelimit.headers(limit, 0, limit, reset)
    return Response(status, {"message": message, "documentation_url": DOCS_PRIMARY}, headers)
