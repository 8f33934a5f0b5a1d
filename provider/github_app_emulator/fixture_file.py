"""A fixture in JSON (`--fixture FILE`, `Emulator(fixture=...)`) and the CLI's shaping flags.

The JSON form mirrors `fixture.Fixture` (docs/emulator.md shows it whole):

    {"app": {"id": 123, "client_id": "Iv1.abc", "permissions": {"contents": "write"}},
     "accounts": [{"login": "my-org", "repositories": ["infra", {"name": "site",
                                                                 "private": false}]}],
     "installations": [{"account": "my-org", "repositories": ["infra"]},
                       {"account": "me", "type": "User", "repositories": "all"}]}

Every member is optional; one left out keeps the default's, except that `installations`
given without `accounts` drops the default accounts (they belong to the default
installations). A mistake is one `FixtureError` naming where it is and what is expected.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from . import permissions as perms
from .fixture import DEFAULT, AccountSpec, AppSpec, Fixture, InstallationSpec, RepositorySpec
from .wire import MAX_NESTING, too_deep

_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
_REPOSITORY = re.compile(r"[A-Za-z0-9._-]{1,100}")
_CLIENT_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")
_TYPES = ("Organization", "User")
MAX_ID = 10**15


class FixtureError(ValueError):
    """A fixture that cannot be built; the message says where and what is expected."""


def _fail(where: str, expected: str) -> FixtureError:
    return FixtureError(f"{where}: {expected}")


def _object(value: Any, where: str, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(where, "must be a JSON object")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise _fail(f"{where}.{unknown[0]}", f"unknown member; expected one of {sorted(allowed)}")
    return value


def _list(value: Any, where: str, *, empty: bool = True) -> list[Any]:
    if not isinstance(value, list) or (not value and not empty):
        raise _fail(where, "must be a list" if empty else "must be a non-empty list")
    return value


def _matching(pattern: re.Pattern[str], expected: str) -> Callable[[Any, str], str]:
    def check(value: Any, where: str) -> str:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise _fail(where, expected)
        return value

    return check


login = _matching(_LOGIN, "must be a GitHub login (letters, digits, single hyphens, <= 39)")
repository = _matching(_REPOSITORY, "must be a repository name (letters, digits, . _ -)")
slug = _matching(_SLUG, "must be an app slug (lower-case letters, digits and hyphens)")


def client_id(value: Any, where: str) -> str:
    # An all-digit iss is read as an app id (docs/github-behaviour.md §1).
    if not isinstance(value, str) or not _CLIENT_ID.fullmatch(value) or value.isdigit():
        raise _fail(where, "must be a client ID such as Iv1.0123456789abcdef (not all digits)")
    return value


def identifier(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < MAX_ID:
        raise _fail(where, f"must be a positive integer below {MAX_ID}")
    return value


def permission_map(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise _fail(where, "must be an object of permission name to level, e.g. {contents: read}")
    try:
        return perms.check_grant(value)
    except ValueError as exc:
        raise _fail(where, str(exc)) from None


def selection(value: Any, where: str) -> tuple[str, ...] | None:
    """A list of repository names, or "all" (None)."""
    if value == "all":
        return None
    names = _list(value, where, empty=False)
    return tuple(repository(name, f"{where}[{i}]") for i, name in enumerate(names))


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= 100:
        raise _fail(where, "must be a string of 1 to 100 characters")
    return value


def _type(value: Any, where: str) -> str:
    if value not in _TYPES:
        raise _fail(where, "must be Organization or User")
    return value


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(where, "must be true or false")
    return value


# ---- the parts ---------------------------------------------------------------------------------

_APP_FIELDS: dict[str, Callable[[Any, str], Any]] = {
    "id": identifier,
    "client_id": client_id,
    "name": _text,
    "slug": slug,
    "owner": login,
    "permissions": permission_map,
    "events": lambda v, w: tuple(_text(e, f"{w}[{i}]") for i, e in enumerate(_list(v, w))),
}


def _app(value: Any, where: str) -> AppSpec:
    data = _object(value, where, set(_APP_FIELDS))
    fields = {name: _APP_FIELDS[name](data[name], f"{where}.{name}") for name in data}
    return dataclasses.replace(DEFAULT.app, **fields)


def _repository(value: Any, where: str) -> RepositorySpec:
    if isinstance(value, str):
        return RepositorySpec(repository(value, where))
    data = _object(value, where, {"name", "private"})
    if "name" not in data:
        raise _fail(f"{where}.name", "is required")
    private = _flag(data.get("private", True), f"{where}.private")
    return RepositorySpec(repository(data["name"], f"{where}.name"), private)


def _account(value: Any, where: str) -> AccountSpec:
    data = _object(value, where, {"login", "type", "repositories"})
    if "login" not in data:
        raise _fail(f"{where}.login", "is required")
    repos = _list(data.get("repositories", []), f"{where}.repositories")
    specs = tuple(_repository(r, f"{where}.repositories[{i}]") for i, r in enumerate(repos))
    _unique([r.name for r in specs], f"{where}.repositories", "repository")
    account_type = _type(data.get("type", "Organization"), f"{where}.type")
    return AccountSpec(login(data["login"], f"{where}.login"), account_type, specs)  # type: ignore[arg-type]


_INSTALLATION_FIELDS: dict[str, Callable[[Any, str], Any]] = {
    "account": login,
    "type": _type,
    "repositories": selection,
    "permissions": permission_map,
    "suspended_by": login,
    "id": identifier,
}


def _installation(value: Any, where: str) -> InstallationSpec:
    data = _object(value, where, set(_INSTALLATION_FIELDS))
    if "account" not in data:
        raise _fail(f"{where}.account", "is required")
    fields = {name: _INSTALLATION_FIELDS[name](data[name], f"{where}.{name}") for name in data}
    return InstallationSpec(**fields)


def _unique(names: list[str], where: str, what: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name.lower() in seen:
            raise _fail(where, f"names the {what} {name} twice")
        seen.add(name.lower())


def _consistent(fixture: Fixture) -> Fixture:
    """Checks across parts: one account per login, one installation per account."""
    _unique([a.login for a in fixture.accounts], "accounts", "account")
    _unique([i.account for i in fixture.installations], "installations", "account")
    ids = [i.id for i in fixture.installations if i.id is not None]
    if len(ids) != len(set(ids)):
        raise _fail("installations", "give each installation its own id")
    return fixture


def parse(raw: Any, where: str = "fixture") -> Fixture:
    """A checked `Fixture` from its JSON form; `FixtureError` names the first mistake."""
    data = _object(raw, where, {"app", "accounts", "installations"})
    app = _app(data.get("app", {}), f"{where}.app")
    accounts = DEFAULT.accounts if "installations" not in data else ()
    if "accounts" in data:
        found = _list(data["accounts"], f"{where}.accounts")
        accounts = tuple(_account(a, f"{where}.accounts[{i}]") for i, a in enumerate(found))
    installations = DEFAULT.installations
    if "installations" in data:
        found = _list(data["installations"], f"{where}.installations", empty=False)
        installations = tuple(
            _installation(inst, f"{where}.installations[{i}]") for i, inst in enumerate(found)
        )
    return _consistent(Fixture(app, accounts, installations))


def load(path: str | os.PathLike[str]) -> Fixture:
    """Read and check a fixture file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise FixtureError(
            "the fixture file could not be read as UTF-8 text; check its path"
        ) from None
    if too_deep(text.encode()):
        raise FixtureError(f"the fixture file nests more than {MAX_NESTING} levels deep")
    try:
        raw = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        raise FixtureError(f"the fixture file is not JSON (line {line})") from None
    return parse(raw)


