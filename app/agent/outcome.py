"""How an agent run is bounded and how it ended: budgets, per-turn figures, the result."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from app.agent.model import Usage

Status = Literal["submitted", "limits", "cancelled", "refused", "error"]


@dataclass(frozen=True)
class AgentLimits:
    """Budgets of one run: model turns, USD and wall-clock seconds.

    `max_usd` is the job's budget across all its attempts: `spent_usd` is what earlier
    attempts of the same job already spent, and counts against it.
    """

    max_turns: int = 50
    max_usd: float = 5.0
    max_seconds: float = 1800.0
    spent_usd: float = 0.0


@dataclass(frozen=True)
class TurnInfo:
    """Progress after a turn that goes on: for progress comments and dashboards."""

    turn: int
    tools: tuple[str, ...]
    usage: Usage
    cost_usd: float
    elapsed: float


@dataclass(frozen=True)
class AgentResult:
    """How a run ended; `summary` is the model's last text (the PR body when submitted)."""

    status: Status
    summary: str
    turns: int
    usage: Usage
    cost_usd: float
    transcript: Path
    reason: str
    model_seconds: float = 0.0  # waiting for the model, of the run's wall clock
