"""The token's lifecycle, Pulumi-free: look up, mint, plan, update, verify and revoke.

Every face (the dynamic provider, the provider plugin) is a thin layer over these functions.
State is a plain dict of outputs (snake_case names of declaration.OUTPUTS plus the echoed
inputs).

Expiry is decided on GitHub's clock: `clock_offset` (seconds GitHub's clock is ahead of
ours, measured at mint) is kept in state, so a machine whose clock is off neither drops,
re-mints nor forgets to revoke a live token.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from . import clock, renewal
from .errors import GitHubAppTokenError, RevokeError
from .inputs import TokenInputs
from .keys import key_fingerprint


def _never_unknown(_value: Any) -> bool:
    return False


def _fingerprint(pem: str) -> str:
    try:
        return key_fingerprint(pem)
    except GitHubAppTokenError:
        return ""


def mint(spec: TokenInputs) -> dict[str, Any]:
    """Outputs of a freshly minted token for `spec`."""
    from . import registry  # the HTTP stack loads only for calls to GitHub, never in check/diff

    app = registry.client_for(spec.issuer, spec.private_key, spec.base_url)
    installation_id = spec.installation_id
    if installation_id is None:
        installation_id = app.find_installation(owner=spec.owner, repository=spec.repository).id
    token = app.create_token(
        installation_id,
        repositories=spec.repositories,
        repository_ids=spec.repository_ids,
        permissions=spec.permissions,
    )
    return {
        **spec.echo(),
        "installation_id": installation_id,
        "token": token.token,
        "expires_at": token.expires_at,
        "repository_selection": token.repository_selection,
        "granted_permissions": dict(token.permissions),
        "granted_repositories": list(token.repositories),
        "key_fingerprint": app.key_fingerprint,
        "clock_offset": float(token.clock_offset),
        "lifetime": token.lifetime,
    }


def lookup(spec: TokenInputs) -> dict[str, Any]:
    """The installation `spec` selects: id, account, permissions, repository selection."""
    from . import registry

    app = registry.client_for(spec.issuer, spec.private_key, spec.base_url)
    if spec.installation_id is not None:
        found = app.get_installation(spec.installation_id)
    else:
        found = app.find_installation(owner=spec.owner, repository=spec.repository)
    return {"installation_id": found.id, "account": found.account,
            "permissions": dict(found.permissions),
            "repository_selection": found.repository_selection}


def new_id(outs: Mapping[str, Any]) -> str:
    """A resource id for minted `outs`: random, so it never contains or reveals the token."""
    return f"{int(outs['installation_id'])}-{uuid.uuid4().hex[:16]}"


def github_now(outs: Mapping[str, Any], now: float | None = None) -> float:
    """GitHub's clock for the token in `outs`: ours plus the offset measured at its mint."""
    return renewal.github_time(outs, clock.now() if now is None else now)


def plan(
    olds: Mapping[str, Any],
    news: Mapping[str, Any],
    now: float | None = None,
    is_unknown: Callable[[Any], bool] = _never_unknown,
) -> tuple[list[str], list[str]]:
    """(properties that force a new token, properties updated in place); no network calls.

    `now` is this machine's clock (default: clock.now()); expiry is judged on GitHub's.
    """
    return renewal.plan(olds, news, github_now(olds, now), is_unknown, _fingerprint)


def explain(
    olds: Mapping[str, Any],
    news: Mapping[str, Any],
    now: float | None = None,
    is_unknown: Callable[[Any], bool] = _never_unknown,
) -> dict[str, str]:
    """Why each property in plan() changes, for a detailed diff."""
    return renewal.reasons(olds, news, github_now(olds, now), is_unknown, _fingerprint)


def update(olds: Mapping[str, Any], spec: TokenInputs) -> dict[str, Any]:
    """Outputs after an in-place update: same token, new settings and key."""
    outs = dict(olds)
    outs.update(
        renew_before=spec.renew_before,
        revoke_on_delete=spec.revoke_on_delete,
        key_fingerprint=spec.key_fingerprint,
    )
    return outs


def still_live(outs: Mapping[str, Any], now: float | None = None) -> bool:
    """False when the token is gone: expired by GitHub's clock, or GitHub answers 401.

    Raises on any other failure: a live token is never dropped for a network error.
    """
    if renewal.is_dead(outs, github_now(outs, now)):
        return False
    from . import client as github
    from . import registry

    transport = registry.transport_for(str(outs["base_url"]))
    return github.token_is_live(transport, str(outs["token"]))


def revoke(outs: Mapping[str, Any], now: float | None = None) -> None:
    """Revoke the token unless opted out or dead by GitHub's clock; RevokeError on failure."""
    if outs.get("revoke_on_delete") is False or renewal.is_dead(outs, github_now(outs, now)):
        return
    try:
        from . import client as github
        from . import registry

        github.revoke_token(registry.transport_for(str(outs["base_url"])), str(outs["token"]))
    except GitHubAppTokenError as err:
        installation = outs.get("installation_id")
        installation_id = int(installation) if installation is not None else 0
        raise RevokeError(installation_id, str(outs.get("expires_at")), str(err)) from None
