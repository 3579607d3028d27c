"""A Honk PR's later life in its Slack thread, end to end: real deliveries into Honk, the fake
GitHub, the fake Slack on loopback. CI passed (with the merge offer), a deployment, a build's
artifacts, a review addressed, CI failed and fixed, approved, merged, closed: one line each,
once, in the thread (or by DM to the linked requester of a GitHub-started Honk PR)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.core.slack_blocks import ACTION_APPROVE, ACTION_MERGE, ACTION_READY
from app.core.slack_mrkdwn import visible
from app.flows.services import Services
from app.slack.client import SlackClient
from app.store.accounts import GitHubUser, SlackPerson, TokenGrant
from app.store.pulls import PullRecord
from app.store.slack_records import SlackThread
from tests.fakes.github.checks import add_run_artifacts
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack, PostedMessage
from tests.fakes.slack_requests import TEAM_ID, USER_ID
from tests.flows.test_e2e import open_pr, reviewed, suite_failed
from tests.flows.world import REPO, World, payload, script_edit

pytestmark = pytest.mark.httpx2(assert_all_called=False)
CHANNEL, THREAD = "C0GENERAL", "1765000000.000100"
BRANCH = "honk/slack-7"
HEAD = "8f3e2b1c9d7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e"
MONA = GitHubUser(583231, "mona")
PREVIEW = "https://pr-7.preview.example.com"


@pytest.fixture
async def slack(world: World) -> AsyncIterator[FakeSlack]:
    """The fake Slack, and Honk's worker posting to it."""
    async with FakeSlack() as fake:
        github = world.worker.services.github
        client = SlackClient(BOT_TOKEN, fake.url)
        world.worker.services = Services(world.settings, world.queue, github=github, slack=client)
        yield fake


async def honk_pr(
    world: World, *, draft: bool = False, mergeable: bool | None = True, thread: bool = True
) -> int:
    """A Honk PR in Honk's records, followed by a Slack thread unless `thread` is False."""
    pr = world.repo.add_pull(
        BRANCH, title="Handle the empty playlist", user="honk[bot]", head_sha=HEAD, draft=draft
    )
    world.repo.pulls[pr].mergeable = mergeable
    services = world.worker.services
    await services.pulls.record(
        PullRecord(REPO, pr, None, BRANCH, "mona", MONA.github_id, "the task", "open", 0)
    )
    if thread:
        await services.slack_records.save_thread(
            SlackThread(TEAM_ID, CHANNEL, THREAD, REPO, pr, USER_ID, "mona")
        )
    return pr


def suite_passed(world: World, pr: int, runs: list[tuple[str, str | None]]) -> dict[str, Any]:
    suite = world.repo.add_check_suite(world.repo.pulls[pr].head_sha, runs)
    return payload(
        "check_suite/completed.failure.json",
        check_suite__id=suite,
        check_suite__conclusion="success",
        check_suite__head_sha=world.repo.pulls[pr].head_sha,
        check_suite__head_branch=world.repo.pulls[pr].head_ref,
        check_suite__pull_requests__0__number=pr,
        sender__login="github-actions[bot]",
        sender__type="Bot",
    )


def deployed(sha: str = HEAD, url: str = PREVIEW) -> dict[str, Any]:
    return payload(
        "deployment_status/created.with-installation.json",
        deployment__ref=BRANCH,
        deployment__sha=sha,
        deployment_status__environment="preview",
        deployment_status__environment_url=url,
        sender__login="vercel[bot]",
        sender__type="Bot",
    )


def run_completed(run_id: int, pr: int | None, sha: str = HEAD) -> dict[str, Any]:
    data = payload(
        "workflow_run/completed.with-pull-requests.json",
        workflow_run__id=run_id,
        workflow_run__head_branch=BRANCH,
        workflow_run__head_sha=sha,
    )
    pulls = data["workflow_run"]["pull_requests"]
    data["workflow_run"]["pull_requests"] = [{**pulls[0], "number": pr}] if pr else []
    return data


