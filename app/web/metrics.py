"""`GET /metrics`: the Prometheus exposition, behind HONK_METRICS_TOKEN when it is set."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from app.core.config import Settings
from app.core.errors import StoreError
from app.metrics.exposition import CONTENT_TYPE, QueueGauges, render
from app.store.engine import Store
from app.store.queue_stats import queue_stats

log = logging.getLogger("honk.metrics")
StoreOpener = Callable[[], Awaitable[Store]]


def metrics_routes(settings: Settings, get_store: StoreOpener) -> list[BaseRoute]:
    """The `/metrics` route; its queue gauges come from the store `get_store` opens."""

    async def metrics(request: Request) -> Response:
        if not may_scrape(request, settings):
            return PlainTextResponse(
                "a bearer token is required\n", status_code=401,
                headers={"www-authenticate": 'Bearer realm="metrics"'},
            )  # fmt: skip
        body = render(await _gauges(get_store))
        return Response(body, media_type=CONTENT_TYPE)

    return [Route("/metrics", metrics, methods=["GET"])]


def may_scrape(request: Request, settings: Settings) -> bool:
    """Open when HONK_METRICS_TOKEN is unset; else only with `Authorization: Bearer` it."""
    token = settings.metrics_token
    if token is None:
        return True
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return False
    return hmac.compare_digest(given.strip().encode(), token.reveal().encode())


async def _gauges(get_store: StoreOpener) -> QueueGauges | None:
    try:
        stats = await queue_stats(await get_store())
    except StoreError as exc:  # the counters are still worth scraping
        log.warning("metrics without queue gauges", extra={"error": str(exc)})
        return None
    return QueueGauges(stats.depth, stats.oldest_queued_age)
