"""Check runs of a suite or a commit, and what GitHub Actions keeps outside them: annotations,
job logs, a run's artifacts.

Actions leaves a failed job's check run output empty; the failure is in the job's log (`GET
.../actions/jobs/{id}/logs` answers 302 to a short-lived download URL, which githubkit follows;
the App needs `actions: read`) and in the run's annotations.
"""

from __future__ import annotations

import re

from app.github.calls import Refusal
from app.github.repo_base import PER_PAGE, RepoBase
from app.github.results import (
    FAILED_CONCLUSIONS,
    AnnotationInfo,
    ArtifactInfo,
    CheckRunInfo,
    annotation_info,
    artifact_info,
    check_run_info,
)

LOG_TIMESTAMP = re.compile(r"^\ufeff?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?", re.MULTILINE)
ANSI_CODE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
MAX_ANNOTATIONS = 50


class RepoChecks(RepoBase):
    """Check suites, check runs and GitHub Actions jobs of one repository."""

    async def failed_check_runs(self, check_suite_id: int) -> list[CheckRunInfo]:
        """The suite's latest check runs that failed, timed out, were cancelled or need action."""
        pages = self._pages(
            f"{self._path}/check-suites/{check_suite_id}/check-runs",
            lambda page: self._rest.checks.async_list_for_suite(
                self.owner, self.name, check_suite_id, per_page=PER_PAGE, page=page
            ),
            lambda listing: len(listing.check_runs),
        )
        return [
            check_run_info(run)
            async for listing in pages
            for run in listing.check_runs
            if run.conclusion in FAILED_CONCLUSIONS
        ]

    async def check_runs_for_ref(self, ref: str) -> list[CheckRunInfo]:
        """The latest check run of each check on a commit (SHA, branch or tag); a run still
        going has no conclusion."""
        pages = self._pages(
            f"{self._path}/commits/{ref}/check-runs",
            lambda page: self._rest.checks.async_list_for_ref(
                self.owner, self.name, ref, filter_="latest", per_page=PER_PAGE, page=page
            ),
            lambda listing: len(listing.check_runs),
        )
        return [check_run_info(run) async for listing in pages for run in listing.check_runs]

    async def run_artifacts(self, run_id: int) -> list[ArtifactInfo]:
        """The artifacts a GitHub Actions workflow run uploaded (`actions: read`)."""
        pages = self._pages(
            f"{self._path}/actions/runs/{run_id}/artifacts",
            lambda page: self._rest.actions.async_list_workflow_run_artifacts(
                self.owner, self.name, run_id, per_page=PER_PAGE, page=page
            ),
            lambda listing: len(listing.artifacts),
        )
        return [artifact_info(item) async for listing in pages for item in listing.artifacts]

    async def annotations(self, check_run_id: int) -> list[AnnotationInfo]:
        """The run's first `MAX_ANNOTATIONS` annotations (one page)."""
        notes = await self._calls.parsed(
            "GET",
            f"{self._path}/check-runs/{check_run_id}/annotations",
            lambda: self._rest.checks.async_list_annotations(
                self.owner, self.name, check_run_id, per_page=MAX_ANNOTATIONS
            ),
        )
        return [annotation_info(note) for note in notes]

    async def job_log_tail(self, job_id: int, *, max_chars: int) -> str | None:
        """The last `max_chars` of an Actions job's log, timestamps and colours dropped; None
        when GitHub has none to give (expired, deleted, or no `actions: read` permission)."""
        path = f"{self._path}/actions/jobs/{job_id}/logs"
        answer = await self._calls.send(
            "GET",
            path,
            lambda: self._rest.actions.async_download_job_logs_for_workflow_run(
                self.owner, self.name, job_id
            ),
            tolerate=(403, 404, 410),
        )
        if isinstance(answer, Refusal):
            return None
        text = answer.raw_response.content.decode("utf-8", "replace")
        return ANSI_CODE.sub("", LOG_TIMESTAMP.sub("", text)).strip()[-max_chars:]
