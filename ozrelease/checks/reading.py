"""The range's commits as the check reads them: issues, pull requests, internal or not."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ozrelease.changelog.commits import (
    Change,
    Classifier,
    IssueRef,
    ParsedMessage,
    find_issue_refs,
    parse_message,
)
from ozrelease.changelog.globs import Globs
from ozrelease.checks.context import Context, RangeCommit
from ozrelease.history import Commit

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


def read_commits(
    raw: Sequence[Commit],
    changes: Sequence[Change],
    classifier: Classifier,
    context: Context,
    own_repo: str | None,
) -> list[RangeCommit]:
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
        record = RangeCommit(
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
SQUASHED = re.compile(r"\s\((?:backport of\s+)?#(?P<n>\d+)(?:\s+backport)?\)\s*$", re.I)


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
        match = SQUASHED.search(text or "")
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
    head = SQUASHED.sub("", subject)
    reverted = _REVERTED.search(head)
    if reverted is not None:
        outside = head[: reverted.start("quoted")] + head[reverted.end("quoted") :]
        if find_issue_refs(outside) or _NAMED_REF.search(outside):
            head = outside
    refs.extend(find_issue_refs(head))
    merge = parsed.merge
    if merge is not None and merge.title:
        refs.extend(find_issue_refs(SQUASHED.sub("", merge.title)))
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
    commit: RangeCommit,
    classifier: Classifier,
    globs: Mapping[str, Globs],
    context: Context,
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


def is_dependency_commit(commit: RangeCommit) -> bool:
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


def user_visible(commit: RangeCommit) -> bool:
    """A feature, fix or security commit (by gitmoji or type), as opposed to an adaptation."""
    parsed = commit.parsed
    return parsed.gitmoji in _VISIBLE_GITMOJI or parsed.type in _VISIBLE_TYPES


def package_names(text: str) -> list[str]:
    names = []
    for pattern in _PACKAGE_NAMES:
        for match in pattern.finditer(text):
            name = match.group("n").rstrip(".,;:")
            if name.lower() not in _NOT_PACKAGES and not name[0].isdigit():
                names.append(name)
    return list(dict.fromkeys(names))
