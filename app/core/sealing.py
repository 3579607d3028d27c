"""Sealing with HONK_SECRET_KEY: encrypted stored tokens and signed, expiring cookies and links."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from app.core.config import Secret
from app.core.errors import BadSeal


def _derive(key: Secret, purpose: str) -> bytes:
    return hmac.new(key.reveal().encode(), purpose.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Sealer:
    """Encrypts and signs with keys derived from one secret (one sub-key per use)."""

    def __init__(self, key: Secret) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(key, "honk:encrypt")))
        self._signing = _derive(key, "honk:sign")

    def encrypt(self, text: str) -> str:
        """The text encrypted and authenticated (Fernet), as ASCII."""
        return self._fernet.encrypt(text.encode()).decode()

    def decrypt(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise BadSeal("stored value cannot be decrypted with this HONK_SECRET_KEY") from None

    def sign(self, purpose: str, payload: dict[str, Any], *, now: float) -> str:
        """`payload` with its purpose and time, signed (HMAC-SHA256): `body.signature`."""
        body = _b64(json.dumps({"p": purpose, "t": now, "d": payload}).encode())
        return f"{body}.{self._mac(body)}"

    def verify(self, purpose: str, token: str, *, now: float, max_age: float) -> dict[str, Any]:
        """The payload of a token this key signed for `purpose` at most `max_age` seconds ago."""
        body, _, mac = token.partition(".")
        if not mac or not hmac.compare_digest(mac, self._mac(body)):
            raise BadSeal("signature does not match")
        try:
            data = json.loads(_unb64(body))
        except ValueError:
            raise BadSeal("signed value is malformed") from None
        if not isinstance(data, dict) or data.get("p") != purpose:
            raise BadSeal("signed for another purpose")
        if not isinstance(data.get("d"), dict) or not isinstance(data.get("t"), int | float):
            raise BadSeal("signed value is malformed")
        if now - float(data["t"]) > max_age:
            raise BadSeal("expired", expired=True)
        payload: dict[str, Any] = data["d"]
        return payload

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._signing, body.encode(), hashlib.sha256).digest())
