"""Every try of a GitHub call is counted by its status: retried 5xx, refusals, no connection."""

from __future__ import annotations

import socket

import pytest

from app.core.errors import GitHubError
from tests.fakes.github.api import AppKeyPair
from tests.fakes.github.session import (
    INSTALLATION_ID,
    REPO,
    GitHubSession,
    RecordingSleep,
    SteppedClock,
    app_for,
)
from tests.metrics.scrape import Scrape

CALLS = "honk_github_api_calls_total"


async def test_a_retried_502_counts_each_try(gh: GitHubSession) -> None:
    await gh.client.repository()  # the token is minted inside the first call
    client = await gh.app.repo(INSTALLATION_ID, REPO)  # a later job's: the token is kept
    gh.fake.fail_next("GET", f"/repos/{REPO}", 502, times=2)
    before = Scrape.own()
    await client.repository()
    after = Scrape.own()
    assert after.moved(before, CALLS, status="502") == 2
    assert after.moved(before, CALLS, status="200") == 1
    assert after.total(CALLS) - before.total(CALLS) == 3


async def test_a_refusal_counts_by_its_status(gh: GitHubSession) -> None:
    await gh.client.repository()
    before = Scrape.own()
    with pytest.raises(GitHubError):
        await gh.client.issue(999)
    assert Scrape.own().moved(before, CALLS, status="404") == 1


async def test_no_connection_counts_as_connection(app_key: AppKeyPair) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = app_for(f"http://127.0.0.1:{port}", app_key, RecordingSleep(), SteppedClock())
    before = Scrape.own()
    with pytest.raises(GitHubError):
        await app.bot_login()
    assert Scrape.own().moved(before, CALLS, status="connection") == 3  # the try and 2 retries
