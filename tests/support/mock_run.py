"""Run a Pulumi Python program under Pulumi's mocks and print what it registered, as JSON.

    python tests/support/mock_run.py PROGRAM_DIR PROJECT CONFIG_JSON

For examples whose other providers (pulumi-github) cannot run here: the program runs as
written, against Pulumi's mock monitor. Each registration is printed as
`{"type", "name", "provider", "inputs"}`, with secrets left in Pulumi's wire form
(`{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": ...}`).
An InstallationToken's outputs are made up: `token` is `MOCK_TOKEN`.
"""

from __future__ import annotations

import asyncio
import json
import runpy
import sys
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime.mocks import MockMonitor

MOCK_TOKEN = "mock-installation-token"
TOKEN_TYPE = "pulumi-python:dynamic/github:InstallationToken"


class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        outputs = dict(args.inputs)
        if args.typ == TOKEN_TYPE:
            outputs.update(token=MOCK_TOKEN, expires_at="2030-01-01T00:00:00Z",
                           installation_id=456)
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        return {}


class Recorder(MockMonitor):
    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self.registered: list[dict[str, Any]] = []

    def RegisterResource(self, request: Any) -> Any:
        self.registered.append({
            "type": request.type, "name": request.name, "provider": request.provider,
            "inputs": json_format.MessageToDict(request.object)})
        return super().RegisterResource(request)


def main(program: Path, project: str, config: dict[str, str]) -> None:
    asyncio.set_event_loop(asyncio.new_event_loop())
    recorder = Recorder(Mocks())
    pulumi.runtime.set_mocks(Mocks(), project=project, stack="dev", preview=False,
                             monitor=recorder)
    pulumi.runtime.set_all_config({f"{project}:{k}": v for k, v in config.items()})

    @pulumi.runtime.test
    def run() -> pulumi.Output[Any]:
        scope = runpy.run_path(str(program / "__main__.py"), run_name="__main__")
        resources = [v for v in scope.values() if isinstance(v, pulumi.Resource)]
        return pulumi.Output.all(*(r.urn for r in resources))

    run()
    print(json.dumps(recorder.registered))


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3]))
