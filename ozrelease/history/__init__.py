"""Git history through GitPython, the only git user: commits (one streamed `git log`), tags, refs.

GitPython finds the repository (work trees, bare repositories, GIT_DIR, a path inside .git)
and reads refs, tags and their objects, remotes and configuration. The bulk history read is
one `git log` started through GitPython's command interface (`Git.execute(as_process=True)`)
and parsed as it streams: a GitPython object per commit costs hundreds of times more.
GitPython is imported when a History is made, so commands that never read git never load it.
"""

from __future__ import annotations

import fnmatch
import io
import os
import queue
import subprocess
import threading
from collections.abc import Callable, Generator, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from ozrelease.errors import GitError
from ozrelease.gitlog import (
    LOG_FORMAT,
    Commit,
    FileChange,
    GitFailed,
    Person,
    Scan,
    Tag,
    names_the_tag,
    parse_record,
    range_args,
    range_text,
    stop_process,
    tag_name_problem,
    tag_order,
)
from ozrelease.history.patches import SHAS_PER_CALL, read_patch_ids
from ozrelease.versions import tag_version

__all__ = [
    "SHALLOW_HINT", "Commit", "FileChange", "History", "Person", "Progress", "Scan",
    "ScanProgress", "Tag",
]  # fmt: skip

T = TypeVar("T")

Progress = Callable[[int], None]
"""Called with the number of commits read so far (every few hundred, and once at the end)."""

ScanProgress = Callable[[int, int], None]
"""Called with the commits read so far and the commits in the range, for a progress bar."""

SHALLOW_HINT = (
    "run `git fetch --unshallow --tags` (GitHub Actions: actions/checkout with `fetch-depth: 0`; "
    "GitLab CI: `GIT_DEPTH: 0`)"
)

_RECORD = b"\x00\x1e"
_CHUNK = 1 << 16
_AHEAD = 256
"""Chunks of git's output (of _CHUNK bytes: 16 MiB in all) read ahead of the parser
at most: beyond that git waits, so a long history never sits in memory whole."""
_PROGRESS_EVERY = 500


