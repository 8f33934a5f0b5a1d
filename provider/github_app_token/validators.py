"""One small validator per input, as PyJWT has one per claim.

A validator takes a known, non-null value and returns it normalised, or raises ConfigError
naming the property. Reasons say what is wrong and what to do without quoting the value: a
misplaced token or key must not reach logs through an error. The one exception is a
permission name or level of GitHub's own catalogue: a word of ours, not the user's value.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from . import permissions as catalogue
from .errors import API_ROOTS, ConfigError
from .keys import load_private_key

Validator = Callable[[Any], Any]

MAX_REPOSITORIES = 500
MAX_RENEW_BEFORE = 3300
"""Tokens live 3600 s; renewing with less than 300 s of a fresh token left would loop."""
MAX_INT = 2**63 - 1
MAX_URL = 2048

_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?")
_REPO_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
_CLIENT_ID = re.compile(r"[\x21-\x7e]{1,100}")
_HOST = re.compile(r"[a-z0-9._-]+|\[[0-9a-f:.]+\]")
_PATH = re.compile(r"(?:/[A-Za-z0-9._~-]*)*")
_PORT = re.compile(r"[0-9]{1,5}")
_AUTHORITY = re.compile(r"(\[[^\]]*\]|[^:\[\]]*)(?::(.*))?")
_GHE_COM = re.compile(r"api\.[a-z0-9-]+\.ghe\.com")
_NOT_API_ROOT = (f"is not a GitHub REST API root, which is {API_ROOTS}; give the API root, "
                 "not the web address")


def _whole(value: Any) -> int | None:
    """An int from an int, an integral float (the engine's numbers) or ASCII digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = int(value) if value.is_integer() else None
    elif isinstance(value, str):
        text = value.strip()
        # isascii: "²" and "١٢٣" are digits to str.isdigit; the length bound keeps int() cheap.
        ok = text.isascii() and text.isdigit() and len(text) <= 19
        value = int(text) if ok else None
    return value if isinstance(value, int) and value <= MAX_INT else None


def _positive(name: str, what: str) -> Validator:
    def validate(value: Any) -> int:
        number = _whole(value)
        if number is None or number < 1:
            raise ConfigError(name, f"must be {what}, a positive integer")
        return number

    return validate


def _text(name: str, pattern: re.Pattern[str], rule: str) -> Validator:
    def validate(value: Any) -> str:
        text = value.strip() if isinstance(value, str) else None
        if text is None or len(text) > 200 or not pattern.fullmatch(text):
            raise ConfigError(name, rule)
        return text

    return validate


def _is_repo_name(text: str) -> bool:
    # GitHub reserves "." and ".."; a name of dots only would walk up the API path.
    return bool(_REPO_NAME.fullmatch(text)) and text.strip(".") != ""


_REPO_RULE = ("letters, digits, '-', '_' and '.', at most 100 characters, not only dots")


def repository(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    owner, _, name = text.partition("/")
    if not (_LOGIN.fullmatch(owner) and _is_repo_name(name)):
        raise ConfigError("repository", "must look like 'owner/name': a GitHub login, a '/', "
                                        f"and a repository name ({_REPO_RULE})")
    return text


def _listing(name: str, item: Callable[[Any], Any], what: str) -> Validator:
    def validate(value: Any) -> list[Any]:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(name, f"must be a list of {what}")
        if not value:
            raise ConfigError(name, "is empty, and GitHub reads an empty list as every "
                                    "repository of the installation; leave it unset for the "
                                    "whole installation, or list at least one")
        if len(value) > MAX_REPOSITORIES:
            raise ConfigError(name, f"lists {len(value)} entries; GitHub accepts at most "
                                    f"{MAX_REPOSITORIES}, so split the work across tokens")
        out, seen = [], {}
        for index, entry in enumerate(value):
            normalised = item(entry)
            if normalised is None:
                raise ConfigError(f"{name}[{index}]", f"is not {what}")
            key = normalised.lower() if isinstance(normalised, str) else normalised
            if key in seen:
                raise ConfigError(f"{name}[{index}]", f"repeats {name}[{seen[key]}]; list each "
                                                      "repository once")
            seen[key] = index
            out.append(normalised)
        return out

    return validate


def _repo_name_entry(value: Any) -> str | None:
    text = value.strip() if isinstance(value, str) else ""
    return text if _is_repo_name(text) else None


def _repo_id_entry(value: Any) -> int | None:
    number = _whole(value)
    return number if number is not None and number > 0 else None


def permissions(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ConfigError("permissions", "must be a map of permission name to level, e.g. "
                                         "{'contents': 'read'}")
    if not value:
        raise ConfigError("permissions", "is empty, and GitHub reads no permissions as every "
                                         "permission of the installation; leave it unset for "
                                         "all of them, or name at least one")
    if len(value) > len(catalogue.CATALOGUE):
        raise ConfigError("permissions", f"names {len(value)} permissions; GitHub has "
                                         f"{len(catalogue.CATALOGUE)}")
    problems = catalogue.validate(value)
    if problems:
        raise ConfigError("permissions", "; ".join(problems))
    return dict(value)


def _authority_problem(authority: str) -> str | None:
    if "@" in authority:
        return ("must not contain credentials (user:password@); the app signs in with its "
                "key, so remove them")
    match = _AUTHORITY.fullmatch(authority)
    if match is None or not _HOST.fullmatch(match.group(1).lower()):
        return "has no valid host name; use e.g. https://HOST/api/v3 (GHES)"
    port = match.group(2)
    if port is not None and not (_PORT.fullmatch(port) and 1 <= int(port) <= 65535):
        return "has a port that is not a number from 1 to 65535"
    return None


def _url_problem(text: str) -> str | None:
    """What is wrong with a base URL's text, before it is split into its parts."""
    if not text:
        return "is empty; leave it unset for https://api.github.com, or give e.g. https://HOST/api/v3"
    if len(text) > MAX_URL:
        return f"is longer than {MAX_URL} characters; give only scheme, host and path"
    if not all("\x21" <= char <= "\x7e" for char in text):
        return ("contains spaces, control or non-ASCII characters; write international host "
                "names in punycode (xn--...)")
    if "\\" in text:
        return "contains a backslash, which HTTP libraries disagree about; remove it"
    if "?" in text or "#" in text:
        return "must not have a query or fragment ('?' or '#'); give only scheme, host and path"
    scheme, sep, rest = text.partition("://")
    if not sep:
        return "must start with https://"
    if scheme.lower() not in ("http", "https"):
        return "must use https"
    authority, slash, path = rest.partition("/")
    if not _PATH.fullmatch(slash + path) or {".", ".."} & set(path.split("/")):
        return ("has a path with characters other than letters, digits, '-', '.', '_', '~' "
                "and '/', or a '.' or '..' segment")
    return _authority_problem(authority)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _parsed(text: str) -> tuple[str, str, int | None, str]:
    """(scheme, host, port, path) of a URL that passed `_url_problem`.

    That check leaves only scheme://host[:port][/path] in printable ASCII, with no '@', '\\',
    '?', '#' or dot segment, which urllib3 (what requests connects to) and the standard
    library split the same way; so check and plan need no HTTP stack loaded.
    """
    try:
        url = urlsplit(text)
        port = url.port
    except ValueError:
        raise ConfigError("base_url", "could not be parsed as a URL; use e.g. "
                                      "https://HOST/api/v3 (GHES)") from None
    host = url.hostname or ""
    host = f"[{host}]" if ":" in host else host
    if not host or not _HOST.fullmatch(host):
        raise ConfigError("base_url", "has no valid host name; use e.g. https://HOST/api/v3")
    if url.scheme != "https" and not _is_loopback(host):
        raise ConfigError("base_url", "must use https (plain http is accepted only for "
                                      "loopback hosts such as a local emulator), so the JWT "
                                      "and token never cross the network in clear text")
    return url.scheme, host, port, url.path


def _is_api_root(host: str, path: str) -> bool:
    """github.com's and GHE.com's API hosts, a GHES `/api/v3`, or loopback (an emulator)."""
    if _is_loopback(host) or path.endswith("/api/v3"):
        return True
    return path == "" and (host == "api.github.com" or bool(_GHE_COM.fullmatch(host)))


def base_url(value: Any) -> str:
    """scheme://host[:port][/path] without a trailing slash, as urllib3 would parse it."""
    text = value.strip() if isinstance(value, str) else ""
    reason = _url_problem(text)
    if reason is not None:
        raise ConfigError("base_url", reason)
    scheme, host, port, path = _parsed(text)
    path = path.rstrip("/")
    if not _is_api_root(host, path):
        raise ConfigError("base_url", _NOT_API_ROOT)
    return f"{scheme}://{host}{f':{port}' if port else ''}{path}"


def renew_before(value: Any) -> int:
    seconds = _whole(value)
    if seconds is None or not 0 <= seconds <= MAX_RENEW_BEFORE:
        raise ConfigError("renew_before", f"must be whole seconds from 0 to {MAX_RENEW_BEFORE} "
                                          "(tokens live 3600 s)")
    return seconds


def revoke_on_delete(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError("revoke_on_delete", "must be true or false")
    return value


def private_key(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError("private_key", "must be the app's PEM private key text")
    load_private_key(value, validate=False)  # create proves the key before signing
    return value


VALIDATORS: Mapping[str, Validator] = {
    "app_id": _positive("app_id", "a GitHub App id"),
    "client_id": _text("client_id", _CLIENT_ID, "must be the app's client ID, e.g. 'Iv23li...': "
                                                "printable characters without spaces"),
    "private_key": private_key,
    "installation_id": _positive("installation_id", "an installation id"),
    "owner": _text("owner", _LOGIN, "must be a GitHub user or organization login: letters, "
                                    "digits and inner hyphens, at most 39 characters"),
    "repository": repository,
    "repositories": _listing("repositories", _repo_name_entry,
                             f"a repository name without its owner or '/' ({_REPO_RULE})"),
    "repository_ids": _listing("repository_ids", _repo_id_entry, "a positive repository id"),
    "permissions": permissions,
    "base_url": base_url,
    "renew_before": renew_before,
    "revoke_on_delete": revoke_on_delete,
}
"""Input name -> its validator; tests/test_inputs.py proves the keys equal the declaration's."""
