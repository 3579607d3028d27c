"""Setup, end to end: the README's setup works, reaches only allowed registries, commits nothing.

A stand-in registry on loopback (tests/fakes/registry.py) serves `tinydep` to pip and npm
through Honk's egress proxy: the test policy names `registry.test`, allows its port and exempts
its loopback address (no setting can). The setup commands, the agent's shell and the test
command share the job's tool directory (HOME, a virtual environment, package caches).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.core.egress import EgressPolicy
from app.flows.services import Services, SetupEgress
from app.sandbox.sandbox import Profile
from app.store.jobs import Job
from tests.fakes.anthropic_api import bash, text_block
from tests.fakes.git_remote import commit_to_remote
from tests.fakes.registry import HOST, VALUE, StandInRegistry, stand_in_registry
from tests.fakes.sandbox_probe import BWRAP_PROFILES, needs_tool, sandbox_for
from tests.flows.test_e2e import labeled
from tests.flows.world import World

pytestmark = [
    pytest.mark.usefixtures("needs_sandbox", "needs_socat"),
    pytest.mark.httpx2(assert_all_called=False),  # a failed setup never calls the model
]


@pytest.fixture
def needs_socat() -> None:
    needs_tool("socat")


NAMES = {
    "registry.test": ["127.0.0.1"],
    "metadata.test": ["169.254.169.254"],
    "private.test": ["10.0.0.7"],
}
PYPROJECT = """\
[build-system]
requires = []
build-backend = "tinybuild"
backend-path = ["_build"]

[project]
name = "widgets"
version = "0.1"

[project.optional-dependencies]
dev = ["tinydep"]
"""
# An in-tree PEP 517/660 backend (the test has no setuptools to serve); like setuptools, it
# leaves `widgets.egg-info` in the tree.
BACKEND = """\
import os, pathlib, zipfile

META = ("Metadata-Version: 2.1\\nName: widgets\\nVersion: 0.1\\nProvides-Extra: dev\\n"
        "Requires-Dist: tinydep; extra == 'dev'\\n")
WHEEL = "Wheel-Version: 1.0\\nGenerator: tinybuild\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"


def _wheel(directory, files):
    info = pathlib.Path("widgets.egg-info")
    info.mkdir(exist_ok=True)
    (info / "PKG-INFO").write_text(META)
    files = {**files, "widgets-0.1.dist-info/METADATA": META, "widgets-0.1.dist-info/WHEEL": WHEEL}
    files["widgets-0.1.dist-info/RECORD"] = "".join(f"{name},,\\n" for name in files)
    name = "widgets-0.1-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(directory, name), "w") as wheel:
        for path, text in files.items():
            wheel.writestr(path, text)
    return name


def get_requires_for_build_wheel(config_settings=None):
    return []


