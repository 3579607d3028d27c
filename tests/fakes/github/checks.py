"""The fake GitHub's check runs of a commit and a workflow run's artifacts.

`add_run_artifacts` gives a workflow run its artifacts; check runs come from the repository's
check suites (`FakeRepo.add_check_suite`), a run without a conclusion still in progress.
"""

from __future__ import annotations

import copy

from starlette.responses import Response

from tests.fakes.github import bodies
from tests.fakes.github.call import Call, ok
from tests.fakes.github.state import FakeRepo

ARTIFACTS_EXAMPLE = "list-workflow-run-artifacts.200.constructed.json"


def add_run_artifacts(repo: FakeRepo, run_id: int, names: list[str]) -> list[int]:
    """The workflow run `run_id` uploaded artifacts named `names`; returns their ids."""
    found = repo.run_artifacts.setdefault(run_id, [])
    ids = [next(repo.ids) for _ in names]
    found.extend(zip(ids, names, strict=True))
    return ids


def list_ref_runs(call: Call) -> Response:
    """`GET .../commits/{ref}/check-runs`: every suite's runs on the commit (a branch name is
    read as its head)."""
    repo, ref = call.repo(), call.param("ref")
    # not `.get`: the end-to-end world's refs are a dict subclass reading git (no `get`)
    sha = repo.refs[ref] if ref in repo.refs else ref  # noqa: SIM401
    suites = [suite for suite in repo.check_suites.values() if suite.head_sha == sha]
    every = [(suite.id, run) for suite in suites for run in suite.runs]
    page = call.page(every)
    body = bodies.check_runs_body(0, sha, [run for _, run in page], total=len(every))
    for item, (suite_id, run) in zip(body["check_runs"], page, strict=True):
        item["check_suite"] = {"id": suite_id}
        if run.conclusion is None:
            item.update(status="in_progress", completed_at=None)
    return ok(body)


def list_run_artifacts(call: Call) -> Response:
    repo, run_id = call.repo(), call.number("run_id")
    found = repo.run_artifacts.get(run_id, [])
    body = bodies.fixture(ARTIFACTS_EXAMPLE)
    template = body["artifacts"][0]
    items = []
    for artifact_id, name in call.page(found):
        item = copy.deepcopy(template)
        api = f"{bodies.API}/repos/{repo.full_name}/actions/artifacts/{artifact_id}"
        item.update(id=artifact_id, name=name, url=api, archive_download_url=f"{api}/zip")
        item["workflow_run"].update(id=run_id, repository_id=repo.id, head_repository_id=repo.id)
        items.append(item)
    body.update(total_count=len(found), artifacts=items)
    return ok(body)
