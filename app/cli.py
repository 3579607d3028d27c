"""The `honk` command: serve, worker, jobs, run, eval, replay, doctor."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from app.core import logs
from app.core.config import Settings
from app.core.errors import ConfigError, HonkError

if TYPE_CHECKING:
    from app.flows.replay import Replay, Replayed

DESCRIPTION = "Honk: a self-hosted GitHub App that turns issues and reviews into pull requests."


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="honk", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser(
        "serve",
        help="run the web server and HONK_WORKERS embedded workers",
        description="Run the web server (HONK_HOST:HONK_PORT) and HONK_WORKERS workers.",
    )
    sub.add_parser(
        "worker",
        help="run workers only (scale-out; no web server)",
        description="Run max(HONK_WORKERS, 1) workers against HONK_DATABASE_URL, no web server.",
    )
    jobs = sub.add_parser("jobs", help="list recent jobs", description="List recent jobs.")
    jobs.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    jobs.add_argument("--limit", type=int, default=30, help="how many jobs (default 30)")
    run = sub.add_parser(
        "run",
        help="run the agent on a local git checkout (no GitHub)",
        description=(
            "Run the agent on a local git repository: a worktree on a new branch "
            "HONK_BRANCH_PREFIX + local-<timestamp>, the agent in the sandbox, a commit of the "
            "result. Prints one line per turn, then the branch, diff stat, summary, transcript "
            "path and usage. Exits 0 when the agent finished and left a commit, 1 otherwise."
        ),
    )
    run.add_argument("--repo", type=Path, required=True, help="path of the git repository")
    run.add_argument("--model", help="model id (default: HONK_MODEL)")
    run.add_argument("--max-usd", type=float, help="cost budget in USD (default: HONK_MAX_USD)")
    run.add_argument("task", help="what to do, in plain words")
    _add_eval(sub)
    _add_replay(sub)
    sub.add_parser("doctor", help="check the setup; say what to fix", description=DOCTOR_HELP)
    return parser


DOCTOR_HELP = (
    "Check the setup, one line each: settings, database and migrations, git, the sandbox "
    "profile, the GitHub App (JWT accepted, installations), GitHub sign-in (OAuth client), "
    "Slack (auth.test) and the model (a 1-token request to HONK_MODEL). Each line is ok, not "
    "configured (an optional part: Slack, sign-in) or what to fix. Exits 0 when everything "
    "configured works, 1 otherwise, 2 when the settings cannot be read."
)


REPLAY_HELP = (
    "Re-inject a GitHub delivery: the same parse, trigger mapping and queue as the webhook, "
    "under a new delivery id replay-<original>-<n> (so deduplication keeps it). SOURCE is a "
    "delivery id recorded within HONK_RETENTION_DAYS, or a file: a JSON object "
    '{"event": NAME, "delivery_id": ID (optional), "payload": {...}}, or with --event NAME the '
    "raw payload as GitHub sent it. Prints the new id, the outcome and the job id. Exits 2 when "
    "the id is unknown or the file cannot be read."
)


EVAL_HELP = (
    "Score the agent on a suite of repository tasks: each task's repository, the same "
    "sandbox, prompts and test-driven loop as a job, then the task's hidden tests (never shown "
    "to the agent) decide whether it is solved. Prints one line per finished run and a "
    "progress bar on stderr, then a Markdown table on stdout; writes report.json and the "
    "transcripts to --out. --model oracle applies each task's reference fix (no API key "
    "needed): it validates a suite. Exits 0 once the eval ran, whatever the score; 2 on a "
    "usage error."
)


def _add_eval(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    evaluate = sub.add_parser(
        "eval", help="score the agent on a suite of tasks, or compare two reports",
        description=EVAL_HELP,
    )  # fmt: skip
    add = evaluate.add_argument
    add("suite", nargs="?", type=Path, metavar="SUITE.jsonl", help="SWE-bench format tasks")
    add("--builtin", action="store_true", help="the built-in suite instead of SUITE.jsonl")
    add("--repos", type=Path, metavar="DIR", help="holds each clone at DIR/OWNER/NAME")
    add("--model", help="model id, or `oracle` (default: HONK_MODEL)")
    add("--runs", type=int, default=1, metavar="K", help="runs of each task (default 1)")
    add("--parallel", type=int, default=1, metavar="N", help="runs at once (default 1)")
    add("--max-usd", type=float, metavar="X", help="USD budget of EACH task run (HONK_MAX_USD)")
    add("--out", type=Path, metavar="DIR", help="default: HONK_DATA_DIR/eval/<UTC time>/")
    add("--compare", nargs=2, type=Path, metavar=("A.json", "B.json"), help="compare 2 reports")


def _add_replay(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    replay = sub.add_parser(
        "replay", help="re-inject a saved delivery (FILE or DELIVERY_ID)", description=REPLAY_HELP
    )
    replay.add_argument("source", metavar="FILE|DELIVERY_ID", help="a JSON file or delivery id")
    replay.add_argument("--event", help="the event name (X-GitHub-Event) of a raw payload FILE")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        logs.configure(settings.log_level)
        return int(COMMANDS[args.command](args, settings))
    except HonkError as exc:
        print(f"honk: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from app.metrics.multiprocess import prepare

    prepare(settings.data_dir)  # before anything imports prometheus_client
    from app.process import serving_app

    app = serving_app(settings)
    config = uvicorn.Config(
        app, host=settings.host, port=settings.port, log_config=None, access_log=False
    )
    uvicorn.Server(config).run()
    return 0


def worker(args: argparse.Namespace, settings: Settings) -> int:
    from app.metrics.multiprocess import prepare

    prepare(settings.data_dir)  # before anything imports prometheus_client
    from app.process import workers_only

    asyncio.run(workers_only(settings))
    return 0


def jobs(args: argparse.Namespace, settings: Settings) -> int:
    rows = asyncio.run(_recent_jobs(settings, args.limit))
    if args.json:
        for row in rows:
            print(json.dumps(row, sort_keys=True))
    else:
        print(format_jobs(rows))
    return 0


JOB_COLUMNS = ("id", "kind", "repo", "number", "state", "attempts", "cost_usd")


async def _recent_jobs(settings: Settings, limit: int) -> list[dict[str, object]]:
    from app.store.engine import Store
    from app.store.queue import Queue

    store = await Store.open(settings.database_url)
    try:
        recent = await Queue.from_settings(store, settings).recent(limit)
    finally:
        await store.close()
    return [
        {**{name: getattr(job, name) for name in JOB_COLUMNS}, "error": job.error} for job in recent
    ]


def format_jobs(rows: Sequence[dict[str, object]]) -> str:
    """A plain-text table of jobs, newest first."""
    if not rows:
        return "no jobs yet"
    header = ["ID", "KIND", "REPO", "NUMBER", "STATE", "ATTEMPTS", "COST"]
    cells = [
        [
            str(r["id"]),
            str(r["kind"]),
            str(r["repo"]),
            str(r["number"] or "-"),
            str(r["state"]),
            str(r["attempts"]),
            f"${float(str(r['cost_usd'] or 0)):.2f}",
        ]
        for r in rows
    ]
    widths = [max(len(row[i]) for row in [header, *cells]) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *cells]
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    from app.flows.local_run import LocalRun, run_local
    from app.process import refuse_secrets_the_sandbox_shows

    if args.max_usd is not None and not args.max_usd > 0:
        raise ConfigError("--max-usd must be greater than 0")
    refuse_secrets_the_sandbox_shows(settings)
    request = LocalRun(repo=args.repo, task=args.task, model=args.model, max_usd=args.max_usd)
    return asyncio.run(run_local(settings, request, sys.stdout))


def evaluate(args: argparse.Namespace, settings: Settings) -> int:
    from app.eval.command import EvalArgs, eval_command
    from app.process import refuse_secrets_the_sandbox_shows

    if args.compare is None:
        refuse_secrets_the_sandbox_shows(settings)
    given = {name: getattr(args, name) for name in EVAL_FLAGS}
    compare = tuple(args.compare) if args.compare else None
    return eval_command(settings, EvalArgs(**given, compare=compare), sys.stdout, sys.stderr)


EVAL_FLAGS = ("suite", "builtin", "repos", "model", "runs", "parallel", "max_usd", "out")


def replay(args: argparse.Namespace, settings: Settings) -> int:
    from app.flows.replay import describe, file_replay

    path = Path(args.source)
    from_file = args.event is not None or path.is_file()
    loaded = file_replay(path, args.event) if from_file else None
    print(describe(asyncio.run(_replay(settings, args.source, loaded))))
    return 0


async def _replay(settings: Settings, source: str, loaded: Replay | None) -> Replayed:
    from app.core.triggers import TriggerContext
    from app.flows.replay import inject, saved_replay
    from app.store.engine import Store
    from app.store.queue import Queue

    store = await Store.open(settings.database_url)
    try:
        queue = Queue.from_settings(store, settings)
        chosen = loaded if loaded is not None else await saved_replay(queue, source)
        return await inject(queue, chosen, TriggerContext.from_settings(settings))
    finally:
        await store.close()


def doctor(args: argparse.Namespace, settings: Settings) -> int:
    from app.flows.doctor import exit_status, run_checks
    from app.flows.doctor_remote import CHECKS

    checks = asyncio.run(run_checks(settings, CHECKS))
    for check in checks:
        print(check.line)
    return exit_status(checks)


COMMANDS = {
    "serve": serve,
    "worker": worker,
    "jobs": jobs,
    "run": run,
    "eval": evaluate,
    "replay": replay,
    "doctor": doctor,
}