def lines(slack: FakeSlack, channel: str = CHANNEL, thread: str | None = THREAD) -> list[str]:
    return [visible(m.text) for m in said(slack, channel, thread)]


def said(slack: FakeSlack, channel: str, thread: str | None) -> list[PostedMessage]:
    return [m for m in slack.messages if m.channel == channel and m.thread_ts == thread]


def buttons(message: PostedMessage) -> dict[str, str]:
    found = {}
    for block in message.blocks or []:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            found[element["action_id"]] = element["value"]
    return found


async def test_ci_passed_on_a_mergeable_pr_offers_approve_and_merge_pinned_to_the_head(
    world: World, slack: FakeSlack
) -> None:
    pr = await honk_pr(world)
    await world.deliver(
        "check_suite", suite_passed(world, pr, [("tests", "success"), ("lint", "neutral")])
    )

    (job,) = await world.run_jobs()

    assert (job.kind, job.state) == ("pr_event", "succeeded")
    result, offer = said(slack, CHANNEL, THREAD)
    assert visible(result.text) == "CI passed: 2 checks"
    assert f"{world.repo.pulls[pr].head_ref}" not in result.text
    assert f"/pull/{pr}/checks|2 checks>" in result.text
    value = f"{REPO}#{pr}@{HEAD}"
    assert buttons(offer) == {ACTION_APPROVE: value, ACTION_MERGE: value}
    assert f"checks passed on {HEAD[:7]}" in visible(offer.text)


@pytest.mark.parametrize(
    ("draft", "mergeable", "offered", "words"),
    [
        (True, None, {ACTION_READY}, "It is a draft."),
        (False, None, set(), "still checking for conflicts"),
        (False, False, set(), "conflicts with its base"),
    ],
)
async def test_the_merge_offer_follows_what_github_reports(
    world: World,
    slack: FakeSlack,
    draft: bool,
    mergeable: bool | None,
    offered: set[str],
    words: str,
) -> None:
    pr = await honk_pr(world, draft=draft, mergeable=mergeable)
    await world.deliver("check_suite", suite_passed(world, pr, [("tests", "success")]))

    await world.run_jobs()

    result, offer = said(slack, CHANNEL, THREAD)
    assert visible(result.text) == "CI passed: 1 check"
    assert set(buttons(offer)) == offered and words in visible(offer.text)
    assert all(v == f"{REPO}#{pr}@{HEAD}" for v in buttons(offer).values())


async def test_the_same_event_twice_is_one_line(world: World, slack: FakeSlack) -> None:
    pr = await honk_pr(world)
    delivery = suite_passed(world, pr, [("tests", "success")])
    for _ in range(2):
        await world.deliver("check_suite", delivery)  # GitHub redelivers with a new id too
        await world.deliver("deployment_status", deployed())
        await world.run_jobs()

    assert lines(slack)[0] == "CI passed: 1 check"
    assert len(lines(slack)) == 3  # CI, offer, preview: each once


async def test_no_line_while_checks_run_and_a_failure_gets_no_offer(
    world: World, slack: FakeSlack
) -> None:
    pr = await honk_pr(world)
    await world.deliver("check_suite", suite_passed(world, pr, [("tests", "success")]))
    world.repo.add_check_suite(HEAD, [("deploy-check", None)])  # another CI still running
    await world.run_jobs()
    assert lines(slack) == []

    world.repo.check_suites[max(world.repo.check_suites)].runs[0].conclusion = "failure"
    await world.deliver("check_suite", suite_passed(world, pr, [("build", "success")]))
    await world.run_jobs()

    assert lines(slack) == ["CI failed: 1 of 3 checks: deploy-check"]


async def test_a_stale_suite_says_nothing(world: World, slack: FakeSlack) -> None:
    pr = await honk_pr(world)
    delivery = suite_passed(world, pr, [("tests", "success")])
    world.repo.pulls[pr].head_sha = "1" * 40  # pushed since

    await world.deliver("check_suite", delivery)

    (job,) = await world.run_jobs()

    assert job.state == "succeeded" and "stale" in str(job.result)
    assert slack.messages == []


