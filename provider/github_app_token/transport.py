"""HTTP to one GitHub API root: a Session, our credential, the deadline, and nothing else.

What goes over the wire, and where:
- Our `Authorization` always wins: it is set by an explicit `requests` auth object, so
  `~/.netrc` / `$NETRC` is never consulted.
- Credentials never leave `base_url`'s origin: no redirect is followed (a 3xx fails,
  naming where it pointed), and a loopback `base_url` bypasses every proxy variable.
- Plain http is refused off loopback. Otherwise proxies (`HTTPS_PROXY`, `NO_PROXY`, ...) and
  custom CAs (`REQUESTS_CA_BUNDLE`, `CURL_CA_BUNDLE`, `SSL_CERT_FILE`) are honoured.
- Every call ends within its `Deadline` (see `deadline`): connect and read timeouts
  shrink to the time left, and the body is read in chunks with the time checked between
  them, so a body that trickles in is cut off at the deadline.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import ConnectTimeoutError, LocationParseError
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.util import parse_url

from . import clock
from . import deadline as deadlines
from . import retry as retries
from .errors import ConfigError, RedirectError, TransportError
from .version import __version__

DEFAULT_BASE_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
MAX_BODY = 16 * 2**20
"""Bytes we accept in one answer; a token scoped to 500 repositories is about 3 MiB."""
_CHUNK = 64 * 1024
_NO_PROXY = {"http": None, "https": None, "all": None}


class BearerAuth(AuthBase):
    """`Authorization: Bearer ...`; an explicit auth object also keeps requests off ~/.netrc."""

    def __init__(self, credential: str) -> None:
        self._credential = credential

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._credential}"
        return request

    def __repr__(self) -> str:
        return "<BearerAuth>"


@dataclass(frozen=True)
class Reply:
    """One HTTP answer, read whole (or as far as the deadline allowed)."""

    status: int
    headers: Mapping[str, str]
    body: bytes = field(repr=False)
    complete: bool = True
    """False when the body was cut short; `failure` says why."""
    failure: str = ""
    github_offset: float | None = None
    """Seconds GitHub's clock is ahead of ours, from this answer's `Date`."""


def is_loopback(host: str | None) -> bool:
    host = (host or "").strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def origin(url: str | None) -> str:
    """`scheme://host[:port]` of a URL: never its credentials, path or query."""
    try:
        parsed = parse_url(url or "")
    except LocationParseError:
        return "an unparsable URL"
    if not parsed.host:
        return "a relative URL (this origin)"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme or 'https'}://{parsed.host}{port}"


def _session(retry: retries.GitHubRetry, *, environment: bool) -> requests.Session:
    session = requests.Session()
    # Plain http to loopback needs nothing from the environment (no proxy, no CA, no netrc);
    # skipping requests' per-request scan of it is a tenth of a loopback mint.
    session.trust_env = environment
    # Pulumi calls from 4 threads and tests from 16: keep that many connections alive.
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=16)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _ca_bundle() -> str | bool:
    """`SSL_CERT_FILE` when set and no requests-specific bundle is (requests reads those)."""
    if os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE"):
        return True
    return os.environ.get("SSL_CERT_FILE") or True


def _shrink_read_timeout(raw: Any, left: float) -> None:
    """Make the socket's next read wait no longer than the deadline allows."""
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    if sock is not None:
        sock.settimeout(min(deadlines.READ_TIMEOUT, max(left, deadlines.MIN_ATTEMPT / 2)))


