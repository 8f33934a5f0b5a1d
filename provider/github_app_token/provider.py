"""The engine side: Pulumi's dynamic-provider hooks, each a one-line call into `lifecycle`.

The provider holds no attributes, so the `__provider` Pulumi pickles into state is a small
by-reference pointer to this class and never a credential. The one thing it learns, the key
given once per stack, arrives through `configure` in the provider process, after unpickling.
Its import path, `github_app_token.provider.InstallationTokenProvider`, is in every stack's
state: keep it.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Mapping
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
from .errors import GitHubAppTokenError
from .inputs import MISSING_KEY, check_inputs, parse_inputs
from .secret_shape import HIDDEN, secret_shaped

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


def _failure(prop: str, reason: str, props: Mapping[str, Any]) -> CheckFailure:
    """A check failure. The engine prints the failing property's value beside our reason, so
    a secret-shaped one is reported without its property, which the reason names instead."""
    if secret_shaped(props.get(prop.split("[")[0])):
        return CheckFailure("", f"{prop}: {reason} ({HIDDEN})")
    if prop == _KEY and reason.startswith(MISSING_KEY):
        reason += f", or give it once per stack: pulumi config set --secret {CONFIG_KEY}"
    return CheckFailure(prop, reason)


class _OurErrorsAsMessages:
    """The `traceback` module as Pulumi's dynamic-provider server sees it, once we are loaded.

    The server answers every failed hook with `traceback.format_exc()`, so a wrong installation
    id read like a crash. Our errors (the GitHubAppTokenError tree) are expected and their
    message says what to do: they are answered with that message alone. Anything else is a bug
    and keeps its traceback, for the report.
    """

    def __getattr__(self, name: str) -> Any:
        return getattr(traceback, name)

    @staticmethod
    def format_exc(limit: int | None = None, chain: bool = True) -> str:
        err = sys.exc_info()[1]
        if isinstance(err, GitHubAppTokenError):
            return str(err)
        return traceback.format_exc(limit, chain)


def _present_our_errors_in_the_server() -> None:
    """Install `_OurErrorsAsMessages` in the server module, if this process is that server.

    The server (`python -m pulumi.dynamic`) belongs to the user's Pulumi install, and it is
    started before our code is unpickled into it: its handlers are bound already, but they
    look `traceback` up in their module at each failure. That one name is the seam. Should a
    Pulumi release change the server so it no longer fits, nothing is changed and Pulumi's
    own traceback is shown, as before.
    """
    server = sys.modules.get("__main__")
    spec = getattr(server, "__spec__", None)
    if (getattr(spec, "name", None) == "pulumi.dynamic.__main__"
            and callable(getattr(server, "_abort_with_traceback", None))
            and getattr(server, "traceback", None) is traceback):
        server.traceback = _OurErrorsAsMessages()


class InstallationTokenProvider(ResourceProvider):
    """Mints, renews, verifies and revokes one GitHub App installation access token."""

    # A by-reference class pointer with no secrets in it: stored in the clear, it spares two
    # ciphertexts per resource in every checkpoint. The SDK still makes it secret if it ever
    # captures a secret Output.
    serialize_as_secret_always = False

    def configure(self, req: ConfigureRequest) -> None:
        # Only in the provider process, after unpickling: never pickled, never in state.
        _present_our_errors_in_the_server()
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
        return CheckResult(inputs, [_failure(prop, reason, props) for prop, reason in problems])

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
