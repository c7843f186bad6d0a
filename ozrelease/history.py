"""Git history: the only module that runs git; streams `git log` into Commit and Tag dataclasses."""

from __future__ import annotations

import codecs
import io
import os
import re
import subprocess
import weakref
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

from ozrelease.errors import GitError
from ozrelease.versions import Version, parse_version

if TYPE_CHECKING:
    from ozrelease.changelog.commits import Trailer

__all__ = [
    "SHALLOW_HINT",
    "Commit",
    "FileChange",
    "History",
    "Person",
    "Progress",
    "Record",
    "Scan",
    "ScanProgress",
    "Tag",
]

T = TypeVar("T")

Progress = Callable[[int], None]
"""Called with the number of commits read so far (every few hundred, and once at the end)."""

ScanProgress = Callable[[int, int], None]
"""Called with the commits read so far and the commits in the range, for a progress bar."""

SHALLOW_HINT = (
    "run `git fetch --unshallow --tags` (GitHub Actions: actions/checkout with `fetch-depth: 0`; "
    "GitLab CI: `GIT_DEPTH: 0`)"
)

# One commit of `git log -z --name-status --format=_FORMAT` reads:
#   \x1e SHA \0 PARENTS \0 ENCODING \0 AUTHOR \0 EMAIL \0 AUTHOR-DATE \0 COMMITTER \0 EMAIL \0
#   COMMITTER-DATE \0 MESSAGE \0 [\n STATUS \0 PATH \0 [PATH \0] ...]
# Messages never contain NUL, so "\0\x1e" only ever starts the next commit.
_FIELDS = ("%H", "%P", "%e", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%B")
_FORMAT = "%x1e" + "%x00".join(_FIELDS)
_HEADER = len(_FIELDS)
# `History.records`: \x1e SHA \0 PARENTS \0 ENCODING \0 MESSAGE \0 [\n PATH \0 [PATH \0] ...]
# (`--name-only`: the path of each change, a rename's new one, as FileChange.path has it).
_RECORD_FORMAT = "%x1e%H%x00%P%x00%e%x00%B"
_RECORD = b"\x00\x1e"
_CHUNK = 1 << 20
_PIPE_SIZE = 1 << 20
_PROGRESS_EVERY = 500
_STATUS = re.compile(rb"^[ACDMRTUXB]\d*$")
# The empty tree's id: the base of a diff over the whole history.
_EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
_PATCH_ID_STAT = 500


@dataclass(frozen=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True)
class FileChange:
    """One line of `--name-status`: `status` is A, C, D, M, R, T, U or X; `similarity` is the
    score of a rename or copy (R100), and `old_path` its source."""

    status: str
    path: str
    old_path: str | None = None
    similarity: int | None = None


@dataclass(frozen=True)
class Commit:
    sha: str
    parents: tuple[str, ...]
    author: Person
    authored_at: datetime
    committer: Person
    committed_at: datetime
    subject: str
    """The first paragraph of the message on one line, as `git log --format=%s` shows it."""
    body: str
    """The rest of the message, trailers included."""
    encoding: str | None
    """The commit's `encoding` header, when it has one (the text here is always decoded)."""
    files: tuple[FileChange, ...] = ()
    """Empty for merges (git shows no diff for them) and when the scan was asked not to read
    files."""

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def message(self) -> str:
        return f"{self.subject}\n\n{self.body}" if self.body else self.subject

    @cached_property
    def trailers(self) -> tuple[Trailer, ...]:
        """`Key: value` trailers of the message's last paragraph (keys in lower case)."""
        from ozrelease.changelog.commits import parse_trailers  # (not needed to read the history)

        return parse_trailers(self.body)

    @property
    def cherry_picked_from(self) -> tuple[str, ...]:
        """The commits named by `(cherry picked from commit X)` lines (`git cherry-pick -x`)."""
        from ozrelease.changelog.commits import cherry_picks

        return cherry_picks(self.body)


class Record(NamedTuple):
    """A commit as changelog grouping reads it (`History.records`): a `Commit` without
    people, dates and file statuses, so much cheaper to read."""

    sha: str
    parents: tuple[str, ...]
    subject: str
    body: str
    paths: tuple[str, ...]
    """The path of each file change (`FileChange.path`: a rename's new path); empty for
    merges."""


@dataclass(frozen=True)
class Tag:
    name: str
    sha: str
    """The commit the tag points at (annotated tags are peeled)."""
    version: Version | None
    """The tag name as a PEP 440 version (`v1.2.3` -> 1.2.3), None when it is not one."""
    date: datetime
    """The tagger date of an annotated tag, the commit date of a lightweight one."""
    annotated: bool

    @property
    def prefix(self) -> str:
        """What stands before the version in the name: `v` for `v1.2.3`, `` for `1.2.3`."""
        match = re.match(r"^(\D*)\d", self.name)
        return match.group(1) if match else ""


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
        # One rev-parse finds the repository from anywhere inside it, as git itself would
        # (GIT_DIR, worktrees, .git files, bare repositories), and whether it is shallow.
        try:
            out = _git(
                ["rev-parse", "--absolute-git-dir", "--is-bare-repository"]
                + ["--is-shallow-repository", "--is-inside-work-tree", "--show-cdup"],
                cwd=self.path,
            )
        except _Failed as failed:
            raise GitError(failed.unreadable(self.path)) from None
        git_dir, bare, shallow, inside, *cdup = out.split("\n")
        self._shallow = shallow == "true"
        if inside == "true":
            self.root: Path = (self.path / cdup[0]).resolve()
        elif bare == "true":
            self.root = Path(git_dir)
        else:  # inside the .git directory of a work tree
            self.root = Path(git_dir).parent
        """The top of the work tree (the git directory of a bare repository)."""
        self._verified: set[str] = set()
        """Full commit shas `resolve` has returned: each names itself (an object never
        changes), so resolving one again needs no git."""

    # -- small queries -------------------------------------------------------------------

    def _run(self, *args: str) -> str:
        try:
            return _git(list(args), cwd=self.root)
        except _Failed as failed:
            raise GitError(failed.describe(args)) from None

    def resolve(self, ref: str) -> str:
        """The full sha of the commit `ref` names (a tag is peeled). Unknown refs raise
        GitError naming the ref; in a shallow clone the message says how to get the rest."""
        if ref in self._verified:
            return ref
        if not ref or ref.startswith("-") or "\0" in ref:
            raise GitError(f"unknown ref {ref!r}")
        try:
            out = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=self.root)
        except _Failed:
            hint = ""
            if self._has_no_commits():
                hint = " (the repository has no commits yet)"
            elif self.is_shallow():
                hint = f" (this clone is shallow and may lack it: {SHALLOW_HINT})"
            raise GitError(f"unknown ref {ref!r}{hint}") from None
        sha = out.strip()
        self._verified.add(sha)  # (rev-parse printed a commit's full sha)
        return sha

    def _has_no_commits(self) -> bool:
        try:
            _git(["rev-parse", "--verify", "--quiet", "HEAD"], cwd=self.root)
        except _Failed:
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
        try:
            out = _git(["remote", "get-url", name], cwd=self.root)
        except _Failed:
            return None
        return out.strip() or None

    def remotes(self) -> tuple[str, ...]:
        """The names of the repository's remotes, sorted."""
        try:
            out = _git(["remote"], cwd=self.root)
        except _Failed:
            return ()
        return tuple(sorted(set(out.split())))

    def branches(self, pattern: str = "*", *, remote: bool = False) -> tuple[str, ...]:
        """Branch names matching a `git for-each-ref` pattern (`stable/*`), sorted."""
        base = "refs/remotes" if remote else "refs/heads"
        out = self._run(
            "for-each-ref",
            "--format=%(refname:lstrip=2)",
            f"{base}/{pattern}",
            f"{base}/{pattern}/**",
        )
        return tuple(sorted(set(out.split())))

    def commit_date(self, ref: str) -> datetime:
        """The committer date of `ref`'s commit, in the committer's time zone."""
        sha = self.resolve(ref)
        return datetime.fromisoformat(self._run("show", "-s", "--format=%cI", sha).strip())

    def count(self, to: str = "HEAD", *, since: str | None = None) -> int:
        """How many commits a `commits(to, since=since)` scan would read (cheap: no diffs)."""
        out = self._run("rev-list", "--count", *_range(self.resolve(to), self._since(since)))
        return int(out.strip() or 0)

    def subjects(self, to: str = "HEAD", *, limit: int = 200) -> tuple[str, ...]:
        """The subjects of the newest `limit` commits reachable from `to`, newest first."""
        out = self._run("log", "-z", f"--max-count={limit}", "--format=%s", self.resolve(to))
        return tuple(s for s in out.split("\0") if s)

    # -- tags ----------------------------------------------------------------------------

    def tags(self, *, merged_into: str | None = None) -> tuple[Tag, ...]:
        """Tags pointing at commits, sorted by version (non-versions first, by name).

        `merged_into`: only the tags reachable from that ref.
        """
        fmt = "%00".join(
            [
                "%(refname:strip=2)",
                "%(objecttype)",
                "%(objectname)",
                "%(*objectname)",
                "%(creatordate:iso-strict)",
                "%(*objecttype)",
            ]
        )
        args = ["for-each-ref", f"--format={fmt}"]
        if merged_into is not None:
            args.append(f"--merged={self.resolve(merged_into)}")
        args.append("refs/tags")
        found = []
        for line in self._run(*args).splitlines():
            parts = line.split("\0")
            if len(parts) != 6:
                continue
            name, objtype, objname, peeled, created, peeled_type = parts
            annotated = objtype == "tag"
            if annotated and peeled_type != "commit":
                continue  # a tag of a tree or blob, or of another tag
            if not annotated and objtype != "commit":
                continue
            try:
                version: Version | None = parse_version(name)
            except ValueError:
                version = None
            found.append(
                Tag(
                    name=name,
                    sha=peeled if annotated else objname,
                    version=version,
                    date=datetime.fromisoformat(created),
                    annotated=annotated,
                )
            )
        return tuple(sorted(found, key=_tag_order))

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
            if best is None or _tag_order(tag) > _tag_order(best):
                best = tag
        return best

    def release_range(
        self, to: str, since: str | None, *, prereleases: bool
    ) -> tuple[str, str | None]:
        """(the full sha of `to`, `since`) for a release's changes: `since` as given (checked),
        else the newest version tag reachable from `to` (tags on `to` itself excluded,
        pre-releases only with `prereleases`), None when there is none. Raises GitError for
        unknown refs, and when a shallow clone has no tag to start from."""
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
    ) -> Scan[Commit]:
        """The commits reachable from `to` and not from `since`, children before parents
        (`--topo-order`), read in one streamed `git log --name-status` pass. git starts at
        once (see Scan).

        Raises GitError for unknown refs, and while reading when the range reaches the boundary
        of a shallow clone (its history is incomplete there), saying how to fetch the rest.
        """
        options = ["--name-status", "-M", "--diff-merges=off", "--no-relative"] if files else []
        if first_parent:
            options.append("--first-parent")
        return self._log(to, since, progress, _FORMAT, options, _parse_record, paths)

    def records(
        self,
        to: str = "HEAD",
        *,
        since: str | None = None,
        progress: Progress | None = None,
    ) -> Scan[Record]:
        """What `commits(to, since=since)` reads, as lean `Record`s (sha, parents, subject,
        body, changed paths), in the same order: one streamed `git log --name-only` pass that
        leaves out what changelogs do not need. Raises GitError as `commits` does."""
        options = ["--name-only", "-M", "--diff-merges=off", "--no-relative"]
        return self._log(to, since, progress, _RECORD_FORMAT, options, _parse_lean)

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
            *_range(tip, base),
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
                        f"fetched, so the range {_describe(since, to)} is incomplete; "
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
        """`git log -z` parsed record by record while git writes the rest: git runs on one
        core and Python on another, each chunk taken as soon as it is there (a blocking
        `read(n)` would wait for n bytes, and git stalls on the full pipe meanwhile)."""
        stdout = process.stdout
        assert isinstance(stdout, io.BufferedReader)  # (Popen's default buffering)
        read = stdout.read1
        pending = b""
        try:
            while True:
                chunk = read(_CHUNK)
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
            _stop(process)

    def _start(self, args: list[str], stdin: IO[bytes] | None = None) -> _Process:
        """git started with its output in a pipe, to be read as it comes."""
        process = _popen(args, cwd=self.root, stdin=stdin)
        _grow_pipe(process)
        return process

    def _finish(self, process: _Process, args: list[str]) -> None:
        stderr = process.stderr.read() if process.stderr else b""
        status = process.wait()
        if status != 0:
            raise GitError(_Failed(status, stderr).describe(args))

    # -- whole files in a range (for `changelog check`) -------------------------------------

    def range_diff(self, since: str | None, tip: str, paths: Sequence[str]) -> str:
        """One `git diff` of `paths` from the merge base of `since` and `tip` (or from
        nothing) to `tip`, with the whole files as context, renames followed; the diff text.
        When `since` and `tip` share no merge base, the diff is taken from `since` itself."""
        base = f"{since}...{tip}" if since else f"{_EMPTY_TREE}..{tip}"
        args = [
            "-c", "core.quotePath=false", "diff", "--no-color", "--no-ext-diff", "-M",
            "--unified=100000000", base, "--", *(f":(literal){p}" for p in paths),
        ]  # fmt: skip
        try:
            return self._run(*args)
        except GitError:
            if not since:
                raise
            return self._run(*[a if a != base else f"{since}..{tip}" for a in args])

    def commit_diffs(
        self, since: str | None, tip: str, paths: Sequence[str]
    ) -> Iterator[tuple[str, str]]:
        """(sha, diff text) of every non-merge commit of the range that changed `paths`, with
        the whole files as context: one `git log -p`, streamed commit by commit (memory is
        bounded by the largest commit's diff, not by the range)."""
        args = [
            "-c", "core.quotePath=false", "log", "-p", "-M", "--no-merges", "--full-history",
            "--no-color", "--no-ext-diff", "--format=%x00%x1e%H", "--unified=100000000",
            tip, *([f"^{since}"] if since else []), "--", *(f":(literal){p}" for p in paths),
        ]  # fmt: skip
        process = self._start(args)
        yield from self._read_log(process, args, _sha_and_diff)

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
        try:
            out = self._run("symbolic-ref", "--quiet", "--short", "HEAD")
        except GitError:
            return None
        return out.strip() or None

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
        self._run("commit", "--quiet", "-m", message)
        return self.resolve("HEAD")

    def unstage(self, paths: Sequence[str]) -> None:
        """Take `paths` out of the index again (after a commit that failed)."""
        self._run("reset", "--quiet", "--", *paths)

    def create_tag(self, name: str, message: str, sha: str) -> None:
        """An annotated tag `name` on `sha`."""
        self._run("tag", "--annotate", "-m", message, name, sha)

    # -- patch ids (for backports) -------------------------------------------------------

    def patch_ids(self, to: str = "HEAD", *, since: str | None = None) -> dict[str, str]:
        """`git patch-id --stable` of every non-merge commit in the range: commit sha ->
        patch id. One `git log -p` piped into one `git patch-id` (never a process per commit).
        Commits with an empty diff have no patch id and are left out."""
        return self._patch_ids(_range(self.resolve(to), self._since(since)))

    def patch_ids_of(self, shas: Sequence[str]) -> dict[str, str]:
        """patch_ids of these commits only (merges left out), in one pipeline per few
        thousand commits: on a long range the diffs of the few commits asked about are
        much less to read than those of all."""
        ids: dict[str, str] = {}
        for start in range(0, len(shas), _SHAS_PER_CALL):
            ids.update(self._patch_ids(["--no-walk", *shas[start : start + _SHAS_PER_CALL]]))
        return ids

    def _patch_ids(self, revisions: list[str]) -> dict[str, str]:
        args = [
            "log",
            "-p",
            "--no-merges",
            "--no-color",
            "--no-ext-diff",
            "--no-show-signature",
            "--format=commit %H",
            *revisions,
        ]
        log = self._start(args)
        ids: dict[str, str] = {}
        try:
            patch_id = self._start(["patch-id", "--stable"], stdin=log.stdout)
            if log.stdout is not None:
                log.stdout.close()  # (patch-id's now: git log stops if patch-id does)
            try:
                assert patch_id.stdout is not None
                for line in patch_id.stdout:
                    parts = line.split()
                    if len(parts) == 2:
                        ids[parts[1].decode("ascii")] = parts[0].decode("ascii")
                self._finish(patch_id, ["patch-id"])
            finally:
                _stop(patch_id)
            self._finish(log, args)
        finally:
            _stop(log)
        return ids


