"""The resource's inputs: validation and normalisation, before any API call.

Pulumi-free: the provider tells us which values are unknown (preview) through
`is_unknown`, and those pass unchecked.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from . import permissions as catalogue
from .client import DEFAULT_BASE_URL
from .errors import ConfigError
from .keys import fingerprint, load_private_key

MAX_REPOSITORIES = 500
DEFAULT_RENEW_BEFORE = 1800
MAX_RENEW_BEFORE = 3300
"""Tokens live 3600 s; renewing with less than 300 s of a fresh token left would loop."""

ISSUERS = ("app_id", "client_id")
SELECTORS = ("installation_id", "owner", "repository")
SCOPE = (*ISSUERS, *SELECTORS, "repositories", "repository_ids", "permissions", "base_url")
"""Inputs that decide which token GitHub mints: changing one replaces the token."""
SETTINGS = ("renew_before", "revoke_on_delete")
"""Inputs that only change our behaviour: updated in place."""
ECHOED = (*SCOPE, *SETTINGS)

_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")
_REPO_NAME = re.compile(r"^[A-Za-z0-9._-]+$")

Problems = list[tuple[str, str]]


def _never_unknown(_value: Any) -> bool:
    return False


@dataclass(frozen=True)
class TokenInputs:
    """Validated, normalised inputs."""

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
        """Every input except the private key, for the resource's outputs."""
        values = {name: getattr(self, name) for name in ECHOED}
        for name in ("repositories", "repository_ids"):
            if values[name] is not None:
                values[name] = list(values[name])
        if values["permissions"] is not None:
            values["permissions"] = dict(values["permissions"])
        return values

    @property
    def key_fingerprint(self) -> str:
        return fingerprint(load_private_key(self.private_key))


