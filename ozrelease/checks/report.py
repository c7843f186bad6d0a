"""The check's answer: findings, what was suppressed and why, and the section used."""

from __future__ import annotations

from dataclasses import dataclass

JSON_FORMAT = "ozrelease-check/1"
KINDS = ("issue-missing", "change-missing", "api-breaking")


@dataclass(frozen=True)
class Finding:
    """One undocumented change (`ozrelease-check/1` findings)."""

    kind: str
    """`issue-missing`, `change-missing` or `api-breaking`."""
    issue: str | None
    """As written in the repository: `2426`, `open-zaak/security-issues#12`."""
    commits: tuple[str, ...]
    """Full shas, oldest first."""
    paths: tuple[str, ...]
    category: str | None
    """The watched category of a `change-missing` finding (`migration`, `settings`, ...)."""
    message: str
    names: tuple[str, ...] = ()
    """What it is about where that is not an issue: packages, variables, API elements."""


@dataclass(frozen=True)
class Suppressed:
    """Something that looked undocumented and is not reported, and the rule that says why."""

    rule: str
    """A key of config.CHECK_RULES."""
    subject: str
    """`#2426`, `dependency django`, `settings LOG_LEVEL`, `src/openapi.yaml`."""
    reason: str
    commits: tuple[str, ...] = ()


@dataclass(frozen=True)
class SectionUsed:
    path: str
    """The changelog file, relative to the repository when inside it."""
    title: str
    version: str | None
    date: str | None
    line: int
    end: int
    why: str
    """How it was chosen: `the section of 1.30.0 (--to)`, `the Unreleased section`, ..."""


@dataclass(frozen=True)
class Report:
    since: str | None
    """The ref the range starts after (None: the whole history)."""
    to: str
    commits_scanned: int
    section: SectionUsed
    findings: tuple[Finding, ...]
    suppressed: tuple[Suppressed, ...]
    documented: int
    """Issues referenced in the range that the section names."""
    also_covering: tuple[str, ...] = ()
    """Titles of other sections dated inside the range (patch releases, pre-releases)."""
    notes: tuple[str, ...] = ()
    """What the user should know about how the check read the repository (stderr)."""

    @property
    def exit_code(self) -> int:
        return 1 if self.findings else 0


def describe_range(since: str | None, to: str) -> str:
    """`1.29.0..1.30.0`, or `the history up to HEAD`."""
    return f"{since}..{to}" if since else f"the history up to {to}"
