"""A Honk PR's later life in Slack: one line per event, told in every thread that follows the PR.

A PR started from Slack has threads (`slack_records.threads_for_pull`); a GitHub-started Honk PR
whose requester linked Slack gets the same lines by DM instead. Each line is posted at most once
per place: its notice key is claimed first and given back when Slack fails, so a retried job
posts what is missing and nothing twice. Best effort: a Slack or database failure is logged and
never fails the job; with no Slack token configured nothing is told at all.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from app.core import slack_texts
from app.core.errors import Cancelled, ConfigError
from app.core.slack_mrkdwn import SlackMessage, message
from app.flows.services import Services
from app.github.client import CheckRunInfo, PullInfo, RepoClient
from app.github.results import FAILED_CONCLUSIONS
from app.slack.client import SlackClient

log = logging.getLogger("honk.flows.slack")
Line = SlackMessage | str
LineMaker = Callable[[], Awaitable[Line | None]]
PENDING_CONCLUSIONS = frozenset({None, "stale"})  # neither passed nor failed (yet)


@dataclass(frozen=True)
class Place:
    """Where a PR's lines go: a thread of a channel, or the DM of a linked Slack person."""

    channel: str | None  # None: the DM with `user`, opened when first needed
    thread_ts: str | None = None
    user: str | None = None

    @property
    def key(self) -> str:
        return f"dm:{self.user}" if self.channel is None else f"{self.channel}:{self.thread_ts}"


def slack_of(services: Services) -> SlackClient | None:
    """The Slack client, or None when Honk has no Slack token."""
    try:
        return services.slack
    except ConfigError:
        return None


async def places(services: Services, repo: str, number: int) -> list[Place]:
    """The PR's Slack threads; without any, the DMs of its requester's linked Slack people."""
    threads = await services.slack_records.threads_for_pull(repo, number)
    if threads:
        return [Place(t.channel, t.thread_ts) for t in threads]
    record = await services.pulls.get(repo, number)
    if record is None or record.requester_id is None:
        return []
    people = await services.accounts.slack_people(record.requester_id)
    return [Place(None, user=person.user) for person in people]


async def followers(services: Services, repo: str, number: int) -> list[Place]:
    """`places`, or none when Slack is not configured or cannot be read (best effort)."""
    if slack_of(services) is None:
        return []
    try:
        return await places(services, repo, number)
    except Cancelled:
        raise
    except Exception:
        log.warning("slack places unreadable", extra={"repo": repo, "pr": number}, exc_info=True)
        return []


async def tell_threads(
    services: Services, repo: str, number: int, line: Line | LineMaker, key: str
) -> int:
    """Post `line` (or what `line()` makes, asked only when someone follows the PR) once to
    every place of `repo#number`; returns how many places got it. Never raises."""
    slack = slack_of(services)
    found = await followers(services, repo, number)
    if slack is None or not found:
        return 0
    try:
        made = line if isinstance(line, SlackMessage | str) else await line()
    except Cancelled:
        raise
    except Exception:
        log.warning("slack line not made", extra={"repo": repo, "pr": number}, exc_info=True)
        return 0
    if made is None:
        return 0
    text = message([made]) if isinstance(made, str) else made
    told = 0
    for place in found:
        notice = f"{repo}#{number}:{key}:{place.key}"
        told += await _tell(services, slack, place, text, notice)
    return told


async def _tell(
    services: Services, slack: SlackClient, place: Place, text: SlackMessage, notice: str
) -> int:
    records = services.slack_records
    try:
        if not await records.notice_once(notice):
            return 0
        channel = place.channel or await slack.open_dm(place.user or "")
        await slack.post(channel, text, thread_ts=place.thread_ts)
        return 1
    except Cancelled:
        raise
    except Exception:
        log.warning("slack line not posted", extra={"notice": notice}, exc_info=True)
        try:
            await records.forget_notice(notice)
        except Exception:
            log.warning("slack notice not given back", extra={"notice": notice}, exc_info=True)
        return 0


def commit_url(pull: PullInfo, sha: str) -> str:
    """The commit as the PR shows it."""
    return f"{pull.html_url}/commits/{sha}"


def ci_checks(
    runs: Sequence[CheckRunInfo],
) -> tuple[list[slack_texts.Check], list[slack_texts.Check], int]:
    """(passed, failed, still pending) of a commit's check runs."""
    passed, failed, pending = [], [], 0
    for run in runs:
        check = slack_texts.Check(run.name, run.details_url)
        if run.conclusion in FAILED_CONCLUSIONS:
            failed.append(check)
        elif run.conclusion in PENDING_CONCLUSIONS:
            pending += 1
        else:
            passed.append(check)
    return passed, failed, pending


async def ci_failed_line(repo: RepoClient, pull: PullInfo) -> str | None:
    """`CI failed: …` for the PR's head, the failed checks named and linked; None if none."""
    passed, failed, _ = ci_checks(await repo.check_runs_for_ref(pull.head_sha))
    if not failed:
        return None
    return slack_texts.ci_result(passed, failed, f"{pull.html_url}/checks")