def _whole(value: Any) -> int | None:
    """An int from an int, an integral float (the engine's numbers) or a digit string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _contains_unknown(value: Any, is_unknown: Callable[[Any], bool]) -> bool:
    if is_unknown(value):
        return True
    if isinstance(value, Mapping):
        return any(_contains_unknown(v, is_unknown) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_contains_unknown(v, is_unknown) for v in value)
    return False


def _check_base_url(value: Any) -> tuple[str | None, str | None]:
    if not isinstance(value, str) or not value.strip():
        return None, f"must be a URL such as {DEFAULT_BASE_URL} or https://HOST/api/v3"
    url = value.strip().rstrip("/")
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.query or parts.fragment or not host:
        return None, f"{value!r} is not a base URL; use e.g. https://HOST/api/v3 (GHES)"
    if parts.scheme == "https":
        return url, None
    if parts.scheme == "http" and _is_loopback(host):
        return url, None
    return None, (
        f"{value!r} must use https (plain http is accepted only for loopback hosts such as a "
        "local emulator), so the JWT and token never cross the network in clear text"
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_list(
    name: str, value: Any, item: Callable[[Any], Any], what: str
) -> tuple[Any, Problems]:
    if not isinstance(value, (list, tuple)):
        return None, [(name, f"must be a list of {what}")]
    if len(value) > MAX_REPOSITORIES:
        return None, [(name, f"lists {len(value)} entries; GitHub accepts at most "
                             f"{MAX_REPOSITORIES}, so split the work across several tokens")]
    out, problems = [], []
    for index, entry in enumerate(value):
        normalised = item(entry)
        if normalised is None:
            problems.append((f"{name}[{index}]", f"{entry!r} is not {what}"))
        out.append(normalised)
    return (tuple(out), problems) if not problems else (None, problems)


def _repo_name(value: Any) -> str | None:
    if isinstance(value, str) and _REPO_NAME.match(value.strip()):
        return value.strip()
    return None


def _positive(value: Any) -> int | None:
    number = _whole(value)
    return number if number is not None and number > 0 else None


def check_inputs(
    props: Mapping[str, Any], is_unknown: Callable[[Any], bool] = _never_unknown
) -> tuple[dict[str, Any], Problems]:
    """Normalised inputs and every problem found, each as (property, reason)."""
    out: dict[str, Any] = {}
    problems: Problems = []
    unknown = {k for k, v in props.items() if _contains_unknown(v, is_unknown)}

    def given(name: str) -> bool:
        return name in unknown or props.get(name) is not None

    for name in (*ECHOED, "private_key"):
        if name in unknown:
            out[name] = props[name]

    # Exactly one issuer and one selector; unknown values count as given.
    for group, env in ((ISSUERS, "GITHUB_APP_ID"), (SELECTORS, "GITHUB_APP_INSTALLATION_ID")):
        present = [name for name in group if given(name)]
        if len(present) != 1:
            names = " or ".join(group)
            found = f"got {', '.join(present)}" if present else f"none was set (nor {env})"
            problems.append((group[0], f"set exactly one of {names}; {found}"))

    def known(name: str) -> Any:
        return None if name in unknown else props.get(name)

    if (value := known("app_id")) is not None:
        if (number := _positive(value)) is None:
            problems.append(("app_id", f"{value!r} is not a GitHub App id (a positive integer)"))
        out["app_id"] = number
    if (value := known("client_id")) is not None:
        if not isinstance(value, str) or not re.fullmatch(r"\S+", value.strip()):
            problems.append(("client_id", "must be the app's client ID, e.g. 'Iv23li...'"))
        out["client_id"] = value.strip() if isinstance(value, str) else None
    if (value := known("installation_id")) is not None:
        if (number := _positive(value)) is None:
            problems.append(("installation_id", f"{value!r} is not an installation id "
                                                "(a positive integer)"))
        out["installation_id"] = number
    if (value := known("owner")) is not None:
        if not isinstance(value, str) or not _LOGIN.match(value.strip()):
            problems.append(("owner", f"{value!r} is not a GitHub user or organization login"))
        out["owner"] = value.strip() if isinstance(value, str) else None
    if (value := known("repository")) is not None:
        parts = value.strip().split("/") if isinstance(value, str) else []
        if len(parts) != 2 or not _LOGIN.match(parts[0]) or not _REPO_NAME.match(parts[1]):
            problems.append(("repository", f"{value!r} must look like 'owner/name'"))
        out["repository"] = value.strip() if isinstance(value, str) else None
    if (value := known("repositories")) is not None:
        names, found = _check_list("repositories", value, _repo_name,
                                   "a repository name without its owner (no '/')")
        problems += found
        out["repositories"] = list(names) if names is not None else None
    if (value := known("repository_ids")) is not None:
        ids, found = _check_list("repository_ids", value, _positive, "a positive repository id")
        problems += found
        out["repository_ids"] = list(ids) if ids is not None else None
    if (value := known("permissions")) is not None:
        if not isinstance(value, Mapping):
            problems.append(("permissions", "must be a map of permission name to level, e.g. "
                                            "{'contents': 'read'}"))
        else:
            problems += [("permissions", reason) for reason in catalogue.validate(value)]
            out["permissions"] = dict(value)
    if "base_url" not in unknown:
        url, reason = _check_base_url(props.get("base_url") or DEFAULT_BASE_URL)
        if reason:
            problems.append(("base_url", reason))
        out["base_url"] = url
    if "renew_before" not in unknown:
        value = props.get("renew_before")
        seconds = DEFAULT_RENEW_BEFORE if value is None else _whole(value)
        if seconds is None or not 0 <= seconds <= MAX_RENEW_BEFORE:
            problems.append(("renew_before", f"{value!r} must be whole seconds from 0 to "
                                             f"{MAX_RENEW_BEFORE} (tokens live 3600 s)"))
        out["renew_before"] = seconds
    if "revoke_on_delete" not in unknown:
        value = props.get("revoke_on_delete")
        if value is not None and not isinstance(value, bool):
            problems.append(("revoke_on_delete", f"{value!r} must be true or false"))
        out["revoke_on_delete"] = True if value is None else value
    if "private_key" not in unknown:
        value = props.get("private_key")
        if not isinstance(value, str) or not value.strip():
            problems.append(("private_key", "is required: pass the app's PEM private key (or set "
                                            "GITHUB_APP_PEM_FILE / GITHUB_APP_PRIVATE_KEY)"))
        else:
            try:
                load_private_key(value)
            except ConfigError as err:
                problems.append((err.property, err.reason))
            out["private_key"] = value
    for name in ECHOED:
        out.setdefault(name, None)
    return out, problems


def parse_inputs(props: Mapping[str, Any]) -> TokenInputs:
    """TokenInputs from known props; raises ConfigError on the first problem."""
    out, problems = check_inputs(props)
    if problems:
        raise ConfigError(*problems[0])
    return TokenInputs(
        app_id=out["app_id"],
        client_id=out["client_id"],
        private_key=out["private_key"],
        installation_id=out["installation_id"],
        owner=out["owner"],
        repository=out["repository"],
        repositories=tuple(out["repositories"]) if out["repositories"] is not None else None,
        repository_ids=tuple(out["repository_ids"]) if out["repository_ids"] is not None else None,
        permissions=out["permissions"],
        base_url=out["base_url"],
        renew_before=out["renew_before"],
        revoke_on_delete=out["revoke_on_delete"],
    )
