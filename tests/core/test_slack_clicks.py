"""What a click decides without I/O: approvals as GitHub counts them, the merge method, texts."""

from __future__ import annotations

import pytest

from app.core.slack_clicks import (
    approvers,
    head_moved,
    merge_method,
    merged_with,
    needs_other_approver,
    retried,
)


@pytest.mark.parametrize(
    ("reviews", "expected"),
    [
        ([], set()),
        ([("Mona", "APPROVED")], {"mona"}),
        ([("mona", "APPROVED"), ("mona", "COMMENTED")], {"mona"}),  # a comment keeps it
        ([("mona", "APPROVED"), ("mona", "CHANGES_REQUESTED")], set()),
        ([("mona", "APPROVED"), ("mona", "DISMISSED")], set()),
        ([("mona", "CHANGES_REQUESTED"), ("mona", "approved"), ("hubot", "PENDING")], {"mona"}),
        ([("mona", "APPROVED"), ("hubot", "APPROVED")], {"mona", "hubot"}),
    ],
)
def test_approvers_are_each_reviewers_latest_deciding_review(
    reviews: list[tuple[str, str]], expected: set[str]
) -> None:
    assert approvers(reviews) == expected


@pytest.mark.parametrize(
    ("approved", "requester", "refused"),
    [
        (set(), "mona", True),
        ({"mona"}, "Mona", True),
        ({"mona", "hubot"}, "mona", False),
        ({"hubot"}, "mona", False),
        ({"hubot"}, None, False),
        (set(), None, True),
    ],
)
def test_the_two_person_rule(approved: set[str], requester: str | None, refused: bool) -> None:
    assert needs_other_approver(frozenset(approved), requester) is refused


@pytest.mark.parametrize(
    ("allowed", "method"),
    [
        ((True, True, True), "squash"),
        ((False, True, True), "merge"),
        ((False, False, True), "rebase"),
        ((True, False, False), "squash"),
        ((False, False, False), None),
    ],
)
def test_merge_method_prefers_squash(allowed: tuple[bool, bool, bool], method: str | None) -> None:
    assert merge_method(*allowed) == method


def test_texts_are_short_and_cannot_notify() -> None:
    assert merged_with("mona", "squash") == "Merged by mona (squash)"
    assert merged_with("<!channel>", "merge") == "Merged (merge)"
    assert retried("U0MONA", 3, 9) == "Retry by <@U0MONA>: job 3 queued again as job 9."
    assert retried("<!here>", 3, 9) == "Retry: job 3 queued again as job 9."
    assert head_moved("merged", "a" * 40, "b" * 40).startswith(
        "Not merged: the head moved from aaaaaaa to bbbbbbb."
    )
