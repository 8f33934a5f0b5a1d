"""Inputs left out, read from the environment: the same variables for every face."""

from __future__ import annotations

import pytest

from github_app_token import environment
from github_app_token.declaration import INPUTS
from github_app_token.errors import ConfigError
from github_app_token.keys import MAX_PEM

from .support.secrets import assert_no_secret, new_rsa_pem

PEM = new_rsa_pem()
ALL = {spec.name: None for spec in INPUTS}


def test_explicit_inputs_beat_the_environment() -> None:
    env = {"GITHUB_APP_ID": "1", "GITHUB_APP_INSTALLATION_ID": "2",
           "GITHUB_APP_PRIVATE_KEY": "env-key", "GITHUB_BASE_URL": "https://env"}
    mine = {**ALL, "client_id": "Iv1.x", "owner": "o", "private_key": "k",
            "base_url": "https://mine"}
    given = environment.fill(mine, env)
    assert (given["app_id"], given["installation_id"], given["private_key"],
            given["base_url"]) == (None, None, "k", "https://mine")
    filled = environment.fill(ALL, env)
    assert (filled["app_id"], filled["installation_id"], filled["private_key"],
            filled["base_url"]) == ("1", "2", "env-key", "https://env")


def test_only_the_inputs_a_face_asks_for_are_filled() -> None:
    env = {"GITHUB_APP_ID": "1", "GITHUB_APP_INSTALLATION_ID": "2"}
    assert environment.fill({"app_id": None}, env) == {"app_id": "1"}


def test_every_declared_environment_variable_is_read() -> None:
    env = {var: f"from-{var}" for spec in INPUTS for var in spec.env if not var.endswith("_FILE")}
    filled = environment.fill(ALL, env)
    for spec in INPUTS:
        plain = [var for var in spec.env if not var.endswith("_FILE")]
        assert filled[spec.name] == (f"from-{plain[0]}" if plain else None)


def test_an_issuer_or_selector_blocks_the_environment_for_its_role() -> None:
    env = {"GITHUB_APP_ID": "1", "GITHUB_APP_INSTALLATION_ID": "2"}
    filled = environment.fill({**ALL, "client_id": "Iv1.x", "repository": "o/r"}, env)
    assert filled["app_id"] is None and filled["installation_id"] is None


def test_pem_file_names_a_file(tmp_path) -> None:
    path = tmp_path / "k.pem"
    path.write_text(PEM)
    filled = environment.fill(ALL, {"GITHUB_APP_PEM_FILE": f" {path}\n",
                                    "GITHUB_APP_PRIVATE_KEY": "text"})
    assert filled["private_key"] == PEM


@pytest.mark.parametrize("text", [PEM, PEM.replace("\n", "\\n"), PEM.replace("\n", " ")],
                         ids=["pem", "escaped", "flattened"])
def test_pem_file_holding_the_key_itself_is_the_key(text: str) -> None:
    # integrations/github and pulumi-github read GITHUB_APP_PEM_FILE as the key's contents.
    assert environment.fill(ALL, {"GITHUB_APP_PEM_FILE": text})["private_key"] == text


@pytest.mark.parametrize("value", ["/nonexistent.pem", PEM.split("-----", 3)[2][:600], "a\0b"],
                         ids=["missing", "key-body-without-header", "nul"])
def test_an_unreadable_pem_file_names_the_variable_never_its_value(value: str) -> None:
    with pytest.raises(ConfigError) as info:
        environment.fill(ALL, {"GITHUB_APP_PEM_FILE": value})
    assert info.value.property == "private_key"
    message = str(info.value)
    assert "GITHUB_APP_PEM_FILE" in message and "path" in message
    assert value not in message and value not in repr(info.value.args)
    assert_no_secret(message, PEM)


def test_pem_file_reads_are_bounded_and_clean(tmp_path) -> None:
    zeros = environment.fill(ALL, {"GITHUB_APP_PEM_FILE": "/dev/zero"})
    assert len(zeros["private_key"]) == MAX_PEM + 1  # then refused by check, by size
    binary = tmp_path / "k.der"
    binary.write_bytes(b"\xff\xfe\x00" * 10)
    with pytest.raises(ConfigError, match="not UTF-8"):
        environment.fill(ALL, {"GITHUB_APP_PEM_FILE": str(binary)})
