"""`base_url` is split by the standard library, so check and plan load no HTTP stack; every URL
it accepts must be read the same way by urllib3, which requests connects with."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from urllib3.util import parse_url

from github_app_token.errors import ConfigError
from github_app_token.validators import base_url

HOSTS = st.one_of(
    st.sampled_from(["localhost", "127.0.0.1", "[::1]", "[2001:db8::1]", "api.github.com",
                     "GHE.Example.COM", "a-b.c_d", "x", "1.2.3", "[1:2:3:4:5:6:7:8]"]),
    st.from_regex(r"[A-Za-z0-9._-]{1,20}", fullmatch=True),
    st.from_regex(r"\[[0-9a-fA-F:.]{1,20}\]", fullmatch=True),
)
URLS = st.builds(
    lambda scheme, host, port, path: f"{scheme}://{host}{port}{path}",
    st.sampled_from(["http", "https", "HTTPS", "Https", "ftp"]),
    HOSTS,
    st.one_of(st.just(""), st.from_regex(r":[0-9]{0,6}", fullmatch=True)),
    st.one_of(st.from_regex(r"(/[A-Za-z0-9._~%-]{0,8}){0,4}/?", fullmatch=True),
              st.sampled_from(["/api/v3", "/api/v3/", "/x/api/v3"])),
)


@settings(max_examples=1500, deadline=None, database=None)
@given(URLS)
def test_what_base_url_accepts_urllib3_reads_alike(url: str) -> None:
    try:
        normalised = base_url(url)
    except ConfigError:
        return
    parsed = parse_url(url)
    port = f":{parsed.port}" if parsed.port else ""
    assert normalised == f"{parsed.scheme}://{parsed.host}{port}{(parsed.path or '').rstrip('/')}"
    assert parse_url(normalised).host == parsed.host
