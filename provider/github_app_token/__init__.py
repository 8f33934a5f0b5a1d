"""GitHub App installation access tokens for Pulumi (and, in `terraform/`, OpenTofu).

Names load on first use (PEP 562): `from github_app_token import InstallationToken` imports
Pulumi, but importing a submodule (the core, or the Terraform face) does not.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .version import __version__

_HOMES = {
    **dict.fromkeys((
        "ApiError", "AuthError", "ClockSkewError", "ConfigError", "DeadlineError",
        "ForbiddenError", "GitHubAppTokenError", "MalformedResponseError", "NotFoundError",
        "RateLimitError", "RedirectError", "RevokeError", "SuspendedError", "TransportError",
        "ValidationError"), ".errors"),
    "InstallationTokenProvider": ".provider",
    "InstallationToken": ".resource",
    "InstallationTokenArgs": ".resource",
}

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

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
    value = getattr(import_module(home, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
