"""Retries for GitHub: urllib3's Retry, taught GitHub's rate-limit headers.

Backoff, jitter and sleeping stay with urllib3; we only classify 403/429.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Collection, Mapping

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

SERVER_ERRORS = frozenset({500, 502, 503, 504})
RATE_LIMIT_STATUSES = frozenset({403, 429})
RATE_LIMIT_MAX_WAIT = 60.0
"""Longest single rate-limit wait we sleep through before failing with RateLimitError."""


def server_time(headers: Mapping[str, str]) -> float:
    """GitHub's clock from the `Date` header, or ours when it is missing."""
    parsed = email.utils.parsedate_tz(headers.get("Date", ""))
    return float(email.utils.mktime_tz(parsed)) if parsed else time.time()


def rate_limit_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds GitHub asks us to wait, or None when the response carries no rate limit.

    docs/github-behaviour.md §5: honour `retry-after`; else, with `x-ratelimit-remaining: 0`,
    wait until `x-ratelimit-reset` (measured on GitHub's clock, not ours).
    """
    retry_after = headers.get("Retry-After")
    if retry_after is not None:
        if retry_after.strip().isdigit():
            return float(retry_after)
        parsed = email.utils.parsedate_tz(retry_after)
        if parsed:
            return max(0.0, email.utils.mktime_tz(parsed) - server_time(headers))
    reset = headers.get("x-ratelimit-reset", "")
    if headers.get("x-ratelimit-remaining") == "0" and reset.isdigit():
        return max(0.0, int(reset) - server_time(headers)) + 1
    return None


class GitHubRetry(Retry):
    """Retry on 5xx and connection errors with backoff; sleep through short rate limits."""

    def __init__(self, *args: object, max_wait: float = RATE_LIMIT_MAX_WAIT, **kw: object) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self.max_wait = max_wait

    def new(self, **kw: object) -> GitHubRetry:
        kw.setdefault("max_wait", self.max_wait)
        return super().new(**kw)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code in RATE_LIMIT_STATUSES:
            return bool(self.total) and self._is_method_retryable(method)
        return super().is_retry(method, status_code, has_retry_after)

    def increment(self, method=None, url=None, response=None, error=None, _pool=None,
                  _stacktrace=None):  # type: ignore[no-untyped-def]
        if response is not None and response.status in RATE_LIMIT_STATUSES:
            wait = rate_limit_wait(response.headers)
            plain_forbidden = wait is None and response.status == 403
            if plain_forbidden or (wait is not None and wait > self.max_wait):
                # With raise_on_status=False urllib3 hands this response back to the caller.
                raise MaxRetryError(_pool, url, ResponseError("not retried"))
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def get_retry_after(self, response) -> float | None:  # type: ignore[no-untyped-def]
        if response.status in RATE_LIMIT_STATUSES:
            return rate_limit_wait(response.headers)
        return super().get_retry_after(response)


def default_retry(
    *, retries: int = 4, backoff_factor: float = 1.0, max_wait: float = RATE_LIMIT_MAX_WAIT
) -> GitHubRetry:
    """About 4 retries within about 30 s: backoff 0, 2, 4, 8 s plus up to 1 s of jitter."""
    methods: Collection[str] | None = None  # every verb: a repeated mint or revoke is harmless
    return GitHubRetry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        allowed_methods=methods,
        status_forcelist=SERVER_ERRORS,
        backoff_factor=backoff_factor,
        backoff_max=16,
        backoff_jitter=backoff_factor,
        raise_on_status=False,
        max_wait=max_wait,
    )


def build_session(retry: Retry | None = None) -> requests.Session:
    """A Session that retries through `retry`; it honours HTTPS_PROXY and REQUESTS_CA_BUNDLE."""
    session = requests.Session()
    # Pulumi calls from 4 threads and tests from 16: keep that many connections alive.
    adapter = HTTPAdapter(max_retries=retry or default_retry(), pool_maxsize=16)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
