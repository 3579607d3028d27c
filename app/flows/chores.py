"""What the light-lane worker does while idle: acknowledge jobs still waiting for a worker,
give abandoned jobs (their lease expired on every attempt) their last word, and sweep the data
directory by age (at most hourly)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from app.core import messages, progress
from app.core.commands import JobKind
from app.core.errors import HonkError
from app.flows.job import allowed_commands
from app.flows.report import Reporter, comment_of, progress_comment_id, react
from app.flows.retention import periodic_sweep
from app.flows.services import Services
from app.metrics import instruments as metrics
from app.store.jobs import Job

log = logging.getLogger("honk.chores")
# Jobs that acknowledge themselves when they start, and so may wait for a worker meanwhile.
WAITING_KINDS: tuple[JobKind, ...] = ("fix_issue", "fix_pr", "address_review")
# A job that waited this long found no free worker: acknowledge it while it waits.
ACKNOWLEDGE_AFTER_SECONDS = 1.0


def light_lane_chores(services: Services) -> Callable[[], Awaitable[None]]:
    settings = services.settings
    sweep = periodic_sweep(settings.data_dir, services.queue, settings.retention_days)

    async def chores() -> None:
        try:
            await sweep()
        except HonkError as exc:  # the database refused: the next sweep tries again
            log.warning("retention sweep failed", extra={"error": str(exc)})
        for job in await services.queue.abandoned_unreported():
            await report_abandoned(services, job)
        waiting = await services.queue.take_unacknowledged(WAITING_KINDS, ACKNOWLEDGE_AFTER_SECONDS)
        for job in waiting:
            await acknowledge_waiting(services, job)

    return chores


async def acknowledge_waiting(services: Services, job: Job) -> None:
    """👀 and the checklist at "Queued" for a job no worker is free to take yet; silence for
    requests from people who may not ask (the job itself ends silently later)."""
    command = job.command
    if command.number is None or command.installation_id is None:
        return
    try:
        repo = await services.github.repo(command.installation_id, command.repo)
        allowed, _ = await allowed_commands(repo, job.commands)
        if allowed:
            comment_id = allowed[-1].comment_id
            await react(repo, "comment" if comment_id else "issue", comment_id or command.number)
            reporter = Reporter(
                repo, number=command.number, job_id=job.id, public_url=services.settings.public_url,
                comment=comment_of(services.queue, job, may_exist=job.attempts > 0),
            )  # fmt: skip
            await reporter.step("queued")
            metrics.acknowledged((job.acknowledged_at or job.created_at) - job.created_at)
    except HonkError as exc:  # best effort: the job acknowledges itself when it starts
        log.warning("could not acknowledge a waiting job", extra={"job": job.id, "error": str(exc)})


async def report_abandoned(services: Services, job: Job) -> None:
    """The last word of a job no worker could keep alive (its lease expired every time): no
    flow ran to give it, so its progress comment would keep saying what it last said."""
    command = job.command
    try:
        if command.number is not None and command.installation_id is not None:
            repo = await services.github.repo(command.installation_id, command.repo)
            found = await progress_comment_id(repo, job)
            if found is not None:
                text = messages.final_failure(job.error or "the job was abandoned", job_id=job.id)
                await repo.edit_comment(found, progress.last_word(job.id, text))
    except HonkError as exc:  # best effort: the job itself is already recorded as failed
        log.warning("could not report an abandoned job", extra={"job": job.id, "error": str(exc)})
    await services.queue.mark_reported(job.id)
