"""What the dashboard shows of a job: its list line, request, timeline, usage and transcript.

The transcript is the agent's JSONL file (`job-{id}.jsonl` in the transcripts directory):
`task`, `model` (content blocks, usage, cost), `tool` (input, output), `note`, `compacted`
and `end` records. Read from a byte offset, whole lines only, so a live page can follow it.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.store.jobs import Job

EDITOR_COMMANDS = ("view", "create", "str_replace", "insert")
MAX_READ = 8 * 1024 * 1024  # bytes of transcript one read takes


@dataclass(frozen=True)
class JobLine:
    """One line of the jobs list (also the JSON of /api/jobs)."""

    id: int
    state: str
    kind: str
    repo: str
    number: int | None
    target_url: str | None
    pr_url: str | None
    slack_url: str | None
    requester: str
    surface: str
    created_at: float
    started_at: float | None
    duration: float | None
    turns: int | None
    cost_usd: float

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def job_line(job: Job, github_url: str) -> JobLine:
    command, result = job.commands[0], job.result or {}
    target = None
    if job.number is not None:
        kind = "pull" if command.is_pull_request else "issues"
        target = f"{github_url}/{job.repo}/{kind}/{job.number}"
    slack = command.slack
    slack_url = (
        None
        if slack is None
        else f"https://slack.com/app_redirect?team={slack.team}&channel={slack.channel}"
    )
    ended = job.finished_at
    turns = result.get("turns")
    return JobLine(
        id=job.id,
        state=job.state,
        kind=job.kind,
        repo=job.repo,
        number=job.number,
        target_url=target,
        pr_url=result.get("pr_url") if isinstance(result.get("pr_url"), str) else None,
        slack_url=slack_url,
        requester=command.sender,
        surface="Slack" if slack is not None else "GitHub",
        created_at=job.created_at,
        started_at=job.started_at,
        duration=None if ended is None or job.started_at is None else ended - job.started_at,
        turns=turns if isinstance(turns, int) else None,
        cost_usd=job.cost_usd,
    )


def request_text(job: Job) -> str:
    """What was asked, request by request (title and body, notes, or the Slack text)."""
    parts: list[str] = []
    for command in job.commands:
        said = [command.title or "", command.body or "", command.notes]
        if command.slack is not None:
            said.append(command.slack.text)
        parts.append("\n\n".join(part for part in said if part))
    return "\n\n———\n\n".join(part for part in parts if part)


def timeline(job: Job) -> list[tuple[str, float]]:
    """The job row's moments, in order."""
    moments = [
        ("queued", job.created_at),
        ("acknowledged", job.acknowledged_at),
        ("started", job.started_at),
        (job.state, job.finished_at),
    ]
    return [(name, at) for name, at in moments if at is not None]


FOLLOW_UPS = {"review": "its own diff, to review", "tests": "the failing tests, handed back"}


@dataclass(frozen=True)
class Step:
    """One rendered piece of the transcript."""

    seq: int
    kind: str  # task | text | command | edit | tool | note | end
    turn: int | None = None
    title: str = ""
    body: str = ""
    output: str = ""
    is_error: bool = False
    diff: list[tuple[str, str]] = field(default_factory=list)  # (css class, line)


@dataclass
class Usage:
    """Tokens and cost summed over the transcript's model turns."""

    turns: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write: int = 0
    cache_read: int = 0
    cost_usd: float = 0.0

    @property
    def cache_share(self) -> float | None:
        """Cache reads among the input tokens."""
        total = self.input_tokens + self.cache_write + self.cache_read
        return None if total == 0 else self.cache_read / total

    def add(self, record: dict[str, Any]) -> None:
        usage = record.get("usage") or {}
        self.turns += 1
        self.input_tokens += int(usage.get("input_tokens", 0))
        self.output_tokens += int(usage.get("output_tokens", 0))
        self.cache_write += int(usage.get("cache_creation_input_tokens", 0))
        self.cache_read += int(usage.get("cache_read_input_tokens", 0))
        self.cost_usd += float(record.get("cost_usd", 0.0))


