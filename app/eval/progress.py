"""The eval's progress: one line per finished task run, and an overall bar.

On a terminal the bar is redrawn in place on the last line; elsewhere (a log, a pipe) each
run's line is followed by a plain `k/n` line.
"""

from __future__ import annotations

from typing import TextIO

from app.eval.record import EvalRecord

BAR_WIDTH = 30


def run_line(record: EvalRecord) -> str:
    """`id #run  solved|not solved  turns  $  seconds  reason`."""
    outcome = "solved" if record.resolved else "not solved"
    line = (
        f"{record.instance_id} #{record.run}  {outcome}  {record.turns} turns  "
        f"${record.cost_usd:.4f}  {record.wall_seconds:.1f}s"
    )
    return f"{line}  {record.reason}" if record.reason else line


def bar(done: int, total: int) -> str:
    filled = BAR_WIDTH * done // total if total else BAR_WIDTH
    share = done / total if total else 1.0
    return f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} ({share:.0%})"


class Progress:
    """Prints to `stream` (stderr): lines as runs finish, the bar on a TTY."""

    def __init__(self, total: int, stream: TextIO, *, tty: bool | None = None) -> None:
        self.total = total
        self.done = 0
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty

    def note(self, text: str) -> None:
        """A line of its own (before the runs start, or after they end)."""
        self._write(f"{self._clear()}{text}\n")

    def started(self) -> None:
        if self.tty:
            self._write(bar(0, self.total))

    def finished(self, record: EvalRecord) -> None:
        self.done += 1
        after = bar(self.done, self.total) if self.tty else f"{self.done}/{self.total}\n"
        self._write(f"{self._clear()}{run_line(record)}\n{after}")

    def close(self) -> None:
        if self.tty:
            self._write("\n")

    def _clear(self) -> str:
        return "\r\033[K" if self.tty else ""

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()
