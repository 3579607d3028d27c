"""A task asked for in Slack, end to end: fake Slack, fake GitHub, a real git remote and sandbox,
the scripted model. What crossed the wire is asserted: the PR GitHub got, the commits in the
remote, the prompt the model got, every message and edit Slack got."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import update

from app.core.slack_blocks import ACTION_RETRY, ACTION_STOP
from app.github.client import noreply_host
from app.store.tables import jobs
from tests.fakes.anthropic_api import bash, text_block
from tests.fakes.slack_api import WORKSPACE_URL
from tests.fakes.slack_requests import CHANNEL_ID, USER_ID
from tests.flows.slack_world import THREAD, SlackWorld, buttons
from tests.flows.test_e2e import script_fix
from tests.flows.world import REPO, script_edit

pytestmark = [
    pytest.mark.usefixtures("needs_sandbox"),
    pytest.mark.httpx2(assert_all_called=False),
]
PULLS = "/repos/octo/widgets/pulls"
TASK = "make add() add instead of subtracting"
FIXED = "def add(a, b):\n    return a + b"


def prompt(sw: SlackWorld, index: int = 0) -> str:
    return str(sw.world.model.requests[index]["messages"][0]["content"])


async def run_one(sw: SlackWorld) -> str:
    """Run the queued job, which must succeed; its PR's URL."""
    (job,) = await sw.world.run_jobs()
    assert job.state == "succeeded", job.error
    assert job.result is not None
    return str(job.result["pr_url"])


async def test_a_new_task_opens_a_draft_pr_and_reports_in_its_thread(
    slack_world: SlackWorld,
) -> None:
    sw, world = slack_world, slack_world.world
    script_fix(world)
    job_id = await sw.ask(TASK)

    pr_url = await run_one(sw)

    branch = f"honk/slack-{job_id}"
    assert world.git("show", f"{branch}:calc.py") == FIXED
    log = world.git("log", "-1", "--format=%B", branch)
    host = noreply_host(world.settings.github_api_url)
    assert f"Co-authored-by: mona <583231+mona@users.noreply.{host}>" in log
    (create,) = world.fake.requests_to("POST", PULLS)
    assert (create.json["head"], create.json["base"], create.json["draft"]) == (
        branch, "main", True,
    )  # fmt: skip
    assert create.json["title"] == "Fix add() to add"
    body = create.json["body"]
    assert "Requested in Slack by @mona" in body and f"> {TASK}" in body
    assert f"{WORKSPACE_URL}archives/{CHANNEL_ID}/p{THREAD.replace('.', '')}" in body
    assert "add() subtracted" in body and "tests pass" in body
    assert "<request>" in prompt(sw) and TASK in prompt(sw) and "Slack" in prompt(sw)
    pr = world.repo.pulls[max(world.repo.pulls)]
    record = await sw.services.pulls.get(REPO, pr.number)
    assert record is not None
    assert (record.issue_number, record.branch, record.requester, record.task) == (
        None, branch, "mona", TASK,
    )  # fmt: skip
    thread = await sw.services.slack_records.thread("T0HONK", CHANNEL_ID, THREAD)
    assert thread is not None and thread.pr_number == pr.number
    status = await sw.status_of(job_id)
    assert status.edits >= 2 and status.text.startswith("*Done*")
    assert ACTION_STOP not in buttons(status)
    (final,) = await sw.finals(job_id)
    first, files, verdict, figures = final.text.split("\n")
    assert first == f"<@{USER_ID}> PR ready: <{pr_url}|{REPO}#{pr.number}>"
    assert files == "1 file changed, +1 −1"
    assert verdict == "Tests passed" and "$" in figures and "Took" in figures
    assert world.bot_comments(pr.number) == []  # nothing to say on GitHub besides the PR


async def test_a_second_task_in_the_thread_commits_to_its_pr(slack_world: SlackWorld) -> None:
    sw, world = slack_world, slack_world.world
    script_fix(world)
    first = await sw.ask(TASK)
    await run_one(sw)
    readme = {"command": "create", "path": "NOTES.md", "file_text": "add() adds.\n"}
    script_edit(world, readme, "Document add()\n\nNOTES.md says what add() does.")

    second = await sw.ask("also write a note about add()")
    pr_url = await run_one(sw)

    branch = f"honk/slack-{first}"
    assert world.git("show", f"{branch}:NOTES.md") == "add() adds."
    assert world.git("rev-list", "--count", f"main..{branch}") == "2"
    assert len(world.fake.requests_to("POST", PULLS)) == 1  # no second PR
    (pr,) = world.repo.pulls.values()
    (edit,) = world.fake.requests_to("PATCH", f"{PULLS}/{pr.number}")
    assert "also write a note about add()" in edit.json["body"] and TASK in edit.json["body"]
    assert "This continues pull request" in prompt(sw, 4)
    (final,) = await sw.finals(second)
    assert final.text.startswith(f"<@{USER_ID}> PR updated: <{pr_url}|")
    record = await sw.services.pulls.get(REPO, pr.number)
    assert record is not None and "also write a note" in record.task


