"""app/core/slack_mrkdwn.py: others' text made harmless for Slack, links, buttons and limits."""

from __future__ import annotations

import pytest

from app.core.slack_mrkdwn import (
    BUTTON_TEXT_LIMIT,
    BUTTON_VALUE_LIMIT,
    SECTION_LIMIT,
    WORD_JOINER,
    button,
    link,
    mention,
    message,
    safe,
    section,
    short,
    visible,
)

SLACK_APP = "xa" + "pp-" + "1-A0123456789-1234567890-abcdef"
GITHUB = "gh" + "s_" + "k" * 36


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<!channel> look", "&lt;!channel&gt; look"),
        ("<!here|here> and <!everyone>", "&lt;!here|here&gt; and &lt;!everyone&gt;"),
        ("<@U0BOSS> and <#C0GEN|general>", "&lt;@U0BOSS&gt; and &lt;#C0GEN|general&gt;"),
        ("<!subteam^S0DEV|@devs>", "&lt;!subteam^S0DEV|@devs&gt;"),
        ("a && b", "a &amp;&amp; b"),
        ("&lt;!channel&gt;", "&amp;lt;!channel&amp;gt;"),
        (
            "@channel @Here @everyone",
            f"@{WORD_JOINER}channel @{WORD_JOINER}Here @{WORD_JOINER}everyone",
        ),
        ("mail a@channels.example", "mail a@channels.example"),
        (f"token {GITHUB} and {SLACK_APP}", "token ghs_…(redacted) and xapp-…(redacted)"),
        ("plain *bold* text", "plain *bold* text"),
    ],
)
def test_others_text_is_escaped_redacted_and_defused(text: str, expected: str) -> None:
    assert safe(text) == expected


def test_visible_reads_back_what_safe_kept() -> None:
    assert visible(safe("a < b & <!here>")) == "a < b & <!here>"


def test_short_puts_text_on_one_line_cut_with_an_ellipsis() -> None:
    assert short("a\n b\tc") == "a b c"
    assert short("x" * 100, 10) == "x" * 9 + "…"
    assert short("<!channel>" * 3, 12) == "&lt;!channel&gt;&lt;…"


def test_a_secret_is_redacted_before_a_cut_could_hide_it() -> None:
    assert short(f"see {GITHUB} now", 30) == "see ghs_…(redacted) now"
    assert short(f"{GITHUB}", 12) == "ghs_…(redac…"


@pytest.mark.parametrize(
    ("url", "label", "expected"),
    [
        ("https://github.com/o/r/pull/1", "o/r#1", "<https://github.com/o/r/pull/1|o/r#1>"),
        ("http://ci.example/x?a=1&b=2", "run", "<http://ci.example/x?a=1&amp;b=2|run>"),
        ("https://x.example", "a|b <c>", "<https://x.example|a¦b &lt;c&gt;>"),
        ("javascript:alert(1)", "x", "x"),
        ("https://x.example/a b", "x", "x"),
        ("https://x.example/a>|<!channel", "x", "x"),
        (None, "<!here>", "&lt;!here&gt;"),
    ],
)
def test_a_link_is_made_only_of_a_plain_http_url(
    url: str | None, label: str, expected: str
) -> None:
    assert link(url, label) == expected


@pytest.mark.parametrize(
    ("user_id", "expected"),
    [("U0ALICE", "<@U0ALICE>"), ("W012ABC", "<@W012ABC>"), ("!channel", ""), ("U1>", ""),
     ("u0alice", ""), ("", ""), (None, "")],
)  # fmt: skip
def test_only_a_real_user_id_is_mentioned(user_id: str | None, expected: str) -> None:
    assert mention(user_id) == expected


def test_blocks_stay_within_slacks_limits() -> None:
    assert len(section("x" * 5000)["text"]["text"]) == SECTION_LIMIT
    element = button("y" * 200, "honk_stop", "1", "danger", confirm="z" * 500)
    assert len(element["text"]["text"]) == BUTTON_TEXT_LIMIT
    assert len(element["confirm"]["text"]["text"]) <= 300
    with pytest.raises(ValueError, match="button value"):
        button("Stop", "honk_stop", "9" * (BUTTON_VALUE_LIMIT + 1))


def test_a_message_keeps_its_lines_and_drops_empty_ones() -> None:
    built = message(["one", "", "two"])
    assert built.text == "one\ntwo"
    assert built.blocks == [{"type": "section", "text": {"type": "mrkdwn", "text": "one\ntwo"}}]
