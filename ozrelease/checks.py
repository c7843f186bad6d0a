"""`changelog check`: what landed in a range of history against the changelog section for it."""

from __future__ import annotations

import ast
import hashlib
import operator
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date as Date
from pathlib import Path
from typing import Any

from ozrelease import openapi
from ozrelease.changelog import (
    ChangelogFile,
    DocEntry,
    DocSection,
    read_changelog,
    resolve_style,
)
from ozrelease.commits import (
    Change,
    Classifier,
    IssueRef,
    ParsedMessage,
    find_issue_refs,
    group_changes,
    parse_message,
)
from ozrelease.config import CHECK_RULES, Config, load_config
from ozrelease.errors import GitError, InputError, OzReleaseError
from ozrelease.history import SHALLOW_HINT, Commit, History, Progress, Tag
from ozrelease.versions import Version, parse_version

__all__ = [
    "JSON_FORMAT",
    "KINDS",
    "Finding",
    "Report",
    "SectionUsed",
    "Suppressed",
    "as_json",
    "check",
    "fingerprint",
    "github_annotations",
    "gitlab_code_quality",
    "text_view",
]

JSON_FORMAT = "ozrelease-check/1"
KINDS = ("issue-missing", "change-missing", "api-breaking")


# -- the data ------------------------------------------------------------------------------


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

    @property
    def exit_code(self) -> int:
        return 1 if self.findings else 0


# -- globs ---------------------------------------------------------------------------------


def _glob(pattern: str) -> str:
    """A path glob as a regular expression: `*` stays inside a folder, `**` spans folders,
    `?` is one character, `[0-9]` a class."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 1 :]:
            end = pattern.index("]", i + 1)
            body = pattern[i + 1 : end].replace("\\", "\\\\")
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append(f"[{body}]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


class Globs:
    """Matches paths against globs; a glob starting with `!` takes paths out again."""

    def __init__(self, patterns: Iterable[str]) -> None:
        take = [_glob(p) for p in patterns if not p.startswith("!")]
        drop = [_glob(p[1:]) for p in patterns if p.startswith("!")]
        self._take = re.compile("|".join(f"(?:{p})" for p in take) + r"\Z" if take else r"(?!)")
        self._drop = re.compile("|".join(f"(?:{p})" for p in drop) + r"\Z" if drop else r"(?!)")

    def __call__(self, path: str) -> bool:
        return bool(self._take.match(path)) and not self._drop.match(path)


# -- issue ids -----------------------------------------------------------------------------

_ROLE_REF = re.compile(r":(?P<role>[\w.+-]+):`(?:[^`<]*<)?#?(?P<n>\d+)>?`")
_ADVISORY = re.compile(r"\b(?:GHSA(?:-[23456789cfghjmpqrvwx]{4}){3}|CVE-\d{4}-\d{4,})\b", re.I)
_BREAKING_WORDS = re.compile(
    r"\bbreaking\b|\bbreaks?\b|backwards?[- ]incompatib|not backwards?[- ]compatible|"
    r"\bincompatib|\bremoved\b.*\bapi\b|\bupgrade notes?\b",
    re.I,
)
_ENV_NAME = re.compile(r"(?<![\w.])[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?![\w])")


def _key(issue: str) -> tuple[str, str]:
    """Issue ids compared loosely: `owner/name#12`, `name#12` (an unknown Sphinx role named
    like the repository) and `12` for this repository."""
    repo, sep, number = issue.rpartition("#")
    if not sep:
        return ("", issue)
    return (repo.rsplit("/", 1)[-1].lower(), number)


def _norm_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.lower())


_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "from",
        "by",
        "at",
        "as",
        "is",
        "are",
        "be",
        "it",
        "its",
        "this",
        "that",
        "into",
        "when",
        "not",
        "no",
        "now",
        "new",
        "add",
        "added",
        "adds",
        "fix",
        "fixed",
        "fixes",
        "update",
        "updated",
        "updates",
        "use",
        "used",
        "make",
        "made",
        "set",
        "support",
        "allow",
        "allowed",
        "change",
        "changed",
        "changes",
        "improve",
        "improved",
        "remove",
        "removed",
    ]
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+|[A-Za-z][A-Za-z0-9]+")


def _stem(word: str) -> str:
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith(("ed", "es")):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return word[:-1] if len(word) > 4 and word.endswith("e") else word


def _related(a: str, b: str) -> bool:
    """Words that are the same or share a stem of five letters (`config`, `configuration`)."""
    if a == b:
        return True
    return len(a) >= 5 and len(b) >= 5 and a[:5] == b[:5]


def _is_identifier(word: str) -> bool:
    return (len(word) >= 5 and "_" in word.strip("_")) or bool(re.search(r"[a-z][A-Z]", word))


def _words(text: str) -> set[str]:
    """Significant words, stemmed; identifiers (`consumer_timeout`, `CloudEvent`) whole."""
    text = _ROLE_REF.sub(" ", text)
    out = set()
    for match in _WORD.finditer(text):
        word = match.group(0)
        if _is_identifier(word):
            out.add(word)
            continue
        lower = word.lower()
        if len(lower) >= 3 and lower not in _STOPWORDS:
            out.add(_stem(lower))
    return out


class _SectionText:
    """What a changelog section says: issue ids, names and words."""

    def __init__(
        self,
        lines: Sequence[str],
        entries: Sequence[DocEntry],
        roles: Mapping[str, str],
        own_repo: str | None,
    ) -> None:
        self.text = "\n".join(lines)
        self.roles = roles
        self.own_repo = own_repo
        self.keys = {_key(i) for e in entries for i in e.issues} | self.keys_in(self.text)
        self.advisories = {m.group(0).upper() for m in _ADVISORY.finditer(self.text)}
        self.lowered = self.text.lower()
        # Entries and paragraphs (notes, warnings) as word sets, for `matches`.
        blocks = re.split(r"\n\s*\n|\n(?=\s*[*-] )", self.text)
        self.blocks = [(b.strip(), _words(b)) for b in blocks if b.strip()]
        # What the section calls breaking: paragraphs and entries that say so, and the
        # entries under a "Breaking changes" heading.
        self.breaking = [b for b, _ in self.blocks if _BREAKING_WORDS.search(b)] + [
            e.text for e in entries if e.category and _BREAKING_WORDS.search(e.category)
        ]

    def keys_in(self, text: str) -> set[tuple[str, str]]:
        keys = set()
        for match in _ROLE_REF.finditer(text):
            repo = self.roles.get(match.group("role"))
            number = match.group("n")
            if repo is None:
                keys.add((match.group("role").lower(), number))
            elif self.own_repo is not None and repo.lower() == self.own_repo.lower():
                keys.add(("", number))
            else:
                keys.add((repo.rsplit("/", 1)[-1].lower(), number))
        for ref in find_issue_refs(_ROLE_REF.sub(" ", text)):
            keys.add(_key(ref.id(self.own_repo)))
        return keys

    def calls_breaking(self, issues: Iterable[str], names: Iterable[str]) -> str | None:
        """The passage that calls one of `issues` (or a change named one of `names`)
        breaking, if there is one."""
        wanted = {_key(i) for i in issues}
        words = [n for n in names if len(n) >= 3]
        for block in self.breaking:
            if wanted & self.keys_in(block) or any(
                re.search(rf"(?<![\w]){re.escape(n)}(?![\w])", block) for n in words
            ):
                return " ".join(block.split())[:80]
        return None

    def has(self, issue: str) -> bool:
        return _key(issue) in self.keys

    def names(self, name: str) -> bool:
        """Whether the section names a package (`django-axes` = `django_axes` = `Django
        axes`)."""
        parts = [re.escape(p) for p in re.split(r"[-_.]+", name.lower()) if p]
        if not parts:
            return False
        pattern = r"(?<![\w-])" + r"[-_.\s]+".join(parts) + r"(?![\w-])"
        return bool(re.search(pattern, self.lowered))

    def names_exactly(self, name: str) -> bool:
        return bool(re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", self.text))

    def matches(self, description: str) -> str | None:
        """The entry or paragraph that says what `description` says (most of its words, at
        least three; all of them, at least two; or an identifier such as `consumer_timeout`
        and another word), if any.
        Identifiers match without case and inside longer ones (`result_expires` in
        `CELERY_RESULT_EXPIRES`)."""
        words = _words(description)
        if len(words) < 2:
            return None
        best: tuple[float, str] | None = None
        for block, block_words in self.blocks:
            shared = words & block_words
            for word in words - shared:
                if _is_identifier(word) and any(
                    word.lower() in other.lower() for other in block_words if _is_identifier(other)
                ):
                    shared.add(word)
            score = len(shared) / len(words)
            strong = any(_is_identifier(w) for w in shared)
            good = (
                (len(shared) >= 3 and score >= 0.6)
                or (len(shared) >= 2 and score == 1.0)
                or (strong and len(shared) >= 2)
            )
            if good and (best is None or score > best[0]):
                best = (score, block)
        return best[1] if best else None


# -- the check -----------------------------------------------------------------------------


@dataclass
class _Commit:
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


@dataclass
class _Context:
    history: History
    config: Config
    section: _SectionText
    others: list[tuple[DocSection, _SectionText]]
    own_repo: str | None
    changelog_path: str
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)
    issue_findings: dict[str, int] = field(default_factory=dict)
    """Issue -> index of its issue-missing finding."""
    by_sha: dict[str, _Commit] = field(default_factory=dict)
    members: dict[int, list[_Commit]] = field(default_factory=dict)
    """Change index -> its commits."""
    changes: Sequence[Change] = ()
    classifier: Classifier | None = None

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
            keys = {_key(i) for i in self._keys_of(commit.change)}
            blocks = [b for b, _ in self.section.blocks if keys & self.section.keys_in(b)]
            words = {w.lower() for b in blocks for w in re.findall(r"[A-Za-z]{4,}", b)}
            if not any(_related(p, w) for p in parts for w in words):
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
            re.fullmatch(_glob(p), repo, re.I) for p in self.config.check.private_trackers
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
                return _show_issue(issue)
            if self.section.advisories and self.private(issue):
                return f"{_show_issue(issue)}, by advisory"
        for commit in group:
            for number in commit.requests:
                if self.section.has(str(number)):
                    return f"pull request #{number}"
        return None

    def commit(self, sha: str) -> _Commit | None:
        return self.by_sha.get(sha)

    def on(self, rule: str) -> bool:
        return rule in self.config.check.rules

    def suppress(self, rule: str, subject: str, reason: str, commits: Iterable[str] = ()) -> None:
        self.suppressed.append(Suppressed(rule, subject, reason, tuple(commits)))

    def elsewhere(self, test: Callable[[_SectionText], bool]) -> DocSection | None:
        """The first other in-range section for which `test` holds."""
        if not self.on("other-sections"):
            return None
        return next((doc for doc, text in self.others if test(text)), None)


def check(
    history: History,
    *,
    to: str = "HEAD",
    since: str | None = None,
    changelog: Path | None = None,
    config: Config | None = None,
    progress: Progress | None = None,
) -> Report:
    """Compare the commits reachable from `to` and not from `since` with the changelog
    section that covers them.

    `since` defaults to the newest version tag reachable from `to` (tags on `to` excluded;
    pre-releases only when `to` is one). The section is the one of `to`'s version (the
    version tag on `to`, or `to` itself when it is a version), else the Unreleased (or
    unversioned) section at the top, else a top section newer than `since` (a release being
    prepared). Raises GitError for unknown refs and shallow clones that lack the range,
    InputError when there is no changelog or no section for the range (exit code 2).
    """
    config = config if config is not None else load_config(history.root)
    tip = history.resolve(to)
    tags = history.tags()
    to_version = _version_of(to, tip, tags)
    if since is None:
        prereleases = to_version is None or to_version[1].is_prerelease
        tag = history.newest_tag(tip, exclude_ref=True, prereleases=prereleases)
        if tag is None and history.is_shallow():
            raise GitError(
                "the history is shallow and no version tag is reachable from "
                f"{to!r}, so the range to check is unknown; {SHALLOW_HINT}, or pass --from"
            )
        since = tag.name if tag is not None else None
    since_sha = history.resolve(since) if since is not None else None
    from_version = _version_of(since, since_sha, tags) if since is not None else None

    style = resolve_style(history, config, tip=tip)
    root = history.root
    path = _changelog_path(changelog, root, style.path)
    doc = read_changelog(path, roles=style.roles, own_repo=style.own_repo)
    if not path.is_file():
        raise InputError(
            "no changelog file here; pass --changelog FILE or set [tool.ozrelease.changelog] path",
            file=str(path),
        )
    shown = _display(path, root)
    section, why = _pick_section(doc, to_version, from_version)
    if section is None:
        wanted = f"a section for {to_version[0]}" if to_version else "an Unreleased section"
        raise InputError(
            f"no changelog section covers {_describe(since, to)}: looked for {wanted}, "
            "then an Unreleased or unversioned section at the top"
            + (f", then a top section newer than {from_version[0]}" if from_version else ""),
            file=shown,
        )
    lines = path.read_text(encoding="utf-8").splitlines()
    text = _SectionText(
        lines[section.start - 1 : section.end], section.entries, style.roles, style.own_repo
    )
    from_day = history.commit_date(since_sha).date() if since_sha else None
    to_day = history.commit_date(tip).date()
    others = [
        (
            other,
            _SectionText(
                lines[other.start - 1 : other.end], other.entries, style.roles, style.own_repo
            ),
        )
        for other in _sections_in_range(doc, section, from_version, to_version, from_day, to_day)
    ]
    context = _Context(
        history=history,
        config=config,
        section=text,
        others=others,
        own_repo=style.own_repo,
        changelog_path=shown,
    )

    classifier = Classifier(config.changelog, style.sections, style.default_section)
    context.classifier = classifier
    raw = list(history.commits(tip, since=since_sha, progress=progress))
    changes = group_changes(raw, tip=tip, classifier=classifier, own_repo=style.own_repo)
    commits = _read_commits(raw, changes, classifier, context, style.own_repo)
    context.by_sha = {c.sha: c for c in commits}
    context.members = _members(commits)
    context.changes = changes
    del raw
    documented = _issues(commits, changes, context)
    _categories(commits, changes, context, since_sha, tip)

    return Report(
        since=since,
        to=to,
        commits_scanned=len(commits),
        section=SectionUsed(
            path=shown,
            title=section.title,
            version=_version_in(section),
            date=section.date or (str(_date_in(section)) if _date_in(section) else None),
            line=section.start,
            end=section.end,
            why=why,
        ),
        findings=tuple(context.findings),
        suppressed=tuple(context.suppressed),
        documented=documented,
        also_covering=tuple(other.title for other, _ in others),
    )


def _describe(since: str | None, to: str) -> str:
    return f"{since}..{to}" if since else f"the history up to {to}"


def _version_of(ref: str, sha: str | None, tags: Sequence[Tag]) -> tuple[str, Version] | None:
    """The version a ref stands for: a version tag named `ref`, or the highest version tag on
    its commit, or `ref` itself when it reads as a version."""
    versions = [(t, t.version) for t in tags if t.version is not None]
    named = next(((t, v) for t, v in versions if t.name == ref), None)
    if named is not None:
        return named[0].name, named[1]
    on_commit = [(t, v) for t, v in versions if t.sha == sha]
    if on_commit:
        best = max(on_commit, key=lambda pair: pair[1])
        return best[0].name, best[1]
    try:
        return ref, parse_version(ref)
    except ValueError:
        return None


def _changelog_path(given: Path | None, root: Path, default: Path) -> Path:
    """`--changelog`: relative to the repository (`--repo`), else to the current folder."""
    if given is None:
        return default if default.is_absolute() else root / default
    if given.is_absolute():
        return given
    if (root / given).exists() or not given.exists():
        return root / given
    return given.resolve()


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _version_in(section: DocSection) -> str | None:
    """The section's version, also where the heading carries a name (`3.5.0 "Kjeld"
    (2026-04-15)`)."""
    if section.version is not None:
        return section.version
    match = _TITLE_VERSION.match(section.title)
    return match.group(1) if match else None


def _date_in(section: DocSection) -> Date | None:
    if section.date is not None:
        return _day(section.date)
    match = re.search(r"\d{4}-\d{2}-\d{2}", section.title)
    return _day(match.group(0)) if match else None


_TITLE_VERSION = re.compile(
    r"^\[?v?(\d+(?:\.\d+)+(?:[-.]?(?:a|b|rc|alpha|beta|dev|post)[.\d]*)?)(?![\w.])"
)


def _same_version(section: DocSection, version: str) -> bool:
    found = _version_in(section)
    if found is None:
        return False
    try:
        return parse_version(found) == parse_version(version)
    except ValueError:
        return found == version


def _pick_section(
    doc: ChangelogFile,
    to_version: tuple[str, Version] | None,
    from_version: tuple[str, Version] | None,
) -> tuple[DocSection | None, str]:
    if to_version is not None:
        found = doc.section(to_version[0]) or next(
            (s for s in doc.sections if _same_version(s, to_version[0])), None
        )
        if found is not None:
            return found, f"the section of {to_version[0]}, the version of --to"
    if doc.sections:
        top = doc.sections[0]
        top_version = _version_in(top)
        if top_version is None:
            named = top.title.lower().lstrip("[").startswith("unreleased")
            return top, f"the {'Unreleased' if named else 'unversioned'} section at the top"
        unreleased = doc.section(None)
        if unreleased is not None:
            return unreleased, "the Unreleased section"
        if to_version is None and from_version is not None:
            try:
                newer = parse_version(top_version) > from_version[1]
            except ValueError:
                newer = False
            if newer:
                return top, (
                    f"the top section, {top_version}, newer than {from_version[0]} "
                    "(a release being prepared)"
                )
    return None, ""


def _day(text: str | None) -> Date | None:
    try:
        return Date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _sections_in_range(
    doc: ChangelogFile,
    chosen: DocSection,
    from_version: tuple[str, Version] | None,
    to_version: tuple[str, Version] | None,
    from_day: Date | None,
    to_day: Date,
) -> list[DocSection]:
    """Other sections released inside the range: dated after `--from` and not after `--to`
    (patch releases of other lines), or with a version between the two (pre-releases)."""
    out = []
    for other in doc.sections:
        if other is chosen or other.start == chosen.start:
            continue
        day = _date_in(other)
        dated = day is not None and (from_day is None or day > from_day) and day <= to_day
        between = False
        other_version = _version_in(other)
        if other_version is not None and from_version is not None:
            try:
                version = parse_version(other_version)
            except ValueError:
                version = None
            if version is not None:
                upper = to_version[1] if to_version is not None else None
                between = version > from_version[1] and (upper is None or version < upper)
        if dated or between:
            out.append(other)
    return out


# -- reading the commits -------------------------------------------------------------------

_DEPENDENCY_GITMOJI = frozenset(
    {"arrow_up", "arrow_down", "pushpin", "heavy_plus_sign", "heavy_minus_sign"}
)
_DEPENDENCY_SUBJECT = re.compile(r"^(?:bump|upgrade|update|pin|downgrade)(?:s|d|ed)?\b", re.I)
_PACKAGE_NAMES = (
    re.compile(
        r"\b(?:bump|upgrade|update|pin|downgrade)(?:s|d|ed)?\s+(?:the\s+)?"
        r"(?P<n>@?[A-Za-z0-9][\w.\-/@]*)",
        re.I,
    ),
    re.compile(r"(?P<n>@?[A-Za-z0-9][\w.\-/@]*)\s*(?:==|>=|~=|@)\s*v?\d"),
    re.compile(r"(?P<n>@?[A-Za-z0-9][\w.\-/@]*)\s+(?:to|from)\s+v?\d", re.I),
)
_NOT_PACKAGES = frozenset(
    {
        "dependencies",
        "dependency",
        "deps",
        "the",
        "all",
        "to",
        "from",
        "version",
        "versions",
        "packages",
        "requirements",
        "python",
        "frontend",
        "backend",
        "npm",
        "pip",
        "and",
    }
)


def _read_commits(
    raw: Sequence[Commit],
    changes: Sequence[Change],
    classifier: Classifier,
    context: _Context,
    own_repo: str | None,
) -> list[_Commit]:
    check = context.config.check
    globs = {
        "internal": Globs((*context.config.changelog.internal_paths, *check.internal_paths)),
        "translations": Globs(check.translation_paths),
        "documentation": Globs((*check.documentation_paths, f"!{context.changelog_path}")),
    }
    change_of = {sha: index for index, change in enumerate(changes) for sha in change.commits}
    out = []
    for commit in raw:
        parsed = parse_message(commit.subject, commit.body, types=classifier.types)
        paths = tuple(dict.fromkeys(p for f in commit.files for p in (f.path, f.old_path) if p))
        record = _Commit(
            sha=commit.sha,
            subject=commit.subject,
            parsed=parsed,
            ids=_ids(commit.subject, commit.body, parsed, own_repo),
            paths=paths,
            is_merge=commit.is_merge,
            change=change_of.get(commit.sha, -1),
            requests=_requests(commit.subject, parsed, commit.is_merge),
        )
        if not commit.is_merge:
            record.internal = _internal(record, classifier, globs, context)
        out.append(record)
    return out


_NAMED_REF = re.compile(r"\[(?P<name>[A-Za-z][\w.-]*)#(?P<n>\d+)\]")
_REFS = r"(?P<refs>(?:(?:https?://\S+|[\w./-]*#\d+|GH-\d+)[\s,;&]*(?:and\s+)?)+)"
# GitHub closes issues named after these words anywhere in a message; other words only
# count at the start of a line ("Refs: #12"), not in prose ("for security issue #37").
_CLOSING = re.compile(rf"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\b[\s:]*{_REFS}", re.I)
_LEADING = re.compile(
    rf"^\s*(?:refs?|references?|issues?|see|part of|related(?: to)?|relates to|implements?)"
    rf"\b[\s:]*{_REFS}",
    re.I | re.M,
)
_TRAILER_KEYS = frozenset({"issue", "issues", "refs", "ref", "fixes", "closes", "resolves"})
# GitHub's squash merge ends the subject with the pull request's number: "Fix x (#155)";
# backports name the request they port: "Fix x (#155 backport)", "(backport of #155)".
_SQUASHED = re.compile(r"\s\((?:backport of\s+)?#(?P<n>\d+)(?:\s+backport)?\)\s*$", re.I)


def _requests(subject: str, parsed: ParsedMessage, is_merge: bool) -> tuple[int, ...]:
    """The pull (merge) requests a commit names as such: a merge's own, and the `(#155)` or
    `(#155 backport)` at the end of its subject or its pull request's title."""
    out = []
    merge = parsed.merge
    if (
        is_merge
        and merge is not None
        and merge.kind in ("pull-request", "merge-request")
        and merge.number is not None
    ):
        out.append(merge.number)
    for text in (subject, merge.title if merge is not None else None):
        match = _SQUASHED.search(text or "")
        if match:
            out.append(int(match.group("n")))
    return tuple(dict.fromkeys(out))


_REVERTED = re.compile(r'\bRevert\s+"(?P<quoted>.*)"')


def _ids(subject: str, body: str, parsed: ParsedMessage, own_repo: str | None) -> tuple[str, ...]:
    """The issues a message is about: references in the subject (outside the quoted subject
    of a reverted commit), in a pull request's title, after closing keywords or at the
    start of a body line, in trailers; and `[open-api-workflows#30]` (a repository named
    without its owner, as a Sphinx role names it)."""
    refs: list[IssueRef] = []
    head = _SQUASHED.sub("", subject)
    reverted = _REVERTED.search(head)
    if reverted is not None:
        outside = head[: reverted.start("quoted")] + head[reverted.end("quoted") :]
        if find_issue_refs(outside) or _NAMED_REF.search(outside):
            head = outside
    refs.extend(find_issue_refs(head))
    merge = parsed.merge
    if merge is not None and merge.title:
        refs.extend(find_issue_refs(_SQUASHED.sub("", merge.title)))
    if "#" in body or "/issues/" in body or "GH-" in body:
        for pattern in (_CLOSING, _LEADING):
            for match in pattern.finditer(body):
                refs.extend(find_issue_refs(match.group("refs")))
    for trailer in parsed.trailers:
        if trailer.key in _TRAILER_KEYS:
            refs.extend(find_issue_refs(trailer.value))
    if merge is not None and merge.kind in ("pull-request", "merge-request"):
        # "Merge pull request #N" names the request, not an issue.
        refs = [r for r in refs if r != IssueRef(None, merge.number or 0)]
    ids = [ref.id(own_repo) for ref in refs]
    if "#" in head:
        ids.extend(f"{m.group('name')}#{m.group('n')}" for m in _NAMED_REF.finditer(head))
    return tuple(dict.fromkeys(ids))


def _internal(
    commit: _Commit,
    classifier: Classifier,
    globs: Mapping[str, Globs],
    context: _Context,
) -> tuple[str, str] | None:
    """(rule, why) when the commit is internal work that needs no changelog entry."""
    parsed = commit.parsed
    if context.on("changelog-edits") and context.changelog_path in commit.paths:
        return "changelog-edits", f"edits {context.changelog_path}"
    if context.on("internal-commits"):
        extra = context.config.check.internal_gitmoji
        if classifier.is_internal(parsed) or (
            parsed.gitmoji is not None and parsed.gitmoji in extra
        ):
            what = f"gitmoji :{parsed.gitmoji}:" if parsed.gitmoji else f"type {parsed.type}"
            return "internal-commits", what
        if not commit.paths:
            return "internal-commits", "an empty commit"
    if context.on("documentation-only") and (
        parsed.gitmoji in ("memo", "page_facing_up") or parsed.type in ("docs", "doc")
    ):
        what = f"gitmoji :{parsed.gitmoji}:" if parsed.gitmoji else f"type {parsed.type}"
        return "documentation-only", what
    if not commit.paths:
        return None
    kinds = set()
    for path in commit.paths:
        kind = next(
            (k for k in ("internal", "translations", "documentation") if globs[k](path)), None
        )
        if kind is None:
            return None
        kinds.add(kind)
    if "translations" in kinds and context.on("translations"):
        return "translations", "only translation files"
    if "documentation" in kinds and context.on("documentation-only"):
        return "documentation-only", "only documentation"
    if kinds == {"internal"} and context.on("internal-commits"):
        return "internal-commits", "only tests, CI or tooling files"
    return None


def _is_dependency_commit(commit: _Commit) -> bool:
    parsed = commit.parsed
    return (
        parsed.gitmoji in _DEPENDENCY_GITMOJI
        or parsed.type == "deps"
        or (parsed.scope or "").lower() in ("deps", "deps-dev")
        or bool(_DEPENDENCY_SUBJECT.match(parsed.description))
    )


_VISIBLE_GITMOJI = frozenset(
    {"lock", "sparkles", "bug", "ambulance", "boom", "adhesive_bandage", "zap", "lipstick"}
)
_VISIBLE_TYPES = frozenset({"feat", "feature", "fix", "bugfix", "hotfix", "security", "perf"})


def _user_visible(commit: _Commit) -> bool:
    """A feature, fix or security commit (by gitmoji or type), as opposed to an adaptation."""
    parsed = commit.parsed
    return parsed.gitmoji in _VISIBLE_GITMOJI or parsed.type in _VISIBLE_TYPES


def _package_names(text: str) -> list[str]:
    names = []
    for pattern in _PACKAGE_NAMES:
        for match in pattern.finditer(text):
            name = match.group("n").rstrip(".,;:")
            if name.lower() not in _NOT_PACKAGES and not name[0].isdigit():
                names.append(name)
    return list(dict.fromkeys(names))


# -- issues --------------------------------------------------------------------------------


def _issues(commits: Sequence[_Commit], changes: Sequence[Change], context: _Context) -> int:
    """Report the issues the range references that the section does not document; return
    how many it does document.

    The commits about an issue: those whose message names it, all commits of a pull request
    whose merge names it (title, body, branch name), and all commits of a change whose main
    issue it is.
    """
    members = _members(commits)
    evidence: dict[str, dict[str, _Commit]] = {}  # issue -> non-merge commits about it
    naming: dict[str, dict[str, _Commit]] = {}  # issue -> commits whose message names it
    for commit in commits:
        for issue in commit.ids:
            naming.setdefault(issue, {})[commit.sha] = commit
            about = members.get(commit.change, ()) if commit.is_merge else (commit,)
            for member in about:
                if not member.is_merge:
                    evidence.setdefault(issue, {})[member.sha] = member
    for index, change in enumerate(changes):
        if not change.issues:
            continue
        main = change.issues[0]
        group = members.get(index, ())
        if main not in naming and (
            _another_repos_number(main, group) or any(main in map(str, c.requests) for c in group)
        ):
            continue  # a branch name's number of another repository, a squash's request
        for member in group:
            if not member.is_merge:
                evidence.setdefault(main, {})[member.sha] = member
            elif main not in member.ids:
                naming.setdefault(main, {})[member.sha] = member

    documented = 0
    for issue in sorted(evidence, key=_issue_order):
        about = list(evidence[issue].values())
        shas = _oldest_first(naming.get(issue, {}).values() or about, commits)
        if context.section.has(issue):
            documented += 1
            continue
        subject = _show_issue(issue)
        edits = [c for c in about if context.changelog_path in c.paths]
        if edits and context.on("changelog-edits"):
            context.suppress(
                "changelog-edits",
                subject,
                f"{edits[0].sha[:10]}, a commit about it, edits {context.changelog_path}",
                shas,
            )
            continue
        public = [c for c in about if c.internal is None]
        titles = {c.change: _title_is_internal(c.change, context) for c in public}
        if public and context.on("internal-commits") and all(titles.values()):
            said = ", ".join(sorted({t for t in titles.values() if t}))
            context.suppress(
                "internal-commits",
                subject,
                f"{CHECK_RULES['internal-commits']} (its pull request's title says {said})",
                shas,
            )
            continue
        if not public:
            rules = sorted({c.internal[0] for c in about if c.internal})
            rule = rules[0] if len(rules) == 1 else "internal-commits"
            reasons = "; ".join(f"{c.sha[:10]} {c.internal[1]}" for c in about[:3] if c.internal)
            context.suppress(rule, subject, f"{CHECK_RULES[rule]} ({reasons})", shas)
            continue
        covered = _covered(issue, public, members, context)
        if covered is not None:
            context.suppress(covered[0], subject, covered[1], shas)
            continue
        count = len(public)
        context.issue_findings[issue] = len(context.findings)
        context.findings.append(
            Finding(
                kind="issue-missing",
                issue=issue,
                commits=shas,
                paths=(),
                category=None,
                message=f"{subject} is referenced by {count} commit{'s' if count != 1 else ''} "
                f"in the range but not in the section: {_headline(public, members)}",
            )
        )
    return documented


def _members(commits: Sequence[_Commit]) -> dict[int, list[_Commit]]:
    out: dict[int, list[_Commit]] = {}
    for commit in commits:
        out.setdefault(commit.change, []).append(commit)
    return out


def _another_repos_number(issue: str, group: Sequence[_Commit]) -> bool:
    """Whether an issue number taken from a branch name (`feature/179-timeout`) is the number
    of another repository's issue that the commits name (`[maykinmedia/oaf#179]`)."""
    if "#" in issue:
        return False
    return any(i.rpartition("#")[2] == issue for c in group for i in c.ids if "#" in i)


def _headline(public: Sequence[_Commit], members: Mapping[int, Sequence[_Commit]]) -> str:
    """What the change is called: its pull request's title, else its oldest commit."""
    for commit in members.get(public[0].change, ()):
        merge = commit.parsed.merge
        if commit.is_merge and merge is not None and merge.title:
            return merge.title
    return public[-1].subject


def _issue_order(issue: str) -> tuple[int, str, int]:
    repo, _, number = issue.rpartition("#")
    return (1 if repo else 0, repo, int(number) if number.isdigit() else 0)


def _show_issue(issue: str) -> str:
    return issue if "#" in issue else f"#{issue}"


def _oldest_first(items: Iterable[_Commit], commits: Sequence[_Commit]) -> tuple[str, ...]:
    order = {c.sha: i for i, c in enumerate(commits)}
    return tuple(c.sha for c in sorted(items, key=lambda c: order.get(c.sha, 0), reverse=True))


def _descriptions(public: Sequence[_Commit], members: Mapping[int, Sequence[_Commit]]) -> list[str]:
    """What a change says it does, for text matching: its pull requests' titles and its
    commits (less its dependency upgrades when it also fixes or adds something)."""
    out = []
    for change in dict.fromkeys(c.change for c in public):
        for commit in members.get(change, ()):
            merge = commit.parsed.merge
            if commit.is_merge and merge is not None and merge.title:
                out.append(parse_message(merge.title).description)
    # A version bump's words ("Upgrade maykin-common to 0.19.1") do not document the fix
    # that came with it.
    fixes = any(_user_visible(c) and not _is_dependency_commit(c) for c in public)
    # Its documentation and test commits describe the change too.
    commits = {c.sha: c for c in public}
    for change in dict.fromkeys(c.change for c in public):
        commits.update((c.sha, c) for c in members.get(change, ()) if not c.is_merge)
    out.extend(
        c.parsed.description for c in commits.values() if not (fixes and _is_dependency_commit(c))
    )
    # References are no words: "[open-api-framework#67] Add x" says "Add x".
    return [_SQUASHED.sub("", _LEADING_BRACKETS.sub("", text)) for text in out]


_LEADING_BRACKETS = re.compile(r"^\s*(?:\[[^\]]*\]\s*)+")


def _title_is_internal(change: int, context: _Context) -> str | None:
    """The gitmoji or type of a pull request's title that says internal work
    (`[#309] :white_check_mark: Fix tests`), if it says so."""
    for commit in context.members.get(change, ()):
        merge = commit.parsed.merge
        if not (commit.is_merge and merge is not None and merge.title):
            continue
        title = parse_message(_LEADING_BRACKETS.sub("", merge.title))
        extra = context.config.check.internal_gitmoji
        if context.classifier is not None and context.classifier.is_internal(title):
            return f":{title.gitmoji}:" if title.gitmoji else f"type {title.type}"
        if title.gitmoji is not None and title.gitmoji in extra:
            return f":{title.gitmoji}:"
    return None


def _covered(
    issue: str,
    public: Sequence[_Commit],
    members: Mapping[int, Sequence[_Commit]],
    context: _Context,
) -> tuple[str, str] | None:
    """(rule, why) when something other than the issue id documents the change."""
    check = context.config.check
    if context.on("ignored-issues") and (
        issue in check.ignore_issues or _show_issue(issue) in check.ignore_issues
    ):
        return "ignored-issues", CHECK_RULES["ignored-issues"]
    other = context.elsewhere(lambda text: text.has(issue))
    if other is not None:
        return "other-sections", f"documented in {other.title}, released inside the range"
    if context.on("advisories") and context.private(issue):
        named = {
            m.group(0).upper()
            for c in public
            for m in _ADVISORY.finditer(f"{c.subject}\n{c.parsed.description}")
        }
        hit = named & context.section.advisories
        if hit:
            return "advisories", f"a private security issue; the section names {min(hit)}"
        if context.section.advisories and not named:
            shown = ", ".join(sorted(context.section.advisories)[:3])
            return "advisories", f"a private security issue; the section names {shown}"
    covered = _change_covered(public, members, context)
    if covered is not None:
        return covered
    return None


def _change_covered(
    public: Sequence[_Commit],
    members: Mapping[int, Sequence[_Commit]],
    context: _Context,
) -> tuple[str, str] | None:
    """(rule, why) when the section documents a change without naming its issue: by its
    pull request's number, by the packages it upgrades, the environment variables it
    names, or an entry that says what it says. Sections released inside the range count
    too (rule `other-sections`)."""
    found = _said(public, members, context, context.section)
    if found is not None:
        return found
    for doc, text in context.others if context.on("other-sections") else ():
        elsewhere = _said(public, members, context, text)
        if elsewhere is not None:
            return "other-sections", f"documented in {doc.title}: {elsewhere[1]}"
    return None


def _said(
    public: Sequence[_Commit],
    members: Mapping[int, Sequence[_Commit]],
    context: _Context,
    section: _SectionText,
) -> tuple[str, str] | None:
    changes = {c.change for c in public}
    if context.on("pull-requests"):
        for commit in [*public, *(c for change in changes for c in members.get(change, ()))]:
            for number in commit.requests:
                if section.has(str(number)):
                    return "pull-requests", f"the section names pull request #{number}"
    upgrades = [c for c in public if _is_dependency_commit(c)]
    others = [c for c in public if c not in upgrades]
    # An upgrade with the adaptations it needs; not a fix or feature that came along.
    if upgrades and not any(_user_visible(c) for c in others) and context.on("dependency-names"):
        names = {n for c in upgrades for n in _package_names(c.parsed.description)}
        if names and all(section.names(n) for n in names):
            return "dependency-names", (
                f"a dependency upgrade; the section names {', '.join(sorted(names))}"
            )
    descriptions = _descriptions(public, members)
    if context.on("env-var-names"):
        variables = {m.group(0) for d in descriptions for m in _ENV_NAME.finditer(d)}
        if variables and all(section.names_exactly(v) for v in variables):
            return "env-var-names", f"the section names {', '.join(sorted(variables))}"
    if context.on("matching-text"):
        for description in descriptions:
            block = section.matches(description)
            if block is not None:
                quoted = " ".join(block.split())[:80]
                return "matching-text", f"{description!r} is documented as {quoted!r}"
    return None


# -- watched categories --------------------------------------------------------------------

_NAME_BASED = ("settings", "dependencies")
FileVersions = Mapping[str, tuple[str | None, str | None]]
"""path -> (text before, text after); None where the file does not exist."""


@dataclass
class _Watched:
    """The commits and files of one watched category in the range."""

    hits: dict[int, list[tuple[_Commit, str]]] = field(default_factory=dict)
    """change index -> (commit, path) of its public commits touching the category."""
    files: set[str] = field(default_factory=set)
    commits: dict[str, set[str]] = field(default_factory=dict)
    """path -> every non-merge commit touching it (internal ones too)."""


def _categories(
    commits: Sequence[_Commit],
    changes: Sequence[Change],
    context: _Context,
    since: str | None,
    tip: str,
) -> None:
    check = context.config.check
    matchers = {name: Globs(globs) for name, globs in check.categories.items() if globs}
    internal = Globs((*context.config.changelog.internal_paths, *check.internal_paths))
    watched: dict[str, _Watched] = {name: _Watched() for name in matchers}
    for commit in commits:
        if commit.is_merge:
            continue
        for path in commit.paths:
            if internal(path):
                continue
            for name, matches in matchers.items():
                if not matches(path):
                    continue
                entry = watched[name]
                entry.files.add(path)
                entry.commits.setdefault(path, set()).add(commit.sha)
                if commit.internal is None:
                    entry.hits.setdefault(commit.change, []).append((commit, path))
    diffed = sorted(
        {p for name in ("api-spec", *_NAME_BASED) if name in watched for p in watched[name].files}
    )
    versions: FileVersions = {}
    per_commit: dict[str, FileVersions] = {}
    if diffed:
        versions = _range_files(context.history, since, tip, diffed)
        changed = [p for p in diffed if p in versions]
        if changed:
            per_commit = _commit_files(context.history, since, tip, changed)
    members = _members(commits)
    order = {c.sha: i for i, c in enumerate(commits)}
    spec_commits = set()
    if "api-spec" in watched:
        spec_commits = _specs(versions, per_commit, watched["api-spec"], changes, context, order)
    for name, entry in watched.items():
        if name == "settings":
            _settings(versions, per_commit, entry, context, order, since, tip)
        elif name == "dependencies":
            _dependencies(versions, per_commit, entry, context, order)
        else:
            for change_index, hits in entry.hits.items():
                if (
                    name == "api-spec"
                    and context.on("spec-descriptions")
                    and not any(c.sha in spec_commits for c, _ in hits)
                ):
                    paths = sorted({p for _, p in hits})
                    context.suppress(
                        "spec-descriptions",
                        f"api-spec {', '.join(paths)}",
                        CHECK_RULES["spec-descriptions"],
                        [c.sha for c, _ in reversed(hits)],
                    )
                    continue
                _change_category(name, change_index, hits, changes, members, context)


def _change_category(
    category: str,
    change_index: int,
    hits: Sequence[tuple[_Commit, str]],
    changes: Sequence[Change],
    members: Mapping[int, Sequence[_Commit]],
    context: _Context,
) -> None:
    """A change touching a watched category (a migration, an API document) must be
    documented: one of its issues in the section, or what the rules accept instead."""
    paths = tuple(dict.fromkeys(path for _, path in reversed(hits)))
    shas = tuple(dict.fromkeys(c.sha for c, _ in reversed(hits)))
    change = changes[change_index] if 0 <= change_index < len(changes) else None
    issues = tuple(
        dict.fromkeys(
            (
                *(change.issues if change is not None else ()),
                *(i for c in members.get(change_index, ()) for i in c.ids),
            )
        )
    )
    subject = f"{category} {', '.join(paths[:3])}{' ...' if len(paths) > 3 else ''}"
    if any(context.section.has(issue) for issue in issues):
        return
    for issue in issues:
        index = context.issue_findings.get(issue)
        if index is not None:
            old = context.findings[index]
            note = f" (it touches {category}: {', '.join(paths[:3])})"
            context.findings[index] = Finding(
                old.kind,
                old.issue,
                old.commits,
                tuple(dict.fromkeys((*old.paths, *paths))),
                old.category,
                old.message if note in old.message else old.message + note,
                old.names,
            )
            return
    for suppressed in context.suppressed:
        if any(suppressed.subject == _show_issue(i) for i in issues):
            context.suppress(suppressed.rule, subject, suppressed.reason, shas)
            return
    public = [c for c in members.get(change_index, ()) if not c.is_merge and c.internal is None]
    covered = _change_covered(public or [c for c, _ in hits], members, context)
    if covered is not None:
        context.suppress(covered[0], subject, covered[1], shas)
        return
    first = hits[-1][0]
    what = {
        "migration": "adds or changes a database migration",
        "api-spec": "changes the API document",
    }.get(category, f"touches {category}")
    context.findings.append(
        Finding(
            kind="change-missing",
            issue=None,
            commits=shas,
            paths=paths,
            category=category,
            message=f"{first.sha[:10]} {what} ({', '.join(paths[:3])}) and the section does "
            f"not document its change: {_headline(public or [first], members)}",
        )
    )


# -- range diffs of watched files ----------------------------------------------------------


def _range_files(
    history: History, since: str | None, tip: str, paths: Sequence[str]
) -> dict[str, tuple[str | None, str | None]]:
    """Path -> (text before the range, text at its end), for `paths` that changed, read in ONE
    `git diff` with the whole files as context (renames keep their old text under the new
    path)."""
    return _parse_full_diff(history.range_diff(since, tip, paths))


def _commit_files(
    history: History, since: str | None, tip: str, paths: Sequence[str]
) -> dict[str, FileVersions]:
    """Commit sha -> its versions of `paths` (before, after), for every non-merge commit of
    the range that changed them: ONE `git log -p` with whole files as context."""
    return {sha: _parse_full_diff(diff) for sha, diff in history.commit_diffs(since, tip, paths)}


def _parse_full_diff(text: str) -> dict[str, tuple[str | None, str | None]]:
    files: dict[str, tuple[str | None, str | None]] = {}
    old: list[str] | None = None
    new: list[str] | None = None
    old_path = new_path = None
    in_hunk = False

    def flush() -> None:
        if new_path or old_path:
            key = new_path or old_path
            assert key is not None
            files[key] = (
                "\n".join(old) + "\n" if old is not None else None,
                "\n".join(new) + "\n" if new is not None else None,
            )

    for line in text.split("\n"):
        if line.startswith("diff --git "):
            flush()
            old, new, old_path, new_path, in_hunk = [], [], None, None, False
            continue
        if not in_hunk:
            if line.startswith("--- "):
                old_path = _diff_path(line[4:])
                if old_path is None:
                    old = None
            elif line.startswith("+++ "):
                new_path = _diff_path(line[4:])
                if new_path is None:
                    new = None
            elif line.startswith("@@"):
                in_hunk = True
            elif line.startswith("Binary files"):
                old_path = new_path = None
            continue
        if line.startswith("@@"):
            continue
        if line.startswith(" "):
            if old is not None:
                old.append(line[1:])
            if new is not None:
                new.append(line[1:])
        elif line.startswith("-"):
            if old is not None:
                old.append(line[1:])
        elif line.startswith("+"):
            if new is not None:
                new.append(line[1:])
        elif line == "":
            continue
    flush()
    return files


def _diff_path(text: str) -> str | None:
    text = text.rstrip("\t")
    if text == "/dev/null":
        return None
    if text.startswith('"') and text.endswith('"'):
        text = text[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
    return text[2:] if text[:2] in ("a/", "b/") else text


# -- api documents -------------------------------------------------------------------------


def _specs(
    versions: FileVersions,
    per_commit: Mapping[str, FileVersions],
    entry: _Watched,
    changes: Sequence[Change],
    context: _Context,
    order: Mapping[str, int],
) -> set[str]:
    """Report the breaking changes of the API documents over the range; return the commits
    that changed a document in more than wording."""
    cache: dict[int, Any] = {}

    def load(text: str | None, path: str) -> Any:
        if text is None:
            return None
        key = hash((path, text))
        if key not in cache:
            try:
                cache[key] = openapi.load_document(text, path)
            except OzReleaseError:
                cache[key] = {}
        return cache[key]

    changed: set[str] = set()
    broke: dict[str, dict[tuple[str, str], set[str]]] = {}  # path -> (kind, element) -> shas
    for sha, files in per_commit.items():
        for path, (before, after) in files.items():
            if path not in entry.files:
                continue
            old, new = load(before, path), load(after, path)
            if old is None or new is None or old == {} or new == {}:
                changed.add(sha)
                continue
            if openapi.semantic_view(old) != openapi.semantic_view(new):
                changed.add(sha)
                for item in openapi.breaking_changes(old, new):
                    broke.setdefault(path, {}).setdefault((item.kind, item.element), set()).add(sha)
    for path in sorted(entry.files):
        if path not in versions:
            continue
        old, new = load(versions[path][0], path), load(versions[path][1], path)
        if not old:
            continue
        if new is None:
            found = [openapi.Breaking("document-removed", path, path, f"{path} was removed")]
        elif not new:
            continue
        else:
            found = openapi.breaking_changes(old, new)
        if not found:
            continue
        by_element = broke.get(path, {})
        shas = {sha for item in found for sha in by_element.get((item.kind, item.element), ())}
        if not shas:
            shas = {sha for sha in entry.commits.get(path, ()) if sha in changed}
        ordered = tuple(sorted(shas, key=lambda sha: order.get(sha, 0), reverse=True))
        issues = [
            issue
            for sha in ordered
            for commit in [context.commit(sha)]
            if commit is not None and 0 <= commit.change < len(changes)
            for issue in (*commit.ids, *changes[commit.change].issues)
        ]
        _breaking(path, found, ordered, issues, context)
    return changed


def _breaking(
    path: str,
    changes: Sequence[openapi.Breaking],
    commits: tuple[str, ...],
    issues: Sequence[str],
    context: _Context,
) -> None:
    """Breaking changes of one API document: fine when the section calls changes breaking
    and documents one that changed the document (or names what broke)."""
    count = len(changes)
    sample = "; ".join(c.detail for c in changes[:3])
    more = f" (and {count - 3} more)" if count > 3 else ""
    summary = f"{count} breaking change{'s' if count != 1 else ''}: {sample}{more}"
    passage = context.section.calls_breaking(issues, (n for c in changes for n in c.names))
    if passage is not None and context.on("breaking-noted"):
        context.suppress(
            "breaking-noted",
            f"api-breaking {path}",
            f"the section calls it breaking ({passage!r}); {summary}",
            commits,
        )
        return
    context.findings.append(
        Finding(
            kind="api-breaking",
            issue=None,
            commits=commits,
            paths=(path,),
            category="api-spec",
            message=f"{path}: {summary}; the section does not call them breaking",
            names=tuple(f"{c.kind} {c.element}" for c in changes),
        )
    )


# -- settings: environment variables -------------------------------------------------------

_CALL = re.compile(
    r"\b(?:config|getenv|get_env|env(?:\.\w+)?|environ\.get|os\.environ\.get)\s*\(\s*"
    r"(?P<q>['\"])(?P<name>[A-Z][A-Z0-9_]{2,})(?P=q)"
)
_ENVIRON_ITEM = re.compile(r"\bos\.environ\s*\[\s*(?P<q>['\"])(?P<name>[A-Z][A-Z0-9_]{2,})(?P=q)")
_DOC_NAME = re.compile(
    r"``(?P<a>[A-Z][A-Z0-9_]{2,})``|`(?P<b>[A-Z][A-Z0-9_]{2,})`|"
    r"\.\. envvar::\s*(?P<c>[A-Z][A-Z0-9_]{2,})|^(?P<d>[A-Z][A-Z0-9_]{2,})="
)
# "Defaults to: ``INFO``." -- a literal, a number or a constant; prose ("defaults to an empty
# list") states nothing comparable.
_DEFAULT_WORD = re.compile(
    r"[Dd]efaults? to:?\s*(?P<v>``[^`]*``|`[^`]*`|-?\d[\d.]*(?![\w])|True|False|None)"
)


def _python_variables(text: str) -> dict[str, str]:
    """Environment variables read by a settings module: name -> its default (as written)."""
    out: dict[str, str] = {}
    for pattern in (_CALL, _ENVIRON_ITEM):
        for match in pattern.finditer(text):
            call = _call_text(text, match.start())
            out.setdefault(match.group("name"), " ".join(_default_argument(call).split()))
    return out


def _default_argument(call: str) -> str:
    """The default of `config("NAME", default=1)` or `config("NAME", 1)`."""
    start = call.find("(")
    if start < 0:
        return ""
    args = []
    position = start + 1
    while position < len(call):
        arg = _argument(call, position)
        args.append(arg.strip())
        position += len(arg) + 1
    for arg in args:
        match = re.match(r"^default\s*=\s*", arg)
        if match:
            return arg[match.end() :]
    if len(args) > 1 and not re.match(r"^\w+\s*=", args[1]):
        return args[1]
    return ""


def _call_text(text: str, start: int) -> str:
    """From `start` to the parenthesis that closes the first one opened (strings skipped)."""
    depth = 0
    i = text.find("(", start)
    if i < 0:
        return text[start : start + 200]
    quote = None
    j = i
    while j < len(text) and j - i < 5000:
        ch = text[j]
        if quote:
            if ch == "\\":
                j += 1
            elif text.startswith(quote, j):
                j += len(quote) - 1
                quote = None
        elif ch in "'\"":
            quote = text[j : j + 3] if text[j : j + 3] in ('"""', "'''") else ch
            j += len(quote) - 1
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return text[start : j + 1]
        j += 1
    return text[start:j]


def _argument(call: str, start: int) -> str:
    depth = 0
    for j in range(start, len(call)):
        ch = call[j]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                return call[start:j]
            depth -= 1
        elif ch == "," and depth == 0:
            return call[start:j]
    return call[start:]


def _doc_variables(text: str) -> dict[str, str]:
    """Environment variables a document lists: name -> the default it states ('' if none)."""
    out: dict[str, str] = {}
    for block in re.split(r"\n(?=\S|\s*[*-] )", text):
        for match in _DOC_NAME.finditer(block):
            name = next(g for g in match.group("a", "b", "c", "d") if g)
            if "_" not in name and not match.group("c"):
                continue
            defaults = list(_DEFAULT_WORD.finditer(block))
            out.setdefault(name, defaults[-1].group("v").strip("`.,") if defaults else "")
            break
    return out


def _variables(path: str, text: str | None) -> dict[str, str]:
    if text is None:
        return {}
    if path.endswith(".py"):
        return _python_variables(text)
    return _doc_variables(text)


def _variable_changes(
    versions: FileVersions, paths: Iterable[str]
) -> dict[str, tuple[str, set[str]]]:
    """Environment variables added, removed or given another default: name -> (what, files).

    A default changed when one file states both an old and a new one that differ (a
    variable moving between files has not changed); it is added when no file knew it
    before, removed when settings modules read it before and no file mentions it after.
    """
    old_code: set[str] = set()
    new_code: set[str] = set()
    before_all: set[str] = set()
    after_all: set[str] = set()
    where: dict[str, set[str]] = {}
    defaults: dict[str, tuple[str, str]] = {}
    for path in paths:
        if path not in versions:
            continue
        before = _variables(path, versions[path][0])
        after = _variables(path, versions[path][1])
        before_all.update(before)
        after_all.update(after)
        if path.endswith(".py"):
            old_code.update(before)
            new_code.update(after)
        for name in set(before) | set(after):
            if before.get(name) != after.get(name):
                where.setdefault(name, set()).add(path)
            old, new = before.get(name), after.get(name)
            if old and new and not _same_value(old, new):
                defaults.setdefault(name, (old, new))
    out: dict[str, tuple[str, set[str]]] = {}
    for name in sorted(where):
        what = None
        if name not in before_all and name in after_all:
            what = "added"
        elif name in old_code and name not in new_code and name not in after_all:
            what = "removed"
        elif name in defaults:
            what = f"default {defaults[name][0]} -> {defaults[name][1]}"
        if what is not None:
            out[name] = (what, where[name])
    return out


def _same_value(before: str, after: str) -> bool:
    """Whether two defaults mean the same; defaults that are expressions (not literals)
    count as the same, since what they mean cannot be told from the text."""
    a, b = _literal(before), _literal(after)
    return a is None or b is None or a == b


_EMPTY = object()


def _literal(text: str) -> object | None:
    """A default as a comparable value: numbers (also `10 * 60`), strings, booleans; every
    empty value (`""`, `[]`, `None`) alike. None when it is an expression."""
    text = text.strip()
    if text in ("", "None", "[]", "()", "{}", "''", '""', "``", "none"):
        return _EMPTY
    number = _arithmetic(text)
    if number is not None:
        return number
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        # Documents state defaults bare: ``INFO``, ``True``, ``60``.
        bare = text.strip("`'\"")
        if re.fullmatch(r"[\w./:@+-]+", bare):
            return _arithmetic(bare) if _arithmetic(bare) is not None else bare.lower()
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return _EMPTY
        return _arithmetic(value) if _arithmetic(value) is not None else value.lower()
    if isinstance(value, bool | int | float):
        return float(value) if not isinstance(value, bool) else str(value).lower()
    if not value:
        return _EMPTY
    return repr(value)


def _arithmetic(text: str) -> float | None:
    """`10 * 60` -> 600.0: the arithmetic settings modules write defaults in (numbers and
    + - * / only); None for anything else."""
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError):
        return None

    def value(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            if isinstance(node.value, bool):
                raise ValueError(text)
            return float(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](value(node.left), value(node.right))
        raise ValueError(text)

    try:
        return value(tree.body)
    except (ValueError, ZeroDivisionError, OverflowError):
        return None


_OPERATORS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def _settings(
    versions: FileVersions,
    per_commit: Mapping[str, FileVersions],
    entry: _Watched,
    context: _Context,
    order: Mapping[str, int],
    since: str | None,
    tip: str,
) -> None:
    """Environment variables added, removed or given another default over the range must be
    named in the section."""
    changed = _variable_changes(versions, entry.files)
    gone = [name for name, (what, _) in changed.items() if what == "removed"]
    if gone:
        # Still read or documented somewhere (moved into a framework's settings)?
        still = _mentioned(context, tip, gone)
        changed = {n: v for n, v in changed.items() if n not in still}
    new = [name for name, (what, _) in changed.items() if what == "added"]
    if new and since is not None:
        # Known before the range (a settings module or document that is new itself)?
        known = _mentioned(context, since, new)
        changed = {n: v for n, v in changed.items() if n not in known}
    attributed: dict[str, set[str]] = {}
    for sha, files in per_commit.items():
        for name in _variable_changes(files, [p for p in files if p in entry.files]):
            attributed.setdefault(name, set()).add(sha)
    items = [
        _Named(
            name,
            what,
            tuple(sorted(files)),
            _ordered(attributed.get(name) or _touching(entry, files), order),
        )
        for name, (what, files) in changed.items()
        if not context.section.names_exactly(name)
    ]
    _report_names("settings", items, context, lambda text, n: text.names_exactly(n))


def _mentioned(context: _Context, tip: str, names: Sequence[str]) -> set[str]:
    """Which of `names` the tree at `tip` mentions outside the changelog and internal files
    (one `git grep`)."""
    check = context.config.check
    ignored = [
        *context.config.changelog.internal_paths,
        *check.internal_paths,
        # Development settings and example .env files (`!**/conf/dev.py` in `settings`).
        *(p[1:] for p in check.categories.get("settings", ()) if p.startswith("!")),
        "dotenv.example",
        "**/.env*",
    ]
    # Test, CI and development files (a docker-compose.yml of another service, dev.py)
    # say nothing about what production reads.
    exclude = [str(context.changelog_path), *(p for p in ignored if not p.startswith("!"))]
    return context.history.words_in_tree(tip, names, exclude=exclude)


@dataclass(frozen=True)
class _Named:
    """A package or variable that changed in the range."""

    name: str
    what: str
    paths: tuple[str, ...]
    commits: tuple[str, ...]
    """The commits that changed it, oldest first."""


def _ordered(shas: Iterable[str], order: Mapping[str, int]) -> tuple[str, ...]:
    return tuple(sorted(set(shas), key=lambda sha: order.get(sha, 0), reverse=True))


def _touching(entry: _Watched, files: Iterable[str]) -> set[str]:
    return {sha for path in files for sha in entry.commits.get(path, ())}


_NOUNS = {
    "settings": ("environment variable", "environment variables"),
    "dependencies": ("dependency", "dependencies"),
}


def _report_names(
    category: str,
    items: Sequence[_Named],
    context: _Context,
    names: Callable[[_SectionText, str], bool],
) -> None:
    """Report the packages or variables the section does not name, one finding per change
    that brought them (the commits' pull requests or issues)."""
    groups: dict[tuple[int, ...], list[_Named]] = {}
    for item in items:
        subject = f"{_NOUNS[category][0]} {item.name}"
        other = context.elsewhere(lambda text, n=item.name: names(text, n))  # type: ignore[misc]
        if other is not None:
            context.suppress(
                "other-sections",
                subject,
                f"named in {other.title}, released inside the range",
                item.commits,
            )
            continue
        commits = [c for sha in item.commits if (c := context.commit(sha)) is not None]
        # A removal or a new default can be said in words (by an entry that says what the
        # commit says and speaks of the variable); to use what is new, readers need its name.
        if (
            commits
            and item.what != "added"
            and context.on("matching-text")
            and not any(_is_dependency_commit(c) for c in commits)
        ):
            parts = {w.lower() for w in re.split(r"[-_.]", item.name) if len(w) >= 4}
            matched = [
                block
                for c in commits
                if (block := context.section.matches(c.parsed.description)) is not None
                and any(
                    _related(p, w.lower())
                    for p in parts
                    for w in re.findall(r"[A-Za-z]{4,}", block)
                )
            ]
            if len(matched) >= len(commits):
                quoted = " ".join(matched[0].split())[:80]
                context.suppress(
                    "matching-text",
                    subject,
                    f"the section documents the commits that changed it ({quoted!r})",
                    item.commits,
                )
                continue
        if category == "settings" and item.what != "added" and context.on("documented-change"):
            entry = context.documented_setting(item.commits, item.name) if item.commits else None
            if entry is not None:
                context.suppress(
                    "documented-change",
                    subject,
                    f"{item.what}, in a change the section documents: {entry!r}",
                    item.commits,
                )
                continue
        key = tuple(sorted({c.change for c in commits})) or (-1,)
        groups.setdefault(key, []).append(item)
    singular, plural = _NOUNS[category]
    for group in groups.values():
        noun = singular if len(group) == 1 else plural
        listed = ", ".join(f"{item.name} ({item.what})" for item in group)
        paths = tuple(dict.fromkeys(p for item in group for p in item.paths))
        shas = tuple(dict.fromkeys(c for item in group for c in item.commits))
        verb = "is" if len(group) == 1 else "are"
        context.findings.append(
            Finding(
                kind="change-missing",
                issue=None,
                commits=shas,
                paths=paths,
                category=category,
                message=f"{noun} {listed} {verb} not named in the section ({', '.join(paths)})",
                names=tuple(item.name for item in group),
            )
        )


# -- dependencies: production pins ---------------------------------------------------------

_PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*"
    r"(?P<spec>(?:===|==|>=|<=|~=|!=|<|>|@)\s*[^\s;\\#]+)?"
)
_EGG = re.compile(r"#egg=(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)")


def _requirements(text: str | None) -> dict[str, tuple[str, bool]]:
    """name -> (pin, direct) of a requirements file; `direct` unless pip-compile's `# via`
    comments name only other packages."""
    out: dict[str, tuple[str, bool]] = {}
    if text is None:
        return out
    current: str | None = None
    via: list[str] = []

    def close() -> None:
        if current is not None:
            pin = out[current][0]
            direct = not via or any(
                v.startswith(("-r", "-c")) or ".in" in v or "pyproject" in v or "setup." in v
                for v in via
            )
            out[current] = (pin, direct)

    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("--"):
            continue
        if line.startswith("#"):
            comment = line.lstrip("#").strip()
            if current is not None and (comment.startswith("via") or via):
                rest = comment.removeprefix("via").strip()
                if rest:
                    via.append(rest)
                elif comment.startswith("via"):
                    via.append("")
            continue
        close()
        current, via = None, []
        if raw[:1].isspace():
            continue
        egg = _EGG.search(line)
        if line.startswith("-e") or line.startswith(("git+", "http")):
            if egg:
                current = _norm_name(egg.group("name"))
                out[current] = (line, True)
            continue
        if line.startswith("-"):
            continue
        match = _PIN.match(line)
        if match:
            current = _norm_name(match.group("name"))
            out[current] = ((match.group("spec") or "").replace(" ", ""), True)
    close()
    return out


def _pyproject(text: str | None) -> dict[str, tuple[str, bool]]:
    if text is None:
        return {}
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}
    project = data.get("project")
    deps = project.get("dependencies") if isinstance(project, dict) else None
    out: dict[str, tuple[str, bool]] = {}
    for item in deps if isinstance(deps, list) else ():
        if isinstance(item, str):
            match = _PIN.match(item.strip())
            if match:
                out[_norm_name(match.group("name"))] = (item.strip(), True)
    return out


