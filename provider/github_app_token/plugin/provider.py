"""The plugin face: Pulumi's provider protocol over the same core as the dynamic resource.

Each hook translates names (camelCase <-> snake_case), adds the provider's app and key, and
calls the core; blocking calls run in a worker thread so the gRPC loop stays responsive. Our
errors propagate as they are: the server (`server.py`) answers them with their message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from pulumi.provider.experimental.provider import (
    CheckFailure,
    CheckRequest,
    CheckResponse,
    ConfigureRequest,
    ConfigureResponse,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    DiffRequest,
    DiffResponse,
    GetSchemaRequest,
    GetSchemaResponse,
    InvokeRequest,
    InvokeResponse,
    PropertyDiff,
    PropertyDiffKind,
    Provider,
    ReadRequest,
    ReadResponse,
    UpdateRequest,
    UpdateResponse,
)

from .. import lifecycle
from ..errors import ConfigError, GitHubAppTokenError
from ..inputs import check_inputs, parse_inputs
from ..secret_shape import HIDDEN, secret_shaped
from . import config as settings
from .schema import GET_INSTALLATION, SCHEMA_PATH
from .wire import from_wire, is_unknown, to_wire, wire_name, wire_text

NOT_IMPORTABLE = (
    "an InstallationToken cannot be imported: GitHub shows a token only once, when it is "
    "minted, so there is nothing to read back. Declare the resource in your program and run "
    "`pulumi up` to mint a fresh token instead"
)
SELECTORS = ("installation_id", "owner", "repository")
_OUTPUT_ONLY = {"expires_at", "private_key"}
"""Plan names that are not inputs of this face: renewal, and the provider's key rotation."""


class PluginError(GitHubAppTokenError):
    """A failure of this face itself: an import refused, an unknown function."""


def _failures(problems: list[tuple[str, str]], values: Mapping[str, Any]) -> list[CheckFailure]:
    """Check failures in this face's names. The engine prints the failing property's value
    (from `values`, as the program gave it) beside our reason, so a secret-shaped one is
    reported without its property, which the reason names instead."""
    failures = []
    for prop, reason in problems:
        if secret_shaped(values.get(prop.split("[")[0])):
            failures.append(CheckFailure("", f"{wire_name(prop)}: {_reason(prop, reason)} "
                                             f"({HIDDEN})"))
        else:
            failures.append(CheckFailure(wire_name(prop), _reason(prop, reason)))
    return failures


def _reason(prop: str, reason: str) -> str:
    if prop.split("[")[0] in settings.NAMES:
        return settings.advice(prop, reason)
    return wire_text(reason)


def _kind(name: str, olds: dict[str, Any], news: dict[str, Any], replace: bool) -> PropertyDiff:
    kinds = (PropertyDiffKind.UPDATE, PropertyDiffKind.UPDATE_REPLACE)
    if name not in _OUTPUT_ONLY and olds.get(name) is None:
        kinds = (PropertyDiffKind.ADD, PropertyDiffKind.ADD_REPLACE)
    elif name not in _OUTPUT_ONLY and news.get(name) is None:
        kinds = (PropertyDiffKind.DELETE, PropertyDiffKind.DELETE_REPLACE)
    return PropertyDiff(kinds[replace], input_diff=name not in _OUTPUT_ONLY)


async def _run(fn: Any, *args: Any) -> Any:
    """`fn(*args)` in a worker thread."""
    return await asyncio.to_thread(fn, *args)


