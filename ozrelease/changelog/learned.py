"""Sections as the project's own released sections write them: their names, order and mapping.

The built-in sections (Open Zaak's, Keep a Changelog's) are a fallback. Where the changelog has
released sections with sub-headings, their names and order win (`Bugfixes/QOL`, `Maintenance`,
`Experimental features`, `### Feat`), and the gitmoji and types of the commits behind the
entries of the newest few released sections decide which heading each gitmoji or type feeds.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ozrelease.changelog.config import SectionRule
from ozrelease.changelog.files import ChangelogFile, DocSection
from ozrelease.changelog.messages import known_types, parse_message
from ozrelease.errors import OzReleaseError
from ozrelease.history import History, Tag
from ozrelease.versions import Version, parse_version

__all__ = ["Learned", "learn_sections"]

_RELEASES = 3
"""How many of the newest released sections the mapping is learned from."""
_WORD = re.compile(r"[a-z]+")
_SCOPE = re.compile(r"^\*\*[^*]+\*\*:\s*")
_REQUEST = re.compile(r"\(#(\d+)\)|PR#(\d+)")


@dataclass(frozen=True)
class Learned:
    sections: tuple[SectionRule, ...]
    default: int
    votes: int
    """How many commits of released sections the mapping was learned from (0: names only)."""


def _stems(title: str) -> set[str]:
    return {w[:5] for w in _WORD.findall(title.lower()) if len(w) >= 3 and w != "project"}


def _headings(doc: ChangelogFile) -> list[str]:
    """The sub-headings of the newest few released sections: in the order of the one with
    the most, each under the name its newest use gives it (`Project maintenance` became
    `Maintenance`)."""
    released = [
        list(dict.fromkeys(e.category for e in s.entries if e.category))
        for s in doc.sections
        if s.version is not None
    ]
    released = [names for names in released if names][:_RELEASES]
    if not released or max(len(n) for n in released) < 2:
        return []
    newest: dict[frozenset[str], str] = {}
    for names in released:  # newest first: the first name seen for a set of words wins
        for name in names:
            newest.setdefault(_key(name), name)
    order = max(released, key=len)
    out = [newest[_key(n)] for n in order]
    for names in released:
        out += [newest[_key(n)] for n in names if newest[_key(n)] not in out]
    return list(dict.fromkeys(out))


def _key(title: str) -> frozenset[str]:
    return frozenset(_stems(title)) or frozenset({title.lower()})


def learn_sections(
    history: History,
    doc: ChangelogFile,
    defaults: Sequence[SectionRule],
    default: int,
    *,
    tip: str,
    own_repo: str | None,
) -> Learned | None:
    """The project's sections, or None when its changelog has no sub-headed releases."""
    headings = _headings(doc)
    if not headings:
        return None
    # Each built-in section goes to the project's heading with the same words
    # (`Bugfixes` -> `Bugfixes/QOL`, `Project maintenance` -> `Maintenance`).
    mapped: dict[int, str] = {}
    for index, rule in enumerate(defaults):
        stems = _stems(rule.title)
        best = max(headings, key=lambda h: (len(stems & _stems(h)), -headings.index(h)))
        if stems & _stems(best):
            mapped[index] = best
    votes = _votes(history, doc, tip, own_repo, defaults)
    learned: dict[str, str] = {}
    for key, counts in votes.items():
        heading, count = counts.most_common(1)[0]
        if count >= 2 and count >= 0.6 * sum(counts.values()):
            learned[key] = heading
    rules: list[SectionRule] = []
    for position, heading in enumerate(headings):
        sources = [defaults[i] for i, h in mapped.items() if h == heading]
        gitmoji = {g for r in sources for g in r.gitmoji}
        types = {t for r in sources for t in r.types}
        for key, target in learned.items():
            kind, _, name = key.partition(":")
            bucket = gitmoji if kind == "gitmoji" else types
            if target == heading:
                bucket.add(name)
            else:
                bucket.discard(name)
        priority = min((r.priority for r in sources), default=len(defaults) + position)
        rules.append(SectionRule(heading, frozenset(gitmoji), frozenset(types), priority))
    # Built-in sections the project has no heading for yet (a first security release) stay.
    claimed = {g for r in rules for g in r.gitmoji} | {t for r in rules for t in r.types}
    for index, rule in enumerate(defaults):
        if index not in mapped and (rule.gitmoji | rule.types) - claimed:
            extra = replace(rule, gitmoji=rule.gitmoji - claimed, types=rule.types - claimed)
            rules.insert(0, extra) if rule.priority == 0 else rules.append(extra)
    catch_all = mapped.get(default)
    titles = [r.title for r in rules]
    chosen = titles.index(catch_all) if catch_all in titles else len(rules) - 1
    return Learned(tuple(rules), chosen, sum(sum(c.values()) for c in votes.values()))


def _votes(
    history: History,
    doc: ChangelogFile,
    tip: str,
    own_repo: str | None,
    defaults: Sequence[SectionRule],
) -> dict[str, Counter[str]]:
    """(`gitmoji:NAME` or `type:NAME`) -> how often its commits stood under each heading in
    the newest released sections whose versions are tags reachable from `tip`."""
    types = known_types(frozenset(t for r in defaults for t in r.types))
    try:
        tags = [t for t in history.tags(merged_into=tip) if t.version is not None]
    except OzReleaseError:
        return {}
    by_version = {t.version: t for t in tags if t.version is not None}
    votes: dict[str, Counter[str]] = {}
    used = 0
    for section in doc.sections:
        if used >= _RELEASES:
            break
        tag = _tag_of(section, by_version)
        if tag is None or not any(e.category for e in section.entries):
            continue
        assert tag.version is not None
        older = [t for t in tags if t.version is not None and t.version < tag.version]
        since = older[-1].name if older else None
        used += 1
        _vote(history, section, tag.name, since, types, own_repo, votes)
    return votes


def _tag_of(section: DocSection, by_version: dict[Version, Tag]) -> Tag | None:
    if section.version is None:
        return None
    try:
        return by_version.get(parse_version(section.version))
    except ValueError:
        return None


def _vote(
    history: History,
    section: DocSection,
    to: str,
    since: str | None,
    types: frozenset[str],
    own_repo: str | None,
    votes: dict[str, Counter[str]],
) -> None:
    by_issue: dict[str, str] = {}
    by_request: dict[int, str] = {}
    by_text: dict[str, str] = {}
    for entry in section.entries:
        if entry.category is None:
            continue
        for issue in entry.issues:
            by_issue.setdefault(issue.rsplit("/", 1)[-1].lower(), entry.category)
        for match in _REQUEST.finditer(entry.text):
            by_request.setdefault(int(match.group(1) or match.group(2)), entry.category)
        text = _REQUEST.sub("", _SCOPE.sub("", entry.text)).strip(" .").lower()
        by_text.setdefault(text, entry.category)
    for commit in history.commits(to, since=since, files=False):
        if commit.is_merge:
            continue
        message = parse_message(commit.subject, commit.body, types=types)
        key = f"gitmoji:{message.gitmoji}" if message.gitmoji else None
        key = key or (f"type:{message.type}" if message.type else None)
        if key is None:
            continue
        heading = next(
            (
                by_issue[i.rsplit("/", 1)[-1].lower()]
                for i in message.ids(own_repo)
                if i.rsplit("/", 1)[-1].lower() in by_issue
            ),
            None,
        )
        heading = heading or next(
            (by_request[n] for n in message.requests if n in by_request), None
        )
        heading = heading or by_text.get(message.description.strip(" .").lower())
        if heading is not None:
            votes.setdefault(key, Counter())[heading] += 1
