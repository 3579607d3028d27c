"""Slack end to end, the PR's later life: CI and deployment lines in the thread, the merge offer,
Merge under branch protection with the clicker's own user token, a token refreshed after it
expired; and signed requests that are not Slack's. Through Honk's real app, as a person would."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest

from app.core.slack_blocks import ACTION_APPROVE, ACTION_MERGE, ACTION_STOP
from app.core.slack_mrkdwn import visible
from tests.fakes import slack_requests as sr
from tests.fakes.github.oauth import ACCESS_SECONDS
from tests.fakes.slack_api import PostedMessage
from tests.fakes.slack_requests import BOT_USER_ID, CHANNEL_ID, USER_ID
from tests.flows.slack_e2e import ASK, FIRST, WRITER, SlackE2E, asked_pr
from tests.flows.test_pr_event import suite_passed
from tests.flows.world import REPO, payload

pytestmark = pytest.mark.httpx2(assert_all_called=False)
sandboxed = pytest.mark.usefixtures("needs_sandbox")
PREVIEW = "https://pr.preview.example.com"
HEAD = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
REFUSED = "At least 1 approving review is required by reviewers with write access."


def values(message: PostedMessage) -> dict[str, str]:
    """A message's buttons: action id -> value."""
    return {
        element["action_id"]: element["value"]
        for block in message.blocks or []
        if block.get("type") == "actions"
        for element in block["elements"]
    }


def lines_after(e2e: SlackE2E, message: PostedMessage) -> list[str]:
    """What Honk said in the thread after `message`, as a phone shows it."""
    later = [m for m in e2e.thread(FIRST) if float(m.ts) > float(message.ts)]
    return [visible(m.text) for m in later]


async def offered(e2e: SlackE2E, pr_url: str) -> tuple[int, PostedMessage]:
    """The PR marked ready on GitHub and its checks passed: its number and the merge offer."""
    world, pr = e2e.world, int(pr_url.rsplit("/", 1)[1])
    world.repo.pulls[pr].draft = False
    world.repo.pulls[pr].mergeable = True
    response = await world.deliver("check_suite", suite_passed(world, pr, [("tests", "success")]))
    assert response.status_code == 202, response.text
    (job,) = await e2e.run_light()
    assert (job.kind, job.state) == ("pr_event", "succeeded"), job.error
    offer = e2e.thread(FIRST)[-1]
    assert set(values(offer)) == {ACTION_APPROVE, ACTION_MERGE}
    return pr, offer


def authorizations(e2e: SlackE2E, method: str, path: str) -> list[str]:
    return [r.headers["authorization"] for r in e2e.world.fake.requests_to(method, path)]


@sandboxed
async def test_ci_and_a_deployment_bring_their_lines_the_offer_and_merge(e2e: SlackE2E) -> None:
    world = e2e.world
    await e2e.link(USER_ID)
    task_id, pr_url = await asked_pr(e2e)
    (final,) = await e2e.view.finals(task_id)

    pr, offer = await offered(e2e, pr_url)
    head = world.repo.pulls[pr].head_sha
    deployment = payload(
        "deployment_status/created.with-installation.json",
        deployment__ref=world.repo.pulls[pr].head_ref, deployment__sha=head,
        deployment_status__environment="preview", deployment_status__environment_url=PREVIEW,
        sender__login="vercel[bot]", sender__type="Bot",
    )  # fmt: skip
    await world.deliver("deployment_status", deployment)
    await e2e.run_light()

    pinned = f"{REPO}#{pr}@{head}"
    assert values(offer) == {ACTION_APPROVE: pinned, ACTION_MERGE: pinned}
    ci, offer_line, preview = lines_after(e2e, final)
    assert ci == "CI passed: 1 check" and f"checks passed on {head[:7]}" in offer_line
    assert preview == "Preview ready: preview"
    assert e2e.thread(FIRST)[-1].text.startswith(f"<{PREVIEW}|Preview ready>")

    await e2e.click(ACTION_MERGE, values(offer)[ACTION_MERGE], offer, USER_ID)
    (click,) = await e2e.run_light()

    assert click.result is not None and click.result["method"] == "squash"
    assert world.repo.pulls[pr].merged
    assert lines_after(e2e, final)[-1] == "Merged by mona (squash)"


