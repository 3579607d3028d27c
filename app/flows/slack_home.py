"""A person's App Home tab, published when they open it: link state and their jobs with Stop."""

from __future__ import annotations

import logging
from typing import Any

from app.core.commands import SlackOrigin
from app.core.errors import SlackError
from app.core.slack_home import MAX_HOME_JOBS, Account, HomeJob, home_blocks
from app.flows.context import JobContext
from app.flows.slack_answers import fresh_link, person, sign_in_missing
from app.store.jobs import Job

log = logging.getLogger("honk.flows.slack")


async def publish_home(ctx: JobContext, origin: SlackOrigin) -> dict[str, Any]:
    """`views.publish` the Home tab (publishing again only replaces it: no duplicate)."""
    account = await home_account(ctx, origin)
    jobs = await ctx.services.slack_records.person_jobs(origin.team, origin.user, MAX_HOME_JOBS)
    blocks = home_blocks(account, [home_job(job) for job in jobs])
    try:
        await ctx.services.slack.publish_home(origin.user, blocks)
    except SlackError as exc:
        log.warning("Slack Home publish failed", extra={"job": ctx.job.id, "error": str(exc)})
        return {"home": False}
    return {"home": True, "jobs": len(jobs), "linked": account.login is not None}


async def home_account(ctx: JobContext, origin: SlackOrigin) -> Account:
    user = await ctx.services.accounts.linked_user(person(origin))
    if user is not None:
        return Account(login=user.login)
    url = await fresh_link(ctx, origin)
    return Account(link_url=url) if url else Account(missing=sign_in_missing(ctx))


def home_job(job: Job) -> HomeJob:
    return HomeJob(job.id, job.repo, job.number, job.state, pr_url(job))


def pr_url(job: Job) -> str | None:
    """The PR a job opened or worked on, as its result recorded it."""
    url = (job.result or {}).get("pr_url")
    return url if isinstance(url, str) else None
