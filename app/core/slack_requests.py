"""What a person wrote to Honk in Slack, as a typed request, and which repository it is for.

`parse_slack_text` reads the text of `/honk TEXT`, of a message that mentions Honk, or of a DM:
the bot's mention is dropped, Slack's markup is undone (`<https://x|label>` -> `label`,
`<#C1|name>` -> `#name`, `<@U1>` -> `@U1`, `&lt; &gt; &amp;` -> `< > &`), and the text becomes
one of the rows of DESIGN.md's table:

| text | request |
|---|---|
| `OWNER/REPO TASK…` | `Task(repo, text)` |
| `OWNER/REPO#N [NOTES…]` | `FixItem(repo, number, notes)` |
| `TASK…` | `Task(None, text)`: the thread's job or the channel default decides |
| `repo OWNER/REPO` | `SetRepo(repo)` |
| `link` · `unlink` · `jobs` · `help` (the whole text, any case) | `Link()` … `Help()` |

A first word with exactly one `/` names a repository and is validated like GitHub's names (owner:
1-39 letters, digits or inner single hyphens; name: letters, digits, `.`, `_`, `-`, at most
100, not `.` or `..`); a wrong one gets `Unknown(text, reason)`, never a guess. So a task that
opens with a path of one `/` (`src/app.py …`) reads as a repository; `a/b/c …` does not. Empty
text is `Empty(reason)`. A reply in a job's thread reads the same way: a `Task(None, text)` there
is the follow-up on that job's PR (the caller knows the thread). `resolve_repository` picks the
repository: explicit, else the thread's job, else the channel default, else `Needs(how to name
one)`. `Unknown.text` is the person's raw text; only `reason` (secrets redacted) is for posting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.core.model_text import redact_secrets

_OWNER = re.compile(r"[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}")
_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
_REPO_WORD = re.compile(r"(?P<owner>[^/\s#]+)/(?P<name>[^/\s#]+)(?:#(?P<number>\S*))?")
_MARKUP = re.compile(r"<([^<>]*)>")
_FIRST_WORD = re.compile(r"(\S+)\s*(.*)", re.DOTALL)
MAX_ISSUE_NUMBER = 2**31 - 1

NAME_HOW = "`repo owner/repo` or `owner/repo the task…`"
NEEDS_REPOSITORY = (
    "Which repository? Name it first: `owner/repo the task…`\n"
    "Or set this channel's: `repo owner/repo`"
)


@dataclass(frozen=True)
class Task:
    """A new task; `repo` is None when the text did not name one."""

    repo: str | None
    text: str


@dataclass(frozen=True)
class FixItem:
    """As `/honk fix [notes]` on issue or PR `number` of `repo`."""

    repo: str
    number: int
    notes: str


@dataclass(frozen=True)
class SetRepo:
    """Set the channel's default repository."""

    repo: str


@dataclass(frozen=True)
class Link:
    """Connect the person's GitHub account."""


@dataclass(frozen=True)
class Unlink:
    """Disconnect the person's GitHub account."""


@dataclass(frozen=True)
class Jobs:
    """The person's recent jobs."""


@dataclass(frozen=True)
class Help:
    """Usage."""


@dataclass(frozen=True)
class Unknown:
    """Text that could not be read as a request; `reason` says what was wrong and how to fix it."""

    text: str
    reason: str


@dataclass(frozen=True)
class Empty:
    """Nothing was written besides the mention."""

    reason: str = "Nothing to do. `help` shows what Honk understands."


@dataclass(frozen=True)
class Needs:
    """No repository could be resolved: `text` says how to name one."""

    text: str = NEEDS_REPOSITORY


SlackRequest = Task | FixItem | SetRepo | Link | Unlink | Jobs | Help | Unknown | Empty
_KEYWORDS: dict[str, SlackRequest] = {
    "link": Link(),
    "unlink": Unlink(),
    "jobs": Jobs(),
    "help": Help(),
}


