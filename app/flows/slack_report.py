"""A job's voice in Slack: its status message edited in place and one final message in its thread.

The status message is usually posted by the request's own job (app/flows/slack_request.py),
which may save it a moment after this job starts: the reporter waits up to
`STATUS_WAIT_SECONDS` for it, then posts its own. The status is edited as the job moves, at most
every `STATUS_EDIT_SECONDS` while it runs (a change that comes sooner is edited in when that
time is up), and once more when it ends, without its Stop button. The final message is NEW (an
edit does not notify a phone), mentions the requester and is posted once per job, across
retried attempts (`SlackStatus.final_ts`). Every Slack call is best effort: a Slack failure is
logged and never fails or retries the job.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import TypeVar

from app.agent.loop import TurnInfo
from app.core.commands import Command, SlackOrigin
from app.core.errors import HonkError
from app.core.progress import run_url
from app.core.slack_blocks import (
    STATUS_EDIT_SECONDS,
    JobState,
    JobStatus,
    Outcome,
    TestVerdict,
    final_message,
    status_edit_due,
    status_message,
)
from app.flows.report import Ending, Phase
from app.flows.services import Services
from app.store.accounts import SlackPerson
from app.store.jobs import Job
from app.store.slack_records import SlackStatus

log = logging.getLogger("honk.slack_report")
STATUS_WAIT_SECONDS = 2.0  # how long to wait for the request's own status message
STATUS_POLL_SECONDS = 0.1
T = TypeVar("T")


class SlackReport:
    """Keeps one job's Slack status true and gives the job its final message (a JobListener)."""

    def __init__(
        self,
        services: Services,
        job: Job,
        origin: SlackOrigin,
        *,
        repo: str,
        base_branch: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.services = services
        self.job = job
        self.origin = origin
        self.repo = repo
        self.base_branch = base_branch
        self.clock = clock
        self.state: JobState = "queued"
        self.turns = 0
        self.cost_usd = job.cost_usd
        self.status: SlackStatus | None = None
        self._last_edit: float | None = None
        self._pending: asyncio.Task[None] | None = None

    async def start(self, wait: float = STATUS_WAIT_SECONDS) -> None:
        """Find the job's status message (waiting up to `wait` seconds), else post one."""
        self.status = await self._quietly("find the status", self._find_status(wait))
        if self.status is None:
            self.status = await self._quietly("post a status", self._post_status())

    async def phase(self, phase: Phase) -> None:
        self.state = phase
        await self._edit()

    async def turn(self, info: TurnInfo) -> None:
        self.turns, self.cost_usd = info.turn, info.cost_usd
        await self._edit()

    async def ended(self, ending: Ending) -> None:
        """The last edit of the status; the final message unless the job is retried."""
        if ending.work is not None:
            self.turns, self.cost_usd = ending.work.agent.turns, ending.work.agent.cost_usd
        self.state = "queued" if ending.state == "retrying" else ending.state
        await self._edit(force=True)
        if ending.state != "retrying":
            await self._quietly("post the final message", self._post_final(ending))

    def outcome(self, ending: Ending) -> Outcome:
        """The final message's figures: the job's time since it was asked, its spend, its work."""
        work = ending.work
        tests: TestVerdict = "none"
        if work is not None and work.tests is not None:
            tests = "passed" if work.tests.passed else "failed"
        failing = None if work is None or work.tests is None else work.tests.failures
        return Outcome(
            job_id=self.job.id,
            state="done" if ending.state == "retrying" else ending.state,
            seconds=self.services.queue.clock() - self.job.created_at,
            cost_usd=self.cost_usd,
            pr_url=ending.pr_url,
            pr_label=ending.pr_label,
            files_changed=0 if work is None else len(work.changed),
            lines_added=0 if work is None else work.lines[0],
            lines_removed=0 if work is None else work.lines[1],
            tests=tests,
            reason=ending.reason,
            updated=ending.updated,
            failing=failing,
            unfinished=ending.unfinished,
        )

    @property
    def thread(self) -> str | None:
        """The thread the job speaks in: the status message's, or the one it starts."""
        if self.status is not None:
            return self.status.thread_ts or self.status.ts
        return self.origin.thread

    # -- the status message ---------------------------------------------------------------------

    def _status(self) -> JobStatus:
        link = run_url(self.services.settings.public_url, self.job.id)
        return JobStatus(
            self.job.id, self.repo, self.base_branch, self.state, self.turns, self.cost_usd,
            run_url=link,
        )  # fmt: skip

    async def _find_status(self, wait: float) -> SlackStatus | None:
        records, origin = self.services.slack_records, self.origin
        if origin.status_ts is not None:
            await records.save_status(self._row(origin.status_ts))
        for _ in range(max(1, round(wait / STATUS_POLL_SECONDS))):
            found = await records.status(self.job.id)
            if found is not None:
                return found
            await asyncio.sleep(STATUS_POLL_SECONDS)
        return await records.status(self.job.id)

    async def _post_status(self) -> SlackStatus | None:
        origin = self.origin
        ts = await self.services.slack.post(
            origin.channel, status_message(self._status()), thread_ts=origin.thread
        )
        self._last_edit = self.clock()
        await self.services.slack_records.save_status(self._row(ts))
        return await self.services.slack_records.status(self.job.id)

    def _row(self, ts: str, final_ts: str | None = None) -> SlackStatus:
        origin = self.origin
        return SlackStatus(
            self.job.id, origin.team, origin.user, origin.channel, ts, origin.thread, final_ts
        )

    async def _edit(self, *, force: bool = False) -> None:
        """Edit the status now when due, else once the edit interval is up (the newest state)."""
        if self.status is None:
            return
        now = self.clock()
        if force or status_edit_due(self._last_edit, now, self.state):
            self._cancel_pending()
            self._last_edit = now
            await self._quietly("edit the status", self._update(self.status))
        elif self._pending is None or self._pending.done():
            delay = STATUS_EDIT_SECONDS - (now - (self._last_edit or now))
            self._pending = asyncio.create_task(self._edit_later(delay))

    async def _update(self, status: SlackStatus) -> None:
        await self.services.slack.update(status.channel, status.ts, status_message(self._status()))

    async def _edit_later(self, delay: float) -> None:
        await asyncio.sleep(max(0.0, delay))
        self._pending = None
        await self._edit()

    def _cancel_pending(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None and pending is not asyncio.current_task():
            pending.cancel()

    # -- the final message ----------------------------------------------------------------------

    async def _post_final(self, ending: Ending) -> None:
        """Once per job: a later attempt finds `final_ts` and posts nothing."""
        records = self.services.slack_records
        status = await records.status(self.job.id)
        if status is not None and status.final_ts is not None:
            return
        text = final_message(self.outcome(ending), self.origin.user)
        ts = await self.services.slack.post(self.origin.channel, text, thread_ts=self.thread)
        if status is None:  # no status message: the final one is the job's record
            await records.save_status(self._row(ts, final_ts=ts))
        await records.set_final(self.job.id, ts)

    async def _quietly(self, what: str, call: Awaitable[T]) -> T | None:
        try:
            return await call
        except HonkError as exc:
            extra = {"job": self.job.id, "what": what, "error": str(exc)}
            log.warning("slack report failed", extra=extra)
            return None

    async def close(self) -> None:
        """Drop an edit still waiting (the job ended without its last word)."""
        pending = self._pending
        self._cancel_pending()
        if pending is not None:
            with suppress(asyncio.CancelledError):
                await pending


def slack_origin(commands: tuple[Command, ...]) -> SlackOrigin | None:
    """Where the newest request from Slack among `commands` came from (None: none did)."""
    return next((c.slack for c in reversed(commands) if c.slack is not None), None)


async def slack_report(
    services: Services, job: Job, commands: tuple[Command, ...], *, repo: str, base_branch: str
) -> SlackReport | None:
    """The started Slack reporter of a job asked for in Slack; None for a job from GitHub."""
    origin = slack_origin(commands)
    if origin is None:
        return None
    report = SlackReport(services, job, origin, repo=repo, base_branch=base_branch)
    await report.start()
    return report


async def still_linked(
    services: Services, commands: tuple[Command, ...]
) -> tuple[tuple[Command, ...], list[str]]:
    """The requests whose Slack person is still linked to the GitHub login they were made
    as (requests from GitHub pass), and why the others are dropped."""
    kept, refused = [], []
    for command in commands:
        origin = command.slack
        if origin is not None:
            user = await services.accounts.linked_user(SlackPerson(origin.team, origin.user))
            if user is None or user.login.lower() != command.sender.lower():
                reason = f"the Slack person who asked as @{command.sender} is no longer linked"
                refused += [] if reason in refused else [reason]
                continue
        kept.append(command)
    return tuple(kept), refused
