"""Commit messages (gitmoji, Conventional Commits, references, trailers); changes from commits."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from ozrelease import gcpause
from ozrelease.changelog.config import ChangelogConfig, SectionRule, gitmoji_name
from ozrelease.changelog.gitmoji import GITMOJIS
from ozrelease.changelog.globs import translate

if TYPE_CHECKING:
    from ozrelease.changelog.spill import Made, Spill, StoredChanges

__all__ = [
    "CONVENTIONAL_TYPES",
    "Change",
    "Classifier",
    "IssueRef",
    "MergeInfo",
    "ParsedMessage",
    "Trailer",
    "branch_issue",
    "cherry_picks",
    "find_issue_refs",
    "group_changes",
    "group_records",
    "parse_merge",
    "parse_message",
    "parse_trailers",
]

# The types of the Conventional Commits spec and of @commitlint/config-conventional, and a
# few that changelog tools accept. A word before a colon that is none of these is free form
# ("Note: ..."), unless the configuration names it.
CONVENTIONAL_TYPES = frozenset(
    {
        "feat",
        "feature",
        "fix",
        "bugfix",
        "hotfix",
        "docs",
        "doc",
        "style",
        "refactor",
        "perf",
        "test",
        "tests",
        "build",
        "ci",
        "chore",
        "revert",
        "security",
        "deps",
        "release",
        "deprecate",
        "deprecated",
        "remove",
        "removed",
        "wip",
        "i18n",
        "l10n",
    }
)


@dataclass(frozen=True)
class Trailer:
    key: str
    """In lower case: `co-authored-by`, `signed-off-by`."""
    value: str


@dataclass(frozen=True, order=True)
class IssueRef:
    """`#12` (repo None) or `owner/name#12`."""

    repo: str | None
    number: int

    def id(self, own_repo: str | None = None) -> str:
        """As CONTRACT §3 writes issue ids: `12`, or `owner/name#12` for another repository."""
        if self.repo is None or (own_repo and self.repo.lower() == own_repo.lower()):
            return str(self.number)
        return f"{self.repo}#{self.number}"


@dataclass(frozen=True)
class MergeInfo:
    """What a merge commit's message says: the pull/merge request, the branch, the title."""

    kind: str
    """`pull-request` (GitHub, Bitbucket, Azure), `merge-request` (GitLab), `fork` (GitHub
    security advisory "Merge commit from fork"), `branch` (plain `git merge`) or `other`."""
    number: int | None = None
    branch: str | None = None
    title: str | None = None
    """The request's title, which GitHub and GitLab put in the merge commit's body."""


@dataclass(frozen=True)
class ParsedMessage:
    style: str
    """`gitmoji`, `conventional` or `free`."""
    gitmoji: str | None
    """Canonical gitmoji name (`sparkles`); an unknown `:shortcode:` is kept as written."""
    type: str | None
    """Conventional Commits type in lower case (also when it follows a gitmoji)."""
    scope: str | None
    breaking: bool
    description: str
    """The subject without gitmoji, type, scope and leading issue references."""
    issues: tuple[IssueRef, ...]
    trailers: tuple[Trailer, ...] = ()
    merge: MergeInfo | None = None

    @property
    def co_authors(self) -> tuple[str, ...]:
        return tuple(t.value for t in self.trailers if t.key == "co-authored-by")


# -- trailers ------------------------------------------------------------------------------

_TRAILER = re.compile(r"^(?P<key>[A-Za-z0-9][A-Za-z0-9-]*)\s*:\s*(?P<value>.*)$")
_CHERRY = re.compile(r"^\(cherry picked from commit (?P<sha>[0-9a-f]{7,64})\)\s*$", re.M)
_PARAGRAPHS = re.compile(r"\n[ \t]*\n")


def parse_trailers(body: str) -> tuple[Trailer, ...]:
    """The `Key: value` trailers of the body's last paragraph (as `git interpret-trailers`
    reads them: every line a trailer, a continuation, or a `(cherry picked from ...)` line)."""
    if ":" not in body:
        return ()  # no line can be a trailer (and a continuation needs one before it)
    text = body.strip("\n")
    if "\n" in text:
        paragraphs = [p for p in _PARAGRAPHS.split(text) if p.strip()]
        if not paragraphs:
            return ()
        last = paragraphs[-1]
    elif text.strip():
        last = text
    else:
        return ()
    first = last.lstrip()[:1]
    if first != "(" and not (first.isascii() and first.isalnum()):
        return ()  # the first line is no trailer and no `(cherry picked ...)` line
    out: list[list[str]] = []
    for line in last.splitlines():
        if _CHERRY.match(line.strip()):
            continue
        if line[:1] in (" ", "\t") and out:
            out[-1][1] += " " + line.strip()
            continue
        match = _TRAILER.match(line.strip())
        if not match or " " in match.group("key"):
            return ()
        out.append([match.group("key").lower(), match.group("value").strip()])
    return tuple(Trailer(k, v) for k, v in out)


