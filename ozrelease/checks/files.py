"""Watched files over the range: the commits touching them, and their text before and after."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from ozrelease.checks.context import RangeCommit
from ozrelease.history import History
from ozrelease.history.blobs import BlobChange, BlobReader, commit_changes, range_changes

FileVersions = Mapping[str, tuple[str | None, str | None]]
"""path -> (text before, text after); None where the file does not exist."""


@dataclass
class Watched:
    """The commits and files of one watched category in the range."""

    hits: dict[int, list[tuple[RangeCommit, str]]] = field(default_factory=dict)
    """change index -> (commit, path) of its public commits touching the category."""
    files: set[str] = field(default_factory=set)
    commits: dict[str, set[str]] = field(default_factory=dict)
    """path -> every non-merge commit touching it (internal ones too)."""


# -- the watched files' versions over the range ---------------------------------------------


class _Texts:
    """Blob id -> text, read through one `git cat-file --batch`; the last two versions of
    each path kept (a commit's "after" is the version its child read as "before", the
    commits coming children first), so memory follows the files, not the range."""

    def __init__(self, history: History, keep: int = 2) -> None:
        self.reader = BlobReader(history)
        self.kept: dict[str, dict[str, str | None]] = {}
        """path -> blob id -> text, the last `keep` versions read"""
        self.keep = keep

    def text(self, blob: str | None, path: str) -> str | None:
        """The file's text as a whole-file diff shows it (with a final newline); None for
        no file, and for a binary one (a NUL in its first 8000 bytes, as git decides)."""
        if blob is None:
            return None
        kept = self.kept.setdefault(path, {})
        if blob in kept:
            return kept[blob]
        data = self.reader.content(blob)
        text = None
        if b"\0" not in data[:8000]:
            text = data.decode("utf-8", "surrogateescape")
            if not text.endswith("\n"):
                text += "\n"
        kept[blob] = text
        while len(kept) > self.keep:
            del kept[next(iter(kept))]
        return text

    def versions(self, changes: Iterable[BlobChange]) -> dict[str, tuple[str | None, str | None]]:
        out = {}
        for change in changes:
            # (After first: it is the version the last commit read, its child's "before".)
            after = self.text(change.after, change.path)
            before = self.text(change.before, change.path)
            binary = (change.before is not None and before is None) or (
                change.after is not None and after is None
            )
            if not binary:  # (a patch says "Binary files differ" and shows no text)
                out[change.path] = (before, after)
        return out


def range_files(
    history: History, since: str | None, tip: str, paths: Sequence[str]
) -> dict[str, tuple[str | None, str | None]]:
    """Path -> (text before the range, text at its end), for `paths` that changed (renames
    keep their old text under the new path): one `git diff --raw`, the versions read by id."""
    changes = range_changes(history, since, tip, paths)
    texts = _Texts(history)
    try:
        return texts.versions(changes)
    finally:
        texts.reader.close()


def commit_files(
    history: History, since: str | None, tip: str, paths: Sequence[str]
) -> Iterator[tuple[str, FileVersions]]:
    """(sha, its versions of `paths` (before, after)) for every non-merge commit of the range
    that changed them, one at a time: one streamed `git log --raw`, each version read once by
    its blob id."""
    texts = _Texts(history)
    try:
        for sha, changes in commit_changes(history, since, tip, paths):
            files = texts.versions(changes)
            if files:
                yield sha, files
    finally:
        texts.reader.close()
