"""Terraform's values <-> plain Python (values.py), and errors -> diagnostics (diagnostics.py)."""

from __future__ import annotations

import asyncio
import logging

import msgpack
import pytest

from github_app_token.errors import AuthError, ConfigError, RevokeError
from github_app_token.terraform import diagnostics
from github_app_token.terraform import tfplugin6_pb2 as pb
from github_app_token.terraform.values import UNKNOWN, cty_type, decode, encode


def test_every_attribute_is_sent_and_unknown_is_extension_0() -> None:
    sent = encode({"a": 1, "b": UNKNOWN, "c": ("x",)}, ("a", "b", "c", "d"))
    assert sent.msgpack == msgpack.packb({"a": 1, "b": msgpack.ExtType(0, b"\x00"),
                                          "c": ["x"], "d": None})
    assert decode(sent) == {"a": 1, "b": UNKNOWN, "c": ["x"], "d": None}


@pytest.mark.parametrize("code", [0, 12])
def test_unknown_and_refined_unknown_decode_alike(code: int) -> None:
    raw = msgpack.packb({"a": msgpack.ExtType(code, b"\x00\x01")})
    assert decode(pb.DynamicValue(msgpack=raw)) == {"a": UNKNOWN}


def test_null_json_and_absent_values() -> None:
    assert decode(encode(None, ("a",))) is None
    assert decode(pb.DynamicValue()) is None and decode(None) is None
    assert decode(pb.DynamicValue(json=b'{"a": [1]}')) == {"a": [1]}


def test_cty_types_come_from_the_declaration_fragments() -> None:
    assert cty_type({"type": "integer"}) == b'"number"'
    assert cty_type({"type": "array", "items": {"type": "string"}}) == b'["list","string"]'
    assert cty_type({"type": "object", "additionalProperties": {"type": "string"}}) == (
        b'["map","string"]')


def test_errors_become_one_diagnostic_each() -> None:
    found = diagnostics.from_error(ConfigError("repository_ids[2]", "repeats"),
                                   {"repository_ids": [1, 2, 1]})
    assert found.summary == "Invalid repository_ids"
    assert [s.attribute_name or s.element_key_int for s in found.attribute.steps] == [
        "repository_ids", 2]
    unseen = diagnostics.from_error(ConfigError("private_key", "is not PEM"))
    assert not unseen.HasField("attribute")
    assert diagnostics.from_error(AuthError("create", 401, "bad")).summary.startswith(
        "GitHub rejected")
    assert "could not revoke" in diagnostics.from_error(RevokeError(1, "t", "gone")).detail


def test_warnings_logged_during_an_rpc_become_warning_diagnostics() -> None:
    async def rpc() -> list[pb.Diagnostic]:
        with diagnostics.capture() as warned:
            # In a worker thread, as the server runs the core.
            await asyncio.to_thread(logging.getLogger("github_app_token.client").warning,
                                    "GitHub's clock is %d s ahead", 42)
            logging.getLogger("github_app_token").info("not a warning")
        return warned

    (found,) = asyncio.run(rpc())
    assert found.severity == pb.Diagnostic.WARNING
    assert found.detail == "GitHub's clock is 42 s ahead"
    logging.getLogger("github_app_token").warning("outside any RPC: stderr only")
