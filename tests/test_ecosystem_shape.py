"""The ecosystem package's shape: arrows point down (it never imports the planner, runbooks
or the CLI), and no module of it grows past 600 lines."""

from __future__ import annotations

import ast
from pathlib import Path

ECOSYSTEM = Path(__file__).resolve().parent.parent / "ozrelease" / "ecosystem"
ABOVE = ("ozrelease.planner", "ozrelease.runbook", "ozrelease.cli", "ozrelease.release")


def test_the_ecosystem_imports_nothing_above_it() -> None:
    offenders = []
    for path in sorted(ECOSYSTEM.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offenders += [(path.name, n) for n in names if n.startswith(ABOVE)]
    assert offenders == []


def test_ecosystem_modules_stay_under_600_lines() -> None:
    long = {
        p.name: n
        for p in sorted(ECOSYSTEM.glob("*.py"))
        if (n := len(p.read_text(encoding="utf-8").splitlines())) >= 600
    }
    assert long == {}
