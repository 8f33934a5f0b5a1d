"""The root stack: one InstallationToken configured from stack config.

    pulumi config set appId 123            # or clientId Iv23li...
    pulumi config set --secret privateKey "$(cat app.pem)"
    pulumi config set installationId 456   # or owner octo-org, or repository octo-org/infra
    pulumi config set --path 'permissions.contents' read
    pulumi config set --path 'repositories[0]' infra
    pulumi config set baseUrl https://ghe.example.com/api/v3   # GitHub Enterprise Server only
"""

import pulumi

from github_app_token import InstallationToken

config = pulumi.Config()

token = InstallationToken(
    "token",
    app_id=config.get_int("appId"),
    client_id=config.get("clientId"),
    private_key=config.get_secret("privateKey"),
    installation_id=config.get_int("installationId"),
    owner=config.get("owner"),
    repository=config.get("repository"),
    repositories=config.get_object("repositories"),
    permissions=config.get_object("permissions"),
    base_url=config.get("baseUrl"),
    renew_before=config.get_int("renewBefore"),
)

pulumi.export("token", token.token)
pulumi.export("expiresAt", token.expires_at)
pulumi.export("installationId", token.installation_id)