def cherry_picks(body: str) -> tuple[str, ...]:
    """The commits named by `(cherry picked from commit X)` lines anywhere in the body."""
    return tuple(m.group("sha") for m in _CHERRY.finditer(body))


# -- issue references ----------------------------------------------------------------------

_REPO = r"[A-Za-z0-9][\w.-]*(?:/[\w.-]+)+"
_REPO_FULL = re.compile(_REPO)
_URL_REF = re.compile(
    r"https?://(?:www\.)?github\.com/(?P<gh>[\w.-]+/[\w.-]+)/issues/(?P<ghn>\d+)"
    r"|https?://[\w.-]+(?::\d+)?/(?P<gl>[\w.-]+(?:/[\w.-]+)+)/-/issues/(?P<gln>\d+)"
)
_HASH_REF = re.compile(r"#(\d+)\b")
_GH_REF = re.compile(r"(?<![\w-])GH-(\d+)\b")
_TOKEN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/")

# In a body only references that say so count ("Fixes #12", "Issue: #12", a URL after such a
# word); a bare "#1" in a list or a code sample does not.
_BODY_KEYWORD = re.compile(
    r"(?<![\w/#.-])(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?|refs?|references?|issues?|see|part of|"
    r"related(?: to)?|relates to|implements?|addresses|closes)\b[\s:]*"
    r"(?P<refs>(?:(?:https?://\S+|[\w./-]*#\d+|GH-\d+)[\s,;&]*(?:and\s+)?)+)",
    re.I,
)


_Ref = tuple[str | None, int]
"""An issue reference on the hot path: (repo, number), equal when the IssueRefs are."""


def find_issue_refs(text: str) -> tuple[IssueRef, ...]:
    """Every issue reference in `text`, in order, without repeats: `#12`, `[#12]`,
    `owner/name#12`, `GH-12`, GitHub and GitLab issue URLs."""
    return tuple([IssueRef(repo, number) for repo, number in _refs(text)])


def _position(item: tuple[int, str | None, int]) -> int:
    return item[0]


def _refs(text: str) -> list[_Ref]:
    """find_issue_refs as (repo, number) pairs."""
    # Written as a few cheap scans rather than one regular expression: this runs for every
    # commit of a long history.
    found: list[tuple[int, str | None, int]] = []
    if "/issues/" in text:
        for match in _URL_REF.finditer(text):
            if match.group("gh"):
                found.append((match.start(), match.group("gh"), int(match.group("ghn"))))
            else:
                found.append((match.start(), match.group("gl"), int(match.group("gln"))))
    if "#" in text:
        for match in _HASH_REF.finditer(text):
            start = match.start()
            begin = start
            while begin > 0 and text[begin - 1] in _TOKEN:
                begin -= 1
            token = text[begin:start]
            if "/" in token:
                # owner/name#12, unless it is part of a path, a URL or an e-mail address
                while token and not token[0].isalnum():
                    token = token[1:]
                    begin += 1
                before = text[begin - 1] if begin > 0 else " "
                if before in "@:/" or not _REPO_FULL.fullmatch(token):
                    continue
                found.append((begin, token, int(match.group(1))))
            else:
                before = text[start - 1] if start > 0 else " "
                if before.isalnum() or before in "_&#/":
                    continue
                found.append((begin, None, int(match.group(1))))
    if "GH-" in text:
        for match in _GH_REF.finditer(text):
            found.append((match.start(), None, int(match.group(1))))
    if not found:
        return []
    if len(found) == 1:
        _, repo, number = found[0]
        return [(repo, number)] if number > 0 else []
    found.sort(key=_position)
    out: dict[_Ref, None] = {}
    for _, repo, number in found:
        if number > 0:
            out.setdefault((repo, number))
    return list(out)


def _has_keyword(lower: str) -> bool:
    """Whether lower-case ASCII text has a part of every word _BODY_KEYWORD knows (re.I
    also folds a few non-ASCII letters into these, so this is for ASCII text only)."""
    return (
        "fix" in lower
        or "ref" in lower
        or "clos" in lower
        or "resolv" in lower
        or "issue" in lower
        or "see" in lower
        or "part of" in lower
        or "relat" in lower
        or "implement" in lower
        or "addresses" in lower
    )


def _body_refs(body: str) -> list[_Ref]:
    if "#" not in body and "GH-" not in body and "/issues/" not in body:
        return []
    if body.isascii() and not _has_keyword(body.lower()):
        return []
    out: dict[_Ref, None] = {}
    for match in _BODY_KEYWORD.finditer(body):
        for ref in _refs(match.group("refs")):
            out.setdefault(ref)
    return list(out)


_BRANCH_ISSUE = re.compile(r"^(?:(?:issues?|gh|bug|fix|feature|feat)[-_]?)?(\d+)(?:[-_].*)?$", re.I)


