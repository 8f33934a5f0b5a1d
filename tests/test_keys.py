from __future__ import annotations

import base64
import hashlib
import random
import subprocess
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from github_app_token.errors import ConfigError
from github_app_token.keys import MAX_PEM, fingerprint, load_private_key, normalize_pem

from .support.secrets import assert_no_secret, new_rsa_pem

PKCS1 = new_rsa_pem()
LABEL = "RSA PRIVATE KEY"  # built up so no key-shaped literal sits in the repository
PKCS8 = new_rsa_pem(pkcs8=True)


@pytest.mark.parametrize("pem", [PKCS1, PKCS8], ids=["pkcs1", "pkcs8"])
@pytest.mark.parametrize(
    "mangle",
    [
        lambda p: p,
        lambda p: f"\n\n  {p}  \n",
        lambda p: p.replace("\n", "\r\n"),
        lambda p: p.replace("\n", "\\n"),
        lambda p: p.strip().replace("\n", " "),
    ],
    ids=["plain", "whitespace", "crlf", "escaped-newlines", "spaces"],
)
def test_mangled_keys_parse_to_the_same_key(pem: str, mangle) -> None:
    expected = fingerprint(load_private_key(pem))
    assert fingerprint(load_private_key(mangle(pem))) == expected


def test_normalize_rewraps_body_at_64_columns() -> None:
    lines = normalize_pem(PKCS1.replace("\n", "\\n")).splitlines()
    assert lines[0] == f"-----BEGIN {LABEL}-----"
    assert all(len(line) <= 64 for line in lines[1:-1])
    assert lines[-1] == "-----END RSA PRIVATE KEY-----"


