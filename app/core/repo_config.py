"""Per-repository settings: `.github/honk.yml`, read from the default branch, parsed strictly.

Callers read the file from the repository's DEFAULT branch (never a pull request's head, which
anyone who opens a PR controls) and pass its text to `parse_repo_config`. A missing or empty file
means every default. Keys are snake_case (`max_usd`); the kebab-case spelling (`max-usd`) is
accepted too. The budgets live canonically under `budgets:`; the same three keys are also accepted
at the top level, but not in both places at once. Example with every key:

    model: claude-opus-4-5         # model id; default: the server's HONK_MODEL
    budgets:
      max_turns: 50                # model turns per job, 1..500
      max_usd: 5                   # USD per job, more than 0 and at most 100
      max_minutes: 30              # wall clock per job, 1..240
    setup:                         # run before the agent, online only to allowed registries
      - pip install -e .[dev]
    test: pytest -q                # the test command; unset: the agent decides and Honk says so
    test_timeout: 900              # seconds for the test command, 1..7200
    test_fix_rounds: 2             # failing tests handed back to the agent, 0..10 (0: never)
    draft: true                    # open pull requests as drafts
    allow_workflow_changes: false  # may it change .github/workflows/, actions/, action.yml
    ci_fix_attempts: 2             # attempts to fix failing CI on a Honk PR, 0..10 (0: never)
    max_changed_files: 100         # refuse to push a change touching more files, 1..10000
    max_diff_bytes: 1000000        # refuse a larger diff (binaries by their bytes)
    slack:
      merge_requires_other_approver: false  # Merge in Slack needs someone else's approval

Defaults of `model` and the budgets come from the server's settings (`HONK_MODEL`,
`HONK_MAX_TURNS`, `HONK_MAX_USD`, `HONK_MAX_MINUTES`). `settings_table()` renders the same list as
a Markdown table. The issue label that starts Honk is the server's `HONK_LABEL` and the prefix of
its branches is the server's `HONK_BRANCH_PREFIX`, for every repository: the request path
recognises Honk's issues and pull requests without reading the repository, so neither is a
setting here.

Types are strict: `true` is not a number, `"5"` is not a number, `5` is not text. `model: null`
and `test: null` mean "the default"; any other key given without a value is an error. Any problem
raises `RepoConfigError` naming the field as a dotted path written as in the file
(`budgets.max-usd`, `setup[2]`), or an empty field when the file as a whole is at fault.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from app.core.config import Settings
from app.core.config_values import (
    Invalid,
    boolean,
    command_list,
    integer,
    load_yaml,
    model_id,
    number,
    shown,
    text_value,
)
from app.core.errors import RepoConfigError

CONFIG_PATH = ".github/honk.yml"
MAX_CONFIG_BYTES = 64 * 1024
BUDGET_KEYS = ("max_turns", "max_usd", "max_minutes")
SLACK_KEYS = ("merge_requires_other_approver",)  # only under `slack:`


@dataclass(frozen=True)
class RepoConfig:
    """One repository's Honk settings; build it with `from_settings` or `parse_repo_config`."""

    model: str | None = None
    max_turns: int = Settings.max_turns
    max_usd: float = Settings.max_usd
    max_minutes: float = Settings.max_minutes
    setup: tuple[str, ...] = ()
    test: str | None = None
    test_timeout: float = 900.0
    test_fix_rounds: int = 2
    draft: bool = True
    allow_workflow_changes: bool = False
    ci_fix_attempts: int = 2
    max_changed_files: int = 100
    max_diff_bytes: int = 1_000_000
    merge_requires_other_approver: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> RepoConfig:
        """The defaults of a repository without `.github/honk.yml` on this server."""
        return cls(
            max_turns=settings.max_turns,
            max_usd=settings.max_usd,
            max_minutes=settings.max_minutes,
        )


@dataclass(frozen=True)
class _Key:
    """One documented key: its reader and its row in the settings table."""

    name: str
    kind: str
    default: str
    meaning: str
    read: Callable[[object], Any]
    nullable: bool = False


def _env(variable: str, value: object) -> str:
    return f"server's `{variable}` (`{value}`)"


