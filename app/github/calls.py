"""GitHub API calls with bounded retries: short rate-limit waits, a few 5xx retries, GitHubError."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from githubkit import Response
from githubkit.exception import GitHubException, RateLimitExceeded, RequestError, RequestFailed
from pydantic import ValidationError

from app.core.errors import GitHubError
from app.metrics import instruments as metrics

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
Request = Callable[[], Awaitable[Response[T, Any]]]
log = logging.getLogger(__name__)
MAX_MESSAGE_CHARS = 500


@dataclass(frozen=True)
class RetryPolicy:
    """How long one call may wait before it gives up and lets the job queue retry later.

    A rate limit is waited out (`rate_limit_retries` times) only when its reset is at most
    `max_wait` seconds away; a 5xx or a broken connection is retried `server_retries` times
    after `backoff`, then twice that. `sleep` is injectable so tests never wait.
    """

    max_wait: float = 30.0
    rate_limit_retries: int = 1
    server_retries: int = 2
    backoff: float = 0.5
    sleep: Sleep = asyncio.sleep


@dataclass(frozen=True)
class Refusal:
    """A failed answer the caller chose to handle (`tolerate=`): its status and GitHub's words."""

    status: int
    message: str

    def error(self, method: str, path: str) -> GitHubError:
        message = f"GitHub {method} {path} failed: {self.status} {self.message}"
        return GitHubError(message, self.status)


@dataclass
class _Attempts:
    rate_limited: int = 0
    transient: int = 0


class GitHubCalls:
    """Runs one request (a zero-argument coroutine factory) under a `RetryPolicy`."""

    def __init__(self, policy: RetryPolicy | None = None) -> None:
        self.policy = policy or RetryPolicy()

    async def send(
        self,
        method: str,
        path: str,
        request: Request[T],
        *,
        tolerate: Collection[int] = (),
        repeatable: bool = False,
    ) -> Response[T] | Refusal:
        """The response, or a `Refusal` for a status in `tolerate`; anything else GitHubError.

        A POST that failed with a 5xx may have been carried out: it is tried again here only
        when `repeatable` (doing it twice does no harm); otherwise the caller looks first.
        """
        attempts = _Attempts()
        while True:
            try:
                response = await request()
            except GitHubException as exc:
                failure = _unwrap(exc)
                metrics.github_call(_status(failure))
                if _tolerated(failure, tolerate):
                    assert isinstance(failure, RequestFailed)
                    return Refusal(failure.response.status_code, github_message(failure))
                delay = self._delay(method, path, failure, attempts, repeatable)
            else:
                metrics.github_call(response.status_code)
                return response
            log.warning("GitHub %s %s failed; retrying in %.1f s", method, path, delay)
            await self.policy.sleep(delay)

    async def parsed(
        self, method: str, path: str, request: Request[T], *, repeatable: bool = False
    ) -> T:
        """The validated body of a successful answer; any failure is a GitHubError."""
        response = await self.send(method, path, request, repeatable=repeatable)
        if isinstance(response, Refusal):  # not reached: nothing was tolerated
            raise response.error(method, path)
        return parse(response, method, path)

    async def parsed_unless(
        self, method: str, path: str, request: Request[T], tolerate: Collection[int]
    ) -> T | Refusal:
        """Like `parsed`, but a status in `tolerate` comes back as a `Refusal`."""
        response = await self.send(method, path, request, tolerate=tolerate)
        return response if isinstance(response, Refusal) else parse(response, method, path)

    def _delay(
        self,
        method: str,
        path: str,
        failure: GitHubException,
        attempts: _Attempts,
        repeatable: bool,
    ) -> float:
        """Seconds to wait before the next try, or raise the GitHubError that ends the call."""
        policy = self.policy
        if isinstance(failure, RateLimitExceeded):
            wait = max(failure.retry_after.total_seconds(), 0.0)
            if attempts.rate_limited < policy.rate_limit_retries and wait <= policy.max_wait:
                attempts.rate_limited += 1
                return wait
            message = f"GitHub rate limit: retry after {math.ceil(wait)} s ({method} {path})"
            raise GitHubError(message, 429) from None
        transient = is_transient(failure, "GET" if repeatable else method)
        if transient and attempts.transient < policy.server_retries:
            attempts.transient += 1
            return float(policy.backoff * 2 ** (attempts.transient - 1))
        raise _error(method, path, failure) from None


def parse(response: Response[T], method: str, path: str) -> T:
    """`response.parsed_data`, with a body that does not fit githubkit's model as GitHubError."""
    try:
        return response.parsed_data
    except (ValidationError, ValueError) as exc:
        detail = str(exc).splitlines()[0]
        raise GitHubError(f"GitHub {method} {path}: unexpected response ({detail})") from None


def github_message(failure: RequestFailed) -> str:
    """GitHub's `message` plus each `errors[].message` (or resource/field/code), trimmed."""
    try:
        body: Any = failure.response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return failure.response.raw_response.reason_phrase or "no message"
    parts = [str(body.get("message") or "no message")]
    parts += [_error_detail(item) for item in body.get("errors") or [] if item]
    return "; ".join(parts)[:MAX_MESSAGE_CHARS]


def _error_detail(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    if item.get("message"):
        return str(item["message"])
    names = (item.get("resource"), item.get("field"), item.get("code"))
    return " ".join(str(name) for name in names if name)


def _unwrap(exc: GitHubException) -> GitHubException:
    """A failure raised inside the auth flow (minting a token) arrives wrapped: unwrap it."""
    inner = exc.exc if type(exc) is RequestError else None
    return inner if isinstance(inner, GitHubException) else exc


def _status(failure: GitHubException) -> int | str:
    """A failed try's status for metrics: GitHub's HTTP status, or how it failed without one."""
    if isinstance(failure, RequestFailed):
        return failure.response.status_code
    return "connection" if isinstance(failure, RequestError) else "error"


def _tolerated(failure: GitHubException, tolerate: Collection[int]) -> bool:
    if isinstance(failure, RateLimitExceeded) or not isinstance(failure, RequestFailed):
        return False
    return failure.response.status_code in tolerate


def is_transient(failure: GitHubException, method: str) -> bool:
    """Worth another try: a connection never made, or a 5xx or any transport error on a
    method that is safe to repeat (a POST that timed out or answered 502 may have been done
    already: its caller looks for what it made before making it again)."""
    if isinstance(failure, RequestFailed):
        return failure.response.status_code >= 500 and method != "POST"
    if not isinstance(failure, RequestError):
        return False
    never_sent = isinstance(failure.exc, httpx.ConnectError | httpx.ConnectTimeout)
    return never_sent or method != "POST"


def _error(method: str, path: str, failure: GitHubException) -> GitHubError:
    if isinstance(failure, RequestFailed):
        return Refusal(failure.response.status_code, github_message(failure)).error(method, path)
    if isinstance(failure, RequestError):
        cause = failure.exc
        never_sent = isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout)
        message = f"GitHub {method} {path} failed: {type(cause).__name__}: {cause}"
        return GitHubError(message, 0 if never_sent else None)
    return GitHubError(f"GitHub {method} {path} failed: {type(failure).__name__}: {failure}")
