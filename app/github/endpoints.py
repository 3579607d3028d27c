"""Every GitHub REST endpoint Honk calls: its method and path template, as GitHub names them.

The table follows the code: the test suite's fake GitHub refuses a request of Honk's to an
endpoint missing here, and a test checks that each one exists in the oldest GitHub Enterprise
Server description the pinned `@octokit/openapi` ships. GraphQL (`POST /graphql`, used to mark a
draft PR ready for review) is not part of the REST API and is not listed.
"""

from __future__ import annotations

from typing import NamedTuple

REPO = "/repos/{owner}/{repo}"
PULL = REPO + "/pulls/{pull_number}"


class Endpoint(NamedTuple):
    method: str
    template: str
    use: str  # what Honk calls it for


ENDPOINTS: tuple[Endpoint, ...] = (
    # as the App (its JWT)
    Endpoint("GET", "/app", "the App's slug: its bot login"),
    Endpoint("GET", "/app/installations", "honk doctor: installations"),
    Endpoint("GET", REPO + "/installation", "the installation of a repository (Slack)"),
    Endpoint("POST", "/app/installations/{installation_id}/access_tokens", "installation tokens"),
    # as an installation (its token, scoped to one repository)
    Endpoint("GET", "/users/{username}", "the bot account's id for its commit email"),
    Endpoint("GET", REPO, "default branch, clone URL, merge methods"),
    Endpoint("GET", REPO + "/collaborators/{username}/permission", "who may ask Honk"),
    Endpoint("GET", REPO + "/issues/{issue_number}", "the issue's text"),
    Endpoint("GET", REPO + "/issues/{issue_number}/comments", "Honk's own comments (markers)"),
    Endpoint("POST", REPO + "/issues/{issue_number}/comments", "progress and final comments"),
    Endpoint("PATCH", REPO + "/issues/comments/{comment_id}", "editing the progress comment"),
    Endpoint("POST", REPO + "/issues/{issue_number}/reactions", "👀 on an issue"),
    Endpoint("POST", REPO + "/issues/comments/{comment_id}/reactions", "👀 on a comment"),
    Endpoint("GET", REPO + "/pulls", "Honk's open PR for a branch"),
    Endpoint("POST", REPO + "/pulls", "opening the PR"),
    Endpoint("GET", PULL, "a PR's head, base and state"),
    Endpoint("PATCH", PULL, "the PR's body"),
    Endpoint("GET", PULL + "/reviews", "approvals before a merge from Slack"),
    Endpoint("POST", PULL + "/reviews", "Approve from Slack"),
    Endpoint("GET", PULL + "/reviews/{review_id}", "the submitted review"),
    Endpoint("GET", PULL + "/reviews/{review_id}/comments", "the review's comments"),
    Endpoint("GET", PULL + "/comments", "Honk's own thread replies (markers)"),
    Endpoint("POST", PULL + "/comments", "replies in review threads (in_reply_to)"),
    Endpoint("PUT", PULL + "/merge", "Merge from Slack"),
    Endpoint("GET", REPO + "/branches/{branch}", "whether a branch is protected"),
    Endpoint("DELETE", REPO + "/git/refs/{ref}", "deleting the branch of a closed PR"),
    Endpoint("GET", REPO + "/contents/{path}", ".github/honk.yml and instruction files"),
    Endpoint("GET", REPO + "/check-suites/{check_suite_id}/check-runs", "a failed CI suite"),
    Endpoint("GET", REPO + "/check-runs/{check_run_id}/annotations", "a failed check's notes"),
    Endpoint("GET", REPO + "/actions/jobs/{job_id}/logs", "a failed Actions job's log"),
    Endpoint("GET", REPO + "/commits/{ref}/check-runs", "the head's checks (Slack buttons)"),
    Endpoint("GET", REPO + "/actions/runs/{run_id}/artifacts", "build artifacts (Slack)"),
    # as a person (their user token: sign-in, the dashboard, Slack buttons)
    Endpoint("GET", "/user", "the signed-in person's login"),
    Endpoint("GET", "/user/repos", "the repositories a person may see on the dashboard"),
    # unauthenticated: the manifest code is the credential (/setup)
    Endpoint("POST", "/app-manifests/{code}/conversions", "the new App's credentials"),
)
