"""The HTTP app: every real payload through the webhook route, status codes, dedupe, health."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from app.core.config import Secret, Settings
from app.store.engine import Store
from app.store.queue import Queue
from app.web.server import create_app
from tests.fakes.deliveries import all_fixtures, delivery_headers, load_fixture, sign

SECRET = "It's a Secret to Everybody"
URL = "/webhooks/github"
DASHBOARD_TOKEN = "dashboard-token-for-scripts"
OPERATOR = {"Authorization": f"Bearer {DASHBOARD_TOKEN}"}


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path}/honk.db")
    yield store
    await store.close()


def make_settings(tmp_path: Path, secret: str | None = SECRET) -> Settings:
    return Settings(
        github_webhook_secret=Secret(secret) if secret else None,
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/honk.db",
    )


@pytest.fixture
def app(tmp_path: Path, sqlite_store: Store) -> Starlette:
    return create_app(make_settings(tmp_path), store=sqlite_store)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://honk.test") as client:
        yield client


async def post(
    client: httpx.AsyncClient, event: str, body: bytes, **headers: str
) -> httpx.Response:
    sent = {**delivery_headers(event, body, SECRET), **headers}
    return await client.post(URL, content=body, headers={k: v for k, v in sent.items() if v})


@pytest.mark.parametrize(("event", "path"), all_fixtures())
async def test_every_signed_fixture_is_accepted(
    client: httpx.AsyncClient, event: str, path: str
) -> None:
    response = await post(client, event, load_fixture(path))
    assert response.status_code in (200, 202), response.text
    assert response.json()["outcome"] in ("queued", "coalesced", "ignored", "pong")


@pytest.mark.parametrize(("event", "path"), all_fixtures())
async def test_every_tampered_fixture_is_refused(
    client: httpx.AsyncClient, event: str, path: str
) -> None:
    body = load_fixture(path)
    headers = delivery_headers(event, body, SECRET)
    response = await client.post(URL, content=body + b" ", headers=headers)
    assert response.status_code == 401


LABELED = "issues/labeled.honk.json"


@pytest.mark.parametrize(
    ("case", "headers", "status"),
    [
        ("missing signature", {"X-Hub-Signature-256": ""}, 401),
        ("sha1 only", {"X-Hub-Signature-256": "", "X-Hub-Signature": "sha1=" + "0" * 40}, 401),
        ("sha1 in the 256 header", {"X-Hub-Signature-256": "sha1=" + "0" * 40}, 401),
        ("wrong secret", {"X-Hub-Signature-256": sign(load_fixture(LABELED), "other")}, 401),
        ("missing event", {"X-GitHub-Event": ""}, 400),
        ("missing delivery id", {"X-GitHub-Delivery": ""}, 400),
    ],
)
async def test_bad_headers(
    client: httpx.AsyncClient, case: str, headers: dict[str, str], status: int
) -> None:
    response = await post(client, "issues", load_fixture(LABELED), **headers)
    assert response.status_code == status, case
    assert response.json()["error"]


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe", b""])
async def test_malformed_body_signed_correctly_is_400(
    client: httpx.AsyncClient, body: bytes
) -> None:
    response = await post(client, "issues", body)
    assert response.status_code == 400


async def test_body_over_25_mib_is_413(client: httpx.AsyncClient) -> None:
    body = b'{"pad": "' + b"x" * (25 * 1024 * 1024) + b'"}'
    response = await post(client, "issues", body)
    assert response.status_code == 413


async def test_github_test_vector(tmp_path: Path, sqlite_store: Store) -> None:
    app = create_app(make_settings(tmp_path), store=sqlite_store)
    headers = {
        "X-GitHub-Event": "issues",
        "X-GitHub-Delivery": "vector-1",
        "X-Hub-Signature-256": (
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        ),
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post(URL, content=b"Hello, World!", headers=headers)
    # Signature accepted; "Hello, World!" is not a JSON object, so it is a 400, not a 401.
    assert response.status_code == 400
    assert "JSON" in response.json()["error"]


async def test_same_delivery_three_times_makes_one_job(
    client: httpx.AsyncClient, sqlite_store: Store
) -> None:
    body = load_fixture(LABELED)
    statuses = [
        (await post(client, "issues", body, **{"X-GitHub-Delivery": "d-1"})).status_code
        for _ in range(3)
    ]
    assert statuses == [202, 200, 200]
    jobs = await Queue(sqlite_store).recent()
    assert [(job.kind, job.delivery_id) for job in jobs] == [("fix_issue", "d-1")]


async def test_ping_is_200(client: httpx.AsyncClient) -> None:
    response = await post(client, "ping", load_fixture("ping/with-app_id.json"))
    assert (response.status_code, response.json()) == (200, {"outcome": "pong"})


async def test_labeled_issue_queues_a_fix_job(
    client: httpx.AsyncClient, sqlite_store: Store
) -> None:
    response = await post(client, "issues", load_fixture(LABELED))
    assert response.status_code == 202
    job = await Queue(sqlite_store).get(response.json()["job"])
    assert job is not None
    assert (job.kind, job.state, job.repo) == ("fix_issue", "queued", "Codertocat/Hello-World")


async def test_no_webhook_secret_is_503(tmp_path: Path, sqlite_store: Store) -> None:
    app = create_app(make_settings(tmp_path, secret=None), store=sqlite_store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await post(client, "issues", load_fixture(LABELED))
    assert response.status_code == 503
    assert "GITHUB_WEBHOOK_SECRET" in response.json()["error"]


async def test_database_down_is_503_then_recovers(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the database directory should be")
    down = create_app(replace(settings, database_url=f"sqlite+aiosqlite:///{blocked}/x.db"))
    transport = httpx.ASGITransport(app=down)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await post(client, "issues", load_fixture(LABELED))
        ready = await client.get("/readyz")
    assert response.status_code == 503
    assert ready.status_code == 503


async def test_readiness_names_the_driver_error_only_to_an_operator(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the database directory should be")
    settings = replace(
        make_settings(tmp_path),
        database_url=f"sqlite+aiosqlite:///{blocked}/x.db",
        dashboard_token=Secret(DASHBOARD_TOKEN),
    )
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        operator = await client.get("/readyz", headers=OPERATOR)
        anyone = await client.get("/readyz")
        wrong = await client.get("/readyz", headers={"Authorization": "Bearer nope"})

    assert anyone.status_code == wrong.status_code == operator.status_code == 503
    assert anyone.json() == wrong.json() == {"status": "unavailable"}
    assert "cannot create the database directory" in operator.json()["error"]


async def test_health_ready_and_home(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ready"}
    home = (await client.get("/")).text
    assert "Honk" in home
    for name in ("GITHUB_APP_ID", "GITHUB_PRIVATE_KEY", "ANTHROPIC_API_KEY"):
        assert name not in home  # nothing about the secrets to someone unauthenticated


async def test_the_home_page_lists_missing_settings_to_an_operator(tmp_path: Path) -> None:
    settings = replace(make_settings(tmp_path), dashboard_token=Secret(DASHBOARD_TOKEN))
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        home = (await client.get("/", headers=OPERATOR)).text
    for name in ("GITHUB_APP_ID", "GITHUB_PRIVATE_KEY", "ANTHROPIC_API_KEY"):
        assert name in home


async def test_delivery_log_line(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="honk.ingress")
    await post(client, "issues", load_fixture(LABELED), **{"X-GitHub-Delivery": "log-1"})
    record = next(r for r in caplog.records if r.name == "honk.ingress")
    fields = {k: getattr(record, k) for k in ("delivery", "event", "action", "outcome", "ms")}
    assert fields["delivery"] == "log-1"
    assert (fields["event"], fields["action"], fields["outcome"]) == ("issues", "labeled", "queued")
    assert isinstance(fields["ms"], float)
    assert SECRET not in json.dumps(vars(record), default=str)
