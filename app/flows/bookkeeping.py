"""Approvals, merges and closes of Honk PRs: recorded, no model call; closed unmerged, branch gone.

An approval changes no code and posts nothing (a human merges); it counts only from someone
with write, maintain or admin permission (anyone may submit an approving review). A merge is
recorded. A PR closed without merging is recorded and its branch deleted, but only Honk's own
branch: one with Honk's prefix, in this repository, for a PR in Honk's records. Each is one line
in the PR's Slack threads (best effort).
"""

from __future__ import annotations

from app.core import slack_texts
from app.flows import slack_lines
from app.flows.context import JobContext
from app.flows.job import Result, authorized, repo_client


async def approved(ctx: JobContext) -> Result:
    command = ctx.job.command
    if command.number is None:
        return {"skipped": "no pull request number"}
    refusal = await authorized(await repo_client(ctx), command.sender)
    if refusal is not None:
        return {"skipped": f"{refusal}; an approval counts from write, maintain or admin"}
    known = await ctx.services.pulls.set_state(command.repo, command.number, "approved")
    key = f"approved:{command.review_id or command.delivery_id}"
    line = slack_texts.approved(command.sender)
    await slack_lines.tell_threads(ctx.services, command.repo, command.number, line, key)
    return {"approved": command.number, "known": known, "by": command.sender}


async def pr_closed(ctx: JobContext) -> Result:
    command = ctx.job.command
    if command.number is None:
        return {"skipped": "no pull request number"}
    pulls = ctx.services.pulls
    record = await pulls.get(command.repo, command.number)
    if command.merged:
        await pulls.set_state(command.repo, command.number, "merged")
        line = slack_texts.merged(command.sender)
        await slack_lines.tell_threads(ctx.services, command.repo, command.number, line, "merged")
        return {"merged": command.number, "known": record is not None}
    await pulls.set_state(command.repo, command.number, "closed")
    key = f"closed:{command.delivery_id}"
    await slack_lines.tell_threads(
        ctx.services, command.repo, command.number, slack_texts.closed(), key
    )
    own = (
        record is not None
        and command.head_repo == command.repo
        and command.head_ref == record.branch
        and record.branch.startswith(ctx.settings.branch_prefix)
    )
    if own and command.head_ref:
        repo = await repo_client(ctx)
        deleted = await repo.delete_branch(command.head_ref)
        return {"closed": command.number, "branch_deleted": deleted}
    return {"closed": command.number, "branch_deleted": False}
