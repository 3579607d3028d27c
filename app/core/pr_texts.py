"""A pull request's title and body as Honk writes them: the verdict, the changes, the WIP note.

A failing verdict prefixes the title with `[tests failing] ` (taken off again once the tests
pass). An unfinished run's body starts with a note between two hidden markers saying it is
unfinished and why; a later finished run takes the note out (`unmark_unfinished`), and a PR
Honk does not rewrite whole gets the note put in front of its body (`mark_unfinished`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.core.markdown import block_quote, find_marker, login, marker, money
from app.core.model_text import GITHUB_BODY_LIMIT, cap, outbound, redact_secrets
from app.core.verdict import NO_TEST_COMMAND, NOT_RUN, RepoTests

MAX_TITLE_CHARS = 256  # GitHub's limit for issue and PR titles
MAX_LISTED_CHANGES = 200  # files named in a PR body; the rest are counted
SLACK_REQUEST_CHARS = 4000  # a Slack request quoted in its PR body
REASON_CHARS = 2000  # an unfinished run's reason in its note
TESTS_FAILING = "[tests failing] "
UNFINISHED_START = marker("unfinished-start")
UNFINISHED_END = marker("unfinished-end")
RETRY_ON_GITHUB = "Comment `/honk retry` to continue from it."
RETRY_IN_SLACK = "Press Retry in the Slack thread to continue from it."
_HTTP_URL = re.compile(r"https?://[^\s()<>\[\]]+")
_NOTE = re.compile(re.escape(UNFINISHED_START) + r".*?" + re.escape(UNFINISHED_END) + r"\n*", re.S)


def pr_title(issue_title: str, issue_number: int | None = None) -> str:
    """`Fix #N: <issue title>` on one line, within GitHub's title limit."""
    prefix = "Fix" if issue_number is None else f"Fix #{issue_number}"
    title = " ".join(issue_title.split())
    return _fit(f"{prefix}: {title}" if title else prefix)


def verdict_title(title: str, failing: bool) -> str:
    """`title` with the `[tests failing] ` prefix when `failing`, without it otherwise."""
    bare = title
    while bare.startswith(TESTS_FAILING.strip()):
        bare = bare[len(TESTS_FAILING.strip()) :].lstrip()
    return _fit(TESTS_FAILING + bare) if failing else bare


def verdict_section(
    tests: RepoTests | None, fix_rounds: int = 0, *, unfinished: bool = False
) -> str:
    """The PR body's Tests section: the verdict (with the fix rounds used) or why there is none."""
    if unfinished:
        return _sentence(NOT_RUN)
    if tests is None:
        return _sentence(NO_TEST_COMMAND)
    return tests.describe(rounds=fix_rounds)


def unfinished_note(
    reason: str,
    turns: int,
    cost_usd: float,
    *,
    summary: str | None = None,
    retry_hint: str = RETRY_ON_GITHUB,
) -> str:
    """What an unfinished run's PR body says first: that it is unfinished, why, and how to go
    on; with `summary` (the model's text so far) for a body Honk does not rewrite whole."""
    why = outbound(" ".join(reason.split()), REASON_CHARS).rstrip(".")
    lines = [
        UNFINISHED_START,
        f"**Unfinished.** Honk stopped before finishing: {why}. After {turns} turns · "
        f"{money(cost_usd)}, the work so far is committed as `WIP`. {retry_hint}",
    ]
    if summary is not None:
        lines += ["", "Summary so far:", "", outbound(summary.strip()) or "No summary was given."]
    return "\n".join([*lines, UNFINISHED_END])


_TESTS = re.compile(r"(\n### Tests\n)(.*?)(\n\n---\n)", re.DOTALL)


def mark_unfinished(body: str, note: str) -> str:
    """`body` led by `note` (after its marker line when it has one), an older note replaced."""
    bare = unmark_unfinished(body)
    if find_marker(bare) is None:
        return cap(f"{note}\n\n{bare}", GITHUB_BODY_LIMIT)
    first, _, rest = bare.partition("\n")
    return cap(f"{first}\n{note}\n\n{rest}", GITHUB_BODY_LIMIT)


def unmark_unfinished(body: str) -> str:
    """`body` without the unfinished note Honk put in it (unchanged when it has none)."""
    return _NOTE.sub("", body)


def with_tests_section(body: str, tests: str | None) -> str:
    """`body` (one `pr_body` made) with its Tests section replaced by `tests` (None: no test
    command); unchanged when it has no such section."""
    text = outbound(tests.strip(), 20000) if tests else _sentence(NO_TEST_COMMAND)
    return _TESTS.sub(lambda found: f"{found[1]}{text}{found[3]}", body, count=1)


def is_unfinished(body: str) -> bool:
    return UNFINISHED_START in body


def pr_body(
    summary: str,
    changes: Sequence[str],
    tests: str | None,
    issue_number: int | None,
    run_url: str | None,
    cost_usd: float,
    intro: str = "",
    unfinished: str = "",
) -> str:
    """The body of a pull request Honk opens: the agent's summary, the changes, the tests
    (`verdict_section`; None: no test command), led by the `unfinished` note when there is one.

    The summary and test output are the model's and tools' text: secrets redacted, and the
    summary cut so the whole body fits GitHub's limit (the changes and footer always show).
    """
    head = [marker("pr", issue=issue_number)]
    head += [unfinished, ""] if unfinished else []
    head += [] if issue_number is None else [f"Fixes #{issue_number}", ""]
    head += [intro, ""] if intro else []
    listed = [f"- {outbound(' '.join(c.split()), 1000)}" for c in changes[:MAX_LISTED_CHANGES]]
    more = len(changes) - MAX_LISTED_CHANGES
    listed += [f"- and {more} more files"] if more > 0 else []
    tail = ["", "### Changes", *(listed or ["- none"]), "", "### Tests"]
    tail += [outbound(tests.strip(), 20000) if tests else _sentence(NO_TEST_COMMAND)]
    footer = f"Opened by Honk, an automated agent · {money(cost_usd)}"
    footer += f" · [run log]({run_url})" if run_url else ""
    head_text, tail_text = "\n".join(head), "\n".join([*tail, "", "---", footer])
    room = GITHUB_BODY_LIMIT - len(head_text) - len(tail_text) - 2
    text = outbound(summary.strip(), room) or "No summary was given."
    return cap("\n".join([head_text, text, tail_text]), GITHUB_BODY_LIMIT)


def slack_pr_title(summary: str, request: str) -> str:
    """A Slack task's PR title: the first line of the agent's summary (else of the request),
    on one line, secrets redacted, within GitHub's title limit."""
    for text in (summary, request, "Task from Slack"):
        line = next((ln for ln in text.splitlines() if ln.strip(" #*`>-")), "")
        title = " ".join(redact_secrets(line.strip(" #*`>")).split())
        if title:
            return _fit(title)
    return "Task from Slack"


def slack_intro(requester: str, request: str, permalink: str | None) -> str:
    """What a Slack task's PR body says first: who asked in Slack, the request quoted as data
    (secrets redacted, mentions defused), and the thread's link when Slack gave one."""
    who = login(requester)
    by = f" by @{who}" if who else ""
    thread = f" ([thread]({permalink}))" if permalink and _HTTP_URL.fullmatch(permalink) else ""
    asked = block_quote(cap(redact_secrets(request), SLACK_REQUEST_CHARS))
    return f"Requested in Slack{by}{thread}:\n\n{asked}"


def _fit(title: str) -> str:
    return title if len(title) <= MAX_TITLE_CHARS else title[: MAX_TITLE_CHARS - 1] + "…"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."
