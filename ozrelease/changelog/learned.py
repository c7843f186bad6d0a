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

from ozrelease.changelog.files import ChangelogFile, DocSection
from ozrelease.changelog.grouping import Classifier, Route, path_parts
from ozrelease.changelog.messages import (
    ParsedMessage,
    is_dependency,
    known_types,
    loose_id,
    parse_message,
)
from ozrelease.changelog.schema import SectionRule
from ozrelease.changelog.vocabulary import (
    FEATURE_GITMOJI,
    FEATURE_TYPES,
    FIX_GITMOJI,
    FIX_TYPES,
    INTERNAL_GITMOJI,
    INTERNAL_TYPES,
    SECURITY_GITMOJI,
    SECURITY_TYPES,
    scoped_key,
)
from ozrelease.changelog.words import says_same, significant_words
from ozrelease.errors import OzReleaseError
from ozrelease.history import History, Tag
from ozrelease.versions import Version, parse_version

__all__ = ["Learned", "learn_sections"]

_RELEASES = 10
"""At most how many of the newest released sections the names and mapping come from."""
_ENOUGH = 80
"""Entries after which no older released section is read (Open Zaak: two releases;
commitizen, whose patch releases list one or two entries each: ten)."""
_WORD = re.compile(r"[a-z]+")
_SCOPE = re.compile(r"^\*\*[^*]+\*\*:\s*")
_REQUEST = re.compile(r"\(#(\d+)\)|PR#(\d+)")
_PACKAGE_ITEM = re.compile(r"^(?:\w+\s+)?``([\w.\[\]-]+)``\s+(?:to|from|naar)\b", re.IGNORECASE)
"""A dependency item as Open Zaak's sections list them: ``django`` to 5.2.11."""
_NAME = re.compile(r"[\w.-]+")


@dataclass(frozen=True)
class Learned:
    sections: tuple[SectionRule, ...]
    default: int
    votes: int
    """How many commits of released sections the mapping was learned from (0: names only)."""
    hidden: frozenset[str] = frozenset()
    """`gitmoji:NAME` / `type:NAME` whose commits the released sections never listed."""
    lists_work: bool = False
    """The released sections list internal work that has an issue (tests, CI, tooling)."""
    routes: tuple[Route, ...] = ()
    """Where the entries of one gitmoji or type stood under two headings, a directory or
    file name their commits touched (or did not) under the one and not the other (Open
    Zaak: `:sparkles:` changes that touch `experimental.rst` under `Experimental
    features`, the others under `New features`), strongest first."""


# Words of headings that name one kind of change (`Feat` and `Added`, `Fix` and `Bugfixes`).
_KINDS = {
    "feat": "feat", "feature": "feat", "features": "feat", "added": "feat",
    "fix": "fix", "fixed": "fix", "fixes": "fix", "bugfix": "fix", "bugfixes": "fix",
    "bug": "fix", "bugs": "fix", "doc": "docs", "docs": "docs", "documentation": "docs",
    "removed": "remov", "remove": "remov", "deprecated": "depre", "deprecations": "depre",
}  # fmt: skip


