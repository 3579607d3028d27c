"""A Slack request for work: the repository resolved, the person authorized like on GitHub, the
agent job queued, and within a second 👀 plus ONE status message in the thread.

Order: repository (explicit, the thread's job, the channel default, else how to name one) ->
linked? (else a fresh link, nothing queued) -> the App installed there? -> write, maintain or
admin? Then the job is queued first (its id goes in the status message), the status posted
(a slash command's status starts the thread), and the status and thread rows saved. A later
attempt of the same request job finds the queued job in its checkpoint and the status row, so
it neither queues nor posts twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from app.core.commands import Command, SlackOrigin
from app.core.errors import GitHubError, SlackError
from app.core.progress import run_url
from app.core.slack_blocks import JobStatus, status_message
from app.core.slack_mrkdwn import SlackMessage, message, short
from app.core.slack_requests import FixItem, Needs, Task, resolve_repository
from app.core.slack_texts import (
    joined_queued,
    name_a_repository,
    no_write_access,
    not_found,
    not_installed,
    thread_is_for,
)
from app.flows.context import JobContext
from app.flows.job import WRITERS
from app.flows.slack_answers import answer, link_text, notice_key, person
from app.github.client import RepoClient
from app.store.accounts import GitHubUser
from app.store.slack_records import SlackStatus, SlackThread

log = logging.getLogger("honk.flows.slack")
Result = dict[str, Any]


@dataclass(frozen=True)
class Writer:
    """A linked person with write access on `repo`, through the App's installation there."""

    user: GitHubUser
    repo: str
    installation_id: int
    client: RepoClient


@dataclass(frozen=True)
class Queued:
    """The agent job a request queued (or joined), and what its thread row records."""

    job_id: int
    joined: bool  # added to a queued job that has its status already
    pr_number: int | None


async def authorize(ctx: JobContext, origin: SlackOrigin, repo: str) -> Writer | Result:
    """The writer, or the refusal answered only to the person (nothing queued)."""
    user = await ctx.services.accounts.linked_user(person(origin))
    if user is None:
        await answer(ctx, origin, await link_text(ctx, origin))
        return {"answered": "not_linked"}
    installation_id = await ctx.services.github.installation_for(repo)
    if installation_id is None:
        await answer(ctx, origin, not_installed(repo))
        return {"answered": "not_installed", "repo": repo}
    client = await ctx.services.github.repo(installation_id, repo)
    if await client.permission(user.login) not in WRITERS:
        await answer(ctx, origin, no_write_access(repo, user.login))
        return {"answered": "no_write_access", "repo": repo}
    return Writer(user, repo, installation_id, client)


async def request_work(ctx: JobContext, origin: SlackOrigin, request: Task | FixItem) -> Result:
    """Resolve, authorize, queue and acknowledge a task or a fix of an issue or PR."""
    records = ctx.services.slack_records
    thread = None
    if origin.thread_ts is not None:
        thread = await records.thread(origin.team, origin.channel, origin.thread_ts)
    default = None
    if request.repo is None and thread is None:
        default = await records.channel_repo(origin.team, origin.channel)
    repo = resolve_repository(request.repo, thread.repo if thread else None, default)
    if isinstance(repo, Needs):
        await answer(ctx, origin, name_a_repository())
        return {"answered": "needs_repository"}
    if thread is not None and thread.repo != repo:  # a job's thread has one repository
        await answer(ctx, origin, thread_is_for(thread.repo))
        return {"answered": "thread_is_for", "repo": thread.repo}
    writer = await authorize(ctx, origin, repo)
    if not isinstance(writer, Writer):
        return writer
    origin = await _start_thread(ctx, origin, writer)
    queued = await _queue(ctx, origin, writer, request, thread)
    if queued is None:
        return {"answered": "not_found", "repo": repo}
    await acknowledge(ctx, origin, writer, queued)
    return {"queued": queued.job_id, "repo": repo, "joined": queued.joined}


async def _start_thread(ctx: JobContext, origin: SlackOrigin, writer: Writer) -> SlackOrigin:
    """A slash command has no thread yet: its status message starts one, posted before the job
    is queued, so the job and every follow-up know the thread from the start (one lock and
    one PR per thread). The message becomes the full status once the job has its id."""
    if origin.thread is not None:
        return origin
    saved = ctx.job.checkpoint or {}
    root = saved.get("root")
    if not isinstance(root, str):
        shown = message([f"*Queued*: {short(writer.repo, 100)}"])
        root = await ctx.services.slack.post(origin.channel, shown)  # SlackError: retried
        await ctx.services.queue.set_checkpoint(ctx.job.id, {"root": root})
    return replace(origin, thread_ts=root, status_ts=root)


