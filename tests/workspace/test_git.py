"""Running git: a minimal environment, the token only there, scrubbed errors, identity."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from app.core.config import Secret
from app.core.errors import WorkspaceError
from app.workspace.git import (
    INHERITED,
    NO_HOST_CONFIG,
    NON_INTERACTIVE,
    auth_env,
    identity_env,
    inherited_env,
    run_git,
    scrub_token,
)
from tests.fakes.git_remote import git
from tests.fakes.workspace_demo import HOST_SECRETS, install_git_spy

TOKEN = "ghs_TestToken0123456789abcdef"
BASIC = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
SHELL_ADDED = {"PWD"}  # the spy is a shell script: it exports its working directory


@pytest.mark.parametrize(
    ("url", "token", "key"),
    [
        ("https://github.com/o/r.git", TOKEN, "http.https://github.com/.extraheader"),
        ("http://127.0.0.1:8080/o/r.git", TOKEN, "http.http://127.0.0.1:8080/.extraheader"),
        ("https://github.com/o/r.git", None, None),
        ("file:///srv/o/r.git", TOKEN, None),
    ],
)
def test_auth_env_sets_one_extraheader_for_the_origin(
    url: str, token: str | None, key: str | None
) -> None:
    env = auth_env(url, Secret(token) if token else None)
    if key is None:
        assert env == {}
        return
    basic = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    assert env == {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": key,
        "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {basic}",
    }


async def test_git_errors_are_scrubbed_of_the_token() -> None:
    env = auth_env("https://github.com/o/r.git", Secret(TOKEN))
    with pytest.raises(WorkspaceError, match="is not a git command") as caught:
        await run_git(f"no-such-command-{TOKEN}", identity={}, time_limit=60.0, env=env)
    assert TOKEN not in str(caught.value) and "***" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"fatal: token {TOKEN} refused", "fatal: token *** refused"),
        (f"header: basic {BASIC}", "header: basic ***"),
        ("nothing secret here", "nothing secret here"),
    ],
    ids=["raw", "base64", "none"],
)
def test_scrub_token_hides_the_raw_and_the_base64_token(text: str, expected: str) -> None:
    env = auth_env("https://github.com/o/r.git", Secret(TOKEN))
    assert scrub_token(text, env) == expected
    assert scrub_token(text, {}) == text


def test_identity_env_names_both_author_and_committer() -> None:
    assert identity_env("Honk Bot", "honk@example.com") == {
        "GIT_AUTHOR_NAME": "Honk Bot",
        "GIT_AUTHOR_EMAIL": "honk@example.com",
        "GIT_COMMITTER_NAME": "Honk Bot",
        "GIT_COMMITTER_EMAIL": "honk@example.com",
    }


async def test_inherited_git_variables_are_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, decoy = tmp_path / "repo", tmp_path / "decoy.git"
    git("init", "-q", str(repo))
    git("init", "-q", "--bare", str(decoy))
    monkeypatch.setenv("GIT_DIR", str(decoy))
    out = await run_git("rev-parse", "--absolute-git-dir", identity={}, time_limit=60.0, cwd=repo)
    assert Path(out.strip()) == (repo / ".git").resolve()


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("PATH", True),
        ("HOME", True),
        ("LANG", True),
        ("LC_ALL", True),
        ("TZ", True),
        ("TMPDIR", True),
        ("SSL_CERT_FILE", True),
        ("GIT_SSL_CAINFO", True),
        ("https_proxy", True),
        ("HTTPS_PROXY", True),
        ("no_proxy", True),
        ("ANTHROPIC_API_KEY", False),
        ("GITHUB_PRIVATE_KEY", False),
        ("GITHUB_WEBHOOK_SECRET", False),
        ("SLACK_SIGNING_SECRET", False),
        ("HONK_DATABASE_URL", False),
        ("GIT_DIR", False),
        ("GIT_SSH_COMMAND", False),
        ("GIT_ASKPASS", False),
        ("SSH_AUTH_SOCK", False),
        ("LD_PRELOAD", False),
        ("path", False),
    ],
)
def test_inherited_env_keeps_only_the_allow_list(name: str, kept: bool) -> None:
    assert inherited_env({name: "value", "PATH": "/bin"}) == (
        {name: "value", "PATH": "/bin"} if kept else {"PATH": "/bin"}
    )


async def test_git_receives_the_allow_list_and_computed_variables_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = install_git_spy(tmp_path / "spy")
    monkeypatch.setenv("PATH", f"{spy.bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("https_proxy", "http://proxy.invalid:3128")
    for name, value in HOST_SECRETS.items():
        monkeypatch.setenv(name, value)
    identity = identity_env("Honk Bot", "honk@example.com")
    auth = auth_env("https://github.com/o/r.git", Secret(TOKEN))

    await run_git("version", identity=identity, time_limit=60.0, env=auth)

    [call] = spy.calls()
    allowed = {k: v for k, v in os.environ.items() if k in INHERITED}
    assert {k: v for k, v in call.env.items() if k not in SHELL_ADDED} == {
        **allowed,
        **NON_INTERACTIVE,
        **identity,
        **auth,
        **NO_HOST_CONFIG,
    }
    assert call.env["HOME"] == str(tmp_path / "home")
    assert call.env["https_proxy"] == "http://proxy.invalid:3128"
    assert not any(
        secret in value for secret in HOST_SECRETS.values() for value in call.env.values()
    )


async def test_a_timed_out_git_gets_sigterm_first_so_it_can_remove_its_locks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir, marker = tmp_path / "bin", tmp_path / "terminated"
    bin_dir.mkdir()
    (bin_dir / "git").write_text(
        "#!/bin/sh\n"
        "sleep 60 & child=$!\n"
        f"trap 'kill $child; echo term > {marker}; exit 143' TERM\n"
        "wait\n"
    )
    (bin_dir / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(WorkspaceError, match="timed out"):
        await run_git("fetch", identity={}, time_limit=0.5)
    assert marker.read_text() == "term\n"