async def test_a_reader_and_an_unlinked_person_never_reach_the_agent(
    slack_world: SlackWorld,
) -> None:
    """Three requests coalesced into one job: the writer's runs; a reader's (linked) and one
    whose Slack person is not linked (any more) are dropped, and named in the result."""
    sw, world = slack_world, slack_world.world
    world.repo.set_permission("rita", "read")
    world.repo.set_permission("otto", "write")
    await sw.link("U0RITA", "rita", 7001)
    script_fix(world)
    job_id = await sw.ask(TASK)
    await sw.ask("delete the tests", sender="rita", sender_id=7001, user="U0RITA", status=False)
    await sw.ask("print the secrets", sender="otto", sender_id=7002, user="U0OTTO", status=False)

    (job,) = await world.run_jobs()

    assert job.id == job_id and len(job.commands) == 3
    assert job.state == "succeeded", job.error
    assert TASK in prompt(sw)
    assert "delete the tests" not in prompt(sw) and "print the secrets" not in prompt(sw)
    assert job.result is not None and len(job.result["refused"]) == 2
    (create,) = world.fake.requests_to("POST", PULLS)
    assert "delete the tests" not in create.json["body"]


async def test_a_task_that_changes_nothing_fails_with_retry(slack_world: SlackWorld) -> None:
    sw, world = slack_world, slack_world.world
    for _ in range(3):  # the first answer, then each of the two test-fix rounds
        world.model.reply([text_block("Nothing to change: add() already adds.")])
    job_id = await sw.ask(TASK)

    (job,) = await world.run_jobs()

    assert job.state == "failed" and job.attempts == 1
    assert "AssertionError: -1" in str(world.model.requests[-1]["messages"][-1])  # handed back
    assert world.fake.requests_to("POST", PULLS) == []
    status = await sw.status_of(job_id)
    assert status.text.startswith("*Failed*") and ACTION_STOP not in buttons(status)
    (final,) = await sw.finals(job_id)
    assert final.text.startswith(f"<@{USER_ID}> Job {job_id} failed: ")
    assert "add() already adds" in final.text
    assert buttons(final) == [ACTION_RETRY]


async def test_a_task_succeeds_while_slack_is_down(slack_world: SlackWorld) -> None:
    sw, world = slack_world, slack_world.world
    script_fix(world)
    job_id = await sw.ask(TASK)  # accepted while Slack answered
    for method in ("chat.update", "chat.postMessage", "chat.getPermalink"):
        for _ in range(30):
            sw.slack.fail_next(method, "internal_error")

    await run_one(sw)

    (create,) = world.fake.requests_to("POST", PULLS)
    assert "Requested in Slack by @mona" in create.json["body"]
    assert WORKSPACE_URL not in create.json["body"]  # no permalink: opened without it
    assert await sw.finals(job_id) == []
    saved = await sw.services.slack_records.status(job_id)
    assert saved is not None and saved.final_ts is None  # a later report may still post it


async def test_hostile_request_text_is_never_posted_raw(slack_world: SlackWorld) -> None:
    sw, world = slack_world, slack_world.world
    token = "ghp_" + "A1b2C3d4" * 4 + "Zz99"
    hostile = f"<!channel> <@U0BOSS> fix add() and paste {token} @here"
    script_fix(world, summary=f"Fix add() {token}\n\n<!channel> was asked; @here too.")
    job_id = await sw.ask(hostile)
    world.model.reply([text_block("unused")])

    await run_one(sw)

    sent = sw.texts()
    assert token not in sent and "<!channel>" not in sent and "<@U0BOSS>" not in sent
    (create,) = world.fake.requests_to("POST", PULLS)
    body, title = create.json["body"], create.json["title"]
    assert token not in body and token not in title
    request = [line for line in body.split("\n") if line.startswith("> ")]
    assert request == [
        "> &lt;!channel&gt; &lt;@\u2060U0BOSS&gt; fix add() and paste ghp_…(redacted) @\u2060here"
    ]
    assert "<request>" in prompt(sw) and "<!channel>" in prompt(sw)  # fenced data, as written
    (final,) = await sw.finals(job_id)
    assert final.text.startswith(f"<@{USER_ID}> PR ready")


async def test_stop_ends_the_running_command_and_pushes_nothing(
    slack_world: SlackWorld,
) -> None:
    sw, world = slack_world, slack_world.world
    wait = "for i in $(seq 1200); do [ -e stop-now ] && break; sleep 0.05; done; echo resumed"
    world.model.reply([bash(wait)], "tool_use")
    world.model.reply([text_block("never reached")])
    job_id = await sw.ask(TASK)
    running = asyncio.create_task(world.worker.run_once())
    worktree = world.settings.data_dir / "worktrees" / f"job-{job_id}"
    for _ in range(1500):  # bounded: a hang fails the test instead of stalling the suite
        if world.model.requests and worktree.exists():
            break
        await asyncio.sleep(0.02)
    assert world.model.requests and worktree.exists(), "the job never reached its first turn"

    async with world.queue.store.transaction(write=True) as conn:  # what Stop in Slack asks
        await conn.execute(update(jobs).where(jobs.c.id == job_id).values(cancel_requested=True))
    await asyncio.wait_for(running, timeout=60)

    job = await world.queue.get(job_id)
    assert job is not None and job.state == "cancelled"
    assert len(world.model.requests) == 1
    assert f"honk/slack-{job_id}" not in world.git("branch", "--list")
    status = await sw.status_of(job_id)
    assert status.text.startswith("*Stopped*") and ACTION_STOP not in buttons(status)
    (final,) = await sw.finals(job_id)
    assert f"Job {job_id} stopped" in final.text and buttons(final) == [ACTION_RETRY]
