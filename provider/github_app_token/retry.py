"""Retries for GitHub: urllib3's Retry, taught GitHub's rate limits, the deadline and the mint.

Backoff, jitter and counting stay with urllib3. We add these rules:
- a wait GitHub asks for (`Retry-After` on any status, or a rate-limit reset) is honoured
  when it fits in the time left, and otherwise ends the retries at once;
- 403/429 carrying wait information is a refusal that did nothing, so any verb may retry it;
- 502, 503 and 504 are gateway answers: the request did not complete upstream, so any verb
  may retry them, the mint too. A token one of them may have minted was never received,
  cannot be used and dies within the hour; failing a pipeline over it costs users more;
- otherwise a POST (the mint) is retried only when the attempt provably never left: it
  failed before sending a byte of the request (name resolution, connect, proxy tunnel, TLS
  handshake: see `connection`); never after a read error, a reset or a 500;
- a name the resolver says does not exist, or a certificate we do not trust, is not
  tried again: it would fail the same way, only later;
- the body of a response we retry is not read: it may trickle forever.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Mapping

from urllib3.exceptions import MaxRetryError, ProxyError, ResponseError, SSLError
from urllib3.util.retry import Retry

from . import clock, connection
from . import deadline as deadlines

SERVER_ERRORS = frozenset({500, 502, 503, 504})
GATEWAY_ERRORS = frozenset({502, 503, 504})
RATE_LIMIT_STATUSES = frozenset({403, 429})
IDEMPOTENT = frozenset({"GET", "HEAD", "DELETE"})
"""Verbs safe to repeat after the server may have seen them (a repeated revoke is harmless)."""


def requested_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asks us to wait, or None when it asks nothing.

    docs/github-behaviour.md §5: honour `retry-after` (seconds or an HTTP date); else, with
    `x-ratelimit-remaining: 0`, wait until `x-ratelimit-reset`. Dates are read against
    the response's own `Date`, i.e. on GitHub's clock, falling back to ours.
    """
    github_now = clock.http_date(headers.get("Date"))
    if github_now is None:
        github_now = clock.now()
    retry_after = headers.get("Retry-After")
    if retry_after is not None:
        wait = clock.seconds(retry_after)
        if wait is not None:
            return float(wait)
        when = clock.http_date(retry_after)
        if when is not None:
            return max(0.0, when - github_now)
    reset = clock.seconds(headers.get("x-ratelimit-reset"))
    if (headers.get("x-ratelimit-remaining") or "").strip() == "0" and reset is not None:
        return max(0.0, reset - github_now) + 1
    return None


class GitHubRetry(Retry):
    """urllib3's Retry bound, per call, to the deadline `deadline.current()` returns."""

    RETRY_AFTER_STATUS_CODES = frozenset()  # type: ignore[assignment]  # our rules, not urllib3's

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code in RATE_LIMIT_STATUSES:
            return bool(self.total)  # increment() gives up when the response asks no wait
        if status_code in GATEWAY_ERRORS:
            return bool(self.total)
        return super().is_retry(method, status_code, has_retry_after)

    def _is_method_retryable(self, method: str) -> bool:
        """Any method, when this attempt sent nothing; else only the idempotent ones."""
        call = deadlines.exchange()
        return (call is not None and not call.attempt_sent) or super()._is_method_retryable(
            method)

    def increment(self, method=None, url=None, response=None, error=None, _pool=None,
                  _stacktrace=None):  # type: ignore[no-untyped-def]
        if error is not None and not self._is_connection_error(error) and not (
            method and self._is_method_retryable(method)
        ):
            # Whatever failed after sending may have reached GitHub: a mint is not repeated.
            raise error.with_traceback(_stacktrace)
        if error is not None and _hopeless(error):
            raise MaxRetryError(_pool, url, error)
        asked = requested_wait(response.headers) if response is not None else None
        if response is not None and response.status in RATE_LIMIT_STATUSES and asked is None:
            # A plain 403 (forbidden) is an answer, not a rate limit: hand it back.
            raise MaxRetryError(_pool, url, ResponseError("not a rate limit"))
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        wait = retry.get_backoff_time() if asked is None else asked
        current = deadlines.current()
        if current is not None and wait + deadlines.MIN_ATTEMPT > current.remaining():
            # With raise_on_status=False urllib3 hands the response back; errors surface.
            raise MaxRetryError(_pool, url, error or ResponseError("no time left to retry"))
        if response is not None:
            response.close()  # so urllib3 does not drain a body that may never end
        retry.planned_wait = wait
        return retry

    def sleep(self, response=None) -> None:  # type: ignore[no-untyped-def]
        wait = getattr(self, "planned_wait", 0.0)
        if wait > 0:
            time.sleep(wait)


def _hopeless(error: Exception) -> bool:
    """A failure no retry changes: a host name the DNS says does not exist (a typo in
    base_url), or a certificate this machine does not trust."""
    if isinstance(error, ProxyError):
        error = error.original_error
    return connection.name_does_not_exist(error) or (isinstance(error, SSLError) and any(
        isinstance(arg, ssl.SSLCertVerificationError) for arg in error.args))


def policy(*, retries: int = 4, backoff_factor: float = 1.0) -> GitHubRetry:
    """About 4 retries: backoff 0, 2, 4, 8 s plus up to `backoff_factor` s of jitter.

    Tests pass a small `backoff_factor`; the deadline bounds the total either way.
    """
    return GitHubRetry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=retries,
        redirect=False,
        allowed_methods=IDEMPOTENT,
        status_forcelist=SERVER_ERRORS,
        backoff_factor=backoff_factor,
        backoff_max=16,
        backoff_jitter=backoff_factor,
        raise_on_status=False,
    )
