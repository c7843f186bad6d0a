"""THE reader of a commit message: type, scope, breaking, text, issues, requests, merges, trailers.

`generate`, `check`, `release prepare` and `release backports` all read messages here, so a
section that `generate` writes is one that `check` reads the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from ozrelease.changelog.vocabulary import (
    CONVENTIONAL_TYPES,
    DEPENDENCY_GITMOJI,
    DEPENDENCY_TYPES,
    GITMOJIS,
    gitmoji_name,
)

__all__ = [
    "ADVISORY", "SHIPPED_TYPES", "SHIPPING", "SQUASHED", "IssueRef", "MergeInfo", "ParsedMessage",
    "Trailer", "advisory_name", "branch_issue", "cherry_picks", "entry_text", "find_issue_refs",
    "is_dependency", "is_formatting", "is_housekeeping", "known_types", "loose_id",
    "opens_change", "parse_merge", "parse_message", "parse_trailers", "weak_title",
]  # fmt: skip


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
    """Conventional Commits type in lower case (also when it follows a gitmoji:
    `:bug: Fix: x` is gitmoji `bug`, type `fix`, description `X`)."""
    scope: str | None
    breaking: bool
    description: str
    """The subject without gitmoji, type, scope and leading or trailing issue references."""
    issues: tuple[IssueRef, ...]
    """The issues the message is about: references in the subject (outside the quoted subject
    of a reverted commit, and not the `(#155)` of a squash merge), in a pull request's title,
    after closing keywords anywhere in the body or other keywords at the start of a body
    line, and in issue trailers; never the pull request a merge names."""
    trailers: tuple[Trailer, ...] = ()
    merge: MergeInfo | None = None
    requests: tuple[int, ...] = ()
    """The pull (merge) requests the message names as such: a merge's own, the `(#155)` or
    `(#155 backport)` ending a squash-merged subject or a request's title."""
    revert: bool = False
    """`Revert "..."` (git revert) or a `revert` type or `:rewind:`."""
    breaking_note: str | None = None
    """The text of a `BREAKING CHANGE:` footer, when there is one."""
    advisories: tuple[str, ...] = ()
    """Security advisories the message names (`GHSA-...`, `CVE-2025-1234`), upper case."""

    @property
    def co_authors(self) -> tuple[str, ...]:
        return tuple(t.value for t in self.trailers if t.key == "co-authored-by")

    def ids(self, own_repo: str | None = None) -> tuple[str, ...]:
        """The issues as CONTRACT §3 writes their ids (`12`, `owner/name#12`)."""
        if len(self.issues) < 2:  # (most messages: no issue or one)
            return tuple(ref.id(own_repo) for ref in self.issues)
        return tuple(dict.fromkeys(ref.id(own_repo) for ref in self.issues))


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

_NAME = re.compile(r"[A-Za-z][\w.-]*[A-Za-z0-9]")
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
            elif begin < start and _NAME.fullmatch(token) and _in_brackets(text, begin):
                # `[open-api-workflows#30]`: a repository named without its owner, as a
                # Sphinx role names it (and as a changelog entry writes it back)
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


def _in_brackets(text: str, begin: int) -> bool:
    """Whether `begin` starts an item of a `[...]` or `(...)` reference list (`[a#1]`,
    `[#2, a#1]`, a Markdown entry's `(#2, a#1)`)."""
    i = begin - 1
    while i >= 0 and text[i] == " ":
        i -= 1
    if i < 0:
        return False
    if text[i] in "[(":
        return True
    if text[i] in ",/&;":
        opening = max(text.rfind("[", 0, i), text.rfind("(", 0, i))
        closing = max(text.rfind("]", 0, i), text.rfind(")", 0, i))
        return opening > closing
    return False


_BRANCH_ISSUE = re.compile(
    r"^(?:(?:issues?|gh|bug|fix|feature|feat)[-_]?)?#?(\d+)(?:[-_].*)?$", re.I
)


def branch_issue(branch: str) -> int | None:
    """The issue number in a branch name: `issue/2448-some-branch`, `feature/2448-x`,
    `feature/#44-x`, `2448-x`, `issue-2448`. Version-like names (`release/1.29.1`) have
    none."""
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
_ONE_REF = rf"(?:(?:{_REPO}|[A-Za-z][\w.-]*)?#\d+|GH-\d+)"  # in brackets: `name#30` too
_LEADING_REFS = re.compile(
    rf"^(?:\[\s*{_ONE_REF}(?:\s*[/,&;]\s*{_ONE_REF})*\s*\]|(?:{_REPO})?#\d+:?)\s*"
)
_TRAILING_REFS = re.compile(
    rf"\s*[\[(]\s*(?:(?:fixes|closes|refs?|see)\s+)?{_ONE_REF}(?:\s*[/,&;]\s*{_ONE_REF})*\s*[\])]\s*$",
    re.I,
)


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