def _stems(title: str) -> set[str]:
    return {
        _KINDS.get(w, w[:5])
        for w in _WORD.findall(title.lower())
        if len(w) >= 3 and w not in ("project", "new")
    }


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
    if len({_key(n) for names in released for n in names}) < 2:
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
    classifier: Classifier | None = None,
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
    work = _Work(classifier)
    votes, unmatched, listed, touched = _votes(history, doc, tip, own_repo, defaults, work)
    named = {_key(h): h for h in headings}
    votes = {key: _merged(counts, named) for key, counts in votes.items()}
    learned: dict[str, str] = {}
    for key, counts in votes.items():
        heading, count = counts.most_common(1)[0]
        if count >= 2 and count >= 0.6 * sum(counts.values()):
            learned[key] = heading
    rank = _ranks(defaults)
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
        # A heading ranks as the most important kind it holds: one that took `:sparkles:`
        # from `New features` (Open Zaak's `Experimental features`) ranks as features do,
        # so a change of a refactor and a feature commit stays a feature.
        gained = [rank[k] for k, target in learned.items() if target == heading and k in rank]
        priority = min([*(r.priority for r in sources), *gained], default=len(defaults) + position)
        rules.append(SectionRule(heading, frozenset(gitmoji), frozenset(types), priority))
    # Built-in sections the project has no heading for yet (a first security release) stay.
    claimed = {g for r in rules for g in r.gitmoji} | {t for r in rules for t in r.types}
    for index, rule in enumerate(defaults):
        if index not in mapped and ((rule.gitmoji | rule.types) - claimed or index == default):
            extra = replace(rule, gitmoji=rule.gitmoji - claimed, types=rule.types - claimed)
            rules.insert(0, extra) if rule.priority == 0 else rules.append(extra)
    catch_all = mapped.get(default, defaults[default].title)
    titles = [r.title for r in rules]
    chosen = titles.index(catch_all) if catch_all in titles else len(rules) - 1
    # What the released sections (almost) never list when no issue is named: a gitmoji or
    # type whose commits without an issue went unlisted at least three times and were listed
    # at most one time in five (Open Zaak: `:memo:` 6 to 1).
    hidden = frozenset(
        key
        for key, count in unmatched.items()
        if count >= 3
        and listed[key] <= _HIDDEN_SHARE * (count + listed[key])
        and key.partition(":")[2].partition("(")[0] not in _NEVER_HIDDEN
    )
    builtin = {
        f"{kind}:{name}": mapped[index]
        for index, rule in enumerate(defaults)
        if index in mapped
        for kind, names in (("gitmoji", rule.gitmoji), ("type", rule.types))
        for name in names
    }
    routes = _routes(votes, touched, {r.title: r for r in rules}, named, builtin)
    total = sum(sum(c.values()) for c in votes.values())
    return Learned(tuple(rules), chosen, total, hidden, work.listed(), routes)


def _merged(counts: Counter[str], named: dict[frozenset[str], str]) -> Counter[str]:
    """Votes for headings of the same words summed under the newest name (`Bugfixes and
    QOL` and `Bugfixes and QoL`: one heading, not the last one's count)."""
    merged: Counter[str] = Counter()
    for heading, count in counts.items():
        merged[named.get(_key(heading), heading)] += count
    return merged


_ROUTE_MIN = 2
"""Entries on each side of a route at least (one entry is an accident)."""
_ROUTE_SPLIT = (0.75, 0.25)
"""A path part marks a heading when at least this share of the key's entries under it touch
the part and at most this share of the key's entries under other headings do."""

_CONTAINERS = frozenset({"docs", "doc", "src", "lib", "tests", "test", ".github"})
"""Directories every kind of change touches: never a mark, however few entries there are
(Open Zaak 1.22: all five `Experimental features` entries touched `docs/`, as they touched
`docs/api/experimental.rst`)."""


def _routes(
    votes: dict[str, Counter[str]],
    touched: list[tuple[str, str, frozenset[str]]],
    rules: dict[str, SectionRule],
    named: dict[frozenset[str], str],
    builtin: dict[str, str],
) -> tuple[Route, ...]:
    """For each gitmoji or type whose entries stood under two or more headings, the path
    parts (directory or file names) that mark one heading's entries: a change led by it that
    touches one goes there, one that touches none under the heading its other entries stood
    under most (ties: the heading the built-in sections give it). `builtin`: key -> that
    heading."""
    high, low = _ROUTE_SPLIT
    found: list[tuple[float, Route]] = []
    for key, counts in sorted(votes.items()):
        ranked = [h for h, _ in counts.most_common() if h in rules]
        if len(ranked) < 2:
            continue
        entries = [
            (named.get(_key(heading), heading), parts)
            for entry_key, heading, parts in touched
            if entry_key == key
        ]
        best: tuple[float, Route] | None = None
        for heading in ranked:
            ones = [parts for h, parts in entries if h == heading]
            others = [(h, parts) for h, parts in entries if h != heading and h in rules]
            if len(ones) < _ROUTE_MIN or len(others) < _ROUTE_MIN:
                continue
            # (and rare under other headings whatever their key: not `docs`, `src`)
            elsewhere = [p for _, h, p in touched if named.get(_key(h), h) != heading]
            marks: list[tuple[float, str]] = []
            for part in sorted(set().union(*ones)):
                share_one = sum(part in p for p in ones) / len(ones)
                share_other = sum(part in p for _, p in others) / len(others)
                if part in _CONTAINERS or share_one < high or share_other > low:
                    continue
                if elsewhere and sum(part in p for p in elsewhere) / len(elsewhere) > low:
                    continue
                marks.append((share_one - share_other, part))
            if not marks:
                continue
            top = max(score for score, _ in marks)
            parts = tuple(part for score, part in marks if score >= top - 1e-9)
            rest = Counter(h for h, _ in others)
            untouched = max(rest, key=lambda h: (rest[h], h == builtin.get(key), h))
            if best is None or top > best[0]:
                best = (top, Route(key, parts, heading, untouched))
        if best is not None:
            found.append(best)
    found.sort(key=lambda f: -f[0])
    return tuple(route for _, route in found)


