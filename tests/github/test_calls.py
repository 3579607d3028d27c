"""Bounded retries against the served fake: rate limits, 5xx, broken connections, clear errors."""

from __future__ import annotations

import re
import socket

import httpx
import pytest
from githubkit.exception import RequestError, RequestTimeout

from app.core.errors import GitHubError
from app.github.calls import is_transient
from tests.fakes.github.api import AppKeyPair
from tests.fakes.github.bodies import error_body, validation_body
from tests.fakes.github.session import (
    INSTALLATION_ID,
    REPO,
    GitHubSession,
    RecordingSleep,
    SteppedClock,
    app_for,
)

REPO_PATH = f"/repos/{REPO}"


async def test_a_rate_limit_resetting_in_2_s_is_waited_out_once(gh: GitHubSession) -> None:
    gh.fake.rate_limit_next("GET", REPO_PATH, reset_in=2)

    info = await gh.client.repository()

    assert info.full_name == REPO
    [wait] = gh.sleep.waits
    assert 0 < wait <= 2
    assert len(gh.fake.requests_to("GET", REPO_PATH)) == 2


async def test_a_rate_limit_an_hour_away_fails_at_once_without_sleeping(
    gh: GitHubSession,
) -> None:
    gh.fake.rate_limit_next("GET", REPO_PATH, reset_in=3600)

    with pytest.raises(GitHubError, match=r"GitHub rate limit: retry after \d+ s") as failure:
        await gh.client.repository()

    seconds = int(re.findall(r"retry after (\d+) s", str(failure.value))[0])
    assert 3590 <= seconds <= 3600
    assert gh.sleep.waits == []
    assert len(gh.fake.requests_to("GET", REPO_PATH)) == 1


async def test_a_second_rate_limit_in_a_row_is_not_waited_out(gh: GitHubSession) -> None:
    gh.fake.rate_limit_next("GET", REPO_PATH, reset_in=2)
    gh.fake.rate_limit_next("GET", REPO_PATH, reset_in=2)

    with pytest.raises(GitHubError, match="GitHub rate limit: retry after"):
        await gh.client.repository()

    assert len(gh.sleep.waits) == 1


async def test_a_secondary_rate_limit_honours_retry_after(gh: GitHubSession) -> None:
    body = error_body(403, "You have exceeded a secondary rate limit.")
    gh.fake.fail_next("GET", REPO_PATH, 403, body, headers={"retry-after": "3"})

    await gh.client.repository()

    assert gh.sleep.waits == [3.0]


@pytest.mark.parametrize(
    ("failures", "succeeds"),
    [(1, True), (2, True), (3, False)],
)
async def test_server_errors_are_retried_twice_with_backoff(
    gh: GitHubSession, failures: int, succeeds: bool
) -> None:
    gh.fake.fail_next("GET", REPO_PATH, 502, times=failures)

    if succeeds:
        assert (await gh.client.repository()).full_name == REPO
    else:
        with pytest.raises(GitHubError, match=f"GET {REPO_PATH} failed: 502 Server Error"):
            await gh.client.repository()

    assert gh.sleep.waits == [0.5, 1.0][:failures]
    assert len(gh.fake.requests_to("GET", REPO_PATH)) == min(failures + 1, 3)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (404, error_body(404, "Not Found"), "failed: 404 Not Found"),
        (403, error_body(403, "Resource not accessible by integration"), "failed: 403 Resource"),
        (
            422,
            validation_body([{"resource": "Issue", "code": "custom", "message": "Too long"}]),
            "failed: 422 Validation Failed; Too long",
        ),
        (
            422,
            validation_body([{"resource": "Issue", "field": "title", "code": "missing_field"}]),
            "failed: 422 Validation Failed; Issue title missing_field",
        ),
    ],
)
async def test_refusals_are_not_retried_and_say_what_github_said(
    gh: GitHubSession, status: int, body: dict[str, object], expected: str
) -> None:
    number = gh.repo.add_issue("Bug")
    gh.fake.fail_next("GET", f"{REPO_PATH}/issues/{number}", status, body)

    with pytest.raises(GitHubError, match=f"GET {REPO_PATH}/issues/{number} {expected}"):
        await gh.client.issue(number)

    assert gh.sleep.waits == []


async def test_an_unreachable_api_fails_after_bounded_retries(app_key: AppKeyPair) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleep = RecordingSleep()
    app = app_for(f"http://127.0.0.1:{port}", app_key, sleep, SteppedClock())

    with pytest.raises(GitHubError, match="GET /app failed: ConnectError"):
        await app.bot_login()

    assert sleep.waits == [0.5, 1.0]


async def test_a_failure_while_minting_the_token_is_a_github_error(gh: GitHubSession) -> None:
    gh.fake.fail_next(
        "POST",
        r"/app/installations/\d+/access_tokens",
        403,
        error_body(403, "This installation has been suspended"),
    )
    client = await gh.app.repo(INSTALLATION_ID, REPO)

    with pytest.raises(GitHubError, match=f"GET {REPO_PATH} failed: 403 This installation"):
        await client.repository()


@pytest.mark.parametrize(
    ("cause", "method", "transient"),
    [
        (httpx.ConnectError("refused"), "POST", True),
        (httpx.ConnectTimeout("slow"), "POST", True),
        (httpx.ReadTimeout("slow"), "GET", True),
        (httpx.ReadTimeout("slow"), "POST", False),  # GitHub may have done it already
        (httpx.RemoteProtocolError("cut"), "PATCH", True),
        (httpx.RemoteProtocolError("cut"), "POST", False),
    ],
)
def test_which_transport_errors_are_retried(
    cause: httpx.HTTPError, method: str, transient: bool
) -> None:
    failure = RequestTimeout(cause) if isinstance(cause, httpx.TimeoutException) else None
    assert is_transient(failure or RequestError(cause), method) is transient


async def test_a_post_answered_502_is_not_sent_again_blindly(gh: GitHubSession) -> None:
    number = gh.repo.add_issue("Bug")
    path = f"/repos/{REPO}/issues/{number}/comments"
    gh.fake.fail_next("POST", path, 502, times=2)

    with pytest.raises(GitHubError, match="502") as failed:
        await gh.client.create_comment(number, "hello")

    assert failed.value.status == 502 and failed.value.maybe_done
    # One POST, one look for it, one more POST: never a POST straight after a 502.
    methods = [r.method for r in gh.fake.requests if r.path.startswith(path)]
    assert methods == ["POST", "GET", "POST"]
    assert gh.sleep.waits == []
