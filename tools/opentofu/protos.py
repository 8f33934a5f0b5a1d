#!/usr/bin/env python3
"""Generate the Terraform face's `*_pb2.py` from its own `.proto` files.

Usage: `.venv/bin/python tools/opentofu/protos.py [OUT_DIR]` (default: beside the protos).
Needs `grpcio-tools` (a test extra), pinned so that its output runs on the protobuf 6.x that
pulumi allows; tests/terraform/test_protos.py regenerates into a temporary folder and compares.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOM = Path(__file__).resolve().parents[2] / "provider" / "github_app_token" / "terraform"
PROTOS = ("tfplugin6.proto", "goplugin.proto")


def generate(out: Path = ROOM) -> list[Path]:
    """Run protoc (from grpcio-tools) on PROTOS; returns the files written."""
    from grpc_tools import protoc

    out.mkdir(parents=True, exist_ok=True)
    status = protoc.main(["protoc", f"-I{ROOM}", f"--python_out={out}",
                          *(str(ROOM / name) for name in PROTOS)])
    if status != 0:
        raise SystemExit(f"protoc failed with status {status}")
    return [out / name.replace(".proto", "_pb2.py") for name in PROTOS]


if __name__ == "__main__":
    for path in generate(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOM):
        print(path)
