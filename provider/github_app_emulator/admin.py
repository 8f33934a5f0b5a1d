"""Out-of-process controls under /_emulator/ (not GitHub: never faulted, never logged)."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Callable
from typing import Any

from . import faults
from .state import State
from .wire import Response

PREFIX = "/_emulator"
_PERMISSIONS = re.compile(r"^/_emulator/installations/(\d+)/permissions$")


class _BadRequest(ValueError):
    pass


def _json_object(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _BadRequest("body must be JSON") from exc
    if not isinstance(data, dict):
        raise _BadRequest("body must be a JSON object")
    return data


def _number(data: dict[str, Any], key: str) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _BadRequest(f"{key!r} must be a finite number")
    return float(value)


def handle(
    state: State, method: str, path: str, body: bytes, info: Callable[[], dict[str, Any]]
) -> Response:
    try:
        return _handle(state, method, path, _json_object(body) if method == "POST" else {}, info)
    except (ValueError, KeyError, TypeError) as exc:
        return Response(400, {"message": str(exc)})


def _handle(
    state: State, method: str, path: str, data: dict[str, Any], info: Callable[[], dict[str, Any]]
) -> Response:
    route = (method, path.rstrip("/"))
    if route == ("GET", f"{PREFIX}/info"):
        return Response(200, info())
    if route == ("GET", f"{PREFIX}/log"):
        return Response(200, [record.to_json() for record in state.records()])
    if route in (("DELETE", f"{PREFIX}/log"), ("POST", f"{PREFIX}/clear-log")):
        state.clear_log()
        return Response(200, {"cleared": True})
    if route == ("GET", f"{PREFIX}/clock"):
        # Launchers (e.g. the demo's timewarp wrapper) read the offset to follow the clock.
        return Response(200, {"now": state.now(), "shift": state.clock.offset})
    if route == ("POST", f"{PREFIX}/clock"):
        with state.lock:
            state.clock.shift(_number(data, "shift"))
            return Response(200, {"now": state.now(), "shift": state.clock.offset})
    if route == ("POST", f"{PREFIX}/faults"):
        fault = faults.make(**data)
        with state.lock:
            state.faults.add(fault)
        return Response(200, {"queued": fault.remaining, "kind": fault.kind})
    if route == ("DELETE", f"{PREFIX}/faults"):
        with state.lock:
            state.faults.clear()
        return Response(200, {"cleared": True})
    if route == ("GET", f"{PREFIX}/ledger"):
        return Response(200, dataclasses.asdict(state.ledger()))
    if route == ("POST", f"{PREFIX}/revoke-all"):
        return Response(200, {"revoked": state.revoke_all()})
    if route == ("POST", f"{PREFIX}/token-lifetime"):
        seconds = _number(data, "seconds")
        if seconds <= 0:
            raise _BadRequest("'seconds' must be positive")
        state.token_lifetime = seconds
        return Response(200, {"seconds": seconds})
    if route == ("POST", f"{PREFIX}/token-state"):
        token = data.get("token")
        if not isinstance(token, str):
            raise _BadRequest("'token' must be a string")
        return Response(
            200, {"state": state.token_state(token), "token_id": state.token_id(token)}
        )
    found = _PERMISSIONS.match(route[1])
    if method == "POST" and found:
        # Accept the permissions object itself or wrapped as {"permissions": {...}}.
        wanted = data["permissions"] if isinstance(data.get("permissions"), dict) else data
        installation_id = int(found.group(1))
        if installation_id not in state.installations:
            return Response(404, {"message": f"no installation {installation_id}"})
        state.set_permissions(installation_id, wanted)
        return Response(200, {"permissions": state.installations[installation_id].permissions})
    return Response(404, {"message": "unknown emulator control route"})
