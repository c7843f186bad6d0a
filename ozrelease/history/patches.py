"""`git patch-id` of commits: one `git log -p` piped into one `git patch-id` (for backports and
for changes already shipped), never a process per commit."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from typing import IO, TYPE_CHECKING

from ozrelease.gitlog import stop_process

__all__ = ["SHAS_PER_CALL", "read_patch_ids"]

SHAS_PER_CALL = 2000  # 82 KB of arguments: far below any system's limit

if TYPE_CHECKING:
    _Process = subprocess.Popen[bytes]
else:
    _Process = subprocess.Popen


def read_patch_ids(
    start: Callable[..., _Process],
    finish: Callable[[_Process, list[str]], None],
    revisions: list[str],
) -> dict[str, str]:
    """commit sha -> `git patch-id --stable` of the non-merge commits `revisions` name, with
    History's `start(args, stdin=...)` and `finish(process, args)`. Commits with an empty
    diff have no patch id and are left out."""
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
    log = start(args)
    ids: dict[str, str] = {}
    try:
        stdin: IO[bytes] | None = log.stdout
        patch_id = start(["patch-id", "--stable"], stdin=stdin)
        if log.stdout is not None:
            log.stdout.close()  # (patch-id's now: git log stops if patch-id does)
        try:
            assert patch_id.stdout is not None
            for line in patch_id.stdout:
                parts = line.split()
                if len(parts) == 2:
                    ids[parts[1].decode("ascii")] = parts[0].decode("ascii")
            finish(patch_id, ["patch-id"])
        finally:
            stop_process(patch_id)
        finish(log, args)
    finally:
        stop_process(log)
    return ids
