"""Every Slack text Honk posts: phone-sized, third person, the link first, others' text defused."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from app.core.slack_blocks import (
    JobStatus,
    MergeTarget,
    Outcome,
    final_message,
    merge_offer,
    status_message,
)
from app.core.slack_mrkdwn import (
    BUTTON_TEXT_LIMIT,
    MAX_BLOCKS,
    PHONE_LINE,
    SECTION_LIMIT,
    SlackMessage,
    visible,
)
from app.core.slack_texts import (
    Artifact,
    Check,
    JobLine,
    approved,
    artifacts,
    channel_repository_set,
    ci_fixed,
    ci_result,
    closed,
    deployment_ready,
    github_refused,
    help_text,
    jobs_list,
    joined_queued,
    link_first,
    linked,
    merged,
    name_a_repository,
    no_write_access,
    not_found,
    not_installed,
    other_approver_needed,
    request_error,
    review_addressed,
    sign_in_not_set_up,
    stopped_by,
    thread_is_for,
    unlinked,
)

SHA = "3f2a9c81d7e64b0a9f1c2d3e4f5a6b7c8d9e0f1a"
PR = "https://github.com/octo-org/hello-world/pull/57"
TOKEN = "gh" + "p_" + "Zx9" * 12
HOSTILE = f"<!channel> <!here> <!everyone> <@U0BOSS> <#C0GEN> <!subteam^S0DEV> @channel {TOKEN}"
FIRST_PERSON = re.compile(r"\bI\b|\bI'|(?i:\b(?:me|my|mine|we|our|ours|us)\b)")


def _status(state: Any, extra: str = "") -> SlackMessage:
    status = JobStatus(
        42, "octo-org/hello-world", "main" + extra, state, 7, 0.31, "https://honk.example/runs/42"
    )
    return status_message(status)


def _outcome(
    state: Any, reason: str = "", pr_label: str = "octo-org/hello-world#57"
) -> SlackMessage:
    outcome = Outcome(
        42, state, 252, 0.83, PR if state == "done" else None, pr_label, 3, 40, 12, "passed", reason
    )
    return final_message(outcome, "U0ALICE")


TARGET = MergeTarget("octo-org/hello-world", 57, SHA)
CHECKS = [Check("lint", "https://ci.example/1"), Check("unit tests", "https://ci.example/2")]
JOBS = [
    JobLine(42, "octo-org/hello-world", 12, "done", 0.83, PR),
    JobLine(41, "octo/x", None, "failed", 0.1),
]

# Every text, built with usual inputs: (name, build(user_text) -> text or message).
TEXTS: list[tuple[str, Callable[[str], str | SlackMessage]]] = [
    ("help", lambda _: help_text()),
    ("link first", lambda _: link_first("https://honk.example/slack/link?t=abc")),
    ("linked", lambda u: linked(u or "octocat")),
    ("unlinked", lambda _: unlinked()),
    ("sign-in not set up", lambda u: sign_in_not_set_up(["GITHUB_CLIENT_ID", u or "X_URL"])),
    ("not installed", lambda u: not_installed(u or "octo-org/hello-world")),
    ("joined queued", lambda _: joined_queued(42)),
    ("thread is for", lambda u: thread_is_for(u or "octo-org/hello-world")),
    ("not found", lambda u: not_found(u or "octo-org/hello-world", 12)),
    ("no write access", lambda u: no_write_access("octo-org/hello-world", u or "octocat")),
    ("name a repository", lambda _: name_a_repository()),
    ("repository set", lambda _: channel_repository_set("octo-org/hello-world")),
    ("request error", lambda u: request_error(u or "`#abc` is not an issue or PR number")),
    ("review addressed", lambda _: review_addressed(SHA, f"{PR}/commits/{SHA}")),
    ("ci passed", lambda _: ci_result(CHECKS, [], "https://ci.example/run")),
    ("ci failed", lambda u: ci_result([], [*CHECKS, Check(u or "e2e")], None)),
    ("ci fixed", lambda _: ci_fixed(SHA, None)),
    ("approved", lambda u: approved(u or "octocat")),
    ("merged", lambda u: merged(u or "octocat")),
    ("closed", lambda _: closed()),
    ("github refused", lambda u: github_refused("merge", u or "Pull Request is not mergeable")),
    ("other approver", lambda _: other_approver_needed()),
    ("stopped by", lambda _: stopped_by("U0ALICE")),
    ("deployment", lambda u: deployment_ready(u or "preview", "https://pr-57.preview.example")),
    ("artifacts", lambda u: artifacts([Artifact(u or "dist", "https://ci.example/a/1")])),
    ("jobs", lambda u: jobs_list([*JOBS, JobLine(40, "octo/y", 3, u or "queued", 0)])),
    ("no jobs", lambda _: jobs_list([])),
    *[(f"status {s}", lambda u, s=s: _status(s, u)) for s in
      ("queued", "working", "testing", "publishing", "done", "failed", "cancelled")],
    ("final done", lambda u: _outcome("done", pr_label=u or "octo-org/hello-world#57")),
    ("final failed", lambda u: _outcome("failed", u or "the tests kept failing")),
    ("final stopped", lambda u: _outcome("cancelled", u)),
    ("merge draft", lambda _: merge_offer(TARGET, PR, draft=True, mergeable=None)),
    ("merge ready", lambda _: merge_offer(TARGET, PR, draft=False, mergeable=True)),
    ("merge conflicts", lambda _: merge_offer(TARGET, PR, draft=False, mergeable=False)),
    ("merge unknown", lambda _: merge_offer(TARGET, PR, draft=False, mergeable=None)),
]  # fmt: skip


def texts_of(built: str | SlackMessage) -> list[str]:
    """Every mrkdwn or plain text a reader could see, the notification fallback included."""
    if isinstance(built, str):
        return [built]
    return [built.text, *_walk(built.blocks)]


def _walk(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


@pytest.mark.parametrize(("name", "build"), TEXTS, ids=[name for name, _ in TEXTS])
def test_every_text_is_phone_sized_and_third_person(
    name: str, build: Callable[[str], str | SlackMessage]
) -> None:
    for text in texts_of(build("")):
        assert text.strip(), name
        for line in visible(text).split("\n"):
            assert len(line) <= PHONE_LINE, f"{name}: {line!r}"
        assert not FIRST_PERSON.search(visible(text)), f"{name}: {text!r}"


@pytest.mark.parametrize(("name", "build"), TEXTS, ids=[name for name, _ in TEXTS])
def test_others_text_never_notifies_and_never_leaks_a_secret(
    name: str, build: Callable[[str], str | SlackMessage]
) -> None:
    for text in texts_of(build(HOSTILE)):
        assert TOKEN not in text, name
        specials = re.findall(r"<[!@#][^>]*>", text)
        assert specials in ([], ["<@U0ALICE>"]), f"{name}: {specials}"
        assert not re.search(r"(?<!\w)@(channel|here|everyone)\b", text), name


@pytest.mark.parametrize(("name", "build"), TEXTS, ids=[name for name, _ in TEXTS])
def test_every_message_is_within_slacks_limits(
    name: str, build: Callable[[str], str | SlackMessage]
) -> None:
    built = build(HOSTILE * 200)
    if isinstance(built, str):
        return
    assert len(built.blocks) <= MAX_BLOCKS
    for block in built.blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= SECTION_LIMIT
        for element in block.get("elements", []):
            if element["type"] == "button":
                assert len(element["text"]["text"]) <= BUTTON_TEXT_LIMIT


def test_help_names_every_row_and_is_short() -> None:
    text = help_text()
    for row in ("`owner/repo the task…`", "`owner/repo#12", "`repo owner/repo`", "`link`",
                "`unlink`", "`jobs`", "thread"):  # fmt: skip
        assert row in text
    assert len(text.split("\n")) <= 10


def test_link_first_puts_the_link_first() -> None:
    first = link_first("https://honk.example/slack/link?t=abc").split("\n")[0]
    assert first == "<https://honk.example/slack/link?t=abc|Connect GitHub>"


def test_no_write_access_names_the_repository_login_and_permission() -> None:
    text = no_write_access("octo/x", "octocat")
    assert "octo/x" in text and "octocat" in text and "write, maintain or admin" in text


def test_ci_failed_names_the_failing_checks_with_links_and_counts() -> None:
    failed = [Check(f"check {n}", f"https://ci.example/{n}") for n in range(5)]
    line = ci_result([Check("ok")], failed, None)
    assert line.startswith("CI failed: 5 of 6 checks: <https://ci.example/0|check 0>, ")
    assert line.endswith("<https://ci.example/2|check 2> +2 more") and "\n" not in line


def test_ci_passed_counts_and_links_the_run() -> None:
    assert ci_result(CHECKS, [], "https://ci.example/run") == (
        "CI passed: <https://ci.example/run|2 checks>"
    )


def test_pr_life_events_are_one_line_each_with_their_link() -> None:
    assert (
        review_addressed(SHA, "https://c.example/1")
        == "Review addressed: <https://c.example/1|3f2a9c8>"
    )
    assert ci_fixed(SHA, None) == "CI fixed: 3f2a9c8"
    assert approved("octocat") == "Approved by octocat"
    assert merged("octocat") == "Merged by octocat" and merged(None) == "Merged"
    assert closed() == "Closed without merging"
    assert (
        deployment_ready("preview", "https://p.example")
        == "<https://p.example|Preview ready>: preview"
    )
    assert artifacts([]) == "No build artifacts"
    many = artifacts([Artifact(f"a{n}", None) for n in range(7)])
    assert many == "Artifacts: a0, a1, a2, a3, a4 +2 more"


def test_a_link_that_is_not_http_is_shown_as_its_label_only() -> None:
    assert deployment_ready("prod", "javascript:alert(1)") == "Preview ready: prod"
    assert review_addressed(SHA, "https://x.example/a|<!channel>") == "Review addressed: 3f2a9c8"


def test_jobs_list_shows_each_job_on_one_line_newest_first() -> None:
    lines = jobs_list(JOBS).split("\n")
    assert lines == [
        "Recent jobs:",
        f"Job 42: octo-org/hello-world#12 · done · $0.83 · <{PR}|PR>",
        "Job 41: octo/x · failed · $0.10",
    ]
    many = [JobLine(n, "o/r", n, "done", 0) for n in range(30)]
    assert len(jobs_list(many).split("\n")) == 11


def test_a_refusal_is_shown_as_github_gave_it() -> None:
    assert github_refused("merge", "Head branch was modified. Review and try the merge again.") == (
        "GitHub refused to merge:\nHead branch was modified. Review and try the merge again."
    )
    assert github_refused("approve", " ") == "GitHub refused to approve:\nno reason given"


def test_stopped_by_mentions_only_a_real_user() -> None:
    assert stopped_by("U0ALICE") == "Stopped by <@U0ALICE>."
    assert stopped_by("<!channel>") == "Stopped."


def test_sign_in_not_set_up_names_what_to_set() -> None:
    text = sign_in_not_set_up(["GITHUB_CLIENT_ID", "HONK_PUBLIC_URL"])
    assert "`GITHUB_CLIENT_ID`, `HONK_PUBLIC_URL`" in text and "README" in text
    assert "the sign-in settings" in sign_in_not_set_up([])


def test_not_installed_names_the_repository() -> None:
    assert not_installed("octo/x").split("\n")[0] == "Honk is not installed on octo/x."
