"""The eval's report: its records and totals, written to and read from report.json."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.errors import ConfigError
from app.eval.record import EvalRecord, record_from_json

REPORT_FILE = "report.json"
TOKEN_FIELDS = (
    "input_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "output_tokens",
)


@dataclass(frozen=True)
class Report:
    """One eval: the suite, the model, runs per task, when it started, every run's record."""

    suite: str
    model: str
    runs: int
    started_at: str
    records: tuple[EvalRecord, ...]
    elapsed_seconds: float = 0.0

    def by_task(self) -> dict[str, list[EvalRecord]]:
        """The records of each task, in the order the tasks first appear, runs in order."""
        tasks: dict[str, list[EvalRecord]] = {}
        for record in self.records:
            tasks.setdefault(record.instance_id, []).append(record)
        return {task: sorted(runs, key=lambda r: r.run) for task, runs in tasks.items()}

    def totals(self) -> dict[str, Any]:
        return totals_of(self.records, self.elapsed_seconds)

    def to_json(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "model": self.model,
            "runs": self.runs,
            "started_at": self.started_at,
            "records": [record.to_json() for record in self.records],
            "totals": self.totals(),
        }


def totals_of(records: Sequence[EvalRecord], elapsed: float = 0.0) -> dict[str, Any]:
    """Sums over `records`: solved count and rate, turns, tokens, USD, seconds."""
    resolved = sum(record.resolved for record in records)
    totals: dict[str, Any] = {
        "tasks": len({record.instance_id for record in records}),
        "records": len(records),
        "resolved": resolved,
        "resolved_rate": resolved / len(records) if records else 0.0,
        "turns": sum(record.turns for record in records),
    }
    for name in TOKEN_FIELDS:
        totals[name] = sum(getattr(record, name) for record in records)
    totals["cost_usd"] = sum(record.cost_usd for record in records)
    totals["wall_seconds"] = sum(record.wall_seconds for record in records)
    totals["elapsed_seconds"] = elapsed
    return totals


def write_report(report: Report, out_dir: Path) -> Path:
    """Write `report.json` in `out_dir`; its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / REPORT_FILE
    path.write_text(json.dumps(report.to_json(), indent=2) + "\n", encoding="utf-8")
    return path


def read_report(path: Path) -> Report:
    """A report.json read back; ConfigError naming the file when it cannot be used."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the report {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ConfigError(f"{path} is not a JSON report (report.json of `honk eval`)") from None
    try:
        return _report(data, path)
    except ValueError as exc:
        raise ConfigError(f"{path} is not a report of `honk eval`: {exc}") from None


def _report(data: object, path: Path) -> Report:
    if not isinstance(data, dict) or not isinstance(data.get("records"), list):
        raise ValueError("it has no `records` list")
    records = tuple(record_from_json(item) for item in data["records"])
    runs = data.get("runs")
    totals = data.get("totals")
    elapsed = totals.get("elapsed_seconds", 0.0) if isinstance(totals, dict) else 0.0
    return Report(
        suite=str(data.get("suite", path)),
        model=str(data.get("model", "?")),
        runs=runs if isinstance(runs, int) and not isinstance(runs, bool) else 0,
        started_at=str(data.get("started_at", "")),
        records=records,
        elapsed_seconds=float(elapsed) if isinstance(elapsed, int | float) else 0.0,
    )
