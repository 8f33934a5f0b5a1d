"""GitHub's error bodies, as one exception type plus the exact texts.

Every message here is quoted from docs/github-behaviour.md (section noted);
texts GitHub has never been seen to send are marked "inference".
"""

from __future__ import annotations

from typing import Any

DOCS_REST = "https://docs.github.com/rest"
_APPS = "https://docs.github.com/rest/reference/apps#"
# §1: 400 / 403 / 422 bodies of POST access_tokens carry this URL.
DOCS_CREATE_TOKEN = _APPS + "create-an-installation-access-token-for-an-app"
# §1, §6: the recorded 404s of access_tokens and /orgs/{org}/installation both carry this one.
DOCS_GET_REPO_INSTALLATION = _APPS + "get-a-repository-installation-for-the-authenticated-app"
DOCS_GET_INSTALLATION = _APPS + "get-an-installation-for-the-authenticated-app"
DOCS_GET_USER_INSTALLATION = _APPS + "get-a-user-installation-for-the-authenticated-app"
DOCS_LIST_REPOS = _APPS + "list-repositories-accessible-to-the-app-installation"
# §5 observed secondary-limit body.
DOCS_SECONDARY = (
    "https://docs.github.com/en/free-pro-team@latest/rest/overview/"
    "resources-in-the-rest-api#secondary-rate-limits"
)
# Inference: where GitHub's REST guide explains redirects (no recorded redirect body carries one).
DOCS_REDIRECT = (
    "https://docs.github.com/rest/using-the-rest-api/best-practices-for-using-the-rest-api"
    "#follow-redirects"
)
# Inference: §5 quotes the primary-limit message but not its documentation_url.
DOCS_PRIMARY = (
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits"
)

# §1 / §4 JWT errors (all 401 except "Integration not found", which is 404).
MSG_JWT_EXPIRED = (
    "'Expiration time' claim ('exp') must be a numeric value representing the future time "
    "at which the assertion expires"
)
MSG_JWT_TOO_FAR = "'Expiration time' claim ('exp') is too far in the future"
MSG_JWT_IAT = (
    "'Issued at' claim ('iat') must be an Integer representing the time that the assertion "
    "was issued"
)
MSG_JWT_UNDECODABLE = "A JSON web token could not be decoded"
MSG_ISS_NOT_INTEGER = "'Issuer' claim ('iss') must be an Integer"
MSG_ISS_MISSING = "Missing 'issuer' claim ('iss') in assertion"
MSG_INTEGRATION_NOT_FOUND = "Integration not found"
MSG_NO_PUBLIC_KEY = "Integration must generate a public key"
# §3 installation-token failures.
MSG_BAD_CREDENTIALS = "Bad credentials"
# Inference: GitHub's usual text when no credentials are sent (spec: `requires_authentication`).
MSG_REQUIRES_AUTH = "Requires authentication"
MSG_NOT_FOUND = "Not Found"
# §1 access_tokens scoping.
MSG_SUSPENDED = "This installation has been suspended"
MSG_PARSE_JSON = "Problems parsing JSON"
MSG_PERMISSIONS_NOT_GRANTED = "The permissions requested are not granted to this installation."
MSG_REPOSITORY_NOT_ACCESSIBLE = (
    "There is at least one repository that does not exist or is not accessible to the "
    "parent installation."
)
# §5 observed secondary-limit message (403 or 429).
MSG_SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


class ApiError(Exception):
    """An HTTP error response in GitHub's `basic-error` (or `validation-error`) shape."""

    def __init__(
        self,
        status: int,
        message: str,
        documentation_url: str = DOCS_REST,
        *,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.documentation_url = documentation_url
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"message": self.message, "documentation_url": self.documentation_url, **self.extra}


def unauthorized(message: str) -> ApiError:
    return ApiError(401, message, DOCS_REST)


def not_found(documentation_url: str = DOCS_REST) -> ApiError:
    return ApiError(404, MSG_NOT_FOUND, documentation_url)
