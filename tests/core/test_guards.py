"""Pre-push guards: workflow files, secrets in added lines (redacted, exact lines), size limits."""

from __future__ import annotations

import subprocess
from dataclasses import astuple
from pathlib import Path

import pytest

from app.core.guards import (
    FileChange,
    Violation,
    check_change,
    describe,
    diff_lines,
    diff_paths,
)

# Fake secrets, assembled so this file itself holds no token-shaped text.
GITHUB_CLASSIC = "gh" + "p_" + "a1B2" * 9
GITHUB_SERVER = "gh" + "s_" + "Z" * 40
GITHUB_OAUTH = "gh" + "o_" + "q" * 36
GITHUB_USER = "gh" + "u_" + "7" * 36
GITHUB_REFRESH = "gh" + "r_" + "R" * 76
GITHUB_PAT = "github" + "_pat_" + "11ABCDEFG" * 3 + "_" + "x9" * 29
ANTHROPIC = "sk-" + "ant-" + "api03-" + "Kq3_-z" * 15
AWS_KEY_ID = "AK" + "IA" + "IOSFODNN7QWERTY1"
AWS_SESSION_KEY_ID = "AS" + "IA" + "Y3FAKEFAKEFAKE12"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "FAKEKEY123"
SLACK = "xo" + "xb-" + "123456789012-abcdefABCDEF"
KEY_BODY = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"


def begin(kind: str) -> str:
    return "-----" + "BEGIN " + kind + "-----"


def new_file(path: str, *lines: str) -> str:
    """A `git diff` section that creates `path` with `lines`."""
    body = "".join(f"+{line}\n" for line in lines)
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..1111111\n"
        f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n{body}"
    )


def check(
    diff: str,
    paths: list[str] | None = None,
    *,
    allow_workflow_changes: bool = False,
    max_changed_files: int = 100,
    max_diff_bytes: int = 1_000_000,
) -> list[Violation]:
    return check_change(
        diff_paths(diff) if paths is None else paths,
        diff,
        allow_workflow_changes=allow_workflow_changes,
        max_changed_files=max_changed_files,
        max_diff_bytes=max_diff_bytes,
    )


def assert_redacted(violations: list[Violation], secret: str) -> None:
    for violation in violations:
        assert all(secret not in str(value) for value in astuple(violation))
    assert secret not in describe(violations)


@pytest.mark.parametrize(
    ("rule", "line", "secret", "shown"),
    [
        ("github_token", f"token = '{GITHUB_CLASSIC}'", GITHUB_CLASSIC, "ghp_…(redacted)"),
        ("github_token", f"GH={GITHUB_SERVER}", GITHUB_SERVER, "ghs_…(redacted)"),
        ("github_token", f"x: {GITHUB_OAUTH}", GITHUB_OAUTH, "gho_…(redacted)"),
        ("github_token", f"({GITHUB_USER})", GITHUB_USER, "ghu_…(redacted)"),
        ("github_token", f'"{GITHUB_REFRESH}"', GITHUB_REFRESH, "ghr_…(redacted)"),
        ("github_token", f"pat={GITHUB_PAT}", GITHUB_PAT, "github_pat_…(redacted)"),
        ("anthropic_key", f"ANTHROPIC_API_KEY={ANTHROPIC}", ANTHROPIC, "sk-ant-…(redacted)"),
        ("aws_access_key_id", f"id = {AWS_KEY_ID}", AWS_KEY_ID, "AKIA…(redacted)"),
        ("aws_access_key_id", f"'{AWS_SESSION_KEY_ID}'", AWS_SESSION_KEY_ID, "ASIA…(redacted)"),
        ("aws_secret_access_key", f"aws_secret_access_key = {AWS_SECRET}", AWS_SECRET,
         "aws_secret_access_key…(redacted)"),
        ("aws_secret_access_key", f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}", AWS_SECRET,
         "AWS_SECRET_ACCESS_KEY…(redacted)"),
        ("aws_secret_access_key", f'"SecretAccessKey": "{AWS_SECRET}"', AWS_SECRET,
         "SecretAccessKey…(redacted)"),
        ("slack_token", f"slack: {SLACK}", SLACK, "xoxb-…(redacted)"),
        ("private_key", begin("RSA PRIVATE KEY"), KEY_BODY, "RSA PRIVATE KEY-----…(redacted)"),
        ("private_key", begin("OPENSSH PRIVATE KEY"), KEY_BODY, "OPENSSH PRIVATE KEY"),
        ("private_key", begin("EC PRIVATE KEY"), KEY_BODY, "EC PRIVATE KEY"),
        ("private_key", begin("DSA PRIVATE KEY"), KEY_BODY, "DSA PRIVATE KEY"),
        ("private_key", begin("PRIVATE KEY"), KEY_BODY, "BEGIN PRIVATE KEY"),
        ("private_key", begin("ENCRYPTED PRIVATE KEY"), KEY_BODY, "ENCRYPTED PRIVATE KEY"),
        ("private_key", begin("PGP PRIVATE KEY BLOCK"), KEY_BODY, "PGP PRIVATE KEY BLOCK"),
    ],
)  # fmt: skip
def test_each_secret_kind_in_an_added_line_is_refused_and_redacted(
    rule: str, line: str, secret: str, shown: str
) -> None:
    violations = check(new_file("conf/app.env", "# settings", line, KEY_BODY, "end"))
    assert [(v.rule, v.path, v.line) for v in violations] == [(rule, "conf/app.env", 2)]
    assert shown in violations[0].detail
    assert "line 2" in violations[0].detail
    assert_redacted(violations, secret)


