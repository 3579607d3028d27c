"""A GitHub Enterprise Server's host (https://ghe.example.test) on loopback, without a network.

Clients reach it as they would a real server, through `https_proxy` (httpx, git's libcurl):
`EnterpriseFront` is a CONNECT proxy that terminates TLS with a throwaway certificate for the
host (its CA file goes in SSL_CERT_FILE and GIT_SSL_CAINFO) and hands each connection to the
loopback server its first request's path names: the fake API under `/api/v3/`, the fake OAuth
under `/login/oauth/`, the git remote otherwise. `asked` records every host:port a client
asked for, so a test can show that nothing went to github.com.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.fakes.loopback import LoopbackTCP

HOST = "ghe.example.test"


@dataclass(frozen=True)
class Certificates:
    ca_file: Path  # the throwaway CA, PEM: what clients trust
    server: ssl.SSLContext  # the host's certificate, signed by that CA


def throwaway_certificates(host: str, folder: Path) -> Certificates:
    """A CA and a certificate for `host` it signed, valid for a day around now."""
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Honk test CA")])
    ca = (
        _certificate(ca_name, ca_name, ca_key.public_key(), ca_key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    leaf = (
        _certificate(name, ca_name, key.public_key(), ca_key)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(_usage(cert_sign=False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    ca_file, chain = folder / "ca.pem", folder / "server.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    chain.write_bytes(leaf.public_bytes(serialization.Encoding.PEM) + key_pem)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(chain)
    return Certificates(ca_file, server)


def _certificate(
    subject: x509.Name,
    issuer: x509.Name,
    public: ec.EllipticCurvePublicKey,
    signer: ec.EllipticCurvePrivateKey,
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
            critical=False,
        )
    )


def _usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign,
        crl_sign=cert_sign, encipher_only=False, decipher_only=False,
    )  # fmt: skip


class EnterpriseFront(LoopbackTCP):
    """`https://HOST` for clients whose `https_proxy` is `proxy_url`; `routes` maps a path
    prefix to the loopback base URL serving it (the first prefix that matches wins)."""

    def __init__(self, certificates: Certificates, routes: list[tuple[str, str]]) -> None:
        self.certificates = certificates
        self.routes = routes
        self.asked: list[str] = []  # every CONNECT target, in order
        self.paths: list[str] = []  # the first request line's path of each connection
        super().__init__()

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self._tunnel(reader, writer)

    async def _tunnel(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        method, target, *_ = (await reader.readline()).decode("latin-1").split()
        while (await reader.readline()).strip():
            pass  # the proxy request's headers
        self.asked.append(target)
        if method != "CONNECT" or target != f"{HOST}:443":
            writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await writer.start_tls(self.certificates.server)
        first = await reader.readline()
        path = first.decode("latin-1").split()[1]
        self.paths.append(path)
        base = next(url for prefix, url in self.routes if path.startswith(prefix))
        address = urlsplit(base)
        up_reader, up_writer = await asyncio.open_connection(address.hostname, address.port)
        up_writer.write(first)
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            up_writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until the end of `reader`, then close `writer` (TLS has no half-close)."""
    with contextlib.suppress(ConnectionError, ssl.SSLError):
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    writer.close()
