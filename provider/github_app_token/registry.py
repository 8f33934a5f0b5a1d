"""Where the attribute-free provider finds its clients: one per app, key and API root.

The provider pickles into state with no attributes, so it cannot hold a client. It asks
this process's `Registry` instead, which keeps one `Transport` (Session, connections) per
base URL and one `GitHubAppClient` (JWT cache, GitHub's clock offset) per issuer, key
fingerprint and base URL. Tests build their own `Registry` with a fast retry policy.
"""

from __future__ import annotations

import threading

from .client import GitHubAppClient
from .keys import fingerprint, load_private_key
from .retry import GitHubRetry
from .transport import Transport


class Registry:
    """Clients and transports shared by every call in this process; safe across threads."""

    def __init__(self, *, retry: GitHubRetry | None = None, timeout: float | None = None) -> None:
        self._retry = retry
        self._timeout = timeout
        self._lock = threading.Lock()
        self._transports: dict[str, Transport] = {}
        self._clients: dict[tuple[str, str, str], GitHubAppClient] = {}

    def transport_for(self, base_url: str) -> Transport:
        base_url = base_url.rstrip("/")
        with self._lock:
            transport = self._transports.get(base_url)
            if transport is None:
                transport = Transport(base_url, retry=self._retry, timeout=self._timeout)
                self._transports[base_url] = transport
            return transport

    def client_for(self, issuer: int | str, private_key_pem: str, base_url: str) -> GitHubAppClient:
        # Parsing is cached by keys.load_private_key; it raises ConfigError for a bad key.
        key_id = fingerprint(load_private_key(private_key_pem))
        cache_key = (str(issuer), key_id, base_url.rstrip("/"))
        transport = self.transport_for(base_url)
        with self._lock:
            client = self._clients.get(cache_key)
            if client is None:
                client = GitHubAppClient(issuer, private_key_pem, transport)
                self._clients[cache_key] = client
            return client

    def __repr__(self) -> str:
        return f"<Registry transports={len(self._transports)} clients={len(self._clients)}>"


default = Registry()
"""The process's registry; tests swap it for one with a fast retry policy."""


def transport_for(base_url: str) -> Transport:
    """The shared Transport for `base_url` (for calls made with an installation token)."""
    return default.transport_for(base_url)


def client_for(issuer: int | str, private_key_pem: str, base_url: str) -> GitHubAppClient:
    """The shared client for this app, key and API root."""
    return default.client_for(issuer, private_key_pem, base_url)
