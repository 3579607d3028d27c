"""The `slack_request` job: what a person wrote to Honk in Slack, answered or turned into work.

It never runs the agent (light lane). The text is read with `parse_slack_text`; usage, errors,
`link`, `unlink` and `jobs` are answered only to the person; `repo owner/repo` sets the
channel's repository for a linked writer and says so in the channel; a task or `owner/repo#N`
goes to app/flows/slack_work.py; opening the App Home tab publishes it (slack_home.py).
"""

from __future__ import annotations

from typing import Any

from app.core.commands import SlackOrigin
from app.core.errors import FlowError
from app.core.slack_requests import (
    Empty,
    FixItem,
    Help,
    Jobs,
    Link,
    SetRepo,
    SlackRequest,
    Task,
    Unknown,
    Unlink,
    parse_slack_text,
)
from app.core.slack_texts import (
    JobLine,
    channel_repository_set,
    help_text,
    jobs_list,
    linked,
    request_error,
    unlinked,
)
from app.flows.context import JobContext
from app.flows.slack_answers import announce, answer, link_text, person
from app.flows.slack_home import pr_url, publish_home
from app.flows.slack_work import Writer, authorize, request_work

Result = dict[str, Any]
HOME = "home"


async def run(ctx: JobContext) -> Result:
    origin = ctx.job.command.slack
    if origin is None:
        raise FlowError("a slack_request job carries no Slack origin")
    if origin.action == HOME:
        return await publish_home(ctx, origin)
    request = parse_slack_text(origin.text)
    if isinstance(request, Task | FixItem):
        return await request_work(ctx, origin, request)
    return await _answer_request(ctx, origin, request)


async def _answer_request(ctx: JobContext, origin: SlackOrigin, request: SlackRequest) -> Result:
    match request:
        case Help():
            await answer(ctx, origin, help_text())
        case Unknown(reason=reason) | Empty(reason=reason):
            await answer(ctx, origin, request_error(reason))
        case Link():
            return await _link(ctx, origin)
        case Unlink():
            await ctx.services.accounts.unlink(person(origin))
            await answer(ctx, origin, unlinked())
        case Jobs():
            await answer(ctx, origin, await _jobs(ctx, origin))
        case SetRepo(repo=repo):
            return await _set_repo(ctx, origin, repo)
    return {"answered": type(request).__name__.lower()}


async def _link(ctx: JobContext, origin: SlackOrigin) -> Result:
    """A fresh single-use link (or, already linked, who to; `unlink` first to change it)."""
    user = await ctx.services.accounts.linked_user(person(origin))
    text = await link_text(ctx, origin)
    if user is not None:
        text = linked(user.login) + "\n" + text
    await answer(ctx, origin, text)
    return {"answered": "link", "linked": user is not None}


async def _jobs(ctx: JobContext, origin: SlackOrigin) -> str:
    jobs = await ctx.services.slack_records.person_jobs(origin.team, origin.user)
    lines = [JobLine(j.id, j.repo, j.number, j.state, j.cost_usd, pr_url(j)) for j in jobs]
    return jobs_list(lines)


async def _set_repo(ctx: JobContext, origin: SlackOrigin, repo: str) -> Result:
    """The channel's default repository, for a linked writer on it; said in the channel."""
    writer = await authorize(ctx, origin, repo)
    if not isinstance(writer, Writer):
        return writer
    await ctx.services.slack_records.set_channel_repo(
        origin.team, origin.channel, repo, writer.user.login
    )
    await announce(ctx, origin, channel_repository_set(repo), key="repository")
    return {"answered": "setrepo", "repo": repo}
