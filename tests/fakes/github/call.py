"""One request as the fake GitHub's route handlers see it, and errors in GitHub's shapes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.fakes.github import bodies
from tests.fakes.github.state import FakeRepo

if TYPE_CHECKING:
    from tests.fakes.github.api import FakeGitHub, MintedToken

DOCS = "https://docs.github.com/rest"
Json = dict[str, Any]
Handler = Callable[["Call"], Response]
Endpoint = Callable[[Request], Awaitable[Response]]


class Problem(Exception):
    """An error answer in GitHub's shape."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def not_found(docs: str = DOCS) -> Problem:
    return Problem(404, bodies.error_body(404, "Not Found", docs))


def invalid(resource: str, *fields: str, code: str = "missing_field", docs: str = DOCS) -> Problem:
    errors = [{"resource": resource, "code": code, "field": field} for field in fields]
    return Problem(422, bodies.validation_body(errors, docs))


@dataclass
class Call:
    """One authenticated request as a route handler sees it."""

    fake: FakeGitHub
    request: Request
    json: Any
    token: MintedToken | None

    def param(self, name: str) -> str:
        return str(self.request.path_params[name])

    def number(self, name: str = "number") -> int:
        return int(self.request.path_params[name])

    def query(self, name: str, default: str = "") -> str:
        return self.request.query_params.get(name, default)

    def field(self, name: str) -> Any:
        return self.json.get(name) if isinstance(self.json, dict) else None

    def repo(self) -> FakeRepo:
        """The repository in the path, if this token may see it (GitHub answers 404 if not)."""
        repo = self.fake.repos.get(f"{self.param('owner')}/{self.param('repo')}")
        token = self.token
        if repo is not None and token is not None and token.user is not None:
            if repo.private and token.user.lower() not in repo.permissions:
                raise not_found()
            return repo  # a person sees what their rights show them
        if repo is None or token is None or token.installation_id != repo.installation_id:
            raise not_found()
        if token.repositories is not None and repo.name not in token.repositories:
            raise not_found()
        return repo

    def page(self, items: list[Any]) -> list[Any]:
        per_page = min(int(self.query("per_page", "30")), 100)
        start = (int(self.query("page", "1")) - 1) * per_page
        return items[start : start + per_page]


def ok(body: Any, status: int = 200) -> Response:
    return JSONResponse(body, status_code=status)