async def test_a_deployment_of_the_head_posts_its_link(world: World, slack: FakeSlack) -> None:
    pr = await honk_pr(world)
    await world.deliver("deployment_status", deployed(sha="2" * 40))  # not the PR's head
    await world.deliver("deployment_status", deployed())

    jobs = await world.run_jobs()

    assert [job.state for job in jobs] == ["succeeded", "succeeded"]
    (line,) = said(slack, CHANNEL, THREAD)
    assert visible(line.text) == "Preview ready: preview"
    assert line.text.startswith(f"<{PREVIEW}|Preview ready>")
    assert jobs[1].result == {"events": [{"event": "deployment", "pr": pr, "told": 1}]}


@pytest.mark.parametrize("named", [True, False])
async def test_a_workflow_runs_artifacts_are_linked(
    world: World, slack: FakeSlack, named: bool
) -> None:
    pr = await honk_pr(world)
    ids = add_run_artifacts(world.repo, 555, ["app-debug.apk", "coverage"])
    await world.deliver("workflow_run", run_completed(556, pr if named else None))  # no artifacts
    await world.deliver("workflow_run", run_completed(555, pr if named else None))

    jobs = await world.run_jobs()

    # Events naming their PR queue into one job (each still told); others are a job each.
    assert [job.state for job in jobs] == ["succeeded"] * (1 if named else 2)
    (line,) = said(slack, CHANNEL, THREAD)
    assert visible(line.text) == "Artifacts: app-debug.apk, coverage"
    run = f"https://github.com/{REPO}/actions/runs/555"
    assert f"<{run}/artifacts/{ids[0]}|app-debug.apk>" in line.text
    assert f"<{run}/artifacts/{ids[1]}|coverage>" in line.text


async def test_a_run_for_an_older_commit_links_nothing(world: World, slack: FakeSlack) -> None:
    pr = await honk_pr(world)
    add_run_artifacts(world.repo, 555, ["app-debug.apk"])
    await world.deliver("workflow_run", run_completed(555, pr, sha="3" * 40))

    await world.run_jobs()

    assert slack.messages == []
    assert not world.fake.requests_to("GET", r".*/actions/runs/555/artifacts")


async def test_a_github_started_pr_tells_its_linked_requester_by_dm(
    world: World, slack: FakeSlack
) -> None:
    await honk_pr(world, thread=False)
    accounts = world.worker.services.accounts
    await accounts.save_user(MONA, TokenGrant("ghu_" + "m" * 36))
    await accounts.link(SlackPerson(TEAM_ID, USER_ID), MONA.github_id)
    await world.deliver("deployment_status", deployed())

    await world.run_jobs()

    (dm,) = slack.calls_to("conversations.open")
    assert dm.args["users"] == USER_ID
    (line,) = [m for m in slack.messages if m.channel.startswith("D")]
    assert visible(line.text) == "Preview ready: preview" and line.thread_ts is None


async def test_an_unlinked_requester_of_a_github_started_pr_hears_nothing(
    world: World, slack: FakeSlack
) -> None:
    pr = await honk_pr(world, thread=False)
    await world.deliver("check_suite", suite_passed(world, pr, [("tests", "success")]))

    (job,) = await world.run_jobs()

    assert job.state == "succeeded" and slack.messages == []
    assert not world.fake.requests_to("GET", rf".*/pulls/{pr}$")  # nobody to tell: no lookups


async def test_approved_merged_and_closed_are_lines(world: World, slack: FakeSlack) -> None:
    pr = await honk_pr(world)
    review = world.repo.add_review(pr, "approved", "LGTM", "mona")
    approval = payload(
        "pull_request_review/submitted.approved.json",
        pull_request__number=pr,
        pull_request__head__ref=BRANCH,
        review__id=review,
        sender__login="mona",
    )
    closed = payload(
        "pull_request/closed.merged.json",
        number=pr,
        pull_request__number=pr,
        pull_request__head__ref=BRANCH,
        sender__login="mona",
    )
    for event, body in (("pull_request_review", approval), ("pull_request", closed)):
        await world.deliver(event, body)
        await world.run_jobs()

    assert lines(slack) == ["Approved by mona", "Merged by mona"]


