"""The judge: every request the fake GitHub receives, checked against GitHub's own API description.

openapi-core validates the method, the path (an endpoint missing from the description is refused
too), the query and the JSON body against the description of the product the fake plays
(api.github.com, or a GitHub Enterprise Server release), as of the API version the request names
in `X-GitHub-Api-Version` (GitHub assumes 2022-11-28 without one). A refusal is answered as
GitHub answers (404 unknown endpoint, 422 naming the fields, 400 unknown API version) and kept in
`VIOLATIONS`; the autouse fixture in tests/conftest.py fails the test that caused it.

Honk's own requests (its User-Agent starts with "Honk") must also name the API version and go to
an endpoint listed in app/github/endpoints.py, so that table follows the code.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from openapi_core import Config, OpenAPI
from openapi_core.templating.paths.exceptions import PathError
from openapi_core.templating.paths.finders import APICallPathFinder
from openapi_core.testing import MockRequest
from openapi_core.validation.request.exceptions import ParameterValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.github.endpoints import ENDPOINTS
from tests.fakes.github import description
from tests.fakes.github.description import DescriptionMissing
from tests.fakes.sandbox_probe import unavailable

NOT_REST = ("/graphql", "/_blobs/")  # GraphQL has its own schema; /_blobs: the fake's log store
LISTED = frozenset((endpoint.method, endpoint.template) for endpoint in ENDPOINTS)
HONK_AGENT = "honk"
DOCS = "https://docs.github.com/rest"
GHES_ROOT = "https://ghe.example.test/api/v3"
UNCHECKED = Config(spec_validator_cls=None)  # GitHub's description is trusted as it is


@dataclass(frozen=True)
class Violation:
    """A request GitHub's description refuses (or that Honk should not have made)."""

    method: str
    path: str
    problem: str

    def __str__(self) -> str:
        return f"{self.method} {self.path}: {self.problem}"


@dataclass(frozen=True)
class Refusal:
    """GitHub's answer to a request its description refuses."""

    status: int
    message: str


@dataclass(frozen=True)
class Seen:
    """One request as the judge sees it; `path` is relative to the API root, percent-encoded."""

    method: str
    path: str
    query: list[tuple[str, str]]
    body: bytes
    headers: dict[str, str]  # names in lower case


Verdict = tuple[Refusal | None, list[str], str | None]  # refusal, problems, endpoint template
VIOLATIONS: list[Violation] = []


def take_violations() -> list[Violation]:
    """The violations since the last call (the test that caused them takes them)."""
    found = list(VIOLATIONS)
    VIOLATIONS.clear()
    return found


@dataclass
class Judge:
    """One product's description (e.g. "api.github.com", "ghes-3.17") in every API version;
    `root` is the API's address that product's description names (GHES: under /api/v3)."""

    name: str
    root: str = "https://api.github.com"
    _apis: dict[tuple[str, int | str], OpenAPI] = field(default_factory=dict)
    _verdicts: dict[tuple[object, ...], Verdict] = field(default_factory=dict)

    def check(self, seen: Seen) -> Refusal | None:
        """None when the description accepts `seen`; else GitHub's refusal (and a violation)."""
        if seen.path.startswith(NOT_REST):
            return None
        refusal, problems = self._judge(seen)
        VIOLATIONS.extend(Violation(seen.method, seen.path, problem) for problem in problems)
        return refusal

    def _judge(self, seen: Seen) -> tuple[Refusal | None, list[str]]:
        version = seen.headers.get("x-github-api-version", description.BASE_VERSION)
        content = seen.headers.get("content-type", "")
        key = (version, seen.method, seen.path, tuple(seen.query), seen.body, content)
        if key not in self._verdicts:  # the same request, the same verdict: judged once
            self._verdicts[key] = self._described(version, seen)
        refusal, problems, template = self._verdicts[key]
        honk = _honk_rules(seen, template) if template is not None else []
        return refusal, [*problems, *honk]

    def _described(self, version: str, seen: Seen) -> Verdict:
        """GitHub's refusal, the problems, and the template of the endpoint (if any)."""
        if version not in description.versions(self.name):
            problem = f"X-GitHub-Api-Version {version} is not a version of {self.name}"
            return Refusal(400, f"API version '{version}' is not supported."), [problem], None
        found = self._endpoint(version, seen)
        if found is None:
            problem = f"no such endpoint in {self.name}'s description"
            return Refusal(404, "Not Found"), [problem], None
        path, template, variables = found
        invalid = self._invalid(self._api(version, template), seen, path, template, variables)
        refusal = Refusal(422, "Invalid request.\n\n" + "\n".join(invalid)) if invalid else None
        return refusal, invalid, template

    def _endpoint(self, version: str, seen: Seen) -> tuple[str, str, dict[str, str]] | None:
        """(path, template, path parameters) of the endpoint `seen` asks for. A parameter the
        description marks `x-multi-segment` (a branch, a ref, a file's path) may hold slashes:
        `contents/.github/honk.yml` is `contents/{path}`, the narrowest such reading first."""
        spans = description.spanning(self.name)
        encoded = (reading for span in spans if (reading := span.encoded(seen.path)) is not None)
        for _, path in [(0, seen.path), *sorted(encoded)]:
            finder = APICallPathFinder(self._api(version, path.count("/")).spec)
            try:
                found = finder.find(seen.method.lower(), self.root + path)
            except PathError:
                continue
            return path, found.path_result.pattern, found.path_result.variables or {}
        return None

    def _invalid(
        self, api: OpenAPI, seen: Seen, path: str, template: str, variables: dict[str, str]
    ) -> list[str]:
        parts = urlsplit(self.root)
        request = MockRequest(
            f"{parts.scheme}://{parts.netloc}", seen.method, parts.path + path,
            path_pattern=parts.path + template, view_args=variables, args=_query(seen.query),
            headers=seen.headers, data=seen.body or None,
            content_type=seen.headers.get("content-type", "application/json"),
        )  # fmt: skip
        return [_explain(error) for error in api.iter_request_errors(request)]

    def _api(self, version: str, part: int | str) -> OpenAPI:
        """The description as of `version`, cut to `part`: the templates of that many path
        segments (to find an endpoint among), or one template (to validate a request to it).
        The same description either way, only quicker for openapi-core to search."""
        if (version, part) not in self._apis:
            spec = description.for_version(self.name, version)
            paths = {
                template: item
                for template, item in spec["paths"].items()
                if (template.count("/") == part if isinstance(part, int) else template == part)
            }
            self._apis[version, part] = OpenAPI.from_dict(
                {**spec, "paths": paths}, config=UNCHECKED
            )
        return self._apis[version, part]


