"""Honk's Prometheus instruments, and the one-line calls the code's thin points make.

Import `app.metrics.multiprocess.prepare` first in a process that shares its counters: the
prometheus_client value class is chosen when that library is first imported.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from prometheus_client import CollectorRegistry, Counter, Histogram

TokenKind = Literal["input", "cache_read", "cache_write", "output"]
FINAL_STATES = frozenset({"succeeded", "failed", "cancelled"})
# This process's own instruments (scraped as they are when not in multiprocess mode).
REGISTRY = CollectorRegistry(auto_describe=True)
MINUTES = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0)
SECONDS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0)
TURNS = (1.0, 2.0, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0)

DELIVERIES = Counter(
    "honk_deliveries", "Deliveries received (GitHub events, Slack requests), by event and "
    "outcome.", ["event", "outcome"], registry=REGISTRY,
)  # fmt: skip
JOBS = Counter(
    "honk_jobs", "Jobs that ended, by kind and final state (succeeded, failed, cancelled).",
    ["kind", "state"], registry=REGISTRY,
)  # fmt: skip
JOB_SECONDS = Histogram(
    "honk_job_duration_seconds", "Run time of each job attempt, by kind.", ["kind"],
    buckets=MINUTES, registry=REGISTRY,
)  # fmt: skip
ACK_SECONDS = Histogram(
    "honk_time_to_acknowledge_seconds", "From a job's creation to its acknowledgement "
    "(the eyes reaction and progress comment).", buckets=SECONDS, registry=REGISTRY,
)  # fmt: skip
AGENT_TURNS = Counter("honk_agent_turns", "Model turns the agent took.", registry=REGISTRY)
AGENT_RUN_TURNS = Histogram(
    "honk_agent_run_turns", "Turns per agent run, by how it ended.", ["status"],
    buckets=TURNS, registry=REGISTRY,
)  # fmt: skip
TOKENS = Counter(
    "honk_model_tokens", "Model tokens, by kind (input, cache_read, cache_write, output).",
    ["kind"], registry=REGISTRY,
)  # fmt: skip
SPENT = Counter("honk_model_cost_usd", "USD spent on the model (list prices).", registry=REGISTRY)
GITHUB_CALLS = Counter(
    "honk_github_api_calls", "GitHub API requests, by HTTP status (or `connection`).",
    ["status"], registry=REGISTRY,
)  # fmt: skip
MODEL_CALLS = Counter(
    "honk_model_api_calls", "Messages API calls, by HTTP status (or `timeout`, `connection`).",
    ["status"], registry=REGISTRY,
)  # fmt: skip
SANDBOX_COMMANDS = Counter(
    "honk_sandbox_commands", "Commands run in the sandbox, by outcome (ok, failed, "
    "timed_out, killed).", ["outcome"], registry=REGISTRY,
)  # fmt: skip


def delivery(event: str, outcome: str) -> None:
    """A delivery was answered: `outcome` as the intake said it (queued, duplicate, ...)."""
    DELIVERIES.labels(event=event, outcome=outcome).inc()


def job_attempt_ended(kind: str, state: str, seconds: float) -> None:
    """An attempt of a job ended after `seconds`; `state` is the job's state since (a job
    queued again or taken over by another worker has not ended: not counted in JOBS)."""
    JOB_SECONDS.labels(kind=kind).observe(max(seconds, 0.0))
    if state in FINAL_STATES:
        JOBS.labels(kind=kind, state=state).inc()


def acknowledged(seconds: float) -> None:
    """A job was acknowledged `seconds` after it was created."""
    ACK_SECONDS.observe(max(seconds, 0.0))


def agent_turn(tokens: Mapping[TokenKind, int], cost_usd: float) -> None:
    """One model turn of the agent: its tokens by kind and its cost."""
    AGENT_TURNS.inc()
    for kind, count in tokens.items():
        TOKENS.labels(kind=kind).inc(max(count, 0))
    SPENT.inc(max(cost_usd, 0.0))


def agent_run_ended(status: str, turns: int) -> None:
    AGENT_RUN_TURNS.labels(status=status).observe(turns)


def github_call(status: int | str) -> None:
    """One GitHub API request answered with `status` (a try that is retried counts too)."""
    GITHUB_CALLS.labels(status=str(status)).inc()


def model_call(status: int | str) -> None:
    MODEL_CALLS.labels(status=str(status)).inc()


def sandbox_command(exit_code: int | None, *, timed_out: bool) -> None:
    """A sandbox command ended: ok (exit 0), failed (other code), timed_out, or killed."""
    if timed_out:
        outcome = "timed_out"
    elif exit_code is None:
        outcome = "killed"
    else:
        outcome = "ok" if exit_code == 0 else "failed"
    SANDBOX_COMMANDS.labels(outcome=outcome).inc()
