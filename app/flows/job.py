"""The lifecycle every GitHub job shares: authorize, acknowledge, load settings, finalise.

Authorization comes first: a sender without write, maintain or admin permission ends the job
silently (no comment, no model call), with the reason in the job's result. Then the 👀 and the
progress comment; then the flow's own work. Whatever ends the job, the progress comment gets
its last word: done, failed, cancelled, unfinished (said by the flow, app/flows/finish.py),
invalid settings, or "tries again" when the queue will retry the job (the retried attempt
takes the same comment over).

A job asked for in Slack (its command carries `slack`) also reports in its Slack thread
(app/flows/slack_report.py, the Reporter's listener), and its Slack person must still be linked
to the GitHub login the request was made as.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from app.agent.prompts import system_prompt
from app.core import messages
from app.core.commands import Command
from app.core.config import Secret
from app.core.errors import Cancelled, FlowError, RepoConfigError, Unfinished
from app.core.repo_config import CONFIG_PATH, RepoConfig, parse_repo_config
from app.flows.agent_run import INSTRUCTION_FILES, MAX_INSTRUCTION_CHARS
from app.flows.context import JobContext
from app.flows.report import Ending, Reporter, comment_of
from app.flows.services import Services
from app.flows.slack_report import SlackReport, slack_origin, slack_report, still_linked
from app.flows.work import Stop, WorkPlan, WorkResult, do_work, limits_for
from app.github.client import PullInfo, RepoClient, RepoInfo
from app.metrics import instruments as metrics

log = logging.getLogger("honk.flows")
WRITERS = frozenset({"admin", "maintain", "write"})
Result = dict[str, Any]


@dataclass(frozen=True)
class JobRun:
    """One job in progress: its context, its repository client and its reporter."""

    ctx: JobContext
    services: Services
    repo: RepoClient
    reporter: Reporter
    commands: tuple[Command, ...]  # the job's requests whose senders may ask (oldest first)
    files: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)

    @property
    def command(self) -> Command:
        """The newest request among those whose sender may ask."""
        return self.commands[-1]

    @property
    def number(self) -> int:
        if self.reporter.number is None:
            raise FlowError(f"a {self.command.kind} job has no issue or pull request")
        return self.reporter.number

    async def config(self) -> RepoConfig:
        """`.github/honk.yml` from the default branch (RepoConfigError when invalid)."""
        text = (await self.branch_files())[CONFIG_PATH]
        return parse_repo_config(text, self.services.settings)

    async def branch_files(self) -> dict[str, str | None]:
        """`.github/honk.yml` and the instruction files of the default branch (None: absent),
        read in one request, once per job."""
        if not self.files:
            paths = (CONFIG_PATH, *INSTRUCTION_FILES)
            self.files.update(await self.repo.default_branch_files(paths))
        return self.files

    async def token(self) -> Secret:
        """An installation token for git, scoped to this one repository (the one this job's
        API calls use, when it lasts the job)."""
        return await self.services.github.installation_token(
            self.command.installation_id or 0, self.command.repo
        )

    async def system_prompt(self, info: RepoInfo, config: RepoConfig, extra: str = "") -> str:
        """The system prompt with the repository's instruction files (default branch, each
        cut to MAX_INSTRUCTION_CHARS), its test command and fix rounds, and the job's budgets
        (what earlier attempts spent counted)."""
        found = await self.branch_files()
        files = {
            name: text[:MAX_INSTRUCTION_CHARS]
            for name in INSTRUCTION_FILES
            if (text := found.get(name))
        }
        return system_prompt(
            repo_name=info.full_name, instructions=files, extra=extra, test_command=config.test,
            fix_rounds=config.test_fix_rounds,
            limits=limits_for(config, self.services.settings, self.ctx.job.cost_usd),
        )  # fmt: skip

    async def pull_plan(
        self, info: RepoInfo, pull: PullInfo, *, system: str, task: str, author: str | None = None
    ) -> WorkPlan:
        """Work on a pull request's own branch: checked out as it is, never force-pushed."""
        return WorkPlan(
            clone_url=info.clone_url,
            token=await self.token(),
            base_branch=pull.base_ref,
            branch=pull.head_ref,
            existing_branch=True,
            force_push=False,  # someone else's commits may be on it: never rewrite them
            system=system,
            task=task,
            co_author=author or self.co_author(self.command.sender, self.command.sender_id),
        )

    async def work(self, config: RepoConfig, plan: WorkPlan) -> WorkResult:
        """The agent's work on the plan's branch, reported on this job's comment (once per
        job: a later attempt publishes what an earlier one finished)."""
        stop = Stop(self.ctx.cancel, self.ctx.cancel_requested)
        return await do_work(self.services, self.ctx.job, config, plan, self.reporter, stop)

    def co_author(self, login: str, user_id: int | None) -> str:
        """`co_author` on the GitHub this Honk talks to."""
        return co_author(login, user_id, self.services.github.noreply_host)

    def notes(self) -> str:
        """Every request coalesced into this job, in order (none is dropped)."""
        return "\n\n".join(c.notes for c in self.commands if c.notes.strip())


