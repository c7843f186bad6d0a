"""What several test modules share: small manifests, the installed console script, and long
histories made fast."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gitrepo import GitRepo


def installed_ozrelease() -> str:
    """The `ozrelease` console script of this environment (beside its Python, so a shim
    elsewhere on PATH does not stand in for it), else the one on PATH; the test fails
    without one: these tests are the proof that the installed command works."""
    beside = Path(sys.executable).parent / "ozrelease"
    found = str(beside) if beside.exists() else shutil.which("ozrelease")
    if found is None:
        pytest.fail("the ozrelease console script is not installed (pip install -e .)")
    return found


SMALL = """
kind: API
name: notificaties
versions: [1.0.0, 2.0.0]
---
kind: API
name: autorisaties
versions: [1.0.0]
---
kind: API
name: zaken
versions: [1.5.1]
---
kind: Component
name: open-zaak
title: Open Zaak
releases:
  - version: 1.26.0
    provides: {zaken: 1.5.1, autorisaties: 1.0.0}
    consumes: {notificaties: ">=1.0,<2"}
    requires: {postgresql: ">=13"}
  - version: 1.30.0
    provides: {zaken: 1.5.1, autorisaties: 1.0.0}
    consumes: {notificaties: ">=1.0,<3"}
    requires: {postgresql: ">=14"}
---
kind: Component
name: open-notificaties
releases:
  - version: 1.8.0
    provides: {notificaties: 1.0.0}
    consumes: {autorisaties: ">=1.0"}
  - version: 1.10.0
    provides: {notificaties: 2.0.0}
    consumes: {autorisaties: ">=1.0"}
---
kind: Component
name: postgresql
releases: [{version: "13"}, {version: "14"}, {version: "15"}]
"""


def fast_import_history(repo: GitRepo, commits: int) -> None:
    """`commits` more commits on main in one `git fast-import` run (seconds, not minutes)."""
    parent = repo.head()
    lines = []
    for n in range(1, commits + 1):
        message = f":bug: [#{n}] Fix number {n}".encode()
        lines += [
            b"commit refs/heads/main",
            f"mark :{n}".encode(),
            f"committer A <a@example.com> {1_700_000_000 + n} +0000".encode(),
            f"data {len(message)}".encode(),
            message,
            f"from :{n - 1}".encode() if n > 1 else f"from {parent}".encode(),
            f"M 644 inline src/f{n % 50}.py".encode(),
            b"data 2",
            str(n % 10).encode() + b"\n",
            b"",
        ]
    subprocess.run(
        ["git", "fast-import", "--quiet"], cwd=repo.path, input=b"\n".join(lines), check=True
    )
    repo.git("reset", "--quiet", "--hard", "main")
