"""A GitHub App REST client: JWT auth on GitHub's clock, error mapping, no token lost.

It knows nothing of Pulumi. Each `GitHubAppClient` owns its state: a `Transport`
(Session, retry policy, deadline), its JWT cache and GitHub's clock offset. Every public
call finishes or fails within one deadline (see `deadline`: 120 s, or
`GITHUB_APP_TOKEN_TIMEOUT`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from . import clock, errors, responses
from .app_jwt import JwtCache
from .deadline import Deadline
from .keys import fingerprint, load_private_key
from .permissions import ungranted
from .responses import AccessToken, Installation
from .retry import RATE_LIMIT_STATUSES, requested_wait
from .transport import DEFAULT_BASE_URL, SLOW_SERVER, Reply, Transport

__all__ = [
    "DEFAULT_BASE_URL",
    "AccessToken",
    "GitHubAppClient",
    "Installation",
    "revoke_token",
    "token_is_live",
]

# docs/github-behaviour.md §1 and auth-app.js: only these 401s mean our clock disagrees
# with GitHub's.
_SKEW_MESSAGES = (
    "'Expiration time' claim ('exp') must be a numeric value representing the future time",
    "'Expiration time' claim ('exp') is too far in the future",
    "'Issued at' claim ('iat') must be an Integer",
)
_BAD_SIGNATURE = "A JSON web token could not be decoded"
_BAD_CREDENTIALS = "Bad credentials"  # docs/github-behaviour.md §3: a dead token
_MINT = "/app/installations/{installation_id}/access_tokens"
"""Operations are named by path templates: a message names inputs, never their values."""
_NO_INSTALLATION = ("The app has no installation with this installation_id; check "
                    "installation_id, or install the app on the account")
_REVOKE_RESERVE = 10.0
"""Seconds (at most a tenth of the deadline) kept to revoke a token from an unusable 201."""


def _from_github(reply: Reply) -> bool:
    """A GitHub error object, as opposed to a proxy's or gateway's page (github-behaviour §9)."""
    try:
        data = responses.decode(reply.body)
    except responses.Malformed:
        return False
    return isinstance(data, dict) and isinstance(data.get("message"), str)


def _wait_hint(reply: Reply, deadline: Deadline | None) -> str | None:
    wait = requested_wait(reply.headers)
    if wait is None:
        return None
    if deadline is not None and wait >= deadline.remaining():
        left = max(0.0, deadline.remaining())
        return (f"GitHub asks to wait {wait:.0f} s before retrying, more than the {left:.0f} s "
                f"left of this operation's {deadline.seconds:g} s deadline "
                "(GITHUB_APP_TOKEN_TIMEOUT); run the command again later")
    return f"GitHub still asks to wait {wait:.0f} s after our retries; run the command again later"


def api_error(
    reply: Reply,
    operation: str,
    hint: str | None = None,
    *,
    deadline: Deadline | None = None,
    secrets: Sequence[str] = (),
) -> errors.ApiError:
    """The ApiError subclass for an error answer, carrying GitHub's own fields."""
    message, docs = responses.error_fields(reply.body)
    message = responses.clean(message, *secrets)
    status = reply.status
    cls = errors.error_class(status)
    github = status >= 500 or _from_github(reply)
    wait_hint = _wait_hint(reply, deadline)
    if wait_hint and status in RATE_LIMIT_STATUSES:
        cls, hint = errors.RateLimitError, wait_hint
    elif wait_hint:
        hint = wait_hint
    elif status == 403 and "suspended" in message.lower():
        cls = errors.SuspendedError
        hint = "An owner of the account must unsuspend the app's installation first"
    elif status >= 500 and hint is None:
        hint = "GitHub kept failing after retries; try again later"
    elif status == 401 and not github:
        hint = ("This 401 is not a GitHub error object: a proxy or gateway between here and "
                "base_url refused the request; check the network path to GitHub")
    elif not github:
        hint = ("This is not an answer of GitHub's REST API (no GitHub error object), so "
                f"base_url is likely not the API root: give {errors.API_ROOTS}")
    return cls(
        operation,
        status,
        message,
        documentation_url=docs,
        request_id=reply.headers.get("x-github-request-id"),
        hint=hint,
        from_github=github,
    )


