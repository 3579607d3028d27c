"""A stateful fake of GitHub's REST API (Starlette, served on loopback) for the GitHub adapter.

`FakeGitHub` holds the app, installations and repositories (see `state`), answers
with GitHub's published example bodies patched with that state (`bodies`), checks
authentication like GitHub (the app's RS256 JWT for `/app...`, minted installation tokens for
the rest, 401 otherwise), records every request, has each judged against GitHub's own API
description (`judge`: refused as GitHub would, and the test fails), and fails on demand
(`fail_next`, `rate_limit_next`). `serve_fake_github` serves it with uvicorn, optionally under
a path prefix like GitHub Enterprise's `/api/v3`; with `web_url`/`api_url` its answers name an
Enterprise server's addresses instead of github.com's.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from tests.fakes.github import bodies, merging
from tests.fakes.github.call import Call, Endpoint, Handler, Problem
from tests.fakes.github.judge import (
    Judge,
    graphql_path,
    judge_for,
    relative_path,
    seen_by_judge,
)
from tests.fakes.github.routes import routes
from tests.fakes.github.state import FakeRepo
from tests.fakes.loopback import serve_on_loopback

JWT_MAX_LIFETIME = 600  # GitHub refuses app JWTs that live longer than ten minutes


@dataclass(frozen=True)
class AppKeyPair:
    private_pem: str
    public_pem: str


def generate_app_key() -> AppKeyPair:
    """A throwaway RSA key pair for a test GitHub App."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return AppKeyPair(private.decode(), public.decode())


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it; `path` is relative to the API root (no prefix)."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str]


@dataclass(frozen=True)
class MintedToken:
    value: str
    installation_id: int
    repositories: list[str] | None  # None: every repository of the installation
    user: str | None = None  # a person's user token (tests/fakes/github/merging.py): their login


@dataclass
class Failure:
    method: str
    path_pattern: str  # a regular expression matched against the whole relative path
    status: int
    body: Any
    headers: dict[str, str]
    times: int
    after: bool = False  # True: the request takes effect, then the answer is the failure

    def matches(self, method: str, path: str) -> bool:
        return method == self.method and re.fullmatch(self.path_pattern, path) is not None


