"""`honk replay`: re-inject a saved delivery (by id) or one from a file, under a new id.

The body goes through the request path's own parse (`parse_delivery`, signed in-process with a
one-off key: a replay is local and trusted) and trigger mapping, then into the queue. The new
delivery id, `replay-<original>-<n>`, keeps the deduplication from dropping it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

from app.core.errors import FlowError
from app.core.triggers import TriggerContext, command_for
from app.core.webhooks import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, parse_delivery
from app.store.deliveries import DeliveryQueue, Outcome, RawBody

JSON = "application/json"
FILE_ORIGIN = "file"  # the "original id" of a file that names none


@dataclass(frozen=True)
class Replay:
    """What to inject: the event name, the id it replays and the body."""

    event: str
    original_id: str
    raw: RawBody


@dataclass(frozen=True)
class Replayed:
    """The outcome of one replay, as the request path would have answered it."""

    delivery_id: str
    event: str
    outcome: Outcome
    job_id: int | None


async def saved_replay(queue: DeliveryQueue, delivery_id: str) -> Replay:
    """The recorded delivery `delivery_id`; FlowError when it is unknown or has no body."""
    saved = await queue.saved_delivery(delivery_id)
    if saved is None:
        raise FlowError(
            f"no delivery {delivery_id!r} is recorded (unknown, or older than HONK_RETENTION_DAYS)"
        )
    if saved.raw is None:
        raise FlowError(f"delivery {delivery_id!r} was recorded without its body: not replayable")
    return Replay(saved.event, delivery_id, saved.raw)


def file_replay(path: Path, event: str | None = None) -> Replay:
    """A replay from `path`: `{"event", "delivery_id"?, "payload"}`, or a raw payload + `event`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FlowError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if event is not None:
        return Replay(event, FILE_ORIGIN, RawBody(data, JSON))
    wrapper = _json_object(path, data)
    name, payload, original = (wrapper.get(k) for k in ("event", "payload", "delivery_id"))
    if not isinstance(name, str) or not isinstance(payload, dict):
        raise FlowError(
            f'{path}: expected {{"event": NAME, "payload": {{...}}}} (or pass --event NAME '
            "with a raw payload)"
        )
    body = json.dumps(payload, separators=(",", ":")).encode()
    origin = original if isinstance(original, str) and original else FILE_ORIGIN
    return Replay(name, origin, RawBody(body, JSON))


async def inject(queue: DeliveryQueue, replay: Replay, triggers: TriggerContext) -> Replayed:
    """Parse and map the body as the request path does, then record and enqueue it."""
    key = secrets.token_hex(16)
    signature = hmac.new(key.encode(), replay.raw.body, hashlib.sha256).hexdigest()
    headers = {
        EVENT_HEADER: replay.event,
        DELIVERY_HEADER: "replay",  # replaced below: the new id may be longer than GitHub's
        SIGNATURE_HEADER: f"sha256={signature}",
        "content-type": replay.raw.content_type or JSON,
    }
    event = parse_delivery(headers, replay.raw.body, key)
    event = replace(event, delivery_id=await queue.replay_id(replay.original_id))
    outcome, job_id = await queue.accept_delivery(
        event.delivery_id, event.name, event.action, command_for(event, triggers), replay.raw
    )
    return Replayed(event.delivery_id, event.name, outcome, job_id)


def describe(replayed: Replayed) -> str:
    """One line for the terminal."""
    what = {
        "queued": f"queued as job {replayed.job_id}",
        "coalesced": f"added to queued job {replayed.job_id}",
        "duplicate": "already recorded (nothing queued)",
        "ignored": "nothing to do for this event (nothing queued)",
    }[replayed.outcome]
    return f"{replayed.delivery_id} ({replayed.event}): {what}"


def _json_object(path: Path, data: bytes) -> dict[str, object]:
    try:
        decoded = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FlowError(f"{path} is not JSON: {exc}") from exc
    if not isinstance(decoded, dict):
        raise FlowError(f"{path}: expected a JSON object")
    return decoded
