"""The judge's cost: reading GitHub's API description, and judging one request.

What the test suite pays: the description is parsed once per process (orjson, ~13 MB), each
API version's validator is built on its first request, then every request the fake GitHub
receives is matched to its endpoint and validated (openapi-core). The requests are a typical
issue → PR job's, named in GitHub's own API version headers.
"""

from __future__ import annotations

import statistics
import time
from functools import partial

from tests.fakes.github import description
from tests.fakes.github.judge import Judge, Seen, take_violations

REPO = "/repos/octo/widgets"
BODY = b'{"body": "Working on it", "in_reply_to": 1, "commit_id": "abc", "path": "calc.py"}'
JOB = [
    Seen("POST", "/app/installations/77/access_tokens", [], b'{"repositories":["widgets"]}', {}),
    Seen("GET", REPO, [], b"", {}),
    Seen("GET", f"{REPO}/collaborators/mona/permission", [], b"", {}),
    Seen("POST", f"{REPO}/issues/1/reactions", [], b'{"content": "eyes"}', {}),
    Seen("GET", f"{REPO}/issues/1/comments", [("per_page", "100"), ("page", "1")], b"", {}),
    Seen("POST", f"{REPO}/issues/1/comments", [], b'{"body": "Working"}', {}),
    Seen("GET", f"{REPO}/contents/.github/honk.yml", [("ref", "main")], b"", {}),
    Seen("GET", f"{REPO}/pulls", [("state", "open"), ("head", "octo:honk/issue-1")], b"", {}),
    Seen("POST", f"{REPO}/pulls", [], b'{"title": "Fix", "head": "h", "base": "main"}', {}),
    Seen("PATCH", f"{REPO}/issues/comments/9", [], b'{"body": "Done"}', {}),
    Seen("POST", f"{REPO}/pulls/2/comments", [], BODY, {}),
    Seen("DELETE", f"{REPO}/git/refs/heads/honk/issue-1", [], b"", {}),
]
ROUNDS = 30


def timed(what: str, work: object) -> float:
    start = time.perf_counter()
    assert callable(work)
    work()
    took = time.perf_counter() - start
    print(f"{what:52} {took * 1000:8.1f} ms")
    return took


def main() -> None:
    try:
        description.path_of(description.GITHUB)
    except description.DescriptionMissing as exc:
        raise SystemExit(str(exc)) from None
    print(f"@octokit/openapi {description.pinned_version()}")
    timed("parse api.github.com.json (once per process)", description.load)
    timed("breaking changes of 2026-03-10 applied", lambda: description.for_version(
        description.GITHUB, "2026-03-10"))  # fmt: skip
    judge = Judge(description.GITHUB)
    for version in ("2022-11-28", "2026-03-10"):
        first = Seen("GET", REPO, [], b"", {"x-github-api-version": version})
        timed(f"first request of {version} (validator built)", partial(judge.check, first))
    costs = []
    for round_ in range(ROUNDS):
        for seen in JOB:
            fresh = Seen(seen.method, seen.path, [*seen.query, ("r", str(round_))], seen.body, {})
            start = time.perf_counter()
            judge.check(fresh)  # a request not judged before (its verdict is then kept)
            costs.append(time.perf_counter() - start)
    assert take_violations() == [], "the benchmark's requests are valid"
    costs.sort()
    p95 = costs[int(len(costs) * 0.95)]
    print(
        f"per request over {len(costs)} ({len(JOB)} kinds): median "
        f"{statistics.median(costs) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms, "
        f"max {costs[-1] * 1000:.2f} ms; an issue → PR job of ~20 requests: "
        f"{statistics.mean(costs) * 20 * 1000:.0f} ms"
    )
