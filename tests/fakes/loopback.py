"""An ASGI app served by uvicorn on 127.0.0.1 (a free port) in the running loop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

import uvicorn
from starlette.types import ASGIApp


@asynccontextmanager
async def serve_on_loopback(
    app: ASGIApp, *, lifespan: Literal["on", "off"] = "off", grace: float = 5.0
) -> AsyncIterator[str]:
    """Serve `app` until the block ends; yields its base URL (no trailing slash)."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", access_log=False,
        lifespan=lifespan, timeout_graceful_shutdown=int(grace),
    )  # fmt: skip
    config.load()
    server = uvicorn.Server(config)
    server.lifespan = config.lifespan_class(config)
    await server.startup()
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        await server.shutdown()