@sandboxed
async def test_merge_refused_by_protection_then_made_after_another_writers_approval(
    e2e: SlackE2E,
) -> None:
    world = e2e.world
    world.repo.set_permission("hubot", "maintain")
    world.repo.merging.required_approvals = 1
    mona, hubot = await e2e.link(USER_ID), await e2e.link(WRITER)
    _, pr_url = await asked_pr(e2e)
    pr, offer = await offered(e2e, pr_url)
    value = values(offer)[ACTION_MERGE]

    await e2e.click(ACTION_MERGE, value, offer, USER_ID)
    (refused,) = await e2e.run_light()
    await e2e.click(ACTION_APPROVE, value, offer, WRITER)
    (approved,) = await e2e.run_light()
    await e2e.click(ACTION_MERGE, value, offer, USER_ID)
    (merged,) = await e2e.run_light()
    closed = payload(
        "pull_request/closed.merged.json", number=pr, pull_request__number=pr,
        pull_request__head__ref=world.repo.pulls[pr].head_ref, sender__login="mona",
    )  # fmt: skip
    await world.deliver("pull_request", closed)
    await world.run_jobs()

    assert refused.result is not None and refused.result["refused"] == REFUSED
    assert e2e.ephemerals() == [f"GitHub refused to merge:\n{REFUSED}"]
    assert approved.result is not None and approved.result["by"] == "hubot"
    assert merged.result is not None and merged.result["by"] == "mona"
    assert world.repo.pulls[pr].merged
    path = f"/repos/{REPO}/pulls/{pr}"
    assert authorizations(e2e, "POST", path + "/reviews") == [f"token {hubot}"]
    assert authorizations(e2e, "PUT", path + "/merge") == [f"token {mona}"] * 2
    assert not set(world.fake.tokens) & {mona, hubot}  # never an installation token
    said = lines_after(e2e, offer)
    assert said.count("Approved by hubot") == 1
    assert [line for line in said if line.startswith("Merged")] == ["Merged by mona (squash)"]


async def test_an_expired_user_token_is_refreshed_and_merge_acts_with_the_new_one(
    e2e: SlackE2E,
) -> None:
    world = e2e.world
    old = await e2e.link(USER_ID)
    pr = world.repo.add_pull("honk/slack-9", user="honk[bot]", head_sha=HEAD)
    offer = PostedMessage(CHANNEL_ID, "1765000400.000400", "checks passed", FIRST)
    e2e.clock.advance(ACCESS_SECONDS + 1)  # GitHub's 8 hours went by

    await e2e.click(ACTION_MERGE, f"{REPO}#{pr}@{HEAD}", offer, USER_ID)
    (click,) = await e2e.run_light()

    assert click.result is not None and click.result["by"] == "mona", click.result
    assert e2e.oauth.token_posts[-1]["grant_type"] == "refresh_token"
    (used,) = authorizations(e2e, "PUT", f"/repos/{REPO}/pulls/{pr}/merge")
    assert used != f"token {old}" and used.removeprefix("token ") in e2e.oauth.access
    assert world.repo.pulls[pr].merged


SIGNATURES: dict[str, dict[str, Any]] = {
    "another secret": {"secret": "not-the-signing-secret"},
    "stale": {"timestamp": int(time.time()) - 600},
    "missing": {},
}
BODIES = [
    (json.dumps(sr.event_callback_payload(sr.app_mention(f"<@{BOT_USER_ID}> {ASK}"))), "json"),
    (urlencode(sr.slash_command_fields(ASK)), "form"),
    (urlencode({"payload": json.dumps(sr.block_actions_payload(ACTION_STOP, "1"))}), "form"),
]


@pytest.mark.parametrize("bad", list(SIGNATURES))
async def test_a_request_not_signed_by_slack_is_401_and_queues_nothing(
    e2e: SlackE2E, bad: str
) -> None:
    statuses = []
    for body, kind in BODIES:
        content_type = "application/json" if kind == "json" else sr.FORM
        request = sr.signed(body.encode(), content_type, **SIGNATURES[bad])
        headers = dict(request.headers)
        if bad == "missing":
            del headers["X-Slack-Signature"]
        response = await e2e.honk.post("/slack/events", content=request.body, headers=headers)
        statuses.append(response.status_code)

    assert statuses == [401, 401, 401]
    assert await e2e.jobs() == []
    assert e2e.slack.calls == []
