"""The fake GitHub's App manifest flow: the "new App" page and the code conversion.

`offer_manifest` stands for a person creating the App on GitHub's "new App" page from a posted
manifest: it returns the one-time code GitHub puts in the redirect. `convert` answers
`POST /app-manifests/{code}/conversions` (no authentication) like GitHub: 201 with the App and
its secrets (the published example body, patched), once per code, 404 for any other code. The
fake then *is* the new App: its id and public key are what app JWTs are checked against.
"""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.responses import Response

from tests.fakes.github import bodies
from tests.fakes.github.call import Call, not_found, ok

if TYPE_CHECKING:
    from tests.fakes.github.api import FakeGitHub

DOCS = "https://docs.github.com/rest/apps/apps#create-a-github-app-from-a-manifest"
NEW_APP_ID = 909090


def offer_manifest(fake: FakeGitHub, manifest: dict[str, Any]) -> str:
    """The code GitHub sends back once a person created the App from `manifest`."""
    code = secrets.token_hex(10)
    fake.manifest_codes[code] = manifest
    return code


def convert(call: Call) -> Response:
    fake = call.fake
    manifest = fake.manifest_codes.pop(call.param("code"), None)
    if manifest is None:
        raise not_found(DOCS)
    pem = _new_key(fake)
    fake.app_id = NEW_APP_ID + len(fake.apps_created)
    fake.slug = _slug(str(manifest.get("name") or "app"))
    body = bodies.app_body(fake.app_id, fake.slug)
    body.update(
        name=manifest.get("name"),
        external_url=manifest.get("url"),
        permissions=manifest.get("default_permissions", {}),
        events=manifest.get("default_events", []),
        client_id=f"Iv1.{secrets.token_hex(8)}",
        client_secret=secrets.token_hex(20),
        webhook_secret=secrets.token_hex(20),
        pem=pem,
    )
    fake.apps_created.append(body)
    return ok(body, 201)


def _new_key(fake: FakeGitHub) -> str:
    """A new RSA key for the new App: the fake keeps the public half, GitHub hands out the PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    fake.public_key_pem = public.decode()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,  # GitHub's: BEGIN RSA PRIVATE KEY
        serialization.NoEncryption(),
    )
    return private.decode()


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "app"
