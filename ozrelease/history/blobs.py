"""Which file versions (blob ids) a range and each of its commits made, for `changelog check`:
one streamed `git log --raw` (or one `git diff --raw`), with the contents read by id through
one persistent `git cat-file --batch`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ozrelease.errors import GitError
from ozrelease.history.snapshots import Snapshots

if TYPE_CHECKING:
    from ozrelease.history import History

# A commit's (or the range's) changes to the files asked about, as git's raw diff gives them:
#   :100644 100644 <old id> <new id> M\0path\0        (R087\0old\0new\0 for a rename)
# No diff is computed and no content copied until a version is asked for by id, so a document
# that 200 commits change is read once per version, not twice per commit with its context.

# The empty tree's id: the base of a diff over the whole history.
_EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
_NO_BLOB = "0" * 40
# The empty file's id (SHA-1, SHA-256 repositories).
_EMPTY_BLOBS = frozenset(
    {
        "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391",
        "473a0f4c3be8a93681a267e3b1e9a7dcda1185436fe141f7749120a303721813",
    }
)
_SUBMODULE = "160000"


@dataclass(frozen=True)
class BlobChange:
    """One file changed: its path (the new one after a rename, the old one when deleted) and
    the blob ids before and after (None where the file does not exist)."""

    path: str
    before: str | None
    after: str | None


def range_changes(
    history: History, since: str | None, tip: str, paths: Sequence[str]
) -> tuple[BlobChange, ...]:
    """The changes to `paths` from the merge base of `since` and `tip` (or from nothing) to
    `tip`, renames followed: one `git diff --raw`. When `since` and `tip` share no merge base,
    the changes are taken from `since` itself."""
    base = f"{since}...{tip}" if since else f"{_EMPTY_TREE}..{tip}"
    args = ["diff", "--raw", "-z", "--no-abbrev", "-M", "--no-ext-diff", base, "--", *_specs(paths)]
    try:
        raw = history._run(*args)
    except GitError:
        if not since:
            raise
        raw = history._run(*[a if a != base else f"{since}..{tip}" for a in args])
    return _parse_raw(raw.encode("utf-8", "surrogateescape"))


def commit_changes(
    history: History, since: str | None, tip: str, paths: Sequence[str]
) -> Iterator[tuple[str, tuple[BlobChange, ...]]]:
    """(sha, its changes to `paths`) for every non-merge commit of the range that changed
    them, children before parents: one `git log --raw`, streamed commit by commit."""
    args = [
        "log", "-z", "--raw", "--no-abbrev", "-M", "--no-merges", "--full-history", "--no-color",
        "--format=%x00%x1e%H", tip, *([f"^{since}"] if since else []), "--", *_specs(paths),
    ]  # fmt: skip
    process = history._start(args)
    for sha, changes in history._read_log(process, args, _sha_and_changes):
        if changes:
            yield sha, changes


def _specs(paths: Sequence[str]) -> list[str]:
    return [f":(literal){p}" for p in paths]


def _sha_and_changes(record: bytes) -> tuple[str, tuple[BlobChange, ...]]:
    """One record of `git log -z --raw --format=%x00%x1e%H`."""
    sha, _, rest = record.partition(b"\x00")
    return sha.decode("ascii").strip(), _parse_raw(rest)


def _parse_raw(raw: bytes) -> tuple[BlobChange, ...]:
    """`git diff --raw -z --no-abbrev` output. Left out, as in a patch that shows no text:
    submodules, changes of mode or name alone (the same blob on both sides), and an empty
    file added or deleted."""
    fields = raw.split(b"\x00")
    out = []
    index = 0
    while index < len(fields):
        head = fields[index].strip(b"\n")
        index += 1
        if not head.startswith(b":"):
            continue
        old_mode, new_mode, old_id, new_id, status = head[1:].decode("ascii").split(" ")
        count = 2 if status[:1] in ("R", "C") else 1
        names = [f.decode("utf-8", "surrogateescape") for f in fields[index : index + count]]
        index += count
        if _SUBMODULE in (old_mode, new_mode) or old_id == new_id:
            continue
        before = None if old_id == _NO_BLOB or status == "T" else old_id
        after = None if new_id == _NO_BLOB else new_id
        if {before, after} <= {None, *_EMPTY_BLOBS}:
            continue
        # (a type change shows in a patch as a deletion and a creation: only the new file)
        out.append(BlobChange(path=names[-1], before=before, after=after))
    return tuple(out)


class BlobReader(Snapshots):
    """File contents by blob id through one `git cat-file --batch` (a context manager)."""

    def content(self, blob: str) -> bytes:
        data = self.blob(blob)
        if data is None:
            raise GitError(f"`git cat-file` found no file {blob}")
        return data
