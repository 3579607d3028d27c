"""Requests built like Slack's: payloads (for Socket Mode envelopes) and signed HTTP bodies.

Slack signs `v0:{timestamp}:{body}` with HMAC-SHA256 under the signing secret and sends
`X-Slack-Signature: v0=<hex>` with `X-Slack-Request-Timestamp`. Slash commands and interactions
are form-encoded (interactions as one `payload=` JSON field); events are JSON.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

SIGNING_SECRET = "fake-signing-secret-0123456789abcdef"
TEAM_ID = "T0HONK"
BOT_USER_ID = "U0HONKBOT"
APP_ID = "A0HONK"
USER_ID = "U0ALICE"
CHANNEL_ID = "C0GENERAL"
DM_CHANNEL_ID = "D0ALICE"
FORM = "application/x-www-form-urlencoded"

_ids = itertools.count(1)


@dataclass(frozen=True)
class SignedRequest:
    body: bytes
    headers: dict[str, str]

    @property
    def text(self) -> str:
        return self.body.decode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed(
    body: bytes, content_type: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> SignedRequest:
    """`timestamp` defaults to now; pass an old one for a stale request."""
    stamp = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": signature(secret, stamp, body),
    }
    return SignedRequest(body, headers)


# -- payloads ------------------------------------------------------------------------------------


def slash_command_fields(
    text: str, *, user_id: str = USER_ID, channel_id: str = CHANNEL_ID
) -> dict[str, str]:
    serial = next(_ids)
    return {
        "token": "deprecated-verification-token",
        "team_id": TEAM_ID,
        "team_domain": "honk-fake",
        "channel_id": channel_id,
        "channel_name": "directmessage" if channel_id.startswith("D") else "general",
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": "/honk",
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": f"https://hooks.slack.test/commands/{TEAM_ID}/{serial}/resp",
        "trigger_id": f"{serial}.{serial}.trigger",
    }


def app_mention(
    text: str, *, user: str = USER_ID, channel: str = CHANNEL_ID, ts: str = "", thread_ts: str = ""
) -> dict[str, Any]:
    """An `app_mention` event; `text` should carry `<@U0HONKBOT>` as Slack writes it."""
    return _message_event("app_mention", text, user, channel, ts, thread_ts)


def direct_message(
    text: str,
    *,
    user: str = USER_ID,
    channel: str = DM_CHANNEL_ID,
    ts: str = "",
    thread_ts: str = "",
) -> dict[str, Any]:
    """A `message` event in an IM (`message.im` subscription): `channel_type` is `im`."""
    event = _message_event("message", text, user, channel, ts, thread_ts)
    return event | {"channel_type": "im"}


def app_home_opened(*, user: str = USER_ID, tab: str = "home") -> dict[str, Any]:
    return {"type": "app_home_opened", "user": user, "channel": DM_CHANNEL_ID, "tab": tab}


def event_callback_payload(event: dict[str, Any], *, event_id: str = "") -> dict[str, Any]:
    """The outer `event_callback` body; the same `event_id` twice is a retry of one event."""
    serial = next(_ids)
    return {
        "token": "deprecated-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{serial:08d}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-fake-{serial}",
    }


def block_actions_payload(
    action_id: str,
    value: str,
    *,
    user_id: str = USER_ID,
    channel_id: str = CHANNEL_ID,
    message_ts: str = "1765000001.000001",
    thread_ts: str = "",
) -> dict[str, Any]:
    """A button click (`block_actions`) on a message the bot posted."""
    serial = next(_ids)
    message: dict[str, Any] = {"type": "message", "user": BOT_USER_ID, "ts": message_ts}
    if thread_ts:
        message["thread_ts"] = thread_ts
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_id.lower(), "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "deprecated-verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        },
        "trigger_id": f"{serial}.{serial}.trigger",
        "team": {"id": TEAM_ID, "domain": "honk-fake"},
        "channel": {"id": channel_id, "name": "general"},
        "message": message,
        "response_url": f"https://hooks.slack.test/actions/{TEAM_ID}/{serial}/resp",
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": f"honk-{action_id}",
                "value": value,
                "text": {"type": "plain_text", "text": action_id, "emoji": True},
                "action_ts": f"{int(time.time())}.{serial:06d}",
            }
        ],
    }


# -- signed HTTP requests ------------------------------------------------------------------------


def slash_command(text: str, *, timestamp: int | None = None, **fields: str) -> SignedRequest:
    body = urlencode(slash_command_fields(text, **fields)).encode()
    return signed(body, FORM, timestamp=timestamp)


def event_callback(
    event: dict[str, Any], *, event_id: str = "", timestamp: int | None = None
) -> SignedRequest:
    body = json.dumps(event_callback_payload(event, event_id=event_id)).encode()
    return signed(body, "application/json", timestamp=timestamp)


def block_actions(
    action_id: str, value: str, *, timestamp: int | None = None, **fields: str
) -> SignedRequest:
    payload = json.dumps(block_actions_payload(action_id, value, **fields))
    return signed(urlencode({"payload": payload}).encode(), FORM, timestamp=timestamp)


def url_verification(challenge: str, *, timestamp: int | None = None) -> SignedRequest:
    body = {"token": "deprecated-verification-token", "challenge": challenge}
    raw = json.dumps(body | {"type": "url_verification"}).encode()
    return signed(raw, "application/json", timestamp=timestamp)


def _message_event(
    kind: str, text: str, user: str, channel: str, ts: str, thread_ts: str
) -> dict[str, Any]:
    serial = next(_ids)
    stamp = ts or f"{int(time.time())}.{serial:06d}"
    event: dict[str, Any] = {
        "type": kind,
        "user": user,
        "text": text,
        "ts": stamp,
        "channel": channel,
        "event_ts": stamp,
        "team": TEAM_ID,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event
