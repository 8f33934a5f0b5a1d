"""A token limited to one repository, with read-only contents.

`repository` is `owner/name`, as everywhere in this project: the installation is the one
that holds that repository, and the token is limited to it.
"""

import pulumi

from github_app_token import InstallationToken

config = pulumi.Config()
repository = config.require("repository")  # e.g. "octo-org/infra"

token = InstallationToken(
    "infra-read",
    app_id=config.require_int("appId"),
    private_key=config.require_secret("privateKey"),
    repository=repository,  # GET /repos/{owner}/{name}/installation
    base_url=config.get("baseUrl"),
    repositories=[repository.partition("/")[2]],  # names within the installation's owner
    permissions={"contents": "read"},
)

pulumi.export("token", token.token)
pulumi.export("expiresAt", token.expires_at)
pulumi.export("installationId", token.installation_id)
pulumi.export("grantedRepositories", token.granted_repositories)
pulumi.export("grantedPermissions", token.granted_permissions)
