"""Slack's records: channel defaults, job threads, status messages, a person's jobs, notices
(SQLite, and PostgreSQL when it is reachable)."""

from __future__ import annotations

from dataclasses import replace

from app.core.commands import Command, SlackOrigin
from app.store.engine import Store
from app.store.queue import Queue
from app.store.slack_records import SlackRecords, SlackStatus, SlackThread
from tests.conftest import ManualClock

TEAM, CHANNEL = "T0001", "C0GENERAL"
THREAD = SlackThread(TEAM, CHANNEL, "1765000001.000001", "octo/widgets", None, "U0MONA", "mona", 1)


def slack_task(user: str, thread_ts: str, delivery: str) -> Command:
    origin = SlackOrigin(TEAM, CHANNEL, user, ts=thread_ts, thread_ts=thread_ts, text="fix it")
    return Command("slack_task", "octo/widgets", None, 77, "mona", delivery, slack=origin)


async def test_the_channel_default_is_set_replaced_and_kept_per_channel(
    store: Store, clock: ManualClock
) -> None:
    records = SlackRecords(store, clock=clock)
    assert await records.channel_repo(TEAM, CHANNEL) is None
    await records.set_channel_repo(TEAM, CHANNEL, "octo/widgets", "mona")
    await records.set_channel_repo(TEAM, CHANNEL, "octo/gadgets", "hubot")
    await records.set_channel_repo(TEAM, "C0OTHER", "octo/other", "mona")
    assert await records.channel_repo(TEAM, CHANNEL) == "octo/gadgets"
    assert await records.channel_repo(TEAM, "C0OTHER") == "octo/other"
    assert await records.channel_repo("T0002", CHANNEL) is None


async def test_a_thread_moves_to_its_newest_job_and_keeps_its_pr(store: Store) -> None:
    records = SlackRecords(store)
    await records.save_thread(THREAD)
    assert await records.thread(TEAM, CHANNEL, THREAD.thread_ts) == THREAD
    await records.attach_pull(TEAM, CHANNEL, THREAD.thread_ts, 12)
    await records.save_thread(replace(THREAD, last_job_id=2))  # a follow-up: PR unknown here
    found = await records.thread(TEAM, CHANNEL, THREAD.thread_ts)
    assert found == replace(THREAD, pr_number=12, last_job_id=2)
    await records.save_thread(replace(THREAD, pr_number=13, last_job_id=3))
    assert await records.threads_for_pull("octo/widgets", 13) == [
        replace(THREAD, pr_number=13, last_job_id=3)
    ]
    assert await records.thread(TEAM, CHANNEL, "1765000009.000009") is None


async def test_threads_for_a_pull_oldest_first(store: Store, clock: ManualClock) -> None:
    records = SlackRecords(store, clock=clock)
    second = replace(THREAD, channel="C0OTHER", pr_number=7, is_dm=True)
    await records.save_thread(replace(THREAD, pr_number=7))
    clock.advance(5)
    await records.save_thread(second)
    found = await records.threads_for_pull("octo/widgets", 7)
    assert [t.channel for t in found] == [CHANNEL, "C0OTHER"] and found[1].is_dm


async def test_the_first_status_stays_and_the_final_is_recorded(store: Store) -> None:
    records = SlackRecords(store)
    first = SlackStatus(5, TEAM, "U0MONA", CHANNEL, "1765000002.000002", THREAD.thread_ts)
    await records.save_status(first)
    await records.save_status(replace(first, ts="1765000003.000003"))  # a retried attempt
    assert await records.status(5) == first
    await records.set_final(5, "1765000004.000004")
    assert await records.status(5) == replace(first, final_ts="1765000004.000004")
    assert await records.status(6) is None


async def test_a_persons_jobs_newest_first_and_only_theirs(store: Store, queue: Queue) -> None:
    records = SlackRecords(store)
    ids = []
    for n, user in enumerate(["U0MONA", "U0HUBOT", "U0MONA", "U0MONA"]):
        _, job_id = await queue.enqueue(slack_task(user, f"17650000{n}.000001", f"d{n}"))
        ids.append(job_id)
        status = SlackStatus(job_id, TEAM, user, CHANNEL, f"17650001{n}.000001", None)
        await records.save_status(status)
    mine = await records.person_jobs(TEAM, "U0MONA")
    assert [job.id for job in mine] == [ids[3], ids[2], ids[0]]
    assert [job.id for job in await records.person_jobs(TEAM, "U0MONA", limit=1)] == [ids[3]]
    assert await records.person_jobs("T0002", "U0MONA") == []


async def test_a_notice_is_claimed_once_until_given_back(store: Store) -> None:
    records = SlackRecords(store)
    assert await records.notice_once("ci:octo/widgets#7:abc") is True
    assert await records.notice_once("ci:octo/widgets#7:abc") is False
    assert await records.notice_once("ci:octo/widgets#7:def") is True
    await records.forget_notice("ci:octo/widgets#7:abc")
    assert await records.notice_once("ci:octo/widgets#7:abc") is True
