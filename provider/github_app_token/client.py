"""A GitHub App REST client: JWT auth, clock skew, retries and error mapping.

It knows nothing of Pulumi. Wire names (`expires_at`, `repository_selection`)
stay inside this module.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

from . import clock, errors
from .app_jwt import JwtCache
from .keys import fingerprint, load_private_key
from .retry import build_session, rate_limit_wait, server_time
from .version import __version__

DEFAULT_BASE_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
TIMEOUT = (10.0, 30.0)
"""(connect, read) seconds for every request."""

# docs/github-behaviour.md §1 and auth-app.js: only these 401s mean our clock disagrees
# with GitHub's.
_SKEW_MESSAGES = (
    "'Expiration time' claim ('exp') must be a numeric value representing the future time",
    "'Expiration time' claim ('exp') is too far in the future",
    "'Issued at' claim ('iat') must be an Integer",
)
_BAD_SIGNATURE = "A JSON web token could not be decoded"

_session: requests.Session | None = None
_session_lock = threading.Lock()
_offsets: dict[str, float] = {}
_jwts = JwtCache()


def shared_session() -> requests.Session:
    """The process's one Session, created on first use (never at import, never pickled)."""
    global _session
    with _session_lock:
        if _session is None:
            _session = build_session()
        return _session


def clock_offset(base_url: str) -> float:
    """Seconds GitHub's clock is ahead of ours at `base_url`, as last measured."""
    return _offsets.get(base_url, 0.0)


@dataclass(frozen=True)
class Installation:
    id: int
    account: str
    repository_selection: str
    permissions: Mapping[str, str]
    suspended: bool


@dataclass(frozen=True)
class AccessToken:
    token: str = field(repr=False)
    expires_at: str
    permissions: Mapping[str, str]
    repository_selection: str
    repositories: tuple[str, ...]
    """`owner/name` of each repository the token is limited to; empty when unscoped."""


def _headers(auth: str) -> dict[str, str]:
    return {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": API_VERSION,
        "User-Agent": f"pulumi-github-app-token/{__version__}",
        "Authorization": f"Bearer {auth}",
    }


def _send(
    session: requests.Session | None,
    method: str,
    url: str,
    operation: str,
    auth: str,
    body: Mapping[str, Any] | None = None,
) -> requests.Response:
    try:
        return (session or shared_session()).request(
            method, url, headers=_headers(auth), json=body, timeout=TIMEOUT
        )
    except requests.RequestException as err:
        # The exception's text names only the URL and the cause; we chain nothing else.
        raise errors.TransportError(operation, f"{type(err).__name__}: {err}") from None


def _message(response: requests.Response) -> tuple[str, str | None]:
    try:
        body = response.json()
    except ValueError:
        return (response.reason or "no message"), None
    if not isinstance(body, dict):
        return str(body)[:200], None
    return str(body.get("message", "no message")), body.get("documentation_url")


def api_error(
    response: requests.Response, operation: str, hint: str | None = None
) -> errors.ApiError:
    """The ApiError subclass for an error response, carrying GitHub's own fields."""
    message, docs = _message(response)
    status = response.status_code
    cls = errors.error_class(status)
    wait = rate_limit_wait(response.headers) if status in (403, 429) else None
    if wait is not None:
        cls = errors.RateLimitError
        hint = f"GitHub asks to wait {int(wait)} s before retrying; run the command again later"
    elif status == 403 and "suspended" in message.lower():
        cls = errors.SuspendedError
        hint = "An owner of the account must unsuspend the app's installation first"
    elif status >= 500:
        hint = "GitHub kept failing after retries; try again later"
    return cls(
        operation,
        status,
        message,
        documentation_url=docs,
        request_id=response.headers.get("x-github-request-id"),
        hint=hint,
    )


