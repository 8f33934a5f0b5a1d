"""The one declaration of InstallationToken's inputs and outputs.

Everything that lists inputs reads it: `check` and normalisation, the echo into outputs,
`InstallationTokenArgs`, the README's input table (kept equal by a test) and the plugin's
schema. `schema` is a Pulumi-schema type fragment; `wire` is the camelCase name the plugin
face uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Role = Literal["issuer", "selector", "scope", "key", "setting"]
"""issuer, selector and scope decide which token GitHub mints (a change replaces it);
key and setting change only how we work (updated in place)."""

INTEGER = {"type": "integer"}
STRING = {"type": "string"}
BOOLEAN = {"type": "boolean"}


@dataclass(frozen=True)
class Input:
    name: str
    wire: str
    schema: dict[str, Any]
    role: Role
    doc: str
    default: Any = None
    env: tuple[str, ...] = ()
    """Variables the program reads when the input is left out (for an issuer or selector:
    when its whole role is left out); the first one set wins. A name ending in `_FILE`
    holds the path of a file whose text is the value."""
    secret: bool = False
    provider_config: bool = False
    """Also settable once per provider (plugin face: `github-app-token:<wire>`)."""


@dataclass(frozen=True)
class Output:
    name: str
    wire: str
    schema: dict[str, Any]
    doc: str
    secret: bool = False


INPUTS: tuple[Input, ...] = (
    Input("app_id", "appId", INTEGER, "issuer",
          "The GitHub App's id, sent as the JWT `iss`; a digit string is accepted too. "
          "Exactly one of `app_id`, `client_id`.",
          env=("GITHUB_APP_ID",), provider_config=True),
    Input("client_id", "clientId", STRING, "issuer",
          "The app's client ID (e.g. `Iv23li...`), which GitHub also accepts as the JWT `iss`.",
          provider_config=True),
    Input("private_key", "privateKey", STRING, "key",
          "The app's PEM private key: RSA, PKCS#1 or PKCS#8, at most 4096 bits and 64 KiB. "
          "Surrounding whitespace, CRLF, literal `\\n` escapes and flattened lines are "
          "repaired. Always a secret; a new key is an in-place update.",
          env=("GITHUB_APP_PEM_FILE", "GITHUB_APP_PRIVATE_KEY"), secret=True,
          provider_config=True),
    Input("installation_id", "installationId", INTEGER, "selector",
          "The installation to mint for. Exactly one of `installation_id`, `owner`, "
          "`repository`.",
          env=("GITHUB_APP_INSTALLATION_ID",)),
    Input("owner", "owner", STRING, "selector",
          "An org or user login (at most 39 characters) whose installation to use: "
          "`GET /orgs/{owner}/installation`, then `GET /users/{owner}/installation`."),
    Input("repository", "repository", STRING, "selector",
          "`owner/name` of a repository whose installation to use: "
          "`GET /repos/{owner}/{name}/installation`."),
    Input("repositories", "repositories", {"type": "array", "items": STRING}, "scope",
          "Limit the token to these repository names, without the owner: 1 to 500, no "
          "duplicates. Leave unset for the whole installation; an empty list is an error, "
          "since GitHub would read it as the whole installation."),
    Input("repository_ids", "repositoryIds", {"type": "array", "items": INTEGER}, "scope",
          "Limit the token to these repository ids: 1 to 500, no duplicates. Leave unset for "
          "the whole installation; an empty list is an error."),
    Input("permissions", "permissions", {"type": "object", "additionalProperties": STRING},
          "scope",
          "Limit the token to these permissions, e.g. `{contents: read}`, checked against "
          "GitHub's 55 `app-permissions` (`workflows` is write-only); typos get a suggestion. "
          "Leave unset for everything the installation grants; an empty map is an error."),
    Input("base_url", "baseUrl", STRING, "scope",
          "The REST API root: `https://api.github.com`, `https://HOST/api/v3` for GitHub "
          "Enterprise Server, or `https://api.SUBDOMAIN.ghe.com` for GHE.com; any other "
          "address (a web address such as `https://HOST`) is refused, except on loopback (an "
          "emulator). https only, except plain http to loopback; no credentials, query, "
          "fragment or backslash.",
          default="https://api.github.com", env=("GITHUB_BASE_URL",), provider_config=True),
    Input("renew_before", "renewBefore", INTEGER, "setting",
          "`pulumi up` re-mints when fewer than this many seconds of the token remain "
          "(0 to 3300), or fewer than half its granted `lifetime` when that is less: a token "
          "GitHub grants for less than `renew_before` renews once per half-life, not on every "
          "run.", default=1800),
    Input("revoke_on_delete", "revokeOnDelete", BOOLEAN, "setting",
          "Revoke the token on destroy and when a renewal supersedes it.", default=True),
)

OUTPUTS: tuple[Output, ...] = (
    Output("token", "token", STRING, "The installation access token. Opaque; a secret.",
           secret=True),
    Output("expires_at", "expiresAt", STRING, "When GitHub stops accepting the token (RFC 3339)."),
    Output("installation_id", "installationId", INTEGER, "The installation the token is for."),
    Output("repository_selection", "repositorySelection", STRING,
           "`all` or `selected`, as GitHub reports for this token."),
    Output("granted_permissions", "grantedPermissions",
           {"type": "object", "additionalProperties": STRING},
           "The permissions GitHub granted the token."),
    Output("granted_repositories", "grantedRepositories", {"type": "array", "items": STRING},
           "`owner/name` of each repository the token is limited to; empty when unscoped."),
    Output("key_fingerprint", "keyFingerprint", STRING,
           "GitHub's `SHA256:` fingerprint of the signing key's public half."),
    Output("clock_offset", "clockOffset", {"type": "number"},
           "Seconds GitHub's clock was ahead of this machine's at mint (from its `Date` "
           "header); expiry is judged on GitHub's clock. A `Date` more than a day off, or "
           "that does not fit `expires_at`, is not believed (a warning says so)."),
    Output("lifetime", "lifetime", INTEGER,
           "Seconds GitHub granted the token (`expires_at` less GitHub's clock at mint); "
           "renewal starts at half of it when that is less than `renew_before`."),
)

BY_NAME: dict[str, Input] = {spec.name: spec for spec in INPUTS}


def named(*roles: Role) -> tuple[str, ...]:
    """Names of the inputs with one of `roles`, in declaration order."""
    return tuple(spec.name for spec in INPUTS if spec.role in roles)


