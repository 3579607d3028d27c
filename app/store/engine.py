"""The database: the async engine, transactions, migrations at start-up, database errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Connection,
    event,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from app.core.errors import DatabaseUnavailable, StoreError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA busy_timeout=5000",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
)
# Key of the PostgreSQL advisory lock that serialises migrations ("honk" in ASCII).
MIGRATION_LOCK_KEY = 0x686F6E6B
PG_CONNECT_TIMEOUT = 10.0
_WRITE_OPTION = "honk_write"

MIGRATE_ATTEMPTS = 5


class Store:
    """One database behind an async engine; every database error leaves as a StoreError."""

    def __init__(self, engine: AsyncEngine, schema: str | None = None) -> None:
        self.engine = engine
        self.schema = schema  # PostgreSQL: the schema in `search_path`, when one was given
        self._writer = engine.execution_options(**{_WRITE_OPTION: True})

    @classmethod
    async def open(cls, url: str, *, schema: str | None = None, migrate: bool = True) -> Store:
        """Create the engine (and a SQLite file's directory), then migrate to the newest schema.

        `schema` (PostgreSQL only) puts every table in that existing schema via `search_path`.
        """
        with translate_errors():
            store = cls(create_engine(url, schema=schema), schema)
        if migrate:
            try:
                await store._migrate_when_unlocked()
            except BaseException:
                await store.close()
                raise
        return store

    async def _migrate_when_unlocked(self) -> None:
        """Migrate; processes creating one new SQLite file at once may see it locked: retry."""
        for attempt in range(1, MIGRATE_ATTEMPTS + 1):
            try:
                return await self.migrate()
            except DatabaseUnavailable as exc:
                if "locked" not in str(exc) or attempt == MIGRATE_ATTEMPTS:
                    raise
                await asyncio.sleep(0.2 * attempt)

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    async def close(self) -> None:
        await self.engine.dispose()

    async def ping(self) -> None:
        """Raise DatabaseUnavailable unless the database answers a query."""
        async with self.transaction() as conn:
            await conn.execute(select(1))

    async def migrate(self, revision: str = "head") -> None:
        """Upgrade to `revision` in one transaction; a no-op when already there."""
        async with self.transaction(write=True) as conn:
            await conn.run_sync(upgrade, revision)

    @asynccontextmanager
    async def transaction(self, *, write: bool = False) -> AsyncIterator[AsyncConnection]:
        """A connection inside one transaction: committed on success, rolled back on error.

        `write=True` takes SQLite's write lock up front (`BEGIN IMMEDIATE`), so a transaction
        that reads then writes is never refused halfway; PostgreSQL ignores the flag.
        """
        with translate_errors():
            async with (self._writer if write else self.engine).begin() as conn:
                yield conn


def create_engine(url: str, *, schema: str | None = None) -> AsyncEngine:
    """The async engine for `url`, with Honk's per-connection settings."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        # The message would quote the URL, password included.
        raise StoreError("the database URL cannot be parsed") from None
    if parsed.get_backend_name() == "sqlite":
        _make_parent_dir(parsed.database)
        engine = create_async_engine(parsed)
        event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
        event.listen(engine.sync_engine, "begin", _begin_sqlite_transaction)
        return engine
    connect_args: dict[str, Any] = {"timeout": PG_CONNECT_TIMEOUT}
    if schema is not None:
        connect_args["server_settings"] = {"search_path": schema}
    # A server restart leaves dead pooled connections: test each one as it is checked out.
    return create_async_engine(parsed, connect_args=connect_args, pool_pre_ping=True)


def _make_parent_dir(database: str | None) -> None:
    if database and database != ":memory:" and not database.startswith("file:"):
        try:
            Path(database).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseUnavailable(f"cannot create the database directory: {exc}") from exc


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy emits BEGIN itself (see _begin_sqlite_transaction); the driver must not.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _begin_sqlite_transaction(conn: Connection) -> None:
    write = conn.get_execution_options().get(_WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Run Alembic to `revision` on `connection` (inside its transaction)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    config = alembic_config(connection)
    _refuse_newer_database(connection, ScriptDirectory.from_config(config))
    command.upgrade(config, revision)


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration built in code: operators need no alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def current_revisions(connection: Connection) -> tuple[str, ...]:
    """The revisions recorded in the database (empty before the first migration)."""
    return tuple(MigrationContext.configure(connection).get_current_heads())


def _refuse_newer_database(connection: Connection, scripts: ScriptDirectory) -> None:
    known = {script.revision for script in scripts.walk_revisions()}
    unknown = [rev for rev in current_revisions(connection) if rev not in known]
    if unknown:
        raise StoreError(
            f"the database is at revision {', '.join(unknown)}, newer than this Honk "
            f"(it knows up to {scripts.get_current_head()}): upgrade Honk to use this database"
        )


@contextmanager
def translate_errors() -> Iterator[None]:
    """Turn driver and SQLAlchemy exceptions into DatabaseUnavailable or StoreError."""
    try:
        yield
    except (SQLAlchemyError, OSError) as exc:
        if is_unavailable(exc):
            raise DatabaseUnavailable(f"database unavailable: {_describe(exc)}") from exc
        raise StoreError(f"database error: {_describe(exc)}") from exc


# PostgreSQL SQLSTATE classes and codes that mean "cannot reach or use the server".
_PG_UNAVAILABLE_CLASSES = ("08", "28", "3D", "53")
_PG_UNAVAILABLE_CODES = ("57P01", "57P02", "57P03")
# SQLite primary result codes: BUSY, LOCKED, IOERR, FULL, CANTOPEN.
_SQLITE_UNAVAILABLE_CODES = frozenset({5, 6, 10, 13, 14})


def is_unavailable(exc: BaseException) -> bool:
    """True when `exc` says the database cannot be reached, rather than refused a statement."""
    if isinstance(exc, OSError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc.orig, OSError):
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if isinstance(sqlstate, str):
        return sqlstate[:2] in _PG_UNAVAILABLE_CLASSES or sqlstate in _PG_UNAVAILABLE_CODES
    sqlite_code = getattr(exc.orig, "sqlite_errorcode", None)
    return isinstance(sqlite_code, int) and sqlite_code & 0xFF in _SQLITE_UNAVAILABLE_CODES


def _describe(exc: BaseException) -> str:
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    return f"{type(cause).__name__}: {cause}".splitlines()[0]
