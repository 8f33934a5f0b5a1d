"""Where our credential goes: netrc, proxies, CAs, redirects and the deadline's setting."""

from __future__ import annotations

import pytest
import requests

from github_app_token import deadline
from github_app_token.client import GitHubAppClient, revoke_token, token_is_live
from github_app_token.errors import ConfigError, TransportError
from github_app_token.retry import policy
from github_app_token.transport import Transport, is_loopback, origin

from .support.net import Recorder, Relay, self_signed_tls
from .support.secrets import assert_no_secret

FAST = policy(backoff_factor=0.02)
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def client(gh, base_url: str | None = None) -> GitHubAppClient:
    return GitHubAppClient(gh.app_id, gh.private_key_pem,
                           Transport(base_url or gh.base_url, retry=FAST, timeout=10))


def test_netrc_never_replaces_our_credential(gh, tmp_path, monkeypatch) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password not-ours\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    # The file is live: plain requests swaps a Bearer header for its Basic credentials.
    plain = requests.Session().prepare_request(
        requests.Request("GET", gh.base_url, headers={"Authorization": "Bearer x"}))
    assert plain.headers["Authorization"].startswith("Basic ")

    token = client(gh).create_token(gh.installation_id).token
    api = Transport(gh.base_url, retry=FAST, timeout=10)
    assert token_is_live(api, token)
    revoke_token(api, token)
    assert gh.token_state(token) == "revoked"
    assert [r.auth for r in gh.requests] == ["jwt", "token", "token"]


def test_proxy_variables_never_see_a_loopback_request(gh, monkeypatch) -> None:
    proxy = Recorder()
    try:
        for name in PROXY_VARS:
            monkeypatch.setenv(name, proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        # The variables are live: plain requests goes through the proxy for loopback too.
        with pytest.raises(requests.RequestException):
            requests.get(gh.base_url + "/", timeout=2)
        assert len(proxy.received) == 1
        token = client(gh).create_token(gh.installation_id).token
        assert token_is_live(Transport(gh.base_url, retry=FAST, timeout=10), token)
    finally:
        proxy.close()
    assert len(proxy.received) == 1, "nothing of ours reached the proxy"


def test_proxies_are_honoured_off_loopback(monkeypatch) -> None:
    proxy = Recorder()
    try:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        api = Transport("https://github.example.invalid/api/v3", retry=policy(retries=0),
                        timeout=3)
        with pytest.raises(TransportError):
            token_is_live(api, "not-a-real-token")
    finally:
        proxy.close()
    assert proxy.received and proxy.received[0].startswith(
        b"CONNECT github.example.invalid:443 "), proxy.received
    assert b"not-a-real-token" not in b"".join(proxy.received), "TLS is tunnelled, not opened"


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"])
def test_custom_ca_bundles_are_honoured(gh, tmp_path, monkeypatch, variable: str) -> None:
    context, ca = self_signed_tls(tmp_path)
    port = int(gh.base_url.rsplit(":", 1)[1].split("/")[0])
    relay = Relay(port, tls=context)
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)
    try:
        https = gh.base_url.replace(f"http://127.0.0.1:{port}", f"https://127.0.0.1:{relay.port}")
        with pytest.raises(TransportError, match="TLS certificate is not trusted"):
            client(gh, https).get_installation(gh.installation_id)
        monkeypatch.setenv(variable, str(ca))
        token = client(gh, https).create_token(gh.installation_id)
    finally:
        relay.close()
    assert gh.token_state(token.token) == "live"


def test_plain_http_is_refused_off_loopback() -> None:
    with pytest.raises(ConfigError, match=r"base_url: must use https for http://example\.com"):
        Transport("http://example.com/api/v3")
    Transport("http://localhost:1/api/v3")
    Transport("http://[::1]:1")


def test_loopback_and_origin() -> None:
    assert is_loopback("127.0.0.2") and is_loopback("[::1]") and is_loopback("LOCALHOST")
    assert not is_loopback("example.com") and not is_loopback("10.0.0.1")
    secret = "hunter" + "2"
    assert origin(f"https://user:{secret}@evil.example:8443/x?y#z") == "https://evil.example:8443"
    assert_no_secret(origin(f"https://user:{secret}@evil.example/p"), secret)


@pytest.mark.parametrize("value", ["abc", "0", "-5", "nan", "inf", "1e9", "9" * 40, "3601"])
def test_a_bad_timeout_setting_is_a_clear_error(monkeypatch, value: str) -> None:
    monkeypatch.setenv(deadline.ENV, value)
    with pytest.raises(ConfigError) as info:
        Transport("http://127.0.0.1:1").deadline("GET /x")
    assert str(info.value).startswith("GITHUB_APP_TOKEN_TIMEOUT: must be a number of seconds")


def test_a_bad_timeout_setting_is_never_quoted(monkeypatch) -> None:
    pasted = "ghs_" + "pastedIntoTheWrongVariable0123456789"
    monkeypatch.setenv(deadline.ENV, pasted)
    with pytest.raises(ConfigError) as info:
        Transport("http://127.0.0.1:1").deadline("GET /x")
    assert_no_secret(str(info.value), pasted, pasted[:32])


def test_the_timeout_setting_is_read_per_operation(monkeypatch) -> None:
    api = Transport("http://127.0.0.1:1")
    monkeypatch.delenv(deadline.ENV, raising=False)
    assert api.deadline("GET /x").seconds == 120
    monkeypatch.setenv(deadline.ENV, " 7.5 ")
    assert api.deadline("GET /x").seconds == 7.5
    assert Transport("http://127.0.0.1:1", timeout=3).deadline("GET /x").seconds == 3
