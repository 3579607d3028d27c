"""Process wiring: the web app with embedded workers (`honk serve`), or workers alone."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Mapping
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from app.core.commands import LIGHT_KINDS
from app.core.config import Settings
from app.core.env_values import read_env_file
from app.core.errors import ConfigError, SandboxUnavailable, StoreError
from app.flows.chores import light_lane_chores
from app.flows.services import Services
from app.sandbox.exposure import sandbox_shows
from app.sandbox.sandbox import Sandbox
from app.slack.intake import SlackIntake
from app.slack.surface import SlackSurface
from app.store.engine import Store
from app.store.notify import JobListener
from app.store.queue import Queue
from app.web.server import REOPEN_SECONDS, AppState, create_app
from app.worker import Worker, run_workers

log = logging.getLogger("honk.process")


ENV_FILE = Path(".env")  # the file Settings.from_env() reads by default


def refuse_secrets_the_sandbox_shows(
    settings: Settings, environ: Mapping[str, str] | None = None, env_file: Path = ENV_FILE
) -> None:
    """ConfigError, naming the setting, when a sandbox would show one of Honk's secrets.

    (With HONK_SANDBOX=none commands see the whole host anyway: nothing is checked.)"""
    if settings.sandbox == "none":
        return
    for name, path in _secret_paths(settings, os.environ if environ is None else environ, env_file):
        if sandbox_shows(path):
            raise ConfigError(
                f"{name} resolves to {path.expanduser().resolve()}, which the sandbox shows to "
                "agent commands (system directories and the /etc allow-list); move it elsewhere"
            )


def _secret_paths(
    settings: Settings, environ: Mapping[str, str], env_file: Path
) -> list[tuple[str, Path]]:
    paths = [("HONK_DATA_DIR", settings.data_dir)]
    if env_file.is_file():
        paths.append((f"the .env file read at start-up ({env_file})", env_file))
    key = {**read_env_file(env_file), **environ}.get("GITHUB_PRIVATE_KEY_PATH", "").strip()
    if key:
        paths.append(("GITHUB_PRIVATE_KEY_PATH", Path(key)))
    database = sqlite_file(settings.database_url)
    if database is not None:
        paths.append(("HONK_DATABASE_URL", database))
    return paths


def sqlite_file(database_url: str) -> Path | None:
    """The file of a SQLite database URL (None for other databases and in-memory ones)."""
    scheme, _, rest = database_url.partition(":///")
    name = rest.split("?", 1)[0]
    if not scheme.startswith("sqlite") or name in ("", ":memory:"):
        return None
    return Path(name)


def log_sandbox(settings: Settings) -> None:
    """Refuse secrets a sandbox would show, probe the sandbox and say what commands run in."""
    refuse_secrets_the_sandbox_shows(settings)
    try:
        log.info("sandbox ready", extra={"sandbox": Sandbox.probe(settings.sandbox).describe()})
    except SandboxUnavailable as exc:
        log.warning("agent commands will be refused", extra={"reason": str(exc)})


def serving_app(settings: Settings) -> Starlette:
    """`honk serve`: the web app (with `POST /slack/events`), HONK_WORKERS workers in the same
    process, and Socket Mode when SLACK_APP_TOKEN is set."""
    slack = SlackWiring()
    if settings.workers > 0:
        log_sandbox(settings)
    return create_app(settings, background=slack.background, extra_routes=slack.routes)


class SlackWiring:
    """The Slack surface on the web app's shared state: its route, and Socket Mode beside the
    embedded workers."""

    def __init__(self) -> None:
        self.surface: SlackSurface | None = None

    def routes(self, state: AppState) -> list[BaseRoute]:
        self.surface = SlackSurface(
            state.settings, SlackIntake(state.accept_delivery, state.wake.set)
        )
        return self.surface.routes()

    async def background(self, state: AppState, stop: asyncio.Event) -> None:
        tasks = []
        if state.settings.workers > 0:
            tasks.append(embedded_workers(state, stop))
        if self.surface is not None:
            tasks.append(self.surface.socket_mode(stop))
        await asyncio.gather(*tasks)


async def embedded_workers(state: AppState, stop: asyncio.Event) -> None:
    """Run HONK_WORKERS workers in the web process, once the database can be opened."""
    while not stop.is_set():
        try:
            queue = await state.get_queue()
            break
        except StoreError as exc:
            log.warning("workers wait for the database", extra={"error": str(exc)})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=REOPEN_SECONDS)
    else:
        return
    await listen_and_run(queue, workers_for(queue, state.settings, state.wake), state.wake, stop)


async def listen_and_run(
    queue: Queue, workers: list[Worker], wake: asyncio.Event, stop: asyncio.Event
) -> None:
    """Run `workers` until `stop`; on PostgreSQL a job queued by any process wakes them at
    once (LISTEN/NOTIFY), with polling as the fallback."""
    listener = JobListener(queue.store, wake.set)
    await asyncio.gather(listener.run(stop), run_workers(workers, stop))


def workers_for(
    queue: Queue, settings: Settings, wake: asyncio.Event | None = None, count: int | None = None
) -> list[Worker]:
    """The process's workers, sharing one Services (its caches and locks are per process),
    plus one light-lane worker for quick jobs, so that `/honk stop` or help never waits
    behind agent jobs that hold every other worker."""
    services = Services(settings, queue)
    total = settings.workers if count is None else count
    workers = [Worker(queue, settings, services=services, wake=wake) for _ in range(total)]
    light = Worker(
        queue, settings, services=services, wake=wake, kinds=LIGHT_KINDS,
        chores=light_lane_chores(services),
    )  # fmt: skip
    return [*workers, light]


async def workers_only(settings: Settings) -> None:
    """`honk worker`: max(HONK_WORKERS, 1) workers until SIGINT or SIGTERM."""
    log_sandbox(settings)
    store = await Store.open(settings.database_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    queue = Queue.from_settings(store, settings)
    wake = asyncio.Event()
    try:
        workers = workers_for(queue, settings, wake, count=max(settings.workers, 1))
        await listen_and_run(queue, workers, wake, stop)
    finally:
        await store.close()
