"""The store: engine settings, versioned migrations, schema rules and error translation."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, delete, func, insert, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.errors import DatabaseUnavailable, StoreError
from app.store.engine import SQLITE_PRAGMAS, Store, alembic_config, current_revisions
from app.store.tables import deliveries, jobs, metadata
from tests.conftest import Database

HEAD = "0008"
UNREACHABLE_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:1/test"


def job_row(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "kind": "fix_issue",
        "repo": "octo/repo",
        "number": 1,
        "state": "queued",
        "commands": "[]",
        "max_attempts": 3,
        "run_after": 0.0,
        "created_at": 0.0,
        "updated_at": 0.0,
    }
    return row | overrides


def delivery_row(delivery_id: str) -> dict[str, Any]:
    return {"delivery_id": delivery_id, "event": "ping", "received_at": 1.0, "outcome": "ignored"}


async def revisions(store: Store) -> tuple[str, ...]:
    async with store.transaction() as conn:
        return await conn.run_sync(current_revisions)


async def version_rows(store: Store) -> list[str]:
    async with store.transaction() as conn:
        return list((await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars())


async def delivery_ids(store: Store) -> list[str]:
    async with store.transaction() as conn:
        return list((await conn.execute(select(deliveries.c.delivery_id))).scalars())


async def test_sqlite_open_creates_the_directory_and_sets_pragmas_on_every_connection(
    tmp_path: Path,
) -> None:
    path = tmp_path / "nested" / "dir" / "honk.db"
    store = await Store.open(f"sqlite+aiosqlite:///{path}")
    try:
        assert path.is_file()
        async with store.transaction() as first, store.transaction() as second:
            for conn in (first, second):
                values = [await _pragma(conn, pragma) for pragma in SQLITE_PRAGMAS]
                assert values == ["wal", 5000, 1, 1]  # WAL, busy ms, NORMAL, foreign keys on
    finally:
        await store.close()


async def _pragma(conn: AsyncConnection, pragma: str) -> Any:
    name = pragma.removeprefix("PRAGMA ").split("=")[0]
    return (await conn.execute(text(f"PRAGMA {name}"))).scalar()


@pytest.mark.parametrize(("write", "other_writer_blocked"), [(True, True), (False, False)])
async def test_sqlite_write_transaction_takes_the_write_lock_before_its_first_statement(
    tmp_path: Path, write: bool, other_writer_blocked: bool
) -> None:
    path = tmp_path / "honk.db"
    store = await Store.open(f"sqlite+aiosqlite:///{path}")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        async with store.transaction(write=write) as conn:
            await conn.execute(select(jobs.c.id))  # a read only
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                blocked = False
            except sqlite3.OperationalError as exc:
                assert "locked" in str(exc)
                blocked = True
        assert blocked is other_writer_blocked
    finally:
        other.close()
        await store.close()


async def test_dialect_names_the_database(store: Store, database: Database) -> None:
    assert store.dialect == {"sqlite": "sqlite", "postgres": "postgresql"}[database.name]


async def test_migrations_build_every_table_and_index_from_an_empty_database(
    store: Store,
) -> None:
    assert await revisions(store) == (HEAD,)
    async with store.transaction() as conn:
        tables, indexes = await conn.run_sync(_tables_and_indexes)
    assert {"alembic_version", "deliveries", "jobs"} <= set(tables)
    assert indexes == {
        "ix_jobs_claim": (["state", "run_after"], False),
        "ix_jobs_target": (["repo", "number"], False),
        "ux_jobs_dedupe_queued": (["dedupe_key"], True),
        "ux_jobs_lock_running": (["lock_key"], True),
    }


def _tables_and_indexes(conn: Connection) -> tuple[list[str], dict[str, tuple[list[str], bool]]]:
    inspector = inspect(conn)
    indexes = {
        str(index["name"]): ([str(c) for c in index["column_names"]], bool(index["unique"]))
        for index in inspector.get_indexes("jobs")
    }
    return inspector.get_table_names(), indexes


async def test_the_migrated_schema_matches_the_table_definitions(store: Store) -> None:
    async with store.transaction() as conn:
        differences = await conn.run_sync(_schema_differences)
    assert differences == []


def _schema_differences(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_rerunning_migrations_changes_nothing_and_keeps_the_data(database: Database) -> None:
    store = await database.open_store()
    async with store.transaction() as conn:
        await conn.execute(insert(deliveries).values(delivery_row("kept")))
    await store.close()
    store = await database.open_store()
    try:
        await store.migrate()
        assert await version_rows(store) == [HEAD]
        assert await delivery_ids(store) == ["kept"]
    finally:
        await store.close()


async def test_a_database_left_at_revision_0001_opens_at_head_with_its_data(
    database: Database,
) -> None:
    store = await database.open_store(migrate=False)
    await store.migrate("0001")
    async with store.transaction() as conn:
        await conn.execute(insert(deliveries).values(delivery_row("from-0001")))
    await store.close()
    store = await database.open_store()
    try:
        assert await revisions(store) == (HEAD,)
        assert await delivery_ids(store) == ["from-0001"]
    finally:
        await store.close()


async def test_a_database_from_a_newer_honk_is_refused_with_a_clear_error(
    database: Database,
) -> None:
    store = await database.open_store()
    async with store.transaction() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    await store.close()
    with pytest.raises(StoreError, match=r"revision 9999, newer than this Honk") as raised:
        await database.open_store()
    assert not isinstance(raised.value, DatabaseUnavailable)


async def test_processes_starting_at_once_migrate_a_new_database_once(database: Database) -> None:
    stores = await asyncio.gather(*(database.open_store() for _ in range(4)))
    try:
        assert await version_rows(stores[0]) == [HEAD]
    finally:
        for store in stores:
            await store.close()


@pytest.mark.parametrize(
    ("first", "second", "accepted"),
    [
        ({"state": "queued", "dedupe_key": "k"}, {"state": "queued", "dedupe_key": "k"}, False),
        ({"state": "running", "dedupe_key": "k"}, {"state": "queued", "dedupe_key": "k"}, True),
        ({"state": "queued", "dedupe_key": None}, {"state": "queued", "dedupe_key": None}, True),
        ({"state": "running", "lock_key": "l"}, {"state": "running", "lock_key": "l"}, False),
        ({"state": "running", "lock_key": "l"}, {"state": "queued", "lock_key": "l"}, True),
        ({"state": "failed", "lock_key": "l"}, {"state": "running", "lock_key": "l"}, True),
        ({"state": "queued"}, {"state": "paused"}, False),
    ],
)
async def test_partial_unique_indexes_and_state_check(
    store: Store, first: dict[str, Any], second: dict[str, Any], accepted: bool
) -> None:
    async with store.transaction() as conn:
        await conn.execute(insert(jobs).values(job_row(**first)))
    if accepted:
        async with store.transaction() as conn:
            await conn.execute(insert(jobs).values(job_row(**second)))
    else:
        with pytest.raises(StoreError) as raised:
            async with store.transaction() as conn:
                await conn.execute(insert(jobs).values(job_row(**second)))
        assert not isinstance(raised.value, DatabaseUnavailable)
    async with store.transaction() as conn:
        count = (await conn.execute(select(func.count()).select_from(jobs))).scalar_one()
    assert count == (2 if accepted else 1)


async def test_a_failed_transaction_rolls_back_everything_in_it(store: Store) -> None:
    with pytest.raises(StoreError):
        async with store.transaction(write=True) as conn:
            await conn.execute(insert(deliveries).values(delivery_row("a")))
            await conn.execute(insert(deliveries).values(delivery_row("a")))
    assert await delivery_ids(store) == []


async def test_a_bad_statement_is_a_store_error_not_unavailability(store: Store) -> None:
    with pytest.raises(StoreError, match="database error") as raised:
        async with store.transaction() as conn:
            await conn.execute(text("SELEC 1"))
    assert not isinstance(raised.value, DatabaseUnavailable)
    await store.ping()  # the store still works


async def test_ping_answers_when_the_database_is_there(store: Store) -> None:
    await store.ping()
    async with store.transaction(write=True) as conn:
        await conn.execute(delete(deliveries))  # and writes go through after it


async def test_unreachable_postgres_is_database_unavailable() -> None:
    store = await Store.open(UNREACHABLE_POSTGRES, migrate=False)
    try:
        with pytest.raises(DatabaseUnavailable, match="database unavailable"):
            await store.ping()
    finally:
        await store.close()
    with pytest.raises(DatabaseUnavailable):
        await Store.open(UNREACHABLE_POSTGRES)


async def test_an_sqlite_path_that_cannot_be_opened_is_database_unavailable(
    tmp_path: Path,
) -> None:
    (tmp_path / "honk.db").mkdir()  # a directory where the file should be
    with pytest.raises(DatabaseUnavailable):
        await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'honk.db'}")
    await _join_aiosqlite_workers()


async def _join_aiosqlite_workers() -> None:
    # aiosqlite stops its worker after a failed connect without waiting for it; if the loop
    # closes first, the worker raises "Event loop is closed" (omnilib/aiosqlite#241).
    for thread in threading.enumerate():
        if thread.name.endswith("(_connection_worker_thread)"):
            await asyncio.to_thread(thread.join, 5)


async def test_an_unparsable_url_is_refused_without_echoing_it() -> None:
    with pytest.raises(StoreError) as raised:
        await Store.open("postgresql+asyncpg://user:hunter2@[bad")
    assert "hunter2" not in str(raised.value)


def test_the_alembic_config_needs_no_ini_file() -> None:
    config = alembic_config()
    assert config.config_file_name is None
    assert Path(config.get_main_option("script_location") or "").joinpath("env.py").is_file()
