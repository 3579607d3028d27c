"""SlackIntake: recorded first, workers woken only for a new job, every failure a 503."""

from __future__ import annotations

import json

import pytest

from app.core.commands import Command, SlackOrigin
from app.core.errors import DatabaseUnavailable, StoreError
from app.slack.intake import SlackIntake
from app.store.deliveries import Outcome

COMMAND = Command(
    "slack_request", "", None, None, "U1", "slack:Ev1", slack=SlackOrigin("T1", "C1", "U1")
)


class Recorder:
    def __init__(self, outcome: Outcome | Exception) -> None:
        self.outcome = outcome
        self.recorded: list[tuple[str, str, str | None, Command | None]] = []
        self.wakes = 0

    async def record(
        self, delivery_id: str, event: str, action: str | None, command: Command | None
    ) -> tuple[Outcome, int | None]:
        self.recorded.append((delivery_id, event, action, command))
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome, 7

    def wake(self) -> None:
        self.wakes += 1


@pytest.mark.parametrize(
    ("outcome", "wakes"), [("queued", 1), ("coalesced", 1), ("duplicate", 0), ("ignored", 0)]
)
async def test_recorded_under_its_delivery_id_and_wakes_only_for_work(
    outcome: Outcome, wakes: int
) -> None:
    recorder = Recorder(outcome)

    answer = await SlackIntake(recorder.record, recorder.wake).take(COMMAND, "app_mention")

    assert answer is None
    assert recorder.recorded == [("slack:Ev1", "slack", "app_mention", COMMAND)]
    assert recorder.wakes == wakes


@pytest.mark.parametrize(
    "error", [DatabaseUnavailable("down"), StoreError("disk I/O"), RuntimeError("bug")]
)
async def test_a_request_not_recorded_is_a_503_and_wakes_nobody(error: Exception) -> None:
    recorder = Recorder(error)

    answer = await SlackIntake(recorder.record, recorder.wake).take(COMMAND, "command")

    assert answer is not None and answer.status == 503
    assert "not recorded" in json.loads(str(answer.body))["error"]
    assert recorder.wakes == 0
