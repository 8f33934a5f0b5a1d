"""Find the installation from an org or user login instead of hard-coding its id."""

import pulumi

from github_app_token import InstallationToken

config = pulumi.Config()

token = InstallationToken(
    "org-token",
    app_id=config.require_int("appId"),
    private_key=config.require_secret("privateKey"),
    owner=config.require("owner"),  # tries GET /orgs/{owner}/installation, then /users/...
    base_url=config.get("baseUrl"),
    permissions={"metadata": "read", "issues": "write"},
)

pulumi.export("token", token.token)
pulumi.export("installationId", token.installation_id)
pulumi.export("expiresAt", token.expires_at)
