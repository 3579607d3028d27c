"""What Honk was asked to do: the `Command` a trigger yields, and `/honk ...` comment parsing."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal, get_args

JobKind = Literal[
    "fix_issue",  # label `honk` or `/honk fix` on an issue: new branch, new PR
    "fix_pr",  # `/honk fix` on a PR: commit to that PR's branch
    "address_review",  # a review submitted on a Honk PR
    "approved",  # a Honk PR approved: bookkeeping only
    "pr_closed",  # a Honk PR merged or closed
    "ci_fix",  # a check suite failed on a Honk PR's head commit
    "stop",  # `/honk stop`: cancel the running job on that issue or PR
    "retry",  # `/honk retry`: rerun the last job on that issue or PR
    "help",  # `/honk help`, `/honk` alone or an unknown verb: usage
    "slack_request",  # what a person wrote to Honk in Slack: read, authorized, answered or queued
    "slack_task",  # a Slack task with no issue: branch `honk/slack-<job id>`, draft PR
    "slack_action",  # a button clicked in Slack: Stop, Retry, Ready for review, Approve, Merge
    "pr_event",  # a fact about a Honk PR (CI, deployment, build) reported in its Slack thread
]
JOB_KINDS: tuple[JobKind, ...] = get_args(JobKind)
# Kinds that touch a branch: never two at once on the same issue or PR.
EXCLUSIVE_KINDS: frozenset[JobKind] = frozenset(
    {"fix_issue", "fix_pr", "address_review", "ci_fix", "retry", "pr_closed"}
)
# Quick kinds (no agent): the light lane runs them even while every worker holds a long job,
# so `/honk stop` reaches a running job and help is answered at once.
LIGHT_KINDS: frozenset[JobKind] = frozenset(
    {"stop", "retry", "help", "approved", "pr_closed", "slack_request", "slack_action", "pr_event"}
)
Verb = Literal["fix", "stop", "retry", "help"]
VERBS: tuple[Verb, ...] = get_args(Verb)


@dataclass(frozen=True)
class SlackOrigin:
    """Where in Slack a request came from, and where its job reports.

    `thread_ts` is the thread the job speaks in (None: its status message starts one, as for a
    slash command); `ts` is the person's own message (for 👀; None for a slash command or a
    click). For a click, `action` is the button's action_id and `text` its value.
    """

    team: str
    channel: str
    user: str  # the Slack person who wrote or clicked
    ts: str | None = None
    thread_ts: str | None = None
    text: str = ""  # what they wrote, raw (Slack markup and all)
    action: str | None = None
    is_dm: bool = False
    status_ts: str | None = None  # the job's status message, once the request was accepted

    @property
    def thread(self) -> str | None:
        """The thread's root: the thread the message is in, else the message itself."""
        return self.thread_ts or self.ts


@dataclass(frozen=True)
class Command:
    """One request for work, as the queue stores it (JSON round-trips exactly)."""

    kind: JobKind
    repo: str  # "owner/name"
    number: int | None  # issue or PR number
    installation_id: int | None
    sender: str  # login of the person (or app) that caused it
    delivery_id: str
    notes: str = ""  # free text after `/honk fix`, or the unknown verb for help
    is_pull_request: bool = False
    comment_id: int | None = None  # the triggering issue comment (for the 👀 reaction)
    review_id: int | None = None
    review_state: str | None = None  # approved | changes_requested | commented
    head_ref: str | None = None
    head_sha: str | None = None
    head_repo: str | None = None  # "owner/name" of the PR head (differs for forks)
    merged: bool | None = None
    check_suite_id: int | None = None
    sender_id: int | None = None  # for the requester's `Co-authored-by:` noreply address
    # The text the trigger carried, as it was then: the (or PR's) title and body for a
    # label or `/honk fix`, the PR's title and the review's own body for a review. A later edit
    # by someone else never reaches the agent. None: not carried (a job queued by an older
    # Honk), so the flow reads it from GitHub.
    title: str | None = None
    body: str | None = None
    slack: SlackOrigin | None = None  # a request from Slack: its job also reports there
    # A `pr_event`'s facts: the deployment's environment and URL, the workflow run's id.
    environment: str | None = None
    environment_url: str | None = None
    run_id: int | None = None

    @property
    def target(self) -> str | None:
        """`owner/name#N`: the issue or PR the job works on (None when there is none)."""
        return None if self.number is None else f"{self.repo}#{self.number}"

    @property
    def slack_thread_key(self) -> str | None:
        """`slack:TEAM:CHANNEL:THREAD`: the Slack thread a `slack_task` works in."""
        origin = self.slack
        if self.kind != "slack_task" or origin is None or origin.thread is None:
            return None
        return f"slack:{origin.team}:{origin.channel}:{origin.thread}"

    @property
    def lock_key(self) -> str | None:
        """Jobs with the same lock key never run at once (a Slack thread's tasks: one at a
        time, so a follow-up waits for the job before it and then commits to its PR)."""
        return self.slack_thread_key or (self.target if self.kind in EXCLUSIVE_KINDS else None)

    @property
    def dedupe_key(self) -> str | None:
        """At most one queued job per issue/PR (or Slack thread) and kind: later requests
        merge into it."""
        if self.slack_thread_key is not None:
            return f"{self.kind}:{self.slack_thread_key}"
        return None if self.target is None else f"{self.kind}:{self.target}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Command:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if isinstance(values.get("slack"), dict):
            slack_known = {f.name for f in fields(SlackOrigin)}
            slack = {k: v for k, v in values["slack"].items() if k in slack_known}
            values["slack"] = SlackOrigin(**slack)
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> Command:
        return cls.from_dict(json.loads(text))


@dataclass(frozen=True)
class ParsedComment:
    """A `/honk` line found in a comment: the verb (None when unknown) and the rest."""

    verb: Verb | None
    notes: str
    word: str  # the word as written, e.g. "fix" or "deploy"


_HONK_LINE = re.compile(r"^/honk(?![\w-])(?:\s+(\S+))?[ \t]*(.*)$", re.IGNORECASE)


def parse_comment(body: str | None) -> ParsedComment | None:
    """Find the first line starting with `/honk` (outside quotes and code blocks).

    The notes are the rest of that line plus every line after it, trimmed.
    `/honk` alone reads as `help`; an unknown word yields verb None.
    """
    lines = (body or "").replace("\r\n", "\n").split("\n")
    fence = ""
    for index, line in enumerate(lines):
        stripped = line.strip()
        fence, in_code = _track_fence(fence, stripped)
        if in_code or line.startswith(("    ", "\t")):
            continue
        match = _HONK_LINE.match(stripped)
        if match is None:
            continue
        word = (match.group(1) or "help").lower().rstrip(":,.;!")
        rest = "\n".join([match.group(2), *lines[index + 1 :]]).strip()
        verb: Verb | None = word if word in VERBS else None
        return ParsedComment(verb=verb, notes=rest, word=word)
    return None


def _track_fence(fence: str, stripped: str) -> tuple[str, bool]:
    """Markdown code fences: (the open fence after this line, whether this line is code)."""
    marker = re.match(r"^(`{3,}|~{3,})", stripped)
    if not fence:
        return (marker.group(1), True) if marker else ("", False)
    closes = (
        marker is not None and marker.group(1)[0] == fence[0] and len(marker.group(1)) >= len(fence)
    )
    return ("" if closes else fence), True