class History:
    """A git repository, read through one `git` process per query.

    Every method raises GitError (exit code 2) with a readable message when git fails, a ref
    is unknown, or the history needed is not there.

    git runs as a plain subprocess of the `git` on PATH, in the top of the work tree, with
    git's messages in English (LC_ALL=C) and no standard input.
    """

    def __init__(self, path: Path | str = ".") -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise GitError(f"no such directory: {self.path}")
        git = _gitpython()
        try:
            if os.environ.get("GIT_DIR") and self.path == Path():
                repo = git.Repo()  # (GIT_DIR and GIT_WORK_TREE, as git itself reads them)
            else:
                repo = git.Repo(self.path, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise GitError(f"not a git repository: {self.path}") from None
        self._repo = repo
        self.root: Path = Path(repo.working_tree_dir or repo.git_dir)
        """The top of the work tree (the git directory of a bare repository)."""
        # GitPython reads the files itself; git may still refuse the repository (dubious
        # ownership in a CI container), and this asks git once, so that it says why now.
        try:
            shallow = self._git(["rev-parse", "--is-shallow-repository"])
        except GitFailed as failed:
            raise GitError(failed.unreadable(self.path)) from None
        self._shallow = shallow.strip() == "true"
        self._tags: dict[str | None, tuple[Tag, ...]] = {}
        """tags() by `merged_into` sha (tags are read once per run)."""
        self._started_tags: dict[str, tuple[_Process, list[str]]] = {}
        """`git for-each-ref --merged` queries started ahead (start_tags), by sha."""
        self._tag_shas: dict[str, str] = {}
        """Version tag name -> the commit it points at, from the tags read: `resolve` needs
        no git for it (see gitlog.names_the_tag)."""
        self._verified: set[str] = set()
        """Full commit shas `resolve` has returned: each names itself (an object never
        changes), so resolving one again needs no git."""
        self._dates: dict[str, datetime] = {}
        """Committer dates by full sha (a commit's date never changes)."""

    # -- small queries -------------------------------------------------------------------

    def _run(self, *args: str) -> str:
        try:
            return self._git(list(args))
        except GitFailed as failed:
            raise GitError(failed.describe(args)) from None

    def resolve(self, ref: str) -> str:
        """The full sha of the commit `ref` names (a tag is peeled). Unknown refs raise
        GitError naming the ref; in a shallow clone the message says how to get the rest."""
        if ref in self._verified:
            return ref
        sha = self._tag_shas.get(ref)
        if sha is not None:
            return sha
        if not ref or ref.startswith("-") or "\0" in ref:
            raise GitError(f"unknown ref {ref!r}")
        try:
            out = self._git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"])
        except GitFailed:
            hint = ""
            if self._has_no_commits():
                hint = " (the repository has no commits yet)"
            elif self.is_shallow():
                hint = f" (this clone is shallow and may lack it: {SHALLOW_HINT})"
            raise GitError(f"unknown ref {ref!r}{hint}") from None
        sha = out.strip()
        self._verified.add(sha)  # (rev-parse printed a commit's full sha)
        return sha

    def is_ancestor(self, ancestor: str, of: str) -> bool:
        """Whether the commit `ancestor` is reachable from `of` (or is it)."""
        try:
            self._git(["merge-base", "--is-ancestor", self.resolve(ancestor), self.resolve(of)])
        except GitFailed:
            return False
        return True

    def _has_no_commits(self) -> bool:
        try:
            self._git(["rev-parse", "--verify", "--quiet", "HEAD"])
        except GitFailed:
            return True
        return False

    def is_shallow(self) -> bool:
        """Whether the clone was shallow when this History was made."""
        return self._shallow

    def shallow_boundary(self) -> frozenset[str]:
        """The commits whose parents a shallow clone lacks (empty when it is complete)."""
        if not self.is_shallow():
            return frozenset()
        path = Path(self._run("rev-parse", "--git-path", "shallow").strip())
        if not path.is_absolute():
            path = self.root / path
        try:
            return frozenset(path.read_text(encoding="ascii").split())
        except OSError:
            return frozenset()

    def remote_url(self, name: str = "origin") -> str | None:
        """The URL of a remote, or None when there is no such remote."""
        remote = next((r for r in self._repo.remotes if r.name == name), None)
        if remote is None:
            return None
        try:
            urls = list(remote.urls)  # (`git remote get-url`: insteadOf rules applied)
        except Exception:  # GitPython raises its own errors for a remote without a URL
            return None
        return urls[0] if urls else None

    def remotes(self) -> tuple[str, ...]:
        """The names of the repository's remotes, sorted."""
        return tuple(sorted({remote.name for remote in self._repo.remotes}))

    def branches(self, pattern: str = "*", *, remote: bool = False) -> tuple[str, ...]:
        """Branch names matching a glob (`stable/*`), sorted; `remote`: remote-tracking
        branches (`origin/stable/1.28.x`)."""
        prefix = "refs/remotes/" if remote else "refs/heads/"
        names = {
            ref.path.removeprefix(prefix)
            for ref in self._repo.references
            if ref.path.startswith(prefix) and not ref.path.endswith("/HEAD")
        }
        return tuple(sorted(n for n in names if fnmatch.fnmatchcase(n, pattern)))

    def commit_date(self, ref: str) -> datetime:
        """The committer date of `ref`'s commit, in the committer's time zone."""
        return self.commit_dates(ref)[0]

    def commit_dates(self, *refs: str) -> tuple[datetime, ...]:
        """commit_date of each ref, asking git once for those not read before."""
        shas = [self.resolve(ref) for ref in refs]
        unread = list(dict.fromkeys(sha for sha in shas if sha not in self._dates))
        if unread:
            out = self._run("show", "-s", "--no-walk=unsorted", "--format=%H %cI", *unread)
            for line in out.splitlines():
                sha, _, when = line.partition(" ")
                if when:
                    self._dates[sha] = datetime.fromisoformat(when)
        return tuple(self._dates[sha] for sha in shas)

    def count(self, to: str = "HEAD", *, since: str | None = None) -> int:
        """How many commits a `commits(to, since=since)` scan would read (cheap: no diffs)."""
        out = self._run("rev-list", "--count", *range_args(self.resolve(to), self._since(since)))
        return int(out.strip() or 0)

    def subjects(self, to: str = "HEAD", *, limit: int = 200) -> tuple[str, ...]:
        """The subjects of the newest `limit` commits reachable from `to`, newest first."""
        out = self._run("log", "-z", f"--max-count={limit}", "--format=%s", self.resolve(to))
        return tuple(s for s in out.split("\0") if s)

    # -- tags ----------------------------------------------------------------------------

    def tags(self, *, merged_into: str | None = None) -> tuple[Tag, ...]:
        """Tags pointing at commits, sorted by version (non-versions first, by name).

        `merged_into`: only the tags reachable from that ref. One `git for-each-ref` through
        GitPython's command interface, remembered: reading each tag as a GitPython object
        took 0.25 s for Open Zaak's 234 tags (a `cat-file` round trip each).
        """
        key = None if merged_into is None else self.resolve(merged_into)
        if key in self._tags:
            return self._tags[key]
        started = self._started_tags.pop(key, None) if key is not None else None
        if started is not None:
            process, args = started
            try:
                out = self._output(process, args)
            finally:
                stop_process(process)
        else:
            args = self._tag_query(key)
            out = self._run(*args)
        found = []
        for line in out.splitlines():
            parts = line.split("\0")
            if len(parts) != 6:
                continue
            name, objtype, objname, peeled, created, peeled_type = parts
            annotated = objtype == "tag"
            if (annotated and peeled_type != "commit") or (not annotated and objtype != "commit"):
                continue  # a tag of a tree or blob, or of another tag
            version = tag_version(name)
            sha = peeled if annotated else objname
            found.append(Tag(name, sha, version, datetime.fromisoformat(created), annotated))
        self._tags[key] = tuple(sorted(found, key=tag_order))
        self._verified.update(tag.sha for tag in found)  # (peeled: full shas of commits)
        self._tag_shas.update((t.name, t.sha) for t in found if names_the_tag(t))
        return self._tags[key]

    def start_tags(self, merged_into: str) -> None:
        """Start the `tags(merged_into=...)` query now, to be read when asked: git walks
        the history on its own core (a whole history without a commit-graph: some 30 ms)
        while the caller does other work."""
        key = self.resolve(merged_into)
        if key not in self._tags and key not in self._started_tags:
            args = self._tag_query(key)
            self._started_tags[key] = (self._start(args), args)

    @staticmethod
    def _tag_query(key: str | None) -> list[str]:
        fields = ["refname:strip=2", "objecttype", "objectname", "*objectname"]
        fields += ["creatordate:iso-strict", "*objecttype"]
        args = ["for-each-ref", "--format=" + "%00".join(f"%({f})" for f in fields)]
        if key is not None:
            args.append(f"--merged={key}")
        return [*args, "refs/tags"]

    def newest_tag(
        self, ref: str = "HEAD", *, exclude_ref: bool = False, prereleases: bool = True
    ) -> Tag | None:
        """The version tag with the highest version among those reachable from `ref`.

        `exclude_ref`: skip tags on `ref`'s own commit (the previous release of a tagged
        release). `prereleases=False`: only final releases count. Ties (`1.2` and `v1.2.0`)
        go to the newer tag date, then the name.
        """
        sha = self.resolve(ref)
        best: Tag | None = None
        for tag in self.tags(merged_into=sha):
            if tag.version is None or (exclude_ref and tag.sha == sha):
                continue
            if not prereleases and (tag.version.is_prerelease or tag.version.is_devrelease):
                continue
            if best is None or tag_order(tag) > tag_order(best):
                best = tag
        return best

    def release_range(
        self, to: str, since: str | None, *, prereleases: bool
    ) -> tuple[str, str | None]:
        """(the full sha of `to`, `since`) for a release's changes: `since` as given (checked),
        else the newest version tag reachable from `to` (tags on `to` itself excluded,
        pre-releases only with `prereleases`), None when there is none. Raises GitError for
        unknown refs, and when a shallow clone has no tag to start from."""
        self.tags()  # (one `for-each-ref`: tag names then resolve without git)
        tip = self.resolve(to)
        if since is not None:
            self.resolve(since)
            return tip, since
        tag = self.newest_tag(tip, exclude_ref=True, prereleases=prereleases)
        if tag is None and self.is_shallow():
            raise GitError(
                "the history is shallow and no version tag is reachable from "
                f"{to!r}, so the range to read is unknown; {SHALLOW_HINT}, or pass --from"
            )
        return tip, tag.name if tag is not None else None

    # -- the commit scan -----------------------------------------------------------------

    def _since(self, since: str | None) -> str | None:
        return None if since is None else self.resolve(since)

    def progress(self, report: ScanProgress | None, to: str, since: str | None) -> Progress | None:
        """A Progress for a scan of the range that passes `report` the range's size too."""
        if report is None:
            return None
        total = self.count(to, since=since)
        return lambda done: report(done, total)

    def commits(
        self,
        to: str = "HEAD",
        *,
        since: str | None = None,
        paths: Iterable[str] = (),
        files: bool = True,
        first_parent: bool = False,
        progress: Progress | None = None,
        also: Sequence[str] = (),
    ) -> Scan[Commit]:
        """The commits reachable from `to` and not from `since`, children before parents
        (`--topo-order`), read in one streamed `git log --name-status` pass. git starts at
        once (see Scan).

        `also`: more refs whose commits (not reachable from `since` either) are read in the
        same pass. Raises GitError for unknown refs, and while reading when the range reaches
        the boundary of a shallow clone (its history is incomplete there), saying how to fetch
        the rest.
        """
        options = ["--name-status", "-M", "--diff-merges=off", "--no-relative"] if files else []
        if first_parent:
            options.append("--first-parent")
        options += [self.resolve(ref) for ref in also]
        return self._log(to, since, progress, LOG_FORMAT, options, parse_record, paths)

    def _log(
        self,
        to: str,
        since: str | None,
        progress: Progress | None,
        fmt: str,
        options: list[str],
        parse: Callable[[bytes], T],
        paths: Iterable[str] = (),
    ) -> Scan[T]:
        """The range in one streamed `git log -z --topo-order` with `fmt` and `options`, parsed
        record by record (the flags its parsers rely on are set here, once)."""
        tip = self.resolve(to)
        base = self._since(since)
        boundary = self.shallow_boundary()
        args = [
            "log",
            "-z",
            "--topo-order",
            "--no-color",
            "--no-show-signature",
            "--encoding=UTF-8",
            f"--format={fmt}",
            *options,
            *range_args(tip, base),
        ]
        path_list = list(paths)
        if path_list:
            args += ["--", *path_list]
        process = self._start(args)
        read = [0]
        records = self._checked(
            self._read_log(process, args, parse), boundary, since, to, progress, read
        )
        return Scan(records, process, read, tip)

    def _checked(
        self,
        stream: Generator[Any, None, None],
        boundary: frozenset[str],
        since: str | None,
        to: str,
        progress: Progress | None,
        read: list[int],
    ) -> Generator[Any, None, None]:
        """The stream, stopped at the boundary of a shallow clone, with progress reports and
        the count kept in `read[0]`."""
        count = 0
        every = _PROGRESS_EVERY if progress is not None else 0
        try:
            for commit in stream:
                if boundary and commit.sha in boundary:
                    raise GitError(
                        f"the history is shallow: the parents of {commit.sha[:12]} were not "
                        f"fetched, so the range {range_text(since, to)} is incomplete; "
                        f"{SHALLOW_HINT}"
                    )
                count += 1
                if every and count % every == 0:
                    read[0] = count
                    progress(count)  # type: ignore[misc]
                yield commit
        finally:
            stream.close()  # (stops git now when this stops early, not at garbage collection)
        read[0] = count
        if progress is not None:
            progress(count)

    def _read_log(
        self, process: _Process, args: list[str], parse: Callable[[bytes], T]
    ) -> Generator[T, None, None]:
        """`git log -z` parsed record by record. A thread takes git's output as git writes it
        from the start (see _drain), so git runs on its own core even while the caller does
        other work before it reads, and each record is parsed as soon as it is there."""
        return self._records(process, args, parse, _drain(process))

    def _records(
        self,
        process: _Process,
        args: list[str],
        parse: Callable[[bytes], T],
        chunks: queue.Queue[bytes],
    ) -> Generator[T, None, None]:
        pending = b""
        try:
            while True:
                chunk = chunks.get()
                if not chunk:
                    break
                records = (pending + chunk if pending else chunk).split(_RECORD)
                pending = records.pop()
                for record in records:
                    if record:
                        yield parse(record)
            if pending.strip(b"\x00\n"):
                yield parse(pending)
            self._finish(process, args)
        finally:
            stop_process(process)

    def _start(self, args: list[str], stdin: IO[bytes] | None = None) -> _Process:
        """git started through GitPython with its output in a pipe, to be read as it comes."""
        try:
            handle = self._repo.git.execute(["git", *args], as_process=True, istream=stdin)
        except _gitpython().GitCommandNotFound:
            raise GitError(_NO_GIT) from None
        process: _Process = handle.proc
        handle.proc = None  # the process is ours to stop and reap (Scan, _finish, _stop)
        return process

    def _git(self, args: list[str]) -> str:
        """git's whole output (undecodable bytes kept as surrogates, so that a path read here
        can be handed back to git). Raises GitFailed when git fails, GitError without git."""
        try:
            status, stdout, stderr = self._repo.git.execute(
                ["git", *args],
                with_extended_output=True,
                with_exceptions=False,
                stdout_as_string=False,
                strip_newline_in_stdout=False,
            )
        except _gitpython().GitCommandNotFound:
            raise GitError(_NO_GIT) from None
        if status != 0:
            raise GitFailed(status, stderr if isinstance(stderr, bytes) else stderr.encode())
        return bytes(stdout).decode("utf-8", "surrogateescape")

    def _finish(self, process: _Process, args: list[str]) -> None:
        stderr = process.stderr.read() if process.stderr else b""
        status = process.wait()
        if status != 0:
            raise GitError(GitFailed(status, stderr).describe(args))

    def _output(self, process: _Process, args: list[str]) -> str:
        """The whole output of a started git (as _git decodes it); GitError when it fails."""
        stdout, stderr = process.communicate()
        if process.returncode != 0:
            raise GitError(GitFailed(process.returncode, stderr or b"").describe(args))
        return bytes(stdout).decode("utf-8", "surrogateescape")

    def words_in_tree(
        self, tip: str, words: Sequence[str], *, exclude: Sequence[str] = ()
    ) -> set[str]:
        """Which of `words` (whole words, fixed strings) the tree at `tip` contains, outside
        the `exclude` globs: one `git grep`."""
        if not words:
            return set()
        args = ["grep", "-o", "-h", "-w", "-F", "-I"]
        for word in words:
            args += ["-e", word]
        args += [tip, "--", ".", *(f":(exclude,glob){p}" for p in exclude)]
        try:
            out = self._run(*args)
        except GitError:  # no match at all (git grep exits 1), or no such tree
            return set()
        return {line.strip() for line in out.splitlines()} & set(words)

    # -- writing (for `release prepare`) -------------------------------------------------

    def head_branch(self) -> str | None:
        """The branch HEAD is on (`main`), None when HEAD is detached."""
        head = self._repo.head
        if head.is_detached:
            return None
        return str(head.reference.name) or None

    def dirty_paths(self) -> tuple[str, ...]:
        """Tracked files with changes, staged or not (untracked files do not count: a release
        commits only the files it writes). Never writes the index (`--no-optional-locks`)."""
        out = self._run(
            "--no-optional-locks", "status", "--porcelain=v1", "-z", "--untracked-files=no"
        )
        paths = []
        records = out.split("\0")
        i = 0
        while i < len(records):
            record = records[i]
            i += 1
            if len(record) < 4:
                continue
            paths.append(record[3:])
            if record[0] in "RC":
                i += 1  # a rename's or copy's source follows
        return tuple(paths)

    def commit_paths(self, paths: Sequence[str], message: str) -> str:
        """Stage `paths` (relative to the work tree) and commit them with `message`; the new
        commit's sha. The repository's hooks and signing settings apply as for any commit.
        Nothing is ever pushed."""
        self._run("add", "--", *paths)
        self._run("commit", "--quiet", "-m", message)  # (`git commit`: hooks and signing run)
        return self.resolve("HEAD")

    def unstage(self, paths: Sequence[str]) -> None:
        """Take `paths` out of the index again (after a commit that failed)."""
        self._run("reset", "--quiet", "--", *paths)

    def create_tag(self, name: str, message: str, sha: str) -> None:
        """An annotated tag `name` on `sha`. A name git would refuse (or read as an option,
        `--message=x`) is refused here; `--` ends the options all the same."""
        if (problem := tag_name_problem(name)) is not None:
            raise GitError(f"cannot tag {name!r}: {problem}")
        self._run("tag", "--annotate", "-m", message, "--", name, sha)
        self._tags.clear()
        self._tag_shas.clear()

    # -- patch ids (for backports) -------------------------------------------------------

    def patch_ids(self, to: str = "HEAD", *, since: str | None = None) -> dict[str, str]:
        """`git patch-id --stable` of every non-merge commit in the range: commit sha ->
        patch id. One `git log -p` piped into one `git patch-id` (never a process per commit).
        Commits with an empty diff have no patch id and are left out."""
        return self._patch_ids(range_args(self.resolve(to), self._since(since)))

    def patch_ids_of(self, shas: Sequence[str]) -> dict[str, str]:
        """patch_ids of these commits only (merges left out), in one pipeline per few
        thousand commits: on a long range the diffs of the few commits asked about are
        much less to read than those of all."""
        ids: dict[str, str] = {}
        for start in range(0, len(shas), SHAS_PER_CALL):
            ids.update(self._patch_ids(["--no-walk", *shas[start : start + SHAS_PER_CALL]]))
        return ids

    def _patch_ids(self, revisions: list[str]) -> dict[str, str]:
        return read_patch_ids(self._start, self._finish, revisions)


if TYPE_CHECKING:
    _Process = subprocess.Popen[bytes]
else:
    _Process = subprocess.Popen


_NO_GIT = "git is not installed (or not on PATH)"


def _drain(process: _Process) -> queue.Queue[bytes]:
    """git's output, taken from its pipe by a thread of its own as git writes it, and an
    empty chunk at the end. A pipe holds 64 KiB: read only when the caller gets to it, git
    would wait on the full pipe most of the time the caller spends getting ready (Open
    Zaak's whole history is 2.4 MB of log). The thread reads _AHEAD chunks ahead at most,
    and ends when the scan is stopped (the pipe closed)."""
    stdout = process.stdout
    assert isinstance(stdout, io.BufferedReader)  # (Popen's default buffering)
    chunks: queue.Queue[bytes] = queue.Queue(maxsize=_AHEAD)

    def hand_over(chunk: bytes) -> bool:
        while not stdout.closed:
            try:
                chunks.put(chunk, timeout=0.1)
            except queue.Full:
                continue  # (the parser is _AHEAD chunks behind: git waits meanwhile)
            return True
        return False

    def read() -> None:
        try:
            while chunk := stdout.read(_CHUNK):  # (all of _CHUNK, or the rest at the end)
                if not hand_over(chunk):
                    return
        except (OSError, ValueError):  # (the pipe was closed: the scan was stopped early)
            pass
        hand_over(b"")

    threading.Thread(target=read, name="git-output", daemon=True).start()
    return chunks


def _gitpython() -> Any:
    """GitPython, imported on first use. Its import-time check for a git executable is
    silenced: a missing git is reported when a command runs, as one clear line."""
    os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
    import git

    return git
