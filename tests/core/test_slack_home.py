"""The App Home tab: link state first, running jobs with Stop, recent jobs with PR links."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.core.slack_blocks import ACTION_STOP
from app.core.slack_home import MAX_HOME_JOBS, Account, HomeJob, home_blocks, job_line
from app.core.slack_mrkdwn import MAX_BLOCKS, PHONE_LINE, visible

PR = "https://github.com/octo/widgets/pull/7"
LINK = "https://honk.example/slack/link?token=abc"
TOKEN = "gh" + "p_" + "Zx9" * 12
JOBS = [
    HomeJob(44, "octo/widgets", None, "running"),
    HomeJob(43, "octo/widgets", 7, "done", PR),
    HomeJob(42, "octo/other", 3, "failed"),
    HomeJob(41, "octo/widgets", None, "queued"),
]


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []
    for block in blocks:
        if "text" in block:
            found.append(block["text"]["text"])
        found += [e["text"] for e in block.get("elements", []) if isinstance(e.get("text"), str)]
    return found


def stops(blocks: list[dict[str, Any]]) -> list[str]:
    return [
        b["accessory"]["value"]
        for b in blocks
        if b.get("accessory", {}).get("action_id") == ACTION_STOP
    ]


@pytest.mark.parametrize(
    ("account", "first"),
    [
        (Account(login="mona"), "Linked to GitHub as mona."),
        (Account(link_url=LINK), f"<{LINK}|Connect GitHub>"),
        (Account(missing=("GITHUB_CLIENT_ID",)), "GitHub sign-in is not set up"),
    ],
)
def test_the_link_state_comes_first(account: Account, first: str) -> None:
    head = texts(home_blocks(account, []))[0].split("\n")[1]
    assert head.startswith(first)


def test_running_jobs_have_stop_and_recent_ones_their_pr_link() -> None:
    blocks = home_blocks(Account(login="mona"), JOBS)
    assert stops(blocks) == ["44", "41"]
    shown = "\n".join(texts(blocks))
    assert "Job 44: octo/widgets · Running" in shown
    assert f"Job 43: octo/widgets#7 · Done · <{PR}|PR>" in shown
    assert "Job 42: octo/other#3 · Failed" in shown
    assert shown.index("*Running*") < shown.index("*Recent*")


def test_no_jobs_says_how_to_start_one() -> None:
    shown = "\n".join(texts(home_blocks(Account(login="mona"), [])))
    assert "No jobs yet" in shown and not stops(home_blocks(Account(login="mona"), []))


def test_the_tab_stays_within_slacks_limits_and_phone_sized() -> None:
    many = [HomeJob(n, "octo/widgets", n, "running") for n in range(1, 40)]
    blocks = home_blocks(Account(link_url=LINK), many)
    assert len(blocks) <= MAX_BLOCKS and len(stops(blocks)) == MAX_HOME_JOBS
    for text in texts(blocks):
        for line in visible(text).split("\n"):
            assert len(line) <= PHONE_LINE, line


def test_others_text_is_defused() -> None:
    line = job_line(HomeJob(1, f"<!channel> {TOKEN}", None, "<!here>", "javascript:x"))
    assert TOKEN not in line and not re.search(r"<[!@#]", line) and "javascript" not in line
