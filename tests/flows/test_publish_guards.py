"""What Honk refuses to push or post, end to end: binaries, action files, the model's own text.

The agent (scripted) writes the change inside the real sandbox; Honk's guards run on the real
worktree; assertions are on the git remote and on what was posted to the fake GitHub.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import respx

from tests.fakes.anthropic_api import bash, text_block
from tests.flows.test_e2e import labeled
from tests.flows.world import TEST_COMMAND, World, open_world

pytestmark = [
    pytest.mark.usefixtures("needs_sandbox"),
    pytest.mark.httpx2(assert_all_called=False),
]
TOKEN = "gh" + "p_" + "a1B2" * 9  # split so no scanner takes this file for a leak
ANTHROPIC = "sk-" + "ant-" + "api03-" + "Kq3_-z" * 15


@pytest.fixture
async def world(tmp_path: Path, httpx2_mock: respx.Router) -> AsyncIterator[World]:
    async with open_world(tmp_path, httpx2_mock) as world:
        world.repo.set_permission("mona", "write")
        yield world


async def run_agent_command(world: World, command: str, summary: str = "Done.") -> int:
    """Label a new issue; the agent runs `command` and ends with `summary`. Returns the issue."""
    issue = world.repo.add_issue("Do it", "Please.")
    world.model.reply([bash(command)], "tool_use")
    for _ in range(4):  # the summary, then the review on submit and two rounds of failing tests
        world.model.reply([text_block(summary)])
    response = await world.deliver("issues", labeled(world, issue))
    assert response.status_code == 202, response.text
    return issue


def refused(world: World, issue: int) -> str:
    """The job's last word, after checking that nothing was pushed and no PR was opened."""
    assert f"honk/issue-{issue}" not in world.git("branch", "--list")
    assert world.fake.requests_to("POST", "/repos/octo/widgets/pulls") == []
    (comment,) = world.bot_comments(issue)
    return comment


async def test_a_token_inside_a_binary_file_is_refused(world: World) -> None:
    issue = await run_agent_command(
        world, f"printf 'PK\\003\\004\\000\\000{TOKEN}\\000' > blob.bin"
    )

    (job,) = await world.run_jobs()

    assert job.state == "failed"
    comment = refused(world, issue)
    assert "github_token" in comment and "blob.bin" in comment and TOKEN not in comment


async def test_a_large_binary_file_counts_by_its_bytes(world: World) -> None:
    world.repo.set_file(
        ".github/honk.yml", f"test: {json.dumps(TEST_COMMAND)}\nmax_diff_bytes: 100000\n"
    )
    issue = await run_agent_command(world, "head -c 300000 /dev/urandom > big.bin")

    (job,) = await world.run_jobs()

    assert job.state == "failed"
    comment = refused(world, issue)
    assert re.search(r"diff_too_large\*\*: the diff is 300,\d{3} bytes", comment), comment


@pytest.mark.parametrize("path", ["action.yml", "tools/deploy/action.yaml"])
async def test_an_action_file_anywhere_is_a_workflow_change(world: World, path: str) -> None:
    command = f"mkdir -p \"$(dirname {path})\" && printf 'runs:\\n  using: node20\\n' > {path}"
    issue = await run_agent_command(world, command)

    (job,) = await world.run_jobs()

    assert job.state == "failed"
    comment = refused(world, issue)
    assert "workflow_change" in comment and path in comment


async def test_the_pr_body_never_carries_a_secret_and_fits_githubs_limit(world: World) -> None:
    summary = f"Fix it\n\nUsed the key {ANTHROPIC} to test.\n\n" + "word " * 20000
    issue = await run_agent_command(world, "echo changed >> README.md", summary)

    (job,) = await world.run_jobs()

    assert job.state == "succeeded", job.error
    (create,) = world.fake.requests_to("POST", "/repos/octo/widgets/pulls")
    body = create.json["body"]
    assert ANTHROPIC not in body and "sk-ant-…(redacted)" in body
    assert len(body) <= 65536 and f"Fixes #{issue}" in body
    assert body.splitlines()[-1].startswith("Opened by Honk, an automated agent")