_HIDDEN_SHARE = 0.2
"""At most this share of a gitmoji's or type's issue-less commits listed: left out."""

# What a project's sections may leave out by habit, never these: fixes, features, security,
# upgrades (listed as one entry of packages, which the votes match only by package name).
_NEVER_HIDDEN = (
    {"arrow_up", "arrow_down", "pushpin", "deps"}
    | FIX_GITMOJI
    | FIX_TYPES
    | FEATURE_GITMOJI
    | FEATURE_TYPES
    | {"boom"}
    | (SECURITY_GITMOJI | SECURITY_TYPES)
)


_Touched = list[tuple[str, str, frozenset[str]]]

_WORK_MIN = 3
"""Issues of internal work at least, for a habit of listing it."""


class _Work:
    """Whether the released sections list internal work that has an issue: of the issues
    whose commits are all internal work (tests, CI, tooling; not release housekeeping or
    translations), at least half stand in the sections (Open Zaak 1.24 to 1.26: "[#2110] Fix
    tests for ClosedZaakMixin", "[open-api-framework#114] Upload performance test results")."""

    def __init__(self, classifier: Classifier | None) -> None:
        self.classifier = classifier
        self.work: set[str] = set()
        self.public: set[str] = set()
        self.entries: set[str] = set()

    def read(self, message: ParsedMessage, ids: Sequence[str], paths: Sequence[str]) -> None:
        classifier = self.classifier
        if classifier is None or not ids:
            return
        keys = {loose_id(i) for i in ids}
        internal = classifier.is_internal(message) or classifier.internal_paths(paths)
        if not internal:
            self.public |= keys
        elif classifier.is_work(message, paths):
            self.work |= keys

    def listed(self) -> bool:
        issues = self.work - self.public
        return len(issues) >= _WORK_MIN and 2 * len(issues & self.entries) >= len(issues)


def _votes(
    history: History,
    doc: ChangelogFile,
    tip: str,
    own_repo: str | None,
    defaults: Sequence[SectionRule],
    work: _Work,
) -> tuple[dict[str, Counter[str]], Counter[str], Counter[str], _Touched]:
    """(`gitmoji:NAME` or `type:NAME`) -> how often its commits stood under each heading in
    the newest released sections whose versions are tags reachable from `tip`; how many
    of its commits with no issue no entry names; and per entry (its lead key, its heading,
    the path parts its commits touched)."""
    types = known_types(frozenset(t for r in defaults for t in r.types))
    try:
        tags = [t for t in history.tags(merged_into=tip) if t.version is not None]
    except OzReleaseError:
        return {}, Counter(), Counter(), []
    by_version = {t.version: t for t in tags if t.version is not None}
    votes: dict[str, Counter[str]] = {}
    unmatched: Counter[str] = Counter()
    listed: Counter[str] = Counter()
    touched: _Touched = []
    used: list[tuple[DocSection, Tag]] = []
    for section in doc.sections:
        tag = _tag_of(section, by_version)
        if tag is not None and any(e.category for e in section.entries):
            used.append((section, tag))
        if len(used) >= _RELEASES or sum(len(s.entries) for s, _ in used) >= _ENOUGH:
            break
    if not used:
        return votes, unmatched, listed, touched
    # One scan from the newest of those releases back to the one before the oldest.
    oldest = used[-1][1].version
    assert oldest is not None
    older = [t for t in tags if t.version is not None and t.version < oldest]
    since = older[-1].name if older else None
    sections = [section for section, _ in used]
    tip_name = used[0][1].name
    _vote(
        history, sections, tip_name, since, types, own_repo, defaults,
        votes, unmatched, listed, touched, work,
    )  # fmt: skip
    return votes, unmatched, listed, touched


def _plain(text: str) -> str:
    """An entry's or subject's text without markup and case: ``name`` and `name` agree."""
    return text.replace("`", "").replace("*", "").strip(" .").lower()


