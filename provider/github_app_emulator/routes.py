"""GitHub's REST endpoints for app installations and their tokens (spec: 8 operations).

§N below: sections of docs/github-behaviour.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl, unquote, urlencode

from . import objects, scoping
from .clock import iso8601
from .errors import (
    DOCS_CREATE_TOKEN,
    DOCS_GET_INSTALLATION,
    DOCS_GET_REPO_INSTALLATION,
    DOCS_GET_USER_INSTALLATION,
    MSG_BAD_CREDENTIALS,
    MSG_JWT_UNDECODABLE,
    MSG_REQUIRES_AUTH,
    MSG_SUSPENDED,
    ApiError,
    not_found,
    unauthorized,
)
from .model import Installation
from .state import Auth, State
from .wire import Response, etag, parse_id

# Recorded on the 201 of POST access_tokens (Installation.testGetRepos) and on token GETs.
CACHE_PUBLIC = "public, max-age=60, s-maxage=60"
CACHE_PRIVATE = "private, max-age=60, s-maxage=60"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str
    body: bytes
    headers: Mapping[str, str]
    base_url: str  # the emulator's own, for URLs inside bodies and Link headers


Handler = Callable[[State, Auth, Request, dict[str, str]], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    auth: Literal["jwt", "token"]
    handler: Handler


def _ok(request: Request, body: object) -> Response:
    tag = etag(body, weak=True)
    if tag in request.headers.get("If-None-Match", ""):
        return Response(304, None, {"ETag": tag, "Cache-Control": CACHE_PRIVATE})
    return Response(200, body, {"ETag": tag, "Cache-Control": CACHE_PRIVATE})


def _own_installation(state: State, auth: Auth, params: dict[str, str], docs: str) -> Installation:
    """An installation of the authenticated app; another app's installation is a plain 404."""
    assert auth.app is not None
    number = parse_id(params["installation_id"])
    inst = state.installations.get(number) if number is not None else None
    if inst is None or inst.app_id != auth.app.id:
        raise not_found(docs)
    return inst


def get_app(state: State, auth: Auth, request: Request, params: dict[str, str]) -> Response:
    assert auth.app is not None
    count = sum(1 for inst in state.installations.values() if inst.app_id == auth.app.id)
    return _ok(request, objects.integration(auth.app, request.base_url, count))


def get_installation(
    state: State, auth: Auth, request: Request, params: dict[str, str]
) -> Response:
    inst = _own_installation(state, auth, params, DOCS_GET_INSTALLATION)
    return _ok(request, objects.installation(inst, state.apps[inst.app_id], request.base_url))


def create_token(state: State, auth: Auth, request: Request, params: dict[str, str]) -> Response:
    wanted = scoping.parse(request.body)  # 400 first: the body is parsed before any lookup
    # §1: the recorded 404 for an unknown installation carries this documentation_url.
    inst = _own_installation(state, auth, params, DOCS_GET_REPO_INSTALLATION)
    if inst.suspended_at is not None:
        raise ApiError(403, MSG_SUSPENDED, DOCS_CREATE_TOKEN, extra={"status": "403"})
    scope = scoping.resolve(wanted, inst, state.reachable_repos(inst))
    token = state.mint(inst, scope)
    body: dict[str, object] = {
        "token": token.value,
        "expires_at": iso8601(token.expires_at),
        "permissions": dict(token.permissions),
        "repository_selection": token.repository_selection,
    }
    if wanted.scoped:  # §2: unscoped 201s carry no `repositories` key at all
        body["repositories"] = [
            objects.repository(r, request.base_url) for r in state.token_repos(token)
        ]
    headers = {"Cache-Control": CACHE_PUBLIC, "ETag": etag(body, weak=False)}
    return Response(201, body, headers, token_id=token.id)


def get_org_installation(
    state: State, auth: Auth, request: Request, params: dict[str, str]
) -> Response:
    assert auth.app is not None
    inst = state.installation_of(auth.app.id, params["org"])
    if inst is None or inst.account.type != "Organization":
        # §6: recorded 404 (testGetInstallationNotFound), with this documentation_url.
        raise not_found(DOCS_GET_REPO_INSTALLATION)
    return _ok(request, objects.installation(inst, auth.app, request.base_url))


def get_user_installation(
    state: State, auth: Auth, request: Request, params: dict[str, str]
) -> Response:
    assert auth.app is not None
    inst = state.installation_of(auth.app.id, params["username"])  # organisations are users too
    if inst is None:
        raise not_found(DOCS_GET_USER_INSTALLATION)
    return _ok(request, objects.installation(inst, auth.app, request.base_url))


