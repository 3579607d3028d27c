"""GitHub's REST API descriptions from the pinned `@octokit/openapi` npm package, read once.

`make system-deps` installs the package (its version pinned in tests/fakes/github/openapi/)
into the git-ignored `.honk-tools/openapi`. It ships one description per product:
`api.github.com`, `ghec` and one `ghes-3.N` per supported GitHub Enterprise Server release.

A description is the API of version 2022-11-28; an operation that changed in a later calendar
version carries the change as a JSON merge patch (`x-github-breaking-changes`).
`for_version()` applies those of every version up to the one asked for.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[3]
TOOLS = ROOT / ".honk-tools" / "openapi"
GENERATED = TOOLS / "node_modules" / "@octokit" / "openapi" / "generated"
PIN = Path(__file__).with_name("openapi") / "package.json"
BASE_VERSION = "2022-11-28"  # what GitHub assumes without an X-GitHub-Api-Version header
GITHUB = "api.github.com"
GHES = re.compile(r"ghes-(\d+)\.(\d+)")
Json = dict[str, Any]


class DescriptionMissing(Exception):
    """The pinned @octokit/openapi is not installed (`make system-deps` installs it)."""


def pinned_version() -> str:
    """The @octokit/openapi version tests/fakes/github/openapi/package.json pins."""
    return str(orjson.loads(PIN.read_bytes())["dependencies"]["@octokit/openapi"])


def path_of(name: str) -> Path:
    """`generated/NAME.json` of the installed package (DescriptionMissing when absent)."""
    path = GENERATED / f"{name}.json"
    if not path.is_file():
        raise DescriptionMissing(
            f"GitHub's API description {name} is not installed at {path}: "
            "run `make system-deps` (npm installs the pinned @octokit/openapi)"
        )
    return path


def load(name: str = GITHUB) -> Json:
    """The description `name` (api.github.com, ghes-3.17...), parsed once per process."""
    return _parsed(name)


@functools.cache
def _parsed(name: str) -> Json:
    description: Json = orjson.loads(path_of(name).read_bytes())
    return description


@functools.cache
def spanning(name: str) -> list[Spanning]:
    """The templates with a path parameter the description marks `x-multi-segment` (a branch,
    a ref, a file's path: slashes and all), each as a pattern that lets it span segments."""
    found = []
    for template, item in load(name)["paths"].items():
        names = {
            parameter["name"]
            for operation in item.values()
            if isinstance(operation, dict)
            for parameter in map(_resolved(name), operation.get("parameters", []))
            if parameter.get("x-multi-segment") and parameter.get("in") == "path"
        }
        if names:
            found.append(Spanning(template, _pattern(template, names)))
    return found


@dataclass(frozen=True)
class Spanning:
    template: str
    pattern: re.Pattern[str]  # its groups: the parameters that may hold a slash

    def encoded(self, path: str) -> tuple[int, str] | None:
        """(characters those parameters took, `path` with their slashes as %2F); None when
        `path` is not this template's."""
        match = self.pattern.fullmatch(path)
        if match is None:
            return None
        spans = sorted((match.span(group) for group in match.groupdict()), reverse=True)
        for start, end in spans:
            path = path[:start] + path[start:end].replace("/", "%2F") + path[end:]
        return sum(end - start for start, end in spans), path


def _pattern(template: str, spanning: set[str]) -> re.Pattern[str]:
    parts = re.split(r"\{([^}]+)\}", template)
    regex = "".join(
        re.escape(part) if index % 2 == 0
        else (f"(?P<{part}>.+?)" if part in spanning else "[^/]+")
        for index, part in enumerate(parts)
    )  # fmt: skip
    return re.compile(regex)


def _resolved(name: str) -> Callable[[Json], Json]:
    def resolve(parameter: Json) -> Json:
        ref = parameter.get("$ref", "")
        if not ref.startswith("#/components/parameters/"):
            return parameter
        found: Json = load(name)["components"]["parameters"][ref.rsplit("/", 1)[1]]
        return found

    return resolve


def ghes_releases() -> list[str]:
    """The GHES descriptions the package ships, oldest release first."""
    names = [path.stem for path in GENERATED.glob("ghes-*.json") if GHES.fullmatch(path.stem)]
    if not names:
        raise DescriptionMissing(f"no GitHub Enterprise Server description in {GENERATED}")
    return sorted(names, key=_release)


def _release(name: str) -> tuple[int, ...]:
    match = GHES.fullmatch(name)
    return tuple(int(n) for n in match.groups()) if match else ()


@functools.cache
def versions(name: str) -> list[str]:
    """The calendar API versions the description `name` knows, oldest first."""
    later = {
        change["version"]
        for item in load(name)["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        for change in operation.get("x-github-breaking-changes", [])
    }
    return [BASE_VERSION, *sorted(later)]


@functools.cache
def for_version(name: str, version: str) -> Json:
    """The description as of API `version`: every breaking change up to it applied."""
    base = load(name)
    if version == BASE_VERSION:
        return base
    paths = dict(base["paths"])
    for template, item in base["paths"].items():
        changed = {
            method: _changed(operation, version)
            for method, operation in item.items()
            if isinstance(operation, dict) and "x-github-breaking-changes" in operation
        }
        if changed:
            paths[template] = {**item, **changed}
    return {**base, "paths": paths}


def _changed(operation: Json, version: str) -> Json:
    patched = copy.deepcopy(operation)
    for change in operation["x-github-breaking-changes"]:
        if change["version"] <= version:
            patched = merge_patch(patched, change["patch"])
    return patched


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: objects merge key by key, null removes, the rest replaces."""
    if not isinstance(patch, Mapping):
        return patch
    merged = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged
