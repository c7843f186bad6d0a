"""Commits -> changes: one per pull request or issue, classified into the changelog's sections."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property, lru_cache

from ozrelease.changelog.globs import translate
from ozrelease.changelog.messages import (
    SHIPPED_TYPES,
    SHIPPING,
    MergeInfo,
    ParsedMessage,
    branch_issue,
    entry_text,
    is_dependency,
    is_formatting,
    is_housekeeping,
    known_types,
    loose_id,
    opens_change,
    parse_message,
    weak_title,
)
from ozrelease.changelog.schema import ChangelogConfig, SectionRule
from ozrelease.changelog.vocabulary import (
    HOUSEKEEPING_GITMOJI,
    SECURITY_GITMOJI,
    ecosystem_of,
    scoped_key,
)
from ozrelease.history import Commit

__all__ = ["Change", "Classifier", "Shipped", "group_changes"]


# -- classification ------------------------------------------------------------------------


_CHANGELOG_PATH = re.compile(r"(?:.*/)?(?:CHANGELOG|CHANGES|HISTORY)[^/]*\Z|docs/changelog[^/]*\Z")
"""The changelog and its history: editing it is no work to list."""


class Classifier:
    """Which section a message feeds and whether it is internal, per the configuration."""

    def __init__(
        self,
        config: ChangelogConfig,
        sections: Sequence[SectionRule],
        default: int,
        *,
        also_internal: Sequence[str] = (),
        hidden: frozenset[str] = frozenset(),
        routes: Sequence[Route] = (),
        keep_work: bool = False,
    ):
        """`also_internal`: more globs of paths that alone make a commit internal (and never
        internal work, see `is_work`). `hidden`: `gitmoji:NAME` / `type:NAME` the project's
        sections leave out (when no issue is named). `routes`: headings chosen by the files a
        change touches. `keep_work`: internal work that has an issue is listed (the project's
        sections list it: Open Zaak's "[#2110] Fix tests for ClosedZaakMixin")."""
        self.sections = tuple(sections)
        self.hidden = hidden
        self.keep_work = keep_work
        self.default = default
        self.internal_gitmoji = config.internal_gitmoji
        self.internal_types = config.internal_types
        self.types = frozenset(t for s in self.sections for t in s.types) | config.internal_types
        globs = (*config.internal_paths, *also_internal)
        patterns = [translate(p, classes=False) + r"\Z" for p in globs]
        internal = re.compile("|".join(f"(?:{p})" for p in patterns) or r"(?!)")
        # Remembered per path: a history changes the same files again and again.
        self._internal_path: Callable[[str], bool] = lru_cache(maxsize=1 << 14)(
            lambda path: internal.match(path) is not None
        )
        never = [translate(p, classes=False) + r"\Z" for p in also_internal]
        no_work = re.compile("|".join(f"(?:{p})" for p in never) or r"(?!)")
        self._no_work: Callable[[str], bool] = lru_cache(maxsize=1 << 12)(
            lambda path: no_work.match(path) is not None
        )
        self._by_gitmoji: dict[str, int] = {}
        self._by_type: dict[str, int] = {}
        for index, section in enumerate(self.sections):
            for name in section.gitmoji:
                self._by_gitmoji.setdefault(name, index)
            for name in section.types:
                self._by_type.setdefault(name, index)

        titles = {section.title: index for index, section in enumerate(self.sections)}
        self._routes: dict[str, tuple[frozenset[str], int, int]] = {}
        for route in routes:
            if route.touched in titles and route.untouched in titles:
                self._routes.setdefault(
                    route.key,
                    (frozenset(route.parts), titles[route.touched], titles[route.untouched]),
                )

    def priority(self, index: int) -> int:
        return self.sections[index].priority

    def is_internal(self, message: ParsedMessage) -> bool:
        """Internal work by its message: an internal gitmoji or type, or a formatter run."""
        if message.gitmoji is not None and message.gitmoji in self.internal_gitmoji:
            return True
        if is_formatting(message):
            return True
        ctype, scope = message.type, message.scope
        if ctype is not None:
            if ctype in self.internal_types:
                return True
            if scope is not None and f"{ctype}({scope.lower()})" in self.internal_types:
                return True
        return False

    def is_work(self, message: ParsedMessage, paths: Sequence[str]) -> bool:
        """Internal work a project may list when it has an issue (tests, CI, tooling), not
        release housekeeping, regenerated translations, or a commit that edits the changelog
        (it wrote its own entry, or it is the release's)."""
        ctype, scope = message.type, message.scope
        release = ctype in ("release", "bump") or (ctype == "chore" and scope == "release")
        if release or message.gitmoji in HOUSEKEEPING_GITMOJI or is_housekeeping(message):
            return False
        if any(_CHANGELOG_PATH.match(p) for p in paths):
            return False
        return not (paths and all(self._no_work(p) for p in paths))

    def is_hidden(self, message: ParsedMessage) -> bool:
        """Whether the project's released sections leave such commits out."""
        if not self.hidden or message.issues:
            return False
        key = f"gitmoji:{message.gitmoji}" if message.gitmoji else f"type:{message.type}"
        if key in self.hidden:
            return True
        return bool(message.type and message.scope) and (
            scoped_key(message.type or "", message.scope or "") in self.hidden
        )

    def section(self, message: ParsedMessage) -> int | None:
        """The section the message names by gitmoji (first: `:bug: feat: x` is a fix) or by
        type; None: none named."""
        if message.gitmoji is not None and message.gitmoji in self._by_gitmoji:
            return self._by_gitmoji[message.gitmoji]
        ctype, scope = message.type, message.scope
        if ctype is not None:
            if scope is not None:
                scoped = self._by_type.get(f"{ctype}({scope.lower()})")
                if scoped is not None:
                    return scoped
            return self._by_type.get(ctype)
        if message.gitmoji is None:
            # A plain subject says its kind by its verb: "[#12] Add producttype parameters".
            verb = _LEADING_WORD.match(message.description)
            inferred = _VERB_TYPES.get(verb.group(1).lower()) if verb else None
            if inferred is not None:
                return self._by_type.get(inferred)
        return None

    def routed(self, key: str, paths: Iterable[str]) -> int | None:
        """The section a learned route gives a change led by `key` that touched `paths`."""
        route = self._routes.get(key)
        if route is None:
            return None
        marks, touched, untouched = route
        return touched if marks & path_parts(paths) else untouched

    def internal_paths(self, paths: Iterable[str]) -> bool:
        """Whether every path is internal (tests, CI, changelog); False for no paths."""
        seen = False
        for path in paths:
            seen = True
            if not self._internal_path(path):
                return False
        return seen


_LEADING_WORD = re.compile(r"\W*([A-Za-z]+)\s")  # (not "Fix/2426 add slug", a branch)
_VERB_TYPES = {
    **dict.fromkeys(("add", "added", "adds", "implement", "implemented", "introduce"), "feat"),
    **dict.fromkeys(("fix", "fixed", "fixes", "resolve", "resolved"), "fix"),
}


@dataclass(frozen=True)
class Route:
    """A change whose lead commit has `key` (`gitmoji:NAME` / `type:NAME`) goes under
    `touched` when its commits touch a file with one of the directory or file names `parts`,
    under `untouched` otherwise (learned.Learned.routes)."""

    key: str
    parts: tuple[str, ...]
    touched: str
    untouched: str


def path_parts(paths: Iterable[str]) -> frozenset[str]:
    """The directory and file names of paths (`src/x/api/views.py`: src, x, api, views.py)."""
    return frozenset(part for path in paths for part in path.split("/") if part)


# -- the data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shipped:
    """What patch releases of maintenance branches, cut inside the range, already shipped:
    the commits they cherry-picked (`git cherry-pick -x`), their subjects, and the issues
    their changelog sections name. Such changes are left out of the release's section."""

    shas: frozenset[str] = frozenset()
    subjects: frozenset[str] = frozenset()
    issues: frozenset[str] = frozenset()
    """As `issue_key` compares them: `2426`, `open-api-framework#12`."""
    files: frozenset[tuple[frozenset[str], datetime]] = frozenset()
    """The paths each shipped commit changed, with its author date: a commit of the range
    that changed the same ones at the same author date (a cherry-pick keeps it), under
    another subject, is compared by patch id."""
    same_patch: Callable[[Commit], bool] | None = None
    """Whether the commit has the patch id of a shipped commit (asked of `may_be` ones)."""

    def has(self, commit: Commit) -> bool:
        if commit.sha in self.shas or commit.subject in self.subjects:
            return True
        return self.may_be(commit) and self.same_patch is not None and self.same_patch(commit)

    def may_be(self, commit: Commit) -> bool:
        """Whether a commit that neither sha nor subject matches changed exactly the files
        a shipped one did, at its author date (so that only its patch id can tell)."""
        if self.same_patch is None or not commit.files or commit.is_merge:
            return False
        if commit.sha in self.shas or commit.subject in self.subjects:
            return False
        if commit.authored_at not in self._dates:
            return False  # (most commits: no set of their paths to make)
        return (frozenset(f.path for f in commit.files), commit.authored_at) in self.files

    @cached_property
    def _dates(self) -> frozenset[datetime]:
        return frozenset(when for _, when in self.files)


@dataclass(frozen=True)
class Change:
    """One changelog entry's worth of history: the commits of one pull request, or of one
    issue, or one commit."""

    section: int | None
    """Index into the classifier's sections; None: internal, left out."""
    text: str
    issues: tuple[str, ...]
    commits: tuple[str, ...]
    """Full shas, oldest first (merge commits included)."""
    breaking: bool
    landed: int
    """Position on the first-parent line where it landed (0 = the oldest change)."""
    scope: str | None = None
    """The Conventional Commits scope of the commit the text comes from (`config`)."""
    dependency: bool = False
    """A dependency upgrade (`:arrow_up:`, `deps`, `build(deps)`, a bot's bump)."""
    ecosystem: str | None = None
    """What a dependency upgrade upgrades: `python`, `nodejs`, `docker`; None: unknown."""
    requests: tuple[int, ...] = ()
    """The pull (merge) requests that landed it."""
    advisories: tuple[str, ...] = ()
    """Security advisories its commits or merge name (`GHSA-...`, `CVE-...`)."""


@dataclass(frozen=True)
class _Best:
    """The commit whose section and text a unit takes: the most important section, and in
    it the oldest commit."""

    priority: int
    section: int
    text: str
    scope: str | None
    dependency: bool
    paths: Sequence[str] = ()
    """The commit's paths (what a dependency upgrade upgrades: see `ecosystem`)."""
    key: str = ""
    """`gitmoji:NAME` / `type:NAME` of the commit (for Classifier.routed)."""

    @property
    def ecosystem(self) -> str | None:
        return ecosystem_of(self.paths) if self.dependency else None


@dataclass
class _Unit:
    """The commits that came in through one merge (or one commit on the first-parent line),
    while commits may still join it (`refs`: how many unread commits lead to it)."""

    id: int
    """Creation order: the newest unit reaching a commit owns it."""
    landed: int
    transparent: bool = False
    """A placeholder for the side of a plain merge: each commit under it is a unit."""
    refs: int = 0
    title: ParsedMessage | None = None
    branch: str | None = None
    branch_issue: str | None = None
    shas: list[str] = field(default_factory=list)
    issues: dict[str, None] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    fallback: str = ""
    best: _Best | None = None
    breaking: bool = False
    note: str | None = None
    breaking_text: str | None = None
    """What the breaking commit says (`:boom: Require Python 3.12` in a pull request titled
    "Type check the package in CI"): the entry says what breaks."""
    public: bool = False
    work: bool = False
    """An internal commit of it is work the project lists when it has an issue."""
    requests: dict[int, None] = field(default_factory=dict)
    advisories: dict[str, None] = field(default_factory=dict)
    paths: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Filed:
    """A finished unit."""

    landed: int
    id: int
    section: int | None
    text: str
    main: str | None
    issues: tuple[str, ...]
    shas: tuple[str, ...]
    """Oldest first."""
    breaking: bool
    scope: str | None
    dependency: bool
    ecosystem: str | None
    requests: tuple[int, ...]
    advisories: tuple[str, ...]
    key: str | None = None
    """`gitmoji:NAME` / `type:NAME` its section came from (for Classifier.routed)."""
    paths: frozenset[str] = frozenset()
    """The paths its commits touched."""


# -- grouping ------------------------------------------------------------------------------


def group_changes(
    commits: Iterable[Commit],
    *,
    tip: str,
    classifier: Classifier,
    own_repo: str | None = None,
    internal: bool = True,
    shipped: Shipped | None = None,
) -> list[Change]:
    """Group commits (children before parents, as `git log --topo-order` gives them) into
    changes, oldest landed first.

    Each commit belongs to the merge on the first-parent line of `tip` that brought it in
    (nested pull-request merges start their own change); a plain `git merge` of a branch
    without request or title keeps its commits apart. Changes that share their main issue
    then become one. `internal=False` leaves internal changes (section None) out.
    """
    walk = _Walk(classifier, own_repo, shipped or Shipped())
    for commit in commits:
        walk.add(commit, tip)
    changes = _merge_by_issue(walk.finish_all(), classifier, internal)
    if shipped is None or not shipped.issues:
        return changes
    return [c for c in changes if not (c.issues and set(map(loose_id, c.issues)) <= shipped.issues)]


class _Walk:
    """The open frontier of the commit graph while the log is read."""

    def __init__(self, classifier: Classifier, own_repo: str | None, shipped: Shipped) -> None:
        self.classifier = classifier
        self.shipped = shipped
        self.types = known_types(classifier.types)
        self.own = own_repo
        self.created = 0
        self.filed: list[_Filed] = []
        self.pending: dict[str, _Unit] = {}  # sha not read yet -> the unit reaching it
        self.mainline: str | None = None
        self.position = 0

    def new_unit(
        self, landed: int, merge: MergeInfo | None = None, refs: Sequence[str] = ()
    ) -> _Unit:
        self.created += 1
        unit = _Unit(self.created, landed)
        if merge is not None:
            if merge.title:
                unit.title = parse_message(merge.title, "", types=self.types)
            if merge.branch:
                unit.branch = merge.branch
                number = branch_issue(merge.branch)
                if number is not None:
                    unit.branch_issue = str(number)
            for issue in refs:
                unit.issues.setdefault(issue)
        return unit

    def transparent(self, landed: int) -> _Unit:
        self.created += 1
        return _Unit(self.created, landed, transparent=True)

    def add(self, commit: Commit, tip: str) -> None:
        if self.mainline is None:
            self.mainline = tip
        message = parse_message(commit.subject, commit.body, types=self.types)
        ids = message.ids(self.own)
        merge = message.merge
        sha, parents = commit.sha, commit.parents
        inherited = self.pending.pop(sha, None)
        if inherited is not None:
            inherited.refs -= 1
        is_merge = len(parents) > 1
        opens = is_merge and merge is not None and opens_change(merge)
        carry: _Unit | None
        side: _Unit | None
        if sha == self.mainline:
            self.mainline = parents[0] if parents else ""
            self.position += 1
            carry = None  # the first parent is the next commit of the line: a unit of its own
            if opens:
                unit = side = self.new_unit(-self.position, merge, ids)
            else:
                unit = self.new_unit(-self.position)
                side = self.transparent(-self.position) if is_merge else None
        else:
            if inherited is None:  # cannot happen for a --topo-order scan from `tip`
                inherited = self.transparent(-self.position)
            carry = side = inherited
            if opens:
                # A pull request merged into a branch that is merged itself: its own change.
                unit = side = self.new_unit(inherited.landed, merge, ids)
            elif inherited.transparent:
                unit = self.new_unit(inherited.landed)
            else:
                unit = inherited
        unit.shas.append(sha)
        unit.advisories.update(dict.fromkeys(message.advisories))
        if opens:
            unit.requests.update(dict.fromkeys(message.requests))
        if not is_merge and not self.shipped.has(commit):
            self._read(unit, message, ids, [f.path for f in commit.files])
        replaced: list[_Unit] = []
        targets = [carry] if not is_merge else [carry] + [side] * (len(parents) - 1)
        for parent, target in zip(parents, targets, strict=False):
            if target is None:
                continue
            previous = self.pending.get(parent)
            if previous is None or target.id > previous.id:
                self.pending[parent] = target
                target.refs += 1
                if previous is not None:
                    previous.refs -= 1
                    replaced.append(previous)
        for done in (unit, inherited, *replaced):
            if done is not None and done.refs == 0:
                self.finish(done)

    def _read(
        self, unit: _Unit, message: ParsedMessage, ids: Sequence[str], paths: list[str]
    ) -> None:
        """What one non-merge commit adds to its unit."""
        unit.fallback = message.description  # read newest first: ends as the oldest's
        unit.requests.update(dict.fromkeys(message.requests))
        for issue in ids:
            unit.issues.setdefault(issue)
            unit.counts[issue] = unit.counts.get(issue, 0) + 1
        unit.paths.update(paths)
        classifier = self.classifier
        internal = (
            classifier.is_internal(message)
            or is_housekeeping(message)
            or classifier.is_hidden(message)
        )
        if not internal and classifier.internal_paths(paths):
            # tests or CI files only: internal, unless the message calls it a fix or feature
            # of how the project is built and shipped (`fix(cd): publish musl wheels`)
            internal = not (message.type in SHIPPED_TYPES and message.scope in SHIPPING)
        if internal:
            if self.classifier.keep_work and self.classifier.is_work(message, paths):
                unit.work = True
            return
        unit.public = True
        if message.breaking:
            unit.breaking = True
            unit.note = unit.note or message.breaking_note
            unit.breaking_text = entry_text(message)  # (read newest first: ends as the oldest)
        section = classifier.section(message)
        if section is None:
            section = classifier.default
        priority = classifier.priority(section)
        best = unit.best
        if best is None or priority <= best.priority:  # the oldest (read last) of the best
            dependency = is_dependency(message)
            unit.best = _Best(
                priority,
                section,
                entry_text(message),
                message.scope,
                dependency,
                paths,
                f"gitmoji:{message.gitmoji}" if message.gitmoji else f"type:{message.type}",
            )

    def finish(self, unit: _Unit) -> None:
        """File a unit no commit can join any more."""
        unit.refs = -1
        if unit.transparent:
            return
        unit.shas.reverse()
        best = unit.best
        if best is not None:
            routed = self.classifier.routed(best.key, unit.paths)
            if routed is not None and routed != best.section:
                priority = self.classifier.priority(routed)
                unit.best = replace(best, section=routed, priority=priority)
        self.filed.append(_filed(unit, self.classifier, self.own))

    def finish_all(self) -> list[_Filed]:
        # Ancestors outside the range stay in `pending`; they belong to no change.
        for unit in list(self.pending.values()):
            if unit.refs > 0:
                self.finish(unit)
        self.pending.clear()
        return self.filed


def _filed(unit: _Unit, classifier: Classifier, own: str | None) -> _Filed:
    """A unit's section (None when internal), text, main issue and issues."""
    title = unit.title
    best = unit.best
    section: int | None = None
    text = ""
    internal = not unit.public
    breaking = unit.breaking
    paths = frozenset(unit.paths)
    key = best.key if best is not None else None
    # Internal work with an issue, where the project's sections list such work: its own
    # entry in the catch-all section (never release housekeeping or translations).
    work = unit.work and not unit.public and bool(unit.issues or unit.branch_issue)
    work = work or (unit.work and title is not None and bool(title.issues))
    if work:
        internal = False
    if title is not None:
        internal = internal or (classifier.is_internal(title) and not work)
        if not internal:
            section = classifier.section(title)
            if section is not None:
                key = f"gitmoji:{title.gitmoji}" if title.gitmoji else f"type:{title.type}"
                routed = classifier.routed(key, paths)
                section = routed if routed is not None else section
            breaking = breaking or title.breaking
        upgrades = best is not None and best.dependency and title.gitmoji in SECURITY_GITMOJI
        if upgrades:
            section = None  # ":lock: Security updates" of dependencies: maintenance
        elif not weak_title(title.description, unit.branch):
            text = title.description
    if section is None:
        section = best.section if best is not None else classifier.default
    if not text and best is not None:
        text = best.text
    if not text and title is not None:
        text = title.description
    text = text or unit.fallback
    if breaking and unit.note:
        text = unit.note  # the `BREAKING CHANGE:` footer says what users must know
    elif unit.breaking_text and not (title is not None and title.breaking):
        text = unit.breaking_text
    issues = dict(unit.issues)
    main: str | None = None
    if title is not None and title.issues:
        title_ids = title.ids(own)
        for issue in title_ids:
            issues.setdefault(issue)
        main = title_ids[0]
    if main is None and unit.branch_issue is not None:
        main = unit.branch_issue
        issues.setdefault(main)
    if main is None and unit.counts:
        top = max(unit.counts.values())
        main = next(i for i in unit.issues if unit.counts.get(i) == top)
    ordered = (main, *[i for i in issues if i != main]) if main else tuple(issues)
    return _Filed(
        landed=unit.landed,
        id=unit.id,
        section=None if internal else section,
        text=text,
        main=main,
        issues=ordered,
        shas=tuple(unit.shas),
        breaking=breaking and not internal,
        scope=best.scope if best is not None else (title.scope if title else None),
        dependency=best.dependency if best is not None else False,
        ecosystem=best.ecosystem if best is not None else None,
        requests=tuple(sorted(unit.requests)),
        advisories=tuple(unit.advisories),
        key=key,
        paths=paths,
    )


def _merge_by_issue(
    filed: list[_Filed], classifier: Classifier, keep_internal: bool
) -> list[Change]:
    """Changes from finished units: those that share their main issue become one."""
    by_issue: dict[str, list[_Filed]] = {}
    found: list[Change] = []
    for done in filed:
        if done.main is None:
            if keep_internal or done.section is not None:
                found.append(_change(done))
        else:
            by_issue.setdefault(done.main, []).append(done)
    for members in by_issue.values():
        merged = _merge_units(members, classifier, keep_internal)
        if merged is not None:
            found.append(merged)
    # `landed` counted down from the tip; make it count up from the oldest.
    low = min((c.landed for c in found), default=0)
    found.sort(key=lambda c: (c.landed, c.commits[0]))
    return [replace(c, landed=c.landed - low) for c in found]


def _change(done: _Filed) -> Change:
    return Change(
        done.section,
        done.text,
        done.issues,
        done.shas,
        done.breaking,
        done.landed,
        done.scope,
        done.dependency,
        done.ecosystem,
        done.requests,
        done.advisories,
    )


def _merge_units(
    members: list[_Filed], classifier: Classifier, keep_internal: bool
) -> Change | None:
    """The change made of the units that share one main issue; None when it is internal
    and internal changes are not kept."""
    members = sorted(members, key=lambda m: (m.landed, m.id))
    public = [m for m in members if m.section is not None]
    if not public and not keep_internal:
        return None
    if len(members) == 1:
        return _change(members[0])
    shas = tuple(sha for m in members for sha in m.shas)
    issues = tuple(dict.fromkeys(i for m in members for i in m.issues))
    if not public:
        first = members[0]
        return Change(None, first.text, issues, shas, False, first.landed, first.scope)  # internal
    lead = min(public, key=lambda m: (classifier.priority(m.section or 0), m.landed))
    section = lead.section
    if lead.key is not None:
        # the files all of the issue's changes touched choose, as for one change
        routed = classifier.routed(lead.key, frozenset().union(*(m.paths for m in members)))
        section = routed if routed is not None else section
    breaking = any(m.breaking for m in members)
    return Change(
        section,
        lead.text,
        issues,
        shas,
        breaking,
        public[0].landed,
        lead.scope,
        lead.dependency,
        lead.ecosystem,
        tuple(sorted({n for m in members for n in m.requests})),
        tuple(dict.fromkeys(a for m in members for a in m.advisories)),
    )
