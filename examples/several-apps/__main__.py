"""Several installations and several apps in one stack.

One app installed on several accounts (orgs or users) gets one token per account, each found
from its `owner`. A second app, with its own id and key (say a release bot allowed to write),
gets its own token. Each InstallationToken names its app and key, so no token can be minted by
the wrong app; they renew, refresh and revoke independently.
"""

import pulumi

from github_app_token import InstallationToken

config = pulumi.Config()
base_url = config.get("baseUrl")

# The reader app: one key, one read-only token per account it is installed on.
readers = {
    owner: InstallationToken(
        f"read-{owner}",
        app_id=config.require_int("appId"),
        private_key=config.require_secret("privateKey"),
        owner=owner,
        permissions={"contents": "read"},
        base_url=base_url,
    )
    for owner in config.require_object("owners")  # e.g. ["octo-org", "octocat"]
}

# A second app with its own key: a token that may write to one repository.
release = InstallationToken(
    "release",
    app_id=config.require_int("releaseAppId"),
    private_key=config.require_secret("releasePrivateKey"),
    repository=config.require("releaseRepository"),  # owner/name
    permissions={"contents": "write"},
    base_url=base_url,
)

# A map that holds secrets is exported as a secret as a whole, so `pulumi stack output` masks it.
pulumi.export("readerTokens",
              pulumi.Output.secret({owner: token.token for owner, token in readers.items()}))
pulumi.export("readerInstallations",
              {owner: token.installation_id for owner, token in readers.items()})
pulumi.export("releaseToken", release.token)
pulumi.export("releaseInstallationId", release.installation_id)
