"""The dashboard routes: jobs list with aggregates, run pages (live), Cancel/Retry, `/api/jobs`."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from app.core.config import Settings
from app.core.errors import ConfigError, SignInError, StoreError
from app.store.job_search import Aggregates, JobFilter, JobSearch
from app.store.jobs import Job
from app.store.queue import Queue
from app.store.tables import JOB_STATES
from app.web import dashboard_views as views
from app.web import home
from app.web.dashboard_access import RepoAccess, Viewer, csrf_ok, csrf_token, operator_viewer
from app.web.dashboard_runs import (
    job_line,
    read_records,
    request_text,
    steps_of,
    timeline,
    transcript_path,
    usage_of,
)
from app.web.signin import SESSION_COOKIE, SignIn

PAGE_SIZE = 50
AGGREGATE_SECONDS = 30.0
ENDED = ("succeeded", "failed", "cancelled")
Handler = Callable[[Request], Awaitable[Response]]


class SignInNeeded(Exception):
    """The request carries no session and no dashboard token."""


@dataclass
class Dashboard:
    """The dashboard over the shared queue; `operator` tells a HONK_DASHBOARD_TOKEN request."""

    settings: Settings
    signin: SignIn
    get_queue: Callable[[], Awaitable[Queue]]
    operator: Callable[[Request], bool]
    wake: Callable[[], None] = lambda: None
    access: RepoAccess | None = None
    poll_seconds: float = 0.5
    clock: Callable[[], float] = time.time
    live: Callable[[], Settings] | None = None  # the settings with /setup's credentials
    _aggregates: dict[frozenset[str] | None, tuple[float, Aggregates]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.access is None:
            self.access = RepoAccess.from_settings(self.settings)

    def routes(self) -> list[Route]:
        return [
            Route("/", self._guard(self.index), methods=["GET"]),
            Route("/runs/{id:int}", self._guard(self.run), methods=["GET"]),
            Route("/runs/{id:int}/events", self._guard(self.events), methods=["GET"]),
            Route("/runs/{id:int}/cancel", self._guard(self.cancel), methods=["POST"]),
            Route("/runs/{id:int}/retry", self._guard(self.retry), methods=["POST"]),
            Route("/api/jobs", self._guard(self.api_jobs), methods=["GET"]),
            Route("/api/jobs/{id:int}", self._guard(self.api_job), methods=["GET"]),
        ]

    def _guard(self, handler: Handler) -> Handler:
        async def guarded(request: Request) -> Response:
            api = request.url.path.startswith("/api/")
            try:
                return await handler(request)
            except SignInNeeded:
                if api:
                    return JSONResponse({"error": "sign in or send the dashboard token"}, 401)
                if self.signin.oauth is None:
                    return views.message("Sign-in needed", "GitHub sign-in is not set up.", 401)
                return RedirectResponse("/auth/github/login", status_code=302)
            except StoreError:
                return _refusal(api, "The database is unavailable; try again.", 503)
            except (SignInError, ConfigError) as exc:
                return _refusal(api, f"Your repositories could not be read: {exc}", 502)

        return guarded

    # -- who is looking ------------------------------------------------------------------

    async def viewer(self, request: Request) -> Viewer | None:
        if self.operator(request):
            return operator_viewer()
        user = self.signin.session_user(request)
        if user is None:
            return None
        session = request.cookies.get(SESSION_COOKIE)
        if user.login.lower() in self.settings.admins:
            return Viewer(user.login, user.github_id, None, None, session)
        accounts = await self.signin.accounts()
        assert self.signin.oauth is not None and self.access is not None
        token = await accounts.user_token(user.github_id, self.signin.oauth.refresh)
        if token is None:  # signs in again to see anything
            return Viewer(user.login, user.github_id, frozenset(), frozenset(), session)
        rights = await self.access.rights(user.github_id, token)
        return Viewer(user.login, user.github_id, rights.readable, rights.writable, session)

    async def _required(self, request: Request) -> Viewer:
        viewer = await self.viewer(request)
        if viewer is None:
            raise SignInNeeded
        return viewer

    async def _search(self) -> JobSearch:
        return JobSearch((await self.get_queue()).store, clock=self.clock)

    async def _job(self, request: Request, viewer: Viewer) -> Job | None:
        """The job of the path, if the viewer may read it (else None: not found)."""
        job = await (await self._search()).get(int(request.path_params["id"]))
        return job if job is not None and viewer.can_read(job.repo) else None

    # -- pages -----------------------------------------------------------------------

    async def index(self, request: Request) -> Response:
        viewer = await self.viewer(request)
        if viewer is None:
            signin = self.signin.oauth is not None
            current = self.live() if self.live is not None else self.settings
            return views.html(home.render(current, sign_in=signin))
        current = self.live() if self.live is not None else self.settings
        status = home.status_html(current, operator=True) if viewer.login is None else ""
        try:
            where, before = _filters(request, viewer)
            search = await self._search()
            found = await search.page(where, before, PAGE_SIZE)
            totals = await self._totals(search, viewer.readable)
        except StoreError:
            if not status:
                raise
            return views.page("jobs.html", viewer=viewer, status=status, down=True)
        lines = [job_line(job, self.settings.github_url) for job in found.jobs]
        params = {"repo": where.repo, "state": where.state, "person": where.person}
        return views.page(
            "jobs.html", viewer=viewer, status=status, lines=lines, next_before=found.next_before,
            params=params, states=JOB_STATES, totals=totals,
        )  # fmt: skip

    async def _totals(self, search: JobSearch, readable: frozenset[str] | None) -> Aggregates:
        cached = self._aggregates.get(readable)
        if cached is not None and cached[0] > self.clock():
            return cached[1]
        totals = await search.aggregates(readable)
        self._aggregates[readable] = (self.clock() + AGGREGATE_SECONDS, totals)
        return totals

    async def run(self, request: Request) -> Response:
        viewer = await self._required(request)
        job = await self._job(request, viewer)
        if job is None:
            return views.message("Not found", "No such run, or not one of yours.", 404)
        records, offset = read_records(transcript_path(self.settings.transcripts_dir, job.id))
        sealer, session = self.signin.sealer(), viewer.session
        csrf = csrf_token(sealer, session, self.clock()) if session else ""
        return views.page(
            "run.html", viewer=viewer, job=job, line=job_line(job, self.settings.github_url),
            request_text=request_text(job), moments=timeline(job), steps=steps_of(records),
            usage=usage_of(records), offset=offset, live=job.state not in ENDED,
            control=viewer.can_control(job.repo), csrf=csrf, tests=_tests(job),
        )  # fmt: skip

    async def events(self, request: Request) -> Response:
        """Server-sent events while the job runs: new transcript steps, then its state."""
        viewer = await self._required(request)
        job = await self._job(request, viewer)
        if job is None:
            return Response("not found", 404)
        start = request.headers.get("last-event-id") or request.query_params.get("from") or "0"
        offset = int(start) if start.isdigit() else 0
        stream = self._stream(job.id, offset)
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(stream, media_type="text/event-stream", headers=headers)

    async def _stream(self, job_id: int, offset: int) -> AsyncIterator[str]:
        search, state = await self._search(), ""
        path_of = transcript_path(self.settings.transcripts_dir, job_id)
        while True:
            job = await search.get(job_id)
            records, offset = read_records(path_of, offset)
            if records:
                html = views.fragment("steps.html", steps=steps_of(records))
                yield views.sse("steps", {"html": html}, offset)
            if job is None or job.state != state:
                state = "gone" if job is None else job.state
                yield views.sse("state", {"state": state})
            if (job is None or job.state in ENDED) and not records:
                yield views.sse("end", {"state": state})
                return
            await asyncio.sleep(self.poll_seconds)

    # -- control ---------------------------------------------------------------------

    async def _controlled(self, request: Request) -> tuple[Viewer, Job] | Response:
        viewer = await self._required(request)
        job = await self._job(request, viewer)
        if job is None:
            return views.message("Not found", "No such run, or not one of yours.", 404)
        form = parse_qs((await request.body()).decode(errors="replace"))
        given = (form.get("csrf") or [""])[0]
        if not csrf_ok(self.signin.sealer(), viewer.session, given, self.clock()):
            return views.message("Refused", "The form's token is missing or wrong.", 403)
        if not viewer.can_control(job.repo):
            return views.message("Refused", f"You need write access to {job.repo}.", 403)
        return viewer, job

    async def cancel(self, request: Request) -> Response:
        checked = await self._controlled(request)
        if isinstance(checked, Response):
            return checked
        await (await self.get_queue()).request_cancel_job(checked[1].id)
        return RedirectResponse(f"/runs/{checked[1].id}", status_code=303)

    async def retry(self, request: Request) -> Response:
        checked = await self._controlled(request)
        if isinstance(checked, Response):
            return checked
        viewer, job = checked
        if job.state not in ENDED:
            return views.message("Not yet", "The run has not ended; cancel it first.", 409)
        queue, job_id, nonce = await self.get_queue(), job.id, secrets.token_hex(4)
        for index, earlier in enumerate(job.commands):  # every request of the run, none dropped
            delivery = f"dashboard-retry-of-{job.id}-{index}-by-{viewer.login}-{nonce}"
            _, job_id = await queue.enqueue(replace(earlier, delivery_id=delivery, comment_id=None))
        self.wake()
        return RedirectResponse(f"/runs/{job_id}", status_code=303)

    # -- JSON ------------------------------------------------------------------------

    async def api_jobs(self, request: Request) -> Response:
        viewer = await self._required(request)
        where, before = _filters(request, viewer)
        found = await (await self._search()).page(where, before, PAGE_SIZE)
        lines = [job_line(job, self.settings.github_url).as_json() for job in found.jobs]
        return JSONResponse({"jobs": lines, "next_before": found.next_before})

    async def api_job(self, request: Request) -> Response:
        viewer = await self._required(request)
        job = await self._job(request, viewer)
        if job is None:
            return JSONResponse({"error": "not found"}, 404)
        records, _ = read_records(transcript_path(self.settings.transcripts_dir, job.id))
        usage = usage_of(records)
        body = {
            **job_line(job, self.settings.github_url).as_json(),
            "request": request_text(job), "error": job.error, "result": job.result,
            "timeline": [{"step": name, "at": at} for name, at in timeline(job)],
            "usage": {**usage.__dict__, "cache_share": usage.cache_share},
            "tests": _tests(job), "transcript": records,
        }  # fmt: skip
        return JSONResponse(body)


def _filters(request: Request, viewer: Viewer) -> tuple[JobFilter, int | None]:
    params = request.query_params
    state = params.get("state") or None
    before = params.get("before", "")
    where = JobFilter(
        readable=viewer.readable,
        repo=params.get("repo") or None,
        state=state if state in JOB_STATES else None,
        person=params.get("person") or None,
    )
    return where, int(before) if before.isdigit() else None


def _tests(job: Job) -> dict[str, object] | None:
    """The test verdict: the checkpoint's command, verdict and output, else the result's."""
    saved = (job.checkpoint or {}).get("tests")
    if isinstance(saved, list) and len(saved) == 3:
        return {"command": saved[0], "passed": bool(saved[1]), "output": str(saved[2])}
    passed = (job.result or {}).get("tests")
    return None if passed is None else {"command": None, "passed": bool(passed), "output": ""}


def _refusal(api: bool, text: str, status: int) -> Response:
    if api:
        return JSONResponse({"error": text}, status)
    return views.message("Unavailable", text, status)
