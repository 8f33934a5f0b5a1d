"""The program side: `InstallationToken`, its inputs, environment fallbacks and secrets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, overload

import pulumi
from pulumi.dynamic import Resource

from . import environment
from .declaration import BY_NAME, OUTPUTS
from .provider import InstallationTokenProvider

RESULTS = tuple(out.name for out in OUTPUTS if out.name not in BY_NAME)
"""Outputs that are not also inputs: registered as None, filled in by the provider."""


@dataclass
class InstallationTokenArgs:
    """Inputs of an InstallationToken (tests prove the fields equal the declaration).

    Exactly one of `app_id` / `client_id` (the JWT issuer) and exactly one of
    `installation_id` / `owner` / `repository` (the installation) must be given.
    When not given, these are read from the environment, with the pulumi-github
    provider's names: `app_id` from GITHUB_APP_ID, `installation_id` from
    GITHUB_APP_INSTALLATION_ID, `private_key` from GITHUB_APP_PEM_FILE (the
    key's text, or the path of a file holding it) or else GITHUB_APP_PRIVATE_KEY, and
    `base_url` from GITHUB_BASE_URL.
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


def with_env_fallbacks(
    args: InstallationTokenArgs, environ: Mapping[str, str] | None = None
) -> InstallationTokenArgs:
    """`args` with unset inputs filled from the environment, as the declaration says."""
    return InstallationTokenArgs(**environment.fill(vars(args), environ))


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
    clock_offset: pulumi.Output[float]
    lifetime: pulumi.Output[int]

    @overload
    def __init__(
        self,
        resource_name: str,
        args: InstallationTokenArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self,
        resource_name: str,
        opts: pulumi.ResourceOptions | None = None,
        *,
        app_id: pulumi.Input[int | str] | None = None,
        client_id: pulumi.Input[str] | None = None,
        private_key: pulumi.Input[str] | None = None,
        installation_id: pulumi.Input[int] | None = None,
        owner: pulumi.Input[str] | None = None,
        repository: pulumi.Input[str] | None = None,
        repositories: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
        repository_ids: pulumi.Input[Sequence[pulumi.Input[int]]] | None = None,
        permissions: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
        base_url: pulumi.Input[str] | None = None,
        renew_before: pulumi.Input[int] | None = None,
        revoke_on_delete: pulumi.Input[bool] | None = None,
    ) -> None: ...

    def __init__(self, resource_name: str, *args: Any, **kwargs: Any) -> None:
        """`InstallationToken(name, args, opts)` or `InstallationToken(name, opts, app_id=...)`.

        The keyword overload repeats `InstallationTokenArgs` so that IDEs and type checkers
        complete and check each input (tests keep the two equal).
        """
        token_args, opts = _args_and_opts(args, kwargs)
        args = with_env_fallbacks(token_args)
        props: dict[str, Any] = {f.name: getattr(args, f.name) for f in fields(args)}
        if props["private_key"] is not None:
            props["private_key"] = pulumi.Output.secret(props["private_key"])
        props.update(dict.fromkeys(RESULTS))
        secret = pulumi.ResourceOptions(additional_secret_outputs=["token"])
        super().__init__(
            InstallationTokenProvider(),
            resource_name,
            props,
            pulumi.ResourceOptions.merge(opts, secret),
        )


def _args_and_opts(
    positional: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[InstallationTokenArgs, pulumi.ResourceOptions | None]:
    """Either overload's arguments, told apart by type as Pulumi's generated SDKs do."""
    args, opts = kwargs.pop("args", None), kwargs.pop("opts", None)
    for value in positional:
        if isinstance(value, pulumi.ResourceOptions):
            opts = value
        elif isinstance(value, InstallationTokenArgs) and args is None and opts is None:
            args = value
        elif value is not None:
            raise TypeError("InstallationToken takes (name, args, opts) or (name, opts, "
                            "**inputs); a positional argument is neither")
    if args is not None and kwargs:
        raise TypeError("InstallationToken takes an InstallationTokenArgs or keyword "
                        "inputs, not both")
    return args or InstallationTokenArgs(**kwargs), opts
