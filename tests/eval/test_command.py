"""`honk eval` on the command line: no API key, bad input as one clear line, a run, compare."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.cli import main
from app.eval.report import write_report
from tests.eval.reports import records, report
from tests.eval.test_swebench import instance, suite_file, user_clone

KEY = "sk-ant-test-eval"


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A clean environment (no key, no .env) with the data directory under tmp_path."""
    for name in ("ANTHROPIC_API_KEY", "HONK_MODEL", "HONK_MAX_USD", "HONK_SANDBOX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HONK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)


def honk_eval(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["eval", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("model", [[], ["--model", "claude-sonnet-4-6"]])
def test_without_an_api_key_it_says_so_and_names_the_oracle(
    capsys: pytest.CaptureFixture[str], model: list[str]
) -> None:
    code, out, err = honk_eval(capsys, "--builtin", *model)
    assert code == 2 and out == ""
    assert err.startswith("honk: error: ANTHROPIC_API_KEY is not set")
    assert "`--model oracle`" in err and err.count("\n") == 1


def bad_suite(tmp_path: Path) -> Path:
    path = tmp_path / "bad.jsonl"
    path.write_text("\n{oops\n")
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--builtin", "SUITE"], "give SUITE.jsonl or --builtin, not both"),
        ([], r"give a suite: SUITE\.jsonl \(SWE-bench format\) or --builtin"),
        (["MISSING", "--repos", "REPOS"], "cannot read the suite .*missing.jsonl: No such file"),
        (["BAD", "--repos", "REPOS"], r"bad.jsonl:2: not valid JSON"),
        (["SUITE", "--repos", "REPOS"], r"acme__calc-1: no clone of acme/calc at .*acme/calc"),
        (["SUITE"], "a SWE-bench suite needs --repos DIR"),
        (["--builtin", "--repos", "REPOS"], "--repos is for a SWE-bench suite"),
        (["--builtin", "--runs", "0"], "--runs and --parallel must be at least 1"),
        (["--builtin", "--max-usd", "0"], "--max-usd must be greater than 0"),
        (["--compare", "A", "B"], "cannot read the report .*a.json: No such file"),
        (["--builtin", "--compare", "A", "B"], "--compare A.json B.json takes no suite"),
        (["NOPATCH", "--repos", "REPOS"], "--model oracle applies each task's `patch`"),
    ],
)
def test_bad_input_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], message: str
) -> None:
    repos = tmp_path / "repos"
    repos.mkdir()
    nopatch = {**instance(tmp_path, "c" * 40), "patch": ""}
    places = {
        "SUITE": str(suite_file(tmp_path, instance(tmp_path, "c" * 40))),
        "NOPATCH": str(suite_file(tmp_path, nopatch, name="nopatch")),
        "MISSING": str(tmp_path / "missing.jsonl"),
        "BAD": str(bad_suite(tmp_path)),
        "REPOS": str(repos),
        "A": str(tmp_path / "a.json"),
        "B": str(tmp_path / "b.json"),
    }
    oracle = [] if "--compare" in args else ["--model", "oracle"]
    code, out, err = honk_eval(capsys, *(places.get(arg, arg) for arg in args), *oracle)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("honk: error: ")
    assert re.search(message, err), err


@pytest.mark.usefixtures("needs_sandbox")
def test_an_oracle_run_prints_progress_and_the_table(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, base = user_clone(tmp_path / "repos")
    suite = suite_file(tmp_path, instance(tmp_path, base))
    args = [str(suite), "--repos", str(tmp_path / "repos"), "--model", "oracle", "--runs", "2"]
    code, out, err = honk_eval(capsys, *args, "--max-usd", "0.5", "--out", str(tmp_path / "o"))
    assert code == 0
    assert out.splitlines()[2].startswith("| acme__calc-1 | 2/2 | 3.0 |")
    lines = err.splitlines()
    assert lines[0].startswith("1 tasks × 2 runs × $0.50 = $1.00 at most (oracle, 1 at once)")
    assert lines[1].startswith("acme__calc-1 #") and " solved " in lines[1]
    assert lines[2:5:2] == ["1/2", "2/2"]
    assert lines[-1] == f"report: {tmp_path / 'o' / 'report.json'}"
    written = json.loads((tmp_path / "o" / "report.json").read_text())
    assert [r["run"] for r in written["records"]] == [1, 2]


def test_compare_prints_both_reports(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    a = write_report(report(records("t1", [False], [0.1])), tmp_path / "a")
    b = write_report(report(records("t1", [True], [0.2])), tmp_path / "b")
    code, out, err = honk_eval(capsys, "--compare", str(a), str(b))
    assert code == 0 and err == ""
    assert "| t1 | 0/1 → 1/1 | $0.1000 → $0.2000 | 4.0 → 4.0 | 1.0 → 2.0 |" in out


def test_help_documents_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["eval", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for flag in ("--builtin", "--repos", "--model", "--runs", "--parallel", "--max-usd", "--out",
                 "--compare", "EACH task run", "oracle"):  # fmt: skip
        assert flag in text
