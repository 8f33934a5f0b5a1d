"""One deadline, end to end: a hostile peer at each phase of a call, against a 3 s deadline.

Name resolution, connect, a proxy's CONNECT, the TLS handshake, the status line, the headers
and the body: whichever one a peer drags out byte by byte (or never answers), the operation
ends within GITHUB_APP_TOKEN_TIMEOUT plus `SLACK`, says which phase ran out of time without
quoting base_url, and says whether the request was sent. The HTTP layer is the real one;
only the system resolver is stood in for (`hostile.Resolver`). Run with `-s` for the times.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from github_app_token.client import GitHubAppClient, revoke_token
from github_app_token.errors import DeadlineError, TransportError
from github_app_token.retry import policy
from github_app_token.transport import Transport

from .support.hostile import (
    FAILING_NAME,
    HUNG_NAME,
    MISSING_NAME,
    Backlogged,
    Resolver,
    Trickler,
    in_time,
)
from .support.net import Relay, self_signed_tls
from .support.secrets import new_rsa_pem

DEADLINE = 3.0
PEM = new_rsa_pem()
FAST = policy(backoff_factor=0.02)
STATUS = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
TIMES: dict[str, float] = {}


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Resolver]:
    stand_in = Resolver(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", stand_in)
    yield stand_in
    stand_in.released.set()


@pytest.fixture
def no_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


def mint(base_url: str, retry=FAST) -> object:  # type: ignore[no-untyped-def]
    client = GitHubAppClient(1, PEM, Transport(base_url, retry=retry, timeout=DEADLINE))
    return lambda: client.create_token(7)


def ends_in_time(phase: str, call, unblock) -> TransportError:  # type: ignore[no-untyped-def]
    elapsed, outcome = in_time(call, DEADLINE, unblock)
    TIMES[phase] = elapsed
    print(f"\n{phase}: ended {elapsed:.2f} s into a {DEADLINE:g} s deadline")
    assert isinstance(outcome, DeadlineError), repr(outcome)
    text = str(outcome)
    assert "GITHUB_APP_TOKEN_TIMEOUT" in text and "base_url" in text
    for value in ("127.0.0.1", ".invalid"):
        assert value not in text, "no message quotes base_url"
    return outcome


def test_a_resolver_that_never_answers(resolver: Resolver) -> None:
    err = ends_in_time("name resolution", mint(f"https://{HUNG_NAME}/api/v3"),
                       resolver.released.set)
    assert "host name had not resolved" in str(err)
    assert err.sent is False, "a resolution that never finished sent nothing"
    assert resolver.asked[HUNG_NAME] == 1


def test_a_connect_that_is_never_answered(no_proxy_variables) -> None:
    peer = Backlogged()
    try:
        err = ends_in_time("connect", mint(f"https://127.0.0.1:{peer.port}"), peer.close)
    finally:
        peer.close()
    assert "no connection" in str(err) and err.sent is False


def test_a_proxy_that_trickles_its_connect_reply(no_proxy_variables) -> None:
    proxy = Trickler(trickle=b"HTTP/1.1 200 Connection established\r\n", repeat=b"X-Pad: 1\r\n")
    no_proxy_variables.setenv("HTTPS_PROXY", proxy.url)
    try:
        err = ends_in_time("proxy CONNECT", mint("https://github.example.invalid/api/v3"),
                           proxy.close)
    finally:
        proxy.close()
    assert [line[:35] for line in proxy.received] == [b"CONNECT github.example.invalid:443 "]
    assert "the proxy had not opened its tunnel" in str(err) and err.sent is False


def test_a_tls_server_that_trickles_its_handshake(no_proxy_variables) -> None:
    # A handshake record announcing 16 KiB, then one byte every 50 ms: no read ever times out.
    server = Trickler(trickle=b"\x16\x03\x03\x40\x00", repeat=b"\x00")
    try:
        err = ends_in_time("TLS handshake", mint(f"https://127.0.0.1:{server.port}"),
                           server.close)
    finally:
        server.close()
    assert "TLS handshake" in str(err)
    assert err.sent is False and "may have reached GitHub" not in str(err)


@pytest.mark.parametrize("phase,prefix,trickle,repeat", [
    ("status line", b"", b"HTTP/1.1 200 ", b"O"),
    ("headers", STATUS, b"", b"X-Pad: 1\r\n"),
])
def test_a_server_that_trickles_its_answer(phase: str, prefix: bytes, trickle: bytes,
                                           repeat: bytes) -> None:
    server = Trickler(prefix=prefix, trickle=trickle, repeat=repeat)
    try:
        err = ends_in_time(phase, mint(server.url), server.close)
    finally:
        server.close()
    assert "accepted the request but had not answered" in str(err)
    assert "only if" in str(err), "raising the timeout is advised only for a slow server"
    assert err.sent and "may have reached GitHub" in str(err)
    assert len(server.received) == 1, "a mint that may have reached GitHub is not repeated"


def test_a_revoke_whose_headers_trickle() -> None:
    server = Trickler(prefix=STATUS, repeat=b"X-Pad: 1\r\n")
    api = Transport(server.url, retry=FAST, timeout=DEADLINE)
    try:
        err = ends_in_time("headers (revoke)", lambda: revoke_token(api, "x"), server.close)
    finally:
        server.close()
    assert "had not answered" in str(err)


def test_a_server_that_trickles_its_body() -> None:
    server = Trickler(prefix=STATUS + b"Content-Length: 100000\r\n\r\n{", repeat=b" ")
    try:
        err = ends_in_time("body", mint(server.url), server.close)
    finally:
        server.close()
    assert "still arriving" in str(err)


# ---- what the deadline does not cut: fast, clear failures -------------------------------


def test_a_resolver_that_fails_otherwise_is_not_waited_out(resolver: Resolver) -> None:
    elapsed, outcome = in_time(mint(f"https://{FAILING_NAME}/api/v3"), DEADLINE,
                               resolver.released.set)
    print(f"\nresolver out of files: failed after {elapsed:.2f} s")
    assert isinstance(outcome, TransportError) and not isinstance(outcome, DeadlineError)
    assert "host name had not resolved" not in str(outcome)
    assert FAILING_NAME not in str(outcome) and resolver.asked[FAILING_NAME] >= 1


def test_a_host_name_that_does_not_exist_fails_at_once(resolver: Resolver) -> None:
    started = time.monotonic()
    with pytest.raises(TransportError) as info:
        mint(f"https://{MISSING_NAME}/api/v3", retry=policy())()  # production backoff
    elapsed = time.monotonic() - started
    print(f"\nno such host: failed after {elapsed:.2f} s")
    assert resolver.asked[MISSING_NAME] == 1, "the resolver's no is not asked again"
    assert elapsed < DEADLINE, "no retry waits for a typo"
    text = str(info.value)
    assert "host name does not exist" in text and "check the host name in base_url" in text
    assert MISSING_NAME not in text and "NameResolutionError" not in text
    assert info.value.sent is False and "may have reached GitHub" not in text


def test_a_failed_tls_handshake_sent_nothing_so_the_mint_is_retried(gh, tmp_path) -> None:
    context, ca = self_signed_tls(tmp_path)
    port = int(gh.base_url.rsplit(":", 1)[1].split("/")[0])
    relay = Relay(port, tls=context, broken_handshakes=1)
    https = gh.base_url.replace(f"http://127.0.0.1:{port}", f"https://127.0.0.1:{relay.port}")
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("REQUESTS_CA_BUNDLE", str(ca))
            token = GitHubAppClient(gh.app_id, gh.private_key_pem,
                                    Transport(https, retry=FAST, timeout=10)
                                    ).create_token(gh.installation_id)
    finally:
        relay.close()
    assert relay.accepted == 2, "the broken handshake, then the one that minted"
    assert [r.method for r in gh.requests] == ["POST"]
    assert gh.live_tokens() == [token.token]


def test_a_tls_handshake_that_always_fails_says_nothing_was_sent(gh, tmp_path) -> None:
    context, _ = self_signed_tls(tmp_path)
    port = int(gh.base_url.rsplit(":", 1)[1].split("/")[0])
    relay = Relay(port, tls=context, broken_handshakes=100)
    https = f"https://127.0.0.1:{relay.port}"
    try:
        with pytest.raises(TransportError) as info:
            GitHubAppClient(gh.app_id, gh.private_key_pem,
                            Transport(https, retry=FAST, timeout=10)).create_token(7)
    finally:
        relay.close()
    assert info.value.sent is False
    assert "TLS handshake" in str(info.value) and "may have reached GitHub" not in str(info.value)
    assert gh.requests == []


def test_an_untrusted_certificate_is_not_retried(gh, tmp_path) -> None:
    context, _ = self_signed_tls(tmp_path)
    port = int(gh.base_url.rsplit(":", 1)[1].split("/")[0])
    relay = Relay(port, tls=context)
    try:
        with pytest.raises(TransportError) as info:
            GitHubAppClient(gh.app_id, gh.private_key_pem,
                            Transport(f"https://127.0.0.1:{relay.port}", retry=policy(),
                                      timeout=10)).create_token(7)
    finally:
        relay.close()
    assert relay.accepted == 1
    assert "TLS certificate is not trusted" in str(info.value)
    assert "REQUESTS_CA_BUNDLE" in str(info.value) and info.value.sent is False