KEYS: tuple[_Key, ...] = (
    _Key("model", "text", _env("HONK_MODEL", Settings.model), "model id for this repository",
         model_id, nullable=True),
    _Key("max_turns", "integer", _env("HONK_MAX_TURNS", Settings.max_turns),
         "model turns per job, 1 to 500", integer(1, 500)),
    _Key("max_usd", "number", _env("HONK_MAX_USD", Settings.max_usd),
         "USD per job, more than 0 and at most 100",
         number(0, 100, above_low=True)),
    _Key("max_minutes", "number", _env("HONK_MAX_MINUTES", Settings.max_minutes),
         "wall-clock minutes per job, 1 to 240", number(1, 240)),
    _Key("setup", "list of text", "none",
         "shell commands run before the agent, online only to the package registries the "
         "operator allows (`HONK_SETUP_ALLOW`); see \"Setup\" below", command_list),
    _Key("test", "text", "none: the agent decides, Honk reports no test command",
         "the repository's test command", text_value, nullable=True),
    _Key("test_timeout", "number", "`900`", "seconds the test command may run, 1 to 7200",
         number(1, 7200)),
    _Key("test_fix_rounds", "integer", "`2`",
         "times a failing test run is handed back to the agent before Honk publishes, "
         "0 to 10 (0: never)", integer(0, 10)),
    _Key("draft", "boolean", "`true`", "open pull requests as drafts", boolean),
    _Key("allow_workflow_changes", "boolean", "`false`",
         "may a change touch `.github/workflows/`, `.github/actions/` or any "
         "`action.yml`/`action.yaml`", boolean),
    _Key("ci_fix_attempts", "integer", "`2`",
         "attempts to fix failing CI on a Honk PR, 0 to 10 (0: never)", integer(0, 10)),
    _Key("max_changed_files", "integer", "`100`",
         "Honk refuses to push a change touching more files, 1 to 10000", integer(1, 10_000)),
    _Key("max_diff_bytes", "integer", "`1000000`",
         "Honk refuses to push a larger diff (bytes of the text diff plus every binary file's "
         "bytes), 1 to 100000000", integer(1, 100_000_000)),
    _Key("merge_requires_other_approver", "boolean", "`false`",
         "Merge in Slack is refused when the only approval is the requester's", boolean),
)  # fmt: skip
_BY_NAME = {key.name: key for key in KEYS}
_NOT_SETTINGS = {
    "label": "`label` is not a per-repository setting: "
    "the trigger label is the server's HONK_LABEL",
    "branch_prefix": "`branch_prefix` is not a per-repository setting: "
    "Honk's branches use the server's HONK_BRANCH_PREFIX",
}


def settings_table() -> str:
    """Every key of `.github/honk.yml` as a Markdown table (for the README)."""
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for key in KEYS:
        name = f"{_section(key.name)}.{key.name}" if _section(key.name) else key.name
        rows.append(f"| `{name}` | {key.kind} | {key.default} | {key.meaning} |")
    return "\n".join(rows)


def _section(name: str) -> str:
    """The section a key is written under in the table (`budgets`, `slack`), or ""."""
    return "budgets" if name in BUDGET_KEYS else "slack" if name in SLACK_KEYS else ""


def parse_repo_config(
    text: str | None, settings: Settings, *, path: str = CONFIG_PATH
) -> RepoConfig:
    """Settings from the text of `.github/honk.yml`; RepoConfigError when it cannot be used."""
    defaults = RepoConfig.from_settings(settings)
    try:
        document = None if text is None or not text.strip() else _read_yaml(text)
        if document is None:
            return defaults
        if not isinstance(document, dict):
            raise Invalid(f"must be a mapping of keys to values, not {shown(document)}")
        values = {name: _read(_BY_NAME[name], *entry) for name, entry in _entries(document).items()}
    except Invalid as exc:
        raise RepoConfigError(path, exc.field, exc.problem) from None
    return replace(defaults, **values)


def _read_yaml(text: str) -> object:
    return load_yaml(text, MAX_CONFIG_BYTES, nested=("budgets", "slack"))


def _entries(document: Mapping[object, object]) -> dict[str, tuple[str, object]]:
    """Known key name -> (field as written, value), with `budgets:` and `slack:` flattened into
    the top level (budget keys may also be written at the top level; slack keys may not)."""
    top_level = [name for name in _BY_NAME if name not in SLACK_KEYS]
    top = _keys(document, "", [*top_level, "budgets", "slack"])
    nested = _section_keys(top, "budgets", BUDGET_KEYS)
    slack = _section_keys(top, "slack", SLACK_KEYS)
    for name, (field, _) in nested.items():
        if name in top:
            raise Invalid(f"is also set at the top level as {top[name][0]}; keep one", field)
    return top | nested | slack


def _section_keys(
    top: dict[str, tuple[str, object]], section: str, known: tuple[str, ...]
) -> dict[str, tuple[str, object]]:
    """The keys of the `section:` mapping (taken out of `top`)."""
    field, mapping = top.pop(section, (section, {}))
    if not isinstance(mapping, dict):
        raise Invalid(f"must be a mapping, not {shown(mapping)}", field)
    return _keys(mapping, field + ".", known)


def _keys(
    mapping: Mapping[object, object], prefix: str, known: list[str] | tuple[str, ...]
) -> dict[str, tuple[str, object]]:
    """Fold kebab-case to snake_case; refuse unknown keys (with a suggestion) and doubled ones."""
    found: dict[str, tuple[str, object]] = {}
    for raw, value in mapping.items():
        field, name = prefix + str(raw), str(raw).replace("-", "_")
        if not isinstance(raw, str):
            raise Invalid(f"is not a known key: YAML reads it as {shown(raw)}; quote it", field)
        if name not in known:
            raise Invalid(_unknown(name, known), field)
        if name in found:
            raise Invalid(f"is given twice (as {found[name][0]} and {field})", field)
        found[name] = (field, value)
    return found


def _unknown(name: str, known: list[str] | tuple[str, ...]) -> str:
    if name in _NOT_SETTINGS:
        return _NOT_SETTINGS[name]
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if close:
        return f"is not a known key; did you mean {close[0]!r}?"
    return f"is not a known key; known keys: {', '.join(sorted(known))}"


def _read(key: _Key, field: str, value: object) -> Any:
    """The value of one key, checked by its reader; `field` is where it was written."""
    if value is None and key.nullable:
        return None
    if value is None:
        raise Invalid("has no value; give one, or remove the key", field)
    try:
        return key.read(value)
    except Invalid as exc:
        raise Invalid(exc.problem, field + exc.field) from None