def _ranks(defaults: Sequence[SectionRule]) -> dict[str, int]:
    """`gitmoji:NAME` / `type:NAME` -> the priority of the built-in section it feeds."""
    rank: dict[str, int] = {}
    for rule in defaults:
        for name in rule.gitmoji:
            rank.setdefault(f"gitmoji:{name}", rule.priority)
        for name in rule.types:
            rank.setdefault(f"type:{name}", rule.priority)
    return rank


def _tag_of(section: DocSection, by_version: dict[Version, Tag]) -> Tag | None:
    if section.version is None:
        return None
    try:
        return by_version.get(parse_version(section.version))
    except ValueError:
        return None


def _vote(
    history: History,
    sections: Sequence[DocSection],
    to: str,
    since: str | None,
    types: frozenset[str],
    own_repo: str | None,
    defaults: Sequence[SectionRule],
    votes: dict[str, Counter[str]],
    unmatched: Counter[str],
    listed: Counter[str],
    touched: _Touched,
    work: _Work,
) -> None:
    """One vote per entry of `sections`: the gitmoji or type of the commit behind it that the
    built-in sections rank highest (as grouping picks an entry's lead commit) -> its heading."""
    by_issue: dict[str, int] = {}
    by_request: dict[int, int] = {}
    by_text: dict[str, int] = {}
    by_package: dict[str, int] = {}
    said: list[frozenset[str]] = []
    entries = [e for section in sections for e in section.entries]
    for index, doc_entry in enumerate(entries):
        if doc_entry.category is None:
            continue
        for issue in doc_entry.issues:
            by_issue.setdefault(loose_id(issue), index)
        for match in _REQUEST.finditer(doc_entry.text):
            by_request.setdefault(int(match.group(1) or match.group(2)), index)
        text = _REQUEST.sub("", _SCOPE.sub("", doc_entry.text))
        by_text.setdefault(_plain(text), index)
        said.append(frozenset(significant_words(text)))
        package = _PACKAGE_ITEM.match(doc_entry.text)
        if package is not None:  # "``django`` to 5.2.11", nested under "Upgrade dependencies"
            by_package.setdefault(package.group(1).lower(), index)
    work.entries = set(by_issue)
    rank = _ranks(defaults)
    leads: dict[int, str] = {}
    parts: dict[int, set[str]] = {}
    for commit in history.commits(to, since=since):
        if commit.is_merge:
            continue
        message = parse_message(commit.subject, commit.body, types=types)
        work.read(message, message.ids(own_repo), [f.path for f in commit.files])
        if message.gitmoji in INTERNAL_GITMOJI or message.type in INTERNAL_TYPES:
            continue
        key = f"gitmoji:{message.gitmoji}" if message.gitmoji else None
        key = key or (f"type:{message.type}" if message.type else None)
        if key is None:
            continue
        entry = next(
            (by_issue[loose_id(i)] for i in message.ids(own_repo) if loose_id(i) in by_issue),
            None,
        )
        if entry is None:
            entry = next((by_request[n] for n in message.requests if n in by_request), None)
        if entry is None:
            entry = by_text.get(_plain(message.description))
        if entry is None and by_package and is_dependency(message):
            names = _NAME.findall(message.description.lower())
            entry = next((by_package[w] for w in names if w in by_package), None)
        # Habits may go by scope too: python-semantic-release lists `build(deps)`, never
        # `build(deps-test)`.
        keys = [key]
        if message.type and message.scope:
            keys.append(scoped_key(message.type, message.scope))
        if entry is None:
            if not message.issues:
                # (an entry in other words still counts as listed: it casts no vote)
                words = significant_words(message.description)
                if any(says_same(words, set(other)) for other in said):
                    listed.update(keys)
                else:
                    unmatched.update(keys)
            continue
        if not message.issues:
            listed.update(keys)
        parts.setdefault(entry, set()).update(path_parts(f.path for f in commit.files))
        lead = leads.get(entry)
        if lead is None or rank.get(key, 99) <= rank.get(lead, 99):
            leads[entry] = key  # (read newest first: ends as the oldest of the best)
    for entry, key in leads.items():
        category = entries[entry].category
        assert category is not None
        votes.setdefault(key, Counter())[category] += 1
        touched.append((key, category, frozenset(parts.get(entry, ()))))