def parse_slack_text(text: str, bot_user_id: str | None = None) -> SlackRequest:
    """The request in a Slack text (see the module docstring)."""
    plain = plain_text(text, bot_user_id)
    if not plain:
        return Empty()
    keyword = _KEYWORDS.get(plain.lower())
    if keyword is not None:
        return keyword
    word, rest = _split_first(plain)
    if word.lower() == "repo":
        return _set_repo(plain, rest)
    if word.count("/") == 1 and _REPO_WORD.fullmatch(word):
        return _named_repo(plain, word, rest)
    return Task(None, plain)


def resolve_repository(
    explicit: str | None, thread_job_repo: str | None, channel_default: str | None
) -> str | Needs:
    """The repository a request is for, in that order; `Needs` when none is known."""
    for repo in (explicit, thread_job_repo, channel_default):
        if repo:
            return repo
    return Needs()


def plain_text(text: str, bot_user_id: str | None = None) -> str:
    """Slack text with the bot's mention dropped and Slack's markup undone, stripped.

    Without `bot_user_id`, a user mention that opens the text is taken for the bot's.
    """
    if bot_user_id:
        text = re.sub(rf"[ \t]*<@{re.escape(bot_user_id)}(?:\|[^<>]*)?>[ \t]*", " ", text)
    else:
        text = re.sub(r"\A\s*<@[UW][A-Z0-9]+(?:\|[^<>]*)?>", " ", text)
    text = _MARKUP.sub(lambda m: _unmarked(m.group(1)), text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text.strip()


def repo_error(repo: str) -> str | None:
    """Why `repo` is not a GitHub repository name (`owner/name`), or None when it is one."""
    owner, _, name = repo.partition("/")
    if not _OWNER.fullmatch(owner):
        return (
            f"`{_quoted(owner)}` is not a GitHub owner: 1-39 letters, digits or single "
            "hyphens inside."
        )
    if not _NAME.fullmatch(name) or name in (".", ".."):
        return (
            f"`{_quoted(name)}` is not a repository name: up to 100 letters, digits, "
            "`.`, `_` or `-`."
        )
    return None


def _unmarked(inner: str) -> str:
    """One `<…>` of Slack markup as the person saw it."""
    target, bar, label = inner.partition("|")
    if target.startswith("#"):
        return "#" + (label if bar else target[1:])
    if target.startswith("@"):
        return "@" + (label.lstrip("@") if bar else target[1:])
    if target.startswith("!"):
        special = target[1:].split("^", 1)[0]
        return label if bar else "@" + special
    return label if bar and label else target


def _split_first(text: str) -> tuple[str, str]:
    match = _FIRST_WORD.fullmatch(text)
    return (match.group(1), match.group(2).strip()) if match else (text, "")


def _set_repo(plain: str, rest: str) -> SlackRequest:
    if not rest:
        return Unknown(plain, "`repo` needs a repository: `repo owner/repo`")
    if len(rest.split()) > 1 or rest.count("/") != 1:
        return Unknown(plain, "`repo` takes one repository: `repo owner/repo`")
    error = repo_error(rest)
    return Unknown(plain, error) if error else SetRepo(rest)


def _named_repo(plain: str, word: str, rest: str) -> SlackRequest:
    match = _REPO_WORD.fullmatch(word)
    assert match is not None  # checked by the caller
    repo = f"{match['owner']}/{match['name']}"
    error = repo_error(repo)
    if error:
        return Unknown(plain, error)
    number = match["number"]
    if number is None:
        if not rest:
            return Unknown(plain, f"What should Honk do in {repo}? `{repo} the task…`")
        return Task(repo, rest)
    if not number.isdigit() or not 0 < int(number) <= MAX_ISSUE_NUMBER:
        return Unknown(
            plain, f"`#{_quoted(number)}` is not an issue or PR number: `{repo}#12 notes…`"
        )
    return FixItem(repo, int(number), rest)


def _quoted(text: str) -> str:
    """A piece of the person's text for an error inside backticks: one line, short, and
    secrets redacted before the cut (the cut could hide a secret from the patterns)."""
    flat = " ".join(redact_secrets(text).replace("`", "'").split())
    return flat if len(flat) <= 40 else flat[:39] + "…"
