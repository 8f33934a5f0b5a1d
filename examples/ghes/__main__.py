"""GitHub Enterprise Server: the REST API lives under https://HOST/api/v3."""

import pulumi

from github_app_token import InstallationToken

config = pulumi.Config()

token = InstallationToken(
    "ghes-token",
    app_id=config.require_int("appId"),
    private_key=config.require_secret("privateKey"),
    installation_id=config.require_int("installationId"),
    base_url=config.require("baseUrl"),  # e.g. https://github.example.com/api/v3
    permissions={"contents": "read"},
)

pulumi.export("token", token.token)
pulumi.export("expiresAt", token.expires_at)
