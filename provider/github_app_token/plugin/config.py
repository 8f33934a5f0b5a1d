"""Provider configuration: the app, its key and the API root, held once per provider process.

Values come from `github-app-token:<name>` (the engine sends them to Configure, secrets as
secrets), else from the same environment variables the dynamic face reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import environment
from ..declaration import INPUTS
from ..errors import ConfigError
from ..inputs import check_inputs
from ..keys import fingerprint, load_private_key
from .wire import is_unknown, wire_name, wire_text

NAMES = tuple(spec.name for spec in INPUTS if spec.provider_config)
"""app_id, client_id, private_key, base_url."""
PREFIX = "github-app-token:"
_VARIABLE = PREFIX + "config:"
"""Configure's legacy `variables` keys: `github-app-token:config:appId`."""


@dataclass(frozen=True)
class ProviderConfig:
    app_id: Any = None
    client_id: Any = None
    private_key: str | None = field(default=None, repr=False)
    base_url: Any = None

    def known(self) -> dict[str, Any]:
        """The values a resource's inputs take from the provider (without the key)."""
        return {name: getattr(self, name) for name in NAMES if name != "private_key"}

    @property
    def key_fingerprint(self) -> str:
        """GitHub's fingerprint of the key, or "" when it is missing or unknown."""
        if not isinstance(self.private_key, str):
            return ""
        try:
            return fingerprint(load_private_key(self.private_key))
        except ConfigError:
            return ""


def from_settings(args: Mapping[str, Any], variables: Mapping[str, str]) -> ProviderConfig:
    """Config from Configure's args (snake_case), its legacy variables, then the environment."""
    values = {name: args.get(name) for name in NAMES}
    for name in NAMES:
        wire = wire_name(name)
        if values[name] is None and variables.get(_VARIABLE + wire):
            values[name] = variables[_VARIABLE + wire]
    return ProviderConfig(**environment.fill(values))


def problems(config: ProviderConfig) -> list[tuple[str, str]]:
    """(wire name, reason) for each configuration problem, judged by the core's validators."""
    if any(is_unknown(v) for v in vars(config).values()):
        return []
    _, found = check_inputs({**vars(config), "installation_id": 1})
    return [(prop, reason) for prop, reason in found if prop.split("[")[0] in NAMES]


def advice(prop: str, reason: str) -> str:
    """A provider setting's problem, saying where it is set."""
    secret = " --secret" if prop == "private_key" else ""
    return (f"{wire_text(reason)} (a provider setting: `pulumi config set{secret} "
            f"{PREFIX}{wire_name(prop)} ...`, or the provider resource's `{wire_name(prop)}`)")
