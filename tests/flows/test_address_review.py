"""Review replies: parsing the agent's per-comment lines and grouping comments into threads."""

from __future__ import annotations

import pytest

from app.flows.address_review import NO_REPLY, parse_replies, thread_reply, threads_of
from app.github.client import ReviewComment


def comment(id_: int, reply_to: int | None = None) -> ReviewComment:
    return ReviewComment(id_, f"body {id_}", "mona", "calc.py", 1, reply_to, "@@")


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        ("Did it.\n\n## Replies\n- 11: Added a test.\n- 12: Kept it.",
         {11: "Added a test.", 12: "Kept it."}),
        ("## Replies\n* 11 – en dash works\n  - 12 — em dash too",
         {11: "en dash works", 12: "em dash too"}),
        ("No replies section\n- 11: ignored", {}),
        ("## Replies\n- eleven: not an id\n- 13:   trimmed   ", {13: "trimmed"}),
        ("## Replies\n", {}),
    ],
)  # fmt: skip
def test_parse_replies(summary: str, expected: dict[int, str]) -> None:
    assert parse_replies(summary) == expected


def test_threads_group_replies_under_their_first_comment() -> None:
    comments = [comment(1), comment(2, reply_to=1), comment(3), comment(4, reply_to=1)]
    assert {root: [c.id for c in members] for root, members in threads_of(comments).items()} == {
        1: [1, 2, 4],
        3: [3],
    }


def test_thread_reply_joins_answers_or_says_none_was_given() -> None:
    members = [comment(1), comment(2, reply_to=1)]
    assert thread_reply(members, {1: "First.", 2: "Second."}) == "First.\n\nSecond."
    assert thread_reply(members, {2: "Only the reply."}) == "Only the reply."
    assert thread_reply(members, {}) == NO_REPLY