def _usable(reply: Reply, deadline: Deadline) -> Reply:
    """`reply` if its body arrived whole; else the deadline's or the transport's error."""
    if reply.complete:
        return reply
    if deadline.expired():
        raise deadline.error(reply.failure, advice=SLOW_SERVER)
    raise errors.TransportError(deadline.operation, reply.failure, advice="run the command again")


def _is_dead(reply: Reply) -> bool:
    """GitHub itself says the token is unknown, expired or revoked."""
    return reply.status == 401 and _from_github(reply) and responses.error_fields(
        reply.body)[0].startswith(_BAD_CREDENTIALS)


def token_is_live(transport: Transport, token: str) -> bool:
    """True when GitHub accepts `token`, False when GitHub says it is dead; raises otherwise."""
    deadline = transport.deadline("GET /installation/repositories")
    reply = _usable(transport.send("GET", "/installation/repositories?per_page=1", token,
                                   deadline), deadline)
    if reply.status == 200:
        return True
    if _is_dead(reply):
        return False
    raise api_error(reply, deadline.operation, deadline=deadline, secrets=(token,))


def revoke_token(transport: Transport, token: str, deadline: Deadline | None = None) -> None:
    """Revoke `token` with itself; GitHub's 401 means it is already dead, which is fine too.

    With `deadline` (a mint's, revoking a token it cannot use) it ends when that one does,
    and its errors still name the DELETE."""
    operation = "DELETE /installation/token"
    deadline = transport.deadline(operation) if deadline is None else deadline.before_end(
        0, operation)
    reply = transport.send("DELETE", "/installation/token", token, deadline)
    if reply.status == 204 or _is_dead(reply):
        return
    raise api_error(reply, operation, deadline=deadline, secrets=(token,))


