"""`/honk stop`, `/honk retry` and `/honk help`: answered by people with write access only.

`stop` cancels what is queued on the issue or PR and asks the running job to stop before its
next step. `retry` queues the newest agent job there again, with all its requests. `help`
answers with the usage (and names an unknown command when that is what was written).
Each answer's marker names its job: an attempt of the job made again finds it, and says nothing.
"""

from __future__ import annotations

from dataclasses import replace

from app.core import messages, progress
from app.core.commands import JobKind
from app.flows.context import JobContext
from app.flows.job import JobRun, Result, run_job
from app.flows.report import progress_comment_id, react

AGENT_KINDS: tuple[JobKind, ...] = ("fix_issue", "fix_pr", "address_review", "ci_fix")


async def stop(ctx: JobContext) -> Result:
    return await run_job(ctx, _stop, acknowledge=False)


async def retry(ctx: JobContext) -> Result:
    return await run_job(ctx, _retry, acknowledge=False)


async def help_(ctx: JobContext) -> Result:
    return await run_job(ctx, _help, acknowledge=False)


async def _stop(run: JobRun) -> Result:
    await react_if(run, run.command.comment_id)
    ids = await run.services.queue.request_cancel(run.command.repo, run.number)
    for job_id in ids:
        await finalise_waiting(run, job_id)
    await answer_once(run, "stop", messages.stop_ack(ids, job_id=run.ctx.job.id))
    return {"cancelled": ids}


async def finalise_waiting(run: JobRun, job_id: int) -> None:
    """A job cancelled while it waited to retry ends now: its comment says so (a running job
    says it itself when it stops)."""
    job = await run.services.queue.get(job_id)
    if job is None or job.state != "cancelled" or job.attempts == 0:
        return
    found = await progress_comment_id(run.repo, job)
    if found is not None:
        text = messages.cancelled(run.command.sender, job_id=job_id)
        await run.repo.edit_comment(found, progress.last_word(job_id, text))


async def _retry(run: JobRun) -> Result:
    last = await run.services.queue.last_job(run.command.repo, run.number, AGENT_KINDS)
    if last is None:
        await answer_once(run, "retry", messages.nothing_to_retry(job_id=run.ctx.job.id))
        return {"retried": None}
    await react_if(run, run.command.comment_id)
    job_id = None
    for index, earlier in enumerate(last.commands):  # every request of that job, none dropped
        again = replace(
            earlier,
            delivery_id=f"retry-of-{last.id}-{index}-by-{run.command.delivery_id}",
            comment_id=run.command.comment_id,
        )
        _, job_id = await run.services.queue.enqueue(again)
    return {"retried": last.id, "job": job_id}


async def answer_once(run: JobRun, kind: str, text: str) -> None:
    """Post this job's answer unless an earlier attempt of the job already did (its marker
    names the job): a job attempted again never answers twice, even with other words."""
    await run.repo.create_comment_once(run.number, kind, text, job=str(run.ctx.job.id))


async def react_if(run: JobRun, comment_id: int | None) -> None:
    if comment_id is not None:
        await react(run.repo, "comment", comment_id)


async def _help(run: JobRun) -> Result:
    unknown = run.command.notes.strip() or None
    text = messages.help_text(unknown, label=run.services.settings.label, job_id=run.ctx.job.id)
    await answer_once(run, "help", text)
    return {"help": True, "unknown": unknown}
