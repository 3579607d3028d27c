"""The end-to-end world: fake GitHub, a real git remote over smart HTTP, a scripted model, Honk.

Honk runs for real: its HTTP app takes signed deliveries, its queue is SQLite, its worker runs
the flows with the real sandbox and git, and reaches GitHub through githubkit over loopback.
The fake GitHub's branch refs are the git remote's own refs, so both tell one story.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import respx

from app.core.config import Secret, Settings
from app.flows.services import Services
from app.github.client import GitHubApp, RetryPolicy
from app.store.engine import Store
from app.store.jobs import Job
from app.store.queue import Queue
from app.web.server import create_app
from app.worker import Worker
from tests.fakes.anthropic_api import BASE_URL, ScriptedMessagesAPI, text_block, tool_use_block
from tests.fakes.deliveries import delivery_headers, load_payload
from tests.fakes.git_remote import SmartHTTPRemote, make_remote
from tests.fakes.github.api import FakeGitHub, generate_app_key, serve_fake_github
from tests.fakes.github.state import FakeRepo

APP_ID = 4242
INSTALLATION_ID = 77
REPO = "octo/widgets"
TOKEN = "ghs_e2e_" + "t" * 60
SECRET = "e2e-webhook-secret"
API_KEY = "sk-ant-e2e-key"
TEST_COMMAND = "python3 -c 'import test_calc; test_calc.test_add(); print(\"tests pass\")'"
FILES = {
    "calc.py": "def add(a, b):\n    return a - b\n",
    "test_calc.py": (
        "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5, add(2, 3)\n"
    ),
    "README.md": "# widgets\n",
}


class GitRefs(dict[str, str]):
    """The fake's branch table, read from and written to the bare git repository."""

    def __init__(self, bare: Path) -> None:
        super().__init__()
        self.bare = bare

    def _sha(self, branch: str) -> str | None:
        done = subprocess.run(
            ["git", "-C", str(self.bare), "rev-parse", "--verify", "-q", f"refs/heads/{branch}"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        return done.stdout.strip() or None

    def __contains__(self, branch: object) -> bool:
        return isinstance(branch, str) and self._sha(branch) is not None

    def __getitem__(self, branch: str) -> str:
        sha = self._sha(branch)
        if sha is None:
            raise KeyError(branch)
        return sha

    def setdefault(self, branch: str, default: str | None = None) -> str:
        return self._sha(branch) or (default or "")

    def __delitem__(self, branch: str) -> None:
        subprocess.run(
            ["git", "-C", str(self.bare), "update-ref", "-d", f"refs/heads/{branch}"], check=True
        )


@dataclass
class World:
    fake: FakeGitHub
    repo: FakeRepo
    bare: Path
    model: ScriptedMessagesAPI
    settings: Settings
    queue: Queue
    http: httpx.AsyncClient
    worker: Worker
    remote: SmartHTTPRemote

    async def deliver(
        self, event: str, payload: dict[str, Any], delivery_id: str | None = None
    ) -> httpx.Response:
        body = json.dumps(payload).encode()
        headers = delivery_headers(event, body, SECRET, delivery_id or str(uuid.uuid4()))
        return await self.http.post("/webhooks/github", content=body, headers=headers)

    async def run_jobs(self, limit: int = 10) -> list[Job]:
        """Run queued jobs one by one until none is left; returns them as they ended."""
        ran = []
        for _ in range(limit):
            job = await self.worker.run_once()
            if job is None:
                break
            ended = await self.queue.get(job.id)
            assert ended is not None
            ran.append(ended)
        return ran

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(self.bare), *args], capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    def bot_comments(self, number: int) -> list[str]:
        return [
            c.body
            for c in self.repo.comments.values()
            if c.number == number and c.user == self.fake.bot_login
        ]


def script_edit(world: World, edit: dict[str, Any], summary: str) -> None:
    """One editor call, the summary, and the same summary once more for the review on submit."""
    world.model.reply([tool_use_block("str_replace_based_edit_tool", edit)], "tool_use")
    world.model.reply([text_block(summary)])
    world.model.reply([text_block(summary)])


def payload(fixture: str, **changes: Any) -> dict[str, Any]:
    """A real delivery fixture moved to the world's repository and installation."""
    data = load_payload(fixture)
    owner, name = REPO.split("/")
    data["repository"].update(full_name=REPO, name=name)
    data["repository"]["owner"]["login"] = owner
    data["installation"] = {
        "id": INSTALLATION_ID,
        "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=",
    }
    for path, value in changes.items():
        node: Any = data
        *parents, last = path.split("__")
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[last] = value
    return data


@asynccontextmanager
async def open_world(tmp: Path, router: respx.Router) -> AsyncIterator[World]:
    key = generate_app_key()
    bare = make_remote(tmp / "remotes", FILES, name="widgets.git")
    fake = FakeGitHub(public_key_pem=key.public_pem, app_id=APP_ID, fixed_token=TOKEN)
    async with SmartHTTPRemote(tmp / "remotes", TOKEN) as remote, serve_fake_github(fake) as url:
        repo = fake.add_repo(
            REPO, installation_id=INSTALLATION_ID, clone_url=remote.url_for("widgets.git")
        )
        repo.refs = GitRefs(bare)
        repo.set_file(".github/honk.yml", f"test: {json.dumps(TEST_COMMAND)}\n")
        settings = world_settings(tmp, url, key.private_pem)
        async with world_on(settings, fake, bare, router, remote) as world:
            yield world


@asynccontextmanager
async def world_on(
    settings: Settings,
    fake: FakeGitHub,
    bare: Path,
    router: respx.Router,
    remote: SmartHTTPRemote,
) -> AsyncIterator[World]:
    """Honk on `settings` (store, queue, worker, web app) around a fake GitHub already served."""
    store = await Store.open(settings.database_url)
    queue = Queue(store, max_attempts=settings.max_attempts, backoff_base=0)
    github = GitHubApp(settings, retry=RetryPolicy(sleep=_no_sleep))
    worker = Worker(queue, settings, services=Services(settings, queue, github=github))
    transport = httpx.ASGITransport(app=create_app(settings, store=store))
    async with httpx.AsyncClient(transport=transport, base_url="http://honk.test") as http:
        model = ScriptedMessagesAPI(router)
        yield World(fake, fake.repos[REPO], bare, model, settings, queue, http, worker, remote)
    await store.close()


def world_settings(tmp: Path, api_url: str, private_key: str) -> Settings:
    return Settings(
        github_app_id=APP_ID,
        github_private_key=Secret(private_key),
        github_webhook_secret=Secret(SECRET),
        github_api_url=api_url,
        anthropic_api_key=Secret(API_KEY),
        anthropic_base_url=BASE_URL,
        data_dir=tmp / "honk",
        database_url=f"sqlite+aiosqlite:///{tmp}/honk/honk.db",
        model_max_retries=0,
        max_attempts=2,
    )


async def _no_sleep(seconds: float) -> None:
    return None
