"""The provider block: the app, its key and the API root, once per provider process.

Values left out come from the same environment variables the Pulumi faces read
(environment.fill): GITHUB_APP_ID, GITHUB_APP_PEM_FILE (the key's text or a path),
GITHUB_BASE_URL. Each kind's arguments get these added before the core checks them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import environment
from ..inputs import check_inputs
from . import diagnostics
from .values import UNKNOWN, is_unknown

NAMES = ("app_id", "client_id", "private_key", "base_url")
_MISSING_KEY = ("is required: set private_key in the provider \"githubapp\" block (from an "
                "ephemeral variable), or GITHUB_APP_PEM_FILE to the key's text or the path of "
                "its .pem file")


@dataclass(frozen=True)
class Settings:
    app_id: Any = None
    client_id: Any = None
    private_key: Any = field(default=None, repr=False)
    base_url: Any = None

    def props(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """A kind's arguments plus the app, key and API root: the core's input names."""
        return {**arguments, **vars(self)}


UNSET = Settings(app_id=UNKNOWN, private_key=UNKNOWN)
"""Before ConfigureProvider (validation): the app and key are not known yet."""


def as_written(config: Mapping[str, Any] | None) -> Settings:
    """Settings from the provider block alone: what it leaves out is judged at configure time
    (when the environment is read), so `tofu validate` needs no credentials."""
    given = {name: (config or {}).get(name) for name in NAMES}
    if given["app_id"] is None and given["client_id"] is None:
        given["app_id"] = UNKNOWN
    if given["private_key"] is None:
        given["private_key"] = UNKNOWN
    return Settings(**given)


def from_config(config: Mapping[str, Any] | None) -> Settings:
    """Settings from the provider block, with the environment filling what it leaves out."""
    given = {name: (config or {}).get(name) for name in NAMES}
    return Settings(**environment.fill(given))


def reason(prop: str, text: str, value: Any) -> str:
    """The core's reason, except that a missing key is told how to set it in Terraform."""
    return _MISSING_KEY if prop == "private_key" and value is None else text


def problems(settings: Settings, written: Mapping[str, Any]) -> list[diagnostics.Diagnostic]:
    """A diagnostic for each problem with the provider's settings, as the core judges them.

    `written` is the provider block: a value the environment gave has no attribute path.
    """
    values = vars(settings)
    _, found = check_inputs({**values, "installation_id": 1}, is_unknown)
    out = []
    for prop, text in found:
        head = prop.split("[")[0]
        if head not in NAMES:
            continue
        text = reason(prop, text, values.get(head))
        if written.get(head) is None:
            out.append(diagnostics.error(f"Invalid {head}", f"{prop}: {text}"))
        else:
            out.append(diagnostics.problem(prop, text, written[head]))
    return out


def check(settings: Settings, arguments: Mapping[str, Any]
          ) -> tuple[dict[str, Any], list[diagnostics.Diagnostic]]:
    """A kind's normalised inputs, and a diagnostic for each problem the core finds.

    A problem of the provider block is reported without an attribute path: the kind's own
    configuration does not hold that attribute.
    """
    props = settings.props(arguments)
    out, found = check_inputs(props, is_unknown)
    diags = []
    for prop, text in found:
        head = prop.split("[")[0]
        if head in NAMES:
            diags.append(diagnostics.error("Invalid provider configuration",
                                           f"{prop}: {reason(prop, text, props.get(head))}"))
        else:
            diags.append(diagnostics.problem(prop, text, arguments.get(head)))
    return out, diags