async def _queue(
    ctx: JobContext,
    origin: SlackOrigin,
    writer: Writer,
    request: Task | FixItem,
    thread: SlackThread | None,
) -> Queued | None:
    """The queued job: from this job's checkpoint on a later attempt, else newly enqueued."""
    saved = ctx.job.checkpoint or {}
    if isinstance(saved.get("queued"), int):
        return Queued(saved["queued"], bool(saved.get("joined")), saved.get("pr_number"))
    command = await _command(ctx, origin, writer, request)
    if command is None:
        return None
    outcome, job_id = await ctx.services.queue.enqueue(command)
    pr_number = command.number if command.is_pull_request else None
    if thread is not None and command.kind == "slack_task":
        pr_number = thread.pr_number
    queued = Queued(job_id, outcome != "queued", pr_number)
    checkpoint: dict[str, Any] = {"queued": job_id, "joined": queued.joined, "pr_number": pr_number}
    if origin.status_ts is not None:
        checkpoint["root"] = origin.status_ts
    await ctx.services.queue.set_checkpoint(ctx.job.id, checkpoint)
    return queued


async def _command(
    ctx: JobContext,
    origin: SlackOrigin,
    writer: Writer,
    request: Task | FixItem,
) -> Command | None:
    """The agent job's command; None (answered) when the issue or PR does not exist."""
    request_id = ctx.job.command.delivery_id
    common: dict[str, Any] = {
        "repo": writer.repo,
        "installation_id": writer.installation_id,
        "sender": writer.user.login,
        "sender_id": writer.user.github_id,
        "slack": replace(origin, thread_ts=origin.thread, status_ts=None),
    }
    if isinstance(request, Task):
        task_id = f"{request_id}:task"
        return Command(
            kind="slack_task", number=None, delivery_id=task_id, notes=request.text, **common
        )
    try:
        issue = await writer.client.issue(request.number)
    except GitHubError as exc:
        if exc.status not in (404, 410):
            raise
        await answer(ctx, origin, not_found(writer.repo, request.number))
        return None
    return Command(
        kind="fix_pr" if issue.is_pull_request else "fix_issue",
        number=request.number,
        delivery_id=f"{request_id}:fix",
        notes=request.notes,
        is_pull_request=issue.is_pull_request,
        title=issue.title,
        body=issue.body,
        **common,
    )


async def acknowledge(ctx: JobContext, origin: SlackOrigin, writer: Writer, queued: Queued) -> None:
    """👀 on the person's message, then the status message (once) and the thread's rows."""
    slack, records = ctx.services.slack, ctx.services.slack_records
    if origin.ts is not None:
        try:
            await slack.react(origin.channel, origin.ts)
        except SlackError as exc:
            log.warning("Slack reaction failed", extra={"job": ctx.job.id, "error": str(exc)})
    if queued.joined:
        await answer(ctx, origin, joined_queued(queued.job_id), key="joined")
        return
    status = await records.status(queued.job_id)
    root = status.thread_ts if status is not None else origin.thread
    if status is None:
        shown = await _status(ctx, writer, queued.job_id)  # before the claim: GitHub may fail
        if await records.notice_once(notice_key(ctx, "status")):
            root = await _post_status(ctx, origin, queued.job_id, shown) or root
    if root is None:
        return  # the status could not be posted: the job's reporter posts its own
    thread = SlackThread(
        origin.team, origin.channel, root, writer.repo, queued.pr_number, origin.user,
        writer.user.login, queued.job_id, origin.is_dm,
    )  # fmt: skip
    await records.save_thread(thread)


async def _status(ctx: JobContext, writer: Writer, job_id: int) -> SlackMessage:
    """The queued status: repository, base branch, job (linked when Honk has a public URL)."""
    info = await writer.client.repository()
    link = run_url(ctx.settings.public_url, job_id)
    status = JobStatus(job_id, writer.repo, info.default_branch, "queued", run_url=link)
    return status_message(status)


async def _post_status(
    ctx: JobContext, origin: SlackOrigin, job_id: int, shown: SlackMessage
) -> str | None:
    """Post the status (top level for a slash command: it starts the thread) and save its
    row; the thread root, or None when Slack failed (logged)."""
    try:
        if origin.status_ts is not None:  # the message that started the thread
            await ctx.services.slack.update(origin.channel, origin.status_ts, shown)
            ts = origin.status_ts
        else:
            ts = await ctx.services.slack.post(origin.channel, shown, thread_ts=origin.thread)
    except SlackError as exc:
        log.warning("Slack status failed", extra={"job": job_id, "error": str(exc)})
        return None
    root = origin.thread or ts
    saved = SlackStatus(job_id, origin.team, origin.user, origin.channel, ts, root)
    await ctx.services.slack_records.save_status(saved)
    return root
