"""Several processes, one sum: each `honk` process writes its counters to the shared directory
under HONK_DATA_DIR/metrics, and a scrape in any of them adds them all up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.metrics import multiprocess
from app.metrics.exposition import QueueGauges, render
from tests.metrics.scrape import Scrape

ROOT = Path(__file__).resolve().parents[2]
# What `honk serve` and `honk worker` do: prepare before anything imports prometheus_client.
COUNTING = """
import sys
from pathlib import Path
from app.metrics.multiprocess import prepare
assert prepare(Path(sys.argv[1])) is not None
from app.metrics import instruments as metrics
for _ in range(int(sys.argv[2])):
    metrics.delivery("issues", "queued")
metrics.job_attempt_ended("fix_issue", "succeeded", 3.0)
"""


def count_in_a_process(data_dir: Path, deliveries: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != multiprocess.ENV}
    env["PYTHONPATH"] = str(ROOT)
    argv = [sys.executable, "-c", COUNTING, str(data_dir), str(deliveries)]
    return subprocess.Popen(argv, cwd=ROOT, env=env)


def test_counters_of_two_processes_are_summed(tmp_path: Path) -> None:
    processes = [count_in_a_process(tmp_path, 3), count_in_a_process(tmp_path, 4)]
    assert [p.wait(timeout=60) for p in processes] == [0, 0]
    shared = tmp_path / "metrics"
    assert len(list(shared.glob("counter_*.db"))) == 2  # one file per process
    scraped = Scrape.parse(render(QueueGauges({"queued": 0}, 0.0), shared).decode())
    assert scraped.value("honk_deliveries_total", event="issues", outcome="queued") == 7
    assert scraped.value("honk_jobs_total", kind="fix_issue", state="succeeded") == 2
    assert scraped.value("honk_job_duration_seconds_count", kind="fix_issue") == 2
    assert scraped.value("honk_job_duration_seconds_sum", kind="fix_issue") == 6.0
    assert scraped.value("honk_queue_jobs", state="queued") == 0  # the gauges join the sum


def test_the_shared_directory_is_the_scrapes_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert count_in_a_process(tmp_path, 2).wait(timeout=60) == 0
    monkeypatch.setenv(multiprocess.ENV, str(tmp_path / "metrics"))
    scraped = Scrape.parse(render(None).decode())
    assert scraped.value("honk_deliveries_total", event="issues", outcome="queued") == 2


def test_too_late_to_share_stays_per_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(multiprocess.ENV, raising=False)
    assert "prometheus_client" in sys.modules  # this test process counts on its own
    assert multiprocess.prepare(tmp_path) is None
    assert multiprocess.ENV not in os.environ
    assert multiprocess.shared_dir() is None
