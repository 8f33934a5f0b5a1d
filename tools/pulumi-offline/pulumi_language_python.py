"""A minimal Pulumi language host for Python programs (``pulumi-language-python``).

Why this exists: the upstream host is a Go module required at a pseudo-version that
cannot be determined offline, so pulumi-cli.sh (next to this file) may be unable to build it.
Without it `pulumi preview/up/refresh/destroy` (and the Automation API with a
``work_dir``) fail on any ``runtime: python`` project.  This host implements the part
of the ``pulumirpc.LanguageRuntime`` gRPC service those commands use; program
execution is delegated to pulumi_language_python_exec.py (next to this file), run
with the project's python, just as upstream delegates to pulumi-language-python-exec.

The engine starts plugins as ``pulumi-language-python [--logtostderr] [-v=N]
[--tracing URL] ENGINE_ADDRESS`` (pkg plugin.buildPluginArguments /
buildArgsForNewPlugin) in the program directory, in a process group of its own.  We
print the port we serve on as the first stdout line; everything written to stdout or
stderr afterwards (including the program's output, which inherits both) is shown by
the CLI as diagnostics.  On shutdown the engine sends SIGINT to the group.

Scope: toolchain ``pip`` with an existing virtualenv (or a python from PATH when no
virtualenv is configured).  The host never creates virtualenvs, never installs
dependencies and reports no required plugins; code generation, RunPlugin, Pack,
Link, Template and debugger attachment are unimplemented.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent import futures
from importlib import metadata
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2

EXEC_SCRIPT = Path(__file__).resolve().with_name("pulumi_language_python_exec.py")
EXIT_REPORTED = 32  # the exec script already showed the error: RunResponse.bail
# Same limits as the engine's rpcutil.GrpcChannelOptions (large programs, big states).
MAX_MESSAGE = 400 * 1024 * 1024
# Go-style flags (one or two dashes) that take a value unless written as -flag=value;
# the obsolete ones are still accepted by upstream, so accept (and ignore) them too.
VALUE_FLAGS = {"tracing", "v", "virtualenv", "root", "typechecker", "toolchain", "use-executor"}

_verbose = False


def debug(message: str) -> None:
    """Log to stderr only with --logtostderr -v=N: stderr is user-visible otherwise."""
    if _verbose:
        print(f"pulumi-language-python: {message}", file=sys.stderr, flush=True)


class HostError(Exception):
    """A problem with the project's Python setup, worded for the user."""


def parse_args(argv: list[str]) -> tuple[dict[str, str], list[str]]:
    """Parse Go `flag`-style arguments: flags first, then positionals."""
    flags: dict[str, str] = {}
    rest = iter(argv)
    for arg in rest:
        if arg == "--":
            return flags, list(rest)
        if not arg.startswith("-") or arg == "-":
            return flags, [arg, *rest]
        name, has_value, value = arg.lstrip("-").partition("=")
        if not has_value and name in VALUE_FLAGS:
            value = next(rest, "")
        flags[name] = value
    return flags, []


def program_options(info: language_pb2.ProgramInfo) -> dict[str, Any]:
    """`runtime.options` of Pulumi.yaml, as sent by the engine."""
    return json_format.MessageToDict(info.options) if info.HasField("options") else {}


