"""Slack requests count as deliveries (event `slack`) by their outcome, refused ones too."""

from __future__ import annotations

import pytest

from app.core.commands import Command
from app.core.errors import StoreError
from app.slack.intake import SlackIntake
from app.store.deliveries import Outcome
from tests.metrics.scrape import Scrape

COMMAND = Command(
    kind="slack_request", repo="", number=None, installation_id=None, sender="U1",
    delivery_id="slack-1",
)  # fmt: skip


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [("queued", "queued"), ("duplicate", "duplicate"), (StoreError("down"), "unavailable"),
     (RuntimeError("bug"), "error")],
)  # fmt: skip
async def test_each_request_counts_once_by_outcome(
    answer: Outcome | Exception, outcome: str
) -> None:
    async def record(
        delivery: str, event: str, action: str | None, command: Command | None
    ) -> tuple[Outcome, int | None]:
        if isinstance(answer, Exception):
            raise answer
        return answer, 1

    before = Scrape.own()
    await SlackIntake(record, lambda: None).take(COMMAND, "slash_command")
    after = Scrape.own()
    assert after.moved(before, "honk_deliveries_total", event="slack", outcome=outcome) == 1
    assert after.total("honk_deliveries_total") - before.total("honk_deliveries_total") == 1
