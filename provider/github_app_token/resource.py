"""The program side: `InstallationToken`, its inputs, environment fallbacks and secrets."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from .errors import ConfigError
from .provider import InstallationTokenProvider

OUTPUTS = (
    "token",
    "expires_at",
    "repository_selection",
    "granted_permissions",
    "granted_repositories",
    "key_fingerprint",
)


@dataclass
class InstallationTokenArgs:
    """Inputs of an InstallationToken.

    Exactly one of `app_id` / `client_id` (the JWT issuer) and exactly one of
    `installation_id` / `owner` / `repository` (the installation) must be given.
    When not given, these are read from the environment, with the pulumi-github
    provider's names: `app_id` from GITHUB_APP_ID, `installation_id` from
    GITHUB_APP_INSTALLATION_ID, `private_key` from the file named by
    GITHUB_APP_PEM_FILE or else from GITHUB_APP_PRIVATE_KEY, and `base_url` from
    GITHUB_BASE_URL.
    """

    app_id: pulumi.Input[int | str] | None = None
    client_id: pulumi.Input[str] | None = None
    private_key: pulumi.Input[str] | None = None
    """PEM text, PKCS#1 or PKCS#8; always stored as a secret."""
    installation_id: pulumi.Input[int] | None = None
    owner: pulumi.Input[str] | None = None
    """Org or user login whose installation to use."""
    repository: pulumi.Input[str] | None = None
    """`owner/name` of a repository whose installation to use."""
    repositories: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
    """Limit the token to these repository names (without owner); at most 500."""
    repository_ids: pulumi.Input[Sequence[pulumi.Input[int]]] | None = None
    """Limit the token to these repository ids; at most 500."""
    permissions: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None
    """Limit the token to these permissions, e.g. `{"contents": "read"}`."""
    base_url: pulumi.Input[str] | None = None
    """Default https://api.github.com; GitHub Enterprise Server is https://HOST/api/v3."""
    renew_before: pulumi.Input[int] | None = None
    """`pulumi up` re-mints when fewer seconds than this remain (default 1800, 0..3300)."""
    revoke_on_delete: pulumi.Input[bool] | None = None
    """Revoke the token on destroy and when it is superseded (default true)."""


def _read_env_key(environ: Mapping[str, str]) -> str | None:
    path = environ.get("GITHUB_APP_PEM_FILE")
    if path:
        try:
            with open(os.path.expanduser(path), encoding="utf-8") as handle:
                return handle.read()
        except OSError as err:
            raise ConfigError(
                "private_key", f"GITHUB_APP_PEM_FILE={path!r} could not be read "
                f"({err.strerror}); point it at the app's .pem file"
            ) from None
    return environ.get("GITHUB_APP_PRIVATE_KEY") or None


def with_env_fallbacks(
    args: InstallationTokenArgs, environ: Mapping[str, str] | None = None
) -> InstallationTokenArgs:
    """`args` with unset inputs filled from the environment."""
    env = os.environ if environ is None else environ
    values = {f.name: getattr(args, f.name) for f in fields(args)}
    if values["app_id"] is None and values["client_id"] is None:
        values["app_id"] = env.get("GITHUB_APP_ID") or None
    if all(values[name] is None for name in ("installation_id", "owner", "repository")):
        values["installation_id"] = env.get("GITHUB_APP_INSTALLATION_ID") or None
    if values["private_key"] is None:
        values["private_key"] = _read_env_key(env)
    if values["base_url"] is None:
        values["base_url"] = env.get("GITHUB_BASE_URL") or None
    return InstallationTokenArgs(**values)


class InstallationToken(Resource, module="github", name="InstallationToken"):
    """A GitHub App installation access token that renews on `pulumi up` and revokes on destroy.

    `token` is a secret; `expires_at` says when GitHub will stop accepting it.
    """

    token: pulumi.Output[str]
    expires_at: pulumi.Output[str]
    installation_id: pulumi.Output[int]
    repository_selection: pulumi.Output[str]
    granted_permissions: pulumi.Output[dict[str, str]]
    granted_repositories: pulumi.Output[list[str]]
    key_fingerprint: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        args: InstallationTokenArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        args = with_env_fallbacks(args or InstallationTokenArgs(**kwargs))
        props: dict[str, Any] = {f.name: getattr(args, f.name) for f in fields(args)}
        if props["private_key"] is not None:
            props["private_key"] = pulumi.Output.secret(props["private_key"])
        props.update(dict.fromkeys(OUTPUTS))
        secret = pulumi.ResourceOptions(additional_secret_outputs=["token"])
        super().__init__(
            InstallationTokenProvider(),
            resource_name,
            props,
            pulumi.ResourceOptions.merge(opts, secret),
        )
