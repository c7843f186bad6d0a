"""Watched files over the range: the commits touching them, and their text before and after."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from ozrelease.checks.context import RangeCommit
from ozrelease.history import History

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


# -- range diffs of watched files ----------------------------------------------------------


def range_files(
    history: History, since: str | None, tip: str, paths: Sequence[str]
) -> dict[str, tuple[str | None, str | None]]:
    """Path -> (text before the range, text at its end), for `paths` that changed, read in ONE
    `git diff` with the whole files as context (renames keep their old text under the new
    path)."""
    return _parse_full_diff(history.range_diff(since, tip, paths))


def commit_files(
    history: History, since: str | None, tip: str, paths: Sequence[str]
) -> Iterator[tuple[str, FileVersions]]:
    """(sha, its versions of `paths` (before, after)) for every non-merge commit of the range
    that changed them, one at a time: ONE streamed `git log -p` with whole files as context."""
    for sha, diff in history.commit_diffs(since, tip, paths):
        yield sha, _parse_full_diff(diff)


def _parse_full_diff(text: str) -> dict[str, tuple[str | None, str | None]]:
    files: dict[str, tuple[str | None, str | None]] = {}
    old: list[str] | None = None
    new: list[str] | None = None
    old_path = new_path = None
    in_hunk = False

    def flush() -> None:
        if new_path or old_path:
            key = new_path or old_path
            assert key is not None
            files[key] = (
                "\n".join(old) + "\n" if old is not None else None,
                "\n".join(new) + "\n" if new is not None else None,
            )

    for line in text.split("\n"):
        if line.startswith("diff --git "):
            flush()
            old, new, old_path, new_path, in_hunk = [], [], None, None, False
            continue
        if not in_hunk:
            if line.startswith("--- "):
                old_path = _diff_path(line[4:])
                if old_path is None:
                    old = None
            elif line.startswith("+++ "):
                new_path = _diff_path(line[4:])
                if new_path is None:
                    new = None
            elif line.startswith("@@"):
                in_hunk = True
            elif line.startswith("Binary files"):
                old_path = new_path = None
            continue
        if line.startswith("@@"):
            continue
        if line.startswith(" "):
            if old is not None:
                old.append(line[1:])
            if new is not None:
                new.append(line[1:])
        elif line.startswith("-"):
            if old is not None:
                old.append(line[1:])
        elif line.startswith("+"):
            if new is not None:
                new.append(line[1:])
        elif line == "":
            continue
    flush()
    return files


def _diff_path(text: str) -> str | None:
    text = text.rstrip("\t")
    if text == "/dev/null":
        return None
    if text.startswith('"') and text.endswith('"'):
        text = text[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
    return text[2:] if text[:2] in ("a/", "b/") else text
