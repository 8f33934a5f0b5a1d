"""The provider's schema, generated from the one declaration (declaration.py).

Provider type `githubapp`. The provider block holds the app (`app_id` or `client_id`), its key
and the API root; each kind names only the installation and the token's scope:
- ephemeral `githubapp_installation_token`: opened (minted) and closed (revoked) per run;
- resource `githubapp_installation_token`: kept in state, replaced before it expires;
- data source `githubapp_installation`: one installation, looked up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..declaration import BY_NAME, OUTPUTS, STRING, Input, Output
from . import tfplugin6_pb2 as pb
from .values import cty_type

PROVIDER_TYPE = "githubapp"
TOKEN = "githubapp_installation_token"
INSTALLATION = "githubapp_installation"

PERMISSIONS = {"type": "object", "additionalProperties": STRING}
_BY_OUTPUT = {spec.name: spec for spec in OUTPUTS}

# Where the declaration's docs speak of Pulumi, or of the provider block, this face says more.
_DOCS = {
    "app_id": "The GitHub App's id, sent as the JWT `iss`. Exactly one of `app_id`, "
              "`client_id`. Falls back to GITHUB_APP_ID.",
    "private_key": "The app's PEM private key: RSA, PKCS#1 or PKCS#8. Falls back to "
                   "GITHUB_APP_PEM_FILE (the key's text, or the path of a file holding it). "
                   "Give it from an `ephemeral` variable so no plan file holds it.",
    "base_url": "The REST API root: `https://api.github.com` (the default), or "
                "`https://HOST/api/v3` for GitHub Enterprise Server. Falls back to "
                "GITHUB_BASE_URL.",
    "renew_before": "Plan a replacement when fewer than this many seconds of the token remain "
                    "by GitHub's clock (0 to 3300; default 1800), or fewer than half its "
                    "granted `lifetime` when that is less. Use with "
                    "`lifecycle { create_before_destroy = true }`.",
    "revoke_on_delete": "Revoke the token when it is destroyed or replaced (default true).",
    "installation_id": "The installation to mint for. Exactly one of `installation_id`, "
                       "`owner`, `repository`; when `owner` or `repository` is given, the "
                       "installation found.",
}


@dataclass(frozen=True)
class Attribute:
    name: str
    schema: dict[str, Any]
    doc: str
    mode: str = "optional"
    """required, optional, computed, or optional+computed."""
    sensitive: bool = False

    def to_proto(self) -> pb.Schema.Attribute:
        return pb.Schema.Attribute(
            name=self.name, type=cty_type(self.schema), description=self.doc,
            description_kind=pb.MARKDOWN, required=self.mode == "required",
            optional="optional" in self.mode, computed="computed" in self.mode,
            sensitive=self.sensitive)


def _from(spec: Input | Output, mode: str) -> Attribute:
    return Attribute(spec.name, spec.schema, _DOCS.get(spec.name, spec.doc), mode, spec.secret)


def arguments(*names: str) -> tuple[Attribute, ...]:
    """Declared inputs as optional arguments (installation_id is also computed)."""
    return tuple(_from(BY_NAME[name], "optional+computed" if name in (
        "installation_id", "renew_before", "revoke_on_delete") else "optional") for name in names)


def results(*names: str) -> tuple[Attribute, ...]:
    """Declared outputs (or inputs echoed from the provider) as computed attributes."""
    return tuple(_from(_BY_OUTPUT.get(name) or BY_NAME[name], "computed") for name in names)


SELECTORS = ("installation_id", "owner", "repository")
SCOPE = ("repositories", "repository_ids", "permissions")
FROM_PROVIDER = ("app_id", "client_id", "base_url")
"""The provider's settings a managed token records, so that a new app or API root replaces it."""

PROVIDER: tuple[Attribute, ...] = (
    *arguments("app_id", "client_id", "private_key", "base_url"),
)
EPHEMERAL_TOKEN: tuple[Attribute, ...] = (
    *arguments(*SELECTORS, *SCOPE),
    *results("token", "expires_at", "repository_selection", "granted_permissions",
             "granted_repositories"),
)
MANAGED_TOKEN: tuple[Attribute, ...] = (
    Attribute("id", STRING, "A random id; it never contains or reveals the token.", "computed"),
    *arguments(*SELECTORS, *SCOPE, "renew_before", "revoke_on_delete"),
    *results(*FROM_PROVIDER, "token", "expires_at", "repository_selection",
             "granted_permissions", "granted_repositories", "key_fingerprint", "clock_offset",
             "lifetime"),
)
INSTALLATION_DATA: tuple[Attribute, ...] = (
    *arguments(*SELECTORS),
    Attribute("account", STRING, "The org or user login the installation is on.", "computed"),
    Attribute("permissions", PERMISSIONS, "The permissions the installation grants.",
              "computed"),
    Attribute("repository_selection", STRING, "`all` or `selected`.", "computed"),
)


def names(attributes: Iterable[Attribute]) -> tuple[str, ...]:
    return tuple(attribute.name for attribute in attributes)


def _block(attributes: Iterable[Attribute], doc: str) -> pb.Schema:
    return pb.Schema(version=0, block=pb.Schema.Block(
        attributes=[a.to_proto() for a in attributes], description=doc,
        description_kind=pb.MARKDOWN))


def provider_schema() -> pb.GetProviderSchema.Response:
    token_doc = "A GitHub App installation access token, scoped to `repositories` and " \
                "`permissions`. "
    return pb.GetProviderSchema.Response(
        provider=_block(PROVIDER, "The GitHub App that mints the tokens."),
        ephemeral_resource_schemas={TOKEN: _block(EPHEMERAL_TOKEN, token_doc + (
            "Minted when opened and revoked when closed; never written to a plan or state."))},
        resource_schemas={TOKEN: _block(MANAGED_TOKEN, token_doc + (
            "Kept in state (encrypt it), replaced before it expires, revoked on destroy."))},
        data_source_schemas={INSTALLATION: _block(INSTALLATION_DATA, (
            "One of the app's installations, looked up by owner, repository or id."))},
        server_capabilities=pb.ServerCapabilities(get_provider_schema_optional=True),
    )

