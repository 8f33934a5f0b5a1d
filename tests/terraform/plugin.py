"""A go-plugin client in Python: start `terraform-provider-githubapp` as OpenTofu does and call it.

The process gets the magic cookie and a fresh P-521 client certificate (as go-plugin makes),
prints its handshake line, and is spoken to over mutual TLS with grpclib. Every response is
kept, serialized, for the secret search; stderr goes to a file.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import os
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgpack
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from grpclib.client import Channel, UnaryStreamMethod, UnaryUnaryMethod
from grpclib.config import Configuration
from grpclib.encoding.proto import ProtoCodec

from github_app_token.terraform import goplugin_pb2 as gp
from github_app_token.terraform import tfplugin6_pb2 as pb

EXE = Path(sys.executable).with_name("terraform-provider-githubapp")
COOKIE = {"TF_PLUGIN_MAGIC_COOKIE":
          "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"}
UNKNOWN = msgpack.ExtType(0, b"\x00")


def client_certificate() -> tuple[bytes, bytes]:
    """(certificate PEM, key PEM): a self-signed P-521 client certificate like go-plugin's."""
    key = ec.generate_private_key(ec.SECP521R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "HashiCorp")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(seconds=30))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH,
                                                  ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .sign(key, hashes.SHA512()))
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


def value(**attributes: Any) -> pb.DynamicValue:
    return pb.DynamicValue(msgpack=msgpack.packb(attributes, use_bin_type=True))


def plain(dynamic: pb.DynamicValue) -> Any:
    return msgpack.unpackb(dynamic.msgpack, raw=False) if dynamic.msgpack else None


class Plugin:
    """The installed provider executable, handshaken and connected over mTLS."""

    def __init__(self, tmp_path: Path, env: dict[str, str] | None = None,
                 cert: tuple[bytes, bytes] | None = None, exe: Path = EXE) -> None:
        self.stderr_path = tmp_path / "provider.stderr"
        self._stderr = open(self.stderr_path, "ab")  # noqa: SIM115 - closed in close()
        cert_pem, key_pem = client_certificate()
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "TF_"))}
        self.process = subprocess.Popen(
            [str(exe)], stdout=subprocess.PIPE, stderr=self._stderr, env={
                **clean, **COOKIE, "PLUGIN_PROTOCOL_VERSIONS": "5,6",
                "PLUGIN_CLIENT_CERT": cert_pem.decode(), **(env or {})})
        self.seen: list[bytes] = []
        self.loop = asyncio.new_event_loop()
        try:
            self.channel = self._handshake(cert or (cert_pem, key_pem), tmp_path)
        except BaseException:
            self.process.kill()
            self.process.wait(10)
            self.process.stdout.close()  # type: ignore[union-attr]
            self.loop.close()
            self._stderr.close()
            raise

    def _handshake(self, client: tuple[bytes, bytes], tmp_path: Path) -> Channel:
        assert self.process.stdout is not None
        self.handshake = self.process.stdout.readline().decode().strip()
        core, proto, network, address, kind, server_cert = self.handshake.split("|")
        assert (core, proto, network, kind) == ("1", "6", "tcp", "grpc"), self.handshake
        host, port = address.rsplit(":", 1)
        context = self._tls(server_cert, client, tmp_path)
        return self.loop.run_until_complete(self._connect(host, int(port), context))

    @staticmethod
    def _tls(server_cert: str, client: tuple[bytes, bytes], tmp_path: Path) -> ssl.SSLContext:
        der = base64.b64decode(server_cert + "=" * (-len(server_cert) % 4))
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        context.load_verify_locations(cadata=der)
        pair = tmp_path / "client.pem"
        pair.write_bytes(client[1] + client[0])
        context.load_cert_chain(pair)
        context.set_alpn_protocols(["h2"])
        return context

    @staticmethod
    async def _connect(host: str, port: int, context: ssl.SSLContext) -> Channel:
        # An explicit codec: grpclib's default also loads googleapis' google.rpc.Status, which
        # clashes with pulumi's copy once another test has loaded pulumi's protos.
        return Channel(host, port, ssl=context, codec=ProtoCodec(),
                       config=Configuration(ssl_target_name_override="localhost"))

    def call(self, rpc: str, **fields: Any) -> Any:
        """One tfplugin6.Provider RPC; returns its response."""
        kind = getattr(pb, rpc)
        method = UnaryUnaryMethod(self.channel, f"/tfplugin6.Provider/{rpc}", kind.Request,
                                  kind.Response)
        response = self.loop.run_until_complete(
            asyncio.wait_for(method(kind.Request(**fields)), 60))
        self.seen.append(response.SerializeToString())
        return response

    def health(self) -> Any:
        method = UnaryUnaryMethod(self.channel, "/grpc.health.v1.Health/Check",
                                  gp.HealthCheckRequest, gp.HealthCheckResponse)
        return self.loop.run_until_complete(method(gp.HealthCheckRequest()))

    def stdio(self) -> list[Any]:
        method = UnaryStreamMethod(self.channel, "/plugin.GRPCStdio/StreamStdio", gp.Empty,
                                   gp.StdioData)
        return self.loop.run_until_complete(asyncio.wait_for(method(gp.Empty()), 10))

    def shutdown(self) -> int:
        """go-plugin's Shutdown; returns the exit status of the process."""
        method = UnaryUnaryMethod(self.channel, "/plugin.GRPCController/Shutdown", gp.Empty,
                                  gp.Empty)
        self.loop.run_until_complete(asyncio.wait_for(method(gp.Empty()), 10))
        return self.process.wait(10)

    def close(self) -> bytes:
        """Stop the process (if still running); returns everything it wrote to stderr."""
        if self.loop.is_closed():
            return self.stderr_path.read_bytes()
        self.channel.close()
        self.loop.close()
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        assert self.process.stdout is not None
        self.seen.append(self.process.stdout.read())  # nothing after the handshake line
        self.process.stdout.close()
        self._stderr.close()
        return self.stderr_path.read_bytes()
