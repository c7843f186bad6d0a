"""`manifest refresh`: a component's releases and facts, derived from its repository and charts.

derive.py   tags -> releases and facts (read.py reads one tag; charts.py the chart index)
compare.py  derived releases against the manifest: the changes
write.py    the changes written into the manifest, comments kept (--write)
standard.py the same for an API standard's published versions
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ozrelease.ecosystem.refresh.compare import manifest_value, same
from ozrelease.ecosystem.refresh.derive import refresh
from ozrelease.ecosystem.refresh.model import (
    Change,
    DerivedRelease,
    Fact,
    Refresh,
    printable,
)
from ozrelease.wording import plural

__all__ = [
    "Change",
    "DerivedRelease",
    "Fact",
    "Refresh",
    "as_json",
    "manifest_value",
    "printable",
    "refresh",
    "same",
    "text_lines",
]


def as_json(result: Refresh) -> dict[str, Any]:
    """The `ozrelease-refresh/1` document."""

    def plain(fact: Fact | None) -> Any:
        if fact is None:
            return None
        value = fact.value
        return value.isoformat() if isinstance(value, dt.date) else value

    return {
        "format": "ozrelease-refresh/1",
        "component": result.component,
        "releases": [
            {
                "version": r.label,
                "date": r.date.isoformat(),
                "provides": plain(r.provides),
                "upgradeFrom": plain(r.upgrade_from),
                "requires": plain(r.requires),
                "chart": plain(r.chart),
                "eol": plain(r.eol),
            }
            for r in result.releases
        ],
        "changes": [c.message for c in result.changes],
    }


def text_lines(result: Refresh) -> list[str]:
    """The text report: what differs from the manifest, one line each."""
    count = len(result.releases)
    lines = [
        f"{result.component}: {plural(count, 'release')} in the repository "
        f"({result.releases[0].label} .. {result.releases[-1].label})"
        if result.releases
        else f"{result.component}: no final release tags in the repository"
    ]
    if not result.changes:
        lines.append(f"  {result.file} agrees with the repository")
    for change in result.changes:
        lines.append(f"  {printable(change.message)}")
    return lines