class Scan(Generic[T]):
    """A `git log` started when the Scan is made, read record by record as it is iterated:
    git works on its own core while the caller gets ready (loads its configuration, imports
    what it parses with). Iterate it once, to the end, or `close()` it (or use `with`)."""

    def __init__(
        self, records: Generator[T, None, None], process: _Process, read: list[int], tip: str
    ) -> None:
        self._records = records
        self._read = read
        self.tip = tip
        """The full sha of the commit the range ends at."""
        # git is stopped and reaped when the Scan is closed, and at the latest when the
        # records are let go of (iterating them may outlive the Scan); a generator that never
        # started runs no `finally`, so its own cleanup cannot be relied on.
        self._stop = weakref.finalize(records, _stop, process)

    @property
    def read(self) -> int:
        """Records read so far (exact at the end; every few hundred before)."""
        return self._read[0]

    def __iter__(self) -> Iterator[T]:
        return self._records

    def __next__(self) -> T:
        return next(self._records)

    def close(self) -> None:
        """Stop git (when it has not finished) and let go of its pipes."""
        self._records.close()
        self._stop()

    def __enter__(self) -> Scan[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_SHAS_PER_CALL = 2000  # 82 KB of arguments: far below any system's limit


def _sha_and_diff(record: bytes) -> tuple[str, str]:
    text = record.decode("utf-8", "surrogateescape")
    sha, _, diff = text.partition("\n")
    return sha.strip(), diff


def _grow_pipe(process: _Process) -> None:
    """Let git run up to a megabyte ahead of the parser (Linux; elsewhere the default)."""
    try:
        import fcntl

        assert process.stdout is not None
        fcntl.fcntl(process.stdout.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
    except (ImportError, AttributeError, OSError, ValueError):
        pass


def _range(tip: str, base: str | None) -> list[str]:
    return [tip] if base is None else [tip, f"^{base}"]


def _describe(since: str | None, to: str) -> str:
    return f"{since}..{to}" if since else f"up to {to}"


def _stop(process: _Process) -> None:
    """Kill git if it still runs, reap it and close its pipes (again is harmless)."""
    if process.poll() is None:
        process.kill()
        process.wait()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


if TYPE_CHECKING:
    _Process = subprocess.Popen[bytes]
else:
    _Process = subprocess.Popen


def _no_git(exc: FileNotFoundError) -> str:
    if exc.filename == "git":
        return "git is not installed (or not on PATH)"
    return f"no such directory: {exc.filename}"  # (the repository went away meanwhile)


class _Failed(Exception):
    """git exited with a failure status."""

    def __init__(self, status: int, stderr: bytes) -> None:
        super().__init__(status)
        self.status = status
        self.stderr = stderr

    @property
    def lines(self) -> list[str]:
        """What git wrote to stderr, line by line, blank lines left out."""
        text = self.stderr.decode("utf-8", "replace")
        return [line.strip() for line in text.splitlines() if line.strip()]

    def describe(self, args: Sequence[str]) -> str:
        """`git <command>` failed: the last line git wrote to stderr."""
        lines = self.lines
        detail = lines[-1] if lines else f"exit status {self.status}"
        return f"`git {args[0]}` failed: {detail}"

    def unreadable(self, path: Path) -> str:
        """Why git could not open the repository at `path`: not one, or git's own reason
        (`dubious ownership` in a CI container, with the command that allows it)."""
        lines = self.lines
        if not lines or any("not a git repository" in line for line in lines):
            return f"not a git repository: {path}"
        reason = lines[0].removeprefix("fatal: ")
        return f"{path}: {reason}" + (f"; {lines[-1]}" if len(lines) > 1 else "")


def _environment() -> dict[str, str]:
    # English messages whatever the user's locale, as the ones matched here are.
    return {**os.environ, "LANGUAGE": "C", "LC_ALL": "C"}


def _popen(args: list[str], *, cwd: Path, stdin: IO[bytes] | None = None) -> _Process:
    """git started in `cwd` with its output and errors in pipes: the one place git starts.
    Raises GitError when there is no git."""
    try:
        return subprocess.Popen(
            ["git", *args],
            cwd=cwd,
            env=_environment(),
            stdin=stdin if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except FileNotFoundError as exc:
        raise GitError(_no_git(exc)) from None


def _git(args: list[str], *, cwd: Path) -> str:
    """git's whole output (undecodable bytes kept as surrogates, so that a path read here can
    be handed back to git). Raises _Failed when git fails, GitError when there is no git."""
    process = _popen(args, cwd=cwd)
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        raise _Failed(process.returncode, stderr)
    return stdout.decode("utf-8", "surrogateescape")


def _tag_order(tag: Tag) -> tuple[int, Version | None, datetime, str]:
    if tag.version is None:
        return (0, None, tag.date, tag.name)
    return (1, tag.version, tag.date, tag.name)


def _decode(data: bytes, encoding: str | None) -> str:
    """Git re-encodes messages to UTF-8 using the commit's `encoding` header; where iconv
    cannot, it passes the original bytes through. So: UTF-8 first, then the header's
    encoding, then UTF-8 with replacement characters (never an exception)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            pass
        else:
            return data.decode(encoding, errors="replace")
    return data.decode("utf-8", errors="replace")


def _parse_record(record: bytes) -> Commit:
    if record.startswith(b"\x1e"):
        record = record[1:]
    parts = record.split(b"\x00")
    if len(parts) < _HEADER:
        raise GitError("could not read the output of `git log` (unexpected format)")
    sha, parents, enc, an, ae, ad, cn, ce, cd, raw_message = parts[:_HEADER]
    encoding = enc.decode("ascii", "replace") or None
    message = _decode(raw_message, encoding)
    subject, body = _split_message(message)
    files: list[FileChange] = []
    rest = parts[_HEADER:]
    i = 0
    while i < len(rest):
        token = rest[i].lstrip(b"\n")
        i += 1
        if not token or not _STATUS.match(token):
            continue
        status = chr(token[0])
        if status in "RC":
            if i + 2 > len(rest):
                break
            old, new = rest[i : i + 2]
            i += 2
            files.append(
                FileChange(
                    status=status,
                    path=_path(new),
                    old_path=_path(old),
                    similarity=int(token[1:]) if len(token) > 1 else None,
                )
            )
        else:
            if i >= len(rest):
                break
            files.append(FileChange(status=status, path=_path(rest[i])))
            i += 1
    return Commit(
        sha=sha.decode("ascii"),
        parents=tuple(parents.decode("ascii").split()),
        author=Person(_decode(an, encoding), _decode(ae, encoding)),
        authored_at=datetime.fromisoformat(ad.decode("ascii")),
        committer=Person(_decode(cn, encoding), _decode(ce, encoding)),
        committed_at=datetime.fromisoformat(cd.decode("ascii")),
        subject=subject,
        body=body,
        encoding=encoding,
        files=tuple(files),
    )


def _path(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _parse_lean(record: bytes) -> Record:
    if record.startswith(b"\x1e"):
        record = record[1:]
    parts = record.split(b"\x00")
    if len(parts) < 4:
        raise GitError("could not read the output of `git log` (unexpected format)")
    raw = parts[3]
    try:
        message = raw.decode("utf-8")
    except UnicodeDecodeError:
        message = _decode(raw, parts[2].decode("ascii", "replace") or None)
    subject, body = _split_message(message)
    paths: tuple[str, ...] = ()
    if len(parts) > 4:
        names = parts[4:]
        if not names[-1]:
            names.pop()  # the NUL that ends git's output
        if names:
            first = names[0]
            if first.startswith(b"\n"):
                names[0] = first[1:]
            try:
                paths = tuple(map(bytes.decode, names))  # UTF-8, as _path reads it
            except UnicodeDecodeError:
                paths = tuple([_path(name) for name in names])
    sha = parts[0].decode("ascii")
    parents = parts[1]
    if len(parents) in (40, 64):  # one parent (sha-1 or sha-256), no spaces to split at
        return _new_record(Record, (sha, (parents.decode("ascii"),), subject, body, paths))
    return _new_record(Record, (sha, tuple(parents.decode("ascii").split()), subject, body, paths))


_new_record = tuple.__new__  # Record(...) without its Python-level __new__


def _split_message(message: str) -> tuple[str, str]:
    """Subject (the first paragraph on one line, as `%s`) and body (the rest)."""
    text = message.strip("\n")
    head, sep, rest = text.partition("\n\n")
    lines = head.splitlines()
    if len(lines) == 1:
        subject = lines[0].strip()
    else:
        subject = " ".join(line.strip() for line in lines if line.strip())
    return subject, rest.strip("\n") if sep else ""
