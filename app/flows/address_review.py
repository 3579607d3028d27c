"""A review submitted on a Honk PR: one job for the whole review, new commits, a reply per thread.

The agent gets the review's body and comments, the task that started the PR and the summaries
of earlier runs on it (its memory), and is asked to end with one line per comment id saying
what changed or why nothing did. Honk pushes the change (if any) to the PR's branch, then
answers in each review thread with those lines. An unfinished run pushes its WIP commit and
answers no thread (the PR body says it is unfinished; a retry continues from the branch).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from app.agent.prompts import task_prompt
from app.core import messages, slack_texts
from app.flows import slack_lines
from app.flows.context import JobContext
from app.flows.continuation import memory_of
from app.flows.finish import end_unfinished, finish, refresh_pull
from app.flows.job import JobRun, Result, is_honk_pull, run_job
from app.flows.report import Ending
from app.github.client import ReviewComment, ReviewInfo

REPLIES_HEADING = "## Replies"
REPLY_INSTRUCTIONS = f"""This job answers a code review on a pull request you worked on before.
After your summary, end with a section headed exactly `{REPLIES_HEADING}` holding one line per
review comment id given in the task, in the form `- <id>: <what you changed for it, or why you
changed nothing>`. Those lines are posted as your replies in the review threads."""
_REPLY_LINE = re.compile(r"^\s*[-*]\s*(\d+)\s*[:\u2013\u2014-]\s*(.+?)\s*$")
NO_REPLY = "Honk made no specific change for this comment; see the summary of the run."


async def run(ctx: JobContext) -> Result:
    if ctx.job.command.number is None or not await is_honk_pull(ctx, ctx.job.command.number):
        return {"skipped": "not a pull request Honk opened"}
    return await run_job(ctx, address_review)


async def address_review(run: JobRun) -> Result:
    config = await run.config()
    info = await run.repo.repository()
    pull = await run.repo.pull(run.number)
    reviews = await reviews_of(run, pull.number)
    comments = [comment for _, found in reviews for comment in found]
    plan = await run.pull_plan(
        info,
        pull,
        system=await run.system_prompt(info, config, extra=REPLY_INSTRUCTIONS),
        task=task_prompt(
            title=f"Review of pull request #{pull.number}: {pull.title}",
            body="\n\n".join(review_text(review, found) for review, found in reviews),
            notes=run.notes(),
            extra_context=await memory(run, pull.number),
            kind="review",
            memory=await memory_of(run, pull.head_ref),
        ),
    )
    work = await run.work(config, plan)
    if work.unfinished:  # WIP on the branch; the threads are answered once it is finished
        await end_unfinished(run, await refresh_pull(run, pull, work), work, updated=True)
    head = work.sha or pull.head_sha
    threads = await reply_in_threads(run, pull.number, comments, work.agent.summary, head)
    if work.sha is None:
        answered = messages.review_answered(threads, job_id=run.ctx.job.id)
        await run.reporter.finish(answered, Ending("done", work=work))
        return {"pr": pull.number, "sha": None, "replies": threads, **_cost(work.agent.cost_usd)}
    await run.services.pulls.reset_ci_attempts(run.command.repo, pull.number)
    pull = await refresh_pull(run, pull, work)
    result = await finish(run, pull, work, updated=True)
    line = slack_texts.review_addressed(work.sha, slack_lines.commit_url(pull, work.sha))
    await slack_lines.tell_threads(
        run.services, run.command.repo, pull.number, line, f"review:{work.sha}"
    )
    return {**result, "replies": threads}


async def reviews_of(run: JobRun, pull_number: int) -> list[tuple[ReviewInfo, list[ReviewComment]]]:
    """Every review coalesced into this job (reviews submitted while it waited), in order.

    A review's body is the one its delivery carried; its comments are the reviewer's own.
    """
    carried = {c.review_id: c.body for c in run.commands if c.review_id is not None}
    found = []
    for review_id, body in carried.items():
        review = await run.repo.review(pull_number, review_id)
        review = review if body is None else replace(review, body=body)
        found.append((review, await run.repo.review_comments(pull_number, review_id)))
    return found


def review_text(review: ReviewInfo, comments: Sequence[ReviewComment]) -> str:
    """The review as the agent reads it: its body, then each comment with where it points."""
    parts = [f"Review by @{review.user} ({review.state}):\n{review.body or '(no body)'}"]
    for comment in comments:
        where = f"{comment.path}:{comment.line}" if comment.line else comment.path
        parts.append(
            f"Comment id {comment.id} by @{comment.user} on {where}:\n"
            f"```diff\n{comment.diff_hunk}\n```\n{comment.body}"
        )
    return "\n\n".join(parts)


async def memory(run: JobRun, pull_number: int) -> str:
    """The task that started this PR and what earlier runs on it said they did."""
    record = await run.services.pulls.get(run.command.repo, pull_number)
    numbers = [pull_number] + ([record.issue_number] if record and record.issue_number else [])
    earlier = await run.services.queue.succeeded(run.command.repo, numbers)
    lines = [f"Original task:\n{record.task}"] if record else []
    lines += [
        f"Earlier run (job {job.id}, {job.kind}):\n{job.result.get('summary', '')}"
        for job in earlier
        if job.result and job.result.get("summary")
    ]
    return "\n\n".join(lines)


def parse_replies(summary: str) -> dict[int, str]:
    """`- <id>: <text>` lines after the Replies heading, by comment id."""
    _, found, section = summary.partition(REPLIES_HEADING)
    if not found:
        return {}
    replies: dict[int, str] = {}
    for line in section.splitlines():
        match = _REPLY_LINE.match(line)
        if match:
            replies[int(match.group(1))] = match.group(2)
    return replies


def threads_of(comments: Sequence[ReviewComment]) -> dict[int, list[ReviewComment]]:
    """Comments by the thread they belong to (a reply's thread is its first comment's id)."""
    threads: dict[int, list[ReviewComment]] = {}
    for comment in comments:
        threads.setdefault(comment.in_reply_to_id or comment.id, []).append(comment)
    return threads


def thread_reply(comments: Sequence[ReviewComment], replies: Mapping[int, str]) -> str:
    answers = [replies.get(comment.id) for comment in comments]
    return "\n\n".join(answer for answer in answers if answer) or NO_REPLY


async def reply_in_threads(
    run: JobRun, pull_number: int, comments: Sequence[ReviewComment], summary: str, head: str
) -> int:
    """One reply per thread the review touched (`head`: the PR's head commit); returns how
    many threads were answered."""
    replies = parse_replies(summary)
    threads = threads_of(comments)
    for root, members in threads.items():
        text = thread_reply(members, replies)
        body = messages.review_reply(text, comment_id=root, job_id=run.ctx.job.id)
        path = members[0].path  # every comment of a thread is on the thread's file
        await run.repo.reply_to_review_comment(pull_number, root, body, commit_id=head, path=path)
    return len(threads)


def _cost(usd: float) -> dict[str, float]:
    return {"cost_usd": usd}
