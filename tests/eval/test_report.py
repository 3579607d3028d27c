"""report.json: written with every figure and totals, read back, and refused when unusable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.errors import ConfigError
from app.eval.report import read_report, write_report
from tests.eval.reports import records, report


def test_written_and_read_back(tmp_path: Path) -> None:
    original = report(records("t1", [True, False], [0.5, 1.5]), records("t2", [True], [1.0]))
    path = write_report(original, tmp_path / "out")
    data = json.loads(path.read_text())
    assert data["totals"] == {
        "tasks": 2, "records": 3, "resolved": 2, "resolved_rate": 2 / 3, "turns": 12,
        "input_tokens": 3000, "cache_read_input_tokens": 15000,
        "cache_creation_input_tokens": 2100, "output_tokens": 900, "cost_usd": 3.0,
        "wall_seconds": 30.0, "elapsed_seconds": 42.0,
    }  # fmt: skip
    assert data["records"][1]["reason"] == "hidden tests failed (2 failing)"
    assert read_report(path) == original


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the report .*: No such file"),
        ("not json", "is not a JSON report"),
        ('{"records": 3}', "has no `records` list"),
        ('{"records": [{"instance_id": "t", "run": 1, "resolved": "yes"}]}', "`resolved`"),
        ('{"records": [{"instance_id": "t", "run": 1, "resolved": true}]}', "`status`"),
        ('{"records": [{"instance_id": "t", "run": true, "resolved": true, "status": "x"}]}',
         "`run`"),
    ],
)  # fmt: skip
def test_an_unusable_report_is_a_clear_error(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "report.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        read_report(path)


def test_missing_figures_default_to_zero(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    record = {"instance_id": "t", "run": 1, "resolved": True, "status": "submitted"}
    path.write_text(json.dumps({"model": "m", "runs": 1, "records": [record]}))
    (read,) = read_report(path).records
    assert read.cost_usd == 0.0 and read.turns == 0