def _pin_changes(
    versions: FileVersions, paths: Iterable[str]
) -> dict[str, tuple[str, set[str], bool]]:
    """Packages whose production pin was added, removed or changed: name -> (what, files,
    direct)."""
    out: dict[str, tuple[str, set[str], bool]] = {}
    for path in sorted(paths):
        if path not in versions:
            continue
        read = _pyproject if path.endswith(".toml") else _requirements
        before, after = read(versions[path][0]), read(versions[path][1])
        for name in sorted(set(before) | set(after)):
            old, new = before.get(name), after.get(name)
            if old is not None and new is not None and old[0] == new[0]:
                continue
            direct = (new or old or ("", True))[1]
            if old is None:
                what = f"added {_short(new[0]) if new else ''}".strip()
            elif new is None:
                what = "removed"
            else:
                what = f"{_short(old[0])} -> {_short(new[0])}"
            out.setdefault(name, (what, set(), direct))[1].add(path)
    return out


def _dependencies(
    versions: FileVersions,
    per_commit: Mapping[str, FileVersions],
    entry: _Watched,
    context: _Context,
    order: Mapping[str, int],
) -> None:
    """Production pins added, removed or moved over the range must name their package in the
    section (pins only another package needs excepted)."""
    changed = _pin_changes(versions, entry.files)
    attributed: dict[str, set[str]] = {}
    for sha, files in per_commit.items():
        for name in _pin_changes(files, [p for p in files if p in entry.files]):
            attributed.setdefault(name, set()).add(sha)
    items = []
    for name, (what, where, direct) in changed.items():
        if context.section.names(name):
            continue
        item = _Named(
            name,
            what,
            tuple(sorted(where)),
            _ordered(attributed.get(name) or _touching(entry, where), order),
        )
        if not direct and context.on("transitive-dependencies"):
            context.suppress(
                "transitive-dependencies",
                f"dependency {name}",
                f"{CHECK_RULES['transitive-dependencies']} ({what})",
                item.commits,
            )
            continue
        subject = f"dependency {name}"
        if what.startswith("added") and context.on("new-dependencies"):
            context.suppress(
                "new-dependencies", subject, CHECK_RULES["new-dependencies"], item.commits
            )
            continue
        if context.on("minor-upgrades") and _same_major(what):
            context.suppress(
                "minor-upgrades", subject, f"{CHECK_RULES['minor-upgrades']} ({what})", item.commits
            )
            continue
        documented = context.documented_change(item.commits) if item.commits else None
        if documented is not None and context.on("documented-change"):
            context.suppress(
                "documented-change",
                subject,
                f"changed by a change the section documents ({documented}; {what})",
                item.commits,
            )
            continue
        items.append(item)
    _report_names("dependencies", items, context, lambda text, n: text.names(n))


