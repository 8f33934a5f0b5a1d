"""Run one Pulumi Python program on behalf of pulumi_language_python.py (next to it).

This is the counterpart of upstream's ``pulumi-language-python-exec``, which Pulumi
ships only in its release archives and its Go module, not in the ``pulumi`` wheel.
It runs with the *program's* python (the project virtualenv), connects the SDK to
the engine and the resource monitor, and executes the program inside a stack.

    python pulumi_language_python_exec.py --monitor ADDR --engine ADDR --project P
        --stack S [--root_directory D] [--organization O] [--pwd D] [--dry_run true|false]
        [--parallel N] [--tracing URL] PROGRAM [ARGS...]

Config comes from the environment (PULUMI_CONFIG: JSON object, PULUMI_CONFIG_SECRET_KEYS:
JSON list), exactly as upstream passes it, so secret config stays secret in the SDK.
Exit codes (what the host maps them to): 0 success; 1 failure (RunResponse.error);
32 failure already reported to the user through the engine (RunResponse.bail).
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import logging
import os
import runpy
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from typing import Any

EXIT_REPORTED = 32  # upstream's "exited after showing a user-actionable message"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Execute a Pulumi Python program")
    flags = "project root_directory stack organization pwd monitor engine tracing dry_run parallel"
    for flag in flags.split():
        parser.add_argument(f"--{flag}")
    parser.add_argument("program", help="program file, or directory holding __main__.py")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    return parser.parse_args(argv)


def main_file(program: str) -> str:
    """The file that runpy executes for PROGRAM (a directory runs its __main__.py)."""
    path = os.path.abspath(program)
    return os.path.join(path, "__main__.py") if os.path.isdir(path) else path


def user_traceback(exc: BaseException, user_file: str) -> str:
    """The traceback of EXC starting at the user's program, without runner/runpy frames."""
    tb = exc.__traceback__
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != user_file:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__))


def configure(pulumi: Any, args: argparse.Namespace) -> Any:
    """Load config from the environment and point the SDK at the engine and monitor."""
    runtime = pulumi.runtime
    config = runtime.get_config_env()
    if hasattr(runtime, "set_all_config"):
        # Passing the secret keys marks those values secret inside the SDK.
        runtime.set_all_config(config, runtime.get_config_secret_keys_env())
    else:  # older SDKs: no notion of secret keys here
        for key, value in config.items():
            runtime.set_config(key, value)

    kwargs: dict[str, Any] = {
        "monitor": args.monitor,
        "engine": args.engine,
        "project": args.project,
        "stack": args.stack,
        "parallel": int(args.parallel) if args.parallel else None,
        "dry_run": args.dry_run == "true",
        "organization": args.organization,
        "root_directory": args.root_directory,
    }
    # Older SDKs lack some keyword arguments (organization, root_directory).
    accepted = inspect.signature(runtime.Settings.__init__).parameters
    settings = runtime.Settings(**{k: v for k, v in kwargs.items() if k in accepted})
    runtime.configure(settings)
    return settings


def main(argv: list[str]) -> int:
    # sys.path[0] is this script's directory; user programs must not import from it.
    if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(
        os.path.abspath(__file__)
    ):
        del sys.path[0]
    args = parse_args(argv)

    try:
        import pulumi
        import pulumi.runtime
    except ImportError:
        # Plain stderr lines reach the user as diagnostics through the engine.
        print(traceback.format_exc(), file=sys.stderr)
        print(
            f"The Pulumi SDK is not installed for {sys.executable}; install the project's"
            " requirements into its virtualenv (pip install -r requirements.txt).",
            file=sys.stderr,
        )
        return 1

    settings = configure(pulumi, args)
    sys.argv = [args.program, *args.args]
    if args.pwd:
        os.chdir(args.pwd)
    user_file = main_file(args.program)
    if not os.path.exists(user_file):
        pulumi.log.error("unable to find the main python program: Pulumi.yaml's `main`, or"
                         " __main__.py in the project directory")
        return EXIT_REPORTED

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # The SDK does its blocking RPCs in the loop's default executor: bound it by the
    # requested parallelism like upstream (4 threads per unit).
    executor = ThreadPoolExecutor(max_workers=max(settings.parallel or 1, 1) * 4)
    loop.set_default_executor(executor)
    # A failed deployment leaves parts of the output graph unresolved; asyncio would
    # complain about never-retrieved futures, which is noise to users.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)

    def run_program() -> None:
        runpy.run_path(args.program, run_name="__main__")

    exit_code = 1
    try:
        loop.run_until_complete(pulumi.runtime.run_in_stack(run_program))
        exit_code = 0
    except pulumi.RunError as exc:
        pulumi.log.error(str(exc))
    except Exception as exc:
        pulumi.log.error(
            "Program failed with an unhandled exception:\n" + user_traceback(exc, user_file)
        )
        exit_code = EXIT_REPORTED
    finally:
        executor.shutdown(wait=True)
        loop.close()
        sys.stdout.flush()
        sys.stderr.flush()
    return exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
