"""Strict readers for a YAML settings file: the document itself, then one checker per value type.

Each problem is an `Invalid` with a plain-language `problem` and, where known, the `field`
(relative for value readers: `[2]`; dotted from the top elsewhere: `budgets.max_usd`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import yaml


class Invalid(Exception):
    """A problem found while parsing; `field` is relative for readers (`[2]`), full elsewhere."""

    def __init__(self, problem: str, field: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.field = field


def shown(value: object) -> str:
    """How a wrong value reads in an error: its YAML type and, when short, the value."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the text {value!r}" if len(value) <= 40 else "a text"
    kinds = {int: "the number", float: "the number", list: "a list", dict: "a mapping"}
    kind = kinds.get(type(value), f"a {type(value).__name__}")
    return f"{kind} {value}" if isinstance(value, int | float) else kind


def integer(low: int, high: int) -> Callable[[object], int]:
    def read(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"must be a whole number from {low} to {high}, not {shown(value)}")
        if not low <= value <= high:
            raise Invalid(f"must be from {low} to {high}, got {value}")
        return value

    return read


def number(low: float, high: float, *, above_low: bool = False) -> Callable[[object], float]:
    bounds = f"more than {low:g} and at most {high:g}" if above_low else f"from {low:g} to {high:g}"

    def read(value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Invalid(f"must be a number {bounds}, not {shown(value)}")
        fits = (low < value if above_low else low <= value) and value <= high
        if not fits:
            raise Invalid(f"must be {bounds}, got {value}")
        return float(value)

    return read


def text_value(value: object) -> str:
    if not isinstance(value, str):
        raise Invalid(f"must be text, not {shown(value)}")
    if not value.strip():
        raise Invalid("must not be empty")
    return value.strip()


def model_id(value: object) -> str:
    text = text_value(value)
    if re.search(r"\s", text):
        raise Invalid(f"must be a model id without spaces, got {text!r}")
    return text


def command_list(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise Invalid(f"must be a list of shell commands (text), not {shown(value)}")
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            what = "an empty text" if isinstance(item, str) else shown(item)
            raise Invalid(f"must be a shell command (non-empty text), not {what}", f"[{index}]")
    return tuple(item.strip() for item in value)


def boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"must be true or false, not {shown(value)}")
    return value


def load_yaml(text: str, max_bytes: int, nested: tuple[str, ...] = ()) -> object:
    """YAML text to Python values, refusing oversize text, syntax errors and duplicate keys
    (at the top level and inside the top-level mappings named in `nested`)."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise Invalid(f"is {size} bytes; the limit is {max_bytes} ({max_bytes // 1024} KiB)")
    try:
        _refuse_duplicate_keys(yaml.compose(text, Loader=yaml.SafeLoader), "", nested)
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        raise Invalid(f"is not valid YAML: {_yaml_problem(exc)}") from None
    except yaml.YAMLError as exc:
        raise Invalid(f"is not valid YAML: {exc}") from None
    except RecursionError:
        raise Invalid("is not valid here: nested too deeply") from None


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or exc.context or "syntax error"
    mark = exc.problem_mark or exc.context_mark
    where = "" if mark is None else f" (line {mark.line + 1}, column {mark.column + 1})"
    return problem + where


def _refuse_duplicate_keys(node: yaml.Node | None, prefix: str, nested: tuple[str, ...]) -> None:
    """PyYAML keeps the last of two equal keys silently; Honk refuses the file instead."""
    if not isinstance(node, yaml.MappingNode):
        return
    seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            continue
        key, line = str(key_node.value), key_node.start_mark.line + 1
        if key in seen:
            raise Invalid(f"is given twice (lines {seen[key]} and {line})", prefix + key)
        seen[key] = line
        if not prefix and key in nested:
            _refuse_duplicate_keys(value_node, key + ".", ())