@pytest.mark.parametrize(
    "line",
    [
        "gh" + "p_" + "a" * 35,  # one character short
        "xgh" + "p_" + "a" * 36,  # part of a longer word
        "AK" + "IA" + "ABCDEFGHIJKLMNO",  # 15 characters
        "AK" + "IA" + "ABCDEFGHIJKLMNOPQ",  # 17 characters
        "sk-" + "ant-" + "short",
        "xo" + "xb-" + "123",
        begin("PUBLIC KEY"),
        begin("CERTIFICATE"),
        "aws_secret_access_key = " + "a" * 39,
        "secret = " + AWS_SECRET,  # 40 characters, but not labelled as an AWS secret
        "see docs for the ghp_ prefix and github_pat_ tokens",
    ],
)
def test_lookalikes_are_not_secrets(line: str) -> None:
    assert check(new_file("docs/tokens.md", line)) == []


def test_secrets_in_removed_or_context_lines_are_not_refused() -> None:
    diff = (
        "diff --git a/app.cfg b/app.cfg\nindex 1111111..2222222 100644\n"
        "--- a/app.cfg\n+++ b/app.cfg\n@@ -1,4 +1,4 @@\n"
        f" keep = {GITHUB_CLASSIC}\n-old = {ANTHROPIC}\n+new = from_environment\n"
        f" {begin('RSA PRIVATE KEY')}\n"
        " tail\n"
    )
    assert check(diff) == []


def test_line_numbers_follow_hunks_across_files() -> None:
    diff = (
        "diff --git a/a.py b/a.py\nindex 1111111..2222222 100644\n--- a/a.py\n+++ b/a.py\n"
        f"@@ -3,3 +3,4 @@ def f():\n one\n-two\n+two = 2\n+t = '{GITHUB_CLASSIC}'\n three\n"
        f"@@ -40,2 +41,3 @@\n forty\n+k = '{AWS_KEY_ID}'\n forty-one\n"
        "\\ No newline at end of file\n"
        "diff --git a/b/c.txt b/b/c.txt\nindex 3333333..4444444 100644\n"
        "--- a/b/c.txt\n+++ b/b/c.txt\n"
        f"@@ -10 +10 @@\n-x\n+{SLACK}\n"
        "@@ -20,0 +21,2 @@\n+fine\n+" + ANTHROPIC + "\n"
    )
    found = [(v.rule, v.path, v.line) for v in check(diff)]
    assert found == [
        ("github_token", "a.py", 5),
        ("aws_access_key_id", "a.py", 42),
        ("slack_token", "b/c.txt", 10),
        ("anthropic_key", "b/c.txt", 22),
    ]


def test_added_line_that_looks_like_a_header_is_still_content() -> None:
    # An added line "++ b/x" prints as "+++ b/x": only the hunk counts tell it apart.
    diff = (
        "diff --git a/n.txt b/n.txt\nindex 1111111..2222222 100644\n--- a/n.txt\n+++ b/n.txt\n"
        f"@@ -1 +1,3 @@\n x\n+++ b/elsewhere.txt\n+++ {GITHUB_SERVER}\n"
    )
    assert [(v.rule, v.path, v.line) for v in check(diff)] == [("github_token", "n.txt", 3)]
    kinds = [line.kind for line in diff_lines(diff) if line.text.startswith("++ ")]
    assert kinds == ["added", "added"]


