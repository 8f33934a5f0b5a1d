"""The yardstick for the engine benchmark: a dynamic resource whose create returns at once."""

from __future__ import annotations

import uuid
from typing import Any

from pulumi.dynamic import CreateResult, Resource, ResourceProvider


class TrivialProvider(ResourceProvider):
    """Echoes its inputs, minus any private key, as outputs: no network, no parsing."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = {k: v for k, v in props.items() if k not in ("__provider", "private_key")}
        return CreateResult(uuid.uuid4().hex, outs)


class PlainTrivialProvider(TrivialProvider):
    """The same, its pickled self stored in the clear (measures what that saves)."""

    serialize_as_secret_always = False


class Trivial(Resource, module="bench", name="Trivial"):
    def __init__(self, name: str, props: dict[str, Any], plain: bool = False) -> None:
        provider = PlainTrivialProvider() if plain else TrivialProvider()
        super().__init__(provider, name, dict(props))  # the SDK adds to it
