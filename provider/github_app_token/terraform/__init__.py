"""The Terraform/OpenTofu face: `terraform-provider-githubapp`, a plugin-protocol-6 provider.

A fourth face beside the dynamic resource and the Pulumi plugin, over the same core. It
imports nothing of Pulumi; the server (server.py) loads the kinds and the core only when an
RPC needs them, so each of the many processes OpenTofu starts reaches its handshake quickly.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    """The executable: `--version`, or serve OpenTofu/Terraform over the plugin handshake."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--version"]:
        from ..version import __version__

        print(f"terraform-provider-githubapp {__version__}")
        return
    from .server import serve

    sys.exit(serve())