def _same_major(what: str) -> bool:
    """Whether `1.2.3 -> 1.4.0` stays inside one major version (for 0.x: one minor)."""
    match = re.fullmatch(r"(\S+) -> (\S+)", what)
    if match is None:
        return False
    try:
        old, new = (parse_version(v) for v in match.groups())
    except ValueError:
        return False

    def major(version: Version) -> tuple[int, ...]:
        release = (*version.release, 0)
        return (release[0],) if release[0] > 0 else (0, release[1])

    return major(old) == major(new) and new >= old


def _short(pin: str) -> str:
    return pin.removeprefix("==") or "unpinned"


# -- output --------------------------------------------------------------------------------


def as_json(report: Report, *, verbose: bool = False) -> dict[str, Any]:
    """`ozrelease-check/1` (CONTRACT §3), built from the dataclasses; `section` says which
    changelog section was used, `suppressed` (with `verbose`) what was left out and why."""
    out: dict[str, Any] = {
        "format": JSON_FORMAT,
        "range": {"from": report.since, "to": report.to},
        "commitsScanned": report.commits_scanned,
        "findings": [
            {
                "kind": f.kind,
                "issue": f.issue,
                "commits": list(f.commits),
                "paths": list(f.paths),
                "category": f.category,
                "message": f.message,
            }
            for f in report.findings
        ],
        "section": {
            "file": report.section.path,
            "title": report.section.title,
            "version": report.section.version,
            "date": report.section.date,
            "line": report.section.line,
            "why": report.section.why,
            "alsoCovering": list(report.also_covering),
        },
    }
    if verbose:
        out["suppressed"] = [
            {"rule": s.rule, "subject": s.subject, "reason": s.reason, "commits": list(s.commits)}
            for s in report.suppressed
        ]
    return out