def branch_issue(branch: str) -> int | None:
    """The issue number in a branch name: `issue/2448-some-branch`, `feature/2448-x`,
    `2448-x`, `issue-2448`. Version-like names (`release/1.29.1`) have none."""
    for segment in branch.split("/"):
        match = _BRANCH_ISSUE.match(segment)
        if match:
            return int(match.group(1))
    return None


# -- merges --------------------------------------------------------------------------------

_MERGES = (
    ("pull-request", re.compile(r"^Merge pull request #(?P<n>\d+) from (?:[\w.-]+/)?(?P<b>\S+)")),
    ("pull-request", re.compile(r"^Merged in (?P<b>\S+) \(pull request #(?P<n>\d+)\)")),
    ("pull-request", re.compile(r"^Merged PR (?P<n>\d+):\s*(?P<t>.*)$")),
    ("fork", re.compile(r"^Merge commit from fork$")),
    (
        "branch",
        re.compile(r"^Merge (?:remote-tracking )?branch '(?P<b>[^']+)'(?: of \S+)?(?: into .*)?$"),
    ),
    ("other", re.compile(r"^Merge\b")),
)
_MERGE_REQUEST = re.compile(r"^See merge request (?:\S+)?!(?P<n>\d+)\s*$", re.M)


def parse_merge(subject: str, body: str = "") -> MergeInfo | None:
    """What a merge commit's message says, or None when it does not read like a merge."""
    if not subject.startswith("Merge"):
        return None  # (what every pattern starts with)
    for kind, pattern in _MERGES:
        match = pattern.match(subject)
        if not match:
            continue
        groups = match.groupdict()
        number = int(groups["n"]) if groups.get("n") else None
        branch = groups.get("b")
        title = groups.get("t") or _first_paragraph(body)
        request = _MERGE_REQUEST.search(body) if "See merge request " in body else None
        if request:
            kind, number = "merge-request", int(request.group("n"))
        if title and (
            (title.startswith("See merge request ") and _MERGE_REQUEST.match(title))
            or parse_trailers(title)
        ):
            title = None
        info = object.__new__(MergeInfo)  # MergeInfo(...) without its (slower) frozen __init__
        info.__dict__.update(kind=kind, number=number, branch=branch, title=title or None)
        return info
    return None


def _first_paragraph(body: str) -> str:
    text = body.strip("\n")
    first = _PARAGRAPHS.split(text, maxsplit=1)[0] if "\n" in text else text
    lines = first.splitlines()
    if len(lines) == 1:
        return lines[0].strip()
    return " ".join(line.strip() for line in lines if line.strip())


# -- subjects ------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _emoji_table() -> tuple[dict[str, str], int]:
    table = {emoji.replace("\ufe0f", ""): name for name, emoji, *_ in GITMOJIS}
    return table, max(len(k) for k in table)


_CONVENTIONAL = re.compile(
    r"^(?P<type>[A-Za-z][\w-]*)(?:\((?P<scope>[^()\r\n]*)\))?(?P<bang>!)?:\s+(?P<desc>.*)$"
)
_LEADING_REFS = re.compile(
    rf"^(?:\[\s*(?:(?:{_REPO})?#\d+|GH-\d+)(?:\s*[/,&;]\s*(?:(?:{_REPO})?#\d+|GH-\d+))*\s*\]"
    rf"|(?:{_REPO})?#\d+:?)\s*"
)
_ONE_REF = rf"(?:(?:{_REPO})?#\d+|GH-\d+)"
_TRAILING_REFS = re.compile(
    rf"\s*[\[(]\s*(?:(?:fixes|closes|refs?|see)\s+)?{_ONE_REF}(?:\s*[/,&;]\s*{_ONE_REF})*\s*[\])]\s*$",
    re.I,
)
_BREAKING_FOOTER = re.compile(r"^BREAKING[ -]CHANGE\s*:", re.M)


_CODE = re.compile(r"[\w+-]+")  # what may stand between the colons of `:code:`
_CODES: dict[str, str | None] = {}  # `:code:` as written -> gitmoji name; None: not a code


def _leading_gitmoji(subject: str) -> tuple[str | None, str]:
    first = subject[:1]
    if first < "\x80" and first != ":":
        return None, subject  # every gitmoji starts with ':' or a non-ASCII character
    if first == ":":
        # `:code:` up to the first colon after the opening one (the code cannot hold one);
        # the caller strips the whitespace after it.
        end = subject.find(":", 1)
        code = subject[1:end] if end > 1 else ""
        name = _CODES.get(code)
        if name is None and code not in _CODES:
            name = (gitmoji_name(code) or code) if _CODE.fullmatch(code) else None
            if len(_CODES) < 4096:
                _CODES[code] = name
        if name is not None:
            return name, subject[end + 1 :]
    table, longest = _emoji_table()
    bare = subject.replace("\ufe0f", "")
    for size in range(min(longest, len(bare)), 0, -1):
        name = table.get(bare[:size])
        if name is not None:
            # Step over the same characters in the original (which may hold U+FE0F).
            consumed, i = 0, 0
            while consumed < size and i < len(subject):
                if subject[i] != "\ufe0f":
                    consumed += 1
                i += 1
            while i < len(subject) and subject[i] == "\ufe0f":
                i += 1
            return name, subject[i:].lstrip()
    return None, subject


