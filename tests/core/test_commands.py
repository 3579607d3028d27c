"""Tests for app/core/commands.py: `/honk` comment parsing and the Command record."""

from __future__ import annotations

import json

import pytest

from app.core.commands import (
    EXCLUSIVE_KINDS,
    JOB_KINDS,
    VERBS,
    Command,
    JobKind,
    ParsedComment,
    parse_comment,
)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("/honk fix", ParsedComment("fix", "", "fix")),
        (
            "/honk fix please handle the empty case",
            ParsedComment("fix", "please handle the empty case", "fix"),
        ),
        ("/HONK Fix The Typo", ParsedComment("fix", "The Typo", "fix")),
        ("/honk stop", ParsedComment("stop", "", "stop")),
        ("/honk retry", ParsedComment("retry", "", "retry")),
        ("/honk help", ParsedComment("help", "", "help")),
        ("/honk", ParsedComment("help", "", "help")),
        ("/honk   ", ParsedComment("help", "", "help")),
        ("/honk deploy now", ParsedComment(None, "now", "deploy")),
        ("/honk\tfix tabbed", ParsedComment("fix", "tabbed", "fix")),
        ("  /honk fix indented", ParsedComment("fix", "indented", "fix")),
        ("Thanks!\r\n/honk fix x\r\nand y\r\n", ParsedComment("fix", "x\nand y", "fix")),
        ("/honk fix\n\n- first\n- second", ParsedComment("fix", "- first\n- second", "fix")),
        ("/honk retry\n/honk stop", ParsedComment("retry", "/honk stop", "retry")),
        ("```\n/honk fix\n```\n/honk stop", ParsedComment("stop", "", "stop")),
        ("~~~\n/honk fix\n~~~\n/honk help", ParsedComment("help", "", "help")),
        ("/honk fix: the bug", ParsedComment("fix", "the bug", "fix")),
        ("/honk stop.", ParsedComment("stop", "", "stop")),
        ("```\n/honk fix\n~~~\n/honk stop\n```\n/honk retry", ParsedComment("retry", "", "retry")),
        ("````\n```\n/honk fix\n````\n/honk help", ParsedComment("help", "", "help")),
    ],
)
def test_parse_comment_finds_the_first_honk_line(body: str, expected: ParsedComment) -> None:
    assert parse_comment(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        None,
        "",
        "You are totally right! I'll get this fixed right away.",
        "please /honk fix this",
        "/honkfix",
        "/honk-bot fix",
        "/honk_x fix",
        "> /honk fix",
        "`/honk fix`",
        "```\n/honk fix\n```",
        "```python\n/honk fix\n",
        "    /honk fix",
        "\t/honk fix",
    ],
)
def test_parse_comment_ignores_text_that_is_not_a_command(body: str | None) -> None:
    assert parse_comment(body) is None


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_parses_to_itself(verb: str) -> None:
    parsed = parse_comment(f"/honk {verb.upper()}")
    assert parsed is not None and (parsed.verb, parsed.word) == (verb, verb)


def _full_command(kind: JobKind) -> Command:
    return Command(
        kind=kind,
        repo="octo-org/octo-repo",
        number=12,
        installation_id=99,
        sender="octocat",
        delivery_id="72d3162e-cc78-11e3-81ab-4c9367dc0958",
        notes="multi\nline — unicode",
        is_pull_request=True,
        comment_id=1,
        review_id=2,
        review_state="changes_requested",
        head_ref="honk/issue-12",
        head_sha="a" * 40,
        head_repo="octo-org/octo-repo",
        merged=False,
        check_suite_id=3,
    )


@pytest.mark.parametrize("kind", JOB_KINDS)
def test_command_json_round_trips(kind: JobKind) -> None:
    command = _full_command(kind)
    text = command.to_json()
    assert Command.from_json(text) == command
    assert json.loads(text) == command.to_dict()
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))


def test_minimal_command_round_trips_with_defaults() -> None:
    command = Command("help", "o/r", None, None, "octocat", "d")
    assert Command.from_json(command.to_json()) == command
    assert (command.notes, command.is_pull_request, command.merged) == ("", False, None)


def test_from_dict_ignores_unknown_keys() -> None:
    data = _full_command("fix_issue").to_dict() | {"added_later": 1}
    assert Command.from_dict(data) == _full_command("fix_issue")


@pytest.mark.parametrize("kind", JOB_KINDS)
def test_keys_for_a_numbered_target(kind: JobKind) -> None:
    command = _full_command(kind)
    assert command.target == "octo-org/octo-repo#12"
    assert command.dedupe_key == f"{kind}:octo-org/octo-repo#12"
    assert command.lock_key == ("octo-org/octo-repo#12" if kind in EXCLUSIVE_KINDS else None)


def test_keys_without_a_number_are_none() -> None:
    command = Command("fix_issue", "o/r", None, None, "octocat", "d")
    assert (command.target, command.lock_key, command.dedupe_key) == (None, None, None)


def test_branch_touching_kinds_are_exclusive() -> None:
    assert set(EXCLUSIVE_KINDS) <= set(JOB_KINDS)
    assert {"stop", "help", "approved"}.isdisjoint(EXCLUSIVE_KINDS)
    assert {"fix_issue", "fix_pr", "address_review", "ci_fix"} <= EXCLUSIVE_KINDS


def test_a_job_row_written_before_commands_carried_text_still_loads() -> None:
    """Queued jobs from an older Honk have no title/body: they load with None (read later)."""
    old = {
        "kind": "fix_issue", "repo": "o/r", "number": 3, "installation_id": 1,
        "sender": "mona", "delivery_id": "d-1", "notes": "", "is_pull_request": False,
    }  # fmt: skip
    command = Command.from_json(json.dumps(old))
    assert (command.title, command.body) == (None, None)
    carried = Command.from_dict({**old, "title": "T", "body": ""})
    assert (carried.title, carried.body) == ("T", "")
