"""app/core/slack_blocks.py: the status, the final message and the merge offer as Block Kit."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.slack_blocks import (
    ACTION_APPROVE,
    ACTION_MERGE,
    ACTION_READY,
    ACTION_RETRY,
    ACTION_STOP,
    JobState,
    JobStatus,
    MergeTarget,
    Outcome,
    final_message,
    merge_offer,
    parse_job_value,
    parse_merge_value,
    status_edit_due,
    status_message,
)
from app.core.slack_mrkdwn import SlackMessage

SHA = "3f2a9c81d7e64b0a9f1c2d3e4f5a6b7c8d9e0f1a"
PR = "https://github.com/octo/hello/pull/57"
RUN = "https://honk.example/runs/42"


def buttons(message: SlackMessage) -> list[dict[str, Any]]:
    return [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


def first_line(message: SlackMessage) -> str:
    text: str = message.blocks[0]["text"]["text"]
    return text.split("\n")[0]


@pytest.mark.parametrize(
    ("state", "line", "stop"),
    [
        ("queued", f"*Queued*: octo/hello (main) · <{RUN}|job 42>", True),
        ("working", f"*Working*: octo/hello (main) · <{RUN}|job 42>", True),
        ("testing", f"*Testing*: octo/hello (main) · <{RUN}|job 42>", True),
        ("publishing", f"*Publishing*: octo/hello (main) · <{RUN}|job 42>", True),
        ("done", f"*Done*: octo/hello (main) · <{RUN}|job 42>", False),
        ("failed", f"*Failed*: octo/hello (main) · <{RUN}|job 42>", False),
        ("cancelled", f"*Stopped*: octo/hello (main) · <{RUN}|job 42>", False),
    ],
)
def test_the_status_names_state_repository_base_and_job_with_stop_while_running(
    state: JobState, line: str, stop: bool
) -> None:
    message = status_message(JobStatus(42, "octo/hello", "main", state, 7, 0.31, RUN))
    assert first_line(message) == line
    found = buttons(message)
    assert bool(found) is stop
    if stop:
        assert found[0]["action_id"] == ACTION_STOP and found[0]["value"] == "42"
        assert found[0]["style"] == "danger" and "confirm" in found[0]


def test_the_status_shows_turns_and_cost_once_work_started() -> None:
    working = status_message(JobStatus(9, "o/r", "dev", "working", 7, 0.31))
    assert working.blocks[0]["text"]["text"] == "*Working*: o/r (dev) · job 9\n7 turns · $0.31"
    one = status_message(JobStatus(9, "o/r", "dev", "testing", 1, 0.02))
    assert one.blocks[0]["text"]["text"].endswith("\n1 turn · $0.02")
    queued = status_message(JobStatus(9, "o/r", "dev", "queued"))
    assert queued.blocks[0]["text"]["text"] == "*Queued*: o/r (dev) · job 9"
    assert queued.text == "*Queued*: o/r (dev) · job 9"


def test_the_final_message_mentions_the_requester_with_the_pr_link_first() -> None:
    outcome = Outcome(42, "done", 252, 0.83, PR, "octo/hello#57", 3, 40, 12, "passed")
    message = final_message(outcome, "U0ALICE")
    assert message.blocks[0]["text"]["text"].split("\n") == [
        f"<@U0ALICE> PR ready: <{PR}|octo/hello#57>",
        "3 files changed, +40 −12",
        "Tests passed",
        "Took 4m 12s · $0.83",
    ]
    assert message.text.startswith("<@U0ALICE> PR ready") and not buttons(message)


@pytest.mark.parametrize(
    ("verdict", "failing", "line"),
    [
        ("failed", None, "Tests failed"),
        ("failed", 3, "Tests failed (3 failing)"),
        ("passed", None, "Tests passed"),
        ("none", None, "No test command"),
    ],
)
def test_the_final_message_gives_the_test_verdict(
    verdict: Any, failing: int | None, line: str
) -> None:
    outcome = Outcome(1, "done", 5, 0.01, PR, "PR", 1, 1, 0, verdict, failing=failing)
    assert final_message(outcome, "U1AB").blocks[0]["text"]["text"].split("\n")[1:3] == [
        "1 file changed, +1 −0",
        line,
    ]


@pytest.mark.parametrize(("state", "word"), [("failed", "failed"), ("cancelled", "stopped")])
def test_a_failed_or_stopped_job_says_why_and_offers_retry(state: Any, word: str) -> None:
    outcome = Outcome(42, state, 61, 0.2, reason="budget of 40 turns reached")
    message = final_message(outcome, "U0ALICE")
    assert first_line(message) == f"<@U0ALICE> Job 42 {word}: budget of 40 turns reached"
    [retry] = buttons(message)
    assert retry["action_id"] == ACTION_RETRY and retry["value"] == "42"


@pytest.mark.parametrize("state", ["failed", "cancelled"])
def test_an_unfinished_job_says_why_links_its_wip_and_offers_retry(state: Any) -> None:
    outcome = Outcome(
        42, state, 61, 0.2, PR, "octo/hello#57", reason="turn budget used: 2 of 2 turns",
        unfinished=True,
    )  # fmt: skip
    message = final_message(outcome, "U0ALICE")
    assert message.blocks[0]["text"]["text"].split("\n") == [
        "<@U0ALICE> Job 42 unfinished: turn budget used: 2 of 2 turns",
        f"Work so far (WIP): <{PR}|octo/hello#57>",
        "Took 1m 01s · $0.20",
    ]
    [retry] = buttons(message)
    assert retry["action_id"] == ACTION_RETRY and retry["value"] == "42"


def test_a_done_job_without_a_pr_says_so() -> None:
    message = final_message(Outcome(7, "done", 3, 0.0), None)
    assert first_line(message) == "Job 7 done: no change was needed."


@pytest.mark.parametrize("requester", ["<!channel>", "U1> <!here", "", None, "alice"])
def test_a_requester_that_is_not_a_user_id_is_not_mentioned(requester: str | None) -> None:
    message = final_message(Outcome(7, "failed", 3, 0.0, reason="x"), requester)
    assert first_line(message) == "Job 7 failed: x"


def test_a_draft_is_offered_ready_for_review_pinned_to_the_head() -> None:
    message = merge_offer(MergeTarget("octo/hello", 57, SHA), PR, draft=True, mergeable=True)
    assert first_line(message) == f"<{PR}|octo/hello#57>: checks passed on 3f2a9c8."
    [ready] = buttons(message)
    assert ready["action_id"] == ACTION_READY and ready["value"] == f"octo/hello#57@{SHA}"


def test_a_mergeable_pr_is_offered_approve_and_merge_pinned_to_the_head() -> None:
    message = merge_offer(MergeTarget("octo/hello", 57, SHA), PR, draft=False, mergeable=True)
    approve, merge = buttons(message)
    assert (approve["action_id"], merge["action_id"]) == (ACTION_APPROVE, ACTION_MERGE)
    assert approve["value"] == merge["value"] == f"octo/hello#57@{SHA}"
    assert "3f2a9c8" in merge["confirm"]["text"]["text"]


@pytest.mark.parametrize(("mergeable", "says"), [(False, "conflicts"), (None, "still checking")])
def test_no_merge_button_unless_github_reports_it_mergeable(
    mergeable: bool | None, says: str
) -> None:
    message = merge_offer(MergeTarget("o/r", 3, SHA), None, draft=False, mergeable=mergeable)
    assert not buttons(message) and says in message.blocks[0]["text"]["text"]


def test_a_merge_value_reads_back_and_a_forged_one_is_refused() -> None:
    target = MergeTarget("Octo-Org/hello.js", 1234, SHA)
    assert parse_merge_value(target.value()) == target
    for forged in ["", f"o/r#1@{SHA[:39]}", f"o/r#0@{SHA}", f"-o/r#1@{SHA}", f"o/r#1@{SHA.upper()}",
                   f"o/r#1@{SHA} ", f"o#1@{SHA}", f"o/r/x#1@{SHA}"]:  # fmt: skip
        assert parse_merge_value(forged) is None, forged


def test_a_job_value_reads_back_and_anything_else_is_refused() -> None:
    assert parse_job_value("42") == 42
    for forged in ["", "0", "-1", "4 2", "42x", "1" * 20]:
        assert parse_job_value(forged) is None


@pytest.mark.parametrize(
    ("last", "now", "state", "due"),
    [
        (None, 100.0, "queued", True),
        (100.0, 101.0, "working", False),
        (100.0, 102.9, "testing", False),
        (100.0, 103.0, "working", True),
        (100.0, 100.5, "done", True),
        (100.0, 100.5, "failed", True),
        (100.0, 100.5, "cancelled", True),
    ],
)
def test_the_status_is_edited_at_most_every_3_seconds_while_running(
    last: float | None, now: float, state: JobState, due: bool
) -> None:
    assert status_edit_due(last, now, state) is due
