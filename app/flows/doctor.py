"""`honk doctor`: one line per check, `ok` or what to fix; exit 0 only when all configured hold.

An optional part left unconfigured (Slack, GitHub sign-in) says so and does not fail. Every
network call has a short timeout; no check writes anything but an empty SQLite file.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from alembic.script import ScriptDirectory

from app.core.config import Settings
from app.core.errors import HonkError, SandboxError, StoreError
from app.sandbox.sandbox import Sandbox
from app.store.engine import Store, alembic_config, current_revisions

Status = Literal["ok", "failed", "not configured"]
TIMEOUT = 10.0


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, how it went, what was found or what to do."""

    name: str
    status: Status
    detail: str

    @property
    def line(self) -> str:
        if self.status == "failed":
            return f"{self.name}: FAILED: {self.detail}"
        return f"{self.name}: {self.status} ({self.detail})"


Probe = Callable[[Settings], Awaitable[Check]]


async def run_checks(settings: Settings, probes: Sequence[Probe]) -> list[Check]:
    """Every probe at once, in order; one that raises unexpectedly is a failed line, not a crash."""
    return list(await asyncio.gather(*(_guarded(probe, settings) for probe in probes)))


def exit_status(checks: Sequence[Check]) -> int:
    """0 when nothing failed ("not configured" is no failure), else 1."""
    return 1 if any(check.status == "failed" for check in checks) else 0


async def _guarded(probe: Probe, settings: Settings) -> Check:
    name = probe.__name__.replace("_", " ")
    try:
        async with asyncio.timeout(TIMEOUT * 2):
            return await probe(settings)
    except TimeoutError:
        return Check(name, "failed", f"no answer within {TIMEOUT * 2:.0f} s")
    except Exception as exc:
        return Check(name, "failed", f"{type(exc).__name__}: {exc}")


async def parsed_settings(settings: Settings) -> Check:
    """Reached only when the settings parsed (bad ones stop `honk` with exit status 2)."""
    return Check("settings", "ok", f"data in {settings.data_dir}")


async def database(settings: Settings) -> Check:
    try:
        store = await Store.open(settings.database_url, migrate=False)
        try:
            async with asyncio.timeout(TIMEOUT), store.transaction() as conn:
                current = await conn.run_sync(current_revisions)
        finally:
            await store.close()
    except (StoreError, TimeoutError) as exc:
        reason = str(exc) or "no answer in time"
        return Check("database", "failed", f"{reason}: check HONK_DATABASE_URL")
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if current != (head,):
        at = f"at revision {', '.join(current)}" if current else "empty"
        fix = "start `honk serve` or `honk worker` once: they migrate at start"
        return Check("database", "failed", f"{at}, Honk needs revision {head}: {fix}")
    return Check("database", "ok", f"{store.dialect}, migrations at {head}")


async def git(settings: Settings) -> Check:
    path = shutil.which("git")
    if path is None:
        return Check("git", "failed", "git is not on PATH: install git")
    process = await asyncio.create_subprocess_exec(
        path, "--version", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    async with asyncio.timeout(TIMEOUT):
        out, _ = await process.communicate()
    if process.returncode != 0:
        return Check("git", "failed", f"`git --version` failed: {out.decode(errors='replace')}")
    return Check("git", "ok", out.decode(errors="replace").strip())


async def sandbox(settings: Settings) -> Check:
    try:
        found = await asyncio.to_thread(Sandbox.probe, settings.sandbox)
    except SandboxError as exc:
        return Check("sandbox", "failed", f"HONK_SANDBOX={settings.sandbox}: {exc}")
    return Check("sandbox", "ok", found.describe())


def failed_by(name: str, exc: HonkError, fix: str) -> Check:
    """A failed line: the error, then what to check."""
    return Check(name, "failed", f"{exc}; {fix}")