def _read_body(raw: Any, deadline: deadlines.Deadline) -> tuple[bytes, str]:
    """The body, and why it is incomplete ("" when whole)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        left = deadline.remaining()
        if left <= 0:
            return b"".join(chunks), "the body was still arriving at the deadline"
        _shrink_read_timeout(raw, left)
        try:
            chunk = raw.read1(_CHUNK, decode_content=True)
        except (Urllib3Error, OSError, ValueError) as err:
            if deadline.expired():
                return b"".join(chunks), "the body was still arriving at the deadline"
            return b"".join(chunks), f"reading the body failed: {type(err).__name__}"
        if not chunk:
            return b"".join(chunks), ""
        size += len(chunk)
        if size > MAX_BODY:
            return b"".join(chunks), f"the body is larger than {MAX_BODY // 2**20} MiB"
        chunks.append(chunk)


def _never_sent(err: requests.RequestException) -> bool:
    """The last attempt failed to connect, so that attempt sent nothing.

    Earlier attempts were retried only if they failed the same way (see retry.py).
    """
    if isinstance(err, requests.ConnectTimeout):
        return True
    reason = getattr(err.args[0], "reason", None) if err.args else None
    return isinstance(reason, ConnectTimeoutError)  # NewConnectionError (refused) included


class Transport:
    """HTTP to one API root, with its own Session and retry policy; safe across threads."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        retry: retries.GitHubRetry | None = None,
        timeout: float | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        try:
            parsed = parse_url(self.base_url)
        except LocationParseError:
            raise ConfigError("base_url", "is not a URL; use e.g. https://api.github.com") from None
        self.loopback = is_loopback(parsed.host)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ConfigError("base_url", "must be an http(s) URL such as https://api.github.com")
        if parsed.scheme == "http" and not self.loopback:
            raise ConfigError("base_url", f"must use https for {origin(self.base_url)}: plain "
                              "http is allowed only on loopback")
        self.timeout = timeout
        """Seconds per operation; None reads GITHUB_APP_TOKEN_TIMEOUT at each operation."""
        plain_loopback = self.loopback and parsed.scheme == "http"
        self._session = _session(retry or retries.policy(), environment=not plain_loopback)

    def __repr__(self) -> str:
        return f"Transport({self.base_url!r})"

    def deadline(self, operation: str) -> deadlines.Deadline:
        """A fresh deadline for one operation."""
        seconds = self.timeout if self.timeout is not None else deadlines.seconds_from_env()
        return deadlines.Deadline(seconds, operation)

    def send(
        self,
        method: str,
        path: str,
        credential: str,
        deadline: deadlines.Deadline,
        body: Mapping[str, Any] | None = None,
    ) -> Reply:
        """One request, retried by the policy, answered within `deadline`.

        Raises TransportError (DeadlineError when time ran out) when no answer came,
        RedirectError on 3xx; returns every other answer, complete or not.
        """
        operation = deadline.operation
        with deadlines.running(deadline):
            try:
                response = self._session.request(
                    method, self.base_url + path, json=body, headers=self._headers(),
                    auth=BearerAuth(credential), timeout=deadlines.DeadlineTimeout(deadline),
                    allow_redirects=False, stream=True, verify=_ca_bundle(),
                    proxies=dict(_NO_PROXY) if self.loopback else None,
                )
            except requests.RequestException as err:
                # The exception's text names only the URL and the cause; we chain nothing else.
                cause = f"{type(err).__name__}: {err}"[:500]
                sent = not _never_sent(err)
                if deadline.remaining() < deadlines.MIN_ATTEMPT:
                    raise deadline.error(cause, sent=sent) from None
                raise TransportError(operation, cause, sent=sent) from None
        body_bytes, failure = _read_body(response.raw, deadline)
        if failure:
            response.close()  # a half-read connection cannot be reused
        else:
            response.raw.release_conn()
        headers = CaseInsensitiveDict(response.headers)
        reply = Reply(response.status_code, headers, body_bytes, not failure, failure,
                      clock.github_offset(headers.get("Date")))
        if 300 <= reply.status < 400:
            raise RedirectError(
                operation, reply.status,
                f"redirect to {origin(headers.get('Location'))} not followed",
                request_id=headers.get("x-github-request-id"),
                hint="Credentials are sent only to base_url's origin; set base_url to the API "
                "root itself (https://api.github.com, or https://HOST/api/v3 for GHES)",
            )
        return reply

    @staticmethod
    def _headers() -> dict[str, str]:
        return {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": f"pulumi-github-app-token/{__version__}",
        }
