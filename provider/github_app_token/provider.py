"""The engine side: Pulumi's dynamic-provider hooks, each a one-line call into `lifecycle`.

The provider holds no attributes, so the `__provider` Pulumi pickles into state is a small
by-reference pointer to this class and never a credential. Its import path,
`github_app_token.provider.InstallationTokenProvider`, is in every stack's state: keep it.
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.output import Unknown

from . import lifecycle
from .inputs import check_inputs, parse_inputs

_PROVIDER_KEY = "__provider"


def _is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def _state(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k != _PROVIDER_KEY}


class InstallationTokenProvider(ResourceProvider):
    """Mints, renews, verifies and revokes one GitHub App installation access token."""

    # A by-reference class pointer with no secrets in it: stored in the clear, it spares two
    # ciphertexts per resource in every checkpoint. The SDK still makes it secret if it ever
    # captures a secret Output.
    serialize_as_secret_always = False

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs, problems = check_inputs(_state(news), _is_unknown)
        return CheckResult(inputs, [CheckFailure(prop, reason) for prop, reason in problems])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces, updates = lifecycle.plan(olds, news, is_unknown=_is_unknown)
        return DiffResult(changes=bool(replaces or updates), replaces=replaces,
                          delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = lifecycle.mint(parse_inputs(_state(props)))
        return CreateResult(lifecycle.new_id(outs), outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        if not lifecycle.still_live(props):
            return ReadResult(None, {})
        return ReadResult(id_, _state(props))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(lifecycle.update(_state(olds), parse_inputs(_state(news))))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        lifecycle.revoke(props)
