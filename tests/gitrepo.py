"""A real git repository in a temporary folder, built step by step with pinned dates.

For every git test of the project: `git init --initial-branch=main`, a local user, no gpg
signing, an isolated global configuration (GIT_CONFIG_GLOBAL, GIT_CONFIG_NOSYSTEM, HOME), and
a clock that advances one minute per commit from 2024-01-01, so shas are the same on every
machine. `fresh(tmp_path, monkeypatch)` makes one and isolates os.environ too (for the git
that ozrelease's history.py starts, which inherits it):

    def test_x(gitrepo: GitRepo) -> None:  # the fixture wraps fresh()
        gitrepo.commit(":sparkles: [#12] Add X", {"src/x.py": "x = 1\\n"})
        gitrepo.pull_request(13, "feature/13-y", [":bug: Fix y"], title=":bug: Fix y")
        gitrepo.tag("1.0.0", message="Release 1.0.0")
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

START = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
NAME = "Test Author"
EMAIL = "author@example.com"

Files = Mapping[str, str | bytes | None]
"""path -> new content (None deletes the file)."""


def isolated_env(home: Path) -> dict[str, str]:
    """Environment variables that keep the user's and the system's git configuration out."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / ".gitconfig"
    if not config.exists():
        config.write_text(
            "[user]\n\tname = Test Author\n\temail = author@example.com\n"
            "[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n"
            "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
            '[protocol "file"]\n\tallow = always\n',
            encoding="utf-8",
        )
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GIT_CONFIG_GLOBAL": str(config),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_AUTHOR_NAME": NAME,
        "GIT_AUTHOR_EMAIL": EMAIL,
        "GIT_COMMITTER_NAME": NAME,
        "GIT_COMMITTER_EMAIL": EMAIL,
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
    }


