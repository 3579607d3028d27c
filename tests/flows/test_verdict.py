"""The test-driven loop end to end: the repository's real test command in the sandbox, failures
handed back to the agent, the review of its own diff, and the verdict in the PR title, body and
last word (fake GitHub, real git, real sandbox, scripted model)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.agent.transcript import read_transcript
from tests.fakes.anthropic_api import bash, text_block, tool_use_block
from tests.fakes.git_remote import commit_to_remote
from tests.flows.test_e2e import PR_LINKS, commented, labeled, reviewed
from tests.flows.world import World

pytestmark = [
    pytest.mark.usefixtures("needs_sandbox"),
    pytest.mark.httpx2(assert_all_called=False),
]
EDITOR = "str_replace_based_edit_tool"
PULLS = "/repos/octo/widgets/pulls"
UNIT_COMMAND = "python3 -m unittest -q test_calc_unit"
UNIT_TESTS = """import unittest

from calc import add


class AddTest(unittest.TestCase):
    def test_two(self):
        self.assertEqual(add(2, 3), 5)

    def test_zero(self):
        self.assertEqual(add(0, 4), 4)
"""
SUMMARY = "Fix add() to add\n\nadd() subtracted its arguments."


def use_unit_tests(world: World, rounds: int = 2) -> None:
    """Two unittest cases that fail while add() is wrong, and `.github/honk.yml` running them."""
    commit_to_remote(world.bare, {"test_calc_unit.py": UNIT_TESTS}, "unit tests")
    config = f"test: {json.dumps(UNIT_COMMAND)}\ntest_fix_rounds: {rounds}\n"
    world.repo.set_file(".github/honk.yml", config)


def edit(old: str, new: str) -> dict[str, Any]:
    return tool_use_block(EDITOR, {"command": "str_replace", "path": "calc.py", "old_str": old,
                                   "new_str": new})  # fmt: skip


def last_user_text(request: dict[str, Any]) -> str:
    content = request["messages"][-1]["content"]
    return "\n".join(block.get("text", "") for block in content if isinstance(block, dict))


async def fix_issue(world: World) -> int:
    issue = world.repo.add_issue("add() subtracts", "calc.add(2, 3) gives -1, not 5.")
    await world.deliver("issues", labeled(world, issue))
    return issue


async def test_a_failing_test_run_is_handed_back_and_the_second_attempt_passes(
    world: World,
) -> None:
    use_unit_tests(world)
    world.model.reply([edit("a - b", "a + b + 1")], "tool_use")
    world.model.reply([text_block("Fix add()")])
    world.model.reply([text_block("Fix add()")])  # the review on submit: nothing to change
    world.model.reply([edit("a + b + 1", "a + b")], "tool_use")  # after the failure came back
    world.model.reply([text_block(SUMMARY)])
    issue = await fix_issue(world)

    (job,) = await world.run_jobs()

    assert job.state == "succeeded", job.error
    assert f"`{UNIT_COMMAND}`" in json.dumps(world.model.requests[0]["system"])
    handed_back = last_user_text(world.model.requests[3])
    assert "failed (2 failing)" in handed_back and "FAILED (failures=2)" in handed_back
    assert "attempt 1 of 2" in handed_back
    (create,) = world.fake.requests_to("POST", PULLS)
    assert create.json["title"] == f"Fix #{issue}: add() subtracts"
    assert f"`{UNIT_COMMAND}` passed after 1 fix round." in create.json["body"]
    (progress,) = world.bot_comments(issue)
    assert f"Tests: passed (`{UNIT_COMMAND}`)" in progress
    assert job.result is not None
    assert (job.result["tests"], job.result["failures"], job.result["fix_rounds"]) == (
        True,
        None,
        1,
    )
    assert world.git("show", f"honk/issue-{issue}:calc.py").endswith("return a + b")


async def test_tests_that_still_fail_title_the_pr_and_a_later_fix_untitles_it(
    world: World,
) -> None:
    use_unit_tests(world, rounds=1)
    world.model.reply([edit("a - b", "a + b + 1")], "tool_use")
    world.model.reply([text_block("Fix add()")])
    world.model.reply([text_block("Fix add()")])  # the review
    world.model.reply([text_block("Fix add()\n\nThe tests expect something else.")])  # round 1
    issue = await fix_issue(world)

    (job,) = await world.run_jobs()

    assert job.state == "succeeded", job.error
    (create,) = world.fake.requests_to("POST", PULLS)
    pr = world.repo.pulls[max(world.repo.pulls)].number
    assert create.json["title"] == f"[tests failing] Fix #{issue}: add() subtracts"
    assert f"`{UNIT_COMMAND}` FAILED (2 FAILING) after 1 fix round." in create.json["body"]
    (progress,) = world.bot_comments(issue)
    assert f"Tests: failed (2 failing) (`{UNIT_COMMAND}`)" in progress
    assert job.result is not None and (job.result["tests"], job.result["failures"]) == (False, 2)
    assert len(world.model.requests) == 4  # one round only, as configured

    review = world.repo.add_review(pr, "changes_requested", "The tests fail.", "mona")
    world.model.reply([edit("a + b + 1", "a + b")], "tool_use")
    world.model.reply([text_block("Make add() add")])
    world.model.reply([text_block("Make add() add")])  # the review on submit
    branch = f"honk/issue-{issue}"
    await world.deliver(
        "pull_request_review", reviewed(world, pr, review, "changes_requested", branch)
    )
    (fixed,) = await world.run_jobs()

    assert fixed.state == "succeeded", fixed.error
    patches = world.fake.requests_to("PATCH", f"{PULLS}/{pr}")
    assert [p.json for p in patches] == [{"title": f"Fix #{issue}: add() subtracts"}]  # one
    assert world.repo.pulls[pr].title == f"Fix #{issue}: add() subtracts"


async def test_the_prefix_comes_back_on_honks_pr_but_never_on_a_persons(world: World) -> None:
    use_unit_tests(world)
    world.model.reply([edit("a - b", "a + b")], "tool_use")
    world.model.reply([text_block(SUMMARY)])
    world.model.reply([text_block(SUMMARY)])
    issue = await fix_issue(world)
    (opened,) = await world.run_jobs()
    assert opened.state == "succeeded" and opened.result is not None, opened.error
    honks = int(opened.result["pr"])
    commit_to_remote(world.bare, {"calc.py": "def add(a, b):\n    return a - b\n"}, "x", branch="f")
    persons = world.repo.add_pull("f", title="Make add work", body="Mine.", user="mona")

    for pr in (honks, persons):  # the agent breaks add(); the tests fail in every round
        world.model.reply([bash("sed -i 's/return .*/return a * b/' calc.py")], "tool_use")
        for _ in range(4):  # the summary, the review, two rounds
            world.model.reply([text_block("Multiply")])
        comment = commented(world, pr, "/honk fix", issue__pull_request=PR_LINKS)
        await world.deliver("issue_comment", comment)
        (job,) = await world.run_jobs()
        assert (job.kind, job.state) == ("fix_pr", "succeeded"), job.error

    patches = world.fake.requests_to("PATCH", f"{PULLS}/{honks}")
    assert [p.json for p in patches] == [
        {"title": f"[tests failing] Fix #{issue}: add() subtracts"}
    ]
    assert world.fake.requests_to("PATCH", f"{PULLS}/{persons}") == []  # never retitled
    assert world.repo.pulls[persons].title == "Make add work"


async def test_the_review_on_submit_removes_a_stray_file(world: World) -> None:
    use_unit_tests(world)
    scratch = tool_use_block(EDITOR, {"command": "create", "path": "scratch.log",
                                      "file_text": "debug output\n"})  # fmt: skip
    world.model.reply([scratch, edit("a - b", "a + b")], "tool_use")
    world.model.reply([text_block(SUMMARY)])
    world.model.reply([bash("rm scratch.log")], "tool_use")  # the review finds it
    world.model.reply([text_block(f"{SUMMARY}\n\nRemoved a stray log file.")])
    issue = await fix_issue(world)

    (job,) = await world.run_jobs()

    assert job.state == "succeeded", job.error
    review_turn = last_user_text(world.model.requests[2])
    assert (
        "<diff>" in review_turn
        and "b/scratch.log" in review_turn
        and "+debug output" in review_turn
    )
    files = world.git("ls-tree", "-r", "--name-only", f"honk/issue-{issue}").split()
    assert "scratch.log" not in files and "calc.py" in files
    (create,) = world.fake.requests_to("POST", PULLS)
    assert (
        "Removed a stray log file." in create.json["body"]
        and "scratch.log" not in create.json["body"]
    )
    transcript = world.settings.transcripts_dir / f"job-{job.id}.jsonl"
    records = list(read_transcript(transcript))
    (review,) = [r for r in records if r["type"] == "review"]
    assert review["diff_chars"] > 0
    assert any(r["type"] == "follow_up" and r["about"] == "review" for r in records)