def co_author(login: str, user_id: int | None, host: str) -> str:
    """A person as a `Co-authored-by:` identity: the noreply address of `host` (github.com,
    or a GitHub Enterprise server's own host: `noreply_host` of GITHUB_API_URL)."""
    local = f"{user_id}+{login}" if user_id else login
    return f"{login} <{local}@users.noreply.{host}>"


async def repo_client(ctx: JobContext) -> RepoClient:
    command = ctx.job.command
    if command.installation_id is None:
        raise FlowError("the delivery named no GitHub App installation")
    return await ctx.services.github.repo(command.installation_id, command.repo)


async def is_honk_pull(ctx: JobContext, number: int) -> bool:
    """Whether Honk opened this PR: it is in Honk's records, or the App's bot opened it from a
    branch of this repository. A branch name alone proves nothing: anyone can name one honk/."""
    command = ctx.job.command
    if await ctx.services.pulls.get(command.repo, number) is not None:
        return True
    pull = await (await repo_client(ctx)).pull(number)
    bot = await ctx.services.github.bot_login()
    return pull.head_repo == command.repo and pull.user.lower() == bot.lower()


async def authorized(repo: RepoClient, login: str) -> str | None:
    """None when `login` may start work here; otherwise the reason it may not."""
    permission = await repo.permission(login)
    return None if permission in WRITERS else f"@{login} has {permission} permission"


async def authorized_commands(
    services: Services, repo: RepoClient, commands: tuple[Command, ...]
) -> tuple[tuple[Command, ...], list[str]]:
    """`allowed_commands`, after dropping requests from Slack people no longer linked."""
    linked, unlinked = await still_linked(services, commands)
    allowed, refused = await allowed_commands(repo, linked)
    return allowed, unlinked + refused


async def allowed_commands(
    repo: RepoClient, commands: tuple[Command, ...]
) -> tuple[tuple[Command, ...], list[str]]:
    """Every request coalesced into the job is checked: (those allowed, why others were not).

    An outsider's request merged with a maintainer's never reaches the agent, and a
    maintainer's request is not lost because an outsider's came after it.
    """
    allowed, refused = [], []
    for command in commands:
        refusal = await authorized(repo, command.sender)
        if refusal is None:
            allowed.append(command)
        elif refusal not in refused:
            refused.append(refusal)
    return tuple(allowed), refused


