"""A button clicked in Slack (`slack_action` jobs): Stop, Retry, Ready for review, Approve, Merge.

Every click is authorized like a GitHub comment: the clicker must be linked, and the linked login
needs write, maintain or admin on the repository; otherwise only they see why, and nothing is
done. Stop and Retry act on the job the button names (its repository and installation); Ready
for review, Approve and Merge act with the clicker's own user token (app/flows/slack_merge.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace

from app.core import slack_blocks, slack_clicks, slack_texts
from app.core.errors import SlackError
from app.core.progress import run_url
from app.core.slack_blocks import JobStatus, status_message
from app.core.slack_mrkdwn import message
from app.flows.context import JobContext
from app.flows.slack_click import Click, Result
from app.flows.slack_merge import approve, merge, ready
from app.github.client import RepoClient
from app.store.accounts import GitHubUser
from app.store.jobs import Job

Handler = Callable[[Click], Awaitable[Result]]
ENDED = frozenset({"succeeded", "failed", "cancelled"})


async def run(ctx: JobContext) -> Result:
    """The flow of `slack_action` jobs."""
    click = Click.of(ctx)
    handler = HANDLERS.get(click.origin.action or "")
    if handler is None:
        return {"skipped": f"unknown action {click.origin.action}"}
    return await handler(click)


async def stop(click: Click) -> Result:
    """Cancel a queued job at once, or ask a running one to stop (within seconds)."""
    found = await _job_and_writer(click)
    if not isinstance(found, tuple):
        return found
    job, user, _ = found
    if not await click.services.queue.request_cancel_job(job.id):
        return await click.refuse(slack_clicks.job_ended(job.id, job.state), "already ended")
    await click.say_once(f"slack-stop:{job.id}", slack_texts.stopped_by(click.origin.user))
    await _settle_status(click, job.id)
    return {"action": "stop", "stopped": job.id, "by": user.login}


async def _settle_status(click: Click, job_id: int) -> None:
    """A job stopped before it ran never reports: its status shows it stopped, without Stop.
    (A running job edits its own status when it ends.) Best effort."""
    services = click.services
    job, status = await services.queue.get(job_id), await services.slack_records.status(job_id)
    if job is None or job.state != "cancelled" or job.attempts or status is None:
        return
    link = run_url(services.settings.public_url, job_id)
    shown = status_message(JobStatus(job_id, job.repo, "", "cancelled", run_url=link))
    with contextlib.suppress(SlackError):
        await services.slack.update(status.channel, status.ts, shown)


async def retry(click: Click) -> Result:
    """Queue an ended job's requests again (new delivery ids), answered once in the thread."""
    found = await _job_and_writer(click)
    if not isinstance(found, tuple):
        return found
    job, user, _ = found
    if job.state not in ENDED:
        return await click.refuse(slack_clicks.job_not_ended(job.id), "not ended")
    if not job.commands:
        return await click.refuse(slack_clicks.nothing_to_retry(job.id), "nothing to retry")
    key = f"slack-retry:{click.ctx.job.id}"
    if not await click.services.slack_records.notice_once(key):
        return {"action": "retry", "retried": job.id, "already": True}
    new_id = await _enqueue_again(click, job)
    text = slack_clicks.retried(click.origin.user, job.id, new_id)
    await click.services.slack.post(click.origin.channel, message([text]), click.origin.thread)
    return {"action": "retry", "retried": job.id, "job": new_id, "by": user.login}


async def _enqueue_again(click: Click, job: Job) -> int:
    """Every request of that job, none dropped, as control.py's `/honk retry` does."""
    delivery = click.ctx.job.command.delivery_id
    new_id = 0
    for index, earlier in enumerate(job.commands):
        again = replace(earlier, delivery_id=f"retry-of-{job.id}-{index}-by-{delivery}")
        _, new_id = await click.services.queue.enqueue(again)
    return new_id


async def _job_and_writer(click: Click) -> tuple[Job, GitHubUser, RepoClient] | Result:
    """The job the button names, with the clicker allowed to act on its repository."""
    job_id = slack_blocks.parse_job_value(click.origin.text)
    if job_id is None:
        return await click.refuse(slack_clicks.stale_button(), "bad value")
    job = await click.services.queue.get(job_id)
    if job is None or not job.command.repo:
        return await click.refuse(slack_clicks.no_such_job(job_id), "no such job")
    found = await click.writer(job.command.repo, job.command.installation_id)
    if not isinstance(found, tuple):
        return found
    return (job, *found)


HANDLERS: Mapping[str, Handler] = {
    slack_blocks.ACTION_STOP: stop,
    slack_blocks.ACTION_RETRY: retry,
    slack_blocks.ACTION_READY: ready,
    slack_blocks.ACTION_APPROVE: approve,
    slack_blocks.ACTION_MERGE: merge,
}
