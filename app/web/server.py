"""HTTP routes: webhook ingress, health, readiness, sign-in, `/setup`, `/metrics`, dashboard."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from app.core.commands import Command
from app.core.config import Settings
from app.core.errors import (
    DatabaseUnavailable,
    PayloadTooLarge,
    StoreError,
    WebhookError,
)
from app.core.logs import elapsed_ms
from app.core.triggers import TriggerContext, command_for
from app.core.webhooks import MAX_BODY_BYTES, Event, parse_delivery
from app.metrics import instruments as metrics
from app.store.app_credentials import LiveSettings
from app.store.deliveries import RawBody
from app.store.engine import Store
from app.store.queue import Queue
from app.web import home
from app.web.dashboard import Dashboard
from app.web.intake import Accepted, Intake
from app.web.metrics import metrics_routes
from app.web.setup import Setup
from app.web.signin import SignIn

log = logging.getLogger("honk.ingress")
REOPEN_SECONDS = 2.0


@dataclass
class AppState:
    """What the routes share: settings, the (lazily reopened) store and the worker wake-up;
    `live()` is `settings` with the App credentials `/setup` saved (read at every use)."""

    settings: Settings
    store: Store | None = None
    queue: Queue | None = None
    intake: Intake | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    _opened_at: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    live: LiveSettings = field(init=False)

    def __post_init__(self) -> None:
        self.live = LiveSettings(self.settings)

    async def get_queue(self) -> Queue:
        """The queue, opening the database first if it is not open (at most every 2 s)."""
        if self.queue is not None:
            return self.queue
        async with self._lock:
            if self.queue is None:
                await self._open()
        assert self.queue is not None
        return self.queue

    async def _open(self) -> None:
        if time.monotonic() - self._opened_at < REOPEN_SECONDS and self._opened_at:
            raise DatabaseUnavailable("the database could not be opened; retrying shortly")
        self._opened_at = time.monotonic()
        self.store = await Store.open(self.settings.database_url)
        self.queue = Queue.from_settings(self.store, self.settings)
        self.intake = Intake.for_queue(self.queue)

    async def get_store(self) -> Store:
        """The store, opening the database first if it is not open."""
        return (await self.get_queue()).store

    async def accept(
        self, event: Event, command: Command | None, raw: RawBody | None = None
    ) -> Accepted:
        """Record the delivery (and `raw`, for replay) and enqueue its command."""
        return await self.accept_delivery(event.delivery_id, event.name, event.action, command, raw)

    async def accept_delivery(
        self,
        delivery_id: str,
        event: str,
        action: str | None,
        command: Command | None,
        raw: RawBody | None = None,
    ) -> Accepted:
        """Record any delivery (GitHub's, Slack's) and enqueue its command, deduplicated."""
        queue = await self.get_queue()
        if self.intake is not None:
            return await self.intake.accept(delivery_id, event, action, command, raw)
        return await queue.accept_delivery(delivery_id, event, action, command, raw)

    async def close(self) -> None:
        if self.intake is not None:
            await self.intake.close()
        if self.store is not None:
            await self.store.close()


Background = Callable[["AppState", asyncio.Event], Coroutine[Any, Any, None]]
ExtraRoutes = Callable[["AppState"], Sequence[BaseRoute]]


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    background: Background | None = None,
    extra_routes: ExtraRoutes | None = None,
) -> Starlette:
    """The ASGI app; `background` (e.g. embedded workers) runs for its lifespan, until stopped;
    `extra_routes` adds routes built on the shared state (the entry layer's Slack surface)."""
    queue = Queue.from_settings(store, settings) if store else None
    state = AppState(settings, store, queue, Intake.for_queue(queue) if queue else None)
    triggers = TriggerContext.from_settings(settings)
    signin = SignIn(settings, state.get_store, live=state.live)

    async def github_webhook(request: Request) -> Response:
        started = time.perf_counter()
        status, body, fields = await _ingest(request, state, triggers)
        log.info("delivery", extra={**fields, "status": status, "ms": elapsed_ms(started)})
        metrics.delivery(str(fields.get("event") or "unknown"), str(fields["outcome"]))
        return JSONResponse(body, status_code=status)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        try:
            queue = await state.get_queue()
            await queue.store.ping()
        except StoreError as exc:  # the driver's words name hosts and paths: operators only
            said = {"error": str(exc)} if is_operator(request, settings) else {}
            return JSONResponse({"status": "unavailable", **said}, status_code=503)
        return JSONResponse({"status": "ready"})

    routes = [
        Route("/webhooks/github", github_webhook, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        *signin.routes(),
        *Setup(state.live, signin.session_user).routes(),
        *metrics_routes(settings, state.get_store),
        *Dashboard(
            settings,
            signin,
            state.get_queue,
            lambda r: is_operator(r, settings),
            state.wake.set,
            live=state.live,
        ).routes(),
        *(extra_routes(state) if extra_routes is not None else ()),
    ]
    return Starlette(routes=routes, lifespan=_lifespan(state, background))


def is_operator(request: Request, settings: Settings) -> bool:
    """Whether the request carries `Authorization: Bearer HONK_DASHBOARD_TOKEN`."""
    token = settings.dashboard_token
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if token is None or scheme.lower() != "bearer" or not given:
        return False
    return hmac.compare_digest(given.strip().encode(), token.reveal().encode())


def _lifespan(
    state: AppState, background: Background | None
) -> Callable[[Starlette], contextlib.AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if missing := home.missing_settings(state.live()):  # the page says it to operators
            log.warning("Honk is not configured yet; missing: %s", ", ".join(missing))
        with contextlib.suppress(StoreError):
            await state.get_queue()
        stop = asyncio.Event()
        task = None if background is None else asyncio.create_task(background(state, stop))
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                await task
            await state.close()

    return lifespan


async def _ingest(
    request: Request, state: AppState, triggers: TriggerContext
) -> tuple[int, dict[str, object], dict[str, object]]:
    """Verify, parse, map and enqueue one delivery; returns (status, JSON body, log fields)."""
    fields: dict[str, object] = {"delivery": request.headers.get("x-github-delivery")}
    try:
        return await _accept(request, state, triggers, fields)
    except WebhookError as exc:
        return exc.status, {"error": str(exc)}, {**fields, "outcome": "rejected"}
    except ClientDisconnect:
        return 400, {"error": "client disconnected"}, {**fields, "outcome": "disconnected"}
    except StoreError as exc:
        error = f"database unavailable, delivery not recorded: {exc}"
        return 503, {"error": error}, {**fields, "outcome": "unavailable"}
    except Exception:
        log.exception("delivery failed", extra=fields)
        error = "internal error, delivery not recorded"
        return 503, {"error": error}, {**fields, "outcome": "error"}


async def _accept(
    request: Request, state: AppState, triggers: TriggerContext, fields: dict[str, object]
) -> tuple[int, dict[str, object], dict[str, object]]:
    secret = state.live().github_webhook_secret
    if secret is None:
        error = "GITHUB_WEBHOOK_SECRET is not set: Honk cannot verify deliveries"
        return 503, {"error": error}, {**fields, "outcome": "unconfigured"}
    body = await _read_body(request)
    event = parse_delivery(request.headers, body, secret.reveal())
    fields.update(event=event.name, action=event.action)
    if event.name == "ping":
        return 200, {"outcome": "pong"}, {**fields, "outcome": "pong"}
    raw = RawBody(body, request.headers.get("content-type", "application/json"))
    outcome, job_id = await state.accept(event, command_for(event, triggers), raw)
    if outcome in ("queued", "coalesced"):
        state.wake.set()
    fields.update(outcome=outcome, job=job_id)
    status = 202 if outcome in ("queued", "coalesced") else 200
    return status, {"outcome": outcome, "job": job_id}, fields


async def _read_body(request: Request) -> bytes:
    """The request body, refusing more than MAX_BODY_BYTES before and while reading it."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"body of {declared} bytes is over the 25 MiB limit")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise PayloadTooLarge("body is over the 25 MiB limit")
        chunks.append(chunk)
    return b"".join(chunks)
