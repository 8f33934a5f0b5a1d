"""HTTP to one GitHub API root: a Session, our credential, the deadline, and nothing else.

What goes over the wire, and where:
- Our `Authorization` always wins: it is set by an explicit `requests` auth object, so
  `~/.netrc` / `$NETRC` is never consulted.
- Credentials never leave `base_url`'s origin: no redirect is followed (a 3xx fails,
  naming where it pointed), and a loopback `base_url` bypasses every proxy variable.
- Plain http is refused off loopback. Otherwise proxies (`HTTPS_PROXY`, `NO_PROXY`, ...) and
  custom CAs (`REQUESTS_CA_BUNDLE`, `CURL_CA_BUNDLE`, `SSL_CERT_FILE`) are honoured.
- Every call ends within its `Deadline` (see `deadline`): the host name is resolved in the
  time left, and a watchdog shuts the call's sockets down when time is up, whatever it was
  doing (connect, proxy tunnel, TLS, request, status line, headers, body). This rides on
  urllib3's extension points: `connection`'s classes in our adapter's pools, `retry`'s policy.
- Errors say what failed and what to do, naming `base_url` but never quoting it.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import LocationParseError, NameResolutionError
from urllib3.poolmanager import ProxyManager
from urllib3.util import parse_url

from . import clock, connection
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


class _Adapter(HTTPAdapter):
    """requests' adapter whose pools make `connection`'s deadline-keeping connections."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = connection.POOL_CLASSES

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if isinstance(manager, ProxyManager):  # SOCKS managers keep their own classes
            manager.pool_classes_by_scheme = connection.POOL_CLASSES
        return manager


def _session(retry: retries.GitHubRetry, *, environment: bool) -> requests.Session:
    session = requests.Session()
    # Plain http to loopback needs nothing from the environment (no proxy, no CA, no netrc);
    # skipping requests' per-request scan of it is a tenth of a loopback mint.
    session.trust_env = environment
    # Pulumi calls from 4 threads and tests from 16: keep that many connections alive.
    adapter = _Adapter(max_retries=retry, pool_maxsize=16)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _ca_bundle() -> str | bool:
    """`SSL_CERT_FILE` when set and no requests-specific bundle is (requests reads those)."""
    if os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE"):
        return True
    return os.environ.get("SSL_CERT_FILE") or True


BODY_CUT = "the body was still arriving at the deadline"
_BODY_BROKEN = "the connection broke while the body was arriving"


