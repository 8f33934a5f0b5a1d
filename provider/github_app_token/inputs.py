"""The resource's inputs: checked and normalised from the declaration, before any API call.

Pulumi-free and HTTP-free: the provider tells us which values are unknown (preview) through
`is_unknown`, and those pass unchecked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .declaration import BY_NAME, INPUTS, Input, Role, named
from .errors import ConfigError
from .keys import key_fingerprint
from .validators import VALIDATORS

SCOPE = named("issuer", "selector", "scope")
"""Inputs that decide which token GitHub mints: changing one replaces the token."""
SETTINGS = named("setting")
"""Inputs that only change our behaviour: updated in place."""
ECHOED = tuple(spec.name for spec in INPUTS if not spec.secret)
"""Inputs copied into the outputs."""
_EXACTLY_ONE: tuple[Role, ...] = ("issuer", "selector")
MISSING_KEY = "is required"
"""How a missing key's reason starts; each face adds where its users give the key."""

Problems = list[tuple[str, str]]


def _never_unknown(_value: Any) -> bool:
    return False


@dataclass(frozen=True)
class TokenInputs:
    """Validated, normalised inputs; tests prove the fields equal the declaration."""

    app_id: int | None
    client_id: str | None
    private_key: str = field(repr=False)
    installation_id: int | None
    owner: str | None
    repository: str | None
    repositories: tuple[str, ...] | None
    repository_ids: tuple[int, ...] | None
    permissions: Mapping[str, str] | None
    base_url: str
    renew_before: int
    revoke_on_delete: bool

    @property
    def issuer(self) -> int | str:
        """The JWT `iss`: the app id, or else the client id."""
        return self.app_id if self.app_id is not None else str(self.client_id)

    def echo(self) -> dict[str, Any]:
        """Every non-secret input, as plain lists and dicts, for the resource's outputs."""
        return {name: _plain(getattr(self, name)) for name in ECHOED}

    @property
    def key_fingerprint(self) -> str:
        return key_fingerprint(self.private_key)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return dict(value) if isinstance(value, Mapping) else value


def _contains_unknown(value: Any, is_unknown: Callable[[Any], bool]) -> bool:
    pending = [value]  # a stack, not recursion: any nesting depth is fine
    while pending:
        item = pending.pop()
        if is_unknown(item):
            return True
        if isinstance(item, Mapping):
            pending.extend(item.values())
        elif isinstance(item, (list, tuple)):
            pending.extend(item)
    return False


def _exactly_one(role: Role, given: set[str]) -> tuple[str, str] | None:
    group = named(role)
    present = [name for name in group if name in given]
    if len(present) == 1:
        return None
    env = " / ".join(var for name in group for var in BY_NAME[name].env)
    found = f"got {', '.join(present)}" if present else "none was set"
    if not present and env:
        found += f" (nor {env})"
    return group[0], f"set exactly one of {' or '.join(group)}; {found}"


def _check(spec: Input, value: Any) -> tuple[Any, tuple[str, str] | None]:
    """(normalised value, problem or None) for one known input."""
    if value is None:
        value = spec.default
    if value is None:
        if spec.role != "key":
            return None, None
        env = " / ".join(spec.env)
        return None, (spec.name, f"{MISSING_KEY}: pass the app's PEM private key, or set {env}")
    try:
        return VALIDATORS[spec.name](value), None
    except ConfigError as err:
        return None, (err.property, err.reason)


def check_inputs(
    props: Mapping[str, Any], is_unknown: Callable[[Any], bool] = _never_unknown
) -> tuple[dict[str, Any], Problems]:
    """Normalised inputs and every problem found, each as (snake_case property, reason)."""
    unknown = {name for name in BY_NAME
               if name in props and _contains_unknown(props[name], is_unknown)}
    given = unknown | {name for name in BY_NAME if props.get(name) is not None}
    problems = [p for p in (_exactly_one(role, given) for role in _EXACTLY_ONE) if p]
    out: dict[str, Any] = {}
    for spec in INPUTS:
        if spec.name in unknown:
            out[spec.name] = props[spec.name]
            continue
        out[spec.name], problem = _check(spec, props.get(spec.name))
        if problem:
            problems.append(problem)
    return out, problems


def parse_inputs(props: Mapping[str, Any]) -> TokenInputs:
    """TokenInputs from known props; raises ConfigError on the first problem."""
    out, problems = check_inputs(props)
    if problems:
        raise ConfigError(*problems[0])
    frozen = {k: tuple(v) if isinstance(v, list) else v for k, v in out.items()}
    return TokenInputs(**frozen)
