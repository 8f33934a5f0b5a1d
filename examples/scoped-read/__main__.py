"""A token limited to one repository, with read-only contents."""

import pulumi

from github_app_token import InstallationToken

config = pulumi.Config()
repository = config.require("repository")  # e.g. "infra" (name only, no owner)

token = InstallationToken(
    "infra-read",
    app_id=config.require_int("appId"),
    private_key=config.require_secret("privateKey"),
    installation_id=config.require_int("installationId"),
    base_url=config.get("baseUrl"),
    repositories=[repository],
    permissions={"contents": "read"},
)

pulumi.export("token", token.token)
pulumi.export("expiresAt", token.expires_at)
pulumi.export("grantedRepositories", token.granted_repositories)
pulumi.export("grantedPermissions", token.granted_permissions)
