"""The key given once per stack (`github-app-token:privateKey`) instead of per resource."""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import Config, ConfigureRequest

from github_app_token.provider import CONFIG_KEY, InstallationTokenProvider

from .support.secrets import assert_no_secret, new_rsa_pem


def configured(pem: str | None) -> InstallationTokenProvider:
    provider = InstallationTokenProvider()
    raw = {} if pem is None else {CONFIG_KEY: pem}
    provider.configure(ConfigureRequest(Config(raw, "project")))
    return provider


def keyless(gh) -> dict[str, Any]:
    return {"app_id": float(gh.app_id), "installation_id": float(gh.installation_id),
            "base_url": gh.base_url}


def test_the_stack_key_mints_and_never_enters_inputs_or_outputs(gh) -> None:
    provider = configured(gh.private_key_pem)
    checked = provider.check({}, keyless(gh))
    assert checked.failures == []
    assert "private_key" not in checked.inputs
    created = provider.create(dict(checked.inputs))
    assert gh.token_state(created.outs["token"]) == "live"
    assert "private_key" not in created.outs
    assert_no_secret(repr(checked.inputs) + repr(created.outs), gh.private_key_pem)


def test_a_rotated_stack_key_is_an_in_place_update(gh) -> None:
    provider = configured(gh.private_key_pem)
    inputs = provider.check({}, keyless(gh)).inputs
    outs = provider.create(dict(inputs)).outs
    assert provider.diff("id", outs, inputs).changes is False
    rotated = configured(gh.add_key())
    diff = rotated.diff("id", outs, inputs)
    assert diff.changes is True and diff.replaces == []
    updated = rotated.update("id", outs, inputs).outs
    assert updated["key_fingerprint"] != outs["key_fingerprint"]
    assert updated["token"] == outs["token"]


def test_a_key_input_wins_over_the_stack_key(gh) -> None:
    provider = configured(new_rsa_pem())
    props = {**keyless(gh), "private_key": gh.private_key_pem}
    checked = provider.check({}, props)
    assert checked.inputs["private_key"] == gh.private_key_pem
    assert gh.token_state(provider.create(dict(checked.inputs)).outs["token"]) == "live"


def test_without_either_key_check_names_both_ways(gh) -> None:
    [failure] = configured(None).check({}, keyless(gh)).failures
    assert failure.property == "private_key"
    assert "github-app-token:privateKey" in failure.reason
