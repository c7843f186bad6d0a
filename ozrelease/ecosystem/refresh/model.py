"""What a refresh found: derived facts with their sources, and how they differ from the manifest."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from ozrelease.versions import Version, parse_version


@dataclass(frozen=True)
class Fact:
    """A derived value and the comment that says where it came from (`source: ...` or
    `inferred: ...`). `value` None: derived to be absent (no upgrade check applies)."""

    value: Any
    source: str


@dataclass(frozen=True)
class DerivedRelease:
    version: Version
    label: str
    tag: str
    date: dt.date
    provides: Fact | None = None
    upgrade_from: Fact | None = None
    requires: Fact | None = None
    eol: Fact | None = None
    chart: Fact | None = None

    def fact(self, name: str) -> Fact | None:
        fact: Fact | None = getattr(self, _ATTRIBUTE[name])
        return fact


@dataclass(frozen=True)
class Change:
    """One difference between the repository and the manifest."""

    kind: str
    """`new-release`, `changed`, `added` (a fact the manifest lacks), `differs` (an
    inference that disagrees with the manifest: kept), `unpublished` (a chart the published
    index does not have for the release: kept), `missing-tag` (a manifest release without a
    tag), `not-derived` (facts the manifest has that the repository does not show)."""
    version: str | None
    field: str | None
    message: str
    old: Any = None
    new: Any = None


@dataclass(frozen=True)
class Refresh:
    component: str
    file: str
    doc: int
    releases: tuple[DerivedRelease, ...]
    changes: tuple[Change, ...]
    origin: str = ""
    """How source comments name the repository (`maykinmedia/open-klant`)."""
    notes: tuple[str, ...] = ()


# Manifest key -> DerivedRelease attribute, in the order a release is written.
_ATTRIBUTE = {
    "date": "date",
    "provides": "provides",
    "requires": "requires",
    "upgradeFrom": "upgrade_from",
    "eol": "eol",
    "chart": "chart",
}
FACTS = ("provides", "requires", "upgradeFrom", "eol", "chart")


def version_key(text: str) -> tuple[int, Any]:
    try:
        return (1, parse_version(text))
    except ValueError:
        return (0, text)


def printable(text: str) -> str:
    """`text` with every control character (a newline, an escape sequence from a file name
    in the repository) shown as `?`: data, never terminal control or a second line."""
    return "".join(c if c.isprintable() else "?" for c in text)


def github_name(url: str | None) -> str | None:
    """`owner/name` of a GitHub URL (https or ssh), None for anything else."""
    if url:
        match = re.search(r"github\.com[/:]([^/]+/[^/]+?)(?:\.git)?/?$", url)
        if match:
            return match.group(1)
    return None
