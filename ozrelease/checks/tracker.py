"""A repository whose issues live in a sibling repository (the Open Forms SDK's in open-forms)."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Sequence

from ozrelease.changelog.grouping import Change
from ozrelease.changelog.messages import find_issue_refs
from ozrelease.checks.context import RangeCommit
from ozrelease.checks.section_text import SectionText

# A pull request's number, not an issue: `Merge pull request #12 from ...`, `Fix x (#12)`.
_PULL = re.compile(r"^Merge pull request #\d+|\(#\d+\)\s*$")


def issue_tracker(
    commits: Sequence[RangeCommit],
    texts: Sequence[SectionText],
    own_repo: str | None,
    past_subjects: Sequence[str] = (),
    changelog: str = "",
) -> str | None:
    """The sibling repository (same owner) that holds this repository's issues: then a bare
    number means that repository's issue. None otherwise.

    Either the range says so: its commits name the sibling's issues in full
    (`[open-formulieren/open-forms#6245]`) at least twice and at least as often as bare `#N`,
    and the range's sections write some of those very numbers bare (`[#6245]`). Or the
    history does, for a release whose few commits cannot: of the numbers the whole
    `changelog` writes bare, at least two, and more than are this repository's, are numbers
    the range's commits or the subjects before it (`past_subjects`) name as the sibling's."""
    if own_repo is None or "/" not in own_repo:
        return None
    written = {number for text in texts for name, number in text.keys if name == ""}
    range_ids = [i for commit in commits for i in commit.ids]
    full, numbers, bare = _count(range_ids, own_repo)
    if full:
        repo, count = full.most_common(1)[0]
        if count >= 2 and count >= len(bare) and written & numbers[repo]:
            return repo
    past = [
        ref.id(own_repo)
        for subject in past_subjects
        for ref in find_issue_refs(_PULL.sub("", subject))
    ]
    full, numbers, bare = _count([*range_ids, *past], own_repo)
    ever_written = {str(ref.number) for ref in find_issue_refs(changelog) if ref.repo is None}
    best: tuple[int, str] | None = None
    for repo in sorted(numbers):
        sibling = len(ever_written & numbers[repo])
        own = len(ever_written & (set(bare) - numbers[repo]))
        if sibling >= 2 and sibling > own and (best is None or sibling > best[0]):
            best = (sibling, repo)
    return best[1] if best else None


def _count(
    ids: Sequence[str], own_repo: str
) -> tuple[Counter[str], dict[str, set[str]], list[str]]:
    """How often each sibling is named in full, the numbers named for each, and the bare
    numbers."""
    owner = own_repo.split("/")[0].lower()
    full: Counter[str] = Counter()
    numbers: dict[str, set[str]] = {}
    bare: list[str] = []
    for issue in ids:
        repo, sep, number = issue.rpartition("#")
        if not sep:
            bare.append(number)
        elif repo.split("/")[0].lower() == owner and repo.lower() != own_repo.lower():
            full[repo] += 1
            numbers.setdefault(repo, set()).add(number)
    return full, numbers, bare


def use_tracker(
    tracker: str,
    commits: Sequence[RangeCommit],
    changes: Sequence[Change],
    texts: Sequence[SectionText],
) -> list[Change]:
    """Read bare numbers as the tracker's issues, in the commits and in the sections."""

    def relabel(issue: str) -> str:
        return issue if "#" in issue else f"{tracker}#{issue}"

    for commit in commits:
        commit.ids = tuple(dict.fromkeys(relabel(i) for i in commit.ids))
    for text in texts:
        text.also_named(tracker)
    return [
        dataclasses.replace(change, issues=tuple(dict.fromkeys(map(relabel, change.issues))))
        for change in changes
    ]
