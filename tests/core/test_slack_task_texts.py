"""The texts of a Slack task's PR: its title from the agent's summary, the intro quoting the
request as data, and the block quote that shows others' text as written."""

from __future__ import annotations

import pytest

from app.core import messages
from app.core.markdown import block_quote, find_marker

TOKEN = "ghp_" + "A1b2C3d4" * 4 + "Zz99"
LINK = "https://honk.slack.test/archives/C0GENERAL/p1764999999000100"


@pytest.mark.parametrize(
    ("summary", "asked", "title"),
    [
        ("Fix add() to add\n\nDetails.", "make add add", "Fix add() to add"),
        ("## Fix   the   crash\nmore", "x", "Fix the crash"),
        ("\n\n", "  fix the playlist crash\nplease", "fix the playlist crash"),
        ("", "", "Task from Slack"),
        (f"Rotate {TOKEN}", "", "Rotate ghp_…(redacted)"),
        ("x" * 300, "", "x" * 255 + "…"),
    ],
)
def test_the_pr_title_is_the_summary_first_line(summary: str, asked: str, title: str) -> None:
    assert messages.slack_pr_title(summary, asked) == title


def test_the_intro_names_the_requester_quotes_the_request_and_links_the_thread() -> None:
    intro = messages.slack_intro("mona", f"<!channel> fix it\n@here {TOKEN} -->", LINK)
    assert intro.startswith(f"Requested in Slack by @mona ([thread]({LINK})):\n\n")
    quoted = intro.split("\n\n", 1)[1].split("\n")
    assert quoted == ["> &lt;!channel&gt; fix it", "> @\u2060here ghp_…(redacted) --&gt;"]


@pytest.mark.parametrize(
    ("login", "permalink", "head"),
    [
        ("mona", None, "Requested in Slack by @mona:"),
        ("not a login!", LINK, f"Requested in Slack ([thread]({LINK})):"),
        ("mona", "javascript:alert(1)", "Requested in Slack by @mona:"),
    ],
)
def test_the_intro_leaves_out_what_is_not_safe(
    login: str, permalink: str | None, head: str
) -> None:
    assert messages.slack_intro(login, "a task", permalink).split("\n")[0] == head


def test_the_pr_body_keeps_its_marker_first_and_the_intro_before_the_summary() -> None:
    intro = messages.slack_intro("mona", "a task", LINK)
    body = messages.pr_body("The summary.", ["calc.py"], None, None, None, 0.5, intro=intro)
    assert find_marker(body) == {"kind": "pr"}
    assert body.index("Requested in Slack") < body.index("The summary.") < body.index("calc.py")


def test_a_block_quote_shows_text_as_written_and_mentions_nobody() -> None:
    assert block_quote("a <b>\r\n\n@team & #1") == "> a &lt;b&gt;\n>\n> @\u2060team &amp; #1"