get_requires_for_build_editable = get_requires_for_build_wheel


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _wheel(wheel_directory, {"calc.py": pathlib.Path("calc.py").read_text()})


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _wheel(wheel_directory, {"widgets.pth": os.getcwd() + "\\n"})
"""


async def _resolve(host: str, port: int) -> list[str]:
    return NAMES.get(host, [])


@pytest.fixture
async def registry(world: World) -> AsyncIterator[StandInRegistry]:
    """The stand-in registry, and the world's Services using the test's egress policy."""
    async with stand_in_registry() as running:
        _use_egress(world, running.port)
        yield running


def _use_egress(world: World, port: int, profile: Profile | None = None) -> None:
    policy = EgressPolicy(
        allowed=("registry.test", "metadata.test", "private.test"),
        ports=frozenset({80, 443, port}),
        exempt=frozenset({"127.0.0.1"}),
    )
    world.worker.services = Services(
        world.settings,
        world.queue,
        github=world.worker.services.github,
        sandbox=sandbox_for(profile) if profile else None,
        egress=SetupEgress(policy, _resolve),
    )


def _configure(world: World, files: dict[str, str], setup: str, test: str) -> None:
    commit_to_remote(world.bare, files, "the project")
    config = {"setup": [setup], "test": test}
    world.repo.set_file(".github/honk.yml", json.dumps(config))


async def _run_issue(world: World, agent_command: str) -> Job:
    issue = world.repo.add_issue("Use tinydep", "Please.")
    world.model.reply([bash(agent_command)], "tool_use")
    world.model.reply([text_block("Use tinydep\n\nDone.")])
    world.model.reply([text_block("Use tinydep\n\nDone.")])  # the review on submit
    await world.deliver("issues", labeled(world, issue))
    (job,) = await world.run_jobs()
    return job


def _committed(world: World) -> list[str]:
    return world.git("ls-tree", "-r", "--name-only", "honk/issue-1").splitlines()


def _agent_output(world: World) -> str:
    return json.dumps(world.model.requests[1]["messages"])


async def test_pip_install_editable_with_extras_works_for_setup_agent_and_tests(
    world: World, registry: StandInRegistry
) -> None:
    files = {"pyproject.toml": PYPROJECT, "_build/tinybuild.py": BACKEND}
    setup = f"pip install --index-url {registry.url}/simple/ --trusted-host {HOST} -e .[dev]"
    test = "python -c 'import tinydep, calc; print(\"tests see\", tinydep.VALUE)'"
    _configure(world, files, setup, test)

    online = (
        f"curl -sS -m 5 -x http://127.0.0.1:3128 {registry.url}/simple/tinydep/ && echo ON-$((6*7))"
    )
    job = await _run_issue(
        world,
        "python -c 'import tinydep; print(\"agent sees\", tinydep.VALUE)' && echo ok > FIXED.txt; "
        + online,  # the agent has no network: no proxy either
    )

    assert job.state == "succeeded", job.error
    assert f"/files/{'tinydep-1.0-py3-none-any.whl'}" in registry.requests
    assert f"agent sees {VALUE}" in _agent_output(world)
    assert "ON-42" not in _agent_output(world)
    assert registry.requests.count("/simple/tinydep/") == 1  # setup's, not the agent's
    (create,) = world.fake.requests_to("POST", "/repos/octo/widgets/pulls")
    assert f"tests see {VALUE}" in create.json["body"]
    committed = _committed(world)
    assert "FIXED.txt" in committed
    assert not [path for path in committed if "egg-info" in path or "venv" in path]
    assert not list((world.settings.data_dir / "tools").glob("*"))  # removed after the job


async def test_npm_install_works_for_setup_agent_and_tests(
    world: World, registry: StandInRegistry
) -> None:
    needs_tool("npm")
    package = {"name": "widgets", "version": "1.0.0", "dependencies": {"tinydep": "1.0.0"}}
    setup = f"npm install --no-audit --no-fund --registry {registry.url}/"
    test = "node -e \"console.log('tests see', require('tinydep').VALUE)\""
    _configure(world, {"package.json": json.dumps(package)}, setup, test)

    job = await _run_issue(
        world,
        "node -e \"console.log('agent sees', require('tinydep').VALUE)\" && echo ok > FIXED.txt",
    )

    assert job.state == "succeeded", job.error
    assert f"agent sees {VALUE}" in _agent_output(world)
    (create,) = world.fake.requests_to("POST", "/repos/octo/widgets/pulls")
    assert f"tests see {VALUE}" in create.json["body"]
    committed = _committed(world)
    assert "FIXED.txt" in committed
    assert not [p for p in committed if p.startswith("node_modules") or p == "package-lock.json"]


@pytest.mark.parametrize("profile", BWRAP_PROFILES)
async def test_setup_reaches_no_host_metadata_private_or_unlisted_destination(
    world: World, profile: Profile
) -> None:
    asked: list[bytes] = []

    async def host_service(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        asked.append(await reader.read(100))
        writer.close()

    service = await asyncio.start_server(host_service, "127.0.0.1", 0)
    port = int(service.sockets[0].getsockname()[1])
    _use_egress(world, port, profile)
    tries = [
        f"http://127.0.0.1:{port}/",  # the host's loopback (PostgreSQL's place in compose)
        f"http://localhost:{port}/",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata, by address
        "http://metadata.test/latest/meta-data/",  # ... and by a name that resolves to it
        "https://private.test/",  # a private address
        "https://evil.example/",  # a name not on the list
    ]
    setup = "; ".join(f"curl -sS -m 10 {url} -o /dev/null" for url in tries)
    setup += f"; (exec 3<>/dev/tcp/127.0.0.1/{port}) 2>/dev/null && echo DIRECT-$((6*7)); exit 1"
    world.repo.set_file(".github/honk.yml", json.dumps({"setup": [setup]}))

    async with service:
        job = await _run_issue(world, "true")

    assert job.state == "failed"
    error = job.error or ""
    assert "setup command" in error and "DIRECT-42" not in error
    assert asked == []  # nothing reached the host's service
    for reason in (
        "127.0.0.1 is an address",
        "localhost is not an allowed registry",
        "169.254.169.254 is an address",
        "metadata.test resolves to 169.254.169.254, a non-public address",
        "private.test resolves to 10.0.0.7, a non-public address",
        "evil.example is not an allowed registry",
    ):
        assert reason in error


async def test_setup_without_socat_fails_saying_so(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.flows.setup_run.SANDBOX_PATH", str(tmp_path / "no-programs"))
    world.repo.set_file(".github/honk.yml", json.dumps({"setup": ["true"]}))

    job = await _run_issue(world, "true")

    assert job.state == "failed"
    assert "need `socat` (Debian package socat)" in (job.error or "")
