"""Job rows: the Job record and the SQL that reads, inserts and updates the jobs table."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    RowMapping,
    Select,
    Text,
    and_,
    cast,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.commands import Command, JobKind
from app.store.engine import Store
from app.store.tables import JOB_STATES, QUEUED_ONLY, JobState, jobs

# At most this many requests are merged into one queued job; later ones are not added.
MAX_COALESCED = 20


@dataclass(frozen=True)
class Job:
    """One row of the jobs table, JSON columns parsed."""

    id: int
    kind: JobKind
    repo: str
    number: int | None
    installation_id: int | None
    delivery_id: str | None
    dedupe_key: str | None
    lock_key: str | None
    state: JobState
    commands: tuple[Command, ...]
    attempts: int
    max_attempts: int
    run_after: float
    lease_owner: str | None
    lease_expires_at: float | None
    cancel_requested: bool
    error: str | None
    result: dict[str, Any] | None
    cost_usd: float
    created_at: float
    updated_at: float
    started_at: float | None
    finished_at: float | None
    acknowledged_at: float | None
    checkpoint: dict[str, Any] | None
    progress_comment_id: int | None = None  # made by an earlier attempt or while it waited

    @property
    def command(self) -> Command:
        """The latest request coalesced into this job."""
        return self.commands[-1]

    @classmethod
    def from_row(cls, row: RowMapping) -> Job:
        values = dict(row)
        values["commands"] = tuple(Command.from_dict(c) for c in json.loads(values["commands"]))
        values["result"] = None if values["result"] is None else json.loads(values["result"])
        saved = values.get("checkpoint")
        values["checkpoint"] = None if saved is None else json.loads(saved)
        values["cancel_requested"] = bool(values["cancel_requested"])
        return cls(**values)


# -- reading ------------------------------------------------------------------------------


class JobReader:
    """Read-only queries over the jobs table (the Queue extends it with the write path)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def get(self, job_id: int) -> Job | None:
        """The job with this id, or None."""
        jobs_found = await self.select_jobs(select(jobs).where(jobs.c.id == job_id))
        return jobs_found[0] if jobs_found else None

    async def recent(self, limit: int = 50) -> list[Job]:
        """The newest jobs first."""
        return await self.select_jobs(select(jobs).order_by(jobs.c.id.desc()).limit(limit))

    async def last_job(
        self, repo: str, number: int, kinds: Collection[JobKind] | None = None
    ) -> Job | None:
        """The newest job on an issue/PR, optionally of the given kinds (for `/honk retry`)."""
        query = select(jobs).where(jobs.c.repo == repo, jobs.c.number == number)
        if kinds is not None:
            query = query.where(jobs.c.kind.in_(list(kinds)))
        found = await self.select_jobs(query.order_by(jobs.c.id.desc()).limit(1))
        return found[0] if found else None

    async def earlier(
        self, repo: str, before: int, kinds: Collection[JobKind], limit: int = 50
    ) -> list[Job]:
        """Jobs of `kinds` on `repo` older than job `before`, newest first (whose work a new
        job may continue)."""
        query = select(jobs).where(
            jobs.c.repo == repo, jobs.c.id < before, jobs.c.kind.in_(list(kinds))
        )
        return await self.select_jobs(query.order_by(jobs.c.id.desc()).limit(limit))

    async def succeeded(self, repo: str, numbers: Collection[int], limit: int = 10) -> list[Job]:
        """Jobs that succeeded on these issues/PRs, oldest first (memory for the next run)."""
        query = select(jobs).where(
            jobs.c.repo == repo, jobs.c.number.in_(list(numbers)), jobs.c.state == "succeeded"
        )
        found = await self.select_jobs(query.order_by(jobs.c.id.desc()).limit(limit))
        return found[::-1]

    async def counts(self) -> dict[str, int]:
        """Jobs per state, every state present (for /metrics)."""
        query = select(jobs.c.state, func.count()).group_by(jobs.c.state)
        async with self.store.transaction() as conn:
            rows = (await conn.execute(query)).all()
        return {state: 0 for state in JOB_STATES} | {row[0]: int(row[1]) for row in rows}

    async def select_jobs(self, query: Select[Any]) -> list[Job]:
        async with self.store.transaction() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [Job.from_row(row) for row in rows]


# -- statements the queue runs inside its own transactions --------------------------------


