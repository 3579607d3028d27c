"""The dashboard's queries: filtered keyset pages of jobs, and aggregates over jobs and PRs.

Pages are keyset-paginated on the primary key (newest first), so a page costs the same at
any depth; the filters narrow the same index walk. Aggregates group in the database.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, cast, func, or_, select
from sqlalchemy.dialects import postgresql

from app.store.engine import Store
from app.store.jobs import Job, JobReader
from app.store.tables import jobs, pull_requests

DAY = 86400.0
FINISHED = ("succeeded", "failed", "cancelled")


@dataclass(frozen=True)
class JobFilter:
    """Which jobs a page shows: the repositories the viewer may read (None: all), then the
    repository, state and requester (login, any case) asked for."""

    readable: frozenset[str] | None = None
    repo: str | None = None
    state: str | None = None
    person: str | None = None


@dataclass(frozen=True)
class JobPage:
    """One page, newest first; `next_before` continues it (None: the last page)."""

    jobs: list[Job]
    next_before: int | None


@dataclass(frozen=True)
class RepoSpend:
    repo: str
    cost_usd: float
    jobs: int


@dataclass(frozen=True)
class Aggregates:
    """The home page's numbers over the last `days` days."""

    days: int
    per_day: list[tuple[str, int]] = field(default_factory=list)  # (YYYY-MM-DD, jobs)
    finished: int = 0
    succeeded: int = 0
    prs: int = 0
    merged: int = 0
    closed: int = 0
    median_to_pr: float | None = None  # seconds from the first job on the issue to the PR
    cost_per_merged: float | None = None
    top_repos: list[RepoSpend] = field(default_factory=list)

    @property
    def success_rate(self) -> float | None:
        return None if not self.finished else self.succeeded / self.finished

    @property
    def merge_rate(self) -> float | None:
        """Merged among the PRs decided (merged or closed)."""
        decided = self.merged + self.closed
        return None if not decided else self.merged / decided


class JobSearch(JobReader):
    """Dashboard reads over the jobs and pull_requests tables."""

    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(store)
        self.clock = clock

    async def page(self, where: JobFilter, before: int | None = None, limit: int = 50) -> JobPage:
        """Up to `limit` jobs with ids below `before`, newest first."""
        if where.readable is not None and not where.readable:
            return JobPage([], None)
        query = select(jobs).where(*self._conditions(where)).order_by(jobs.c.id.desc())
        if before is not None:
            query = query.where(jobs.c.id < before)
        found = await self.select_jobs(query.limit(limit + 1))
        more = len(found) > limit
        return JobPage(found[:limit], found[limit - 1].id if more else None)

    def _conditions(self, where: JobFilter) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if where.readable is not None:
            conditions.append(jobs.c.repo.in_(sorted(where.readable)))
        if where.repo:
            conditions.append(jobs.c.repo == where.repo)
        if where.state:  # through lower(): the walk down the id, not ix_jobs_claim and a sort
            conditions.append(func.lower(jobs.c.state) == where.state)
        if where.person:
            conditions.append(func.lower(self._requester()) == where.person.lower())
        return conditions

    def _requester(self) -> ColumnElement[Any]:
        """The login that asked for the job (its first command's sender)."""
        if self.store.dialect == "postgresql":
            doc = cast(jobs.c.commands, postgresql.JSONB)
            return func.jsonb_extract_path_text(doc, "0", "sender")
        return func.json_extract(jobs.c.commands, "$[0].sender")

    async def aggregates(self, readable: frozenset[str] | None, days: int = 30) -> Aggregates:
        """Jobs per day, success rate, PR outcomes, time to PR, spend, over `days` days."""
        if readable is not None and not readable:
            return Aggregates(days)
        since = self.clock() - days * DAY
        async with self.store.transaction() as conn:
            daily = (await conn.execute(self._daily(readable, since))).all()
            spend = (await conn.execute(self._spend(readable, since))).all()
            pulls = (await conn.execute(self._pulls(readable, since))).mappings().all()
        per_day: dict[int, int] = {}
        finished = succeeded = 0
        for day, state, count in daily:
            per_day[int(day)] = per_day.get(int(day), 0) + int(count)
            finished += int(count) if state in FINISHED else 0
            succeeded += int(count) if state == "succeeded" else 0
        merged = [p for p in pulls if p["state"] == "merged"]
        waits = [p["created_at"] - p["first_job"] for p in pulls if p["first_job"] is not None]
        return Aggregates(
            days=days,
            per_day=[(_date(day), per_day[day]) for day in sorted(per_day)],
            finished=finished,
            succeeded=succeeded,
            prs=len(pulls),
            merged=len(merged),
            closed=sum(1 for p in pulls if p["state"] == "closed"),
            median_to_pr=statistics.median(waits) if waits else None,
            cost_per_merged=(
                sum(float(p["spend"] or 0) for p in merged) / len(merged) if merged else None
            ),
            top_repos=[RepoSpend(repo, float(usd or 0), int(n)) for repo, usd, n in spend],
        )

    def _scoped(self, query: Select[Any], column: Any, readable: frozenset[str] | None) -> Any:
        return query if readable is None else query.where(column.in_(sorted(readable)))

    def _daily(self, readable: frozenset[str] | None, since: float) -> Select[Any]:
        ratio = jobs.c.created_at / DAY
        day = func.floor(ratio) if self.store.dialect == "postgresql" else cast(ratio, Integer)
        query = (
            select(day.label("day"), jobs.c.state, func.count())
            .where(jobs.c.created_at >= since)
            .group_by(day, jobs.c.state)
        )
        scoped: Select[Any] = self._scoped(query, jobs.c.repo, readable)
        return scoped

    def _spend(self, readable: frozenset[str] | None, since: float, top: int = 5) -> Select[Any]:
        usd = func.sum(jobs.c.cost_usd)
        query = (
            select(jobs.c.repo, usd, func.count())
            .where(jobs.c.created_at >= since)
            .group_by(jobs.c.repo)
            .order_by(usd.desc(), jobs.c.repo)
            .limit(top)
        )
        scoped: Select[Any] = self._scoped(query, jobs.c.repo, readable)
        return scoped

    def _pulls(self, readable: frozenset[str] | None, since: float) -> Select[Any]:
        """Each PR with the first job on its issue and the spend of the jobs on it or its issue."""
        pr = pull_requests
        on_issue = (jobs.c.repo == pr.c.repo) & (jobs.c.number == pr.c.issue_number)
        first_job = select(func.min(jobs.c.created_at)).where(on_issue).scalar_subquery()
        on_either = (jobs.c.repo == pr.c.repo) & or_(
            jobs.c.number == pr.c.number, jobs.c.number == pr.c.issue_number
        )
        spend = select(func.sum(jobs.c.cost_usd)).where(on_either).scalar_subquery()
        query = select(
            pr.c.state,
            pr.c.created_at,
            first_job.label("first_job"),
            spend.label("spend"),
        ).where(pr.c.created_at >= since)
        scoped: Select[Any] = self._scoped(query, pr.c.repo, readable)
        return scoped


def _date(day: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(day * DAY))
