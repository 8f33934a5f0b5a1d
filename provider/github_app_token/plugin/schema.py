"""The plugin's Pulumi package schema, generated from the one declaration.

`schema.json` beside this module is the checked-in copy (a test keeps it equal); regenerate it
with `python -m github_app_token.plugin.schema > provider/github_app_token/plugin/schema.json`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..declaration import INPUTS, INTEGER, OUTPUTS, STRING, Input, Output
from ..version import __version__
from .wire import wire_text

PACKAGE = "github-app-token"
RESOURCE = f"{PACKAGE}:index:InstallationToken"
GET_INSTALLATION = f"{PACKAGE}:index:getInstallation"
SCHEMA_PATH = Path(__file__).with_name("schema.json")
# Where the project lives once public; every SDK's name is derived from it.
HOME = "github.com/pulumi-github-app-token/pulumi-github-app-token"
GO_MODULE = f"{HOME}/sdk/go"
# On PyPI `pulumi-github-app-token` is this project itself (the dynamic resource and the
# plugin), so the generated Python SDK takes a name that normalises to something else.
PYTHON_SDK = "pulumi_github_app_token_sdk"
PERMISSIONS = {"type": "object", "additionalProperties": STRING}

_ENV_NOTE = {
    "app_id": " Falls back to GITHUB_APP_ID.",
    "private_key": " Falls back to GITHUB_APP_PEM_FILE (the key's text, or the "
                   "path of a file holding it), else GITHUB_APP_PRIVATE_KEY.",
    "base_url": " Falls back to GITHUB_BASE_URL.",
}


def _property(spec: Input | Output, doc: str | None = None) -> dict[str, Any]:
    prop: dict[str, Any] = {**spec.schema, "description": wire_text(doc or spec.doc)}
    if spec.secret:
        prop["secret"] = True
    if isinstance(spec, Input) and spec.default is not None and not spec.provider_config:
        prop["default"] = spec.default
    return prop


def _config() -> dict[str, dict[str, Any]]:
    return {spec.wire: _property(spec, spec.doc + _ENV_NOTE.get(spec.name, ""))
            for spec in INPUTS if spec.provider_config}


def _resource() -> dict[str, Any]:
    inputs = {spec.wire: _property(spec) for spec in INPUTS if not spec.provider_config}
    echoed = {spec.wire: _property(spec) for spec in INPUTS if spec.name != "private_key"}
    outputs = {spec.wire: _property(spec) for spec in OUTPUTS}
    return {
        "description": "A GitHub App installation access token that `pulumi up` renews before "
                       "it expires and destroy revokes. The app and its key come from the "
                       "provider configuration; the resource names only the installation and "
                       "the token's scope.",
        "properties": {**echoed, **outputs},
        "required": [spec.wire for spec in OUTPUTS],
        "inputProperties": inputs,
    }


def _get_installation() -> dict[str, Any]:
    selectors = {spec.wire: _property(spec) for spec in INPUTS if spec.role == "selector"}
    return {
        "description": "Look up one of the app's installations by owner, repository or id.",
        "inputs": {"properties": selectors},
        "outputs": {
            "properties": {
                "installationId": {**INTEGER, "description": "The installation's id."},
                "account": {**STRING, "description": "The org or user login it is on."},
                "permissions": {**PERMISSIONS,
                                "description": "The permissions the installation grants."},
                "repositorySelection": {**STRING, "description": "`all` or `selected`."},
            },
            "required": ["installationId", "account", "permissions", "repositorySelection"],
        },
    }


def _languages() -> dict[str, Any]:
    """Each SDK's name. Versions come from the schema's (respectSchemaVersion)."""
    return {
        "csharp": {"rootNamespace": "GitHubAppToken", "namespaces": {PACKAGE: "Tokens"},
                   "respectSchemaVersion": True},
        "go": {"importBasePath": f"{GO_MODULE}/githubapptoken", "modulePath": GO_MODULE,
               "respectSchemaVersion": True},
        "nodejs": {"packageName": "pulumi-github-app-token", "respectSchemaVersion": True},
        "python": {"packageName": PYTHON_SDK, "pyproject": {"enabled": True},
                   "respectSchemaVersion": True},
    }


def build_schema() -> dict[str, Any]:
    config = _config()
    return {
        "name": PACKAGE,
        "displayName": "GitHub App Token",
        "version": __version__,
        "description": "GitHub App installation access tokens as managed infrastructure: "
                       "scoped, renewed before they expire, revoked on destroy, always secret.",
        "keywords": ["github", "github-app", "token", "category/utility"],
        "license": "Apache-2.0",
        "homepage": f"https://{HOME}",
        "repository": f"https://{HOME}",
        "publisher": "pulumi-github-app-token",
        # The engine fetches pulumi-resource-<package>-v<version>-<os>-<arch>.tar.gz from the
        # GitHub release v<version> of this repository (docs/releasing.md publishes it there).
        "pluginDownloadURL": f"github://api.{HOME}",
        "language": _languages(),
        "config": {"variables": config},
        "provider": {
            "description": "The GitHub App that mints the tokens; set once per provider.",
            "inputProperties": config,
        },
        "resources": {RESOURCE: _resource()},
        "functions": {GET_INSTALLATION: _get_installation()},
    }


def render() -> str:
    return json.dumps(build_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(render(), end="")
