"""The fallback Python language host, driven over gRPC as the engine drives it.

The host (tools/pulumi-offline/pulumi_language_python.py) runs as its own process, as the
CLI starts it; a small in-process engine and resource monitor record what the program
sent. No CLI is involved, so these tests say which part broke when the e2e tests fail.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import (
    engine_pb2,
    engine_pb2_grpc,
    language_pb2,
    language_pb2_grpc,
    resource_pb2,
    resource_pb2_grpc,
)

from .support.paths import REPO

HOST = REPO / "tools" / "pulumi-offline" / "pulumi_language_python.py"
SECRET_SIG = "4dabf18193072939515e22adb298388d"
RPC_TIMEOUT = 60


@dataclass
class FakeEngine(engine_pb2_grpc.EngineServicer, resource_pb2_grpc.ResourceMonitorServicer):
    """The engine and resource monitor, reduced to recording what a program sends."""

    logs: list[engine_pb2.LogRequest] = field(default_factory=list)
    resources: list[resource_pb2.RegisterResourceRequest] = field(default_factory=list)
    outputs: dict[str, dict] = field(default_factory=dict)
    root: str = ""

    def Log(self, request, context):  # gRPC method names are CamelCase
        self.logs.append(request)
        return empty_pb2.Empty()

    def GetRootResource(self, request, context):
        return engine_pb2.GetRootResourceResponse(urn=self.root)

    def SetRootResource(self, request, context):
        self.root = request.urn
        return engine_pb2.SetRootResourceResponse()

    def GetDeploymentInfo(self, request, context):
        return resource_pb2.DeploymentInfo(
            supportedFeatures=[resource_pb2.RESOURCE_MONITOR_FEATURE_SECRETS])

    def SignalAndWaitForShutdown(self, request, context):
        return empty_pb2.Empty()

    def RegisterResource(self, request, context):
        self.resources.append(request)
        urn = self.urn(request)
        return resource_pb2.RegisterResourceResponse(urn=urn, id="id-1", object=request.object)

    def RegisterResourceOutputs(self, request, context):
        self.outputs[request.urn] = json_format.MessageToDict(request.outputs)
        return empty_pb2.Empty()

    @staticmethod
    def urn(request: resource_pb2.RegisterResourceRequest) -> str:
        return f"urn:pulumi:dev::proj::{request.type}::{request.name}"

    def messages(self) -> str:
        return "\n".join(log.message for log in self.logs)

    def stack_outputs(self) -> dict:
        [stack] = [r for r in self.resources if r.type == "pulumi:pulumi:Stack"]
        return self.outputs[self.urn(stack)]


@pytest.fixture
def engine() -> Iterator[tuple[FakeEngine, str]]:
    fake = FakeEngine()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    engine_pb2_grpc.add_EngineServicer_to_server(fake, server)
    resource_pb2_grpc.add_ResourceMonitorServicer_to_server(fake, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield fake, f"127.0.0.1:{port}"
    server.stop(grace=None)


@dataclass
class Host:
    process: subprocess.Popen[bytes]
    stub: language_pb2_grpc.LanguageRuntimeStub
    output: Path

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)  # what the engine sends on shutdown
        return self.process.wait(timeout=15)


def start_host(tmp_path: Path, *args: str) -> Host:
    """Start the host as the CLI does and connect to the port it prints first."""
    output = tmp_path / "host.out"
    with output.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-u", str(HOST), *args], cwd=tmp_path,
                                   stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while b"\n" not in output.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the host printed no port: {output.read_text()}")
        time.sleep(0.05)
    port = int(output.read_bytes().split(b"\n", 1)[0])
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    return Host(process, language_pb2_grpc.LanguageRuntimeStub(channel), output)


@pytest.fixture
def host(engine, tmp_path: Path) -> Iterator[Host]:
    started = start_host(tmp_path, "--logtostderr", "-v=0", engine[1])
    yield started
    if started.process.poll() is None:
        started.process.kill()
        started.process.wait()


def program_info(root: Path, **options: object) -> language_pb2.ProgramInfo:
    """What the engine sends for a Pulumi.yaml with these `runtime.options`."""
    struct = struct_pb2.Struct()
    struct.update(options)
    return language_pb2.ProgramInfo(root_directory=str(root), program_directory=str(root),
                                    entry_point=".", options=struct)


def this_venv(root: Path) -> language_pb2.ProgramInfo:
    return program_info(root, toolchain="pip", virtualenv=sys.prefix)


def write_program(root: Path, body: str) -> None:
    (root / "__main__.py").write_text(textwrap.dedent(body))


def run(host: Host, engine: tuple[FakeEngine, str], root: Path, **extra) -> (
    language_pb2.RunResponse
):
    request = language_pb2.RunRequest(
        project="proj", stack="dev", pwd=str(root), program=".", monitor_address=engine[1],
        info=this_venv(root), parallel=4, **extra)
    return host.stub.Run(request, timeout=RPC_TIMEOUT)


def test_plugin_info_is_the_sdk_version(host: Host) -> None:
    info = host.stub.GetPluginInfo(empty_pb2.Empty(), timeout=RPC_TIMEOUT)
    assert info.version == metadata.version("pulumi")


def test_requires_no_plugins(host: Host, tmp_path: Path) -> None:
    request = language_pb2.GetRequiredPluginsRequest(project="proj", info=this_venv(tmp_path))
    assert not host.stub.GetRequiredPlugins(request, timeout=RPC_TIMEOUT).plugins
    request = language_pb2.GetRequiredPackagesRequest(info=this_venv(tmp_path))
    assert not host.stub.GetRequiredPackages(request, timeout=RPC_TIMEOUT).packages


def test_missing_virtualenv_says_what_to_do(host: Host, tmp_path: Path) -> None:
    request = language_pb2.GetRequiredPackagesRequest(
        info=program_info(tmp_path, virtualenv="venv"))
    with pytest.raises(grpc.RpcError) as caught:
        host.stub.GetRequiredPackages(request, timeout=RPC_TIMEOUT)
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "does not name a virtual environment" in caught.value.details()
    assert "python3 -m venv" in caught.value.details()
    assert str(tmp_path) not in caught.value.details(), "a message names, never quotes"


def test_install_dependencies_uses_the_virtualenv_as_is(host: Host, tmp_path: Path) -> None:
    request = language_pb2.InstallDependenciesRequest(directory=str(tmp_path),
                                                      info=this_venv(tmp_path))
    replies = list(host.stub.InstallDependencies(request, timeout=RPC_TIMEOUT))
    stdout = b"".join(reply.stdout for reply in replies).decode()
    assert f"Using {Path(sys.prefix) / 'bin' / 'python'} and its installed packages" in stdout


def test_about_and_dependencies_describe_the_program_python(host: Host, tmp_path: Path) -> None:
    about = host.stub.About(language_pb2.AboutRequest(info=this_venv(tmp_path)),
                            timeout=RPC_TIMEOUT)
    assert about.executable == str(Path(sys.prefix) / "bin" / "python")
    assert about.version == ".".join(map(str, sys.version_info[:3]))
    request = language_pb2.GetProgramDependenciesRequest(info=this_venv(tmp_path),
                                                         transitiveDependencies=True)
    deps = host.stub.GetProgramDependencies(request, timeout=RPC_TIMEOUT).dependencies
    assert {(d.name, d.version) for d in deps} >= {("pulumi", metadata.version("pulumi"))}


def test_other_toolchains_are_refused_by_name(host: Host, engine, tmp_path: Path) -> None:
    write_program(tmp_path, "raise SystemExit('must not run')\n")
    request = language_pb2.RunRequest(project="proj", stack="dev", pwd=str(tmp_path),
                                      monitor_address=engine[1],
                                      info=program_info(tmp_path, toolchain="poetry"))
    reply = host.stub.Run(request, timeout=RPC_TIMEOUT)
    assert "'toolchain' runtime option names a toolchain" in reply.error
    assert "poetry" not in reply.error
    assert not engine[0].resources


def test_run_passes_config_secrets_and_stack(host: Host, engine, tmp_path: Path) -> None:
    write_program(tmp_path, """\
        import os, sys
        import pulumi
        config = pulumi.Config()
        pulumi.export("greeting", config.require("name"))
        pulumi.export("key", config.require_secret("key"))
        where = [pulumi.get_project(), pulumi.get_stack(), os.getcwd(), sys.argv[1:]]
        pulumi.export("where", where)
        print("said hello")
    """)
    reply = run(host, engine, tmp_path, config={"proj:name": "world", "proj:key": "s3cr3t"},
                configSecretKeys=["proj:key"], args=["extra"])
    fake = engine[0]
    assert (reply.error, reply.bail) == ("", False), host.output.read_text()
    outputs = fake.stack_outputs()
    assert outputs["greeting"] == "world"
    assert outputs["key"][SECRET_SIG] == "1b47061264138c4ac30d75fd1eb44270"  # still a secret
    assert outputs["where"] == ["proj", "dev", str(tmp_path), ["extra"]]
    assert "said hello" in host.output.read_text()  # the engine shows the host's output


def test_unhandled_exception_is_reported_once_from_the_user_frame(
    host: Host, engine, tmp_path: Path
) -> None:
    write_program(tmp_path, """\
        def broken():
            raise ValueError("the program broke")
        broken()
    """)
    reply = run(host, engine, tmp_path)
    assert reply.bail and not reply.error  # the engine shows the logged error, nothing more
    messages = engine[0].messages()
    assert "Program failed with an unhandled exception" in messages
    assert "ValueError: the program broke" in messages
    assert str(tmp_path / "__main__.py") in messages
    assert "runpy" not in messages


def test_run_error_and_exit_codes_become_errors(host: Host, engine, tmp_path: Path) -> None:
    write_program(tmp_path, "import pulumi\nraise pulumi.RunError('bad input for x')\n")
    reply = run(host, engine, tmp_path)
    assert reply.error == "program exited with non-zero exit code: 1"
    assert "bad input for x" in engine[0].messages()
    write_program(tmp_path, "import os\nos._exit(7)\n")
    assert run(host, engine, tmp_path).error == "program exited with non-zero exit code: 7"


def test_missing_program_is_reported(host: Host, engine, tmp_path: Path) -> None:
    reply = run(host, engine, tmp_path)
    assert reply.bail
    assert "unable to find the main python program: Pulumi.yaml's `main`" in (
        engine[0].messages())
    assert str(tmp_path) not in engine[0].messages(), "a message names, never quotes"


def test_handshake_sets_the_engine(engine, tmp_path: Path) -> None:
    started = start_host(tmp_path)  # attached: no engine address on the command line
    try:
        started.stub.Handshake(language_pb2.LanguageHandshakeRequest(engine_address=engine[1]),
                               timeout=RPC_TIMEOUT)
        write_program(tmp_path, "import pulumi\npulumi.log.info('via the engine')\n")
        assert not run(started, engine, tmp_path).error
        assert "via the engine" in engine[0].messages()
    finally:
        assert started.stop() == 0


def test_sigint_stops_the_host_and_its_program(host: Host, engine, tmp_path: Path) -> None:
    marker = tmp_path / "started"
    write_program(tmp_path, f"""\
        import pathlib, time
        pathlib.Path({str(marker)!r}).write_text(str(__import__("os").getpid()))
        time.sleep(120)
    """)
    replies: list[language_pb2.RunResponse] = []
    thread = threading.Thread(target=lambda: replies.append(run(host, engine, tmp_path)),
                              daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    pid = int(marker.read_text())
    assert host.stop() == 0
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid), "the program outlived its host"
    thread.join(timeout=10)
    assert replies[0].error == "program exited unexpectedly: killed by signal 15"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited; only its parent (gone with the host) could reap it.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z"))


def test_go_style_arguments(tmp_path: Path) -> None:
    """The engine's argument forms (--tracing URL, -v=N, obsolete flags) are accepted."""
    started = start_host(tmp_path, "--tracing", "http://127.0.0.1:1", "-v", "3",
                         "--virtualenv=ignored", "127.0.0.1:1")
    try:
        info = started.stub.GetPluginInfo(empty_pb2.Empty(), timeout=RPC_TIMEOUT)
        assert info.version == metadata.version("pulumi")
    finally:
        assert started.stop() == 0
