"""What one check run shares: the range's commits, the section, the findings and suppressions."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ozrelease.changelog.files import DocSection
from ozrelease.changelog.globs import translate
from ozrelease.changelog.grouping import Change, Classifier
from ozrelease.changelog.messages import ParsedMessage
from ozrelease.changelog.schema import Config
from ozrelease.changelog.words import related
from ozrelease.checks.report import Finding, Suppressed
from ozrelease.checks.section_text import SectionText, issue_key
from ozrelease.history import History


class Stage(Protocol):
    """Told what the analysis does, for a progress line: a step ("Checking settings"), and
    in a step that goes through many items, how far it is (`done` of `total` `unit`) as it
    goes, once per item (the line throttles)."""

    def __call__(
        self, text: str, done: int | None = None, total: int | None = None, unit: str = ""
    ) -> None: ...


def no_stage(text: str, done: int | None = None, total: int | None = None, unit: str = "") -> None:
    """A Stage that shows nothing."""


@dataclass
class RangeCommit:
    """A commit of the range as the check reads it."""

    sha: str
    subject: str
    parsed: ParsedMessage
    ids: tuple[str, ...]
    paths: tuple[str, ...]
    is_merge: bool
    internal: tuple[str, str] | None = None
    """(rule, why) when the commit is internal."""
    change: int = -1
    requests: tuple[int, ...] = ()
    """The pull requests it names: the one that landed it (a merge's, a squash subject's
    `(#155)`) and the one it ports (`(#155 backport)`)."""
    modified: frozenset[str] = frozenset()
    """The files it changed in place (neither added, deleted nor renamed)."""
    created: tuple[tuple[str, str | None], ...] = ()
    """The files it created: (path, None) when added, (new path, old path) for a rename or
    copy (new code only if the old path was)."""


@dataclass
class Context:
    """What the steps of one run share, and where they put findings and suppressions."""

    history: History
    config: Config
    section: SectionText
    others: list[tuple[DocSection, SectionText]]
    own_repo: str | None
    changelog_path: str
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)
    issue_findings: dict[str, int] = field(default_factory=dict)
    """Issue -> index of its issue-missing finding."""
    by_sha: dict[str, RangeCommit] = field(default_factory=dict)
    members: dict[int, list[RangeCommit]] = field(default_factory=dict)
    """Change index -> its commits."""
    changes: Sequence[Change] = ()
    classifier: Classifier | None = None
    pins_listed: bool = False
    """Whether the project's past sections list upgraded packages and versions (then every
    moved production pin must be named, whatever its size)."""
    covered: dict[tuple[str, ...], tuple[str, str] | None] = field(default_factory=dict)
    """change_covered's answers by the commits asked about: the issues of one commit share
    them (a message naming thousands of issues is read once, not once per issue)."""

    def documented_change(self, shas: Iterable[str]) -> str | None:
        """The issue or pull request the section documents that every commit in `shas`
        belongs to (one each), if there is one for all of them."""
        found = None
        for sha in shas:
            commit = self.by_sha.get(sha)
            if commit is None:
                return None
            hit = self._documented(commit.change)
            if hit is None:
                return None
            found = found or hit
        return found

    def checked(self, shas: Iterable[str]) -> bool:
        """Whether every commit in `shas` belongs to a change with an issue or a pull request,
        which `issue-missing` checks on its own."""
        return all(
            (commit := self.by_sha.get(sha)) is not None and bool(self._keys_of(commit.change))
            for sha in shas
        )

    def documented_setting(self, shas: Iterable[str], name: str) -> str | None:
        """The entry documenting the change of every commit in `shas` (by its issue or pull
        request) that also speaks of the variable (`[#190] change SameSite session cookie to
        lax` for SESSION_COOKIE_SAMESITE), if there is one."""
        parts = {w.lower() for w in name.split("_") if len(w) >= 4}
        found = None
        for sha in shas:
            commit = self.by_sha.get(sha)
            if commit is None:
                return None
            keys = {issue_key(i) for i in self._keys_of(commit.change)}
            blocks = [b for b, _ in self.section.blocks if keys & self.section.keys_in(b)]
            words = {w.lower() for b in blocks for w in re.findall(r"[A-Za-z]{4,}", b)}
            if not any(related(p, w) for p in parts for w in words):
                return None
            found = found or " ".join(blocks[0].split())[:80]
        return found

    def _keys_of(self, index: int) -> list[str]:
        """The issue ids and pull request numbers of a change."""
        group = self.members.get(index, ())
        change = self.changes[index] if 0 <= index < len(self.changes) else None
        return [
            *(change.issues if change is not None else ()),
            *(i for c in group for i in c.ids),
            *(str(n) for c in group for n in c.requests),
        ]

    def private(self, issue: str) -> bool:
        """Whether the issue is on a private security tracker (`owner/security-issues#12`)."""
        repo = issue.rpartition("#")[0]
        return bool(repo) and any(
            re.fullmatch(translate(p), repo, re.I) for p in self.config.check.private_trackers
        )

    def _documented(self, index: int) -> str | None:
        group = self.members.get(index, ())
        change = self.changes[index] if 0 <= index < len(self.changes) else None
        issues = [
            *(change.issues if change is not None else ()),
            *(i for c in group for i in c.ids),
        ]
        for issue in issues:
            if self.section.has(issue):
                return show_issue(issue)
            if self.advisories() and self.private(issue):
                return f"{show_issue(issue)}, by advisory"
        for commit in group:
            for number in commit.requests:
                if self.section.has(str(number)):
                    return f"pull request #{number}"
        return None

    def advisories(self) -> dict[str, str]:
        """Every advisory (GHSA, CVE) the section or a section released inside the range
        names -> the title of the section naming it ("" for the section itself)."""
        found = dict.fromkeys(self.section.advisories, "")
        for doc, text in self.others if self.on("other-sections") else ():
            for advisory in text.advisories:
                found.setdefault(advisory, doc.title)
        return found

    def commit(self, sha: str) -> RangeCommit | None:
        return self.by_sha.get(sha)

    def on(self, rule: str) -> bool:
        return rule in self.config.check.rules

    def suppress(self, rule: str, subject: str, reason: str, commits: Iterable[str] = ()) -> None:
        self.suppressed.append(Suppressed(rule, subject, reason, tuple(commits)))

    def elsewhere(self, test: Callable[[SectionText], bool]) -> DocSection | None:
        """The first other in-range section for which `test` holds."""
        if not self.on("other-sections"):
            return None
        return next((doc for doc, text in self.others if test(text)), None)


def by_change(commits: Sequence[RangeCommit]) -> dict[int, list[RangeCommit]]:
    out: dict[int, list[RangeCommit]] = {}
    for commit in commits:
        out.setdefault(commit.change, []).append(commit)
    return out


def show_issue(issue: str) -> str:
    return issue if "#" in issue else f"#{issue}"


def shorten(text: str, limit: int = 100) -> str:
    """One line of at most `limit` characters (a subject can be a megabyte long)."""
    line = " ".join(text[: limit * 4].split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "\u2026"