class GitRepo:
    """A repository under `path`; every helper returns the sha it made."""

    def __init__(self, path: Path, env: Mapping[str, str], *, clock: datetime = START) -> None:
        self.path = path
        self.env = {**os.environ, **env}
        for key in [k for k in self.env if k.startswith("GIT_") and k not in env]:
            del self.env[key]  # GIT_DIR and friends from an outer git would misdirect us
        self.clock = clock

    @classmethod
    def init(cls, path: Path, env: Mapping[str, str], *, bare: bool = False) -> GitRepo:
        path.mkdir(parents=True, exist_ok=True)
        repo = cls(path, env)
        repo.git("init", "--quiet", "--initial-branch=main", *(["--bare"] if bare else []))
        repo.git("config", "user.name", NAME)
        repo.git("config", "user.email", EMAIL)
        repo.git("config", "commit.gpgsign", "false")
        repo.git("config", "tag.gpgsign", "false")
        return repo

    # -- plumbing --------------------------------------------------------------------------

    def git(self, *args: str, input: bytes | None = None, check: bool = True) -> str:
        stamp = self._stamp()
        env = {**self.env, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        result = subprocess.run(
            ["git", *args],
            cwd=self.path,
            env=env,
            input=input,
            capture_output=True,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"git {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stderr.decode('utf-8', 'replace')}"
            )
        return result.stdout.decode("utf-8", "replace").strip()

    def _stamp(self) -> str:
        return f"{int(self.clock.timestamp())} +0000"

    def tick(self, minutes: int = 1) -> None:
        self.clock += timedelta(minutes=minutes)

    def rev(self, ref: str = "HEAD") -> str:
        return self.git("rev-parse", "--verify", f"{ref}^{{commit}}")

    def head(self) -> str:
        return self.rev("HEAD")

    def write(self, files: Files) -> None:
        for name, content in files.items():
            target = self.path / name
            if content is None:
                self.git("rm", "--quiet", "-r", "--", name)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
            self.git("add", "--", name)

    # -- porcelain -------------------------------------------------------------------------

    def commit(self, message: str, files: Files | None = None, *, author: str | None = None) -> str:
        """A commit with `files` written (or an empty commit without files)."""
        self.tick()
        if files:
            self.write(files)
        args = ["commit", "--quiet", "--allow-empty", "--no-verify", "-F", "-"]
        if author:
            args.append(f"--author={author}")
        self.git(*args, input=message.encode("utf-8"))
        return self.head()

    def commits(self, *messages: str) -> list[str]:
        """One commit per message, each touching its own file under src/."""
        out = []
        for message in messages:
            slug = "".join(c if c.isalnum() else "-" for c in message.lower())[:40]
            out.append(self.commit(message, {f"src/{slug}-{self.clock.minute}.txt": message}))
        return out

    def rename(self, old: str, new: str, message: str) -> str:
        self.tick()
        (self.path / new).parent.mkdir(parents=True, exist_ok=True)
        self.git("mv", old, new)
        self.git("commit", "--quiet", "-m", message)
        return self.head()

    def tag(self, name: str, ref: str = "HEAD", *, message: str | None = None) -> str:
        """A lightweight tag, or an annotated one when `message` is given."""
        self.tick()
        if message is None:
            self.git("tag", name, ref)
        else:
            self.git("tag", "--annotate", "--no-sign", "-m", message, name, ref)
        return self.rev(name)

    def branch(self, name: str, start: str = "HEAD") -> None:
        self.git("branch", name, start)

    def checkout(self, ref: str, *, detach: bool = False) -> None:
        self.git("checkout", "--quiet", *(["--detach"] if detach else []), ref)

    def merge(self, *refs: str, message: str | None = None, no_ff: bool = True) -> str:
        """`git merge` of one branch (with --no-ff by default) or several (octopus)."""
        self.tick()
        args = ["merge", "--quiet", "--no-edit"]
        if no_ff:
            args.append("--no-ff")
        if message is not None:
            args += ["-m", message]
        self.git(*args, *refs)
        return self.head()

    def pull_request(
        self,
        number: int,
        branch: str,
        messages: Sequence[str],
        *,
        title: str | None = None,
        org: str = "org",
        base: str = "main",
    ) -> str:
        """A branch from `base` with one commit per message, merged back the way GitHub does:
        `Merge pull request #N from org/branch`, the title in the body."""
        self.checkout(base)
        self.git("checkout", "--quiet", "-b", branch)
        self.commits(*messages)
        self.checkout(base)
        subject = f"Merge pull request #{number} from {org}/{branch}"
        return self.merge(branch, message=f"{subject}\n\n{title}" if title else subject)

    def cherry_pick(self, sha: str, *, record: bool = True) -> str:
        """`git cherry-pick` (with -x: the `(cherry picked from commit ...)` line)."""
        self.tick()
        self.git("cherry-pick", *(["-x"] if record else []), sha)
        return self.head()

    def commit_raw(
        self, message: bytes, *, encoding: str | None = None, parents: Sequence[str] | None = None
    ) -> str:
        """A commit whose message is exactly `message` (any bytes), with an `encoding` header
        when given, on the current branch. Written with hash-object, so git does not re-encode
        or "fix" it as `git commit` would."""
        self.tick()
        tree = self.git("write-tree")
        if parents is None:
            parents = (
                [self.head()]
                if self.git("rev-parse", "--verify", "--quiet", "HEAD", check=False)
                else []
            )
        stamp = self._stamp()
        header = [f"tree {tree}"] + [f"parent {p}" for p in parents]
        header += [f"author {NAME} <{EMAIL}> {stamp}", f"committer {NAME} <{EMAIL}> {stamp}"]
        if encoding:
            header.append(f"encoding {encoding}")
        raw = "\n".join(header).encode("ascii") + b"\n\n" + message
        sha = self.git("hash-object", "-t", "commit", "-w", "--stdin", input=raw)
        self.git("update-ref", "HEAD", sha)
        return sha

    def clone(self, dest: Path, *, depth: int | None = None, branch: str | None = None) -> GitRepo:
        """A clone (shallow with `depth`, through file:// so that --depth is honoured)."""
        args = ["clone", "--quiet", "--no-local"]
        if depth is not None:
            args += [f"--depth={depth}"]
        if branch is not None:
            args += ["--branch", branch]
        self.git(*args, f"file://{self.path}", str(dest))
        clone = GitRepo(dest, {}, clock=self.clock)
        clone.env = self.env
        return clone


def isolate(monkeypatch: pytest.MonkeyPatch, home: Path) -> dict[str, str]:
    """Isolate os.environ for the git that code under test starts too: outer GIT_* variables
    out, the isolated configuration in."""
    env = isolated_env(home)
    for key in [k for k in os.environ if k.startswith("GIT_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """An empty repository on branch main in tmp_path/repo, with git isolated. Test modules
    wrap it in a fixture:

        @pytest.fixture
        def gitrepo(tmp_path, monkeypatch):
            return fresh(tmp_path, monkeypatch)
    """
    return GitRepo.init(tmp_path / "repo", isolate(monkeypatch, tmp_path / "home"))
