"""Shared fixtures: a fresh database per test, store, queue; fake GitHub session; workspace;
and the judge of GitHub requests (every test fails that sent one GitHub's description refuses)."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

from app.store.engine import Store
from app.store.queue import Queue
from app.workspace.workspace import Workspace
from tests.fakes.git_remote import make_remote
from tests.fakes.github.api import AppKeyPair, generate_app_key
from tests.fakes.github.judge import take_violations
from tests.fakes.github.session import GitHubSession, open_session
from tests.fakes.sandbox_probe import unavailable
from tests.fakes.workspace_demo import FILES

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"

StoreOpener = Callable[[], Awaitable[Store]]


def postgres_url() -> str:
    return os.environ.get("HONK_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


@dataclass
class ManualClock:
    """A clock that moves only when told: `Queue(clock=...)` reads it."""

    now: float = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass(frozen=True)
class Database:
    """Where a test's database lives: a URL, plus a schema of its own on PostgreSQL."""

    name: str
    url: str
    schema: str | None = None

    async def open_store(self, *, migrate: bool = True) -> Store:
        return await Store.open(self.url, schema=self.schema, migrate=migrate)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        yield Database("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'honk.db'}")
        return
    schema = f"honk_t_{secrets.token_hex(6)}"
    await _postgres_execute(f"CREATE SCHEMA {schema}")
    try:
        yield Database("postgres", postgres_url(), schema)
    finally:
        await _postgres_execute(f"DROP SCHEMA {schema} CASCADE")


async def _postgres_execute(statement: str) -> None:
    """Run one administrative statement; skip (or fail under CI) when PostgreSQL is away."""
    url = postgres_url()
    engine = create_async_engine(url, connect_args={"timeout": 5})
    try:
        async with engine.begin() as conn:
            await conn.execute(text(statement))
    except (OSError, SQLAlchemyError) as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        reason = f"PostgreSQL not reachable at {shown}: {type(exc).__name__}: {exc}"
        unavailable(reason)
    finally:
        await engine.dispose()


@pytest.fixture
def database_url(database: Database) -> str:
    return database.url


@pytest.fixture
async def open_store(database: Database) -> AsyncIterator[StoreOpener]:
    """Open more stores (engines) on the test's database; all are closed afterwards."""
    opened: list[Store] = []

    async def open_one() -> Store:
        store = await database.open_store()
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        await store.close()


@pytest.fixture
async def store(open_store: StoreOpener) -> Store:
    return await open_store()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def queue(store: Store, clock: ManualClock) -> Queue:
    return Queue(store, clock=clock)


@pytest.fixture(autouse=True)
def github_requests_judged() -> Iterator[None]:
    """Fails the test (at its teardown) that sent the fake GitHub a request GitHub's API
    description refuses, naming the method, the path and the fields."""
    take_violations()  # what an earlier test left (it failed for them already)
    yield
    if found := take_violations():
        lines = "\n".join(f"  {violation}" for violation in found)
        pytest.fail(f"GitHub's API description refuses requests of this test:\n{lines}")


@pytest.fixture(scope="module")
def app_key() -> AppKeyPair:
    return generate_app_key()


@pytest.fixture
async def gh(app_key: AppKeyPair) -> AsyncIterator[GitHubSession]:
    """The served fake GitHub with a `GitHubApp` and a `RepoClient` wired to it."""
    async with open_session(app_key) as session:
        yield session


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "data", git_name="Honk Bot", git_email="honk@example.com")


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A bare repository holding one commit of the demo `FILES` on `main`."""
    return make_remote(tmp_path / "remotes", FILES)
