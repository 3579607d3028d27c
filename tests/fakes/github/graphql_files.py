"""The fake GitHub's GraphQL for reading files: `repository { object(expression:) }`.

A query is checked against a small part of GitHub's own GraphQL schema (its type and field
names, argument types and nullability as GitHub's schema has them) and run by graphql-core, so
a query GitHub would refuse is refused here, with GitHub's kind of error (`200` with `errors`).
Each expression (`HEAD:<path>` or `<branch>:<path>`) is resolved against the fake repository's
files; an expression written into the query rather than passed as a variable is refused, as
Honk always passes them as variables. A missing file is `null`; a folder is a `Tree`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLResolveInfo,
    VariableNode,
    build_schema,
    execute_sync,
    parse,
    validate,
    visit,
)
from graphql.language import Visitor

from tests.fakes.github.state import FakeRepo

SCHEMA = build_schema("""
    scalar GitObjectID
    type Query {
      repository(owner: String!, name: String!, followRenames: Boolean = true): Repository
    }
    type Repository {
      nameWithOwner: String!
      object(expression: String, oid: GitObjectID): GitObject
    }
    interface GitObject { oid: GitObjectID! }
    type Blob implements GitObject {
      oid: GitObjectID!
      byteSize: Int!
      isBinary: Boolean
      isTruncated: Boolean!
      text: String
    }
    type Tree implements GitObject { oid: GitObjectID! }
""")


def answer(repos: dict[str, FakeRepo], query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """The GraphQL answer body for `query`: `data`, or `errors` (GitHub answers 200 either way)."""
    try:
        document = parse(query)
    except GraphQLError as exc:
        return {"errors": [{"message": exc.message}]}
    problems = validate(SCHEMA, document) or _literal_expressions(document)
    if problems:
        return {"errors": [{"message": problem.message} for problem in problems]}
    root = {"repository": lambda info, owner, name, **_: _repository(repos, owner, name)}
    result = execute_sync(SCHEMA, document, root_value=root, variable_values=variables)
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [{"type": "NOT_FOUND", "message": e.message} for e in result.errors]
    return body


def _literal_expressions(document: DocumentNode) -> list[GraphQLError]:
    """`object(expression: "...")` written into the query: Honk passes variables only."""
    found: list[GraphQLError] = []

    class Expressions(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> None:
            arguments: tuple[ArgumentNode, ...] = tuple(node.arguments or ())
            for argument in arguments:
                if argument.name.value == "expression" and not isinstance(
                    argument.value, VariableNode
                ):
                    found.append(GraphQLError("the fake expects expressions as variables"))

    visit(document, Expressions())
    return found


def _repository(repos: dict[str, FakeRepo], owner: str, name: str) -> dict[str, Any]:
    repo = repos.get(f"{owner}/{name}")
    if repo is None:
        raise GraphQLError(f"Could not resolve to a Repository with the name '{owner}/{name}'.")
    return {"nameWithOwner": repo.full_name, "object": _object_of(repo)}


def _object_of(repo: FakeRepo) -> Any:
    def resolve(info: GraphQLResolveInfo[Any], expression: str | None = None, **_: Any) -> Any:
        ref, _colon, path = (expression or "").partition(":")
        branch = repo.default_branch if ref in ("HEAD", "") else ref
        data = repo.files.get((branch, path))
        if data is not None:
            return _blob(data)
        inside = any(b == branch and p.startswith(f"{path}/") for b, p in repo.files)
        return {"__typename": "Tree", "oid": _oid(path.encode())} if inside else None

    return resolve


def _blob(data: bytes) -> dict[str, Any]:
    try:
        text: str | None = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    binary = text is None or "\0" in text
    return {
        "__typename": "Blob", "oid": _oid(data), "byteSize": len(data), "isBinary": binary,
        "isTruncated": False, "text": None if binary else text,
    }  # fmt: skip


def _oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # noqa: S324
