"""Folders and files at any commit, for `manifest refresh`: GitPython's persistent `git
cat-file --batch` behind one small reader."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ozrelease.errors import GitError
from ozrelease.history import _gitpython

if TYPE_CHECKING:
    from ozrelease.history import History

# `snapshots(history)` answers every "what is at REF:PATH" of a refresh (folder listings and
# file contents at each tag) through GitPython's one persistent `git cat-file --batch`, so
# reading 300 tags costs one git process; folders unchanged between tags (the same tree id)
# are read once by the caller's cache.


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a folder at a commit."""

    name: str
    kind: str
    """`blob` (a file), `tree` (a folder) or `commit` (a submodule)."""
    sha: str


class Snapshots:
    """Folders and files at any commit of a repository. Use as a context manager, or
    `close()` it (the `git cat-file --batch` behind it stops)."""

    def __init__(self, history: History) -> None:
        self._git = history._repo.git

    def _object(self, spec: str) -> tuple[str, str, bytes] | None:
        """(kind, sha, content) of the object `spec` names (`REF:PATH`, `REF^{tree}`, a
        sha), None when there is none."""
        if not spec or "\n" in spec or "\r" in spec or "\0" in spec:
            return None
        git = _gitpython()
        try:
            sha, kind, _size, data = self._git.get_object_data(spec)
        except ValueError:  # "<spec> missing" or "<spec> ambiguous"
            return None
        except (git.GitCommandError, OSError, BrokenPipeError) as exc:
            raise GitError(f"`git cat-file` failed: {exc}") from None
        return kind.decode("ascii"), sha.decode("ascii"), data

    def tree(self, spec: str) -> tuple[TreeEntry, ...] | None:
        """The entries of the folder `spec` names (`1.2.0:src`, `1.2.0^{tree}`, a tree's
        sha), in git's order; None when it names no folder."""
        found = self._object(spec)
        if found is None or found[0] != "tree":
            return None
        data, width = found[2], len(found[1]) // 2  # 20-byte ids (sha1), 32 (sha256)
        entries = []
        position = 0
        while position < len(data):
            space = data.index(b" ", position)
            nul = data.index(b"\0", space)
            mode = data[position:space]
            raw = data[nul + 1 : nul + 1 + width]
            kind = "tree" if mode == b"40000" else "commit" if mode == b"160000" else "blob"
            name = data[space + 1 : nul].decode("utf-8", "surrogateescape")
            entries.append(TreeEntry(name=name, kind=kind, sha=raw.hex()))
            position = nul + 1 + width
        return tuple(entries)

    def blob(self, spec: str) -> bytes | None:
        """The content of the file `spec` names (`1.2.0:docs/index.rst`, a blob's sha);
        None when it names no file."""
        found = self._object(spec)
        if found is None or found[0] != "blob":
            return None
        return found[2]

    def close(self) -> None:
        self._git.clear_cache()  # stops GitPython's persistent cat-file processes

    def __enter__(self) -> Snapshots:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def snapshots(history: History) -> Snapshots:
    """One reader of folders and files at any commit of `history`'s repository."""
    return Snapshots(history)
