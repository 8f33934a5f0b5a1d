"""The control routes under /_emulator/: a table over the `Emulator` methods (not GitHub:
never faulted, never logged).

Only a local test harness should drive them, never a web page the developer has open:
- they answer only a loopback `Host` (127.0.0.1, localhost, [::1], any port) and refuse a
  foreign `Origin`, so a page whose name was re-bound to 127.0.0.1 (DNS rebinding) is refused;
- POSTs must say `Content-Type: application/json` (a cross-origin form or `text/plain` POST
  cannot, without a preflight);
- no answer carries a CORS header, so preflights fail and pages cannot read the answers.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from email.message import Message
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .wire import Response, parse_id, parse_json

if TYPE_CHECKING:
    from .control import Emulator

PREFIX = "/_emulator"
_HEADERS = {"Cache-Control": "no-store"}
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?|\[[0-9a-f:.]{2,45}\]")
Action = Callable[["Emulator", dict[str, Any], list[str]], Any]


def _body(data: dict[str, Any], *names: str) -> list[Any]:
    """The named members of the JSON body, in order; any other member is an error."""
    unexpected = sorted(set(data) - set(names))
    if unexpected:
        raise ValueError(f"unexpected member(s): {', '.join(unexpected)}")
    return [data.get(name) for name in names]


def _clock(gh: Emulator) -> dict[str, float]:
    # The clock-following launchers (follow.py) read the shift here.
    return {"now": gh.now(), "shift": gh.clock_offset}


def _shift_clock(gh: Emulator, data: dict[str, Any], ids: list[str]) -> Any:
    gh.shift_clock(*_body(data, "shift"))
    return _clock(gh)


def _clear_log(gh: Emulator, data: dict[str, Any], ids: list[str]) -> Any:
    gh.clear_log()
    return {"cleared": True}


def _inject(gh: Emulator, data: dict[str, Any], ids: list[str]) -> Any:
    if "kind" not in data:
        raise ValueError("a fault needs a 'kind'")
    gh.inject(**data)
    return {"queued": data.get("count", 1), "kind": data["kind"]}


def _clear_faults(gh: Emulator, data: dict[str, Any], ids: list[str]) -> Any:
    gh.clear_faults()
    return {"cleared": True}


def _token_lifetime(gh: Emulator, data: dict[str, Any], ids: list[str]) -> Any:
    [gh.token_lifetime] = _body(data, "seconds")
    return {"seconds": gh.token_lifetime}


def _token_state(gh: Emulator, data: dict[str, Any], ids: list[str]) -> Any:
    [token] = _body(data, "token")
    return {"state": gh.token_state(token), "token_id": gh.token_id(token)}


def _set_permissions(gh: Emulator, data: dict[str, Any], ids: list[str]) -> Any:
    installation_id = parse_id(ids[0])
    if installation_id is None:
        raise LookupError(f"no installation {ids[0][:20]}")
    # The permissions object itself, or wrapped as {"permissions": {...}}.
    wanted = data["permissions"] if set(data) == {"permissions"} else data
    gh.set_permissions(installation_id, wanted)
    return {"permissions": gh.permissions_of(installation_id)}


_ROUTES: tuple[tuple[str, re.Pattern[str], Action], ...] = tuple(
    (method, re.compile(f"^{PREFIX}/{pattern}/?$"), action)
    for method, pattern, action in (
        ("GET", "info", lambda gh, data, ids: gh.info()),
        ("GET", "log", lambda gh, data, ids: [r.to_json() for r in gh.requests]),
        ("DELETE", "log", _clear_log),
        ("POST", "clear-log", _clear_log),
        ("GET", "clock", lambda gh, data, ids: _clock(gh)),
        ("POST", "clock", _shift_clock),
        ("POST", "faults", _inject),
        ("DELETE", "faults", _clear_faults),
        ("GET", "ledger", lambda gh, data, ids: dataclasses.asdict(gh.ledger())),
        ("POST", "revoke-all", lambda gh, data, ids: {"revoked": gh.revoke_all(*_body(data))}),
        ("POST", "token-lifetime", _token_lifetime),
        ("POST", "token-state", _token_state),
        ("POST", r"installations/([^/]+)/permissions", _set_permissions),
    )
)


def _match(method: str, path: str) -> tuple[Action, list[str]] | None:
    for route_method, pattern, action in _ROUTES:
        found = pattern.match(path)
        if found and route_method == method:
            return action, list(found.groups())
    return None


def _json_object(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    data = parse_json(body)  # ValueError: 400
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    return data


def _is_json(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == "application/json"


def _error(status: int, message: str) -> Response:
    return Response(status, {"message": message}, dict(_HEADERS), github=False)


def check_hosts(names: Iterable[str]) -> frozenset[str]:
    """Further host names allowed to drive the controls, lower-cased; ValueError if odd."""
    if isinstance(names, str):
        raise ValueError("control_hosts must be a list of host names")
    hosts = {str(name).lower() for name in names}
    if not all(_HOST_NAME.fullmatch(name) for name in hosts):
        raise ValueError("a control host is a DNS name or an IP address, without port")
    return frozenset(name.strip("[]") for name in hosts)


def _host_name(authority: str) -> str:
    """`host` of `host[:port]` or `[v6][:port]`, lower-cased."""
    authority = authority.strip().lower()
    if authority.startswith("["):
        return authority[1 : authority.find("]")] if "]" in authority else ""
    return authority.rsplit(":", 1)[0] if authority.count(":") == 1 else authority


def _origin_host(origin: str) -> str | None:
    try:
        return urlsplit(origin.strip()).hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None


def refusal(headers: Message, allowed: Iterable[str] = ()) -> Response | None:
    """403 unless the request names a loopback (or allowed) host and no foreign Origin.

    Neither value is quoted back: only what was expected.
    """
    trusted = LOOPBACK_HOSTS | frozenset(allowed)
    hosts = headers.get_all("Host") or []
    origins = headers.get_all("Origin") or []
    origin_host = _origin_host(origins[0]) if len(origins) == 1 else None
    if len(hosts) == 1 and _host_name(hosts[0]) in trusted and (
        not origins or origin_host in trusted
    ):
        return None
    return _error(
        403,
        "Control routes answer only requests to a loopback host (127.0.0.1, localhost or "
        "[::1], any port) that carry no foreign Origin; use http://127.0.0.1:PORT "
        "(see docs/emulator.md).",
    )


def handle(gh: Emulator, method: str, path: str, body: bytes, content_type: str | None) -> Response:
    """Answer one control request: 404 unknown route, 415 a POST not declared JSON,
    400 bad arguments, 404 an unknown installation."""
    matched = _match(method, path)
    if matched is None:
        return _error(404, "unknown emulator control route")
    if method == "POST" and not _is_json(content_type):
        return _error(415, "control routes take Content-Type: application/json")
    action, ids = matched
    try:
        result = action(gh, _json_object(body) if method == "POST" else {}, ids)
    except LookupError as exc:
        return _error(404, str(exc.args[0]) if exc.args else "not found")
    except (ValueError, TypeError) as exc:
        return _error(400, str(exc))
    return Response(200, result, dict(_HEADERS), github=False)
