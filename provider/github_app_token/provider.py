"""The engine side: Pulumi's dynamic-provider hooks, each a thin call into the client.

The provider holds no attributes, so the `__provider` Pulumi pickles into state is
a small by-reference pointer to this class and never a credential.
"""

from __future__ import annotations

import uuid
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

from . import clock, registry
from .client import revoke_token, token_is_live
from .errors import GitHubAppTokenError, RevokeError
from .inputs import check_inputs, parse_inputs
from .keys import fingerprint, load_private_key
from .renewal import is_expired, plan

_PROVIDER_KEY = "__provider"


def _is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def _fingerprint(pem: str) -> str:
    try:
        return fingerprint(load_private_key(pem))
    except GitHubAppTokenError:
        return ""


def _state(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k != _PROVIDER_KEY}


class InstallationTokenProvider(ResourceProvider):
    """Mints, renews, verifies and revokes one GitHub App installation access token."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs, problems = check_inputs(_state(news), _is_unknown)
        return CheckResult(inputs, [CheckFailure(prop, reason) for prop, reason in problems])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces, updates = plan(olds, news, clock.now(), _is_unknown, _fingerprint)
        if replaces:
            return DiffResult(changes=True, replaces=replaces, delete_before_replace=False)
        return DiffResult(changes=bool(updates), replaces=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        spec = parse_inputs(_state(props))
        client = registry.client_for(spec.issuer, spec.private_key, spec.base_url)
        installation_id = spec.installation_id
        if installation_id is None:
            installation_id = client.find_installation(
                owner=spec.owner, repository=spec.repository
            ).id
        token = client.create_token(
            installation_id,
            repositories=spec.repositories,
            repository_ids=spec.repository_ids,
            permissions=spec.permissions,
        )
        outs = {
            **spec.echo(),
            "installation_id": installation_id,
            "token": token.token,
            "expires_at": token.expires_at,
            "repository_selection": token.repository_selection,
            "granted_permissions": dict(token.permissions),
            "granted_repositories": list(token.repositories),
            "key_fingerprint": client.key_fingerprint,
        }
        # The id is random: it must never contain or reveal the token.
        return CreateResult(f"{installation_id}-{uuid.uuid4().hex[:16]}", outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        if is_expired(props, clock.now()):
            return ReadResult(None, {})
        transport = registry.transport_for(str(props["base_url"]))
        if not token_is_live(transport, str(props["token"])):
            return ReadResult(None, {})
        return ReadResult(id_, _state(props))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        spec = parse_inputs(_state(news))
        outs = _state(olds)
        outs.update(
            renew_before=spec.renew_before,
            revoke_on_delete=spec.revoke_on_delete,
            key_fingerprint=spec.key_fingerprint,
        )
        return UpdateResult(outs)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        if props.get("revoke_on_delete") is False or is_expired(props, clock.now()):
            return
        try:
            revoke_token(registry.transport_for(str(props["base_url"])), str(props["token"]))
        except GitHubAppTokenError as err:
            installation = props.get("installation_id")
            installation_id = int(installation) if installation is not None else 0
            raise RevokeError(installation_id, str(props.get("expires_at")), str(err)) from None