def fingerprint(finding: Finding) -> str:
    """Stable across runs and new commits: kind, issue or category, and what it names."""
    key = "|".join(
        [
            finding.kind,
            finding.issue or "",
            finding.category or "",
            ",".join(finding.names) or ",".join(finding.paths) or ",".join(finding.commits[:1]),
        ]
    )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(report: Report) -> str:
    """GitHub Actions workflow commands: one `::warning` per finding, on the section's
    heading in the changelog, and a `::notice` saying what was checked."""
    lines = []
    file = _escape_property(report.section.path)
    for finding in report.findings:
        title = _escape_property(
            f"ozrelease {finding.kind}"
            + (
                f" {finding.category}"
                if finding.category and finding.kind != "api-breaking"
                else ""
            )
        )
        lines.append(
            f"::warning file={file},line={report.section.line},title={title}::"
            f"{_escape_data(finding.message)}"
        )
    lines.append(
        f"::notice file={file},line={report.section.line}::{_escape_data(_summary(report))}"
    )
    return "\n".join(lines) + "\n"


def gitlab_code_quality(report: Report) -> list[dict[str, Any]]:
    """GitLab Code Quality report entries (the `codequality` artifact)."""
    return [
        {
            "description": finding.message,
            "check_name": f"ozrelease-{finding.kind}",
            "fingerprint": fingerprint(finding),
            "severity": "major" if finding.kind == "api-breaking" else "minor",
            "location": {"path": report.section.path, "lines": {"begin": report.section.line}},
        }
        for finding in report.findings
    ]


