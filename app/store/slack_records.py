"""Slack's records: channel defaults, job threads (repository, PR), status messages, notices."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import RowMapping, select, update

from app.store.engine import Store
from app.store.jobs import Job, JobReader, dialect_insert
from app.store.tables import jobs, slack_channels, slack_notices, slack_statuses, slack_threads


@dataclass(frozen=True)
class SlackThread:
    """A Slack thread Honk works in: its repository, its PR once opened, who started it."""

    slack_team: str
    channel: str
    thread_ts: str
    repo: str
    pr_number: int | None
    requester: str  # Slack user id
    requester_login: str  # the linked GitHub login
    last_job_id: int | None = None
    is_dm: bool = False

    @classmethod
    def from_row(cls, row: RowMapping) -> SlackThread:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class SlackStatus:
    """A job's status message in Slack (edited in place) and its final message, once posted."""

    job_id: int
    slack_team: str
    slack_user: str
    channel: str
    ts: str
    thread_ts: str | None
    final_ts: str | None = None

    @classmethod
    def from_row(cls, row: RowMapping) -> SlackStatus:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})


class SlackRecords:
    """Reads and writes `slack_channels`, `slack_threads`, `slack_statuses`, `slack_notices`."""

    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    async def set_channel_repo(self, team: str, channel: str, repo: str, login: str) -> None:
        """The channel's default repository (replacing an earlier one)."""
        values = {"slack_team": team, "channel": channel, "repo": repo, "set_by": login}
        async with self.store.transaction(write=True) as conn:
            statement = dialect_insert(conn)(slack_channels).values(**values, set_at=self.clock())
            await conn.execute(
                statement.on_conflict_do_update(
                    index_elements=[slack_channels.c.slack_team, slack_channels.c.channel],
                    set_={"repo": repo, "set_by": login, "set_at": self.clock()},
                )
            )

    async def channel_repo(self, team: str, channel: str) -> str | None:
        query = select(slack_channels.c.repo).where(
            slack_channels.c.slack_team == team, slack_channels.c.channel == channel
        )
        async with self.store.transaction() as conn:
            return (await conn.execute(query)).scalar_one_or_none()

    async def save_thread(self, thread: SlackThread) -> None:
        """Insert the thread, or move it to its newest job (repository and PR kept if set)."""
        now = self.clock()
        values = {**thread.__dict__, "created_at": now, "updated_at": now}
        changes: dict[str, object] = {"last_job_id": thread.last_job_id, "updated_at": now}
        if thread.pr_number is not None:
            changes["pr_number"] = thread.pr_number
        keys = [slack_threads.c.slack_team, slack_threads.c.channel, slack_threads.c.thread_ts]
        async with self.store.transaction(write=True) as conn:
            statement = dialect_insert(conn)(slack_threads).values(values)
            await conn.execute(statement.on_conflict_do_update(index_elements=keys, set_=changes))

    async def thread(self, team: str, channel: str, thread_ts: str) -> SlackThread | None:
        query = select(slack_threads).where(
            slack_threads.c.slack_team == team,
            slack_threads.c.channel == channel,
            slack_threads.c.thread_ts == thread_ts,
        )
        async with self.store.transaction() as conn:
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else SlackThread.from_row(row)

    async def attach_pull(self, team: str, channel: str, thread_ts: str, number: int) -> None:
        """The thread's PR, once the job opened it."""
        statement = (
            update(slack_threads)
            .where(
                slack_threads.c.slack_team == team,
                slack_threads.c.channel == channel,
                slack_threads.c.thread_ts == thread_ts,
            )
            .values(pr_number=number, updated_at=self.clock())
        )
        async with self.store.transaction(write=True) as conn:
            await conn.execute(statement)

    async def threads_for_pull(self, repo: str, number: int) -> list[SlackThread]:
        """Every Slack thread that follows this PR (oldest first)."""
        query = (
            select(slack_threads)
            .where(slack_threads.c.repo == repo, slack_threads.c.pr_number == number)
            .order_by(slack_threads.c.created_at)
        )
        async with self.store.transaction() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [SlackThread.from_row(row) for row in rows]

    async def save_status(self, status: SlackStatus) -> None:
        """A job's status message (the first one stays: a retried attempt edits it)."""
        values = {**status.__dict__, "created_at": self.clock()}
        async with self.store.transaction(write=True) as conn:
            statement = dialect_insert(conn)(slack_statuses).values(values)
            await conn.execute(
                statement.on_conflict_do_nothing(index_elements=[slack_statuses.c.job_id])
            )

    async def status(self, job_id: int) -> SlackStatus | None:
        query = select(slack_statuses).where(slack_statuses.c.job_id == job_id)
        async with self.store.transaction() as conn:
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else SlackStatus.from_row(row)

    async def set_final(self, job_id: int, final_ts: str) -> None:
        """The job's final message was posted (it is never posted again)."""
        statement = (
            update(slack_statuses)
            .where(slack_statuses.c.job_id == job_id)
            .values(final_ts=final_ts)
        )
        async with self.store.transaction(write=True) as conn:
            await conn.execute(statement)

    async def person_jobs(self, team: str, user: str, limit: int = 10) -> list[Job]:
        """The jobs this Slack person asked for, newest first."""
        query = (
            select(jobs)
            .join(slack_statuses, slack_statuses.c.job_id == jobs.c.id)
            .where(slack_statuses.c.slack_team == team, slack_statuses.c.slack_user == user)
            .order_by(jobs.c.id.desc())
            .limit(limit)
        )
        return await JobReader(self.store).select_jobs(query)

    async def notice_once(self, key: str) -> bool:
        """True the first time `key` is claimed (post the notice), False ever after."""
        async with self.store.transaction(write=True) as conn:
            statement = dialect_insert(conn)(slack_notices).values(key=key, posted_at=self.clock())
            inserted = await conn.execute(
                statement.on_conflict_do_nothing(index_elements=[slack_notices.c.key]).returning(
                    slack_notices.c.key
                )
            )
            return inserted.first() is not None

    async def forget_notice(self, key: str) -> None:
        """Give a claimed notice back (its post failed: a later attempt may post it)."""
        async with self.store.transaction(write=True) as conn:
            await conn.execute(slack_notices.delete().where(slack_notices.c.key == key))
