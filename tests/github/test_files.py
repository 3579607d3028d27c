"""The default branch's files in one GraphQL request, against the fake's GraphQL (graphql-core)."""

from __future__ import annotations

import pytest

from app.core.errors import GitHubError
from app.github.files import files_query
from tests.fakes.github.graphql_files import answer
from tests.fakes.github.session import GitHubSession

PATHS = (".github/honk.yml", "AGENTS.md", "CLAUDE.md", ".github/copilot-instructions.md")


async def test_the_files_of_the_default_branch_come_in_one_request(gh: GitHubSession) -> None:
    gh.repo.default_branch = "trunk"
    gh.repo.set_file(".github/honk.yml", "test: make test\n")
    gh.repo.set_file("AGENTS.md", "Run `make lint`.\nünïcode\n")
    gh.repo.set_file("CLAUDE.md", "elsewhere\n", ref="feature")  # not the default branch

    found = await gh.client.default_branch_files(PATHS)

    assert found == {
        ".github/honk.yml": "test: make test\n",
        "AGENTS.md": "Run `make lint`.\nünïcode\n",
        "CLAUDE.md": None,
        ".github/copilot-instructions.md": None,
    }
    sent = [r for r in gh.fake.requests if not r.path.endswith("/access_tokens")]
    [request] = sent
    assert (request.method, request.path) == ("POST", "/graphql")
    assert request.headers["authorization"].startswith("token ")
    variables = request.json["variables"]
    assert [variables[f"f{i}"] for i in range(4)] == [f"HEAD:{path}" for path in PATHS]
    assert (variables["owner"], variables["name"]) == ("octo", "widgets")


async def test_a_folder_is_no_file(gh: GitHubSession) -> None:
    gh.repo.set_file(".github/workflows/ci.yml", "on: push\n")

    assert await gh.client.default_branch_files([".github"]) == {".github": None}


@pytest.mark.parametrize(
    ("content", "error"),
    [(b"x" * (1024 * 1024 + 1), "over the 1 MiB limit"), (b"\xff\xfe\0binary", "not UTF-8")],
)
async def test_large_or_binary_files_are_refused(
    gh: GitHubSession, content: bytes, error: str
) -> None:
    gh.repo.set_file("AGENTS.md", content)

    with pytest.raises(GitHubError, match=error):
        await gh.client.default_branch_files(["AGENTS.md"])


async def test_a_graphql_error_is_a_github_error(gh: GitHubSession) -> None:
    await gh.client.repository()  # its token minted while the repository was there
    del gh.fake.repos["octo/widgets"]

    with pytest.raises(GitHubError, match="Could not resolve to a Repository"):
        await gh.client.default_branch_files(["AGENTS.md"])


def test_the_fake_refuses_what_github_would_and_literal_expressions() -> None:
    query, variables = files_query("octo", "widgets", ["AGENTS.md"])
    unknown = query.replace("isTruncated", "isGenerated")
    literal = 'query { repository(owner: "o", name: "r") { object(expression: "HEAD:a") { oid } } }'

    refused = answer({}, unknown, variables)["errors"][0]["message"]
    assert "Cannot query field 'isGenerated'" in refused
    assert answer({}, literal, {})["errors"] == [
        {"message": "the fake expects expressions as variables"}
    ]
    missing = {k: v for k, v in variables.items() if k != "f0"}
    assert "to be provided" in answer({}, query, missing)["errors"][0]["message"]
