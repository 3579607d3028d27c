"""Continuing unfinished work: what a job is told when its branch holds an earlier job's WIP.

The newest earlier agent job on the same repository that pushed work to the same branch
decides (its checkpoint names the branch): when its work was unfinished, the new job's task
says so, with the reason and that run's summary fenced as data (it is the model's text); when
it finished, there is nothing to continue.
"""

from __future__ import annotations

from typing import Any

from app.agent.prompts import unfinished_memory
from app.core.commands import JobKind
from app.flows.job import JobRun

AGENT_JOBS: tuple[JobKind, ...] = ("fix_issue", "fix_pr", "address_review", "ci_fix", "slack_task")


async def memory_of(run: JobRun, branch: str) -> str:
    """The task's memory of unfinished work on `branch` ("" when there is none to continue)."""
    earlier = await run.services.queue.earlier(run.command.repo, run.ctx.job.id, AGENT_JOBS)
    for job in earlier:
        saved = job.checkpoint or {}
        if not _pushed_to(saved, branch):
            continue
        reason = saved.get("unfinished")
        if not reason:
            return ""
        agent = saved.get("agent") or {}
        return unfinished_memory(str(reason), str(agent.get("summary") or ""))
    return ""


def _pushed_to(saved: dict[str, Any], branch: str) -> bool:
    """Whether a checkpoint is of work pushed to `branch` (a commit, not an empty run)."""
    return saved.get("branch") == branch and bool(saved.get("pushed")) and bool(saved.get("sha"))
