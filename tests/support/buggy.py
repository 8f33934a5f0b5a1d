"""A bug in each face, for the tests that prove a real bug keeps its traceback while our errors
read as their message.

`BuggyToken` is a dynamic resource whose provider (an InstallationTokenProvider, pickled by
reference like a user's) fails unexpectedly in create; `plugin_main` runs the plugin with a
core whose mint fails unexpectedly. Both need the repository on the provider's sys.path.
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CreateResult, Resource

from github_app_token import InstallationTokenProvider

BUG = "a simulated bug"


class BuggyTokenProvider(InstallationTokenProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        raise ZeroDivisionError(BUG)


class BuggyToken(Resource, module="e2e", name="BuggyToken"):
    def __init__(self, name: str, props: dict[str, Any]) -> None:
        super().__init__(BuggyTokenProvider(), name, props)


def plugin_main() -> None:
    """`pulumi-resource-github-app-token`, with a bug where a token is minted."""
    from github_app_token import lifecycle
    from github_app_token.plugin import main

    def mint(_spec: Any) -> Any:
        raise ZeroDivisionError(BUG)

    lifecycle.mint = mint
    main()


if __name__ == "__main__":
    plugin_main()
