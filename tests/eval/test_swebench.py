"""SWE-bench's format: parsing the JSONL, and a tiny local repository run end to end."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from app.core.config import Settings
from app.core.errors import ConfigError
from app.eval.repos import check_local_repos
from app.eval.suite_run import eval_workspace
from app.eval.swebench import default_command, load_swebench, parse_instance
from app.eval.task import LocalRepo
from tests.eval.conftest import END_TURN, run_eval, scripted
from tests.fakes.scripted_model import ScriptedModel, bash, calls, end

CALC = "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n"
FIXED = "from helpers import twice\n\n\n" + CALC.replace("a - b", "a + b")
TEST_MUL = (
    "import unittest\n\nfrom calc import mul\n\n\nclass MulTest(unittest.TestCase):\n"
    "    def test_mul(self):\n        self.assertEqual(mul(2, 3), 6)\n"
)
TEST_ADD = (
    "import os\nimport unittest\n\nfrom calc import add\nfrom helpers import twice\n\n\n"
    "class AddTest(unittest.TestCase):\n    def test_add(self):\n"
    "        self.assertEqual(add(2, 3), 5)\n        self.assertEqual(twice(4), 8)\n"
    "        self.assertFalse(os.path.exists('old.py'))\n"
)
BASE_FILES = {"calc.py": CALC, "old.py": "LEGACY = True\n", "tests/test_calc.py": TEST_MUL}


def git(repo: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Dev", "-c", "user.email=dev@example.com", *args],
        cwd=repo, input=stdin, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout


def write(root: Path, files: dict[str, str | None]) -> None:
    for name, text in files.items():
        path = root / name
        if text is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def diff_of(parent: Path, before: dict[str, str], changes: dict[str, str | None]) -> str:
    """The unified diff (git's) of `changes` made to the files `before` (made under `parent`)."""
    parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=parent))
    git(scratch, "init", "-q")
    write(scratch, dict(before))
    git(scratch, "add", "-A")
    git(scratch, "commit", "-qm", "base")
    write(scratch, changes)
    git(scratch, "add", "-A")
    return git(scratch, "diff", "--cached")


def user_clone(repos: Path) -> tuple[Path, str]:
    """`repos/acme/calc`: the base commit, then a later commit the tasks must not see."""
    repo = repos / "acme" / "calc"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    write(repo, dict(BASE_FILES))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    base = git(repo, "rev-parse", "HEAD").strip()
    write(repo, {"calc.py": CALC.replace("a - b", "a - b  # later")})
    git(repo, "commit", "-qam", "later")
    return repo, base


FIX = {"calc.py": FIXED, "helpers.py": "def twice(x):\n    return 2 * x\n", "old.py": None}
HIDDEN = {"tests/test_add.py": TEST_ADD, "tests/test_calc.py": TEST_MUL + "# hidden\n"}


def instance(tmp_path: Path, base: str, **extra: Any) -> dict[str, Any]:
    return {
        "instance_id": "acme__calc-1",
        "repo": "acme/calc",
        "base_commit": base,
        "problem_statement": "add() subtracts\n\n`add(2, 3)` gives -1. Also add helpers.twice.",
        "patch": diff_of(tmp_path / "fix", BASE_FILES, dict(FIX)),
        "test_patch": diff_of(tmp_path / "tests", BASE_FILES, dict(HIDDEN)),
        "FAIL_TO_PASS": json.dumps(["tests/test_add.py::AddTest::test_add"]),
        "PASS_TO_PASS": json.dumps(["tests/test_calc.py::MulTest::test_mul"]),
        "test_cmd": "python3 -m unittest -v tests.test_add tests.test_calc",
        **extra,
    }


def suite_file(tmp_path: Path, *instances: dict[str, Any], name: str = "suite") -> Path:
    path = tmp_path / f"{name}.jsonl"
    path.write_text("".join(json.dumps(item) + "\n" for item in instances))
    return path


@pytest.mark.usefixtures("needs_sandbox")
@pytest.mark.parametrize(("oracle", "solved"), [(True, True), (False, False)])
async def test_a_local_swebench_instance(
    settings: Settings, tmp_path: Path, oracle: bool, solved: bool
) -> None:
    repos = tmp_path / "repos"
    clone, base = user_clone(repos)
    refs = git(clone, "for-each-ref")
    suite = load_swebench(suite_file(tmp_path, instance(tmp_path, base)))
    if oracle:
        report, _ = await run_eval(settings, suite, tmp_path / "out", repos=repos)
    else:
        report, _ = await run_eval(settings, suite, tmp_path / "out", END_TURN, repos=repos)
    (record,) = report.records
    assert record.resolved is solved, record.reason
    assert record.verdict == "no test command"  # the clone has no .github/honk.yml
    if not solved:
        assert record.reason == "hidden tests failed (1 failing)"
    # the user's clone: same refs, no worktree of ours, nothing changed
    assert git(clone, "for-each-ref") == refs
    assert git(clone, "worktree", "list", "--porcelain").count("worktree ") == 1
    assert git(clone, "status", "--porcelain") == ""