def test_several_secrets_on_one_line_are_each_reported() -> None:
    violations = check(new_file("x.sh", f"export A={AWS_KEY_ID} G={GITHUB_CLASSIC}"))
    assert sorted(v.rule for v in violations) == ["aws_access_key_id", "github_token"]
    assert_redacted(violations, AWS_KEY_ID)
    assert_redacted(violations, GITHUB_CLASSIC)


@pytest.mark.parametrize(
    "path",
    [
        ".github/workflows/ci.yml",
        ".github/workflows/nested/deploy.yaml",
        ".github/actions/setup/action.yml",
        ".GitHub/Workflows/CI.yml",
        ".github/workflows",
    ],
)
def test_workflow_paths_refused_unless_allowed(path: str) -> None:
    diff = new_file(path, "on: push")
    refused = check(diff, [path])
    assert [(v.rule, v.path) for v in refused] == [("workflow_change", path)]
    assert "allow_workflow_changes" in refused[0].detail
    assert check(diff, [path], allow_workflow_changes=True) == []


@pytest.mark.parametrize(
    "path", [".github/dependabot.yml", "docs/.github/workflows/x.yml", ".github/workflows.md"]
)
def test_other_paths_are_not_workflows(path: str) -> None:
    assert check(new_file(path, "x: 1"), [path]) == []


def test_workflow_rename_seen_in_the_diff_even_if_paths_omit_it() -> None:
    diff = (
        "diff --git a/.github/workflows/ci.yml b/old/ci.yml\nsimilarity index 100%\n"
        "rename from .github/workflows/ci.yml\nrename to old/ci.yml\n"
    )
    refused = check(diff, ["old/ci.yml"])
    assert [(v.rule, v.path) for v in refused] == [("workflow_change", ".github/workflows/ci.yml")]


@pytest.mark.parametrize(("files", "limit", "refused"), [(3, 3, False), (4, 3, True)])
def test_too_many_changed_files(files: int, limit: int, refused: bool) -> None:
    diff = "".join(new_file(f"f{index}.txt", "x") for index in range(files))
    violations = check(diff, max_changed_files=limit)
    expected = [
        Violation("too_many_files", "", f"the change touches {files} files; the limit is 3")
    ]
    assert violations == (expected if refused else [])


def test_changed_paths_count_even_when_the_diff_shows_fewer() -> None:
    violations = check(new_file("a.txt", "x"), ["a.txt", "b.bin", "c.bin"], max_changed_files=2)
    assert [v.rule for v in violations] == ["too_many_files"]


@pytest.mark.parametrize("extra", [0, 1])
def test_diff_too_large_counts_utf8_bytes(extra: int) -> None:
    diff = new_file("é.txt", "ü" * 10)
    size = len(diff.encode())
    violations = check(diff, max_diff_bytes=size - extra)
    if extra:
        assert violations == [
            Violation(
                "diff_too_large", "", f"the diff is {size:,} bytes; the limit is {size - 1:,}"
            )
        ]
    else:
        assert violations == []


def test_clean_change_has_no_violations() -> None:
    diff = new_file("src/app.py", "def main() -> None:", "    print('hello')")
    assert check(diff, ["src/app.py"]) == []
    assert check("", []) == []


def test_quoted_paths_are_unquoted() -> None:
    diff = (
        'diff --git "a/\\303\\244 x.txt" "b/\\303\\244 x.txt"\nnew file mode 100644\n'
        '--- /dev/null\n+++ "b/\\303\\244 x.txt"\n@@ -0,0 +1 @@\n+' + SLACK + "\n"
    )
    assert [(v.path, v.line) for v in check(diff)] == [("ä x.txt", 1)]
    assert diff_paths(diff) == ["ä x.txt", "ä x.txt", "ä x.txt"]


def test_describe_lists_every_violation_without_secrets() -> None:
    diff = new_file(".github/workflows/ci.yml", f"token: {GITHUB_CLASSIC}")
    violations = check(diff, max_changed_files=0)
    text = describe(violations)
    lines = text.splitlines()
    assert lines[0] == "Honk did not push: the change breaks these rules."
    assert lines[2:] == [
        "- **workflow_change** in `.github/workflows/ci.yml`: changes to workflow files are not "
        "allowed (allow_workflow_changes in .github/honk.yml)",
        "- **github_token** in `.github/workflows/ci.yml`: GitHub token added at line 1: "
        "ghp_…(redacted)",
        "- **too_many_files**: the change touches 1 file; the limit is 0",
    ]
    assert GITHUB_CLASSIC not in text
    assert describe([]) == "Honk found nothing that blocks the push."


