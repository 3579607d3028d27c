"""A Slack task's final message gives the verdict with its failing count, and an unfinished
task says so, why, and where its work is; Retry continues from the thread's PR."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from app.core.pr_texts import RETRY_IN_SLACK
from app.core.slack_blocks import ACTION_RETRY
from tests.fakes.anthropic_api import bash, text_block, tool_use_block
from tests.fakes.github.bodies import WEB
from tests.fakes.slack_requests import USER_ID
from tests.flows.slack_world import SlackWorld, buttons
from tests.flows.test_verdict import edit, use_unit_tests
from tests.flows.world import REPO, TEST_COMMAND

pytestmark = [
    pytest.mark.usefixtures("needs_sandbox"),
    pytest.mark.httpx2(assert_all_called=False),
]
PULLS = "/repos/octo/widgets/pulls"
TASK = "make add() add instead of subtracting"
NOTES = {"command": "create", "path": "NOTES.md", "file_text": "add() subtracts\n"}


async def test_the_final_message_counts_the_failing_tests(slack_world: SlackWorld) -> None:
    sw, world = slack_world, slack_world.world
    use_unit_tests(world, rounds=0)
    world.model.reply([edit("a - b", "a + b + 1")], "tool_use")
    world.model.reply([text_block("Fix add()")])
    world.model.reply([text_block("Fix add()")])  # the review on submit
    job_id = await sw.ask(TASK)

    (job,) = await world.run_jobs()

    assert job.state == "succeeded", job.error
    (final,) = await sw.finals(job_id)
    assert final.text.split("\n")[2] == "Tests failed (2 failing)"
    (create,) = world.fake.requests_to("POST", PULLS)
    assert create.json["title"] == "[tests failing] Fix add()"


async def test_an_unfinished_task_says_why_links_its_wip_and_retry_continues(
    slack_world: SlackWorld,
) -> None:
    sw, world = slack_world, slack_world.world
    world.repo.set_file(".github/honk.yml", f"test: {json.dumps(TEST_COMMAND)}\nmax_turns: 2\n")
    world.model.reply([tool_use_block("str_replace_based_edit_tool", NOTES)], "tool_use")
    world.model.reply([text_block("Noted the bug; the fix is next."), bash("true")], "tool_use")
    job_id = await sw.ask(TASK)

    (job,) = await world.run_jobs()

    assert job.state == "failed" and job.attempts == 1, job.error
    (pull,) = world.repo.pulls.values()
    (create,) = world.fake.requests_to("POST", PULLS)
    assert create.json["draft"] is True and create.json["title"] == TASK  # not the summary
    assert "**Unfinished.**" in create.json["body"] and RETRY_IN_SLACK in create.json["body"]
    status = await sw.status_of(job_id)
    assert status.text.startswith("*Failed*")
    (final,) = await sw.finals(job_id)
    lines = final.text.split("\n")
    assert lines[0] == f"<@{USER_ID}> Job {job_id} unfinished: turn budget used: 2 of 2 turns"
    assert lines[1] == f"Work so far (WIP): <{WEB}/{REPO}/pull/{pull.number}|{REPO}#{pull.number}>"
    assert buttons(final) == [ACTION_RETRY]

    world.repo.set_file(".github/honk.yml", f"test: {json.dumps(TEST_COMMAND)}\n")
    fix = {"command": "str_replace", "path": "calc.py", "old_str": "a - b", "new_str": "a + b"}
    world.model.reply([tool_use_block("str_replace_based_edit_tool", fix)], "tool_use")
    for _ in range(2):  # the summary and the review on submit
        world.model.reply([text_block("Fix add() to add")])
    seen = len(world.model.requests)
    again = [replace(c, delivery_id=f"retry-{i}") for i, c in enumerate(job.commands)]
    for command in again:  # what the Retry button queues
        await world.queue.enqueue(command)
    (retried,) = await world.run_jobs()

    assert retried.state == "succeeded", retried.error
    task = json.dumps(world.model.requests[seen]["messages"][0]["content"])
    assert "This continues pull request" in task
    assert "An earlier run stopped before finishing (turn budget used: 2 of 2 turns)" in task
    assert "Noted the bug; the fix is next." in task
    branch = pull.head_ref
    assert world.git("rev-list", "--count", f"main..{branch}") == "2"  # on top of the WIP
    assert "**Unfinished.**" not in world.repo.pulls[pull.number].body