async def run_job(
    ctx: JobContext,
    body: Callable[[JobRun], Awaitable[Result]],
    *,
    authorize: bool = True,
    acknowledge: bool = True,
    on_issue: bool = True,
) -> Result:
    """Authorize, acknowledge, run `body`, and give the progress comment its last word
    (`on_issue` False: a job with no issue or PR, reported in its Slack thread only)."""
    command = ctx.job.command
    if on_issue and command.number is None:
        raise FlowError(f"a {command.kind} job needs an issue or pull request number")
    repo = await repo_client(ctx)
    commands, refused = ctx.job.commands, list[str]()
    if authorize:
        commands, refused = await authorized_commands(ctx.services, repo, ctx.job.commands)
        if not commands:
            return await _skipped(ctx, repo, refused)
    run = await _job_run(ctx, repo, commands, number=command.number if on_issue else None)
    if acknowledge:
        await run.reporter.acknowledge(run.command.comment_id)
        if ctx.job.attempts <= 1 and ctx.job.acknowledged_at is None:  # else acknowledged before
            metrics.acknowledged(time.time() - ctx.job.created_at)
    try:
        result = await _finalised(run, body)
    finally:
        if isinstance(run.reporter.listener, SlackReport):
            await run.reporter.listener.close()
    return {**result, "refused": refused} if refused else result


async def _job_run(
    ctx: JobContext, repo: RepoClient, commands: tuple[Command, ...], *, number: int | None
) -> JobRun:
    """The job's run: its reporter on GitHub (when `number`) and in Slack (when asked there)."""
    name = ctx.job.command.repo
    base = (await repo.repository()).default_branch if slack_origin(commands) else ""
    slack = await slack_report(ctx.services, ctx.job, commands, repo=name, base_branch=base)
    reporter = Reporter(
        repo, number=number, job_id=ctx.job.id, listener=slack,
        public_url=ctx.settings.public_url,
        comment=comment_of(ctx.services.queue, ctx.job, may_exist=_earlier_word(ctx)),
    )  # fmt: skip
    return JobRun(ctx, ctx.services, repo, reporter, commands)


def _earlier_word(ctx: JobContext) -> bool:
    """Whether the job may have said something before this attempt: an earlier attempt ran,
    or the job was acknowledged while it waited."""
    return ctx.job.attempts > 1 or ctx.job.acknowledged_at is not None


async def _skipped(ctx: JobContext, repo: RepoClient, refused: list[str]) -> Result:
    """No request of the job may start work: silence on GitHub; a job asked for in Slack
    says why in its thread (the person saw it accepted)."""
    reason = f"{'; '.join(refused)}; Honk needs write, maintain or admin"
    if slack_origin(ctx.job.commands) is not None:
        run = await _job_run(ctx, repo, ctx.job.commands, number=None)
        await _last_word(run, "", Ending("failed", reason=reason))
    return {"skipped": reason}


async def _finalised(run: JobRun, body: Callable[[JobRun], Awaitable[Result]]) -> Result:
    """`body`, and the job's last word however it ends (on GitHub and to the listener)."""
    job = run.ctx.job
    try:
        return await body(run)
    except Unfinished:  # its last word is said: the unfinished work and where it is
        raise
    except RepoConfigError as exc:
        text = messages.invalid_config(exc.path, exc.field, exc.problem)
        await _last_word(run, text, Ending("failed", reason=f"{CONFIG_PATH} is invalid: {exc}"))
        raise FlowError(str(exc)) from exc
    except Cancelled:
        await _last_word(run, messages.cancelled(job_id=job.id), Ending("cancelled"))
        raise
    except FlowError as exc:
        text = messages.final_failure(str(exc), job_id=job.id)
        await _last_word(run, text, Ending("failed", reason=str(exc)))
        raise
    except Exception as exc:
        reason = str(exc) or type(exc).__name__
        if job.attempts >= job.max_attempts:
            text = messages.final_failure(reason, job_id=job.id)
            await _last_word(run, text, Ending("failed", reason=reason))
        else:  # a job with no progress comment says nothing on GitHub until it ends
            text = messages.retrying(reason, job.attempts, job.max_attempts, job_id=job.id)
            with suppress(Exception):
                await run.reporter.retrying(text, reason)
        raise


async def _last_word(run: JobRun, text: str, ending: Ending) -> None:
    """The final edit, best effort: the job's own ending matters more than a failed edit
    (a GitHub error here must not turn a final failure into a retry that runs the agent)."""
    with suppress(Exception):
        await run.reporter.finish(text, ending)