def git(repo: Path, *args: str) -> str:
    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.invalid"]
    done = subprocess.run(
        ["git", *identity, *args], cwd=repo, check=True, capture_output=True, text=True
    )
    return done.stdout


def test_real_git_diff_with_renames_spaces_and_several_hunks(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github/workflows/ci.yml").write_text("on: push\n" * 5)
    (tmp_path / "long.txt").write_text("".join(f"line {n}\n" for n in range(1, 61)))
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "base")
    git(tmp_path, "mv", ".github/workflows/ci.yml", "ci-old.yml")
    lines = [f"line {n}\n" for n in range(1, 61)]
    lines[4] = f"token = {GITHUB_PAT}\n"
    lines.insert(40, f"++ {GITHUB_SERVER}\n")
    (tmp_path / "long.txt").write_text("".join(lines))
    (tmp_path / "dir with space").mkdir()
    (tmp_path / "dir with space/ünï code.env").write_text(f"a\nb\nKEY={ANTHROPIC}\n")
    git(tmp_path, "add", "-A")
    diff = git(tmp_path, "diff", "--cached", "--no-color", "-M")
    paths = git(tmp_path, "diff", "--cached", "--name-only", "--no-renames", "-z").split("\0")

    violations = check(diff, [p for p in paths if p])

    found = [(v.rule, v.path, v.line) for v in violations]
    assert found == [
        ("workflow_change", ".github/workflows/ci.yml", None),
        ("anthropic_key", "dir with space/ünï code.env", 3),
        ("github_token", "long.txt", 5),
        ("github_token", "long.txt", 41),
    ]
    for secret in (GITHUB_PAT, GITHUB_SERVER, ANTHROPIC):
        assert_redacted(violations, secret)


@pytest.mark.parametrize("path", ["action.yml", "tools/deploy/action.yaml", "x/Action.YML"])
def test_an_action_file_anywhere_is_workflow_code(path: str) -> None:
    refused = check(new_file(path, "runs:"), [path])
    assert [(v.rule, v.path) for v in refused] == [("workflow_change", path)]


@pytest.mark.parametrize("path", ["action.yml.bak", "docs/my-action.yml", "actions.yaml"])
def test_names_near_action_files_are_not_workflows(path: str) -> None:
    assert check(new_file(path, "x: 1"), [path]) == []


BINARY_DIFF = (
    "diff --git a/big.bin b/big.bin\nnew file mode 100644\nindex 0000000..1111111\n"
    "Binary files /dev/null and b/big.bin differ\n"
)


def test_binary_files_count_by_their_bytes_not_the_diff_line() -> None:
    files = [FileChange("big.bin", True, 50 * 1024 * 1024, "1" * 40)]
    found = check_change(
        ["big.bin"], BINARY_DIFF, allow_workflow_changes=False, max_changed_files=10,
        max_diff_bytes=1_000_000, files=files,
    )  # fmt: skip
    assert [v.rule for v in found] == ["binary_too_large", "diff_too_large"]
    assert "52,428," in found[1].detail


def test_a_secret_anywhere_in_a_binary_is_refused_and_redacted() -> None:
    content = "\0\x01PK\x03" + GITHUB_SERVER + "\0" + begin("OPENSSH PRIVATE KEY")
    found = check_change(
        ["blob.bin"], BINARY_DIFF.replace("big", "blob"), allow_workflow_changes=False,
        max_changed_files=10, max_diff_bytes=1_000_000,
        files=[FileChange("blob.bin", True, len(content), "1" * 40)],
        binaries={"blob.bin": content},
    )  # fmt: skip
    assert sorted((v.rule, v.path) for v in found) == [
        ("github_token", "blob.bin"),
        ("private_key", "blob.bin"),
    ]
    assert_redacted(found, GITHUB_SERVER)


def test_a_bounded_read_counts_the_whole_diff() -> None:
    head = new_file("a.txt", "x")
    found = check_change(
        ["a.txt"], head, allow_workflow_changes=False, max_changed_files=10,
        max_diff_bytes=100, diff_bytes=5000,
    )  # fmt: skip
    assert [(v.rule, v.detail) for v in found] == [
        ("diff_too_large", "the diff is 5,000 bytes; the limit is 100")
    ]
