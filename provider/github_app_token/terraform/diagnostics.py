"""Our error tree as Terraform diagnostics: a summary, a detail and the attribute concerned.

This is the one place where a failure becomes what `tofu` prints. Our errors' messages never
quote a value; the attribute path is left out when the failing value looks like a key, JWT or
token, because OpenTofu prints the configuration line an attribute path points at. Anything
that is not ours is reported by type only (its text might hold a value), with the stack on
stderr, which OpenTofu forwards into TF_LOG.

WARNING records that the core logs (logger `github_app_token`) during an RPC become warning
diagnostics of that RPC: `capture()` collects them.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from ..errors import (
    ApiError,
    AuthError,
    ConfigError,
    ForbiddenError,
    GitHubAppTokenError,
    MalformedResponseError,
    NotFoundError,
    RateLimitError,
    RevokeError,
    TransportError,
    ValidationError,
)
from ..secret_shape import HIDDEN, secret_shaped
from . import tfplugin6_pb2 as pb

Diagnostic = pb.Diagnostic
_SUMMARIES: tuple[tuple[type[GitHubAppTokenError], str], ...] = (
    (AuthError, "GitHub rejected the app's credentials"),
    (RateLimitError, "GitHub's rate limit"),
    (ForbiddenError, "GitHub refused the request"),
    (NotFoundError, "Not found on GitHub"),
    (ValidationError, "GitHub refused the requested scope"),
    (ApiError, "GitHub answered with an error"),
    (TransportError, "GitHub could not be reached"),
    (MalformedResponseError, "GitHub's answer could not be used"),
    (RevokeError, "The token could not be revoked"),
)
_INDEX = re.compile(r"\[(\d+)\]")
def path(prop: str) -> pb.AttributePath:
    """`repository_ids[3]` as Terraform's attribute path."""
    head, _, rest = prop.partition("[")
    steps = [pb.AttributePath.Step(attribute_name=head)]
    steps += [pb.AttributePath.Step(element_key_int=int(index))
              for index in _INDEX.findall("[" + rest)]
    return pb.AttributePath(steps=steps)


def error(summary: str, detail: str, prop: str | None = None) -> Diagnostic:
    found = Diagnostic(severity=Diagnostic.ERROR, summary=summary, detail=detail)
    if prop:
        found.attribute.CopyFrom(path(prop))
    return found


def warning(summary: str, detail: str) -> Diagnostic:
    return Diagnostic(severity=Diagnostic.WARNING, summary=summary, detail=detail)


def problem(prop: str, reason: str, value: Any) -> Diagnostic:
    """A configuration problem from the core's checks, pointing at its attribute unless
    `value` (the attribute's) looks secret: OpenTofu prints the line an attribute path names."""
    head = prop.split("[")[0]
    if secret_shaped(value):
        return error(f"Invalid {head}", f"{prop}: {reason} ({HIDDEN})")
    return error(f"Invalid {head}", f"{prop}: {reason}", prop)


def from_error(err: GitHubAppTokenError, config: Mapping[str, Any] | None = None) -> Diagnostic:
    """One diagnostic for any error of our tree; `config` holds the values a ConfigError's
    attribute path would point at."""
    if isinstance(err, ConfigError):
        head = err.property.split("[")[0]
        if config is None or config.get(head) is None:  # not written there: no path
            return error(f"Invalid {head}", str(err))
        return problem(err.property, err.reason, config[head])
    summary = next((text for kind, text in _SUMMARIES if isinstance(err, kind)),
                   "GitHub App token error")
    return error(summary, str(err))


def unexpected(err: BaseException, rpc: str) -> Diagnostic:
    """A bug of ours: named by type only; its stack (without the message) goes to stderr."""
    stack = "".join(traceback.format_tb(err.__traceback__))
    print(f"terraform-provider-githubapp: {rpc} raised {type(err).__name__}\n{stack}",
          file=sys.stderr, flush=True)
    return error("Internal error in terraform-provider-githubapp",
                 f"{rpc} failed with {type(err).__name__}; run with TF_LOG=debug for the "
                 "provider's stack, and report it")


# ---- warnings the core logs --------------------------------------------------------------

_SINK: contextvars.ContextVar[list[logging.LogRecord] | None] = contextvars.ContextVar(
    "githubapp_warnings", default=None)


class _Collector(logging.Handler):
    """Hands each record to the RPC that is running (worker threads copy the context)."""

    def emit(self, record: logging.LogRecord) -> None:
        sink = _SINK.get()
        if sink is not None:
            sink.append(record)


def install_collector(logger: str = "github_app_token") -> None:
    """Collect WARNING records of `logger` (once); everything logged also goes to stderr."""
    target = logging.getLogger(logger)
    if any(isinstance(h, _Collector) for h in target.handlers):
        return
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    target.addHandler(_Collector(logging.WARNING))


@contextmanager
def capture() -> Iterator[list[Diagnostic]]:
    """Within the block, warnings logged (in this task or its threads) become diagnostics,
    appended to the yielded list when the block ends."""
    install_collector()
    records: list[logging.LogRecord] = []
    token = _SINK.set(records)
    found: list[Diagnostic] = []
    try:
        yield found
    finally:
        _SINK.reset(token)
        found.extend(warning("githubapp", record.getMessage()) for record in records
                     if record.levelno >= logging.WARNING)