class InstallationTokenPlugin(Provider):
    """github-app-token: InstallationToken and getInstallation, for every Pulumi language."""

    def __init__(self) -> None:
        self._config = settings.ProviderConfig()

    def _with_app(self, props: dict[str, Any]) -> dict[str, Any]:
        """Raw resource props plus the provider's app and API root, which Check then
        normalises into the resource's inputs (so a change of app or URL replaces the token)."""
        props = {k: v for k, v in props.items() if k not in settings.NAMES}
        return self._with_key({**props, **self._config.known()})

    def _with_key(self, props: dict[str, Any]) -> dict[str, Any]:
        """Checked props plus the provider's key, which is never part of a resource."""
        return {**props, "private_key": self._config.private_key}

    async def get_schema(self, request: GetSchemaRequest) -> GetSchemaResponse:
        return GetSchemaResponse(schema=SCHEMA_PATH.read_text(encoding="utf-8"))

    async def check_config(self, request: CheckRequest) -> CheckResponse:
        news = dict(request.new_inputs)
        if "privateKey" in news:  # stored as ciphertext even if set without --secret
            news["privateKey"] = news["privateKey"].with_secret(True)
        args, _ = from_wire(request.new_inputs)
        try:
            found = settings.problems(settings.from_settings(args, {}))
        except ConfigError as err:
            found = [(err.property, err.reason)]
        return CheckResponse(inputs=news, failures=_failures(found, args))

    async def configure(self, request: ConfigureRequest) -> ConfigureResponse:
        args, _ = from_wire(request.args)
        self._config = settings.from_settings(args, request.variables)
        return ConfigureResponse(accept_secrets=True, supports_preview=False,
                                 accept_resources=True, accept_outputs=False)

    async def check(self, request: CheckRequest) -> CheckResponse:
        news, secret = from_wire(request.new_inputs)
        inputs, problems = check_inputs(self._with_app(news), is_unknown)
        inputs.pop("private_key", None)
        return CheckResponse(inputs=to_wire(inputs, secret), failures=_failures(problems, news))

    async def diff(self, request: DiffRequest) -> DiffResponse:
        olds, _ = from_wire(request.old_state)
        news, _ = from_wire(request.new_inputs)
        news = self._with_key(news)
        replaces, updates = lifecycle.plan(olds, news, None, is_unknown)
        detailed = {wire_name(n): _kind(n, olds, news, True) for n in replaces}
        key = {"private_key": "key_fingerprint"}
        detailed.update({wire_name(key.get(n, n)): _kind(n, olds, news, False) for n in updates})
        return DiffResponse(changes=bool(detailed), replaces=[wire_name(n) for n in replaces],
                            delete_before_replace=False, detailed_diff=detailed)

    async def create(self, request: CreateRequest) -> CreateResponse:
        props, secret = from_wire(request.properties)
        spec = await _run(parse_inputs, self._with_key(props))
        outs = await _run(lifecycle.mint, spec)
        return CreateResponse(resource_id=lifecycle.new_id(outs), properties=to_wire(outs, secret))

    async def read(self, request: ReadRequest) -> ReadResponse:
        if not request.properties:
            raise PluginError(NOT_IMPORTABLE)
        outs, secret = from_wire(request.properties)
        if not await _run(lifecycle.still_live, outs):
            return ReadResponse(resource_id=None)
        return ReadResponse(resource_id=request.resource_id, properties=to_wire(outs, secret),
                            inputs=request.inputs)

    async def update(self, request: UpdateRequest) -> UpdateResponse:
        olds, secret = from_wire(request.olds)
        news, _ = from_wire(request.news)
        spec = await _run(parse_inputs, self._with_key(news))
        return UpdateResponse(properties=to_wire(await _run(lifecycle.update, olds, spec), secret))

    async def delete(self, request: DeleteRequest) -> None:
        outs, _ = from_wire(request.properties)
        await _run(lifecycle.revoke, outs)

    async def invoke(self, request: InvokeRequest) -> InvokeResponse:
        if request.tok != GET_INSTALLATION:
            raise PluginError(f"unknown function; this provider offers {GET_INSTALLATION}")
        args, _ = from_wire(request.args)
        props = self._with_app({name: args.get(name) for name in SELECTORS})
        _, problems = check_inputs(props)
        if problems:
            return InvokeResponse(failures=_failures(problems, args))
        found = await _run(lifecycle.lookup, parse_inputs(props))
        return InvokeResponse(return_value=to_wire(found))