def _honk_rules(seen: Seen, template: str) -> list[str]:
    """What Honk's own requests must also do: name the API version, use a listed endpoint."""
    if not seen.headers.get("user-agent", "").lower().startswith(HONK_AGENT):
        return []
    problems = []
    if "x-github-api-version" not in seen.headers:
        problems.append("Honk's request carries no X-GitHub-Api-Version header")
    if (seen.method, template) not in LISTED:
        problems.append(f"{seen.method} {template} is not listed in app/github/endpoints.py")
    return problems


def _query(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    query: dict[str, Any] = {}
    for key, value in pairs:
        query.setdefault(key, []).append(value)
    return {key: values[0] if len(values) == 1 else values for key, values in query.items()}


def _explain(error: Exception) -> str:
    """The fields an openapi-core error names, in words."""
    cause = error.__cause__
    if isinstance(error, ParameterValidationError):
        return f"{error.location} parameter {error.name!r}: {cause or error}"
    schema_errors = getattr(cause, "schema_errors", None)
    if schema_errors:
        return "; ".join(_schema_error(e) for e in schema_errors)
    return f"{type(error).__name__}: {cause or error}"


def _schema_error(error: Any) -> str:
    where = ".".join(str(part) for part in error.absolute_path)
    return f"body{'.' + where if where else ''}: {error.message}"


@functools.cache
def shared_judge(name: str = description.GITHUB) -> Judge | None:
    """The judge of `name`, one per process; None when its description is not installed."""
    try:
        description.load(name)
    except DescriptionMissing:
        return None
    root = "https://api.github.com" if name == description.GITHUB else GHES_ROOT
    return Judge(name, root)


def judge_for(name: str = description.GITHUB) -> Judge | None:
    """The judge for a fake GitHub: in a test, a missing description skips it (fails under
    CI=true); outside tests (the benchmarks) the fake then answers unjudged."""
    judge = shared_judge(name)
    if judge is None and "PYTEST_CURRENT_TEST" in os.environ:
        unavailable(f"GitHub's API description {name} is not installed (make system-deps)")
    return judge


def graphql_path(prefix: str) -> str:
    """Where GraphQL is served: `/graphql`, or `/api/graphql` beside an Enterprise `/api/v3`."""
    return prefix.removesuffix("/v3") + "/graphql" if prefix.endswith("/api/v3") else "/graphql"


def relative_path(path: str, prefix: str) -> str:
    """A request's path as the API root sees it (GitHub Enterprise's GraphQL is `/graphql`)."""
    if prefix and path == graphql_path(prefix):
        return "/graphql"
    return path.removeprefix(prefix) or "/"


def seen_by_judge(request: Request, body: bytes, prefix: str) -> Seen:
    """A Starlette request to the fake (served under `prefix`) as the judge sees it."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    path = relative_path(raw.decode("latin-1").split("?", 1)[0], prefix)
    query = list(request.query_params.multi_items())
    return Seen(request.method, path, query, body, dict(request.headers))


async def refusal_of(judge: Judge | None, request: Request, prefix: str = "") -> Response | None:
    """For the small fakes beside FakeGitHub: GitHub's answer when the description refuses
    `request` (None when it accepts it, or when unjudged)."""
    if judge is None:
        return None
    refusal = judge.check(seen_by_judge(request, await request.body(), prefix))
    if refusal is None:
        return None
    body = {"message": refusal.message, "documentation_url": DOCS, "status": str(refusal.status)}
    return JSONResponse(body, refusal.status)
