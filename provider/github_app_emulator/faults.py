"""Injected faults: a queue of misbehaviours for the next matching requests, and their answers.

Kinds (`Emulator.inject(kind, count, **options)`, or POST /_emulator/faults with the same
names as a JSON object). Every kind takes `count` (how many matching requests it hits, default 1)
and `path` (a substring the request path must contain; default: any path, except `malformed`).

- `error`: answer `status` (400-599, default 502) with GitHub's error body; with `retry_after`
  (seconds) it also sends `Retry-After`, as GitHub and proxies do on 503s.
- `delay`: wait `delay` seconds (default 1) before answering normally.
- `reset`: drop the connection with a TCP RST and no answer.
- `secondary` / `primary`: a secondary or primary rate limit (`status` 403 or 429, default 403;
  `retry_after`, default 1).
- `malformed`: a broken 201 from POST access_tokens (`path` defaults to `/access_tokens`). The
  request is served for real first; only a 201 is then damaged as `variant` says (see
  `MALFORMED`). Variants whose body still carries the token leave that token minted and live, so
  a test can check the client revokes it; the others (`no-token`, `token-not-string`) un-mint it,
  so the ledger only counts tokens a client could know of.
- `trickle`: send the real answer's body one byte every `delay` seconds (default 0.05); a
  trickled 201 has minted its token, whether or not the client waits for it. With
  `variant="forever"` no handler runs: the headers of a `status` (default 200) answer go out,
  then a chunked body of blanks that never ends, until the client disconnects or the emulator
  stops.
- `redirect`: answer `status` (301, 302, 303, 307 or 308; default 307) with `Location` at
  `location` (an origin such as another emulator's base URL) plus the request's own path and
  query; without `location` it points back at this emulator (a same-origin redirect).
- `middlebox`: a 401 (or `status`) from something in between, not GitHub: an HTML
  (`variant="html"`, the default) or plain-text (`variant="text"`) body, with none of GitHub's
  headers.
"""

from __future__ import annotations

import http
import math
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from . import ratelimit
from .errors import DOCS_PRIMARY, DOCS_REDIRECT, DOCS_REST, DOCS_SECONDARY, MSG_SECONDARY
from .wire import Response, encode

# What a `malformed` fault does to the 201 body; True: the damaged body still holds the token.
MALFORMED: dict[str, bool] = {
    "no-token": False,
    "token-not-string": False,
    "no-expires-at": True,
    "expires-at-not-date": True,
    "expires-at-number": True,
    "truncated": True,  # not JSON: cut off right after the token
    "array": True,  # a JSON array holding the real body
    "permissions-not-object": True,
    "repositories-not-list": True,
}
REDIRECTS = (301, 302, 303, 307, 308)
MIDDLEBOX_VARIANTS = ("html", "text")


@dataclass
class Fault:
    kind: str
    remaining: int
    status: int | None = None
    retry_after: int | None = None
    delay: float | None = None
    path: str | None = None  # substring filter on the request path
    variant: str | None = None
    location: str | None = None

    @property
    def replaces_answer(self) -> bool:
        """Whether the fault answers instead of the route (no handler runs, nothing is minted)."""
        if self.kind == "trickle":
            return self.variant == "forever"
        return self.kind in _RESPONDERS


# ---- validation: one small checker per kind ---------------------------------------------------


def _status(value: Any, default: int, allowed: Collection[int], what: str) -> int:
    status = default if value is None else value
    if isinstance(status, bool) or not isinstance(status, int) or status not in allowed:
        raise ValueError(what)
    return status


def _retry_after(value: Any) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ValueError("retry_after must be a non-negative integer")
    return value


def _seconds(value: Any, default: float) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("delay must be a number of seconds")
    if not math.isfinite(value) or value < 0:
        raise ValueError("delay must be a non-negative number of seconds")
    return float(value)


def _choice(value: Any, default: str | None, choices: Collection[str], kind: str) -> str | None:
    variant = default if value is None else value
    if variant is not None and variant not in choices:
        raise ValueError(f"a {kind} fault's variant is one of {', '.join(sorted(choices))}")
    return variant


def _origin(value: Any) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("location must be an http(s) URL such as another emulator's base_url")
    return value.rstrip("/")


def _error(o: dict[str, Any]) -> dict[str, Any]:
    status = _status(o.get("status"), 502, range(400, 600), "an error fault needs a 4xx/5xx status")
    return {"status": status, "retry_after": _retry_after(o.get("retry_after"))}


def _rate_limit(o: dict[str, Any]) -> dict[str, Any]:
    # docs/github-behaviour.md §5: "403 or 429".
    status = _status(o.get("status"), 403, (403, 429), "rate-limit faults answer 403 or 429")
    return {"status": status, "retry_after": _retry_after(o.get("retry_after"))}


def _malformed(o: dict[str, Any]) -> dict[str, Any]:
    variant = _choice(o.get("variant"), "truncated", MALFORMED, "malformed")
    return {"variant": variant, "path": o.get("path", "/access_tokens")}


def _trickle(o: dict[str, Any]) -> dict[str, Any]:
    variant = _choice(o.get("variant"), None, ("forever",), "trickle")
    if variant is None and "status" in o:
        raise ValueError("only a trickle fault with variant 'forever' takes a status")
    status = _status(o.get("status"), 200, range(200, 600), "a trickle status is 2xx-5xx")
    return {"delay": _seconds(o.get("delay"), 0.05), "variant": variant, "status": status}


def _redirect(o: dict[str, Any]) -> dict[str, Any]:
    status = _status(o.get("status"), 307, REDIRECTS, "a redirect answers 301/302/303/307/308")
    return {"status": status, "location": _origin(o.get("location"))}


def _middlebox(o: dict[str, Any]) -> dict[str, Any]:
    status = _status(o.get("status"), 401, range(400, 600), "a middlebox answers 4xx/5xx")
    variant = _choice(o.get("variant"), "html", MIDDLEBOX_VARIANTS, "middlebox")
    return {"status": status, "variant": variant}


_KINDS: dict[str, tuple[frozenset[str], Callable[[dict[str, Any]], dict[str, Any]]]] = {
    "error": (frozenset({"status", "retry_after"}), _error),
    "delay": (frozenset({"delay"}), lambda o: {"delay": _seconds(o.get("delay"), 1.0)}),
    "reset": (frozenset(), lambda o: {}),
    "secondary": (frozenset({"status", "retry_after"}), _rate_limit),
    "primary": (frozenset({"status", "retry_after"}), _rate_limit),
    "malformed": (frozenset({"variant"}), _malformed),
    "trickle": (frozenset({"delay", "variant", "status"}), _trickle),
    "redirect": (frozenset({"status", "location"}), _redirect),
    "middlebox": (frozenset({"status", "variant"}), _middlebox),
}
KINDS = tuple(_KINDS)


def make(kind: str, count: int = 1, *, path: str | None = None, **options: Any) -> Fault:
    """Validate the arguments of `Emulator.inject` (also used by the HTTP control route).

    Options left as None count as not given; an option the kind does not take is an error.
    """
    if not isinstance(kind, str) or kind not in _KINDS:
        raise ValueError(f"fault kind must be one of {', '.join(KINDS)}")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError("count must be a positive integer")
    if path is not None and not isinstance(path, str):
        raise ValueError("path must be a string")
    given = {name: value for name, value in options.items() if value is not None}
    allowed, check = _KINDS[kind]
    unexpected = sorted(set(given) - allowed)
    if unexpected:
        raise ValueError(f"a {kind} fault takes no {', '.join(unexpected)}")
    if path is not None:
        given["path"] = path
    fields = {"path": path, **check(given)}
    return Fault(kind, count, **fields)


class FaultQueue:
    """First matching fault wins; each match uses up one of its `count`.

    Not locked itself: its caller holds `state.lock` (see state.py)."""

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


# ---- answers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What a fault's answer may need to know about the request it replaces."""

    now: float
    limit: int
    installation_id: int | None
    app_id: int | None
    target: str  # the request target as sent (path and query, GHES prefix included)
    base_url: str


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _error_answer(fault: Fault, ctx: Context) -> Response:
    status = fault.status or 502
    headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
    return Response(status, {"message": _phrase(status), "documentation_url": DOCS_REST}, headers)


def _secondary_answer(fault: Fault, ctx: Context) -> Response:
    wait = fault.retry_after if fault.retry_after is not None else 1
    # §5: the observed body; clients must honour Retry-After.
    body = {"documentation_url": DOCS_SECONDARY, "message": MSG_SECONDARY}
    return Response(fault.status or 403, body, {"Retry-After": str(wait)})


def _primary_answer(fault: Fault, ctx: Context) -> Response:
    wait = fault.retry_after if fault.retry_after is not None else 1
    # §5 quotes "API rate limit exceeded for installation ID xxxxxxx."; the app and anonymous
    # variants below are our inference.
    if ctx.installation_id is not None:
        message = f"API rate limit exceeded for installation ID {ctx.installation_id}."
    elif ctx.app_id is not None:
        message = f"API rate limit exceeded for app ID {ctx.app_id}."
    else:
        message = "API rate limit exceeded for 127.0.0.1."
    headers = ratelimit.headers(ctx.limit, 0, ctx.limit, math.ceil(ctx.now) + wait)
    body = {"message": message, "documentation_url": DOCS_PRIMARY}
    return Response(fault.status or 403, body, headers)


def _redirect_answer(fault: Fault, ctx: Context) -> Response:
    status = fault.status or 307
    url = (fault.location or ctx.base_url) + ctx.target
    # Shaped like GitHub's "Moved Permanently" body for renamed repositories (inference).
    body = {"message": _phrase(status), "url": url, "documentation_url": DOCS_REDIRECT}
    return Response(status, body, {"Location": url})


_MIDDLEBOX_BODIES = {
    "html": (
        "text/html",
        "<html>\r\n<head><title>{0} {1}</title></head>\r\n<body>\r\n<center><h1>{0} {1}</h1>"
        "</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
    ),
    "text": ("text/plain; charset=utf-8", "{0} {1}: proxy authentication failed\n"),
}


def _middlebox_answer(fault: Fault, ctx: Context) -> Response:
    status = fault.status or 401
    content_type, template = _MIDDLEBOX_BODIES[fault.variant or "html"]
    headers = {"Server": "nginx", "WWW-Authenticate": 'Basic realm="corporate proxy"'}
    raw = template.format(status, _phrase(status)).encode("ascii")
    return Response(status, headers=headers, raw=raw, content_type=content_type, github=False)


def _endless_answer(fault: Fault, ctx: Context) -> Response:
    return Response(fault.status or 200, endless=True)


_RESPONDERS: dict[str, Callable[[Fault, Context], Response]] = {
    "error": _error_answer,
    "secondary": _secondary_answer,
    "primary": _primary_answer,
    "redirect": _redirect_answer,
    "middlebox": _middlebox_answer,
}


def respond(fault: Fault, ctx: Context) -> Response:
    """The answer of a fault that replaces the route's (see `Fault.replaces_answer`)."""
    if fault.kind == "trickle":
        return _endless_answer(fault, ctx)
    return _RESPONDERS[fault.kind](fault, ctx)


# ---- damaged 201s -----------------------------------------------------------------------------


def _truncate(body: dict[str, Any]) -> bytes:
    text = encode(body)
    end = text.index(encode(body["token"])) + len(encode(body["token"]))
    return text[: max(end, len(text) // 2)]


_DAMAGE: dict[str, Callable[[dict[str, Any]], Any]] = {
    "no-token": lambda b: {k: v for k, v in b.items() if k != "token"},
    "token-not-string": lambda b: {**b, "token": 4_000_000_000},
    "no-expires-at": lambda b: {k: v for k, v in b.items() if k != "expires_at"},
    "expires-at-not-date": lambda b: {**b, "expires_at": "in an hour"},
    "expires-at-number": lambda b: {**b, "expires_at": 3600},
    "truncated": _truncate,
    "array": lambda b: [b],
    "permissions-not-object": lambda b: {
        **b,
        "permissions": [f"{name}:{level}" for name, level in b.get("permissions", {}).items()],
    },
    "repositories-not-list": lambda b: {**b, "repositories": "all"},
}


def malform(fault: Fault, response: Response, unmint: Callable[[int], None]) -> Response:
    """Damage a 201 carrying a token as `fault.variant` says; anything else passes untouched."""
    body = response.body
    if response.status != 201 or not isinstance(body, dict) or "token" not in body:
        return response
    variant = fault.variant or "truncated"
    if not MALFORMED[variant] and response.token_id is not None:
        unmint(response.token_id)
    damaged = _DAMAGE[variant](body)
    if isinstance(damaged, bytes):
        return Response(201, headers=response.headers, token_id=response.token_id, raw=damaged)
    return Response(201, damaged, response.headers, token_id=response.token_id)