@dataclass
class FakeGitHub:
    """GitHub's REST API for one app, in memory; tests seed state and assert on `requests`."""

    public_key_pem: str
    app_id: int = 1
    slug: str = "honk"
    fixed_token: str | None = None  # mint this value (so a git remote can expect it)
    installations: dict[int, str] = field(default_factory=dict)  # id -> account login
    repos: dict[str, FakeRepo] = field(default_factory=dict)
    tokens: dict[str, MintedToken] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    jwt_claims: list[dict[str, Any]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    users: Callable[[str], str | None] | None = None  # a user token's login (the fake OAuth's)
    manifest_codes: dict[str, Any] = field(default_factory=dict)  # code -> manifest (/setup)
    apps_created: list[dict[str, Any]] = field(default_factory=list)  # conversion answers
    judge: Judge | None = field(default_factory=judge_for)  # None: unjudged (benchmarks only)
    web_url: str = bodies.WEB  # GitHub Enterprise: https://HOST
    private_mode: bool = False  # True: no anonymous request (GitHub Enterprise's private mode)
    api_url: str = bodies.API  # GitHub Enterprise: https://HOST/api/v3

    @property
    def bot_login(self) -> str:
        return f"{self.slug}[bot]"

    def add_repo(
        self,
        full_name: str,
        *,
        installation_id: int = 1,
        default_branch: str = "main",
        clone_url: str | None = None,
        private: bool = False,
    ) -> FakeRepo:
        """A repository of installation `installation_id` (created with the owner as account)."""
        self.installations.setdefault(installation_id, full_name.split("/", 1)[0])
        url = clone_url or f"{self.web_url}/{full_name}.git"
        repo = FakeRepo(
            next(self.ids), full_name, installation_id, default_branch, url, private, self.ids
        )
        self.repos[full_name] = repo
        return repo

    def mint_token(self, installation_id: int, repositories: list[str] | None) -> MintedToken:
        """A new installation token, long like GitHub's `ghs_APPID_JWT` format."""
        value = self.fixed_token or f"ghs_{self.app_id}_{secrets.token_urlsafe(120)}"
        token = MintedToken(value, installation_id, repositories)
        self.tokens[value] = token
        return token

    def fail_next(
        self,
        method: str,
        path_pattern: str,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
        after: bool = False,
    ) -> None:
        """Answer the next `times` matching requests with `status` (GitHub's error shape);
        `after`: the request is carried out first (a 502 from a proxy after GitHub acted)."""
        answer = body if body is not None else bodies.error_body(status, "Server Error")
        failure = Failure(method, path_pattern, status, answer, headers or {}, times, after)
        self.failures.append(failure)

    def rate_limit_next(self, method: str, path_pattern: str, reset_in: int) -> None:
        """A primary rate limit (403, x-ratelimit-remaining: 0) resetting in `reset_in` s."""
        headers = {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-used": "5000",
            "x-ratelimit-resource": "core",
            "x-ratelimit-reset": str(int(time.time()) + reset_in),
        }
        message = "API rate limit exceeded for installation ID 1."
        self.fail_next(method, path_pattern, 403, bodies.error_body(403, message), headers)

    def requests_to(self, method: str, path_pattern: str) -> list[RecordedRequest]:
        return [
            r
            for r in self.requests
            if r.method == method and re.fullmatch(path_pattern, r.path) is not None
        ]

    def asgi(self, prefix: str = "") -> Starlette:
        """The ASGI app; with `prefix` (e.g. "/api/v3") every route lives under it."""
        table: list[BaseRoute] = list(routes(self._endpoint))
        graphql = self._endpoint(merging.graphql, "token")  # Enterprise: beside /api/v3
        graphql_route = Route(graphql_path(prefix), graphql, methods=["POST"])
        app = Starlette(routes=[graphql_route, Mount(prefix, routes=table)] if prefix else table)
        app.state.prefix = prefix
        return app

    def _endpoint(self, handler: Handler, auth: str) -> Endpoint:
        async def run(request: Request) -> Response:
            try:
                call = await self._begin(request, auth)
                response = handler(call)
                path = relative_path(request.url.path, request.app.state.prefix)
                if (late := self._failure(request.method, path, after=True)) is not None:
                    raise late
            except Problem as problem:
                return JSONResponse(problem.body, problem.status, headers=problem.headers)
            response = self._rehosted(response)
            if request.method == "GET":  # like GitHub: a client with an HTTP cache would keep it
                response.headers["cache-control"] = "private, max-age=60, s-maxage=60"
                response.headers["etag"] = f'W/"{hashlib.sha256(response.body).hexdigest()}"'
            return response

        return run

    async def _begin(self, request: Request, auth: str) -> Call:
        """Record the request, authenticate it, and apply any `fail_next` that matches."""
        raw = await request.body()
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = ValueError  # recorded as such, answered 400 below
        path = relative_path(request.url.path, request.app.state.prefix)
        query, headers = dict(request.query_params), dict(request.headers)
        self.requests.append(RecordedRequest(request.method, path, query, payload, headers))
        if payload is ValueError:
            raise Problem(400, bodies.error_body(400, "Problems parsing JSON"))
        seen = seen_by_judge(request, raw, request.app.state.prefix)
        if self.judge is not None and (refusal := self.judge.check(seen)) is not None:
            raise Problem(refusal.status, bodies.error_body(refusal.status, refusal.message))
        token = self._authenticate(request.headers.get("authorization", ""), auth)
        if (early := self._failure(request.method, path, after=False)) is not None:
            raise early
        return Call(self, request, payload, token)

    def _rehosted(self, response: Response) -> Response:
        """The answer with github.com's addresses replaced by this (Enterprise) server's."""
        if (self.web_url, self.api_url) == (bodies.WEB, bodies.API):
            return response

        def here(text: str) -> str:
            return text.replace(bodies.API, self.api_url).replace(bodies.WEB, self.web_url)

        headers = {k: here(v) for k, v in response.headers.items() if k != "content-length"}
        return Response(here(bytes(response.body).decode()), response.status_code, headers=headers)

    def _failure(self, method: str, path: str, *, after: bool) -> Problem | None:
        for failure in self.failures:
            if failure.after == after and failure.times > 0 and failure.matches(method, path):
                failure.times -= 1
                return Problem(failure.status, failure.body, failure.headers)
        return None

    def _authenticate(self, header: str, auth: str) -> MintedToken | None:
        scheme, _, credential = header.partition(" ")
        if auth == "public" and not header:
            if self.private_mode:  # an Enterprise server in private mode
                raise Problem(401, bodies.error_body(401, "Requires authentication"))
            return None
        if auth == "jwt":
            if scheme.lower() != "bearer" or not self._valid_jwt(credential):
                raise Problem(401, bodies.error_body(401, "A JSON web token could not be decoded"))
            return None
        token = self.tokens.get(credential) if scheme.lower() in ("token", "bearer") else None
        login = self.users(credential) if token is None and self.users is not None else None
        if login is not None:  # a person's own user token: they act as themselves
            return MintedToken(credential, 0, None, user=login)
        if token is None:
            raise Problem(401, bodies.error_body(401, "Bad credentials"))
        return token

    def _valid_jwt(self, credential: str) -> bool:
        try:
            claims = jwt.decode(
                credential,
                self.public_key_pem,
                algorithms=["RS256"],
                options={"require": ["iat", "exp", "iss"]},
            )
        except jwt.PyJWTError:
            return False
        self.jwt_claims.append(claims)
        lifetime = int(claims["exp"]) - int(claims["iat"])
        return str(claims["iss"]) == str(self.app_id) and 0 < lifetime <= JWT_MAX_LIFETIME


@asynccontextmanager
async def serve_fake_github(fake: FakeGitHub, *, prefix: str = "") -> AsyncIterator[str]:
    """Serve `fake` with uvicorn on 127.0.0.1 (a free port) in this loop; yields the API URL.

    Runs uvicorn's startup and shutdown directly (no `serve()` main loop): no signal handlers
    are touched and teardown does not wait for the main loop's next tick.
    """
    async with serve_on_loopback(fake.asgi(prefix), grace=2) as url:
        yield f"{url}{prefix}"
