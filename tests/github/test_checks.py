"""app/github/checks.py against the served fake: a recorded GitHub Actions check run, its
annotations, and its job log behind GitHub's redirect."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tests.fakes.github.checks import add_run_artifacts
from tests.fakes.github.session import GitHubSession

FIXTURES = Path(__file__).parents[1] / "fixtures" / "rest"
SHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
ACTIONS_RUN = "get-check-run.actions.from-webhook-check-run-completed-1.json"
ANNOTATIONS = "list-annotations.actions-failure.constructed.json"
JOB_LOG = "download-job-logs.actions-failure.constructed.txt"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def actions_suite(gh: GitHubSession, *, log: bool = True, details_url: str | None = None) -> int:
    """A suite holding the recorded Actions check run (failed, empty output) and a passing one."""
    suite = gh.repo.add_check_suite(SHA, [("Octocoders-linter", "failure"), ("lint", "success")])
    run = gh.repo.check_suites[suite].runs[0]
    run.recorded = fixture(ACTIONS_RUN)
    if details_url is not None:
        run.recorded["details_url"] = details_url
    run.annotations = fixture(ANNOTATIONS)
    run.log = (FIXTURES / JOB_LOG).read_bytes() if log else None
    return suite


async def test_an_actions_check_run_is_known_by_its_job(gh: GitHubSession) -> None:
    suite = actions_suite(gh)

    (failed,) = await gh.client.failed_check_runs(suite)

    assert failed.app_slug == "github-actions"
    assert (failed.title, failed.summary, failed.text) == (None, None, None)  # Actions: empty
    assert failed.job_id == failed.id  # an Actions job id is its check run's id


async def test_the_job_id_comes_from_an_actions_details_url(gh: GitHubSession) -> None:
    url = "https://github.com/octo/widgets/actions/runs/9876543210/job/27182818284"
    suite = actions_suite(gh, details_url=url)

    (failed,) = await gh.client.failed_check_runs(suite)

    assert failed.job_id == 27182818284


async def test_annotations_of_a_check_run(gh: GitHubSession) -> None:
    suite = actions_suite(gh)
    run_id = gh.repo.check_suites[suite].runs[0].id

    notes = await gh.client.annotations(run_id)

    assert [(n.path, n.start_line, n.level) for n in notes] == [
        ("test_calc.py", 5, "failure"),
        (".github", 1, "failure"),
    ]
    assert notes[0].title == "test_calc.test_add" and "assert -1 == 5" in notes[0].message


async def test_job_log_follows_githubs_redirect_and_keeps_the_tail(gh: GitHubSession) -> None:
    suite = actions_suite(gh)
    job_id = gh.repo.check_suites[suite].runs[0].id

    tail = await gh.client.job_log_tail(job_id, max_chars=400)
    whole = await gh.client.job_log_tail(job_id, max_chars=100_000)

    assert tail is not None and len(tail) <= 400
    assert whole is not None and "\x1b[" not in whole and "python -m pytest -q\nshell:" in whole
    assert "##[error]Process completed with exit code 1." in tail
    assert "FAILED test_calc.py::test_add" in tail
    assert "2019-05-15T" not in tail and "\ufeff" not in tail  # timestamps and BOM dropped
    logs = gh.fake.requests_to("GET", rf"/repos/octo/widgets/actions/jobs/{job_id}/logs")
    blobs = gh.fake.requests_to("GET", r"/_blobs/job-logs/.*")
    assert (len(logs), len(blobs)) == (2, 2)  # each request's redirect was followed


async def test_a_missing_job_log_is_none(gh: GitHubSession) -> None:
    suite = actions_suite(gh, log=False)
    job_id = gh.repo.check_suites[suite].runs[0].id

    assert await gh.client.job_log_tail(job_id, max_chars=400) is None


def test_the_app_manifest_asks_to_read_actions_and_checks() -> None:
    manifest = yaml.safe_load((Path(__file__).parents[2] / "app.yml").read_text())
    permissions = manifest["default_permissions"]
    assert (permissions["actions"], permissions["checks"]) == ("read", "read")
    assert permissions["deployments"] == "read"  # read only: Honk never deploys
    assert {"check_suite", "deployment_status", "workflow_run"} <= set(manifest["default_events"])


async def test_check_runs_of_a_commit_across_suites(gh: GitHubSession) -> None:
    gh.repo.add_check_suite(SHA, [("tests", "success"), ("lint", "failure")])
    gh.repo.add_check_suite(SHA, [("deploy", None)])
    gh.repo.add_check_suite("1" * 40, [("elsewhere", "success")])

    runs = await gh.client.check_runs_for_ref(SHA)

    assert [(r.name, r.conclusion) for r in runs] == [
        ("tests", "success"),
        ("lint", "failure"),
        ("deploy", None),
    ]
    (call,) = gh.fake.requests_to("GET", rf"/repos/octo/widgets/commits/{SHA}/check-runs")
    assert call.query["filter"] == "latest"


async def test_a_workflow_runs_artifacts(gh: GitHubSession) -> None:
    ids = add_run_artifacts(gh.repo, 42, ["app.apk", "report"])

    found = await gh.client.run_artifacts(42)

    assert [(a.id, a.name, a.expired) for a in found] == [
        (ids[0], "app.apk", False),
        (ids[1], "report", False),
    ]
    assert await gh.client.run_artifacts(43) == []
