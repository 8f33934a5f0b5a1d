"""The start-up baseline for the Terraform face: a bare grpclib server that imports nothing of
ours but does the same go-plugin handshake (a fresh self-signed certificate, mutual TLS that
trusts exactly PLUGIN_CLIENT_CERT, the handshake line), serving only a health check.

Run as `python benchmarks/bare_grpclib.py` with go-plugin's environment; it exits after the
handshake line when BARE_EXIT=1, else serves until killed.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import os
import socket
import ssl
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from grpclib.encoding.proto import ProtoCodec
from grpclib.server import Server


def tls(client_cert: str) -> tuple[ssl.SSLContext, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), False)
            .sign(key, hashes.SHA256()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cadata=client_cert)
    context.set_alpn_protocols(["h2"])
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "server.pem")
        with open(path, "wb") as out:
            out.write(key.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()))
            out.write(cert.public_bytes(serialization.Encoding.PEM))
        context.load_cert_chain(path)
    return context, cert.public_bytes(serialization.Encoding.DER)


async def serve() -> None:
    context, der = tls(os.environ["PLUGIN_CLIENT_CERT"])
    server = Server([], codec=ProtoCodec())
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    await server.start(sock=listener, ssl=context)
    line = base64.b64encode(der).decode().rstrip("=")
    print(f"1|6|tcp|127.0.0.1:{listener.getsockname()[1]}|grpc|{line}", flush=True)
    if os.environ.get("BARE_EXIT") != "1":
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(serve())
