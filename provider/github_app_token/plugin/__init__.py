"""The provider plugin face: `pulumi-resource-github-app-token`, a real Pulumi provider.

It serves `github-app-token:index:InstallationToken` and `github-app-token:index:getInstallation`
to programs in every Pulumi language, over the same core as the dynamic resource.
"""

from __future__ import annotations

import sys


def main() -> None:
    """The plugin executable: serve the provider over gRPC and print the port, as Pulumi asks;
    `--version` prints the version."""
    from ..version import __version__
    from .diagnostics import forward_warnings
    from .provider import InstallationTokenPlugin
    from .server import serve

    forward_warnings(sys.argv)
    serve(sys.argv, __version__, InstallationTokenPlugin())