class GitHubAppClient:
    """Calls GitHub as a GitHub App, authenticated by a JWT signed with its private key."""

    def __init__(
        self,
        issuer: int | str,
        private_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        session: requests.Session | None = None,
    ) -> None:
        self.issuer = issuer
        self.base_url = base_url.rstrip("/")
        self._key = load_private_key(private_key)
        self.key_fingerprint = fingerprint(self._key)
        self._session = session

    def __repr__(self) -> str:
        return (
            f"GitHubAppClient(issuer={self.issuer!r}, base_url={self.base_url!r}, "
            f"key={self.key_fingerprint})"
        )

    def _app_request(
        self, method: str, path: str, body: Mapping[str, Any] | None = None
    ) -> tuple[requests.Response, str]:
        operation = f"{method} {path}"
        for attempt in range(2):
            now = clock.now() + clock_offset(self.base_url)
            token = _jwts.get(self.issuer, self._key, self.key_fingerprint, self.base_url, now)
            response = _send(
                self._session, method, self.base_url + path, operation, token, body
            )
            if response.status_code != 401 or not _message(response)[0].startswith(_SKEW_MESSAGES):
                return response, operation
            if attempt == 0:
                # Re-sign once on GitHub's clock, as auth-app.js does, and remember it.
                _offsets[self.base_url] = server_time(response.headers) - clock.now()
                _jwts.forget(self.base_url)
        message, docs = _message(response)
        raise errors.ClockSkewError(
            operation, 401, message, documentation_url=docs,
            request_id=response.headers.get("x-github-request-id"),
            hint="GitHub still rejected the JWT after re-signing on its clock (from the Date "
            "header); check this machine's clock",
        )

    def _auth_hint(self, response: requests.Response) -> str | None:
        message = _message(response)[0]
        if response.status_code == 401 and message.startswith(_BAD_SIGNATURE):
            return (
                f"The private key ({self.key_fingerprint}) does not belong to GitHub App "
                f"{self.issuer!r} at {self.base_url}, or was deleted from it; pass a key "
                "generated in that app's settings"
            )
        if response.status_code == 401:
            return "Check app_id / client_id: it must name the GitHub App that owns the key"
        if response.status_code == 404 and message == "Integration not found":
            return f"No GitHub App {self.issuer!r} at {self.base_url}; check app_id / client_id"
        return None

    def _fail(
        self, response: requests.Response, operation: str, hints: Mapping[int, str]
    ) -> errors.ApiError:
        """The error for `response`, with advice chosen by its status."""
        hint = self._auth_hint(response) or hints.get(response.status_code)
        return api_error(response, operation, hint)

    def _missing(self, installation_id: int) -> dict[int, str]:
        return {404: f"App {self.issuer!r} has no installation {installation_id}; check "
                     "installation_id, or install the app on the account"}

    def get_installation(self, installation_id: int) -> Installation:
        response, op = self._app_request("GET", f"/app/installations/{installation_id}")
        if response.status_code != 200:
            raise self._fail(response, op, self._missing(installation_id))
        return _installation(response.json())

    def find_installation(
        self, *, owner: str | None = None, repository: str | None = None
    ) -> Installation:
        """The app's installation on an account (org first, then user) or on `owner/name`."""
        if repository is not None:
            path = "/repos/" + "/".join(quote(part, safe="") for part in repository.split("/", 1))
            paths = [path + "/installation"]
            target = f"repository {repository!r}"
        elif owner is not None:
            login = quote(owner, safe="")
            paths = [f"/orgs/{login}/installation", f"/users/{login}/installation"]
            target = f"account {owner!r}"
        else:
            raise ValueError("find_installation needs owner or repository")
        for path in paths:
            response, op = self._app_request("GET", path)
            if response.status_code == 200:
                return _installation(response.json())
            if response.status_code != 404 or self._auth_hint(response):
                break
        raise self._fail(response, op, {
            404: f"App {self.issuer!r} is not installed on {target}; install it there or fix "
                 "the name"})

    def create_token(
        self,
        installation_id: int,
        *,
        repositories: Sequence[str] | None = None,
        repository_ids: Sequence[int] | None = None,
        permissions: Mapping[str, str] | None = None,
    ) -> AccessToken:
        """Mint an installation access token, sending only the scope fields given."""
        body: dict[str, Any] = {}
        if repositories is not None:
            body["repositories"] = list(repositories)
        if repository_ids is not None:
            body["repository_ids"] = list(repository_ids)
        if permissions is not None:
            body["permissions"] = dict(permissions)
        response, op = self._app_request(
            "POST", f"/app/installations/{installation_id}/access_tokens", body or None
        )
        if response.status_code == 201:
            data = response.json()
            return AccessToken(
                token=data["token"],
                expires_at=data["expires_at"],
                permissions=dict(data.get("permissions") or {}),
                repository_selection=data.get("repository_selection", ""),
                repositories=tuple(r["full_name"] for r in data.get("repositories") or ()),
            )
        requested = ", ".join(f"{k}={v}" for k, v in body.items()) or "the full installation"
        scope = (f"Requested {requested}. Ask only for what installation {installation_id} "
                 "grants (see its settings page), or widen the installation")
        raise self._fail(response, op, {**self._missing(installation_id), 400: scope, 422: scope})


def _installation(data: Mapping[str, Any]) -> Installation:
    return Installation(
        id=int(data["id"]),
        account=str((data.get("account") or {}).get("login", "")),
        repository_selection=str(data.get("repository_selection", "")),
        permissions=dict(data.get("permissions") or {}),
        suspended=data.get("suspended_at") is not None,
    )


def token_is_live(
    base_url: str, token: str, *, session: requests.Session | None = None
) -> bool:
    """True when GitHub accepts `token`, False when it answers 401; raises otherwise."""
    operation = "GET /installation/repositories"
    response = _send(
        session, "GET", base_url.rstrip("/") + "/installation/repositories?per_page=1",
        operation, token,
    )
    if response.status_code == 200:
        return True
    if response.status_code == 401:
        return False
    raise api_error(response, operation)


def revoke_token(base_url: str, token: str, *, session: requests.Session | None = None) -> None:
    """Revoke `token` with itself; 401 means it is already dead, which is fine too."""
    operation = "DELETE /installation/token"
    response = _send(session, "DELETE", base_url.rstrip("/") + "/installation/token", operation,
                     token)
    if response.status_code not in (204, 401):
        raise api_error(response, operation)