def get_repo_installation(
    state: State, auth: Auth, request: Request, params: dict[str, str]
) -> Response:
    assert auth.app is not None
    inst = state.installation_of(auth.app.id, params["owner"])
    name = params["repo"].lower()
    if inst is None or not any(r.name.lower() == name for r in state.reachable_repos(inst)):
        raise not_found(DOCS_GET_REPO_INSTALLATION)
    return _ok(request, objects.installation(inst, auth.app, request.base_url))


def revoke_token(state: State, auth: Auth, request: Request, params: dict[str, str]) -> Response:
    assert auth.token is not None
    state.revoke(auth.token)
    return Response(204)  # §3: 204 with an empty body


def _page_params(query: str) -> tuple[list[tuple[str, str]], int, int]:
    pairs = parse_qsl(query, keep_blank_values=True)
    values = dict(pairs)

    def number(name: str, default: int) -> int:
        number = parse_id(values.get(name, ""))
        return number if number else default

    # GitHub: per_page defaults to 30 and is capped at 100; junk falls back to the defaults.
    return pairs, min(number("per_page", 30), 100), number("page", 1)


def _link(request: Request, pairs: list[tuple[str, str]], page: int, last: int) -> str | None:
    if last <= 1 and page <= 1:
        return None

    def url(target: int) -> str:
        kept = [(k, v) for k, v in pairs if k != "page"] + [("page", str(target))]
        return f"{request.base_url}{request.path}?{urlencode(kept)}"

    links = []
    if page > 1:
        links.append(f'<{url(min(page - 1, last))}>; rel="prev"')
    if page < last:
        links += [f'<{url(page + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
    if page > 1:
        links.append(f'<{url(1)}>; rel="first"')
    return ", ".join(links)


def list_repositories(
    state: State, auth: Auth, request: Request, params: dict[str, str]
) -> Response:
    assert auth.token is not None
    repos = state.token_repos(auth.token)
    pairs, per_page, page = _page_params(request.query)
    last = max(1, -(-len(repos) // per_page))
    chunk = repos[(page - 1) * per_page : page * per_page]
    body = {
        "total_count": len(repos),
        "repository_selection": auth.token.repository_selection,
        "repositories": [objects.repository(r, request.base_url) for r in chunk],
    }
    response = _ok(request, body)
    link = _link(request, pairs, page, last)
    if link:
        response.headers["Link"] = link
    return response


def _route(method: str, template: str, auth: Literal["jwt", "token"], handler: Handler) -> Route:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return Route(method, re.compile(f"^{regex}$"), auth, handler)


ROUTES = (
    _route("GET", "/app", "jwt", get_app),
    _route("GET", "/app/installations/{installation_id}", "jwt", get_installation),
    _route("POST", "/app/installations/{installation_id}/access_tokens", "jwt", create_token),
    _route("GET", "/orgs/{org}/installation", "jwt", get_org_installation),
    _route("GET", "/users/{username}/installation", "jwt", get_user_installation),
    _route("GET", "/repos/{owner}/{repo}/installation", "jwt", get_repo_installation),
    _route("DELETE", "/installation/token", "token", revoke_token),
    _route("GET", "/installation/repositories", "token", list_repositories),
)


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for route in ROUTES:
        found = route.pattern.match(path)
        if found and route.method == method:
            return route, {k: unquote(v) for k, v in found.groupdict().items()}
    return None


def dispatch(state: State, auth: Auth, request: Request) -> Response:
    """Route, check credentials, run the handler; every failure becomes GitHub's error body.

    The caller holds `state.lock` (see state.py)."""
    matched = match(request.method, request.path)
    if matched is None:
        return Response.from_error(not_found())  # unknown route or method: GitHub says 404
    route, params = matched
    if auth.kind == "none":
        return Response.from_error(unauthorized(MSG_REQUIRES_AUTH))
    if auth.error is not None:
        return Response.from_error(auth.error)
    if auth.kind != route.auth:
        # An installation token on an app route gets the JWT decoding error (seen in
        # urcomputeringpal/kubevalidator#48); a JWT on a token route: our inference.
        message = MSG_JWT_UNDECODABLE if route.auth == "jwt" else MSG_BAD_CREDENTIALS
        return Response.from_error(unauthorized(message))
    try:
        return route.handler(state, auth, request, params)
    except ApiError as error:
        return Response.from_error(error)
