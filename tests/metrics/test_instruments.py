"""The instruments and their exposition, read back with prometheus-client's parser."""

from __future__ import annotations

import pytest

from app.metrics import instruments as metrics
from app.metrics.exposition import QueueGauges, render
from tests.metrics.scrape import Scrape


@pytest.mark.parametrize(
    ("exit_code", "timed_out", "outcome"),
    [(0, False, "ok"), (1, False, "failed"), (137, False, "failed"), (None, True, "timed_out"),
     (None, False, "killed")],
)  # fmt: skip
def test_sandbox_commands_by_outcome(exit_code: int | None, timed_out: bool, outcome: str) -> None:
    before = Scrape.own()
    metrics.sandbox_command(exit_code, timed_out=timed_out)
    after = Scrape.own()
    assert after.moved(before, "honk_sandbox_commands_total", outcome=outcome) == 1
    assert (
        after.total("honk_sandbox_commands_total") - before.total("honk_sandbox_commands_total")
        == 1
    )


@pytest.mark.parametrize(
    ("state", "counted"),
    [("succeeded", 1), ("failed", 1), ("cancelled", 1), ("queued", 0), ("running", 0)],
)
def test_only_a_final_state_counts_as_a_job_that_ended(state: str, counted: int) -> None:
    before = Scrape.own()
    metrics.job_attempt_ended("fix_issue", state, 2.5)
    after = Scrape.own()
    assert after.moved(before, "honk_jobs_total", kind="fix_issue", state=state) == counted
    assert after.moved(before, "honk_job_duration_seconds_count", kind="fix_issue") == 1
    assert after.moved(before, "honk_job_duration_seconds_sum", kind="fix_issue") == 2.5
    assert after.moved(before, "honk_job_duration_seconds_bucket", kind="fix_issue", le="1.0") == 0
    assert after.moved(before, "honk_job_duration_seconds_bucket", kind="fix_issue", le="5.0") == 1


def test_a_turn_counts_tokens_by_kind_and_dollars() -> None:
    before = Scrape.own()
    tokens: dict[metrics.TokenKind, int] = {
        "input": 10, "cache_read": 200, "cache_write": 30, "output": 4,
    }  # fmt: skip
    metrics.agent_turn(tokens, 0.25)
    metrics.agent_run_ended("submitted", 1)
    after = Scrape.own()
    for kind, count in tokens.items():
        assert after.moved(before, "honk_model_tokens_total", kind=kind) == count
    assert after.moved(before, "honk_model_cost_usd_total") == pytest.approx(0.25)
    assert after.moved(before, "honk_agent_turns_total") == 1
    assert after.moved(before, "honk_agent_run_turns_count", status="submitted") == 1


def test_the_queue_gauges_and_the_database_flag() -> None:
    scraped = Scrape.parse(render(QueueGauges({"queued": 3, "running": 1}, 42.5)).decode())
    assert scraped.value("honk_queue_jobs", state="queued") == 3
    assert scraped.value("honk_queue_jobs", state="running") == 1
    assert scraped.value("honk_queue_oldest_age_seconds") == 42.5
    assert scraped.value("honk_database_up") == 1
    down = Scrape.parse(render(None).decode())
    assert down.value("honk_database_up") == 0
    assert not any(name.startswith("honk_queue") for name, _ in down.samples)
