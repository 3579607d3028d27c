"""Unfinished runs are kept: a budget stop, a stop or a model failure after an edit pushes a WIP
commit and a draft PR that says so, the job ends with one last word, and `/honk retry`
continues from the branch with the earlier summary as memory."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fakes.anthropic_api import bash, text_block, tool_use_block
from tests.flows.test_e2e import commented, labeled
from tests.flows.world import TEST_COMMAND, World

pytestmark = [
    pytest.mark.usefixtures("needs_sandbox"),
    pytest.mark.httpx2(assert_all_called=False),
]
PULLS = "/repos/octo/widgets/pulls"
NOTES = {"command": "create", "path": "NOTES.md", "file_text": "add() subtracts: fix it\n"}
FIX = {"command": "str_replace", "path": "calc.py", "old_str": "a - b", "new_str": "a + b"}
SO_FAR = "Wrote down what is wrong; next: fix add() in calc.py."


def editor(params: dict[str, Any]) -> dict[str, Any]:
    return tool_use_block("str_replace_based_edit_tool", params)


def budget(world: World, turns: int) -> None:
    world.repo.set_file(
        ".github/honk.yml", f"test: {json.dumps(TEST_COMMAND)}\nmax_turns: {turns}\n"
    )


async def stopped_by_the_turn_budget(
    world: World, edit: dict[str, Any] = NOTES, so_far: str = SO_FAR
) -> tuple[int, int]:
    """An issue job whose agent makes `edit`, then runs out of its two turns: (issue, PR)."""
    budget(world, 2)
    issue = world.repo.add_issue("add() subtracts", "calc.add(2, 3) gives -1, not 5.")
    world.model.reply([editor(edit)], "tool_use")
    world.model.reply([text_block(so_far), bash("cat NOTES.md")], "tool_use")
    await world.deliver("issues", labeled(world, issue))
    (job,) = await world.run_jobs()
    assert (job.state, job.attempts) == ("failed", 1), job.error
    assert job.error is not None and "turn budget used" in job.error
    return issue, max(world.repo.pulls)


async def test_a_budget_stop_leaves_a_wip_commit_and_a_draft_pr_that_says_so(
    world: World,
) -> None:
    issue, pr = await stopped_by_the_turn_budget(world)

    branch = f"honk/issue-{issue}"
    assert world.git("log", "-1", "--format=%s", branch) == "WIP (honk: turn budget used)"
    assert world.git("show", f"{branch}:NOTES.md") == "add() subtracts: fix it"
    (create,) = world.fake.requests_to("POST", PULLS)
    body = create.json["body"]
    assert create.json["draft"] is True and create.json["title"] == f"Fix #{issue}: add() subtracts"
    assert body.split("\n")[1] == "<!-- honk:unfinished-start -->"
    assert "**Unfinished.** Honk stopped before finishing: turn budget used: 2 of 2 turns" in body
    assert SO_FAR in body and f"Fixes #{issue}" in body
    assert "### Tests\nNot run: the run is unfinished." in body
    (progress,) = world.bot_comments(issue)  # one last word, no second failure message
    assert "<!-- honk:unfinished job=1 pr=" in progress
    assert f"The unfinished work is on draft PR [#{pr}]" in progress and "2 turns" in progress
    assert "Comment `/honk retry` to continue from it." in progress
    assert "could not finish" not in progress
    record = await world.worker.services.pulls.get("octo/widgets", pr)
    assert record is not None and record.branch == branch  # reviews and retries work on it


async def test_honk_retry_continues_from_the_branch_with_the_earlier_summary(
    world: World,
) -> None:
    issue, pr = await stopped_by_the_turn_budget(world)
    budget(world, 5)
    world.model.reply([editor(FIX)], "tool_use")
    world.model.reply([text_block("Fix add() to add\n\nFixed calc.py as NOTES.md says.")])
    world.model.reply([text_block("Fix add() to add\n\nFixed calc.py as NOTES.md says.")])
    seen = len(world.model.requests)

    await world.deliver("issue_comment", commented(world, issue, "/honk retry"))
    retry, again = await world.run_jobs()

    assert (retry.kind, again.kind, again.state) == ("retry", "fix_issue", "succeeded"), again.error
    task = json.dumps(world.model.requests[seen]["messages"][0]["content"])
    assert "An earlier run stopped before finishing (turn budget used: 2 of 2 turns)" in task
    assert "<summary>\\n" + SO_FAR in task
    branch = f"honk/issue-{issue}"
    assert world.git("log", "-2", "--format=%s", branch).split("\n") == [
        "Fix add() to add",
        "WIP (honk: turn budget used)",
    ]  # continued on top of the WIP commit
    assert world.git("show", f"{branch}:NOTES.md") == "add() subtracts: fix it"
    (patch,) = world.fake.requests_to("PATCH", f"{PULLS}/{pr}")
    assert "Unfinished" not in patch.json["body"] and "honk:unfinished" not in patch.json["body"]
    assert "Fixed calc.py as NOTES.md says." in patch.json["body"]
    assert "tests pass" in patch.json["body"]  # the verdict, no longer "not run"
    assert len(world.fake.requests_to("POST", PULLS)) == 1  # the same PR


async def test_a_model_error_after_an_edit_pushes_wip_and_is_not_retried(world: World) -> None:
    issue = world.repo.add_issue("add() subtracts", "")
    world.model.reply([editor(FIX)], "tool_use")
    world.model.error(400, "invalid_request_error", "the model service refused the request")
    await world.deliver("issues", labeled(world, issue))

    (job,) = await world.run_jobs()

    assert (job.state, job.attempts) == ("failed", 1), job.error  # max_attempts is 2
    assert len(world.model.requests) == 2
    branch = f"honk/issue-{issue}"
    assert world.git("log", "-1", "--format=%s", branch) == "WIP (honk: model error)"
    (create,) = world.fake.requests_to("POST", PULLS)
    assert create.json["draft"] is True and "the model service refused" in create.json["body"]
    (progress,) = world.bot_comments(issue)
    assert "Honk stopped before finishing: Messages API answered 400" in progress


async def test_a_model_error_before_any_edit_is_still_retried(world: World) -> None:
    issue = world.repo.add_issue("add() subtracts", "")
    world.model.reply([bash("cat calc.py")], "tool_use")
    world.model.error(400, "invalid_request_error", "not yet")
    await world.deliver("issues", labeled(world, issue))

    first, second = await world.run_jobs()

    assert (first.state, second.state, second.attempts) == ("queued", "failed", 2)
    assert world.fake.requests_to("POST", PULLS) == []
    assert f"honk/issue-{issue}" not in world.git("branch", "--list")


async def test_a_failed_publish_republishes_the_wip_without_running_the_agent(
    world: World,
) -> None:
    budget(world, 2)
    issue = world.repo.add_issue("add() subtracts", "")
    world.model.reply([editor(NOTES)], "tool_use")
    world.model.reply([text_block(SO_FAR), bash("true")], "tool_use")
    world.fake.fail_next("POST", PULLS, 502, times=3)  # the whole first attempt's PR creation
    await world.deliver("issues", labeled(world, issue))

    first, second = await world.run_jobs()

    assert (first.state, second.state, second.attempts) == ("queued", "failed", 2)
    assert len(world.model.requests) == 2  # the agent ran once
    assert second.checkpoint is not None and "turn budget" in second.checkpoint["unfinished"]
    (pull,) = world.repo.pulls.values()
    assert pull.draft and "**Unfinished.**" in pull.body
    assert int(world.git("rev-list", "--count", f"main..honk/issue-{issue}")) == 1


async def test_a_retry_that_finds_the_wip_complete_ends_done_without_a_new_commit(
    world: World,
) -> None:
    issue, pr = await stopped_by_the_turn_budget(world, FIX, "Fixed add(); checking.")
    branch = f"honk/issue-{issue}"
    wip = world.git("rev-parse", branch)
    budget(world, 5)
    world.model.reply([text_block("Fix add() to add\n\nThe WIP commit already fixes it.")])

    await world.deliver("issue_comment", commented(world, issue, "/honk retry"))
    _, again = await world.run_jobs()

    assert (again.kind, again.state) == ("fix_issue", "succeeded"), again.error
    assert world.git("rev-parse", branch) == wip  # nothing new to push
    (patch,) = world.fake.requests_to("PATCH", f"{PULLS}/{pr}")
    body = patch.json["body"]
    assert "honk:unfinished" not in body and "Not run" not in body
    assert f"`{TEST_COMMAND}` passed." in body
    last = world.bot_comments(issue)[-1]
    assert "honk:done" in last and "Tests: passed" in last