def parse_message(subject: str, body: str = "", *, types: Iterable[str] = ()) -> ParsedMessage:
    """Read one commit message: gitmoji (shortcode or emoji), Conventional Commits header,
    issue references, breaking markers, trailers and merge information. Never raises."""
    known_types = _known_types(types if isinstance(types, frozenset) else frozenset(types))
    gitmoji, ctype, scope, breaking, description, refs, trailers, merge = _parse(
        subject, body, known_types
    )
    return ParsedMessage(
        style="gitmoji" if gitmoji else ("conventional" if ctype else "free"),
        gitmoji=gitmoji,
        type=ctype,
        scope=scope,
        breaking=breaking,
        description=description,
        issues=tuple([IssueRef(repo, number) for repo, number in refs]),
        trailers=trailers,
        merge=merge,
    )


_Message = tuple[
    str | None,  # gitmoji
    str | None,  # type
    str | None,  # scope
    bool,  # breaking
    str,  # description
    list[_Ref],  # issues
    tuple[Trailer, ...],  # trailers
    MergeInfo | None,  # merge
]
"""parse_message's result as a plain tuple, for the hot path."""

_ISSUE_TRAILERS = frozenset({"issue", "issues", "refs", "ref", "fixes", "closes", "resolves"})
_REQUESTS = frozenset({"pull-request", "merge-request"})


def _parse(subject: str, body: str, known_types: frozenset[str]) -> _Message:
    """parse_message without the objects: grouping calls it for every commit."""
    text = subject.strip()
    merge = parse_merge(text, body) if text.startswith("Merge") else None
    gitmoji, rest = _leading_gitmoji(text)
    rest = rest.lstrip()
    # Leading references ("[#2426] Add ...") may stand before or after a type.
    if _may_lead_with_ref(rest):
        rest = _strip_leading_refs(rest)
        if gitmoji is None:  # "[#2426] :bug: Fix ..."
            gitmoji, rest = _leading_gitmoji(rest)
            rest = rest.lstrip()
    ctype = scope = None
    bang = False
    if ":" in rest:
        match = _CONVENTIONAL.match(rest)
        if match and match.group("type").lower() in known_types:
            ctype = match.group("type").lower()
            scope = match.group("scope")
            bang = bool(match.group("bang"))
            rest = _strip_leading_refs(match.group("desc").lstrip())
    description = rest.strip()
    while description.endswith((")", "]")):  # "Fix it [#3] (#4)": every group of refs
        shorter = _TRAILING_REFS.sub("", description).strip()
        if shorter == description:
            break
        description = shorter
    trailers = parse_trailers(body) if ":" in body else ()
    refs = _refs(text)
    if body or merge is not None:
        issues = dict.fromkeys(refs)
        if merge is not None and merge.title:
            issues.update(dict.fromkeys(_refs(merge.title)))
        issues.update(dict.fromkeys(_body_refs(body)))
        for trailer in trailers:
            if trailer.key in _ISSUE_TRAILERS:
                issues.update(dict.fromkeys(_refs(trailer.value)))
        if merge is not None and merge.kind in _REQUESTS:
            # "Merge pull request #N" names the request, not an issue.
            issues.pop((None, merge.number or 0), None)
        refs = list(issues)
    breaking = (
        bang or gitmoji == "boom" or ("BREAKING" in body and bool(_BREAKING_FOOTER.search(body)))
    )
    if description:
        description = description[0].upper() + description[1:]
    return gitmoji, ctype, scope, breaking, description, refs, trailers, merge


@lru_cache(maxsize=32)
def _known_types(extra: frozenset[str]) -> frozenset[str]:
    return CONVENTIONAL_TYPES | {t.split("(")[0].lower() for t in extra}


def _may_lead_with_ref(text: str) -> bool:
    """False when _LEADING_REFS cannot match: it needs `[` first, or `#` with nothing but a
    repository name (no space) before it."""
    if text.startswith("["):
        return True
    hash_at = text.find("#")
    return hash_at >= 0 and " " not in text[:hash_at]


def _strip_leading_refs(text: str) -> str:
    while _may_lead_with_ref(text):
        match = _LEADING_REFS.match(text)
        if not match or not match.group(0):
            return text
        text = text[match.end() :].lstrip(" -")
        if text.startswith(":") and not _SHORTCODE.match(text):  # "[#12]: Fix", not ":bug:"
            text = text[1:].lstrip(" -")
    return text


