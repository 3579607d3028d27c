"""What flows use from outside, built once per worker process: GitHub, git, sandbox, store."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.config import Secret, Settings
from app.core.egress import EgressPolicy
from app.core.errors import FlowError, SandboxUnavailable
from app.core.sealing import Sealer
from app.flows.retention import make_private
from app.github.client import GitHubApp
from app.sandbox.egress_proxy import Resolver, system_resolve
from app.sandbox.sandbox import Sandbox
from app.slack.client import SlackClient
from app.store.accounts import Accounts
from app.store.app_credentials import LiveSettings
from app.store.pulls import PullRequests
from app.store.queue import Queue
from app.store.secret_key import secret_key
from app.store.slack_records import SlackRecords
from app.workspace.workspace import Workspace


@dataclass(frozen=True)
class SetupEgress:
    """Where setup commands may connect (the egress proxy's policy) and how names resolve."""

    policy: EgressPolicy
    resolve: Resolver = system_resolve


class Services:
    """Shared by every job of a worker process; each part is built when first needed."""

    def __init__(
        self,
        settings: Settings,
        queue: Queue,
        *,
        github: GitHubApp | None = None,
        sandbox: Sandbox | None = None,
        egress: SetupEgress | None = None,
        slack: SlackClient | None = None,
    ) -> None:
        self.settings = settings
        self.queue = queue
        make_private(settings.data_dir)
        self.pulls = PullRequests(queue.store, clock=queue.clock)
        self._github = github
        self._github_given = github is not None
        self._github_from: tuple[object, ...] | None = None
        self.live = LiveSettings(settings)  # the App credentials `/setup` saved, when it did
        self._sandbox = sandbox
        self._workspace: Workspace | None = None
        self._slack = slack
        self._accounts: Accounts | None = None
        self.slack_records = SlackRecords(queue.store, clock=queue.clock)
        # Tests give a policy for their stand-in registry; else the operator's HONK_SETUP_ALLOW.
        self.egress = egress or SetupEgress(EgressPolicy(allowed=settings.setup_allow))

    @property
    def github(self) -> GitHubApp:
        """The GitHub App client (ConfigError when its credentials are not set); built again
        when the App's credentials change (a `/setup` run by the web process, no restart)."""
        if self._github_given and self._github is not None:
            return self._github
        current = self.live()
        source = (current.github_app_id, current.github_private_key, current.github_api_url)
        if self._github is None or source != self._github_from:
            self._github = GitHubApp(current)
            self._github_from = source
        return self._github

    @property
    def slack(self) -> SlackClient:
        """The Slack Web API client (ConfigError when SLACK_BOT_TOKEN is not set)."""
        if self._slack is None:
            self._slack = SlackClient.from_settings(self.settings)
        return self._slack

    @property
    def accounts(self) -> Accounts:
        """Signed-in people and their Slack links (user tokens sealed with HONK_SECRET_KEY)."""
        if self._accounts is None:
            sealer = Sealer(secret_key(self.settings))
            self._accounts = Accounts(self.queue.store, sealer, clock=self.queue.clock)
        return self._accounts

    def sandbox(self) -> Sandbox:
        """The probed sandbox; a job fails for good, saying why, when there is none."""
        if self._sandbox is None:
            try:
                self._sandbox = Sandbox.probe(self.settings.sandbox)
            except SandboxUnavailable as exc:
                raise FlowError(str(exc)) from exc
        return self._sandbox

    async def workspace(self, token: Secret) -> Workspace:
        """Repository caches and worktrees; commits are authored by the app's bot account
        (its email asked once with `token`, an installation token, unless HONK_BOT_EMAIL)."""
        if self._workspace is None:
            name, email = await self.github.bot_identity(token)
            workspace = Workspace(self.settings.data_dir.resolve(), git_name=name, git_email=email)
            await workspace.sweep()  # what jobs killed before this start left behind
            self._workspace = workspace
        return self._workspace
