"""Benchmark: one editor call (view, str_replace) through descriptors beneath the root.

The baseline is the former name-based path (resolve, check, then open by name again and replace
through a temporary sibling), copied here in its essentials: the cost of the race-free walk is
the difference. Target: a median of at most 10 ms per call.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from app.agent.editor import Editor

REPEATS = 300
TARGET_MS = 10.0
RELATIVE = "src/honk/agent/deep/module.py"
LINES = 500


def old_view(root: Path, relative: str) -> str:
    """The former path for `view`: resolve and check the name, then read it again by name."""
    path = (root / relative).resolve()
    assert path.is_relative_to(root)
    path.stat()
    with path.open("rb") as handle:
        data = handle.read()
    return "\n".join(f"{n:6}\t{line}" for n, line in enumerate(data.decode().splitlines(), 1))


def old_replace(root: Path, relative: str, old: str, new: str) -> None:
    """The former path for `str_replace`: resolve, read by name, temporary sibling, rename."""
    path = (root / relative).resolve()
    assert path.is_relative_to(root)
    mode = path.stat().st_mode & 0o7777
    text = path.read_bytes().decode().replace(old, new, 1)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".honk")
    with os.fdopen(fd, "wb") as handle:
        handle.write(text.encode())
    os.chmod(temporary, mode)
    os.replace(temporary, path)


def median_ms(call: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="honk-bench-editor-") as tmp:
        root = Path(tmp).resolve()
        target = root / RELATIVE
        target.parent.mkdir(parents=True)
        target.write_text("".join(f"line {n} = {n * 7}  # some code\n" for n in range(LINES)))
        editor = Editor(root)
        swap = ["line 250 = 1750", "line 250 = 1751"]

        def new_replace() -> None:
            old, new = swap
            editor.run({"command": "str_replace", "path": RELATIVE, "old_str": old, "new_str": new})
            swap.reverse()

        def baseline_replace() -> None:
            old_replace(root, RELATIVE, *swap)
            swap.reverse()

        rows = [
            ("view", median_ms(lambda: editor.run({"command": "view", "path": RELATIVE}))),
            ("view (old path)", median_ms(lambda: old_view(root, RELATIVE))),
            ("str_replace", median_ms(new_replace)),
            ("str_replace (old path)", median_ms(baseline_replace)),
        ]
    for name, ms in rows:
        print(f"{name:24} median {ms:6.3f} ms")
    worst = max(rows[0][1], rows[2][1])
    verdict = "OK" if worst <= TARGET_MS else "OVER TARGET"
    print(f"target: median <= {TARGET_MS} ms per call: {verdict}")


if __name__ == "__main__":
    main()