def transcript_path(transcripts_dir: Path, job_id: int) -> Path:
    return transcripts_dir / f"job-{job_id}.jsonl"


def read_records(path: Path, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """The whole records written from `offset` on, and the offset after the last of them."""
    try:
        with path.open("rb") as file:
            file.seek(offset)
            chunk = file.read(MAX_READ)
    except OSError:
        return [], offset
    complete = chunk[: chunk.rfind(b"\n") + 1]
    records: list[dict[str, Any]] = []
    for line in complete.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records, offset + len(complete)


def usage_of(records: list[dict[str, Any]]) -> Usage:
    usage = Usage()
    for record in records:
        if record.get("type") == "model":
            usage.add(record)
    return usage


def steps_of(records: list[dict[str, Any]]) -> list[Step]:
    steps: list[Step] = []
    for record in records:
        steps.extend(_steps(record))
    return steps


def _steps(record: dict[str, Any]) -> list[Step]:
    kind, seq, turn = record.get("type"), int(record.get("seq", 0)), record.get("turn")
    if kind == "task":
        return [Step(seq, "task", title="task", body=str(record.get("task", "")))]
    if kind == "model":
        texts = [b.get("text", "") for b in record.get("content") or [] if _is_text(b)]
        return [Step(seq, "text", turn, body=str(text)) for text in texts if text]
    if kind == "tool":
        return [_tool_step(record, seq, turn)]
    if kind in ("note", "compacted"):
        return [Step(seq, "note", turn, body=str(record.get("text") or record.get("reason")))]
    if kind == "end":
        title = f"ended: {record.get('status')}"
        return [Step(seq, "end", title=title, body=str(record.get("reason", "")))]
    return _check_steps(record, kind, seq)


def _check_steps(record: dict[str, Any], kind: Any, seq: int) -> list[Step]:
    """The test-driven loop's records: Honk's own test runs, the review, a turn handed back."""
    if kind == "tests" and "command" in record:
        title = f"Honk ran {record.get('command')}: {record.get('verdict')}"
        output, failed = str(record.get("output", "")), not record.get("passed")
        return [Step(seq, "command", title=title, output=output, is_error=failed)]
    if kind in ("tests", "review") and "skipped" in record:
        return [Step(seq, "note", body=f"{kind} round skipped: {record['skipped']}")]
    if kind == "follow_up":
        about = FOLLOW_UPS.get(str(record.get("about")), "a follow-up turn")
        return [Step(seq, "task", title=about, body=str(record.get("text", "")))]
    return []


def _is_text(block: Any) -> bool:
    return isinstance(block, dict) and block.get("type") == "text"


def _tool_step(record: dict[str, Any], seq: int, turn: Any) -> Step:
    given = record.get("input") if isinstance(record.get("input"), dict) else {}
    assert isinstance(given, dict)
    output, is_error = str(record.get("output", "")), bool(record.get("is_error"))
    command = given.get("command")
    if "path" in given and command in EDITOR_COMMANDS:
        path = str(given["path"])
        if command == "view":
            return Step(seq, "tool", turn, title=f"view {path}", output=output, is_error=is_error)
        diff = _edit_diff(str(command), given)
        return Step(seq, "edit", turn, title=f"{command} {path}", diff=diff, output=output,
                    is_error=is_error)  # fmt: skip
    if isinstance(command, str):
        return Step(seq, "command", turn, title=command, output=output, is_error=is_error)
    title = f"{record.get('name', 'tool')} {json.dumps(given, ensure_ascii=False)[:200]}"
    return Step(seq, "tool", turn, title=title, output=output, is_error=is_error)


def _edit_diff(command: str, given: dict[str, Any]) -> list[tuple[str, str]]:
    if command == "create":
        old, new = "", str(given.get("file_text", ""))
    elif command == "insert":
        old, new = "", str(given.get("insert_text", given.get("new_str", "")))
    else:
        old, new = str(given.get("old_str", "")), str(given.get("new_str", ""))
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=3)
    return [(_diff_class(line), line) for line in list(lines)[2:]]


def _diff_class(line: str) -> str:
    return {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "ctx")
