"""Slack's requests into the durable queue: recorded (deduplicated) before Slack gets its ack."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from slack_bolt.response import BoltResponse

from app.core.commands import Command
from app.core.errors import StoreError
from app.metrics import instruments as metrics
from app.store.deliveries import Outcome

log = logging.getLogger("honk.slack")

# (delivery_id, event, action, command) -> (outcome, job id): the web layer's grouped intake.
Record = Callable[[str, str, str | None, Command | None], Awaitable[tuple[Outcome, int | None]]]


@dataclass(frozen=True)
class SlackIntake:
    """Records one Slack request's Command and wakes the workers when a job was queued."""

    record: Record
    wake: Callable[[], None]

    async def take(self, command: Command, request_type: str) -> BoltResponse | None:
        """None once recorded (the caller acks); a 503 Slack retries when it could not be."""
        try:
            outcome, job_id = await self.record(command.delivery_id, "slack", request_type, command)
        except StoreError as exc:
            metrics.delivery("slack", "unavailable")
            log.warning("slack request not recorded", extra=_fields(command, "unavailable", exc))
            return retry_later("database unavailable, request not recorded")
        except Exception as exc:
            metrics.delivery("slack", "error")
            log.exception("slack request failed", extra=_fields(command, "error", exc))
            return retry_later("internal error, request not recorded")
        metrics.delivery("slack", outcome)
        if outcome in ("queued", "coalesced"):
            self.wake()
        log.info(
            "slack request",
            extra={"delivery": command.delivery_id, "type": request_type, "outcome": outcome,
                   "job": job_id},
        )  # fmt: skip
        return None


def retry_later(error: str) -> BoltResponse:
    """503: Slack retries an event (and Socket Mode sends no ack, so Slack redelivers it)."""
    return BoltResponse(
        status=503,
        body=json.dumps({"error": error}),
        headers={"content-type": "application/json"},
    )


def _fields(command: Command, outcome: str, exc: Exception) -> dict[str, object]:
    return {"delivery": command.delivery_id, "outcome": outcome, "error": type(exc).__name__}