def _read_body(raw: Any, call: deadlines.Exchange) -> tuple[bytes, str]:
    """The body, and why it is incomplete ("" when whole)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        if call.deadline.expired():
            return b"".join(chunks), BODY_CUT
        try:
            chunk = raw.read1(_CHUNK, decode_content=True)
        except (Urllib3Error, OSError, ValueError):
            cut = call.cut or call.deadline.expired()
            return b"".join(chunks), BODY_CUT if cut else _BODY_BROKEN
        if not chunk:  # the end, unless the watchdog's shutdown is what ended it
            return b"".join(chunks), BODY_CUT if call.cut else ""
        size += len(chunk)
        if size > MAX_BODY:
            return b"".join(chunks), f"the body is larger than {MAX_BODY // 2**20} MiB"
        chunks.append(chunk)


SLOW_SERVER = (
    "check that base_url is the API root of a GitHub that is up (githubstatus.com, or your "
    "GitHub Enterprise Server), and raise GITHUB_APP_TOKEN_TIMEOUT only if that server is "
    "known to answer slowly")
_UNREACHABLE = ("check that base_url's host and port are reachable from here (a firewall, or "
                "the proxy variables HTTPS_PROXY and NO_PROXY)")
_PROXY = ("check the proxy that HTTPS_PROXY (or ALL_PROXY) names, or list base_url's host in "
          "NO_PROXY")
_NOT_TLS = "check that base_url's port speaks HTTPS, and what sits between here and it"
_DNS = "check the host name in base_url, and this machine's DNS resolver"
# What a call was still doing when its deadline passed, by phase; and what to check.
_STILL = {
    deadlines.RESOLVING: ("base_url's host name had not resolved yet", _DNS),
    deadlines.CONNECTING: ("no connection to base_url's host was made yet", _UNREACHABLE),
    deadlines.PROXY_CONNECT: ("the proxy had not opened its tunnel (CONNECT) to base_url yet",
                              _PROXY),
    deadlines.TLS_HANDSHAKE: ("the TLS handshake with base_url's host had not finished",
                              _NOT_TLS),
    deadlines.SENDING: ("the request was still being sent to base_url", SLOW_SERVER),
    deadlines.AWAITING_ANSWER: (
        "the server at base_url accepted the request but had not answered (status line and "
        "headers)", SLOW_SERVER),
    deadlines.READING_BODY: (BODY_CUT, SLOW_SERVER),
}
# Why an attempt failed before the deadline, tried in order; then by phase.
_WHY: list[tuple[Callable[[list[BaseException]], bool], str, str]] = [
    (lambda chain: any(connection.name_does_not_exist(e) for e in chain),
     "base_url's host name does not exist (the DNS has no such name)",
     "check the host name in base_url"),
    (lambda chain: _has(chain, NameResolutionError),
     "base_url's host name could not be resolved", _DNS),
    (lambda chain: _has(chain, ssl.SSLCertVerificationError),
     "base_url's TLS certificate is not trusted here",
     "if the server uses a private CA, point REQUESTS_CA_BUNDLE or SSL_CERT_FILE at a file "
     "holding it"),
    (lambda chain: _has(chain, ConnectionRefusedError),
     "base_url's host refused the connection", "check base_url's port, and that the server "
     "is running"),
]
_FAILED_IN = {
    deadlines.RESOLVING: ("base_url's host name could not be resolved", _DNS),
    deadlines.CONNECTING: ("no connection to base_url's host could be made", _UNREACHABLE),
    deadlines.PROXY_CONNECT: ("the proxy did not open a tunnel (CONNECT) to base_url", _PROXY),
    deadlines.TLS_HANDSHAKE: ("the TLS handshake with base_url's host failed", _NOT_TLS),
}
_BROKE = ("the connection to base_url broke before an answer arrived",
          "run the command again; if it keeps failing, check the network path to base_url")


def _has(chain: list[BaseException], kind: type[BaseException]) -> bool:
    return any(isinstance(e, kind) for e in chain)


def _chain(err: BaseException) -> list[BaseException]:
    """`err` and what it wraps: urllib3's reasons, a proxy's original error, causes, args."""
    found: list[BaseException] = []
    todo = [err]
    while todo and len(found) < 32:
        e = todo.pop()
        if any(e is seen for seen in found):
            continue
        found.append(e)
        linked = (getattr(e, "reason", None), getattr(e, "original_error", None),
                  e.__cause__, e.__context__, *e.args)
        todo += [x for x in linked if isinstance(x, BaseException)]
    return found


def _failure(err: requests.RequestException, call: deadlines.Exchange) -> TransportError:
    """The error for a call that got no answer: what failed, why, and what to do."""
    deadline = call.deadline
    if call.cut or deadline.remaining() < deadlines.MIN_ATTEMPT:
        cause, advice = _STILL[call.phase]
        return deadline.error(cause, sent=call.sent, advice=advice)
    chain = _chain(err)
    cause, advice = next(((c, a) for test, c, a in _WHY if test(chain)),
                         _FAILED_IN.get(call.phase, _BROKE))
    return TransportError(deadline.operation, cause, sent=call.sent, advice=advice)


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
        with deadlines.running(deadline) as call:
            try:
                response = self._session.request(
                    method, self.base_url + path, json=body, headers=self._headers(),
                    auth=BearerAuth(credential), timeout=deadlines.DeadlineTimeout(deadline),
                    allow_redirects=False, stream=True, verify=_ca_bundle(),
                    proxies=dict(_NO_PROXY) if self.loopback else None,
                )
            except requests.RequestException as err:
                raise _failure(err, call) from None
            call.phase = deadlines.READING_BODY
            body_bytes, failure = _read_body(response.raw, call)
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