_SHORTCODE = re.compile(r":[\w+-]+:")


# -- classification ------------------------------------------------------------------------


class Classifier:
    """Which section a message feeds and whether it is internal, per the configuration."""

    def __init__(self, config: ChangelogConfig, sections: Sequence[SectionRule], default: int):
        self.sections = tuple(sections)
        self.default = default
        self.internal_gitmoji = config.internal_gitmoji
        self.internal_types = config.internal_types
        self.types = frozenset(t for s in self.sections for t in s.types) | config.internal_types
        patterns = [translate(p, classes=False) + r"\Z" for p in config.internal_paths]
        internal = re.compile("|".join(f"(?:{p})" for p in patterns) or r"(?!)")
        # Remembered per path: a history changes the same files again and again, and the
        # `(?:.*/)?` of the globs backtracks over every directory of a path.
        self._internal_path: Callable[[str], bool] = lru_cache(maxsize=_PATHS_REMEMBERED)(
            lambda path: internal.match(path) is not None
        )
        self._by_gitmoji: dict[str, int] = {}
        self._by_type: dict[str, int] = {}
        for index, section in enumerate(self.sections):
            for name in section.gitmoji:
                self._by_gitmoji.setdefault(name, index)
            for name in section.types:
                self._by_type.setdefault(name, index)

        self._classes: dict[tuple[str | None, str | None, str | None], tuple[bool, int | None]]
        self._classes = {}

    def priority(self, index: int) -> int:
        return self.sections[index].priority

    def is_internal(self, message: ParsedMessage) -> bool:
        return self._is_internal(message.gitmoji, message.type, message.scope)

    def section(self, message: ParsedMessage) -> int | None:
        """The section the message names by gitmoji (first) or type; None: none named."""
        return self._section(message.gitmoji, message.type, message.scope)

    def _classify(
        self, gitmoji: str | None, ctype: str | None, scope: str | None
    ) -> tuple[bool, int | None]:
        """(is_internal, section) for a message's gitmoji, type and scope, remembered: a
        history has few different ones."""
        key = (gitmoji, ctype, scope)
        found = self._classes.get(key)
        if found is None:
            found = (self._is_internal(*key), self._section(*key))
            if len(self._classes) < 4096:
                self._classes[key] = found
        return found

    def _is_internal(self, gitmoji: str | None, ctype: str | None, scope: str | None) -> bool:
        if gitmoji is not None and gitmoji in self.internal_gitmoji:
            return True
        if ctype is not None:
            if ctype in self.internal_types:
                return True
            if scope is not None and f"{ctype}({scope.lower()})" in self.internal_types:
                return True
        return False

    def _section(self, gitmoji: str | None, ctype: str | None, scope: str | None) -> int | None:
        if gitmoji is not None and gitmoji in self._by_gitmoji:
            return self._by_gitmoji[gitmoji]
        if ctype is not None:
            if scope is not None:
                scoped = self._by_type.get(f"{ctype}({scope.lower()})")
                if scoped is not None:
                    return scoped
            return self._by_type.get(ctype)
        return None

    def internal_paths(self, paths: Iterable[str]) -> bool:
        """Whether every path is internal (tests, CI, changelog); False for no paths."""
        seen = False
        for path in paths:
            seen = True
            if not self._internal_path(path):
                return False
        return seen


_PATHS_REMEMBERED = 1 << 14


# -- grouping commits into changes ---------------------------------------------------------


class _File(Protocol):
    @property
    def path(self) -> str: ...