# ---- the other way, and the CLI's flags --------------------------------------------------------


def to_json(fixture: Fixture) -> dict[str, Any]:
    """The JSON form of `fixture` (what `--print-fixture` shows; `parse` reads it back)."""
    app = {k: v for k, v in dataclasses.asdict(fixture.app).items() if v is not None}
    app["events"] = list(fixture.app.events)
    accounts = [
        {
            "login": a.login,
            "type": a.type,
            "repositories": [
                r.name if r.private else dataclasses.asdict(r) for r in a.repositories
            ],
        }
        for a in fixture.accounts
    ]
    installations = []
    for inst in fixture.installations:
        item = {k: v for k, v in dataclasses.asdict(inst).items() if v is not None}
        item["repositories"] = "all" if inst.repositories is None else list(inst.repositories)
        installations.append(item)
    return {"app": app, "accounts": accounts, "installations": installations}


def _rename(fixture: Fixture, new: str) -> Fixture:
    """The first installation's account renamed to `new` wherever it appears."""
    old = fixture.installations[0].account.lower()

    def swap(name: str | None) -> str | None:
        return new if name is not None and name.lower() == old else name

    app = dataclasses.replace(fixture.app, owner=swap(fixture.app.owner))
    accounts = tuple(dataclasses.replace(a, login=swap(a.login)) for a in fixture.accounts)
    installations = tuple(
        dataclasses.replace(i, account=swap(i.account), suspended_by=swap(i.suspended_by))
        for i in fixture.installations
    )
    return _consistent(Fixture(app, accounts, installations))


def override(
    fixture: Fixture,
    *,
    app_id: int | None = None,
    client_id: str | None = None,
    account: str | None = None,
    repositories: tuple[str, ...] | Literal["all"] | None = None,
    permissions: Mapping[str, str] | None = None,
) -> Fixture:
    """The CLI's flags over `fixture` (None: unchanged): the app's id and client id; the first
    installation's account (renamed everywhere), repositories and permissions (also what the
    app asks for). Values are checked by the caller."""
    if account is not None:
        fixture = _rename(fixture, account)
    app = fixture.app
    if app_id is not None:
        app = dataclasses.replace(app, id=app_id)
    if client_id is not None:
        app = dataclasses.replace(app, client_id=client_id)
    first = fixture.installations[0]
    if repositories is not None:
        first = dataclasses.replace(
            first, repositories=None if repositories == "all" else tuple(repositories)
        )
    if permissions is not None:
        app = dataclasses.replace(app, permissions=dict(permissions))
        first = dataclasses.replace(first, permissions=dict(permissions))
    return Fixture(app, fixture.accounts, (first, *fixture.installations[1:]))
