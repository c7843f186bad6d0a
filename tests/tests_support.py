"""What several test modules share: small manifests, and the installed console script."""

import shutil
import sys
from pathlib import Path

import pytest


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
