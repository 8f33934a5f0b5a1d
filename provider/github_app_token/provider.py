"""The engine side: Pulumi's dynamic-provider hooks, each a one-line call into `lifecycle`.

The provider holds no attributes, so the `__provider` Pulumi pickles into state is a small
by-reference pointer to this class and never a credential. The one thing it learns, the key
given once per stack, arrives through `configure` in the provider process, after unpickling.
Its import path, `github_app_token.provider.InstallationTokenProvider`, is in every stack's
state: keep it.
"""

from __future__ import annotations

import logging
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
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
_KEY = "private_key"
CONFIG_KEY = "github-app-token:privateKey"
"""Stack config that gives the key once per stack: `pulumi config set --secret ...`."""


class _EngineWarnings(logging.Handler):
    """The core's warnings (logger `github_app_token`) as Pulumi warnings: in the dynamic
    provider's process `pulumi.log.warn` writes `warning: ...` to stderr, which the engine
    shows with the run's output."""

    def emit(self, record: logging.LogRecord) -> None:
        pulumi.log.warn(record.getMessage())


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

    def configure(self, req: ConfigureRequest) -> None:
        # Only in the provider process, after unpickling: never pickled, never in state.
        self._stack_key = req.config.get(CONFIG_KEY)
        core = logging.getLogger("github_app_token")
        if not any(isinstance(handler, _EngineWarnings) for handler in core.handlers):
            core.addHandler(_EngineWarnings())

    def _with_key(self, props: dict[str, Any]) -> dict[str, Any]:
        """`props` with the stack's key when the resource gives none (a key input wins)."""
        stack_key = getattr(self, "_stack_key", None)
        if props.get(_KEY) is None and stack_key is not None:
            return {**props, _KEY: stack_key}
        return props

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        props = _state(news)
        inputs, problems = check_inputs(self._with_key(props), _is_unknown)
        if props.get(_KEY) is None:
            # A key from stack config stays there: checked inputs are stored in state.
            inputs.pop(_KEY, None)
        return CheckResult(inputs, [CheckFailure(prop, reason) for prop, reason in problems])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        news = self._with_key(news)
        replaces, updates = lifecycle.plan(olds, news, is_unknown=_is_unknown)
        return DiffResult(changes=bool(replaces or updates), replaces=replaces,
                          delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = lifecycle.mint(parse_inputs(self._with_key(_state(props))))
        return CreateResult(lifecycle.new_id(outs), outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        if not lifecycle.still_live(props):
            return ReadResult(None, {})
        return ReadResult(id_, _state(props))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        spec = parse_inputs(self._with_key(_state(news)))
        return UpdateResult(lifecycle.update(_state(olds), spec))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        lifecycle.revoke(props)