def test_fingerprint_matches_githubs_openssl_recipe(tmp_path) -> None:
    # GitHub docs: openssl rsa -in KEY -pubout -outform DER | openssl sha256 -binary | base64
    key = load_private_key(PKCS1)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    expected = "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode()
    assert fingerprint(key) == expected
    path = tmp_path / "k.pem"
    path.write_text(PKCS1)
    try:
        out = subprocess.run(
            f"openssl rsa -in {path} -pubout -outform DER 2>/dev/null | openssl sha256 -binary "
            "| openssl base64", shell=True, capture_output=True, text=True, check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("openssl not available")
    assert fingerprint(key) == "SHA256:" + out


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("not a key", "is not PEM text"),
        (f"-----BEGIN {LABEL}-----\nAAAA\n-----END {LABEL}-----",
         "could not be parsed"),
        (PKCS1[: len(PKCS1) // 2] + "\n-----END RSA PRIVATE KEY-----", "could not be parsed"),
    ],
)
def test_bad_keys_name_the_property_and_never_quote_the_key(text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_private_key(text)
    assert info.value.property == "private_key"
    assert fragment in str(info.value)
    assert_no_secret(str(info.value), PKCS1)


def test_non_rsa_keys_are_refused() -> None:
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    with pytest.raises(ConfigError, match="RSA"):
        load_private_key(pem)


def test_encrypted_keys_are_refused_with_advice() -> None:
    key = load_private_key(PKCS1)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pass"),
    ).decode()
    with pytest.raises(ConfigError, match="passphrase"):
        load_private_key(pem)


@pytest.mark.parametrize("text", [
    f"-----BEGIN {LABEL}-----" + "A" * 130 * 1024,
    f"-----BEGIN {LABEL}-----\n" + "AAAA\n" * 12_000 + "-----END X-----",
    f"-----BEGIN {LABEL}-----" * 3000,
    "-----BEGIN " + "A" * 60_000,
], ids=["no-end-130k", "wrong-end", "many-begins", "endless-label"])
def test_garbage_pem_is_refused_in_linear_time(text: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ConfigError) as info:
        load_private_key(text)
    assert time.perf_counter() - started < 0.1
    assert info.value.property == "private_key"


def test_oversized_text_is_refused_before_any_parsing() -> None:
    started = time.perf_counter()
    with pytest.raises(ConfigError, match="KiB") as info:
        normalize_pem(PKCS1 + " " * MAX_PEM)
    assert time.perf_counter() - started < 0.1
    assert_no_secret(str(info.value), PKCS1)


def test_a_key_after_an_unfinished_block_is_found() -> None:
    assert normalize_pem("-----BEGIN CERTIFICATE-----\nAAAA\n" + PKCS1) == normalize_pem(PKCS1)


def _huge_fake_rsa_pem(bits: int) -> str:
    """An RSA key far past MAX_BITS, made of random (not prime) factors: instant to build;
    a real key this size would take OpenSSL seconds to check."""
    rng = random.Random(bits)
    p, q = (rng.getrandbits(bits // 2) | 1 | 1 << (bits // 2 - 1) for _ in range(2))
    d = rng.getrandbits(bits) | 1
    numbers = rsa.RSAPrivateNumbers(p, q, d, d % (p - 1), d % (q - 1), rng.getrandbits(64),
                                    rsa.RSAPublicNumbers(65537, p * q))
    key = numbers.private_key(unsafe_skip_rsa_key_validation=True)
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode()


def test_keys_past_4096_bits_are_refused_before_the_costly_check() -> None:
    pem = _huge_fake_rsa_pem(16384)
    started = time.perf_counter()
    with pytest.raises(ConfigError, match="bit RSA key"):
        load_private_key(pem)
    assert time.perf_counter() - started < 0.1


def test_encrypted_pkcs1_keys_are_refused_with_advice() -> None:
    key = load_private_key(PKCS1)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.BestAvailableEncryption(b"pass"),
    ).decode()
    assert "Proc-Type" in pem
    with pytest.raises(ConfigError, match="passphrase"):
        load_private_key(pem)


@pytest.mark.parametrize("text", [
    "\x00\xff" * 100,
    f"-----BEGIN {LABEL}-----\né\n-----END {LABEL}-----",
    f"-----BEGIN {LABEL}-----\n\n-----END {LABEL}-----",
])
def test_odd_text_fails_cleanly(text: str) -> None:
    with pytest.raises(ConfigError):
        load_private_key(text)


def _pasted(kind: str) -> str:
    """What a user pastes in the key's place: the key's public half, a certificate, an SSH key."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    key = load_private_key(PKCS1)
    public = key.public_key()
    if kind == "public":
        return public.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    if kind == "rsa-public":
        return public.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.PKCS1).decode()
    if kind == "openssh-public":
        return public.public_bytes(serialization.Encoding.OpenSSH,
                                   serialization.PublicFormat.OpenSSH).decode()
    if kind == "openssh-private":
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                 serialization.NoEncryption()).decode()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "app")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(public)
            .serial_number(1).not_valid_before(now).not_valid_after(now)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.mark.parametrize(("kind", "what"), [
    ("public", "is a public key, not the app's private key"),
    ("rsa-public", "is a public key, not the app's private key"),
    ("certificate", "is a certificate, not the app's private key"),
    ("openssh-private", "is an OpenSSH key (as ssh-keygen makes), not the app's private key"),
    ("openssh-public", "is an OpenSSH public key (a line such as 'ssh-rsa ...'), not the app's"),
])
def test_a_pasted_public_key_certificate_or_ssh_key_says_what_it_is(kind: str, what: str) -> None:
    from github_app_token.inputs import check_inputs

    text = _pasted(kind)
    _, problems = check_inputs({"app_id": 1, "installation_id": 1, "private_key": text})
    [(prop, reason)] = problems
    assert prop == "private_key" and reason.startswith(what)
    assert "pass the contents of the .pem file GitHub generated for the app" in reason
    assert "could not be parsed" not in reason
    assert_no_secret(reason, text)


def test_a_key_filed_after_its_certificate_is_found() -> None:
    bundle = _pasted("certificate") + PKCS1
    assert fingerprint(load_private_key(bundle)) == fingerprint(load_private_key(PKCS1))
