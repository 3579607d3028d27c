"""Counters shared by every Honk process on a host: prometheus-client's multiprocess mode.

Each process writes its counters to files of its own (named by pid) in one directory,
HONK_DATA_DIR/metrics unless PROMETHEUS_MULTIPROC_DIR names another; a scrape in any process
sums them all. The directory must be chosen before prometheus_client is first imported.
Counters of processes that ended stay in the sum (totals survive restarts); `mark_dead` drops
a dead process's live gauges (Honk keeps none there: its gauges are read from the database).
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"
log = logging.getLogger("honk.metrics")


def prepare(data_dir: Path) -> Path | None:
    """Put this process in multiprocess mode with its files under `data_dir`/metrics (or
    PROMETHEUS_MULTIPROC_DIR when set), marked dead at exit; None when prometheus_client was
    imported already (its counters then stay this process's own)."""
    if "prometheus_client" in sys.modules and ENV not in os.environ:
        log.warning("metrics stay per process: prometheus_client was imported before setup")
        return None
    path = Path(os.environ.get(ENV) or data_dir / "metrics").resolve()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.environ[ENV] = str(path)
    atexit.register(mark_dead, os.getpid())
    return path


def shared_dir() -> Path | None:
    """The directory of the processes' metric files, when this process shares its counters."""
    value = os.environ.get(ENV)
    return Path(value) if value and Path(value).is_dir() else None


def mark_dead(pid: int | None = None) -> None:
    """Drop the live-gauge files of a process that ended (this one by default)."""
    from prometheus_client import multiprocess

    path = shared_dir()
    if path is not None:
        dead = os.getpid() if pid is None else pid
        multiprocess.mark_process_dead(dead, str(path))  # type: ignore[no-untyped-call]