def python_for(info: language_pb2.ProgramInfo) -> tuple[str, dict[str, str]]:
    """The python executable for the program and the environment to run it in.

    Mirrors upstream's pip toolchain: `virtualenv` is relative to the project root;
    without one, PULUMI_PYTHON_CMD or python3/python from PATH is used.
    """
    options = program_options(info)
    toolchain = options.get("toolchain", "pip")
    if toolchain != "pip":
        raise HostError(
            "the 'toolchain' runtime option names a toolchain this minimal Python language host"
            " does not support"
            " (tools/pulumi-offline/pulumi_language_python.py);"
            " use `toolchain: pip` with a virtualenv"
        )
    env = dict(os.environ)
    command = os.environ.get("PULUMI_PYTHON_CMD", "")
    virtualenv = options.get("virtualenv")
    if virtualenv:
        if not isinstance(virtualenv, str):
            raise HostError("the 'virtualenv' runtime option must be a string")
        base = Path(info.root_directory or info.program_directory or os.getcwd())
        venv = base / virtualenv  # an absolute `virtualenv` replaces the base
        python = venv / "bin" / (command or "python")
        if not os.access(python, os.X_OK):
            raise HostError(
                "The 'virtualenv' option in Pulumi.yaml does not name a virtual environment"
                " (it has no bin/python). Create it and install the project's requirements,"
                " e.g. `python3 -m venv VIRTUALENV && VIRTUALENV/bin/pip install -r"
                " requirements.txt`; this language host does not create virtual environments."
            )
        # What activating the virtualenv does (upstream's ActivateVirtualEnv).
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = os.pathsep.join(filter(None, [str(venv / "bin"), env.get("PATH")]))
        env.pop("PYTHONHOME", None)
        return str(python), env
    for candidate in [command] if command else ["python3", "python"]:
        found = shutil.which(candidate)
        if found:
            return found, env
    tried = "PULUMI_PYTHON_CMD" if command else "python3, python"
    raise HostError(f"no python found on PATH (tried {tried})")


