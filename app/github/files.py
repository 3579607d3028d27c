"""Files of a repository: one file at a ref (REST), or several of the default branch at once.

`default_branch_files` reads every file it is given in one GraphQL request (one
`object(expression: "HEAD:<path>")` per file, each expression a variable), on GitHub and on
GitHub Enterprise Server alike (githubkit sends GraphQL to `{host}/api/graphql` there). The
same limits as the REST read hold: a file over 1 MiB, binary, or cut short by GitHub is an
error, and a missing file is None.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any

from githubkit.exception import GraphQLFailed, RateLimitExceeded
from githubkit.utils import UNSET
from githubkit_schemas.latest.models import ContentFile

from app.core.errors import GitHubError
from app.github.calls import Refusal
from app.github.repo_base import RepoBase

MAX_FILE_BYTES = 1024 * 1024
BLOB_FIELDS = "... on Blob { text isBinary isTruncated byteSize }"


class RepoFiles(RepoBase):
    """Reading files; nothing is ever written through the API (git pushes)."""

    async def file_text(self, path: str, ref: str | None = None) -> str | None:
        """The UTF-8 text of `path` at `ref` (default branch when None); None when absent."""
        api_path = f"{self._path}/contents/{path}"
        found = await self._calls.parsed_unless(
            "GET",
            api_path,
            lambda: self._rest.repos.async_get_content(
                self.owner, self.name, path, ref=UNSET if ref is None else ref
            ),
            tolerate=(404,),
        )
        if isinstance(found, Refusal):
            return None
        if not isinstance(found, ContentFile):
            raise GitHubError(f"GitHub GET {api_path}: not a file")
        return _decode_file(found, api_path)

    async def default_branch_files(self, paths: Sequence[str]) -> dict[str, str | None]:
        """The text of each of `paths` on the default branch (None when absent), one request."""
        query, variables = files_query(self.owner, self.name, paths)
        response = await self._calls.send(
            "POST",
            "/graphql",
            lambda: self._github.graphql._arequest(query, variables),
            repeatable=True,  # a query: asking twice does no harm
        )
        if isinstance(response, Refusal):  # not reached: nothing was tolerated
            raise response.error("POST", "/graphql")
        try:
            data = self._github.graphql.parse_graphql_response(response)
        except GraphQLFailed as exc:
            words = "; ".join(error.message for error in exc.response.errors or [])
            raise GitHubError(f"GitHub POST /graphql failed: {words or 'no message'}") from None
        except RateLimitExceeded:
            raise GitHubError("GitHub rate limit (POST /graphql)", 429) from None
        repository = data.get("repository") or {}
        return {path: _blob_text(repository.get(f"f{i}"), path) for i, path in enumerate(paths)}


def files_query(owner: str, name: str, paths: Sequence[str]) -> tuple[str, dict[str, str]]:
    """The GraphQL query and variables reading `paths` of the default branch (`HEAD`)."""
    params = "".join(f", $f{i}: String!" for i in range(len(paths)))
    objects = " ".join(
        f"f{i}: object(expression: $f{i}) {{ {BLOB_FIELDS} }}" for i in range(len(paths))
    )
    query = (
        f"query($owner: String!, $name: String!{params}) "
        f"{{ repository(owner: $owner, name: $name) {{ {objects} }} }}"
    )
    variables = {"owner": owner, "name": name}
    variables |= {f"f{i}": f"HEAD:{path}" for i, path in enumerate(paths)}
    return query, variables


def _blob_text(blob: Any, path: str) -> str | None:
    """A file's text from its `object` (None: no such file, or a directory)."""
    where = f"GitHub POST /graphql ({path})"
    if not isinstance(blob, dict) or "isBinary" not in blob:
        return None  # absent, or a tree: not a file
    if int(blob.get("byteSize") or 0) > MAX_FILE_BYTES:
        raise GitHubError(f"{where}: {blob['byteSize']} bytes, over the 1 MiB limit")
    if blob.get("isBinary") or blob.get("text") is None:
        raise GitHubError(f"{where}: not UTF-8 text (binary)")
    if blob.get("isTruncated"):
        raise GitHubError(f"{where}: GitHub cut the text short")
    return str(blob["text"])


def _decode_file(file: ContentFile, api_path: str) -> str:
    if file.size > MAX_FILE_BYTES:
        raise GitHubError(f"GitHub GET {api_path}: {file.size} bytes, over the 1 MiB limit")
    if file.encoding != "base64":
        raise GitHubError(f"GitHub GET {api_path}: unexpected encoding {file.encoding!r}")
    try:
        return base64.b64decode(file.content).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise GitHubError(f"GitHub GET {api_path}: not UTF-8 text ({exc})") from None
