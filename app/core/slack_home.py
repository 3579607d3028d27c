"""A person's App Home tab as Block Kit: their GitHub link state, then their running jobs (each
with Stop) and their recent ones, newest first, each with its repository, state and PR link."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.core.slack_blocks import ACTION_STOP
from app.core.slack_mrkdwn import Block, button, context, link, section, short
from app.core.slack_texts import link_first, linked, sign_in_not_set_up

MAX_HOME_JOBS = 10
RUNNING_STATES = frozenset({"queued", "running"})
_STATE_WORD = {
    "queued": "Queued",
    "running": "Running",
    "done": "Done",
    "failed": "Failed",
    "cancelled": "Stopped",
}


@dataclass(frozen=True)
class Account:
    """The person's link state: `login` when linked; else the single-use `link_url`, or what
    an admin must set before anyone can link (`missing`)."""

    login: str | None = None
    link_url: str | None = None
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class HomeJob:
    """One of the person's jobs; `state` is the job row's (queued, running, done, ...)."""

    job_id: int
    repo: str
    number: int | None
    state: str
    pr_url: str | None = None

    @property
    def running(self) -> bool:
        return self.state in RUNNING_STATES


def home_blocks(account: Account, jobs: Sequence[HomeJob]) -> list[Block]:
    """The Home tab: link state first, then running jobs with Stop, then the recent ones."""
    blocks = [section("*Honk*\n" + _account_text(account)), {"type": "divider"}]
    shown = list(jobs[:MAX_HOME_JOBS])
    running = [job for job in shown if job.running]
    finished = [job for job in shown if not job.running]
    if not shown:
        blocks.append(section("No jobs yet. `help` shows how to start one."))
    if running:
        blocks.append(section("*Running*"))
        blocks.extend(_running_block(job) for job in running)
    if finished:
        blocks.append(section("*Recent*\n" + "\n".join(job_line(job) for job in finished)))
    blocks.append(context("Write `/honk help`, mention Honk, or DM it."))
    return blocks


def job_line(job: HomeJob) -> str:
    """`Job 42: owner/repo#12 · Done · PR`, the PR linked."""
    target = short(job.repo, 40) + (f"#{job.number}" if job.number else "")
    state = _STATE_WORD.get(job.state, short(job.state, 12))
    pr = f" · {link(job.pr_url, 'PR')}" if job.pr_url else ""
    return f"Job {job.job_id}: {target} · {state}{pr}"


def _running_block(job: HomeJob) -> Block:
    stop = button("Stop", ACTION_STOP, str(job.job_id), "danger", confirm=f"Stop job {job.job_id}?")
    return {**section(job_line(job)), "accessory": stop}


def _account_text(account: Account) -> str:
    if account.login is not None:
        return linked(account.login) + " `unlink` disconnects it."
    if account.link_url is not None:
        return link_first(account.link_url)
    return sign_in_not_set_up(account.missing)