class CommitLike(Protocol):
    """What grouping needs of a commit (history.Commit has it)."""

    @property
    def sha(self) -> str: ...
    @property
    def parents(self) -> tuple[str, ...]: ...
    @property
    def subject(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def files(self) -> Sequence[_File]: ...


RecordLike = tuple[str, Sequence[str], str, str, Sequence[str]]
"""(sha, parents, subject, body, changed paths): what grouping reads of a commit, as
history.Record has it."""


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
    """Position on the first-parent line where it landed (0 = the oldest commit there)."""


class _Unit:
    """The commits that came in through one merge (or one commit on the first-parent line),
    while commits may still join it (`refs`: how many unread commits lead to it)."""

    __slots__ = (
        "best",
        "branch",
        "branch_issue",
        "breaking",
        "counts",
        "fallback",
        "id",
        "issues",
        "landed",
        "public",
        "refs",
        "shas",
        "title",
        "transparent",
    )

    def __init__(self, id: int, landed: int, transparent: bool = False) -> None:
        self.id = id
        """Creation order: the newest unit reaching a commit owns it."""
        self.landed = landed
        self.transparent = transparent
        """A placeholder for the side of a plain merge: each commit under it is a unit."""
        self.refs = 0
        self.title: _Message | None = None
        self.branch: str | None = None
        self.branch_issue: str | None = None
        self.shas: list[str] = []
        self.issues: dict[str, None] = {}
        self.counts: dict[str, int] = {}
        self.fallback = ""
        self.best: tuple[int, int, str] | None = None  # (priority, section, description)
        self.breaking = False
        self.public = False


_Done = tuple[int, int, int | None, str, tuple[str, ...], tuple[str, ...], bool]
"""A finished unit: (landed, id, section or None, text, issues, shas oldest first, breaking)."""


def group_changes(
    commits: Iterable[CommitLike],
    *,
    tip: str,
    classifier: Classifier,
    own_repo: str | None = None,
) -> list[Change]:
    """Group commits (children before parents, as `git log --topo-order` gives them) into
    changes, streaming: only the open frontier of the graph and one small record per change
    are kept.

    Each commit belongs to the merge on the first-parent line of `tip` that brought it in
    (nested pull-request merges start their own change); plain `git merge` of a branch
    without request or title keeps its commits apart. Changes that share their main issue
    then become one.
    """
    records = (
        (c.sha, c.parents, c.subject, c.body, tuple([f.path for f in c.files])) for c in commits
    )
    changes = group_records(records, tip=tip, classifier=classifier, own_repo=own_repo)
    assert isinstance(changes, list)  # (never spilled: no spill_after)
    return changes


def group_records(
    records: Iterable[RecordLike],
    *,
    tip: str,
    classifier: Classifier,
    own_repo: str | None = None,
    internal: bool = True,
    spill_after: int | None = None,
) -> list[Change] | StoredChanges[Change]:
    """group_changes for lean records (history.Record: sha, parents, subject, body, paths),
    the fast path of a long history.

    `internal=False` leaves internal changes (section None) out as soon as they are known,
    so memory holds only what a changelog shows; `landed` then counts from the oldest
    change returned.

    `spill_after`: once that many finished units wait in memory, they (and all later ones)
    go to a temporary database on disk (ozrelease.changelog.spill) and the changes come back as a
    StoredChanges, read as used: memory stays flat however long the range. None: never.
    """
    with gcpause.paused():  # small objects kept, none in cycles: nothing to collect
        return _group(records, tip, classifier, own_repo, internal, spill_after)


def _group(
    records: Iterable[RecordLike],
    tip: str,
    classifier: Classifier,
    own_repo: str | None,
    keep_internal: bool,
    spill_after: int | None = None,
) -> list[Change] | StoredChanges[Change]:
    types = _known_types(classifier.types)
    title_types = _known_types(frozenset())
    own = own_repo.lower() if own_repo else None
    classify = classifier._classify
    classes = classifier._classes
    internal_path = classifier._internal_path
    default = classifier.default
    priorities = [section.priority for section in classifier.sections]
    parse = _parse

    def ref_id(repo: str | None, number: int) -> str:
        if repo is None or (own is not None and repo.lower() == own):
            return str(number)
        return f"{repo}#{number}"

    created = 0

    def new_unit(landed: int, merge: MergeInfo | None = None, refs: Sequence[_Ref] = ()) -> _Unit:
        nonlocal created
        created += 1
        unit = _Unit(created, landed)
        if merge is not None:
            if merge.title:
                unit.title = parse(merge.title, "", title_types)
            if merge.branch:
                unit.branch = merge.branch
                number = branch_issue(merge.branch)
                if number is not None:
                    unit.branch_issue = str(number)
            for repo, number in refs:
                unit.issues.setdefault(ref_id(repo, number))
        return unit

    def new_transparent(landed: int) -> _Unit:
        nonlocal created
        created += 1
        return _Unit(created, landed, transparent=True)

    singles: list[_Done] = []
    by_issue: dict[str, _Done | list[_Done]] = {}  # main issue -> its unit, or units
    spill: Spill | None = None
    kept = 0  # units in `singles` and `by_issue`

    def finish(unit: _Unit) -> None:
        """File a unit no commit can join any more; internal ones without an issue go when
        they are not kept."""
        nonlocal kept
        unit.refs = -1
        if unit.transparent:
            return
        section, text, main, issues = _finish(unit, classify, default, ref_id)
        if main is None and section is None and not keep_internal:
            return
        unit.shas.reverse()
        done = (unit.landed, unit.id, section, text, issues, tuple(unit.shas), unit.breaking)
        if main is None:
            singles.append(done)
        else:
            members = by_issue.get(main)
            if members is None:
                by_issue[main] = done
            elif isinstance(members, list):
                members.append(done)
            else:
                by_issue[main] = [members, done]
        kept += 1
        if spill_after is not None and kept >= spill_after:
            move_to_disk()

    def move_to_disk() -> None:
        nonlocal spill, kept
        if spill is None:
            from ozrelease.changelog.spill import Spill

            spill = Spill()
        spill.add_units(_filed(singles, by_issue))
        singles.clear()
        by_issue.clear()
        kept = 0

    pending: dict[str, _Unit] = {}  # sha not read yet -> the unit that reaches it (newest wins)
    mainline = tip
    position = 0
    carry: _Unit | None
    side: _Unit | None
    for sha, parents, subject, body, paths in records:
        gitmoji, ctype, scope, breaking, description, refs, _, merge = parse(subject, body, types)
        inherited = pending.pop(sha, None)
        if inherited is not None:
            inherited.refs -= 1
        is_merge = len(parents) > 1
        opens = is_merge and merge is not None and _opens_change(merge)
        if sha == mainline:
            mainline = parents[0] if parents else ""
            position += 1
            carry = None  # the first parent is the next commit of the line: a unit of its own
            if opens:
                unit = side = new_unit(-position, merge, refs)
            else:
                unit = new_unit(-position)
                side = new_transparent(-position) if is_merge else None
        else:
            if inherited is None:  # cannot happen for a --topo-order scan from `tip`
                inherited = new_transparent(-position)
            carry = side = inherited
            if opens:
                # A pull request merged into a branch that is merged itself: its own change.
                unit = side = new_unit(inherited.landed, merge, refs)
            elif inherited.transparent:
                unit = new_unit(inherited.landed)
            else:
                unit = inherited
        unit.shas.append(sha)
        if not is_merge:
            unit.fallback = description  # read newest first: ends as the oldest's
            if refs:
                issues = unit.issues
                counts = unit.counts
                for repo, number in refs:
                    issue = str(number) if repo is None else ref_id(repo, number)
                    issues.setdefault(issue)
                    counts[issue] = counts.get(issue, 0) + 1
            found = classes.get((gitmoji, ctype, scope))
            internal, section = classify(gitmoji, ctype, scope) if found is None else found
            if not internal and paths:
                for path in paths:  # internal when every path is
                    if not internal_path(path):
                        break
                else:
                    internal = True
            if not internal:
                unit.public = True
                if breaking:
                    unit.breaking = True
                if section is None:
                    section = default
                # The oldest commit (read last) of the most important section.
                priority = priorities[section]
                best = unit.best
                if best is None or priority <= best[0]:
                    unit.best = (priority, section, description)
        replaced: list[_Unit] | None = None
        if not is_merge:
            if carry is not None and parents:  # (the usual case, spelt out)
                parent = parents[0]
                previous = pending.get(parent)
                if previous is None:
                    pending[parent] = carry
                    carry.refs += 1
                elif carry.id > previous.id:
                    pending[parent] = carry
                    carry.refs += 1
                    previous.refs -= 1
                    replaced = [previous]
        else:
            for index, parent in enumerate(parents):
                target = carry if index == 0 else side
                if target is None:
                    continue
                previous = pending.get(parent)
                if previous is None:
                    pending[parent] = target
                    target.refs += 1
                elif target.id > previous.id:
                    pending[parent] = target
                    target.refs += 1
                    previous.refs -= 1
                    if replaced is None:
                        replaced = [previous]
                    else:
                        replaced.append(previous)
        if unit.refs == 0:
            finish(unit)
        if inherited is not None and inherited.refs == 0:
            finish(inherited)
        if replaced is not None:
            for previous in replaced:
                if previous.refs == 0:
                    finish(previous)
    # Ancestors outside the range stay in `pending`; they belong to no change.
    for unit in pending.values():
        if unit.refs > 0:
            finish(unit)
    if spill is None:
        return _merge_by_issue(singles, by_issue, priorities, keep_internal)
    move_to_disk()
    assert spill is not None
    return _merge_spilled(spill, priorities, keep_internal)


def _opens_change(merge: MergeInfo) -> bool:
    if merge.kind in ("pull-request", "merge-request", "fork"):
        return True
    if merge.title:
        return True
    return merge.branch is not None and branch_issue(merge.branch) is not None


_WEAK_TITLE = re.compile(r"^[A-Za-z]+/\S|^Merge\b")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_SPACES = bytes(c if chr(c) in _ALNUM else 32 for c in range(256))  # (a bytes.translate table)


def _weak_title(title: str, branch: str | None) -> bool:
    """GitHub's default title for a pull request of several commits is its branch name
    (`Fix/2426 add slug to service form`); a commit subject says more."""
    if not title or _WEAK_TITLE.match(title):
        return True
    if branch is None:
        return False
    squash = _words(title)
    return bool(squash) and _words(branch).endswith(squash)


def _words(text: str) -> str:
    """The runs of [a-z0-9] in `text` in lower case, one space between them."""
    lower = text.lower()
    if lower.isascii():  # (the same, without a regular expression)
        return b" ".join(lower.encode("ascii").translate(_SPACES).split()).decode("ascii")
    return _NOT_ALNUM.sub(" ", lower).strip()


def _finish(
    unit: _Unit,
    classify: _Classify,
    default: int,
    ref_id: _RefId,
) -> tuple[int | None, str, str | None, tuple[str, ...]]:
    """(section or None when internal, text, main issue, all issues) of one unit."""
    title = unit.title
    section: int | None = None
    text = ""
    internal = not unit.public
    if title is not None:
        title_internal, title_section = classify(title[0], title[1], title[2])
        internal = internal or title_internal
        if not internal:
            section = title_section
            unit.breaking = unit.breaking or title[3]
        if not _weak_title(title[4], unit.branch):
            text = title[4]
    best = unit.best
    if section is None:
        section = best[1] if best is not None else default
    if not text and best is not None:
        text = best[2]
    if not text and title is not None:
        text = title[4]
    text = text or unit.fallback
    issues = dict(unit.issues)
    main: str | None = None
    if title is not None and title[5]:
        for repo, number in title[5]:
            issues.setdefault(ref_id(repo, number))
        main = ref_id(*title[5][0])
    if main is None and unit.branch_issue is not None:
        main = unit.branch_issue
        issues.setdefault(main)
    if main is None and unit.counts:
        counts = unit.counts
        top = max(counts.values())
        main = next(i for i in unit.issues if counts.get(i) == top)
    ordered = (main, *[i for i in issues if i != main]) if main else tuple(issues)
    return (None if internal else section), text, main, ordered


def _landed_and_id(done: _Done) -> tuple[int, int]:
    return done[0], done[1]


def _merge_by_issue(
    singles: list[_Done],
    by_issue: dict[str, _Done | list[_Done]],
    priorities: Sequence[int],
    keep_internal: bool,
) -> list[Change]:
    """Changes from finished units: those that share their main issue become one. Takes
    `singles` and `by_issue` apart as it goes (one copy of the range at a time)."""
    found: list[_Found] = [_single(done) for done in singles]
    singles.clear()
    while by_issue:
        _, group = by_issue.popitem()
        members = group if isinstance(group, list) else [group]
        merged = _merge_units(members, priorities, keep_internal)
        if merged is not None:
            found.append(merged)
    # `landed` counted down from the tip; make it count up from the oldest.
    low = min((f[0] for f in found), default=0)
    found.sort(key=_landed_and_first, reverse=True)
    changes = []
    while found:
        landed, _, section, text, issues, shas, breaking = found.pop()
        changes.append(Change(section, text, issues, shas, breaking, landed - low))
    return changes


_Found = tuple[int, str, int | None, str, tuple[str, ...], tuple[str, ...], bool]
"""A change before it is made: (landed, first sha, section, text, issues, shas, breaking)."""


def _merge_units(
    members: list[_Done], priorities: Sequence[int], keep_internal: bool
) -> _Found | None:
    """The change made of the units that share one main issue; None when it is internal
    and internal changes are not kept."""
    if len(members) == 1:  # the only unit of its issue
        only = members[0]
        return _single(only) if keep_internal or only[2] is not None else None
    members = sorted(members, key=_landed_and_id)  # landed, then the order units began in
    public = [m for m in members if m[2] is not None]
    if not public and not keep_internal:
        return None
    shas = tuple([sha for m in members for sha in m[5]])
    issues = tuple(dict.fromkeys([i for m in members for i in m[4]]))
    if not public:
        return (members[0][0], shas[0], None, members[0][3], issues, shas, False)
    lead = min(public, key=lambda m: (priorities[m[2] or 0], m[0]))
    breaking = any(m[6] for m in members)
    return (public[0][0], shas[0], lead[2], lead[3], issues, shas, breaking)


def _filed(
    singles: list[_Done], by_issue: dict[str, _Done | list[_Done]]
) -> Iterator[tuple[str | None, _Done]]:
    """(main issue or None, unit) for every unit filed so far."""
    for done in singles:
        yield None, done
    for main, group in by_issue.items():
        if isinstance(group, list):
            for done in group:
                yield main, done
        else:
            yield main, group


def _merge_spilled(
    spill: Spill, priorities: Sequence[int], keep_internal: bool
) -> StoredChanges[Change]:
    """_merge_by_issue for units moved to disk: one issue's units in memory at a time."""
    found = (
        _single(members[0]) if main is None else _merge_units(members, priorities, keep_internal)
        for main, members in spill.groups()
    )
    spill.add_changes(change for change in found if change is not None)
    return spill.changes(_made_change)


def _made_change(made: Made) -> Change:
    return Change(*made)


def _single(done: _Done) -> _Found:
    """The change of a unit that shares its main issue with no other unit."""
    landed, _, section, text, issues, shas, breaking = done
    return landed, shas[0], section, text, issues, shas, breaking and section is not None


def _landed_and_first(
    item: tuple[int, str, object, object, object, object, object],
) -> tuple[int, str]:
    return item[0], item[1]


_Classify = Callable[[str | None, str | None, str | None], tuple[bool, int | None]]
_RefId = Callable[[str | None, int], str]