async def update_jobs(
    conn: AsyncConnection, where: ColumnElement[bool], **values: Any
) -> list[Job]:
    """Update the matching jobs; return them as they are now."""
    change = update(jobs).where(where).values(**values).returning(*jobs.c)
    return [Job.from_row(row) for row in (await conn.execute(change)).mappings()]


def new_job_row(command: Command, now: float, max_attempts: int) -> dict[str, Any]:
    """The column values of a fresh queued job carrying `command`."""
    return {
        "kind": command.kind,
        "repo": command.repo,
        "number": command.number,
        "installation_id": command.installation_id,
        "delivery_id": command.delivery_id,
        "dedupe_key": command.dedupe_key,
        "lock_key": command.lock_key,
        "state": "queued",
        "commands": f"[{command.to_json()}]",
        "attempts": 0,
        "max_attempts": max_attempts,
        "run_after": now,
        "cancel_requested": False,
        "cost_usd": 0.0,
        "created_at": now,
        "updated_at": now,
    }


async def upsert_job(
    conn: AsyncConnection, command: Command, now: float, max_attempts: int
) -> tuple[int, int]:
    """Insert a queued job for `command`, or append it to the queued one with its dedupe key.

    Returns the job id and how many commands the job now carries: 0 when the queued job
    already carries MAX_COALESCED and `command` was not added. The partial unique index on
    queued dedupe keys arbitrates: one atomic statement inserts a job or appends to the
    queued one, even with concurrent writers.
    """
    insert = dialect_insert(conn)(jobs).values(new_job_row(command, now, max_attempts))
    upsert = insert.on_conflict_do_update(
        index_elements=[jobs.c.dedupe_key],
        index_where=QUEUED_ONLY,
        set_={"commands": _json_append(conn, command), "updated_at": now},
        where=_json_length(conn, jobs.c.commands) < MAX_COALESCED,
    ).returning(jobs.c.id, _json_length(conn, jobs.c.commands).label("commands_count"))
    row = (await conn.execute(upsert)).first()
    if row is not None:
        return int(row.id), int(row.commands_count)
    full = select(jobs.c.id).where(jobs.c.dedupe_key == command.dedupe_key, QUEUED_ONLY)
    return int((await conn.execute(full)).scalar_one()), 0


def runnable_jobs(
    conn: AsyncConnection, now: float, limit: int, kinds: Collection[JobKind] | None = None
) -> Select[Any]:
    """SELECT the oldest runnable jobs: queued, due and lock key free; or lease expired.

    `kinds` narrows the choice (the light lane). On PostgreSQL the rows are locked FOR
    UPDATE, skipping rows other claimers hold.
    """
    holder = jobs.alias("holder")
    lock_held = exists().where(
        holder.c.lock_key == jobs.c.lock_key,
        holder.c.state == literal_column("'running'"),  # literal: the partial index applies
    )
    runnable = or_(
        and_(jobs.c.state == "queued", jobs.c.run_after <= now, ~lock_held),
        and_(jobs.c.state == "running", jobs.c.lease_expires_at <= now),
    )
    query = (
        select(jobs.c.id, jobs.c.state, jobs.c.attempts, jobs.c.max_attempts)
        .where(runnable)
        .order_by(jobs.c.run_after, jobs.c.id)
        .limit(limit)
    )
    if kinds is not None:
        query = query.where(jobs.c.kind.in_(list(kinds)))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=jobs)
    return query


def dialect_insert(conn: AsyncConnection) -> Any:
    """The INSERT construct with ON CONFLICT support for this database."""
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def _json_append(conn: AsyncConnection, command: Command) -> ColumnElement[Any]:
    """`jobs.commands` with `command` appended, computed by the database."""
    if conn.dialect.name == "postgresql":
        appended = cast(jobs.c.commands, postgresql.JSONB).op("||")(
            cast(literal(f"[{command.to_json()}]", Text), postgresql.JSONB)
        )
        return cast(appended, Text)
    return func.json_insert(jobs.c.commands, "$[#]", func.json(literal(command.to_json(), Text)))


def _json_length(conn: AsyncConnection, column: ColumnElement[Any]) -> ColumnElement[int]:
    if conn.dialect.name == "postgresql":
        return func.jsonb_array_length(cast(column, postgresql.JSONB))
    return func.json_array_length(column, type_=Integer)
