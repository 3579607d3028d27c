"""The progress comment: a checklist of a job's steps with its figures, edited while it runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from app.core.markdown import count, duration, marker, money

Step = Literal["queued", "working", "testing", "pr_opened"]
Outcome = Literal["running", "done", "failed"]

STEPS: Mapping[Step, str] = {
    "queued": "Queued",
    "working": "Working",
    "testing": "Testing",
    "pr_opened": "PR opened",
}


@dataclass(frozen=True)
class Progress:
    """Where a job stands, for its progress comment; `step` is the step Honk is on."""

    job_id: int | str
    step: Step = "queued"
    outcome: Outcome = "running"
    elapsed_seconds: float = 0.0
    turns: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    public_url: str | None = None  # HONK_PUBLIC_URL: links the run page when set
    pr_url: str | None = None


def progress_comment(progress: Progress) -> str:
    """The comment Honk edits while a job runs: a checklist, then the figures so far."""
    lines = [
        marker("progress", job=progress.job_id),
        f"**Honk** (automated agent) · job {progress.job_id}",
        "",
    ]
    lines += [_step_line(progress, step) for step in STEPS]
    lines += ["", _figures(progress)]
    if progress.outcome == "running":
        lines += ["", "Comment `/honk stop` to cancel."]
    return "\n".join(lines)


def last_word(job_id: int | str, text: str, public_url: str | None = None) -> str:
    """A job's progress comment once the job ended: its marker stays on top, so a retried
    attempt of the same job finds the comment again; the final text replaces the checklist,
    followed by the run page's link when Honk has a public URL."""
    link = run_url(public_url, job_id)
    tail = "" if link is None else f"\n\n[Run log]({link})"
    return f"{marker('progress', job=job_id)}\n{text}{tail}"


def run_url(public_url: str | None, job_id: int | str) -> str | None:
    """The dashboard page of a job, when Honk has a public URL."""
    return (
        None if not public_url else f"{public_url.rstrip('/')}/runs/{quote(str(job_id), safe='')}"
    )


def _step_line(progress: Progress, step: Step) -> str:
    order = list(STEPS)
    here, now = order.index(step), order.index(progress.step)
    if here < now or (here == now and progress.outcome == "done"):
        icon = "✅"
    elif here == now:
        icon = "❌" if progress.outcome == "failed" else "⏳"
    else:
        icon = "⬜"
    pr_link = f": {progress.pr_url}" if step == "pr_opened" and progress.pr_url else ""
    return f"- {icon} {STEPS[step]}{pr_link}"


def _figures(progress: Progress) -> str:
    figures = [
        duration(progress.elapsed_seconds),
        f"{progress.turns} turns",
        f"{count(progress.input_tokens)} tokens in / {count(progress.output_tokens)} out",
        money(progress.cost_usd),
    ]
    link = run_url(progress.public_url, progress.job_id)
    figures += [] if link is None else [f"[run log]({link})"]
    return " · ".join(figures)