_ISSUE_TRAILERS = frozenset({"issue", "issues", "refs", "ref", "fixes", "closes", "resolves"})
_REQUESTS = frozenset({"pull-request", "merge-request"})
_REFS_AFTER = r"(?P<refs>(?:(?:https?://\S+|[\w./-]*#\d+|GH-\d+)[\s,;&]*(?:and\s+)?)+)"
# GitHub closes issues named after these words anywhere in a message; other words only
# count at the start of a line ("Refs: #12"), not in prose ("for security issue #37").
_CLOSING = re.compile(rf"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\b[\s:]*{_REFS_AFTER}", re.I)
_LEADING = re.compile(
    rf"^\s*(?:refs?|references?|issues?|see|part of|related(?: to)?|relates to|implements?)"
    rf"\b[\s:]*{_REFS_AFTER}",
    re.I | re.M,
)
# GitHub's squash merge ends the subject with the pull request's number: "Fix x (#155)";
# backports name the request they port: "Fix x (#155 backport)", "(backport of #155)".
SQUASHED = re.compile(r"\s\((?:backport of\s+)?#(?P<n>\d+)(?:\s+backport)?\)\s*$", re.I)
_REVERTED = re.compile(r'\bRevert\s+"(?P<quoted>.*)"')


def reverted_subject(subject: str) -> str | None:
    """The subject a `git revert` commit quotes (`Revert ":sparkles: [#285] add x"`)."""
    match = _REVERTED.match(subject.strip())
    return match.group("quoted") if match else None


# Bounded by anything but a letter or digit: `GHSA-..._` (an RST link) and `(CVE-...)` count.
ADVISORY = re.compile(
    r"(?<![A-Za-z0-9])(?:GHSA(?:-[23456789cfghjmpqrvwx]{4}){3}|CVE-\d{4}-\d{4,})(?![A-Za-z0-9])",
    re.I,
)
_BREAKING_NOTE = re.compile(r"^BREAKING[ -]CHANGE\s*:\s*(?P<text>.+(?:\n(?!\s*\n).+)*)", re.M)


def parse_message(subject: str, body: str = "", *, types: Iterable[str] = ()) -> ParsedMessage:
    """Read one commit message: gitmoji (shortcode or emoji), Conventional Commits header,
    issue references, requests, breaking markers, trailers and merge information. Never
    raises. `types`: Conventional Commits types the configuration adds."""
    known = known_types(types if isinstance(types, frozenset) else frozenset(types))
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
        if match and match.group("type").lower() in known:
            ctype = match.group("type").lower()
            scope = match.group("scope")
            bang = bool(match.group("bang"))
            rest = _strip_leading_refs(match.group("desc").lstrip())
    description = rest.strip()
    lead: _Ref | None = None
    if (
        "/" in description[:12]
        or "--" in description
        or "\u2014" in description
        or "\u2013" in description
    ):
        description, lead = _branch_title(description)
    while description.endswith((")", "]")):  # "Fix it [#3] (#4)": every group of refs
        shorter = _TRAILING_REFS.sub("", description).strip()
        if shorter == description:
            break
        description = shorter
    if not description and merge is None:
        # A subject that is a gitmoji or type alone (`:bug:`): the body's first line says it.
        description = next((line.strip() for line in body.splitlines() if line.strip()), "")
    if description:
        description = description[0].upper() + description[1:]
    trailers = parse_trailers(body) if ":" in body else ()
    note = _BREAKING_NOTE.search(body) if "BREAKING" in body else None
    breaking = bang or gitmoji == "boom" or note is not None
    # The subject and the request's title without a squash merge's `(#155)`, and that number.
    head, squashed = _unsquashed(text)
    title, title_squashed = _unsquashed(merge.title) if merge and merge.title else (None, None)
    if title and lead is None and "/" in title[:12]:
        lead = _branch_title(title)[1]  # (a request titled "Feature/#44 test coverage")
    return ParsedMessage(
        style="gitmoji" if gitmoji else ("conventional" if ctype else "free"),
        gitmoji=gitmoji,
        type=ctype,
        scope=scope,
        breaking=breaking,
        description=description,
        issues=_issues(head, title, body, trailers, merge, lead),
        trailers=trailers,
        merge=merge,
        requests=_requests(squashed, title_squashed, merge),
        revert=ctype == "revert" or gitmoji == "rewind" or text.startswith('Revert "'),
        breaking_note=_sentence(note.group("text")) if note is not None else None,
        advisories=_advisories(f"{text}\n{body}"),
    )


