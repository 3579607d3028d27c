"""A fake of GitHub's OAuth web flow for a GitHub App: authorize, the token endpoint, `GET /user`.

Like GitHub: `POST /login/oauth/access_token` takes a form, answers JSON with
`Accept: application/json` (form-encoded otherwise), and reports refusals as 200 with an
`error` field; user tokens expire (`expires_in` 8 h) and come with a single-use refresh token.
`GET /user` (also under `/api/v3`) answers for a valid, unexpired user token, else 401; it is
judged against GitHub's API description like every request to the fake GitHub.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.fakes.github.judge import Judge, judge_for, refusal_of

ACCESS_SECONDS = 28800
REFRESH_SECONDS = 15897600


@dataclass(frozen=True)
class FakePerson:
    github_id: int
    login: str


@dataclass
class FakeGitHubOAuth:
    """One App's OAuth client and the people who may sign in; tests assert on `token_posts`."""

    client_id: str = "Iv1.fakeclientid"
    client_secret: str = "fake-client-secret"
    clock: Callable[[], float] = time.time
    signs_in: FakePerson = FakePerson(1, "octocat")  # who authorizes at /login/oauth/authorize
    codes: dict[str, FakePerson] = field(default_factory=dict)
    access: dict[str, tuple[FakePerson, float]] = field(default_factory=dict)
    refresh: dict[str, FakePerson] = field(default_factory=dict)
    token_posts: list[dict[str, str]] = field(default_factory=list)
    judge: Judge | None = field(default_factory=judge_for)  # GET /user against the description

    def code_for(self, person: FakePerson) -> str:
        """A code as GitHub sends it to the callback once `person` authorized the App."""
        code = secrets.token_hex(10)
        self.codes[code] = person
        return code

    def transport(self) -> httpx.ASGITransport:
        return httpx.ASGITransport(app=self.asgi())

    def asgi(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/login/oauth/authorize", self._authorize, methods=["GET"]),
                Route("/login/oauth/access_token", self._token, methods=["POST"]),
                Route("/user", self._user, methods=["GET"]),
                Route("/api/v3/user", self._user, methods=["GET"]),
            ]
        )

    async def _authorize(self, request: Request) -> Response:
        state = request.query_params.get("state", "")
        query = {"code": self.code_for(self.signs_in), "state": state}
        return RedirectResponse(f"{request.query_params['redirect_uri']}?{urlencode(query)}")

    async def _token(self, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode()))
        self.token_posts.append(form)
        wants_json = "application/json" in request.headers.get("accept", "")
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return _answer({"error": "incorrect_client_credentials"}, wants_json)
        if form.get("grant_type") == "refresh_token":
            person = self.refresh.pop(form.get("refresh_token", ""), None)
            error = "bad_refresh_token"
        else:
            person = self.codes.pop(form.get("code", ""), None)
            error = "bad_verification_code"
        if person is None:
            described = {
                "error": error,
                "error_description": "The code passed is incorrect or expired.",
            }
            return _answer(described, wants_json)
        return _answer(self._grant(person), wants_json)

    def _grant(self, person: FakePerson) -> dict[str, str | int]:
        access, refresh = f"ghu_{secrets.token_hex(18)}", f"ghr_{secrets.token_hex(38)}"
        self.access[access] = (person, self.clock() + ACCESS_SECONDS)
        self.refresh[refresh] = person
        return {
            "access_token": access,
            "expires_in": ACCESS_SECONDS,
            "refresh_token": refresh,
            "refresh_token_expires_in": REFRESH_SECONDS,
            "scope": "",
            "token_type": "bearer",
        }

    async def _user(self, request: Request) -> Response:
        prefix = "/api/v3" if request.url.path.startswith("/api/v3/") else ""
        if (refused := await refusal_of(self.judge, request, prefix)) is not None:
            return refused
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        known = self.access.get(token) if scheme.lower() in ("bearer", "token") else None
        if known is None or known[1] <= self.clock():
            body = {"message": "Bad credentials", "status": "401"}
            return JSONResponse(body, status_code=401)
        person = known[0]
        return JSONResponse({"login": person.login, "id": person.github_id, "type": "User"})


def _answer(body: Mapping[str, str | int], wants_json: bool) -> Response:
    if wants_json:
        return JSONResponse(dict(body))
    return PlainTextResponse(urlencode(body), media_type="application/x-www-form-urlencoded")
