"""Ready for review, Approve and Merge clicked in Slack: made with the clicker's own user token.

Each acts on the PR and head commit the button was shown for (`owner/repo#N@SHA`): Ready and
Approve first check that the head did not move; Merge sends the SHA and lets GitHub refuse a moved
head. GitHub's refusals (review required, head moved, checks missing) reach the clicker as GitHub
gave them; with `slack.merge_requires_other_approver`, a merge whose only approval is the
requester's is refused before GitHub is asked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from app.core import slack_clicks, slack_texts
from app.core.errors import GitHubError, RepoConfigError
from app.core.repo_config import CONFIG_PATH, RepoConfig, parse_repo_config
from app.core.slack_blocks import MergeTarget, parse_merge_value
from app.flows.slack_click import Click, Result
from app.github.as_user import UserPull
from app.github.client import RepoClient, UserClient
from app.store.accounts import GitHubUser


@dataclass(frozen=True)
class Acting:
    """A merge-offer click, cleared to act: the target, the clicker and their own client."""

    click: Click
    target: MergeTarget
    user: GitHubUser
    repo: RepoClient  # the App's view of the repository (its settings file)
    as_user: UserClient  # the clicker's own token

    async def refuse_refusal(self, what: str, message: str) -> Result:
        return await self.click.refuse(slack_texts.github_refused(what, message), message)

    async def say(self, kind: str, text: str) -> None:
        """One line in the thread, keyed as the PR's webhook line of the same fact is keyed
        (app/flows/slack_lines.py), so GitHub's later event does not tell it again."""
        target, origin = self.target, self.click.origin
        place = f"{origin.channel}:{origin.thread}"
        await self.click.say_once(f"{target.repo}#{target.number}:{kind}:{place}", text)

    async def open_head(self, what: str) -> UserPull | Result:
        """The PR as the clicker sees it, when it is open and still at the shown head."""
        pull = await self.as_user.pull(self.target.repo, self.target.number)
        if pull.state != "open":
            return await self.click.refuse(slack_clicks.not_open(what, pull.state), "not open")
        if pull.head_sha != self.target.head_sha:
            text = slack_clicks.head_moved(what, self.target.head_sha, pull.head_sha)
            return await self.click.refuse(text, "head moved")
        return pull


Action = Callable[[Acting], Awaitable[Result]]


async def ready(click: Click) -> Result:
    return await _act(click, "mark it ready", _ready)


async def approve(click: Click) -> Result:
    return await _act(click, "approve", _approve)


async def merge(click: Click) -> Result:
    return await _act(click, "merge", _merge)


async def _act(click: Click, what: str, action: Action) -> Result:
    """Who (linked, a writer), their own token, then the action; a GitHub 4xx is shown."""
    target = parse_merge_value(click.origin.text)
    if target is None:
        return await click.refuse(slack_clicks.stale_button(), "bad value")
    found = await click.writer(target.repo, None)
    if not isinstance(found, tuple):
        return found
    user, repo = found
    token = await click.user_token(user)
    if not isinstance(token, str):
        return token
    acting = Acting(click, target, user, repo, click.services.github.as_user(token))
    try:
        return await action(acting)
    except GitHubError as exc:
        if exc.status is None or not 400 <= exc.status < 500 or exc.status == 429:
            raise
        return await acting.refuse_refusal(what, str(exc))


async def _ready(acting: Acting) -> Result:
    pull = await acting.open_head("marked ready")
    if not isinstance(pull, UserPull):
        return pull
    if not pull.draft:
        return await acting.click.refuse(slack_clicks.already_ready(), "not a draft")
    refusal = await acting.as_user.mark_ready(pull.node_id)
    if refusal is not None:
        return await acting.refuse_refusal("mark it ready", refusal.message)
    await acting.say("ready", slack_clicks.ready_for_review(acting.user.login))
    return {"action": "ready", "pr": acting.target.value(), "by": acting.user.login}


async def _approve(acting: Acting) -> Result:
    pull = await acting.open_head("approved")
    if not isinstance(pull, UserPull):
        return pull
    target = acting.target
    review = await acting.as_user.approve(target.repo, target.number, target.head_sha)
    if not isinstance(review, int):
        return await acting.refuse_refusal("approve", review.message)
    await acting.say(f"approved:{review}", slack_texts.approved(acting.user.login))
    return {"action": "approve", "pr": target.value(), "by": acting.user.login}


async def _merge(acting: Acting) -> Result:
    target, click = acting.target, acting.click
    try:
        config = await _config(acting.repo, click)
    except RepoConfigError as exc:
        return await click.refuse(slack_texts.github_refused("merge", str(exc)), "bad config")
    if config.merge_requires_other_approver and await _only_requester(acting):
        return await click.refuse(slack_texts.other_approver_needed(), "two-person rule")
    allowed = await acting.as_user.merge_methods(target.repo)
    method = slack_clicks.merge_method(allowed.squash, allowed.merge, allowed.rebase)
    if method is None:
        return await click.refuse(slack_clicks.no_merge_method(), "no merge method")
    refusal = await acting.as_user.merge(target.repo, target.number, target.head_sha, method)
    if refusal is not None:
        return await acting.refuse_refusal("merge", refusal.message)
    await acting.say("merged", slack_clicks.merged_with(acting.user.login, method))
    return {"action": "merge", "pr": target.value(), "method": method, "by": acting.user.login}


async def _config(repo: RepoClient, click: Click) -> RepoConfig:
    """`.github/honk.yml` from the default branch (RepoConfigError when invalid)."""
    info = await repo.repository()
    text = await repo.file_text(CONFIG_PATH, ref=info.default_branch)
    return parse_repo_config(text, click.services.settings)


async def _only_requester(acting: Acting) -> bool:
    """The two-person rule: no approval from anyone but the PR's requester."""
    target, services = acting.target, acting.click.services
    record = await services.pulls.get(target.repo, target.number)
    requester = record.requester if record is not None else None
    if requester is None:
        origin = acting.click.origin
        thread = await services.slack_records.thread(
            origin.team, origin.channel, origin.thread or ""
        )
        requester = thread.requester_login if thread is not None else None
    reviews = await acting.as_user.reviews(target.repo, target.number)
    approved_by = slack_clicks.approvers((review.user, review.state) for review in reviews)
    return slack_clicks.needs_other_approver(approved_by, requester)