# GitHub titles a request after its branch ("feature/44-show-content-size" becomes
# "Feature/44 show content size"); Django's convention leads with the ticket it closes
# ("Fixed #18 -- Added db indices"). Either way the rest says what the change does.
_BRANCH_TITLE = re.compile(
    r"^(?:feature|feat|fix|bugfix|hotfix|bug|issues?|task|chore)/#?(?P<n>\d+)(?![\d.])[\s_-]*",
    re.I,
)
_TICKET = rf"(?:{_ONE_REF}|https?://\S+/issues/\d+)"
_TICKET_LEAD = re.compile(
    rf"^(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?|refs?\.?|see)[\s:]+{_TICKET}"
    rf"(?:\s*[,&]\s*{_TICKET})*\s*(?:--|\u2014|\u2013)\s*",
    re.I,
)


def _branch_title(description: str) -> tuple[str, _Ref | None]:
    """The description without a branch-name or closed-ticket lead, and the issue a branch
    name gave (the ticket's is found with the other references)."""
    match = _BRANCH_TITLE.match(description)
    if match and match.end() < len(description):
        return description[match.end() :], (None, int(match.group("n")))
    match = _TICKET_LEAD.match(description)
    if match and match.end() < len(description):
        return description[match.end() :], None
    return description, None


def _advisories(text: str) -> tuple[str, ...]:
    lower = text.lower()
    if "ghsa" not in lower and "cve-" not in lower:
        return ()  # (most messages: no regular expression over them)
    return tuple(dict.fromkeys(advisory_name(m.group(0)) for m in ADVISORY.finditer(text)))


def loose_id(issue: str) -> str:
    """An issue id compared loosely: `owner/name#12` as `name#12` (a Sphinx role named like
    the repository names it so), `12` as it is."""
    return issue.rsplit("/", 1)[-1].lower()


def advisory_name(name: str) -> str:
    """`GHSA-2g4q-9r2x-5x8m` and `CVE-2025-1234` as their databases write them."""
    upper = name.upper()
    return "GHSA" + name[4:].lower() if upper.startswith("GHSA") else upper


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text[:1].upper() + text[1:]


def _unsquashed(text: str) -> tuple[str, int | None]:
    """`text` without the request number a squash merge ends it with, and that number."""
    if not text.rstrip().endswith(")"):
        return text, None  # (SQUASHED needs a `)` at the end)
    match = SQUASHED.search(text)
    if match is None:
        return text, None
    return text[: match.start()] + text[match.end() :], int(match.group("n"))


def _issues(
    head: str,
    title: str | None,
    body: str,
    trailers: tuple[Trailer, ...],
    merge: MergeInfo | None,
    lead: _Ref | None = None,
) -> tuple[IssueRef, ...]:
    """The issues of a message (`head`: its subject, `title`: its request's title, both
    without a squash merge's request number; `lead`: the issue of a branch-name title)."""
    refs: list[_Ref] = [lead] if lead is not None else []
    reverted = _REVERTED.search(head) if "Revert" in head else None
    if reverted is not None:
        outside = head[: reverted.start("quoted")] + head[reverted.end("quoted") :]
        if _refs(outside):
            head = outside
    refs.extend(_refs(head))
    if title:
        refs.extend(_refs(title))
    if "#" in body or "/issues/" in body or "GH-" in body:
        for pattern in (_CLOSING, _LEADING):
            for match in pattern.finditer(body):
                refs.extend(_refs(match.group("refs")))
    for trailer in trailers:
        if trailer.key in _ISSUE_TRAILERS:
            refs.extend(_refs(trailer.value))
    found = dict.fromkeys(refs)
    if merge is not None and merge.kind in _REQUESTS:
        found.pop((None, merge.number or 0), None)  # "Merge pull request #N" names no issue
    return tuple(IssueRef(repo, number) for repo, number in found)


def _requests(
    squashed: int | None, title_squashed: int | None, merge: MergeInfo | None
) -> tuple[int, ...]:
    out = []
    if merge is not None and merge.kind in _REQUESTS and merge.number is not None:
        out.append(merge.number)
    out += [n for n in (squashed, title_squashed) if n is not None]
    return tuple(dict.fromkeys(out))


@lru_cache(maxsize=32)
def known_types(extra: frozenset[str] = frozenset()) -> frozenset[str]:
    """The Conventional Commits types read as types: the standard ones and `extra`."""
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


