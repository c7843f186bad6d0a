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
    """The sibling repository (same owner) that holds this repository's issues, when the
    commits name its issues in full (`[open-formulieren/open-forms#6245]`) more often than
    bare `#N`, at least twice, and the changelog writes some of those very numbers bare
    (`[#6245]`): then a bare number means that repository's issue. None otherwise.

    Learned from the range's commits and the subjects of the commits before it
    (`past_subjects`), and from the bare numbers of the range's sections and of the whole
    `changelog`: a release whose few commits name the sibling once is read as its history
    is."""
    if own_repo is None or "/" not in own_repo:
        return None
    owner = own_repo.split("/")[0].lower()
    full: Counter[str] = Counter()
    numbers: dict[str, set[str]] = {}
    bare = 0
    past = [
        ref.id(own_repo)
        for subject in past_subjects
        for ref in find_issue_refs(_PULL.sub("", subject))
    ]
    for issue in [*(i for commit in commits for i in commit.ids), *past]:
        repo, sep, number = issue.rpartition("#")
        if not sep:
            bare += 1
        elif repo.split("/")[0].lower() == owner and repo.lower() != own_repo.lower():
            full[repo] += 1
            numbers.setdefault(repo, set()).add(number)
    if not full:
        return None
    repo, count = full.most_common(1)[0]
    written = {number for text in texts for name, number in text.keys if name == ""}
    written |= {str(ref.number) for ref in find_issue_refs(changelog) if ref.repo is None}
    if count >= 2 and count >= bare and written & numbers[repo]:
        return repo
    return None


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
