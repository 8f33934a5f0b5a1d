"""Data source `githubapp_installation`: one of the app's installations, by owner, repository
or id (lifecycle.lookup, as the Pulumi plugin's getInstallation)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import lifecycle
from ..inputs import parse_inputs
from . import config as provider
from .diagnostics import Diagnostic
from .schema import INSTALLATION_DATA, SELECTORS, names

ATTRIBUTES = names(INSTALLATION_DATA)


def _arguments(config: Mapping[str, Any]) -> dict[str, Any]:
    return {name: config.get(name) for name in SELECTORS}


def validate(settings: provider.Settings, config: Mapping[str, Any]) -> list[Diagnostic]:
    return provider.check(settings, _arguments(config))[1]


def read(settings: provider.Settings, config: Mapping[str, Any]) -> dict[str, Any]:
    arguments = _arguments(config)
    found = lifecycle.lookup(parse_inputs(settings.props(arguments)))
    given = {name: value for name, value in arguments.items() if value is not None}
    return {**{name: found.get(name) for name in ATTRIBUTES}, **given}
