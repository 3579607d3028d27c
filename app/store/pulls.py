"""Honk's pull requests in the database: issue link, task memory, outcome, CI-fix attempts."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import RowMapping, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.store.engine import Store
from app.store.tables import PullState, pull_requests


@dataclass(frozen=True)
class PullRecord:
    """One pull request Honk works on."""

    repo: str
    number: int
    issue_number: int | None
    branch: str
    requester: str
    requester_id: int | None
    task: str
    state: PullState
    ci_fix_attempts: int

    @classmethod
    def from_row(cls, row: RowMapping) -> PullRecord:
        names = cls.__dataclass_fields__
        return cls(**{name: row[name] for name in names})


class PullRequests:
    """Reads and writes the `pull_requests` table."""

    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    async def record(self, pull: PullRecord) -> None:
        """Insert the pull request, or refresh branch, task and requester (state reopens)."""
        now = self.clock()
        values = {**pull.__dict__, "created_at": now, "updated_at": now}
        changes = {k: values[k] for k in ("branch", "requester", "requester_id", "task", "state")}
        async with self.store.transaction(write=True) as conn:
            insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert
            statement = insert(pull_requests).values(values)
            await conn.execute(
                statement.on_conflict_do_update(
                    index_elements=[pull_requests.c.repo, pull_requests.c.number],
                    set_={**changes, "updated_at": now},
                )
            )

    async def get(self, repo: str, number: int) -> PullRecord | None:
        query = select(pull_requests).where(
            pull_requests.c.repo == repo, pull_requests.c.number == number
        )
        async with self.store.transaction() as conn:
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else PullRecord.from_row(row)

    async def set_state(self, repo: str, number: int, state: PullState) -> bool:
        """Record the pull request's outcome; False when Honk does not know it."""
        return await self._update(repo, number, state=state)

    async def add_ci_attempt(self, repo: str, number: int) -> int:
        """Count one more CI-fix attempt and return the new count (0 if unknown)."""
        await self._update(repo, number, ci_fix_attempts=pull_requests.c.ci_fix_attempts + 1)
        record = await self.get(repo, number)
        return 0 if record is None else record.ci_fix_attempts

    async def reset_ci_attempts(self, repo: str, number: int) -> None:
        """A person's request starts the CI-fix budget over."""
        await self._update(repo, number, ci_fix_attempts=0)

    async def _update(self, repo: str, number: int, **values: object) -> bool:
        statement = (
            update(pull_requests)
            .where(pull_requests.c.repo == repo, pull_requests.c.number == number)
            .values(**values, updated_at=self.clock())
        )
        async with self.store.transaction(write=True) as conn:
            result = await conn.execute(statement)
        return bool(result.rowcount)
