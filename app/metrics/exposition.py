"""The text exposition of `GET /metrics`: the counters of every process sharing the metrics
directory (or this process's own), plus the queue gauges read from the database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from app.metrics.instruments import REGISTRY
from app.metrics.multiprocess import shared_dir

CONTENT_TYPE = CONTENT_TYPE_LATEST


@dataclass(frozen=True)
class QueueGauges:
    """The queue as the database sees it at scrape time (so every process agrees)."""

    depth: Mapping[str, int]  # state (queued, running) -> jobs
    oldest_queued_age: float  # seconds the oldest queued job has waited; 0 when none


class _Snapshot(Collector):
    """A collector of values read before the scrape (collectors cannot await); None: the
    database did not answer (`honk_database_up` 0, no queue gauges)."""

    def __init__(self, gauges: QueueGauges | None) -> None:
        self.gauges = gauges

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(
            "honk_database_up", "Whether the database answered this scrape (1) or not (0).",
            value=float(self.gauges is not None),
        )  # fmt: skip
        if self.gauges is None:
            return [up]
        depth = GaugeMetricFamily(
            "honk_queue_jobs", "Jobs in the queue by state (from the database).", labels=["state"]
        )
        for state, count in sorted(self.gauges.depth.items()):
            depth.add_metric([state], count)
        age = GaugeMetricFamily(
            "honk_queue_oldest_age_seconds",
            "How long the oldest queued job has waited (from the database); 0 when none.",
            value=self.gauges.oldest_queued_age,
        )
        return [up, depth, age]


def render(gauges: QueueGauges | None, path: Path | None = None) -> bytes:
    """The exposition: counters summed over the processes' files in `path` (default: the
    shared directory, when this process has one; else this process's own) and the gauges."""
    path = path or shared_dir()
    registry = CollectorRegistry()
    if path is not None:
        MultiProcessCollector(registry, str(path))  # type: ignore[no-untyped-call]
    else:
        registry.register(_Own())
    registry.register(_Snapshot(gauges))
    return generate_latest(registry)


class _Own(Collector):
    """This process's instruments, for a registry of their own."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()
