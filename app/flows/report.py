"""A job's voice on GitHub: the 👀 acknowledgement and one progress comment edited in place.

The comment is found again by its hidden marker `<!-- honk:progress job=N -->`, which stays at
its top for its whole life (the final word is written below it), so a retried attempt of the
same job takes the same comment over instead of starting another. Once found (or made), it is
edited by its id. Every edit is best effort: a GitHub failure on a progress edit is logged and
never fails the job.

A job with another place to report (a Slack thread) gives the Reporter a `JobListener`: it hears
each phase, each agent turn and how the job ended (`Ending`), and keeps its own failures to
itself. A job with no issue or PR (`number` None) reports to its listener only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Literal, Protocol

from app.agent.loop import TurnInfo
from app.core.errors import GitHubError, HonkError
from app.core.progress import Progress, Step, last_word, progress_comment
from app.flows.checkpoint import WorkResult
from app.github.client import RepoClient
from app.store.jobs import Job
from app.store.queue import Queue

log = logging.getLogger("honk.report")
TURN_EDIT_SECONDS = 10.0  # at most one edit per this many seconds for per-turn figures
Phase = Literal["queued", "working", "testing", "publishing"]
_PHASES: dict[Step, Phase] = {"queued": "queued", "working": "working", "testing": "testing"}


@dataclass(frozen=True)
class Ending:
    """How a job ended, for a listener: done (with its PR and work when it made one), failed,
    cancelled, or retrying (the queue runs it again; not its end yet). A failed or cancelled
    job can be `unfinished`: the agent stopped early and its work is on the PR as WIP."""

    state: Literal["done", "failed", "cancelled", "retrying"]
    reason: str = ""
    pr_url: str | None = None
    pr_label: str = "PR"
    updated: bool = False  # new commits on a PR that existed before the job
    work: WorkResult | None = None
    unfinished: bool = False


class JobListener(Protocol):
    """Another place a job reports to; each call is best effort and never raises."""

    async def phase(self, phase: Phase) -> None: ...

    async def turn(self, info: TurnInfo) -> None: ...

    async def ended(self, ending: Ending) -> None: ...


async def react(repo: RepoClient, kind: Literal["issue", "comment"], target: int) -> None:
    """👀, best effort: a comment deleted meanwhile must not fail the job it asked for."""
    try:
        await repo.react(kind, target)
    except GitHubError as exc:
        log.warning("could not react", extra={"target": target, "error": str(exc)})


class Reporter:
    """Acknowledges a job and keeps its progress comment true until its last word."""

    def __init__(
        self,
        repo: RepoClient,
        *,
        number: int | None,
        job_id: int,
        clock: Callable[[], float] = time.monotonic,
        listener: JobListener | None = None,
        public_url: str | None = None,
        comment: ProgressComment | None = None,
    ) -> None:
        self.repo = repo
        self.number = number
        self.job_id = job_id
        self.clock = clock
        self.started = clock()
        self.progress = Progress(job_id=job_id, public_url=public_url)  # links the run page
        self._last_edit = 0.0
        self.comment = comment or ProgressComment()
        self._comment_id = self.comment.known_id
        self.listener = listener

    async def acknowledge(self, comment_id: int | None) -> None:
        """👀 on the triggering comment (or the issue), then the checklist at `working`."""
        if self.number is not None:
            await react(self.repo, "comment" if comment_id else "issue", comment_id or self.number)
        await self.step("working")

    async def step(self, step: Step, *, pr_url: str | None = None, shown: bool = True) -> None:
        """The checklist at `step`; `shown` False: kept for the last word, which follows at
        once, so no edit is spent on it."""
        self.progress = replace(self.progress, step=step, pr_url=pr_url or self.progress.pr_url)
        if shown:
            await self._edit(progress_comment(self._timed()))
        if self.listener is not None and step in _PHASES:
            await self.listener.phase(_PHASES[step])

    async def publishing(self) -> None:
        """The work is being pushed and published (the checklist has no such step)."""
        if self.listener is not None:
            await self.listener.phase("publishing")

    async def turn(self, info: TurnInfo) -> None:
        """New figures after an agent turn, edited in at most every TURN_EDIT_SECONDS."""
        self.progress = replace(
            self.progress,
            turns=info.turn,
            input_tokens=info.usage.input_tokens + info.usage.cache_read_input_tokens,
            output_tokens=info.usage.output_tokens,
            cost_usd=info.cost_usd,
        )
        if self.clock() - self._last_edit >= TURN_EDIT_SECONDS:
            await self._edit(progress_comment(self._timed()))
        if self.listener is not None:
            await self.listener.turn(info)

    async def finish(self, text: str, ending: Ending | None = None) -> None:
        """The job's last word, in place of the checklist (the marker stays on top); the
        listener hears `ending` (a failure when none is given: `text` is for GitHub)."""
        await self._edit(last_word(self.job_id, text, self.progress.public_url))
        if self.listener is not None:
            await self.listener.ended(ending or Ending("failed", reason="see GitHub"))

    async def retrying(self, text: str, reason: str) -> None:
        """An attempt failed and the queue runs the job again: said on GitHub only where the
        job already shows a comment; the listener hears it."""
        if self.shown:
            await self._edit(last_word(self.job_id, text, self.progress.public_url))
        if self.listener is not None:
            await self.listener.ended(Ending("retrying", reason=reason))

    @property
    def shown(self) -> bool:
        """Whether this attempt has a progress comment (made or found) to edit."""
        return self._comment_id is not None

    @property
    def elapsed(self) -> float:
        return self.clock() - self.started

    def _timed(self) -> Progress:
        return replace(self.progress, elapsed_seconds=self.elapsed)

    async def _edit(self, body: str) -> None:
        if self.number is None:  # nowhere on GitHub to say it
            return
        self._last_edit = self.clock()
        try:
            if self._comment_id is not None:
                await self._edit_known(self._comment_id, body)
            elif self.comment.may_exist:  # an earlier attempt may have made it: find it
                self._comment_id = await self.repo.upsert_comment(
                    self.number, "progress", body, job=str(self.job_id)
                )
                await self.comment.remember(self._comment_id)
            else:
                await self._create(body)
        except GitHubError as exc:
            log.warning("progress edit failed", extra={"job": self.job_id, "error": str(exc)})

    async def _edit_known(self, comment_id: int, body: str) -> None:
        """Edit the comment by its id; one deleted meanwhile is made again."""
        try:
            await self.repo.edit_comment(comment_id, body)
        except GitHubError as exc:
            if exc.status != 404:
                raise
            self._comment_id = None
            await self._create(body)

    async def _create(self, body: str) -> None:
        assert self.number is not None
        self._comment_id = await self.repo.create_comment(self.number, body)
        await self.comment.remember(self._comment_id)


async def _nowhere(comment_id: int) -> None:
    return None


@dataclass(frozen=True)
class ProgressComment:
    """What a job knows of its progress comment: its id (`known_id`), else whether an earlier
    attempt or the waiting acknowledgement may have made it (`may_exist`: look for it by its
    marker before making one); `remember` keeps the id once it is made or found."""

    known_id: int | None = None
    may_exist: bool = True
    remember: Callable[[int], Awaitable[None]] = _nowhere


def comment_of(queue: Queue, job: Job, *, may_exist: bool) -> ProgressComment:
    """The job's progress comment as its row knows it (`may_exist`: made by an earlier attempt
    or while it waited, its id maybe not kept); a found or made comment's id is kept on the
    row, best effort."""

    async def remember(comment_id: int) -> None:
        if comment_id == job.progress_comment_id:
            return
        try:
            await queue.set_progress_comment(job.id, comment_id)
        except HonkError as exc:  # the next attempt looks for it by its marker
            log.warning("comment id not kept", extra={"job": job.id, "error": str(exc)})

    return ProgressComment(job.progress_comment_id, may_exist, remember)


async def progress_comment_id(repo: RepoClient, job: Job) -> int | None:
    """The id of a job's progress comment: kept on its row, else found by its marker."""
    if job.progress_comment_id is not None or job.command.number is None:
        return job.progress_comment_id
    found = await repo.find_own_comment(job.command.number, "progress", job=str(job.id))
    return None if found is None else found[0]
