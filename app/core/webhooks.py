"""Webhook deliveries: verify X-Hub-Signature-256, check the headers, parse the body into an Event.

Pure: no I/O. Every rejection is a `WebhookError` whose message says what is wrong (the server
returns it in the 4xx body) and whose `status` is the HTTP answer.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import orjson

from app.core.errors import PayloadError, PayloadTooLarge, SignatureError

MAX_BODY_BYTES = 25 * 1024 * 1024
SIGNATURE_HEADER = "X-Hub-Signature-256"
EVENT_HEADER = "X-GitHub-Event"
DELIVERY_HEADER = "X-GitHub-Delivery"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"

_SIGNATURE_PREFIX = "sha256="
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")
# Visible ASCII, no spaces: event names are like `pull_request_review`, delivery ids are GUIDs.
_HEADER_VALUE = {
    EVENT_HEADER: re.compile(r"[!-~]{1,100}"),
    DELIVERY_HEADER: re.compile(r"[!-~]{1,200}"),
}


@dataclass(frozen=True)
class Event:
    """One accepted delivery: the event name, its action and the decoded payload."""

    name: str
    action: str | None
    delivery_id: str
    installation_id: int | None
    payload: dict[str, Any]

    @property
    def repo(self) -> str | None:
        """`owner/name` of `payload.repository`, or None when the event has no repository."""
        repository = self.payload.get("repository")
        name = repository.get("full_name") if isinstance(repository, dict) else None
        return name if isinstance(name, str) and name else None

    @property
    def sender_login(self) -> str | None:
        sender = self.payload.get("sender")
        login = sender.get("login") if isinstance(sender, dict) else None
        return login if isinstance(login, str) and login else None

    @property
    def sender_is_bot(self) -> bool:
        """True for a sender of type `Bot` or a login ending in `[bot]` (GitHub Apps' users)."""
        sender = self.payload.get("sender")
        is_bot_type = isinstance(sender, dict) and sender.get("type") == "Bot"
        return is_bot_type or (self.sender_login or "").endswith("[bot]")


def verify_signature(secret: str, body: bytes, header: str | None) -> None:
    """Check `header` is `sha256=<hex>` and the HMAC-SHA256 of `body` under `secret`.

    Never falls back to SHA-1 (`X-Hub-Signature`). Raises `SignatureError` otherwise.
    """
    if not secret:
        raise SignatureError("no webhook secret is configured: every delivery is refused")
    value = (header or "").strip()
    if not value:
        raise SignatureError(f"missing {SIGNATURE_HEADER} header")
    if not value.startswith(_SIGNATURE_PREFIX):
        scheme = value.split("=", 1)[0][:20] if "=" in value else "no scheme"
        raise SignatureError(f"{SIGNATURE_HEADER} must start with sha256=, got {scheme!r}")
    digest = value.removeprefix(_SIGNATURE_PREFIX)
    if not _HEX_DIGEST.fullmatch(digest):
        raise SignatureError(f"{SIGNATURE_HEADER} must be sha256= followed by 64 hex digits")
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, digest.lower()):
        raise SignatureError(f"{SIGNATURE_HEADER} does not match the body")


def parse_delivery(headers: Mapping[str, str], body: bytes, secret: str) -> Event:
    """Verify and decode one delivery; header names are matched case-insensitively.

    Order: signature (401), then headers (400), size (413), body (400): an unsigned body is
    never parsed.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    verify_signature(secret, body, lowered.get(SIGNATURE_HEADER.lower()))
    name = _header(lowered, EVENT_HEADER)
    delivery_id = _header(lowered, DELIVERY_HEADER)
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"body is {len(body)} bytes, over the {MAX_BODY_BYTES} byte cap")
    payload = _decode_body(body, lowered.get("content-type", ""))
    action = payload.get("action")
    return Event(
        name=name,
        action=action if isinstance(action, str) else None,
        delivery_id=delivery_id,
        installation_id=_installation_id(payload),
        payload=payload,
    )


def _header(lowered: Mapping[str, str], name: str) -> str:
    value = lowered.get(name.lower())
    if value is None or not value.strip():
        raise PayloadError(f"missing {name} header")
    if not _HEADER_VALUE[name].fullmatch(value.strip()):
        raise PayloadError(f"{name} header is malformed: expected visible ASCII without spaces")
    return value.strip()


def _decode_body(body: bytes, content_type: str) -> dict[str, Any]:
    document: bytes | str = body
    if content_type.split(";", 1)[0].strip().lower() == FORM_CONTENT_TYPE:
        try:
            document = _form_payload(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise PayloadError("body is not valid UTF-8") from None
    try:
        payload = orjson.loads(document)  # validates UTF-8 too; refuses nesting over 1024
    except orjson.JSONDecodeError as exc:
        raise PayloadError(f"body is not valid JSON: {str(exc)[:200]}") from None
    if not isinstance(payload, dict):
        raise PayloadError(f"body must be a JSON object, got {type(payload).__name__}")
    return payload


def _form_payload(text: str) -> str:
    """The JSON held in the `payload` field of a form-encoded body."""
    try:
        fields = parse_qs(text, keep_blank_values=True, strict_parsing=True, max_num_fields=100)
    except ValueError:
        raise PayloadError("form-encoded body is malformed") from None
    values = fields.get("payload")
    if not values:
        raise PayloadError("form-encoded body has no payload field")
    return values[0]


def _installation_id(payload: Mapping[str, Any]) -> int | None:
    installation = payload.get("installation")
    value = installation.get("id") if isinstance(installation, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