def _summary(report: Report) -> str:
    count = len(report.findings)
    head = (
        "no undocumented changes"
        if not count
        else f"{count} undocumented change{'s' if count != 1 else ''}"
    )
    return (
        f"{head} in {report.commits_scanned} commits ({_describe(report.since, report.to)}) "
        f"against {report.section.path} section {report.section.title!r}; "
        f"{report.documented} issue{'s' if report.documented != 1 else ''} documented, "
        f"{len(report.suppressed)} suppressed"
    )


def text_view(report: Report, *, verbose: bool = False) -> dict[str, Any]:
    """The view model of templates/check.txt.j2."""
    return {
        "range": _describe(report.since, report.to),
        "commits": report.commits_scanned,
        "section": report.section,
        "also": report.also_covering,
        "findings": [
            {
                "where": f"{report.section.path}:{report.section.line}",
                "kind": f.kind
                + (f" [{f.category}]" if f.category and f.kind != "api-breaking" else ""),
                "message": f.message,
                "commits": [c[:10] for c in f.commits[:5]],
                "more": max(0, len(f.commits) - 5),
            }
            for f in report.findings
        ],
        "verbose": verbose,
        "suppressed": [
            {"rule": s.rule, "subject": s.subject, "reason": s.reason} for s in report.suppressed
        ],
        "summary": _summary(report)[:1].upper() + _summary(report)[1:],
    }
