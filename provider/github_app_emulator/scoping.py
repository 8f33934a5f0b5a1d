"""The body of POST /app/installations/{id}/access_tokens: parsing (400) and scoping (422)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from . import permissions as perms
from .errors import (
    DOCS_CREATE_TOKEN,
    MSG_PARSE_JSON,
    MSG_PERMISSIONS_NOT_GRANTED,
    MSG_REPOSITORY_NOT_ACCESSIBLE,
    ApiError,
)
from .model import Installation, Repository
from .wire import parse_json

# "Up to 500 repositories can be listed in this manner" (the spec; docs/github-behaviour.md §1).
MAX_REPOSITORIES = 500


@dataclass(frozen=True)
class TokenRequest:
    permissions: dict[str, str] | None
    repositories: list[str] | None
    repository_ids: list[int] | None

    @property
    def scoped(self) -> bool:
        return bool(self.repositories) or bool(self.repository_ids)


@dataclass(frozen=True)
class Scope:
    permissions: dict[str, str]
    repository_ids: tuple[int, ...] | None
    repository_selection: Literal["all", "selected"]


def _bad_json() -> ApiError:
    # docs/github-behaviour.md §1: both unparsable bodies and wrong types get this 400.
    return ApiError(400, MSG_PARSE_JSON, DOCS_CREATE_TOKEN)


def _string_list(value: Any) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad_json()
    return value


def _int_list(value: Any) -> list[int] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise _bad_json()
    return value


def parse(body: bytes) -> TokenRequest:
    """Parse the optional body (spec `requestBody.required: false`).

    `null` members count as omitted (our leniency; GitHub's answer to them is unknown).
    """
    if not body.strip():
        return TokenRequest(None, None, None)
    try:
        data = parse_json(body)  # also refuses nesting too deep to parse
    except ValueError as exc:
        raise _bad_json() from exc
    if not isinstance(data, dict):
        raise _bad_json()
    permissions = data.get("permissions")
    if permissions is not None and (
        not isinstance(permissions, dict)
        or not all(isinstance(v, str) for v in permissions.values())
    ):
        raise _bad_json()
    return TokenRequest(
        permissions=permissions,
        repositories=_string_list(data.get("repositories")),
        repository_ids=_int_list(data.get("repository_ids")),
    )


def _too_many(field: str, count: int) -> ApiError:
    # Inference: GitHub documents the 500 limit but its error text was never found
    # (docs/github-behaviour.md §1). This follows the spec's `validation-error` shape.
    return ApiError(
        422,
        "Validation Failed",
        DOCS_CREATE_TOKEN,
        extra={
            "errors": [
                {
                    "resource": "InstallationAccessToken",
                    "field": field,
                    "code": "custom",
                    "message": f"{field} may list at most {MAX_REPOSITORIES} repositories "
                    f"({count} given).",
                }
            ]
        },
    )


def resolve(
    request: TokenRequest, installation: Installation, reachable: list[Repository]
) -> Scope:
    """What the token may do, or the 422 GitHub answers for an over-reaching request."""
    for field, values in (
        ("repositories", request.repositories),
        ("repository_ids", request.repository_ids),
    ):
        if values is not None and len(values) > MAX_REPOSITORIES:
            raise _too_many(field, len(values))

    granted = installation.permissions
    if request.permissions:  # `{}` means "everything granted", as in the recorded 201s (§2)
        if not all(perms.covers(granted, n, lvl) for n, lvl in request.permissions.items()):
            raise ApiError(422, MSG_PERMISSIONS_NOT_GRANTED, DOCS_CREATE_TOKEN)
        permissions = dict(request.permissions)
    else:
        permissions = dict(granted)

    if not request.scoped:
        return Scope(permissions, None, installation.repository_selection)

    by_name = {repo.name.lower(): repo.id for repo in reachable}  # names compare case-insensitively
    ids: set[int] = set()
    for name in request.repositories or []:
        if name.lower() not in by_name:
            raise ApiError(422, MSG_REPOSITORY_NOT_ACCESSIBLE, DOCS_CREATE_TOKEN)
        ids.add(by_name[name.lower()])
    for repo_id in request.repository_ids or []:
        if repo_id not in by_name.values():
            raise ApiError(422, MSG_REPOSITORY_NOT_ACCESSIBLE, DOCS_CREATE_TOKEN)
        ids.add(repo_id)
    # Inference: a token narrowed to named repositories reports "selected" even on an
    # installation with access to all repositories.
    return Scope(permissions, tuple(sorted(ids)), "selected")
