"""The committed `*_pb2.py` are exactly what our own `.proto` files generate (and no upstream
protocol file is committed: ours hold only the messages and fields the provider uses)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ..support.paths import REPO

TOOL = REPO / "tools" / "opentofu" / "protos.py"


def test_generated_modules_match_the_protos(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("protos", TOOL)
    assert spec and spec.loader
    protos = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(protos)
    for fresh in protos.generate(tmp_path):
        committed = protos.ROOM / fresh.name
        assert fresh.read_text() == committed.read_text(), (
            f"{committed.name} is stale: run .venv/bin/python tools/opentofu/protos.py")


def test_only_our_own_protos_are_committed() -> None:
    room = REPO / "provider" / "github_app_token" / "terraform"
    assert sorted(p.name for p in room.glob("*.proto")) == ["goplugin.proto", "tfplugin6.proto"]
    for proto in room.glob("*.proto"):
        assert "Written for this project" in proto.read_text()
