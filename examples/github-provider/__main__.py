"""pulumi-github managed with an installation token instead of a personal access token.

The token is scoped to what the github resources need (here: labels of one repository), and
`pulumi up` renews it before it expires: the new token is minted, the provider is updated with
it, and only then is the old one revoked. pulumi-github's own `app_auth` mints a token once and
fails after an hour (integrations/terraform-provider-github#977).
"""

import pulumi
import pulumi_github as github

from github_app_token import InstallationToken

config = pulumi.Config()
repository = config.require("repository")  # owner/name
owner, name = repository.split("/", 1)

token = InstallationToken(
    "labels",
    app_id=config.require_int("appId"),
    private_key=config.require_secret("privateKey"),
    repository=repository,
    repositories=[name],
    permissions={"issues": "write", "metadata": "read"},
)

gh = github.Provider("app", owner=owner, token=token.token)

label = github.IssueLabel(
    "triage",
    repository=name,
    name="triage",
    color="d73a4a",
    description="Needs a first look",
    opts=pulumi.ResourceOptions(provider=gh),
)

pulumi.export("label", label.name)
pulumi.export("tokenExpiresAt", token.expires_at)
