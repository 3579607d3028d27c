"""A person's own calls (their user token) and the App's installation lookup, against the fake."""

from __future__ import annotations

import pytest

from app.core.config import Secret
from app.core.errors import GitHubError, SignInError
from app.github.calls import Refusal
from app.github.user_token import TokenRefresher
from tests.fakes.github.merging import HEAD_MODIFIED, person_tokens, serve_oauth
from tests.fakes.github.oauth import FakeGitHubOAuth, FakePerson
from tests.fakes.github.session import INSTALLATION_ID, REPO, GitHubSession

MONA = "ghu_mona_user_token"


@pytest.fixture
def mona(gh: GitHubSession) -> GitHubSession:
    gh.fake.users = {MONA: "mona"}.get
    gh.repo.set_permission("mona", "write")
    return gh


async def test_installation_for_a_repository_and_none_where_not_installed(
    gh: GitHubSession,
) -> None:
    assert await gh.app.installation_for(REPO) == INSTALLATION_ID
    assert await gh.app.installation_for("octo/elsewhere") is None
    (asked, _) = gh.fake.requests_to("GET", r"/repos/octo/\w+/installation")
    assert asked.headers["authorization"].startswith("Bearer ey")  # the App's JWT


async def test_calls_are_made_with_the_persons_own_token(mona: GitHubSession) -> None:
    number = mona.repo.add_pull("honk/slack-1", user="honk[bot]", draft=True)
    client = mona.app.as_user(MONA)

    pull = await client.pull(REPO, number)
    review_id = await client.approve(REPO, number, pull.head_sha)
    (review,) = await client.reviews(REPO, number)
    assert review_id == review.id
    assert await client.mark_ready(pull.node_id) is None

    assert (pull.draft, review.user, review.state) == (True, "mona", "APPROVED")
    assert mona.repo.pulls[number].draft is False
    sent = [r.headers["authorization"] for r in mona.fake.requests]
    assert sent == [f"token {MONA}"] * 4


async def test_githubs_refusals_come_back_in_its_own_words(mona: GitHubSession) -> None:
    number = mona.repo.add_pull("honk/slack-1", user="mona")
    mona.repo.merging.required_approvals = 2
    client = mona.app.as_user(MONA)
    head = mona.repo.pulls[number].head_sha

    own = await client.approve(REPO, number, head)
    moved = await client.merge(REPO, number, "f" * 40, "squash")
    protected = await client.merge(REPO, number, head, "squash")
    unknown = await client.mark_ready("PR_nothing")

    assert own == Refusal(422, "Unprocessable Entity; Review Can not approve your own pull request")
    assert moved == Refusal(409, HEAD_MODIFIED)
    expected = "At least 2 approving reviews are required by reviewers with write access."
    assert protected == Refusal(405, expected)
    assert unknown == Refusal(422, "Could not resolve to a node with the global id of 'PR_nothing'")
    assert not mona.repo.pulls[number].merged


async def test_an_unknown_user_token_is_a_github_error(gh: GitHubSession) -> None:
    number = gh.repo.add_pull("honk/slack-1")
    with pytest.raises(GitHubError) as caught:
        await gh.app.as_user("ghu_nobody").pull(REPO, number)
    assert caught.value.status == 401


async def test_a_refresh_trades_the_refresh_token_for_a_working_user_token() -> None:
    oauth = FakeGitHubOAuth()
    person = FakePerson(583231, "mona")
    first = oauth._grant(person)
    async with serve_oauth(oauth) as url:
        refresh = TokenRefresher(url, oauth.client_id, Secret(oauth.client_secret))
        grant = await refresh(str(first["refresh_token"]))
        with pytest.raises(SignInError, match="The code passed is incorrect or expired"):
            await refresh(str(first["refresh_token"]))  # single use, like GitHub's

    assert person_tokens(oauth)(grant.access_token) == "mona"
    assert grant.expires_in == 28800 and grant.refresh_token != first["refresh_token"]
    assert oauth.token_posts[0]["grant_type"] == "refresh_token"
