"""JSON builders for GitHub's `simple-user`, `repository`, `installation` and `integration`.

Every required field of the spec schema is filled so 2xx bodies validate; shapes follow the
recorded exchanges (e.g. Installation.testGetRepos; docs/github-behaviour.md §6). API URLs
point at the emulator itself so clients that follow `access_tokens_url` and friends stay on
loopback.
"""

from __future__ import annotations

from typing import Any

from .clock import iso8601
from .model import Account, App, Installation, Repository, legacy_node_id

WEB = "https://github.com"


def user(account: Account, base_url: str) -> dict[str, Any]:
    u = f"{base_url}/users/{account.login}"
    return {
        "login": account.login,
        "id": account.id,
        "node_id": legacy_node_id(account.type, account.id),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{account.id}?v=4",
        "gravatar_id": "",
        "url": u,
        "html_url": f"{WEB}/{account.login}",
        "followers_url": f"{u}/followers",
        "following_url": f"{u}/following{{/other_user}}",
        "gists_url": f"{u}/gists{{/gist_id}}",
        "starred_url": f"{u}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{u}/subscriptions",
        "organizations_url": f"{u}/orgs",
        "repos_url": f"{u}/repos",
        "events_url": f"{u}/events{{/privacy}}",
        "received_events_url": f"{u}/received_events",
        "type": account.type,
        "user_view_type": "public",
        "site_admin": False,
    }


# Templated repository URLs: (field, suffix) appended to the repository's API URL.
_REPO_LINKS = (
    ("forks_url", "/forks"),
    ("keys_url", "/keys{/key_id}"),
    ("collaborators_url", "/collaborators{/collaborator}"),
    ("teams_url", "/teams"),
    ("hooks_url", "/hooks"),
    ("issue_events_url", "/issues/events{/number}"),
    ("events_url", "/events"),
    ("assignees_url", "/assignees{/user}"),
    ("branches_url", "/branches{/branch}"),
    ("tags_url", "/tags"),
    ("blobs_url", "/git/blobs{/sha}"),
    ("git_tags_url", "/git/tags{/sha}"),
    ("git_refs_url", "/git/refs{/sha}"),
    ("trees_url", "/git/trees{/sha}"),
    ("statuses_url", "/statuses/{sha}"),
    ("languages_url", "/languages"),
    ("stargazers_url", "/stargazers"),
    ("contributors_url", "/contributors"),
    ("subscribers_url", "/subscribers"),
    ("subscription_url", "/subscription"),
    ("commits_url", "/commits{/sha}"),
    ("git_commits_url", "/git/commits{/sha}"),
    ("comments_url", "/comments{/number}"),
    ("issue_comment_url", "/issues/comments{/number}"),
    ("contents_url", "/contents/{+path}"),
    ("compare_url", "/compare/{base}...{head}"),
    ("merges_url", "/merges"),
    ("archive_url", "/{archive_format}{/ref}"),
    ("downloads_url", "/downloads"),
    ("issues_url", "/issues{/number}"),
    ("pulls_url", "/pulls{/number}"),
    ("milestones_url", "/milestones{/number}"),
    ("notifications_url", "/notifications{?since,all,participating}"),
    ("labels_url", "/labels{/name}"),
    ("releases_url", "/releases{/id}"),
    ("deployments_url", "/deployments"),
)


def repository(repo: Repository, base_url: str) -> dict[str, Any]:
    full_name = f"{repo.owner.login}/{repo.name}"
    url = f"{base_url}/repos/{full_name}"
    stamp = iso8601(repo.created_at)
    obj: dict[str, Any] = {
        "id": repo.id,
        "node_id": legacy_node_id("Repository", repo.id),
        "name": repo.name,
        "full_name": full_name,
        "private": repo.private,
        "owner": user(repo.owner, base_url),
        "html_url": f"{WEB}/{full_name}",
        "description": None,
        "fork": False,
        "url": url,
    }
    obj.update({name: url + suffix for name, suffix in _REPO_LINKS})
    obj.update(
        {
            "created_at": stamp,
            "updated_at": stamp,
            "pushed_at": stamp,
            "git_url": f"git://github.com/{full_name}.git",
            "ssh_url": f"git@github.com:{full_name}.git",
            "clone_url": f"{WEB}/{full_name}.git",
            "svn_url": f"{WEB}/{full_name}",
            "homepage": None,
            "size": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "language": None,
            "has_issues": True,
            "has_projects": True,
            "has_downloads": True,
            "has_wiki": False,
            "has_pages": False,
            "has_discussions": False,
            "forks_count": 0,
            "mirror_url": None,
            "archived": False,
            "disabled": False,
            "open_issues_count": 0,
            "license": None,
            "allow_forking": True,
            "is_template": False,
            "web_commit_signoff_required": False,
            "topics": [],
            "visibility": "private" if repo.private else "public",
            "forks": 0,
            "open_issues": 0,
            "watchers": 0,
            "default_branch": "main",
            # As recorded for an installation token: it holds no user-level repository role.
            "permissions": {
                "admin": False,
                "maintain": False,
                "push": False,
                "triage": False,
                "pull": False,
            },
        }
    )
    return obj


def installation(inst: Installation, app: App, base_url: str) -> dict[str, Any]:
    account = inst.account
    if account.type == "Organization":
        html_url = f"{WEB}/organizations/{account.login}/settings/installations/{inst.id}"
    else:
        html_url = f"{WEB}/settings/installations/{inst.id}"
    return {
        "id": inst.id,
        "client_id": app.client_id,
        "account": user(account, base_url),
        "repository_selection": inst.repository_selection,
        "access_tokens_url": f"{base_url}/app/installations/{inst.id}/access_tokens",
        "repositories_url": f"{base_url}/installation/repositories",
        "html_url": html_url,
        "app_id": app.id,
        "app_slug": app.slug,
        "target_id": account.id,
        "target_type": account.type,
        "permissions": dict(inst.permissions),
        "events": list(inst.events),
        "created_at": iso8601(inst.created_at),
        "updated_at": iso8601(inst.updated_at),
        "single_file_name": None,
        "has_multiple_single_files": False,
        "single_file_paths": [],
        "suspended_by": user(inst.suspended_by, base_url) if inst.suspended_by else None,
        "suspended_at": iso8601(inst.suspended_at) if inst.suspended_at is not None else None,
    }


def integration(app: App, base_url: str, installations_count: int) -> dict[str, Any]:
    return {
        "id": app.id,
        "slug": app.slug,
        "node_id": legacy_node_id("App", app.id),
        "client_id": app.client_id,
        "owner": user(app.owner, base_url),
        "name": app.name,
        "description": "GitHub App served by the local installation-token emulator.",
        "external_url": "https://example.com",
        "html_url": f"{WEB}/apps/{app.slug}",
        "created_at": iso8601(app.created_at),
        "updated_at": iso8601(app.created_at),
        "permissions": dict(app.permissions),
        "events": list(app.events),
        # §6: only present when the app asks about itself, which is the only case here.
        "installations_count": installations_count,
    }
