"""`.github/honk.yml`: defaults from Settings, strict types and ranges, errors naming the field."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

import pytest

from app.core import repo_config
from app.core.config import Settings
from app.core.errors import ConfigError, RepoConfigError
from app.core.repo_config import (
    CONFIG_PATH,
    MAX_CONFIG_BYTES,
    RepoConfig,
    parse_repo_config,
    settings_table,
)

SETTINGS = Settings(label="fixme", branch_prefix="bot/", max_turns=40, max_usd=3.0, max_minutes=20)

FULL = """\
model: claude-opus-4-5
budgets:
  max_turns: 80
  max_usd: 12.5
  max_minutes: 45
setup:
  - pip install -e .[dev]
  - npm ci
test: pytest -q
test_timeout: 1200
draft: false
allow_workflow_changes: true
ci_fix_attempts: 0
max_changed_files: 30
max_diff_bytes: 200000
"""


def parse(text: str | None) -> RepoConfig:
    return parse_repo_config(text, SETTINGS)


def refusal(text: str) -> RepoConfigError:
    with pytest.raises(RepoConfigError) as caught:
        parse(text)
    return caught.value


def test_full_file_sets_every_key() -> None:
    assert parse(FULL) == RepoConfig(
        model="claude-opus-4-5",
        max_turns=80,
        max_usd=12.5,
        max_minutes=45.0,
        setup=("pip install -e .[dev]", "npm ci"),
        test="pytest -q",
        test_timeout=1200.0,
        draft=False,
        allow_workflow_changes=True,
        ci_fix_attempts=0,
        max_changed_files=30,
        max_diff_bytes=200_000,
    )


@pytest.mark.parametrize("text", [None, "", "  \n", "# only a comment\n", "---\n", "~\n"])
def test_missing_or_empty_file_gives_defaults_from_settings(text: str | None) -> None:
    config = parse(text)
    assert config == RepoConfig.from_settings(SETTINGS)
    assert (config.max_turns, config.max_usd, config.max_minutes) == (40, 3.0, 20)
    assert (config.model, config.test, config.setup, config.draft) == (None, None, (), True)
    assert (config.test_timeout, config.ci_fix_attempts) == (900.0, 2)
    assert not config.allow_workflow_changes


def test_keys_not_given_keep_their_defaults() -> None:
    expected = replace(RepoConfig.from_settings(SETTINGS), test="make check")
    assert parse("test: make check\n") == expected


@pytest.mark.parametrize(
    ("text", "attribute", "expected"),
    [
        ("max-usd: 2\n", "max_usd", 2.0),
        ("budgets:\n  max-turns: 7\n", "max_turns", 7),
        ("allow-workflow-changes: true\n", "allow_workflow_changes", True),
        ("ci-fix-attempts: 4\n", "ci_fix_attempts", 4),
        ("max_minutes: 15\n", "max_minutes", 15.0),
        ("budgets: {max_minutes: 15}\n", "max_minutes", 15.0),
        ("model: null\n", "model", None),
        ("test:\n", "test", None),
        ("test_timeout: 1\n", "test_timeout", 1.0),
        ("max_usd: 100\n", "max_usd", 100.0),
        ("max_usd: 0.01\n", "max_usd", 0.01),
        ("max_turns: 500\n", "max_turns", 500),
        ("setup: []\n", "setup", ()),
        ("model: vendor/claude-3.5_x\n", "model", "vendor/claude-3.5_x"),
    ],
)
def test_spellings_layouts_and_bounds_accepted(text: str, attribute: str, expected: object) -> None:
    assert getattr(parse(text), attribute) == expected


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("max_turns: true\n", "max_turns", "whole number from 1 to 500, not the boolean true"),
        ("max_turns: 5.5\n", "max_turns", "whole number"),
        ("max_turns: '5'\n", "max_turns", "not the text '5'"),
        ("budgets:\n  max_usd: '5'\n", "budgets.max_usd", "must be a number"),
        ("max_usd: yes\n", "max_usd", "not the boolean true"),
        ("max_usd: 0\n", "max_usd", "more than 0 and at most 100, got 0"),
        ("budgets:\n  max-usd: 100.5\n", "budgets.max-usd", "at most 100"),
        ("max_usd: .nan\n", "max_usd", "got nan"),
        ("max_turns: 0\n", "max_turns", "from 1 to 500"),
        ("max_turns: 501\n", "max_turns", "from 1 to 500"),
        ("max_minutes: 241\n", "max_minutes", "from 1 to 240"),
        ("max_minutes: 0.5\n", "max_minutes", "from 1 to 240"),
        ("ci_fix_attempts: 11\n", "ci_fix_attempts", "from 0 to 10"),
        ("ci_fix_attempts: -1\n", "ci_fix_attempts", "from 0 to 10"),
        ("test_timeout: 7201\n", "test_timeout", "from 1 to 7200"),
        ("test_timeout: 0\n", "test_timeout", "from 1 to 7200"),
        ("max_changed_files: 0\n", "max_changed_files", "from 1 to 10000"),
        ("max_diff_bytes: false\n", "max_diff_bytes", "not the boolean false"),
        ("draft: 'true'\n", "draft", "true or false, not the text 'true'"),
        ("draft: 1\n", "draft", "true or false, not the number 1"),
        ("allow_workflow_changes: null\n", "allow_workflow_changes", "has no value"),
        ("model: ''\n", "model", "must not be empty"),
        ("setup:\n", "setup", "has no value; give one, or remove the key"),
        ("model: 42\n", "model", "must be text, not the number 42"),
        ("test: '   '\n", "test", "must not be empty"),
        ("test: [pytest]\n", "test", "must be text, not a list"),
        ("model: claude opus\n", "model", "without spaces"),
        ("setup: make deps\n", "setup", "must be a list of shell commands"),
        ("setup: {a: b}\n", "setup", "not a mapping"),
        ("setup:\n  - make\n  - 3\n", "setup[1]", "not the number 3"),
        ("setup:\n  - ''\n", "setup[0]", "not an empty text"),
        ("budgets: 5\n", "budgets", "must be a mapping"),
        ("budgets:\n  max_usd: 2\nmax_usd: 3\n", "budgets.max_usd", "also set at the top level"),
        ("max_usd: 2\nmax-usd: 3\n", "max-usd", "given twice (as max_usd and max-usd)"),
        ("model: a\nmodel: b\n", "model", "given twice (lines 1 and 2)"),
        ("budgets:\n  max_turns: 3\n  max_turns: 4\n", "budgets.max_turns", "lines 2 and 3"),
        ("on: push\n", "True", "YAML reads it as the boolean true"),
    ],
)
def test_wrong_values_name_the_field_and_the_problem(text: str, field: str, words: str) -> None:
    error = refusal(text)
    assert error.field == field
    assert words in error.problem
    assert str(error) == f"{CONFIG_PATH}: {field}: {error.problem}"


LABEL_REFUSAL = (
    "`label` is not a per-repository setting: the trigger label is the server's HONK_LABEL"
)


@pytest.mark.parametrize(
    ("text", "field"),
    [("label: honk\n", "label"), ("label:\n", "label"), ("draft: true\nlabel: fixme\n", "label"),
     ("budgets:\n  label: honk\n", "budgets.label")],
)  # fmt: skip
def test_label_is_refused_and_says_the_label_is_server_wide(text: str, field: str) -> None:
    error = refusal(text)
    assert (error.field, error.problem) == (field, LABEL_REFUSAL)
    assert str(error) == f"{CONFIG_PATH}: {field}: {LABEL_REFUSAL}"


BRANCH_PREFIX_REFUSAL = (
    "`branch_prefix` is not a per-repository setting: "
    "Honk's branches use the server's HONK_BRANCH_PREFIX"
)


@pytest.mark.parametrize(
    ("text", "field"),
    [("branch_prefix: honk/\n", "branch_prefix"), ("branch_prefix:\n", "branch_prefix"),
     ("draft: true\nbranch_prefix: bots/\n", "branch_prefix"),
     ("branch-prefix: bots/\n", "branch-prefix"),
     ("budgets:\n  branch_prefix: bots/\n", "budgets.branch_prefix")],
)  # fmt: skip
def test_branch_prefix_is_refused_and_says_the_prefix_is_server_wide(text: str, field: str) -> None:
    error = refusal(text)
    assert (error.field, error.problem) == (field, BRANCH_PREFIX_REFUSAL)
    assert str(error) == f"{CONFIG_PATH}: {field}: {BRANCH_PREFIX_REFUSAL}"


@pytest.mark.parametrize("server_wide", ["label", "branch_prefix"])
def test_config_has_no_server_wide_key(server_wide: str) -> None:
    assert server_wide not in {f.name for f in fields(RepoConfig)}
    assert all(not row.startswith(f"| `{server_wide}`") for row in settings_table().splitlines())
    assert f"    {server_wide}:" not in (repo_config.__doc__ or "")


def test_docstring_says_why_label_and_branch_prefix_are_server_wide() -> None:
    doc = " ".join((repo_config.__doc__ or "").split())
    assert (
        "The issue label that starts Honk is the server's `HONK_LABEL` and the prefix of its "
        "branches is the server's `HONK_BRANCH_PREFIX`, for every repository: the request path "
        "recognises Honk's issues and pull requests without reading the repository, so neither "
        "is a setting here."
    ) in doc
    assert "HONK_BRANCH_PREFIX" not in settings_table()


@pytest.mark.parametrize(
    ("text", "field", "suggestion"),
    [
        ("modle: claude-opus-4-5\n", "modle", "did you mean 'model'?"),
        ("max_usd_total: 3\n", "max_usd_total", "did you mean 'max_usd'?"),
        ("allow-workflow-change: true\n", "allow-workflow-change", "'allow_workflow_changes'"),
        ("budgets:\n  turns: 5\n", "budgets.turns", "did you mean 'max_turns'?"),
        ("budgets:\n  draft: true\n", "budgets.draft", "known keys: max_minutes, max_turns"),
        ("zzz: 1\n", "zzz", "known keys: allow_workflow_changes, budgets, ci_fix_attempts"),
    ],
)
def test_unknown_keys_get_the_closest_known_one(text: str, field: str, suggestion: str) -> None:
    error = refusal(text)
    assert (error.field, error.problem.startswith("is not a known key")) == (field, True)
    assert suggestion in error.problem


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("test: make\nsetup: [a,\n  b\n", 4),
        ("test: make\ndraft: true\n  model: x: y\n", 3),
        ("test: make\n\tdraft: true\n", 2),
        ("test: a\n---\ntest: b\n", 2),
    ],
)
def test_yaml_syntax_errors_give_the_line(text: str, line: int) -> None:
    error = refusal(text)
    assert error.field == ""
    assert error.problem.startswith("is not valid YAML: ")
    assert f"(line {line}, column " in error.problem
    assert str(error).startswith(f"{CONFIG_PATH}: is not valid YAML")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("- test\n- make\n", "must be a mapping of keys to values, not a list"),
        ("just text\n", "not the text 'just text'"),
        ("!!python/object/apply:os.system [ls]\n", "could not determine a constructor"),
        ("[" * 5000, "nested too deeply"),
    ],
)
def test_file_level_problems_have_no_field(text: str, words: str) -> None:
    error = refusal(text)
    assert error.field == ""
    assert words in error.problem


def test_oversize_file_refused_before_parsing() -> None:
    text = "# padding\n" * (MAX_CONFIG_BYTES // 10) + "test: [unclosed\n"
    error = refusal(text)
    assert (error.field, error.problem) == (
        "",
        f"is {len(text)} bytes; the limit is 65536 (64 KiB)",
    )
    just_fits = "#" * (MAX_CONFIG_BYTES - len("\ntest: ok\n")) + "\ntest: ok\n"
    assert parse(just_fits).test == "ok"


def test_error_is_a_config_error() -> None:
    error = refusal("max_turns: 0\n")
    assert isinstance(error, ConfigError)
    assert (error.path, error.field) == (CONFIG_PATH, "max_turns")


def test_error_names_the_path_given() -> None:
    with pytest.raises(RepoConfigError) as caught:
        parse_repo_config("draft: maybe\n", SETTINGS, path="honk.yml")
    assert str(caught.value).startswith("honk.yml: draft: must be true or false")


def test_settings_table_has_one_row_per_key() -> None:
    rows = settings_table().splitlines()
    assert rows[:2] == ["| key | type | default | meaning |", "|---|---|---|---|"]
    names = [row.split("|")[1].strip().strip("`") for row in rows[2:]]
    budget = {"max_turns", "max_usd", "max_minutes"}
    sections = {name: "budgets." for name in budget} | {"merge_requires_other_approver": "slack."}
    expected = [sections.get(f.name, "") + f.name for f in fields(RepoConfig)]
    assert sorted(names) == sorted(expected)
    assert all(row.count("|") == 5 for row in rows)


@pytest.mark.parametrize("field", [f.name for f in fields(RepoConfig)])
def test_module_docstring_documents_every_key(field: str) -> None:
    assert f"    {field}: " in (repo_config.__doc__ or "")


def test_docstring_example_parses_to_the_documented_values() -> None:
    doc = repo_config.__doc__ or ""
    example = "\n".join(
        line[4:] for line in doc.splitlines() if line.startswith("    ") and line.strip()
    )
    config = parse(example)
    assert (config.model, config.max_usd) == ("claude-opus-4-5", 5.0)
    assert (config.setup, config.max_turns, config.max_minutes) == (
        ("pip install -e .[dev]",),
        50,
        30,
    )
    assert (config.test, config.ci_fix_attempts, config.max_diff_bytes) == ("pytest -q", 2, 10**6)


@pytest.mark.parametrize(
    ("field", "default"),
    [("test_timeout", "`900`"), ("draft", "`true`"), ("allow_workflow_changes", "`false`"),
     ("ci_fix_attempts", "`2`"), ("max_changed_files", "`100`"), ("max_diff_bytes", "`1000000`"),
     ("max_turns", "`HONK_MAX_TURNS`"), ("max_usd", "`HONK_MAX_USD`"),
     ("model", "`HONK_MODEL`")],
)  # fmt: skip
def test_table_defaults_match_the_dataclass(field: str, default: str) -> None:
    row = next(r for r in settings_table().splitlines() if r.startswith(f"| `{field}`")
               or r.startswith(f"| `budgets.{field}`"))  # fmt: skip
    assert default in row.split("|")[3]
    if not default.startswith("`HONK_"):
        written = default.strip("`")
        assert parse(f"{field}: {written}\n") == RepoConfig.from_settings(SETTINGS)


def test_the_readme_carries_the_settings_table() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert [row for row in settings_table().splitlines() if row not in readme] == []


def test_the_slack_two_person_rule_lives_under_slack() -> None:
    assert parse(None).merge_requires_other_approver is False
    on = parse("slack:\n  merge_requires_other_approver: true\n")
    assert on.merge_requires_other_approver is True
    assert parse("slack:\n  merge-requires-other-approver: true\n") == on


@pytest.mark.parametrize(
    ("text", "field", "problem"),
    [
        ("merge_requires_other_approver: true\n", "merge_requires_other_approver",
         "is not a known key"),
        ("slack:\n  merge_requires_other_approver: yes please\n",
         "slack.merge_requires_other_approver", "must be true or false"),
        ("slack:\n  merge_requires_other_approver: 1\n",
         "slack.merge_requires_other_approver", "must be true or false"),
        ("slack: true\n", "slack", "must be a mapping"),
        ("slack:\n  max_usd: 2\n", "slack.max_usd", "is not a known key"),
        ("slack:\n  merge_requires_other_approver: true\n  merge_requires_other_approver: false\n",
         "", "merge_requires_other_approver"),
    ],
)  # fmt: skip
def test_the_slack_section_is_strict(text: str, field: str, problem: str) -> None:
    error = refusal(text)
    assert error.field.startswith(field) and problem in str(error)
