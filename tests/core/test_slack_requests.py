"""app/core/slack_requests.py: Slack text read as a typed request; the repository resolved."""

from __future__ import annotations

import pytest

from app.core.slack_requests import (
    NEEDS_REPOSITORY,
    Empty,
    FixItem,
    Help,
    Jobs,
    Link,
    Needs,
    SetRepo,
    SlackRequest,
    Task,
    Unknown,
    Unlink,
    parse_slack_text,
    plain_text,
    repo_error,
    resolve_repository,
)

BOT = "U0HONK42"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # slash command text (Slack sends only what follows `/honk`)
        (
            "octo-org/hello-world fix the login redirect",
            Task("octo-org/hello-world", "fix the login redirect"),
        ),
        (
            "octo/hello.js   add a README\nwith usage",
            Task("octo/hello.js", "add a README\nwith usage"),
        ),
        ("Octo/Hello_World bump deps", Task("Octo/Hello_World", "bump deps")),
        ("octo/hello#12", FixItem("octo/hello", 12, "")),
        ("octo/hello#12 keep the old API too", FixItem("octo/hello", 12, "keep the old API too")),
        ("make the tests faster", Task(None, "make the tests faster")),
        ("repo octo/hello", SetRepo("octo/hello")),
        ("REPO  Octo/Hello ", SetRepo("Octo/Hello")),
        ("link", Link()),
        ("unlink", Unlink()),
        ("jobs", Jobs()),
        ("help", Help()),
        ("  Help\n", Help()),
        ("JOBS", Jobs()),
        # mentions: the bot's mention goes wherever it is
        (f"<@{BOT}> octo/hello fix #3's typo", Task("octo/hello", "fix #3's typo")),
        (f"<@{BOT}|honk> help", Help()),
        (f"<@{BOT}>   jobs  ", Jobs()),
        (f"please <@{BOT}> tidy the docs", Task(None, "please tidy the docs")),
        (f"<@{BOT}> ask <@U999> about it", Task(None, "ask @U999 about it")),
        # Slack's link markup and escapes
        (
            f"<@{BOT}> fix <https://example.com/a?b=1&amp;c=2|example.com/a>",
            Task(None, "fix example.com/a"),
        ),
        (
            "see <https://ci.example.com/run/7> and fix",
            Task(None, "see https://ci.example.com/run/7 and fix"),
        ),
        ("post in <#C0123|general> when done", Task(None, "post in #general when done")),
        ("ping <!here> and <!subteam^S12|@devs>", Task(None, "ping @here and @devs")),
        ("make a &lt; b &amp;&amp; c &gt; d", Task(None, "make a < b && c > d")),
        ("link the docs", Task(None, "link the docs")),
        ("help me with the flaky test", Task(None, "help me with the flaky test")),
        ("src/app/main.py crashes", Task(None, "src/app/main.py crashes")),
        ("a  b", Task(None, "a  b")),
    ],
)
def test_text_is_read_as_the_request_of_its_row(text: str, expected: SlackRequest) -> None:
    assert parse_slack_text(text, BOT) == expected


@pytest.mark.parametrize(
    ("text", "reason_has"),
    [
        ("repo", "`repo owner/repo`"),
        ("repo octo", "one repository"),
        ("repo octo/a octo/b", "one repository"),
        ("repo -octo/hello", "not a GitHub owner"),
        ("octo/hello#abc fix it", "`#abc` is not an issue or PR number"),
        ("octo/hello#0", "not an issue or PR number"),
        ("octo/hello#", "not an issue or PR number"),
        ("octo/hello#99999999999", "not an issue or PR number"),
        ("octo/hello", "What should Honk do in octo/hello?"),
        ("octo_org/hello fix", "not a GitHub owner"),
        ("octo--org/hello fix", "not a GitHub owner"),
        ("a" * 40 + "/hello fix", "not a GitHub owner"),
        ("octo/he$llo fix", "not a repository name"),
        ("octo/.. fix", "not a repository name"),
    ],
)
def test_a_wrong_request_says_what_was_wrong(text: str, reason_has: str) -> None:
    request = parse_slack_text(text, BOT)
    assert isinstance(request, Unknown)
    assert reason_has in request.reason and request.text == text.strip()


@pytest.mark.parametrize("text", ["", "   ", f"<@{BOT}>", f"  <@{BOT}|honk>  \n"])
def test_nothing_but_the_mention_is_empty(text: str) -> None:
    request = parse_slack_text(text, BOT)
    assert isinstance(request, Empty) and "help" in request.reason


def test_without_the_bot_id_a_leading_mention_is_taken_for_the_bot() -> None:
    assert parse_slack_text("<@U0HONK42> octo/x do it") == Task("octo/x", "do it")
    assert parse_slack_text("tell <@U7> it works") == Task(None, "tell @U7 it works")


def test_another_users_mention_is_not_stripped_as_the_bots() -> None:
    assert parse_slack_text("<@U777> help", BOT) == Task(None, "@U777 help")


def test_plain_text_undoes_markup_once() -> None:
    assert plain_text("&amp;lt;b&amp;gt;") == "&lt;b&gt;"
    assert plain_text("<mailto:a@b.example|a@b.example>") == "a@b.example"


@pytest.mark.parametrize(
    ("repo", "ok"),
    [
        ("octo/hello", True),
        ("o/h", True),
        ("a-b-c/x.y_z-1", True),
        ("a" * 39 + "/x", True),
        ("octo/" + "x" * 100, True),
        ("octo/" + "x" * 101, False),
        ("-a/x", False),
        ("a-/x", False),
        ("octo/.", False),
        ("octo/", False),
        ("/x", False),
    ],
)
def test_repository_names_are_validated_like_githubs(repo: str, ok: bool) -> None:
    assert (repo_error(repo) is None) is ok


@pytest.mark.parametrize(
    ("explicit", "thread", "channel", "expected"),
    [
        ("a/explicit", "b/thread", "c/channel", "a/explicit"),
        (None, "b/thread", "c/channel", "b/thread"),
        (None, None, "c/channel", "c/channel"),
        (None, "", "c/channel", "c/channel"),
        (None, None, None, Needs()),
        ("", "", "", Needs()),
    ],
)
def test_the_repository_is_resolved_in_order_never_guessed(
    explicit: str | None, thread: str | None, channel: str | None, expected: str | Needs
) -> None:
    assert resolve_repository(explicit, thread, channel) == expected


def test_needing_a_repository_says_how_to_name_one() -> None:
    assert Needs().text == NEEDS_REPOSITORY
    assert "`owner/repo the task…`" in NEEDS_REPOSITORY and "`repo owner/repo`" in NEEDS_REPOSITORY


def test_an_error_quoting_a_secret_redacts_it_before_cutting() -> None:
    token = "gh" + "p_" + "Q" * 40
    request = parse_slack_text(f"repo {token}/x", BOT)
    assert isinstance(request, Unknown)
    assert "QQQQ" not in request.reason and "ghp_…(redacted)" in request.reason
