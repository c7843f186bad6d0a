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
    """Path -> (text before, text after) from a diff with the whole files as context."""
    files: dict[str, tuple[str | None, str | None]] = {}
    for section in text.split("\ndiff --git ")[0 if text.startswith("diff --git ") else 1 :]:
        lines = section.split("\n")
        old_path = new_path = None
        no_old = no_new = False
        body = len(lines)
        for index, line in enumerate(lines):
            if line.startswith("--- "):
                old_path = _diff_path(line[4:])
                no_old = old_path is None
            elif line.startswith("+++ "):
                new_path = _diff_path(line[4:])
                no_new = new_path is None
            elif line.startswith("@@"):
                body = index + 1
                break
            elif line.startswith("Binary files"):
                old_path = new_path = None
                break
        key = new_path or old_path
        if key is None:
            continue
        hunk = [line for line in lines[body:] if not line.startswith("@@")]
        old = None if no_old else [line[1:] for line in hunk if line[:1] in (" ", "-")]
        new = None if no_new else [line[1:] for line in hunk if line[:1] in (" ", "+")]
        files[key] = (
            "\n".join(old) + "\n" if old is not None else None,
            "\n".join(new) + "\n" if new is not None else None,
        )
    return files


def _diff_path(text: str) -> str | None:
    text = text.rstrip("\t")
    if text == "/dev/null":
        return None
    if text.startswith('"') and text.endswith('"'):
        text = text[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
    return text[2:] if text[:2] in ("a/", "b/") else text
