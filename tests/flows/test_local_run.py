"""`honk run`: the real agent loop, sandbox, editor and git fix a seeded bug (scripted model)."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest
import respx

from app.agent.transcript import read_transcript
from app.core.config import Secret, Settings
from app.flows.agent_run import commit_message
from app.flows.local_run import LocalRun, run_local
from tests.fakes.anthropic_api import (
    BASE_URL,
    ScriptedMessagesAPI,
    bash,
    text_block,
    tool_use_block,
)

API_KEY = "sk-ant-test-local-run-key"
TEST_COMMAND = "python3 -c 'import test_calc; test_calc.test_add(); print(\"tests pass\")'"

pytestmark = pytest.mark.usefixtures("needs_sandbox")


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return result.stdout.strip()


def sample_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "calc"
    repo.mkdir()
    (repo / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    (repo / "test_calc.py").write_text(
        "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5, add(2, 3)\n"
    )
    (repo / "AGENTS.md").write_text("Run the tests with the test_calc module.\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "add", "-A")
    git(repo, "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "-qm", "calc")
    return repo


def settings_for(tmp_path: Path) -> Settings:
    return Settings(
        anthropic_api_key=Secret(API_KEY),
        anthropic_base_url=BASE_URL,
        data_dir=tmp_path / "honk-data",
        model_max_retries=0,
    )


SUMMARY = "Fix add() to add\n\nadd() subtracted. Tested: test_add passes."
FIX = {"command": "str_replace", "path": "calc.py", "old_str": "a - b", "new_str": "a + b"}


def script_fix(api: ScriptedMessagesAPI) -> None:
    api.reply([text_block("Reproducing first."), bash(TEST_COMMAND)], "tool_use")
    api.reply([tool_use_block("str_replace_based_edit_tool", FIX)], "tool_use")
    api.reply([bash(TEST_COMMAND)], "tool_use")
    api.reply([text_block(SUMMARY)])
    api.reply([text_block(SUMMARY)])  # the review of its own diff: nothing to change


def tool_results(request: dict[str, object]) -> list[str]:
    messages = request["messages"]
    assert isinstance(messages, list)
    last = messages[-1]["content"]
    return [
        block["content"] if isinstance(block["content"], str) else str(block["content"])
        for block in last
        if block.get("type") == "tool_result"
    ]


async def test_honk_run_fixes_a_seeded_bug(tmp_path: Path, httpx2_mock: respx.Router) -> None:
    repo = sample_repo(tmp_path)
    api = ScriptedMessagesAPI(httpx2_mock)
    script_fix(api)
    out = io.StringIO()

    code = await run_local(settings_for(tmp_path), LocalRun(repo, "add() is wrong; fix it"), out)

    assert code == 0, out.getvalue()
    branch = next(
        b
        for b in git(repo, "branch", "--format=%(refname:short)").split()
        if b.startswith("honk/local-")
    )
    assert git(repo, "show", f"{branch}:calc.py") == "def add(a, b):\n    return a + b"
    assert git(repo, "log", "-1", "--format=%an <%ae>|%s", branch) == (
        "Honk <honk@users.noreply.github.com>|Fix add() to add"
    )
    assert (repo / "calc.py").read_text().endswith("a - b\n")  # the user's checkout untouched
    assert "__pycache__" not in git(repo, "ls-tree", "-r", "--name-only", branch)
    assert "AssertionError: -1" in tool_results(api.requests[1])[0]  # really ran, in the sandbox
    assert "tests pass" in tool_results(api.requests[3])[0]
    assert "Run the tests with the test_calc module." in str(api.requests[0]["system"])
    printed = out.getvalue()
    assert branch in printed and "calc.py" in printed and "$" in printed
    transcript = Path(printed.split("transcript ")[1].split()[0])
    kinds = [record["type"] for record in read_transcript(transcript)]
    assert kinds[0] == "task" and kinds[-1] == "end"
    assert API_KEY not in transcript.read_text()
    assert git(repo, "worktree", "list").count("\n") == 0  # the job's worktree is gone


async def test_unfinished_run_is_committed_as_wip_and_exits_1(
    tmp_path: Path, httpx2_mock: respx.Router
) -> None:
    repo = sample_repo(tmp_path)
    api = ScriptedMessagesAPI(httpx2_mock)
    edit = {"command": "create", "path": "notes.txt", "file_text": "half done\n"}
    api.reply([tool_use_block("str_replace_based_edit_tool", edit)], "tool_use")
    api.reply([bash("true")], "tool_use")
    settings = Settings(**{**settings_for(tmp_path).__dict__, "max_turns": 2})

    code = await run_local(settings, LocalRun(repo, "do something long"), io.StringIO())

    assert code == 1
    branch = git(repo, "branch", "--list", "honk/local-*", "--format=%(refname:short)")
    assert git(repo, "show", f"{branch}:notes.txt") == "half done"
    assert git(repo, "log", "-1", "--format=%s", branch) == "WIP (honk: turn budget used)"


def commit_config(repo: Path, text: str) -> None:
    """Commit `.github/honk.yml` with `text` to the user's checkout."""
    (repo / ".github").mkdir()
    (repo / ".github" / "honk.yml").write_text(text)
    git(repo, "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "add", "-A")
    git(repo, "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "-qm", "cfg")


async def test_honk_run_reads_the_test_command_and_hands_a_failure_back(
    tmp_path: Path, httpx2_mock: respx.Router
) -> None:
    """`.github/honk.yml` of the checkout names the test command: the agent is told it, Honk
    runs it in the sandbox after the agent, hands the failure back, and prints the verdict."""
    repo = sample_repo(tmp_path)
    commit_config(repo, f"test: {json.dumps(TEST_COMMAND)}\ntest_fix_rounds: 1\nmax_turns: 9\n")
    api = ScriptedMessagesAPI(httpx2_mock)
    api.reply([text_block("Nothing to change, I think.")])  # the tests say otherwise
    api.reply([tool_use_block("str_replace_based_edit_tool", FIX)], "tool_use")
    api.reply([text_block(SUMMARY)])
    out = io.StringIO()

    code = await run_local(settings_for(tmp_path), LocalRun(repo, "fix add()"), out)

    assert code == 0, out.getvalue()
    system = "".join(block["text"] for block in api.requests[0]["system"])
    assert f"`{TEST_COMMAND}`" in system and "9 model turns" in system
    handed_back = str(api.requests[1]["messages"][-1]["content"])
    assert "AssertionError: -1" in handed_back and "attempt 1 of 1" in handed_back
    assert len(api.requests) == 3  # no review: there was no diff when the agent first ended
    assert "tests      passed (`python3 -c" in out.getvalue()
    assert "after 1 fix rounds" in out.getvalue()


async def test_honk_run_says_when_the_tests_still_fail(
    tmp_path: Path, httpx2_mock: respx.Router
) -> None:
    repo = sample_repo(tmp_path)
    commit_config(repo, f"test: {json.dumps(TEST_COMMAND)}\ntest_fix_rounds: 0\n")
    api = ScriptedMessagesAPI(httpx2_mock)
    note = {"command": "create", "path": "NOTES.md", "file_text": "add() is odd\n"}
    api.reply([tool_use_block("str_replace_based_edit_tool", note)], "tool_use")
    api.reply([text_block("Note it")])
    api.reply([text_block("Note it")])
    out = io.StringIO()

    code = await run_local(settings_for(tmp_path), LocalRun(repo, "look at add()"), out)

    assert code == 1  # committed, but the tests fail
    assert "tests      failed (`python3 -c" in out.getvalue()
    assert len(api.requests) == 3  # no fix round: test_fix_rounds is 0


def test_commit_message_uses_the_summary_title() -> None:
    from app.agent.loop import AgentResult
    from app.agent.model import Usage

    result = AgentResult(
        "submitted", "# Fix it\n\nDetails.", 3, Usage(1, 1, 0, 0), 0.1, Path("t.jsonl"), ""
    )
    assert commit_message(result) == "Fix it\n\nDetails.\n"


async def test_the_agent_cannot_touch_the_git_data_host_git_reads(
    tmp_path: Path, httpx2_mock: respx.Router
) -> None:
    """Honk runs git on the worktree outside the sandbox: a commondir or config the agent
    could rewrite would run the agent's commands there, with Honk's rights."""
    repo = sample_repo(tmp_path)
    api = ScriptedMessagesAPI(httpx2_mock)
    attacks = [
        'echo /tmp/evil > "$(git rev-parse --git-dir)/commondir" && echo WROTE-commondir',
        'echo "[core]" >> "$(git rev-parse --git-common-dir)/config" && echo WROTE-config',
        "git commit -qam x --no-verify && echo WROTE-commit",
        "git log --oneline -1 && git diff --stat",  # reading history still works
    ]
    for command in attacks:
        api.reply([bash(command)], "tool_use")
    api.reply([tool_use_block("str_replace_based_edit_tool", FIX)], "tool_use")
    api.reply([text_block("Fix add()")])
    api.reply([text_block("Fix add()")])  # the review on submit

    code = await run_local(settings_for(tmp_path), LocalRun(repo, "fix add()"), io.StringIO())

    outputs = [tool_results(api.requests[i + 1])[0] for i in range(len(attacks))]
    assert all("WROTE" not in output for output in outputs), outputs
    assert "Read-only file system" in outputs[0] and "Read-only file system" in outputs[1]
    assert "calc" in outputs[3]  # the initial commit's subject
    assert code == 0  # Honk's own commit on the host still works
    assert "[core]\n[core]" not in (repo / ".git" / "config").read_text()
