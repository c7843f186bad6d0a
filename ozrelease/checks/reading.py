"""The range's commits as the check reads them: issues, pull requests, internal or not."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ozrelease.changelog.globs import Globs
from ozrelease.changelog.grouping import Change, Classifier
from ozrelease.changelog.messages import ParsedMessage, parse_message
from ozrelease.changelog.vocabulary import (
    DEPENDENCY_GITMOJI,
    DEPENDENCY_TYPES,
    DOCS_GITMOJI,
    DOCS_TYPES,
    is_user_visible,
)
from ozrelease.checks.context import Context, RangeCommit
from ozrelease.errors import InputError
from ozrelease.history import Commit
from ozrelease.history.snapshots import Snapshots, snapshots
from ozrelease.inputs import parse_toml

_DEPENDENCY_SUBJECT = re.compile(r"^(?:bump|upgrade|update|pin|downgrade)(?:s|d|ed)?\b", re.I)
_PACKAGE_NAMES = (
    re.compile(
        r"\b(?:bump|upgrade|update|pin|downgrade)(?:s|d|ed)?\s+(?:the\s+)?"
        r"(?P<n>@?[A-Za-z0-9][\w.\-/@]*)",
        re.I,
    ),
    re.compile(r"(?P<n>@?[A-Za-z0-9][\w.\-/@]*)\s*(?:==|>=|~=|@)\s*v?\d"),
    re.compile(r"(?P<n>@?[A-Za-z0-9][\w.\-/@]*)\s+(?:to|from)\s+v?\d", re.I),
    # "Add compatibility for django-csp 4.0": a package's name (hyphenated, so not a word
    # of the sentence) and the version
    re.compile(r"(?P<n>[A-Za-z][\w.]*(?:-[\w.]+)+)\s+v?\d+(?:\.\d+)+\b"),
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
    tooling = _ToolTables(context)
    for commit in raw:
        parsed = parse_message(commit.subject, commit.body, types=classifier.types)
        paths = tuple(dict.fromkeys(p for f in commit.files for p in (f.path, f.old_path) if p))
        record = RangeCommit(
            sha=commit.sha,
            subject=commit.subject,
            parsed=parsed,
            ids=parsed.ids(own_repo),
            paths=paths,
            is_merge=commit.is_merge,
            change=change_of.get(commit.sha, -1),
            requests=parsed.requests,
            modified=frozenset(f.path for f in commit.files if f.status[:1] in "MT"),
            created=tuple(
                (f.path, None if f.status[:1] == "A" else f.old_path)
                for f in commit.files
                if f.status[:1] in "ACR"
            ),
        )
        if not commit.is_merge:
            record.internal = _internal(record, classifier, globs, context) or tooling(
                record, globs["internal"]
            )
        out.append(record)
    tooling.close()
    return out


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
        parsed.gitmoji in DOCS_GITMOJI or parsed.type in DOCS_TYPES
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


class _ToolTables:
    """Whether a commit changed only tooling files and the `[tool.*]` tables of
    pyproject.toml (`[tool.ruff]`, `[tool.bumpversion]`): internal work. (setup.cfg is a
    tooling file for the check already; its pins are read by name.) The files are read only
    for such commits, a few in a range if any."""

    def __init__(self, context: Context) -> None:
        self._context = context
        self._reader: Snapshots | None = None

    def __call__(self, commit: RangeCommit, internal: Globs) -> tuple[str, str] | None:
        if not self._context.on("internal-commits"):
            return None
        project = [p for p in commit.paths if not internal(p)]
        if not project or any(p.rsplit("/", 1)[-1] != "pyproject.toml" for p in project):
            return None
        if self._reader is None:
            self._reader = snapshots(self._context.history)
        for path in project:
            before = self._reader.blob(f"{commit.sha}^:{path}")
            after = self._reader.blob(f"{commit.sha}:{path}")
            settings = None if before is None else _untooled(before)
            if settings is None or after is None or settings != _untooled(after):
                return None
        return "internal-commits", f"only tooling: the tool tables of {', '.join(project)}"

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()


def _untooled(data: bytes) -> dict[str, object] | None:
    """pyproject.toml without its `[tool]` table, None when it cannot be read."""
    try:
        table = parse_toml(data.decode("utf-8"), file="pyproject.toml")
    except (UnicodeDecodeError, InputError):
        return None
    table.pop("tool", None)
    return table


def is_dependency_commit(commit: RangeCommit) -> bool:
    return is_dependency_message(commit.parsed)


def is_dependency_message(parsed: ParsedMessage) -> bool:
    """A dependency upgrade, by gitmoji, type, scope or words ("Upgrade dependencies")."""
    return (
        parsed.gitmoji in DEPENDENCY_GITMOJI
        or parsed.type in DEPENDENCY_TYPES
        or (parsed.scope or "").lower() in ("deps", "deps-dev")
        or bool(_DEPENDENCY_SUBJECT.match(parsed.description))
    )


def user_visible(commit: RangeCommit) -> bool:
    """A feature, fix or security commit (by gitmoji or type), as opposed to an adaptation."""
    return is_user_visible(commit.parsed.gitmoji, commit.parsed.type)


def package_names(text: str) -> list[str]:
    names = []
    for pattern in _PACKAGE_NAMES:
        for match in pattern.finditer(text):
            name = match.group("n").rstrip(".,;:")
            if name.lower() not in _NOT_PACKAGES and not name[0].isdigit():
                names.append(name)
    return list(dict.fromkeys(names))