class GitHubAppClient:
    """Calls GitHub as a GitHub App, authenticated by a JWT signed with its private key."""

    def __init__(
        self, issuer: int | str, private_key: str, transport: Transport | str = DEFAULT_BASE_URL
    ) -> None:
        self.transport = transport if isinstance(transport, Transport) else Transport(transport)
        self.base_url = self.transport.base_url
        self.issuer = issuer
        key = load_private_key(private_key)
        self.key_fingerprint = fingerprint(key)
        self._jwts = JwtCache(issuer, key)
        self._offset = 0.0

    def __repr__(self) -> str:
        return (
            f"GitHubAppClient(issuer={self.issuer!r}, base_url={self.base_url!r}, "
            f"key={self.key_fingerprint})"
        )

    @property
    def clock_offset(self) -> float:
        """Seconds GitHub's clock is ahead of ours, from the last answer's `Date`."""
        return self._offset

    def _app_request(
        self, method: str, path: str, deadline: Deadline, body: Mapping[str, Any] | None = None
    ) -> Reply:
        for attempt in range(2):
            jwt = self._jwts.get(clock.now() + self._offset)
            reply = self.transport.send(method, path, jwt, deadline, body)
            # A Date more than a day off ours is not GitHub's clock: sign on ours.
            if clock.believable(reply.github_offset) is not None:
                self._offset = reply.github_offset
            if reply.status != 401 or not responses.error_fields(reply.body)[0].startswith(
                _SKEW_MESSAGES
            ):
                return reply
            if attempt == 0:
                # Re-sign once on GitHub's clock (learnt from this 401's Date), as auth-app.js does.
                self._jwts.forget()
        raise errors.ClockSkewError(
            deadline.operation, 401, responses.error_fields(reply.body)[0],
            request_id=reply.headers.get("x-github-request-id"),
            hint="GitHub still rejected the JWT after re-signing on its clock (from the Date "
            "header); check this machine's clock",
        )

    def _auth_hint(self, reply: Reply) -> str | None:
        if not _from_github(reply):
            return None
        message = responses.error_fields(reply.body)[0]
        if reply.status == 401 and message.startswith(_BAD_SIGNATURE):
            return (
                f"The private key ({self.key_fingerprint}) does not belong to the GitHub App "
                "that app_id / client_id names at base_url, or was deleted from it; pass a key "
                "generated in that app's settings"
            )
        if reply.status == 401:
            return "Check app_id / client_id: it must name the GitHub App that owns the key"
        if reply.status == 404 and message == "Integration not found":
            return ("No GitHub App with this app_id / client_id at base_url; check app_id / "
                    "client_id")
        return None

    def _fail(self, reply: Reply, deadline: Deadline, hints: Mapping[int, str]) -> errors.ApiError:
        """The error for `reply`, with advice chosen by its status."""
        hint = self._auth_hint(reply) or hints.get(reply.status)
        return api_error(reply, deadline.operation, hint, deadline=deadline)

    def _installation(self, reply: Reply, deadline: Deadline) -> Installation:
        try:
            return responses.installation(reply.body)
        except responses.Malformed as err:
            raise errors.MalformedResponseError(deadline.operation, reply.status, str(err),
                                                None) from None

    def get_installation(self, installation_id: int) -> Installation:
        """One installation of this app (for a future `getInstallation` invoke)."""
        deadline = self.transport.deadline("GET /app/installations/{installation_id}")
        reply = _usable(self._app_request("GET", f"/app/installations/{installation_id}",
                                          deadline), deadline)
        if reply.status != 200:
            raise self._fail(reply, deadline, {404: _NO_INSTALLATION})
        return self._installation(reply, deadline)

    def find_installation(
        self, *, owner: str | None = None, repository: str | None = None
    ) -> Installation:
        """The app's installation on an account (org first, then user) or on `owner/name`.

        Operations are named by their path templates: a message names inputs, never values.
        """
        if repository is not None:
            path = "/repos/" + "/".join(quote(part, safe="") for part in repository.split("/", 1))
            paths = {"/repos/{repository}/installation": path + "/installation"}
            target = "the repository that repository names"
        elif owner is not None:
            login = quote(owner, safe="")
            paths = {"/orgs/{owner}/installation": f"/orgs/{login}/installation",
                     "/users/{owner}/installation": f"/users/{login}/installation"}
            target = "the account that owner names"
        else:
            raise ValueError("find_installation needs owner or repository")
        deadline = self.transport.deadline("GET")
        for template, path in paths.items():
            deadline.operation = f"GET {template}"
            reply = _usable(self._app_request("GET", path, deadline), deadline)
            if reply.status == 200:
                return self._installation(reply, deadline)
            if reply.status != 404 or self._auth_hint(reply) or not _from_github(reply):
                break
        raise self._fail(reply, deadline, {
            404: f"The app is not installed on {target}, or cannot see it; install it there or "
                 "fix the name"})

    def create_token(
        self,
        installation_id: int,
        *,
        repositories: Sequence[str] | None = None,
        repository_ids: Sequence[int] | None = None,
        permissions: Mapping[str, str] | None = None,
    ) -> AccessToken:
        """Mint an installation access token, sending only the scope fields given.

        The mint is repeated only when it provably never reached GitHub. A 201 we cannot
        use has its token revoked before MalformedResponseError is raised.
        """
        body: dict[str, Any] = {}
        if repositories is not None:
            body["repositories"] = list(repositories)
        if repository_ids is not None:
            body["repository_ids"] = list(repository_ids)
        if permissions is not None:
            body["permissions"] = dict(permissions)
        path = f"/app/installations/{installation_id}/access_tokens"
        deadline = self.transport.deadline(f"POST {_MINT}")
        # The mint stops early enough to revoke, inside the deadline, a token it cannot use.
        mint = deadline.before_end(min(_REVOKE_RESERVE, deadline.seconds / 10))
        try:
            reply = self._app_request("POST", path, mint, body or None)
        except errors.TransportError as err:
            raise _unsure_mint(err) from None
        if reply.status == 201:
            return self._token(reply, deadline)
        reply = _usable(reply, mint)
        hints = {404: _NO_INSTALLATION}
        if reply.status in (400, 422) and _from_github(reply):
            hints[reply.status] = self._refused_scope(reply, installation_id, body, deadline)
        if reply.status >= 500:
            hints[reply.status] = _MINT_FAILED.get(reply.status, _MINT_FAILED[500])
        raise self._fail(reply, mint, hints)

    def _refused_scope(
        self, reply: Reply, installation_id: int, body: Mapping[str, Any], deadline: Deadline
    ) -> str:
        """Advice for a refused mint: which permissions the installation lacks, or which scope
        field to check. Names only fields and GitHub's catalogue words, never a value."""
        message = responses.error_fields(reply.body)[0].lower()
        asked = body.get("permissions")
        if asked and "permission" in message:
            missing = self._ungranted(installation_id, asked, deadline)
            lacking = f"The installation does not grant {', '.join(missing)}" if missing else (
                "The installation does not grant every permission asked (see its settings page)")
            return (f"{lacking}: ask for no more, or add the permissions to the app and have an "
                    "owner of the account accept them")
        if "repositor" in message:
            return ("Each entry of repositories / repository_ids must name a repository this "
                    "installation can access (see its settings page)")
        sent = ", ".join(body) or "no scope"
        return (f"GitHub refused the scope asked for ({sent}); ask only for what the "
                "installation grants (see its settings page), or widen the installation")

    def _ungranted(self, installation_id: int, asked: Mapping[str, str],
                   deadline: Deadline) -> list[str]:
        """The permissions asked above what the installation grants ([] when unknown): one
        lookup, made only on this error path, within what is left of the mint's deadline."""
        lookup = deadline.before_end(0)
        lookup.operation = "GET /app/installations/{installation_id}"
        try:
            reply = self._app_request("GET", f"/app/installations/{installation_id}", lookup)
            if reply.status != 200 or not reply.complete:
                return []
            granted = responses.installation(reply.body).permissions
        except (errors.GitHubAppTokenError, responses.Malformed):
            return []
        return ungranted(asked, granted)

    def _token(self, reply: Reply, deadline: Deadline) -> AccessToken:
        try:
            if not reply.complete:
                raise responses.Malformed(reply.failure)
            return responses.access_token(reply.body, reply.github_offset, clock.now())
        except responses.Malformed as err:
            cause = str(err)
        token = responses.salvage_token(reply.body)
        revoked: bool | str = False
        if token is not None:
            try:
                revoke_token(self.transport, token, deadline)
                revoked = True
            except errors.GitHubAppTokenError as failure:
                revoked = str(failure)
        raise errors.MalformedResponseError(deadline.operation, 201, cause, revoked)


_UNSEEN_TOKEN = "a token GitHub may have minted was never received and expires within the hour"
_GATEWAY = ("GitHub's gateway kept failing, and the mint was retried while the deadline "
            f"allowed ({_UNSEEN_TOKEN}); run the command again later")
_MINT_FAILED = {
    500: ("GitHub failed after the request reached it, so the mint was not sent again "
          f"({_UNSEEN_TOKEN}); run the command again"),
    502: _GATEWAY, 503: _GATEWAY, 504: _GATEWAY,
}


def _unsure_mint(err: errors.TransportError) -> errors.TransportError:
    """A failed mint, saying whether GitHub may have minted a token we never saw."""
    if not err.sent:
        return err
    advice = (f"{err.advice or 'run the command again'} (the request may have reached GitHub, "
              f"so it was not sent again: {_UNSEEN_TOKEN})")
    if isinstance(err, errors.DeadlineError):
        return errors.DeadlineError(err.operation, err.seconds, err.cause, advice=advice)
    return errors.TransportError(err.operation, err.cause, advice=advice)
