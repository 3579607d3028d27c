"""app/sandbox/disk.py: a session's gauge walks the tree only when the limit could be crossed."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.sandbox import disk
from app.sandbox.disk import FULL_WALK_SECONDS, DiskGauge, disk_usage

MIB = 1024 * 1024


class Walks:
    """Counts the tree walks, otherwise the real `disk_usage`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        monkeypatch.setattr(disk, "disk_usage", self)

    def __call__(self, paths: list[Path]) -> int:
        self.count += 1
        return disk_usage(paths)


def write(path: Path, mib: int) -> None:
    path.write_bytes(b"x" * (mib * MIB))


async def test_the_first_measure_walks_and_is_exact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    walks = Walks(monkeypatch)
    write(tmp_path / "a", 1)
    gauge = DiskGauge([tmp_path], limit=64 * MIB)
    assert await gauge.measure() == disk_usage([tmp_path])
    assert walks.count == 1


async def test_a_write_within_the_headroom_costs_no_walk_and_is_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    walks = Walks(monkeypatch)
    gauge = DiskGauge([tmp_path], limit=512 * MIB)
    await gauge.measure()
    write(tmp_path / "b", 2)
    estimate = await gauge.measure()
    assert walks.count == 1
    assert estimate >= disk_usage([tmp_path])  # an upper bound, never an under-count


async def test_a_write_that_may_cross_the_limit_is_walked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    walks = Walks(monkeypatch)
    gauge = DiskGauge([tmp_path], limit=1 * MIB)
    await gauge.measure()
    write(tmp_path / "big", 3)
    used = await gauge.measure()
    assert walks.count == 2 and used == disk_usage([tmp_path]) and used > gauge.limit


async def test_a_walk_happens_at_least_every_full_walk_period(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    walks, now = Walks(monkeypatch), [0.0]
    gauge = DiskGauge([tmp_path], limit=512 * MIB, clock=lambda: now[0])
    await gauge.measure()
    await gauge.measure()
    now[0] = FULL_WALK_SECONDS + 1
    await gauge.measure()
    assert walks.count == 2
