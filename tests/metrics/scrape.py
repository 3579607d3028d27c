"""Reading an exposition back with prometheus-client's own parser."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

from app.metrics.exposition import render


@dataclass(frozen=True)
class Scrape:
    """Samples by (name, sorted labels) -> value, from one exposition text."""

    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float]

    @classmethod
    def parse(cls, text: str) -> Scrape:
        samples = {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }
        return cls(samples)

    @classmethod
    def own(cls) -> Scrape:
        """This process's counters now (no queue gauges)."""
        return cls.parse(render(None).decode())

    def value(self, name: str, **labels: str) -> float:
        """A sample's value; 0 when the series does not exist (yet)."""
        return self.samples.get((name, tuple(sorted(labels.items()))), 0.0)

    def total(self, name: str) -> float:
        """The sum of a sample name over all its label values."""
        return sum(v for (n, _), v in self.samples.items() if n == name)

    def moved(self, before: Scrape, name: str, **labels: str) -> float:
        return self.value(name, **labels) - before.value(name, **labels)
