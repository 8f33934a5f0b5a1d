"""The provider's registry: one client per app, key and API root; one transport per root."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from github_app_token import registry
from github_app_token.errors import ConfigError
from github_app_token.registry import Registry

from .support.secrets import assert_no_secret, new_rsa_pem

PEM = new_rsa_pem()
OTHER = new_rsa_pem()
URL = "http://127.0.0.1:1"


def test_one_client_per_issuer_key_and_base_url() -> None:
    shared = Registry()
    client = shared.client_for(123, PEM, URL)
    assert shared.client_for("123", PEM, URL + "/") is client
    assert shared.client_for(124, PEM, URL) is not client
    assert shared.client_for(123, OTHER, URL) is not client
    assert shared.client_for(123, PEM, "http://127.0.0.1:2") is not client
    assert shared.client_for(124, OTHER, URL).transport is client.transport
    assert_no_secret(repr(shared) + repr(client), PEM)


def test_threads_get_the_same_client() -> None:
    shared = Registry()
    with ThreadPoolExecutor(16) as pool:
        clients = set(pool.map(lambda _: id(shared.client_for(1, PEM, URL)), range(64)))
    assert len(clients) == 1


def test_a_bad_key_or_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="private_key"):
        Registry().client_for(1, "not a key", URL)
    with pytest.raises(ConfigError, match="base_url"):
        Registry().transport_for("http://example.com")


def test_the_process_registry_is_the_one_the_module_functions_use() -> None:
    client = registry.client_for(9, PEM, URL)
    assert registry.default.client_for(9, PEM, URL) is client
    assert registry.transport_for(URL) is client.transport