@pytest.mark.usefixtures("needs_sandbox")
async def test_hidden_test_files_are_reset_to_the_base_before_the_test_patch(
    settings: Settings, tmp_path: Path
) -> None:
    repos = tmp_path / "repos"
    _, base = user_clone(repos)
    suite = load_swebench(suite_file(tmp_path, instance(tmp_path, base)))
    history = calls(bash("git log --format=%s"))
    vandal = calls(
        bash("printf 'raise SystemExit(0)\\n' > tests/test_calc.py; touch tests/test_add.py")
    )
    models: list[ScriptedModel] = []

    def make(task: object) -> ScriptedModel:
        models.append(ScriptedModel([history, vandal, end("Done")]))
        return models[-1]

    report, _ = await run_eval(settings, suite, tmp_path / "out", scripted(make), repos=repos)
    (record,) = report.records
    assert not record.resolved
    (log,) = models[0].sent[1][-1]["content"]  # git in the sandbox reads the shared clone
    assert log["content"] == "base\n"  # at the base commit, not the clone's later one
    hidden = (tmp_path / "out" / "transcripts" / "acme__calc-1-run1.hidden.txt").read_text()
    assert "test_mul" in hidden and "test_add" in hidden  # both files as the test patch has them


async def test_a_missing_clone_or_commit_is_a_clear_error(
    tmp_path: Path, settings: Settings
) -> None:
    repos = tmp_path / "repos"
    _, base = user_clone(repos)
    workspace = eval_workspace(settings)
    missing = parse_instance(instance(tmp_path, base, repo="acme/nothing"))
    with pytest.raises(
        ConfigError, match=r"acme__calc-1: no clone of acme/nothing at .*repos/acme/nothing"
    ):
        await check_local_repos(workspace, [missing], repos)
    unknown = parse_instance({**instance(tmp_path, base), "base_commit": "ab" * 20})
    with pytest.raises(ConfigError, match=r"base_commit (ab)+ is not in the git repository"):
        await check_local_repos(workspace, [unknown], repos)


def test_test_lists_as_json_strings_or_lists_and_the_default_command(tmp_path: Path) -> None:
    base = "a" * 40
    plain = {k: v for k, v in instance(tmp_path, base).items() if k != "test_cmd"}
    as_lists = {**plain, "FAIL_TO_PASS": ["t.py::a b"], "PASS_TO_PASS": []}
    task = parse_instance(as_lists)
    assert task.hidden.command == "python3 -m pytest -q -rA 't.py::a b'"
    from_strings = parse_instance(plain)
    assert from_strings.hidden.command == default_command(
        ["tests/test_add.py::AddTest::test_add", "tests/test_calc.py::MulTest::test_mul"]
    )
    assert from_strings.repo == LocalRepo("acme/calc", base)
    assert from_strings.title == "add() subtracts" and "twice" in from_strings.body
    with_command = parse_instance(instance(tmp_path, base))
    assert with_command.hidden.command.startswith("python3 -m unittest")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", r"suite.jsonl:2: not valid JSON"),
        ("[1, 2]", r"suite.jsonl:2: each line must be a JSON object"),
        ('{"instance_id": "x"}', r"suite.jsonl:2: `repo` is missing or not text"),
        (None, r"suite.jsonl:2: `repo` must look like owner/name"),
        ("BAD_LIST", r"suite.jsonl:2: `FAIL_TO_PASS` is a string but not a JSON list"),
        ("DUPLICATE", r"suite.jsonl:2: instance_id 'acme__calc-1' is repeated"),
    ],
)
def test_a_bad_line_is_named_with_its_number(
    tmp_path: Path, line: str | None, message: str
) -> None:
    good = instance(tmp_path, "b" * 40)
    second = {
        None: json.dumps({**good, "instance_id": "y", "repo": "../x"}),
        "BAD_LIST": json.dumps({**good, "instance_id": "y", "FAIL_TO_PASS": "[oops"}),
        "DUPLICATE": json.dumps(good),
    }.get(line, line)
    path = tmp_path / "suite.jsonl"
    path.write_text(json.dumps(good) + "\n" + str(second) + "\n")
    with pytest.raises(ConfigError, match=message):
        load_swebench(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, r"cannot read the suite .*: No such file"), ("\n\n", "holds no task"),
     (b"\xff\xfe", "not UTF-8 text")],
)  # fmt: skip
def test_an_unusable_suite_file(tmp_path: Path, content: str | bytes | None, message: str) -> None:
    path = tmp_path / "suite.jsonl"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_swebench(path)
