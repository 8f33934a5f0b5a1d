"""A Pulumi dynamic resource for GitHub App installation access tokens."""

from .errors import (
    ApiError,
    AuthError,
    ClockSkewError,
    ConfigError,
    DeadlineError,
    ForbiddenError,
    GitHubAppTokenError,
    MalformedResponseError,
    NotFoundError,
    RateLimitError,
    RedirectError,
    RevokeError,
    SuspendedError,
    TransportError,
    ValidationError,
)
from .provider import InstallationTokenProvider
from .resource import InstallationToken, InstallationTokenArgs
from .version import __version__

__all__ = [
    "ApiError",
    "AuthError",
    "ClockSkewError",
    "ConfigError",
    "DeadlineError",
    "ForbiddenError",
    "GitHubAppTokenError",
    "InstallationToken",
    "InstallationTokenArgs",
    "InstallationTokenProvider",
    "MalformedResponseError",
    "NotFoundError",
    "RateLimitError",
    "RedirectError",
    "RevokeError",
    "SuspendedError",
    "TransportError",
    "ValidationError",
    "__version__",
]
