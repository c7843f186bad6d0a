"""Advisories the changelog already announced: a security fix made in a private fork names
its private tracker (`open-zaak/security-issues#9`, a 404 for readers), while the patch
release that shipped it first wrote its advisory (`GHSA-...`, `CVE-...`). The minor
release's entry takes the advisory from that section."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ozrelease.changelog.files import ChangelogFile
from ozrelease.changelog.messages import ADVISORY, advisory_name, loose_id
from ozrelease.changelog.words import says_same, significant_words


@dataclass(frozen=True)
class _Announcement:
    advisories: tuple[str, ...]
    issues: frozenset[str]
    words: frozenset[str]


class Announced:
    """The entries of a changelog that name an advisory, looked up by a change's issues
    (other repositories' and private trackers' issues only: a bare number means another
    issue in each release) or, failing those, by what its text says; by text only in the
    sections dated inside the range (`days`, YYYY-MM-DD from and to): an older release's
    advisory for a like-worded fix is another vulnerability's."""

    def __init__(self, doc: ChangelogFile | None, days: tuple[str, str] | None = None) -> None:
        self.entries: list[_Announcement] = []
        for section in doc.sections if doc is not None else ():
            inside = (
                days is not None and section.date is not None and days[0] <= section.date <= days[1]
            )
            for entry in section.entries:
                found = tuple(
                    dict.fromkeys(advisory_name(m.group(0)) for m in ADVISORY.finditer(entry.text))
                )
                if found:
                    issues = frozenset(loose_id(i) for i in entry.issues if "#" in i)
                    words = significant_words(ADVISORY.sub(" ", entry.text)) if inside else ()
                    self.entries.append(_Announcement(found, issues, frozenset(words)))

    def of(self, text: str, issues: Iterable[str]) -> tuple[str, ...]:
        """The advisories announced for a change of `text` and `issues` (none: ())."""
        if not self.entries:
            return ()
        keys = {loose_id(i) for i in issues if "#" in i}
        by_issue = [a for a in self.entries if a.issues & keys]
        if by_issue:
            return tuple(dict.fromkeys(x for a in by_issue for x in a.advisories))
        words = significant_words(text)
        best: tuple[float, _Announcement] | None = None
        for announcement in self.entries:
            score = says_same(words, set(announcement.words))
            if score is not None and (best is None or score > best[0]):
                best = (score, announcement)
        return best[1].advisories if best is not None else ()
