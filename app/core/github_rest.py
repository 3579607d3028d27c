"""What every request to GitHub's REST API carries: Honk's user agent, the media type, the version.

GitHub picks the REST API's calendar version from `X-GitHub-Api-Version` (GITHUB_API_VERSION); a
GitHub Enterprise Server release answers 400 to a version it does not know.
"""

from __future__ import annotations

USER_AGENT = "Honk (GitHub App)"
MEDIA_TYPE = "application/vnd.github+json"


def rest_headers(api_version: str, token: str | None = None) -> dict[str, str]:
    """Headers for one REST request; with `token`, authenticated as its bearer."""
    headers = {
        "Accept": MEDIA_TYPE,
        "User-Agent": USER_AGENT,
        "X-GitHub-Api-Version": api_version,
    }
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return headers
