"""One exception tree for everything this package raises.

Messages are built from fields that never hold a private key, JWT or token, so
they are safe to show in `pulumi up` output, logs and tracebacks.
"""

from __future__ import annotations

API_ROOTS = ("https://api.github.com, https://HOST/api/v3 for GitHub Enterprise Server, or "
             "https://api.SUBDOMAIN.ghe.com for GHE.com")
"""What a base_url looks like, for messages that suspect it."""


class GitHubAppTokenError(Exception):
    """Root of every error raised by github_app_token."""


class ConfigError(GitHubAppTokenError):
    """An input is invalid; `property` names it."""

    def __init__(self, property: str, reason: str) -> None:
        super().__init__(property, reason)
        self.property = property
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.property}: {self.reason}"


class TransportError(GitHubAppTokenError):
    """No usable answer came from base_url within the retries the deadline allowed.

    `cause` says what failed and `advice` what to do; neither holds a value (no URL, host
    or credential). `sent` is False only when the request provably never left: no attempt
    got as far as sending it (name resolution, connect, proxy tunnel or TLS handshake).
    """

    def __init__(self, operation: str, cause: str, *, sent: bool = True, advice: str = "") -> None:
        super().__init__(operation, cause)
        self.operation = operation
        self.cause = cause
        self.sent = sent
        self.advice = advice

    def __str__(self) -> str:
        return _sentence(f"{self.operation} failed: {self.cause}", self.advice)


class DeadlineError(TransportError):
    """An operation ran out of time (see `deadline`: GITHUB_APP_TOKEN_TIMEOUT)."""

    def __init__(self, operation: str, seconds: float, cause: str, *, sent: bool = True,
                 advice: str = "") -> None:
        super().__init__(operation, cause, sent=sent, advice=advice)
        self.args = (operation, seconds, cause)
        self.seconds = seconds

    def __str__(self) -> str:
        return _sentence(
            f"{self.operation} did not finish within its deadline (GITHUB_APP_TOKEN_TIMEOUT): "
            f"{self.cause}", self.advice)


def _sentence(text: str, advice: str) -> str:
    return f"{text}; {advice}" if advice else text


class MalformedResponseError(GitHubAppTokenError):
    """GitHub's answer could not be used; any token it held was revoked, or `revoked` says why not.

    `revoked` is True (revoked), False (no token found to revoke), the revoke's failure, or
    None for an answer that could not hold a token (a lookup).
    """

    def __init__(self, operation: str, status: int, cause: str,
                 revoked: bool | str | None) -> None:
        super().__init__(operation, status, cause, revoked)
        self.operation = operation
        self.status = status
        self.cause = cause
        self.revoked = revoked

    def __str__(self) -> str:
        text = f"GitHub answered {self.status} to {self.operation} with a body we cannot use: "
        text += self.cause
        if self.revoked is True:
            return text + ". The token it held has been revoked; run the command again"
        if self.revoked is False:
            return text + (". No token could be read from it; if GitHub minted one, it expires "
                           "within the hour. Run the command again")
        if self.revoked is None:  # a lookup: no token involved
            return text + (". Check that base_url is GitHub's REST API root "
                           f"({API_ROOTS})")
        return text + (f". Revoking the token it held failed ({self.revoked}); it stays valid "
                       "until it expires, within the hour")


class ApiError(GitHubAppTokenError):
    """GitHub answered with an error status."""

    def __init__(
        self,
        operation: str,
        status: int,
        message: str,
        *,
        documentation_url: str | None = None,
        request_id: str | None = None,
        hint: str | None = None,
        from_github: bool = True,
    ) -> None:
        super().__init__(operation, status, message)
        self.operation = operation
        self.status = status
        self.message = message
        self.documentation_url = documentation_url
        self.request_id = request_id
        self.hint = hint
        self.from_github = from_github
        """False when the answer was no GitHub error object (a web page, a proxy's)."""

    def __str__(self) -> str:
        who = "GitHub" if self.from_github else "The server at base_url"
        text = f"{who} answered {self.status} to {self.operation}: {self.message}"
        if self.hint:
            # GitHub's messages often end with a period of their own.
            text += f"{'' if text.endswith(('.', '!', '?')) else '.'} {self.hint}"
        extras = []
        if self.documentation_url:
            extras.append(f"docs: {self.documentation_url}")
        if self.request_id:
            extras.append(f"x-github-request-id: {self.request_id}")
        if extras:
            text += f" ({'; '.join(extras)})"
        return text


class RedirectError(ApiError):
    """3xx: we follow no redirect, so our credentials never leave base_url's origin."""


class AuthError(ApiError):
    """401: GitHub rejected the JWT or the installation token."""


class ClockSkewError(AuthError):
    """401 about `iat`/`exp` that persisted after re-signing with GitHub's clock."""


class ForbiddenError(ApiError):
    """403 that is not a rate limit."""


class SuspendedError(ForbiddenError):
    """403: the installation is suspended."""


class RateLimitError(ApiError):
    """403/429 rate limit whose wait did not fit in the deadline, or that outlasted the retries."""


class NotFoundError(ApiError):
    """404: the app, installation, owner or repository is unknown to this app."""


class ValidationError(ApiError):
    """422 (or 400): GitHub refused the requested scope."""


class RevokeError(GitHubAppTokenError):
    """Revoking a token failed; it stays usable until it expires."""

    def __init__(self, installation_id: int, expires_at: str, cause: str) -> None:
        super().__init__(installation_id, expires_at, cause)
        self.installation_id = installation_id
        self.expires_at = expires_at
        self.cause = cause

    def __str__(self) -> str:
        return (
            f"could not revoke the installation token: {self.cause}. The token stays valid "
            f"until {self.expires_at}; run the command again to retry, or set "
            "revoke_on_delete=false to let it expire on its own"
        )


_BY_STATUS: dict[int, type[ApiError]] = {
    400: ValidationError,
    401: AuthError,
    403: ForbiddenError,
    404: NotFoundError,
    422: ValidationError,
    429: RateLimitError,
}


def error_class(status: int) -> type[ApiError]:
    """The ApiError subclass for an HTTP status."""
    return _BY_STATUS.get(status, ApiError)