def run_python(
    info: language_pb2.ProgramInfo, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    python, env = python_for(info)
    return subprocess.run(
        [python, *args],
        cwd=info.program_directory or None,
        env=env,
        capture_output=True,
        text=True,
        check=check,
    )


class LanguageHost(language_pb2_grpc.LanguageRuntimeServicer):
    """The LanguageRuntime RPCs the CLI uses for preview/up/refresh/destroy/about."""

    def __init__(self, engine_address: str) -> None:
        self.engine_address = engine_address
        self.children: set[subprocess.Popen[bytes]] = set()
        self.lock = threading.Lock()

    def Handshake(  # gRPC method names are CamelCase
        self, request: language_pb2.LanguageHandshakeRequest, context: grpc.ServicerContext
    ) -> language_pb2.LanguageHandshakeResponse:
        # Only sent when the engine attaches to an already running host.
        if request.engine_address:
            self.engine_address = request.engine_address
        return language_pb2.LanguageHandshakeResponse()

    def GetPluginInfo(
        self, request: empty_pb2.Empty, context: grpc.ServicerContext
    ) -> plugin_pb2.PluginInfo:
        try:
            version = metadata.version("pulumi")
        except metadata.PackageNotFoundError:
            version = ""
        return plugin_pb2.PluginInfo(version=version)

    def GetRequiredPlugins(
        self, request: language_pb2.GetRequiredPluginsRequest, context: grpc.ServicerContext
    ) -> language_pb2.GetRequiredPluginsResponse:
        return language_pb2.GetRequiredPluginsResponse()

    def GetRequiredPackages(
        self, request: language_pb2.GetRequiredPackagesRequest, context: grpc.ServicerContext
    ) -> language_pb2.GetRequiredPackagesResponse:
        # Upstream derives plugins from installed pulumi-* packages; we report none (the
        # engine still loads providers on demand).  Fail early on a broken virtualenv,
        # as upstream does here.
        try:
            python_for(request.info)
        except HostError as err:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(err))
        return language_pb2.GetRequiredPackagesResponse()

    def Run(
        self, request: language_pb2.RunRequest, context: grpc.ServicerContext
    ) -> language_pb2.RunResponse:
        if request.attach_debugger:
            return language_pb2.RunResponse(
                error="attaching a debugger is not supported by this minimal language host"
            )
        info = request.info
        try:
            python, env = python_for(info)
        except HostError as err:
            return language_pb2.RunResponse(error=str(err))
        # Config (secret values included, in plain text) travels via the environment
        # exactly as upstream passes it; never log it.
        env["PULUMI_CONFIG"] = json.dumps(dict(request.config))
        env["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(list(request.configSecretKeys))

        args = [python, "-u", str(EXEC_SCRIPT)]
        for flag, value in (
            ("monitor", request.monitor_address),
            ("engine", self.engine_address),
            ("project", request.project),
            ("root_directory", info.root_directory),
            ("stack", request.stack),
            ("pwd", request.pwd),
            ("dry_run", "true" if request.dryRun else "false"),
            ("parallel", str(request.parallel)),
            ("organization", request.organization),
        ):
            if value:
                args += [f"--{flag}", value]
        args.append(info.entry_point or request.program or ".")
        args += request.args
        cwd = request.pwd or info.program_directory or None
        debug(f"running {' '.join(args)} in {cwd or os.getcwd()}")

        # stdout/stderr are inherited: the engine shows them, as with upstream.
        try:
            child = subprocess.Popen(args, cwd=cwd, env=env)
        except OSError as err:
            return language_pb2.RunResponse(
                error=f"problem executing program (could not run {python}): {err}"
            )
        with self.lock:
            self.children.add(child)
        try:
            code = child.wait()
        finally:
            with self.lock:
                self.children.discard(child)
        debug(f"program exited with {code}")
        if code == 0:
            return language_pb2.RunResponse()
        if code == EXIT_REPORTED:
            return language_pb2.RunResponse(bail=True)
        if code < 0:
            return language_pb2.RunResponse(
                error=f"program exited unexpectedly: killed by signal {-code}"
            )
        return language_pb2.RunResponse(error=f"program exited with non-zero exit code: {code}")

    def InstallDependencies(
        self, request: language_pb2.InstallDependenciesRequest, context: grpc.ServicerContext
    ) -> Iterator[language_pb2.InstallDependenciesResponse]:
        try:
            python, _ = python_for(request.info)
        except HostError as err:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(err))
        yield language_pb2.InstallDependenciesResponse(
            stdout=f"Using {python} and its installed packages as is (this minimal"
            " language host does not install dependencies).\n".encode()
        )

    def RuntimeOptionsPrompts(
        self, request: language_pb2.RuntimeOptionsRequest, context: grpc.ServicerContext
    ) -> language_pb2.RuntimeOptionsResponse:
        return language_pb2.RuntimeOptionsResponse()

    def About(
        self, request: language_pb2.AboutRequest, context: grpc.ServicerContext
    ) -> language_pb2.AboutResponse:
        try:
            python, _ = python_for(request.info)
            out = run_python(request.info, "--version").stdout
        except (HostError, OSError, subprocess.CalledProcessError) as err:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(err))
        return language_pb2.AboutResponse(
            executable=python, version=out.strip().removeprefix("Python ")
        )

    def GetProgramDependencies(
        self,
        request: language_pb2.GetProgramDependenciesRequest,
        context: grpc.ServicerContext,
    ) -> language_pb2.GetProgramDependenciesResponse:
        # Like upstream's pip toolchain: `pip list`, top-level packages unless transitive.
        args = ["-m", "pip", "list", "--format", "json", "--disable-pip-version-check"]
        if not request.transitiveDependencies:
            args.append("--not-required")
        try:
            packages = json.loads(run_python(request.info, *args).stdout)
        except (HostError, OSError, ValueError, subprocess.CalledProcessError) as err:
            detail = getattr(err, "stderr", "") or str(err)
            context.abort(grpc.StatusCode.UNKNOWN, f"failed to get python dependencies: {detail}")
        return language_pb2.GetProgramDependenciesResponse(
            dependencies=[
                language_pb2.DependencyInfo(name=p["name"], version=p["version"]) for p in packages
            ]
        )

    def stop_children(self) -> None:
        with self.lock:
            for child in self.children:
                if child.poll() is None:
                    child.terminate()


def main(argv: list[str]) -> int:
    global _verbose
    flags, positional = parse_args(argv)
    _verbose = "logtostderr" in flags and flags.get("v", "0").isdigit() and int(flags["v"]) > 0
    engine_address = positional[0] if positional else ""

    host = LanguageHost(engine_address)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8),
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE),
            ("grpc.max_send_message_length", MAX_MESSAGE),
        ],
    )
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(host, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)  # the engine reads this first line as our port

    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    parent = os.getppid()
    # Upstream exits when the engine stops answering health checks; watching for the
    # CLI (our parent) going away serves the same purpose without a health client.
    while not stopping.wait(1.0):
        if os.getppid() != parent:
            break
    debug("shutting down")
    host.stop_children()
    server.stop(grace=1).wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