async def test_closed_unmerged_is_a_line(world: World, slack: FakeSlack) -> None:
    pr = await honk_pr(world)
    closed = payload(
        "pull_request/closed.merged.json",
        number=pr,
        pull_request__number=pr,
        pull_request__merged=False,
        pull_request__head__ref=BRANCH,
    )
    await world.deliver("pull_request", closed)

    (job,) = await world.run_jobs()

    assert job.state == "succeeded" and lines(slack) == ["Closed without merging"]


async def test_slack_failing_never_fails_the_job_and_the_line_comes_later(
    world: World, slack: FakeSlack
) -> None:
    await honk_pr(world)
    slack.fail_next("chat.postMessage", "ratelimited")
    await world.deliver("deployment_status", deployed())

    (job,) = await world.run_jobs()

    assert job.state == "succeeded" and slack.messages == []
    await world.deliver("deployment_status", deployed())  # GitHub's next status for it
    await world.run_jobs()
    assert lines(slack) == ["Preview ready: preview"]  # the failed notice was given back


async def test_without_a_slack_token_nothing_is_told(world: World) -> None:
    pr = await honk_pr(world)
    await world.deliver("check_suite", suite_passed(world, pr, [("tests", "success")]))

    (job,) = await world.run_jobs()

    assert (job.kind, job.state) == ("pr_event", "succeeded")
    assert job.result == {"skipped": "Slack is not configured"}


async def followed(world: World) -> tuple[int, str]:
    """A Honk PR opened by the agent for a labelled issue, followed by a Slack thread."""
    issue, pr = await open_pr(world)
    await world.worker.services.slack_records.save_thread(
        SlackThread(TEAM_ID, CHANNEL, THREAD, REPO, pr, USER_ID, "mona")
    )
    return pr, f"honk/issue-{issue}"


@pytest.mark.usefixtures("needs_sandbox")
async def test_ci_failed_then_fixed_are_lines(world: World, slack: FakeSlack) -> None:
    pr, branch = await followed(world)
    edit = {"command": "create", "path": "CHANGELOG.md", "file_text": "- add() adds\n"}
    script_edit(world, edit, "Note the fix in the changelog")
    await world.deliver("check_suite", suite_failed(world, pr, branch))

    (job,) = await world.run_jobs()

    assert (job.kind, job.state) == ("ci_fix", "succeeded")
    sha = world.git("rev-parse", branch)
    failed, fixed = said(slack, CHANNEL, THREAD)
    assert visible(failed.text) == "CI failed: 1 of 2 checks: tests"
    assert visible(fixed.text) == f"CI fixed: {sha[:7]}"
    assert f"<https://github.com/{REPO}/pull/{pr}/commits/{sha}|" in fixed.text


@pytest.mark.usefixtures("needs_sandbox")
async def test_a_review_addressed_is_a_line_with_its_commit(world: World, slack: FakeSlack) -> None:
    pr, branch = await followed(world)
    review = world.repo.add_review(pr, "changes_requested", "Please document add().", "mona")
    comment = world.repo.add_review_comment(pr, "Add a docstring.", "mona", review_id=review)
    edit = {"command": "insert", "path": "calc.py", "insert_line": 1,
            "insert_text": '    """Return the sum of a and b."""'}  # fmt: skip
    script_edit(world, edit, f"Document add()\n\n## Replies\n- {comment}: Added it.")
    await world.deliver(
        "pull_request_review", reviewed(world, pr, review, "changes_requested", branch)
    )

    (job,) = await world.run_jobs()

    assert (job.kind, job.state) == ("address_review", "succeeded")
    sha = world.git("rev-parse", branch)
    assert lines(slack) == [f"Review addressed: {sha[:7]}"]
