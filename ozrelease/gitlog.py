"""Commit and tag records, and the parser of the `git log -z` output that history.py streams."""

from __future__ import annotations

import codecs
import re
import weakref
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Generic, Protocol, TypeVar

from ozrelease.errors import GitError
from ozrelease.versions import Version

if TYPE_CHECKING:
    from ozrelease.changelog.messages import Trailer

__all__ = [
    "LOG_FORMAT",
    "Commit",
    "FileChange",
    "GitFailed",
    "Person",
    "Process",
    "Scan",
    "Tag",
    "names_the_tag",
    "parse_record",
    "stop_process",
    "tag_order",
]

T = TypeVar("T")


class Process(Protocol):
    """What a Scan needs of the git process it reads (a subprocess.Popen)."""

    @property
    def stdout(self) -> IO[bytes] | None: ...
    @property
    def stderr(self) -> IO[bytes] | None: ...
    def poll(self) -> int | None: ...
    def kill(self) -> None: ...
    def wait(self) -> int: ...


# One commit of `git log -z --name-status --format=LOG_FORMAT` reads:
#   \x1e SHA \0 PARENTS \0 ENCODING \0 AUTHOR \0 EMAIL \0 AUTHOR-DATE \0 COMMITTER \0 EMAIL \0
#   COMMITTER-DATE \0 MESSAGE \0 [\n STATUS \0 PATH \0 [PATH \0] ...]
# Messages never contain NUL, so "\0\x1e" only ever starts the next commit.
_FIELDS = ("%H", "%P", "%e", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%B")
LOG_FORMAT = "%x1e" + "%x00".join(_FIELDS)
_HEADER = len(_FIELDS)


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
        from ozrelease.changelog.messages import parse_trailers  # (not needed to read the history)

        return parse_trailers(self.body)

    @property
    def cherry_picked_from(self) -> tuple[str, ...]:
        """The commits named by `(cherry picked from commit X)` lines (`git cherry-pick -x`)."""
        from ozrelease.changelog.messages import cherry_picks

        return cherry_picks(self.body)


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


def parse_record(record: bytes) -> Commit:
    """One record of the log (without the separator) as a Commit."""
    if record.startswith(b"\x1e"):
        record = record[1:]
    parts = record.split(b"\x00")
    if len(parts) < _HEADER:
        raise GitError("could not read the output of `git log` (unexpected format)")
    sha, parents, enc, an, ae, ad, cn, ce, cd, raw_message = parts[:_HEADER]
    encoding = enc.decode("ascii", "replace") or None
    subject, body = _split_message(_decode(raw_message, encoding))
    return Commit(
        sha=sha.decode("ascii"),
        parents=tuple(parents.decode("ascii").split()),
        author=_person(an, ae, encoding),
        authored_at=datetime.fromisoformat(ad.decode("ascii")),
        committer=_person(cn, ce, encoding),
        committed_at=datetime.fromisoformat(cd.decode("ascii")),
        subject=subject,
        body=body,
        encoding=encoding,
        files=_files(parts, _HEADER) if len(parts) > _HEADER + 1 else (),
    )


# People and file changes repeat from commit to commit (the same few authors, the same
# files changed again): each is made once and shared (they are frozen).
@lru_cache(maxsize=1024)
def _person(name: bytes, email: bytes, encoding: str | None) -> Person:
    return Person(_decode(name, encoding), _decode(email, encoding))


@lru_cache(maxsize=1 << 14)
def _change(status: bytes, path: bytes) -> FileChange:
    return FileChange(status=chr(status[0]), path=_path(path))


def _files(parts: list[bytes], start: int) -> tuple[FileChange, ...]:
    """The `--name-status -z` part of a record: `\nSTATUS\0PATH\0`, `R100\0OLD\0NEW\0`."""
    files: list[FileChange] = []
    end = len(parts)
    i = start
    while i < end:
        token = parts[i]
        i += 1
        if token[:1] == b"\n":
            token = token.lstrip(b"\n")
        if not token or token[0] not in _STATUS_LETTERS:
            continue
        if len(token) > 1 and not token[1:].isdigit():
            continue
        if token[0] in _RENAME_LETTERS:
            if i + 2 > end:
                break
            old, new = parts[i], parts[i + 1]
            i += 2
            files.append(
                FileChange(
                    status=chr(token[0]),
                    path=_path(new),
                    old_path=_path(old),
                    similarity=int(token[1:]) if len(token) > 1 else None,
                )
            )
        else:
            if i >= end:
                break
            files.append(_change(token, parts[i]))
            i += 1
    return tuple(files)


_STATUS_LETTERS = frozenset(b"ACDMRTUXB")
_RENAME_LETTERS = frozenset(b"RC")


def _path(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


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


class Scan(Generic[T]):
    """A `git log` started when the Scan is made, read record by record as it is iterated:
    git works on its own core while the caller gets ready (loads its configuration, imports
    what it parses with). Iterate it once, to the end, or `close()` it (or use `with`)."""

    def __init__(
        self, records: Generator[T, None, None], process: Process, read: list[int], tip: str
    ) -> None:
        self._records = records
        self._read = read
        self.tip = tip
        """The full sha of the commit the range ends at."""
        # git is stopped and reaped when the Scan is closed, and at the latest when the
        # records are let go of (iterating them may outlive the Scan); a generator that never
        # started runs no `finally`, so its own cleanup cannot be relied on.
        self._stop = weakref.finalize(records, stop_process, process)

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


def stop_process(process: Process) -> None:
    """Kill git if it still runs, reap it and close its pipes (again is harmless)."""
    if process.poll() is None:
        process.kill()
        process.wait()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


class GitFailed(Exception):
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


def tag_order(tag: Tag) -> tuple[int, Version | None, datetime, str]:
    if tag.version is None:
        return (0, None, tag.date, tag.name)
    return (1, tag.version, tag.date, tag.name)


_REF_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//")


def tag_name_problem(name: str) -> str | None:
    """Why git would refuse `name` as a tag (git check-ref-format's rules, and `git tag`'s
    refusal of a leading `-`), or None. Checked before git runs, so that a configured
    `tag-format` of `--message={version}` is refused by name and never becomes a flag."""
    if not name:
        return "an empty tag name"
    if name.startswith("-"):
        return "a tag name cannot start with '-' (git would read it as an option)"
    if name == "@":
        return "'@' alone is not a tag name"
    if match := _REF_FORBIDDEN.search(name):
        return f"git tag names cannot contain {match.group(0)!r}"
    if name.startswith("/") or name.endswith("/") or name.endswith("."):
        return "a git tag name cannot start with '/' or end with '/' or '.'"
    for part in name.split("/"):
        if part.startswith(".") or part.endswith(".lock"):
            return f"a part of a git tag name cannot start with '.' or end with '.lock' ({part!r})"
    return None


def range_args(tip: str, base: str | None) -> list[str]:
    """git's revision arguments for the commits reachable from `tip` and not from `base`."""
    return [tip] if base is None else [tip, f"^{base}"]


def range_text(since: str | None, to: str) -> str:
    """A range as people read it: `1.29.0..1.30.0`, or `up to HEAD`."""
    return f"{since}..{to}" if since else f"up to {to}"


def names_the_tag(tag: Tag) -> bool:
    """Whether git resolves the tag's name to the tag whatever other refs exist: a version
    (`1.26.0`, `v1.26.0`) does; a name such as `stash` or `heads/x` may name another ref
    first (git tries `refs/NAME` before `refs/tags/NAME`), and a full sha names a commit."""
    name = tag.name
    return tag.version is not None and not (len(name) >= 40 and set(name) <= _HEX_DIGITS)


_HEX_DIGITS = frozenset("0123456789abcdef")
