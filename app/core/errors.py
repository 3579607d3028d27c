"""Honk's one exception hierarchy.

HonkError
├── ConfigError                 a setting is missing or malformed (names the variable)
│   └── RepoConfigError         .github/honk.yml cannot be used (names the field)
├── WebhookError                a delivery Honk will not accept
│   ├── SignatureError          missing, non-sha256 or wrong X-Hub-Signature-256 (401)
│   ├── PayloadError            malformed body or headers (400)
│   └── PayloadTooLarge         body over the 25 MiB cap (413)
├── StoreError                  the database failed
│   └── DatabaseUnavailable     cannot reach the database (503, GitHub may redeliver)
├── QueueError                  a job transition that is not allowed
│   └── LeaseLost               the job's lease passed to another worker
├── FlowError                   a job cannot be carried out (fails without retry)
│   └── Unfinished              the agent stopped early; its work went out as WIP on a draft PR
├── GitHubError                 the GitHub API refused or failed
├── SlackError                  the Slack Web API refused or failed
├── SignInError                 GitHub sign-in failed (OAuth exchange, /user, refresh)
├── SetupError                  GitHub refused or failed the App manifest code exchange (/setup)
├── BadSeal                     a signed cookie or link that is tampered, misdirected or expired
├── WorkspaceError              a git operation failed
├── SandboxError                the sandbox cannot run a command
│   ├── SandboxUnavailable      bubblewrap cannot run here and HONK_SANDBOX=none was not set
│   └── EgressRefused           a setup command's connection the egress policy refuses
├── ToolError                   a tool call the model made is invalid (returned as an observation)
├── ModelError                  the Messages API failed after retries
│   └── ContextOverflow         the request no longer fits the model's context window
└── AgentEnded                  the agent loop stops (mini-swe-agent's terminating exceptions)
    ├── Submitted               the model ended its turn: the summary is the message
    ├── LimitsExceeded          a budget (turns, USD, wall clock) ran out
    ├── Cancelled               someone asked the job to stop
    └── Refused                 the model refused the task
"""

from __future__ import annotations


class HonkError(Exception):
    """Base of every error Honk raises on purpose."""


class ConfigError(HonkError):
    """A setting is missing or malformed; the message names the variable."""


class RepoConfigError(ConfigError):
    """`.github/honk.yml` cannot be used: `field` (dotted path, "" = whole file) and `problem`."""

    def __init__(self, path: str, field: str, problem: str) -> None:
        where = f"{path}: {field}" if field else path
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.field = field
        self.problem = problem


class WebhookError(HonkError):
    """A delivery Honk will not accept; `status` is the HTTP answer."""

    status = 400


class SignatureError(WebhookError):
    """The X-Hub-Signature-256 header is missing, not sha256, or wrong."""

    status = 401


class PayloadError(WebhookError):
    """The body or the headers are malformed."""

    status = 400


class PayloadTooLarge(WebhookError):
    """The body is over the 25 MiB cap GitHub itself applies."""

    status = 413


class StoreError(HonkError):
    """The database failed."""


class DatabaseUnavailable(StoreError):
    """The database cannot be reached."""


class QueueError(HonkError):
    """A job state transition that is not allowed."""


class LeaseLost(QueueError):
    """The worker no longer holds the job's lease."""


class FlowError(HonkError):
    """A job cannot be carried out; the message says why."""


class Unfinished(FlowError):
    """The agent stopped before finishing and its work was published as unfinished (WIP).

    The job's last word is already written; `stopped` says whether a stop ended it (the job
    is then cancelled) rather than a budget, a refusal or a model failure (it fails).
    """

    def __init__(self, message: str, *, stopped: bool) -> None:
        super().__init__(message)
        self.stopped = stopped


class GitHubError(HonkError):
    """The GitHub API refused or failed; `status` is GitHub's HTTP answer, when there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def maybe_done(self) -> bool:
        """Whether GitHub may have carried the request out anyway (a 5xx, or no answer)."""
        return self.status is None or self.status >= 500


class SlackError(HonkError):
    """The Slack Web API refused or failed; `error` is Slack's error code, when there was one."""

    def __init__(self, message: str, error: str | None = None) -> None:
        super().__init__(message)
        self.error = error


class SignInError(HonkError):
    """GitHub sign-in failed: the code exchange, `GET /user` or a token refresh."""


class SetupError(HonkError):
    """GitHub refused or failed `/setup`'s manifest code exchange, or its answer is unusable."""


class BadSeal(HonkError):
    """A signed value that was tampered with, was made for another purpose, or is too old."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


class WorkspaceError(HonkError):
    """A git operation on a repository cache or worktree failed."""


class SandboxError(HonkError):
    """The sandbox cannot run a command."""


class SandboxUnavailable(SandboxError):
    """No usable sandbox and HONK_SANDBOX=none was not set on purpose."""


class EgressRefused(SandboxError):
    """A destination the setup egress policy refuses; the message says why."""


class ToolError(HonkError):
    """A tool call is invalid; the loop returns the message to the model."""


class ModelError(HonkError):
    """The Messages API failed after its retries."""


class ContextOverflow(ModelError):
    """The request no longer fits the model's context window."""


class AgentEnded(HonkError):
    """The agent loop ends; subclasses say how."""


class Submitted(AgentEnded):
    """The model ended its turn; the message is its summary."""


class LimitsExceeded(AgentEnded):
    """A budget (turns, USD, wall clock) ran out."""


class Cancelled(AgentEnded):
    """The job was asked to stop."""


class Refused(AgentEnded):
    """The model refused the task."""