# What a message means for an entry: housekeeping, a dependency upgrade, a merge that opens one
# change, a pull-request title weaker than its commits.
SHIPPED_TYPES = frozenset({"fix", "feat", "feature", "perf", "security"})
SHIPPING = frozenset({"cd", "build", "packaging", "package", "release", "docker", "wheels"})
_FIXUP = ("fixup!", "squash!", "amend!")
_BARE_VERSION = re.compile(r"^(release\s+)?v?\d+(\.\d+)+\S*$")  # a release commit: "10.3.0"


# The release's own commit in words: "Prepare release `4.0.0`", "Bump version to 1.2.3",
# "Release v3.1.0", "Update changelog and bump version" (not "Bump version of django").
_RELEASE_SUBJECT = re.compile(
    r"^(?:prepar(?:e|es|ed|ing)\s+(?:for\s+)?(?:the\s+)?(?:release|version)\b"
    r"|bump(?:s|ed)?\s+(?:the\s+)?version\b(?!\s+of\b)|release\s+v?\d"
    r"|updat(?:e|ed)\s+(?:the\s+)?changelog\s+(?:and|&)\s+bump)"
)


def is_housekeeping(message: ParsedMessage) -> bool:
    """`fixup!` commits, release commits and merges of release branches: no entry of their
    own."""
    text = message.description.lower()
    return (
        text.startswith(_FIXUP)
        or message.type == "bump"
        or bool(_BARE_VERSION.match(text))
        or bool(_RELEASE_SUBJECT.match(text))
    )


# A formatter or linter run over the code ("Apply black", "Black", "Switch to ruff", "Remove
# unused imports"): the code says the same afterwards.
_FORMATTING = re.compile(
    r"^(?:(?:apply|applied|run|ran|use|used|switch(?:ed)?\s+to|move(?:d)?\s+to|"
    r"(?:re)?format(?:ted)?(?:\s+(?:code\s+)?(?:with|using))?)\s+)?"
    r"(?:black|isort|ruff|flake8|prettier|eslint|pyupgrade|django-upgrade)"
    r"(?:\s+(?:formatting|format|linting|lint|fixes))?\.?$"
    r"|^remove(?:d)?\s+unused\s+imports?\.?$"
)


def is_formatting(message: ParsedMessage) -> bool:
    """Whether the commit says it only reformatted or linted the code."""
    return bool(_FORMATTING.match(message.description.lower()))


def entry_text(message: ParsedMessage) -> str:
    """An entry's text from a commit: a revert says so."""
    text = message.description
    if message.type == "revert" and not text.lower().startswith("revert"):
        return f"Revert {text[:1].lower()}{text[1:]}" if text else "Revert"
    return text


def is_dependency(message: ParsedMessage) -> bool:
    return (
        message.gitmoji in DEPENDENCY_GITMOJI
        or message.type in DEPENDENCY_TYPES
        or (message.scope or "").lower() in ("deps", "deps-dev")
    )


_RELEASE_BRANCH = re.compile(
    r"(^|/)(release|releases|main|master|develop|stable)([/-]v?\d[\w.-]*)?$|(^|/)v?\d+\.\d+[\w.-]*$",
    re.I,
)
_RELEASE_TITLE = re.compile(r"^(:bookmark:\s*)?(release|bump version|prepare release)\b", re.I)


def opens_change(merge: MergeInfo) -> bool:
    """Whether a merge's commits make one change: a pull request does, unless it merges a
    release or long-lived branch (`release/1.2`, `main`, "Release v3"), whose many changes
    each stay their own."""
    if (merge.branch and _RELEASE_BRANCH.search(merge.branch)) or (
        merge.title and _RELEASE_TITLE.match(merge.title)
    ):
        return False
    if merge.kind in ("pull-request", "merge-request", "fork"):
        return True
    if merge.title:
        return True
    return merge.branch is not None and branch_issue(merge.branch) is not None


_WEAK_TITLE = re.compile(r"^[A-Za-z]+/\S|^Merge\b")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def weak_title(title: str, branch: str | None) -> bool:
    """GitHub's default title for a pull request of several commits is its branch name
    (`Fix/2426 add slug to service form`), and it cuts long titles off with "…"; a commit
    subject says more."""
    if not title or _WEAK_TITLE.match(title) or title.endswith(("…", "...")):
        return True
    if title.endswith(".") and (", " in title or len(title) > 72):
        return True  # a description ("Came to fix x, found 2 tests that never ran.")
    if branch is None:
        return False
    squash = _NOT_ALNUM.sub(" ", title.lower()).strip()
    return bool(squash) and _NOT_ALNUM.sub(" ", branch.lower()).strip().endswith(squash)
