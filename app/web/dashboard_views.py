"""The dashboard's templates (Jinja2, autoescaped), their filters, and server-sent events."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader
from starlette.responses import HTMLResponse

TEMPLATES = Path(__file__).parent / "templates"


def when(at: float | None) -> str:
    """A moment as `YYYY-MM-DD HH:MM:SS` UTC."""
    return "" if at is None else time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at))


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    return f"{whole // 3600}h {whole % 3600 // 60:02d}m"


def usd(value: float | None) -> str:
    return "" if value is None else f"${value:.4f}" if value < 1 else f"${value:.2f}"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True)
    env.filters.update(when=when, duration=duration, usd=usd, percent=percent)
    env.globals["query"] = query
    return env


def page(template: str, code: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(ENV.get_template(template).render(**context), status_code=code)


def fragment(template: str, **context: Any) -> str:
    return ENV.get_template(template).render(**context)


def message(title: str, text: str, code: int) -> HTMLResponse:
    return page("message.html", code, title=title, text=text)


def html(text: str) -> HTMLResponse:
    return HTMLResponse(text)


def query(params: dict[str, Any], **changes: Any) -> str:
    """`?a=1&b=2` from the filters with `changes`, empty values left out."""
    merged = {k: v for k, v in {**params, **changes}.items() if v not in (None, "")}
    return "?" + urlencode(merged) if merged else "?"


def sse(event: str, data: dict[str, Any], event_id: int | None = None) -> str:
    """One server-sent event; its data is one JSON line."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


ENV = _environment()
