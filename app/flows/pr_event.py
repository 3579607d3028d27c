"""A fact about a Honk PR told in its Slack thread: CI passed (then the merge offer), a deployment
ready, a workflow run's build artifacts. No model call and no permission check: bots send these
events (DESIGN.md "Triggers"); what makes them worth telling is that someone follows the PR in
Slack. Every event coalesced into the job is told, each line once per place.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from app.core import slack_texts
from app.core.commands import Command
from app.core.slack_blocks import MergeTarget, merge_offer
from app.flows import slack_lines
from app.flows.context import JobContext
from app.flows.job import Result, repo_client
from app.flows.services import Services
from app.github.client import PullInfo, RepoClient

Handler = Callable[[Services, RepoClient, Command], Awaitable[Result]]
NOBODY = {"skipped": "nobody follows this pull request in Slack"}


async def run(ctx: JobContext) -> Result:
    if slack_lines.slack_of(ctx.services) is None:
        return {"skipped": "Slack is not configured"}
    repo = await repo_client(ctx)
    told = []
    for command in ctx.job.commands:
        handler = HANDLERS.get(command.notes)
        if handler is None:
            told.append({"event": command.notes, "skipped": "unknown event"})
        else:
            told.append({"event": command.notes, **await handler(ctx.services, repo, command)})
    return {"events": told}


async def ci_passed(services: Services, repo: RepoClient, command: Command) -> Result:
    """Once every check of the head ended: the CI line, then Ready / Approve and Merge."""
    number = command.number
    if number is None or not await slack_lines.followers(services, command.repo, number):
        return dict(NOBODY)
    pull = await repo.pull(number)
    if pull.state != "open" or pull.head_sha != command.head_sha:
        return {"skipped": "stale check suite: the pull request moved on"}
    passed, failed, pending = slack_lines.ci_checks(await repo.check_runs_for_ref(pull.head_sha))
    if pending or not (passed or failed):
        return {"skipped": f"{pending} checks still running"}
    line = slack_texts.ci_result(passed, failed, f"{pull.html_url}/checks")
    told = await slack_lines.tell_threads(
        services, command.repo, number, line, f"ci:{pull.head_sha}"
    )
    if failed:
        return {"pr": number, "ci": "failed", "told": told}
    return {
        "pr": number,
        "ci": "passed",
        "told": told,
        "offered": await offer(services, pull, command),
    }


async def offer(services: Services, pull: PullInfo, command: Command) -> int:
    """The merge offer pinned to the head, as GitHub reports the PR now. Keyed by what it can
    offer: a later event, once GitHub knows whether the PR conflicts, offers the buttons."""
    target = MergeTarget(command.repo, pull.number, pull.head_sha)
    shown = merge_offer(target, pull.html_url, draft=pull.draft, mergeable=pull.mergeable)
    state = "draft" if pull.draft else f"mergeable={pull.mergeable}"
    key = f"offer:{pull.head_sha}:{state}"
    return await slack_lines.tell_threads(services, command.repo, pull.number, shown, key)


async def deployment(services: Services, repo: RepoClient, command: Command) -> Result:
    """A successful deployment of the PR's head commit: its environment's URL."""
    if not (command.head_ref and command.head_sha and command.environment_url):
        return {"skipped": "no branch, commit or URL"}
    pull = await head_pull(repo, command)
    if pull is None:
        return {"skipped": "not the head of an open pull request"}
    environment = command.environment or ""
    line = slack_texts.deployment_ready(environment, command.environment_url)
    key = f"deployment:{command.head_sha}:{environment}:{command.environment_url}"
    told = await slack_lines.tell_threads(services, command.repo, pull.number, line, key)
    return {"pr": pull.number, "told": told} if told else {"pr": pull.number, **NOBODY}


async def workflow_run(services: Services, repo: RepoClient, command: Command) -> Result:
    """A finished workflow run of the PR's head: links to the artifacts it uploaded."""
    if command.run_id is None:
        return {"skipped": "no workflow run id"}
    pull = await head_pull(repo, command)
    if pull is None:
        return {"skipped": "not the head of an open pull request"}
    if not await slack_lines.followers(services, command.repo, pull.number):
        return {"pr": pull.number, **NOBODY}
    found = [a for a in await repo.run_artifacts(command.run_id) if not a.expired]
    if not found:
        return {"pr": pull.number, "artifacts": 0}
    runs = f"{pull.html_url.rsplit('/pull/', 1)[0]}/actions/runs/{command.run_id}"
    links = [slack_texts.Artifact(a.name, f"{runs}/artifacts/{a.id}") for a in found]
    line = slack_texts.artifacts(links)
    key = f"artifacts:{command.run_id}"
    told = await slack_lines.tell_threads(services, command.repo, pull.number, line, key)
    return {"pr": pull.number, "artifacts": len(found), "told": told}


async def head_pull(repo: RepoClient, command: Command) -> PullInfo | None:
    """The open PR whose head is the event's commit: by number when the event named it, else
    by the event's branch."""
    if command.number is not None:
        pull: PullInfo | None = await repo.pull(command.number)
    elif command.head_ref:
        pull = await repo.find_open_pull(command.head_ref)
    else:
        return None
    if pull is None or pull.state != "open" or pull.head_sha != command.head_sha:
        return None
    return pull


HANDLERS: Mapping[str, Handler] = {
    "ci_passed": ci_passed,
    "deployment": deployment,
    "workflow_run": workflow_run,
}
