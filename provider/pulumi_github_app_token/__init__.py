"""Nothing to import: this package only carries `pulumi-plugin.json` for Pulumi's Python host.

The host takes an installed distribution named `pulumi-<x>` for the SDK of a provider plugin
`<x>`, and reads `pulumi-plugin.json` from the import package the distribution's name gives
(`pulumi_github_app_token` here) to learn which plugin it needs. This distribution needs
none: the dynamic resource (`github_app_token`) runs in Pulumi's own dynamic provider, and
the plugin `pulumi-resource-github-app-token` ships in it. Without the file, every Python
stack would try to download a plugin `github-app-token` that is never published there.
Programs that use the plugin through its generated SDK get the plugin from that SDK's own
`pulumi-plugin.json` (distribution `pulumi-github-app-token-sdk`). See docs/install.md.
"""
