"""`api-breaking`: breaking changes of the API documents over the range."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ozrelease.changelog.commits import Change
from ozrelease.checks import openapi as openapi
from ozrelease.checks.context import Context
from ozrelease.checks.files import FileVersions, Watched
from ozrelease.checks.report import Finding
from ozrelease.errors import OzReleaseError


def check_specs(
    versions: FileVersions,
    per_commit: Mapping[str, FileVersions],
    entry: Watched,
    changes: Sequence[Change],
    context: Context,
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

    views: dict[int, Any] = {}

    def view(text: str | None, path: str, document: Any) -> Any:
        """The document's semantic view, once per distinct text (a commit's "after" is the
        next one's "before")."""
        key = hash((path, text))
        if key not in views:
            views[key] = openapi.semantic_view(document)
        return views[key]

    changed: set[str] = set()
    broke: dict[str, dict[tuple[str, str], set[str]]] = {}  # path -> (kind, element) -> shas
    pending: dict[str, list[tuple[str, Any, Any]]] = {}  # path -> (sha, old, new) to attribute
    for sha, files in per_commit.items():
        for path, (before, after) in files.items():
            if path not in entry.files:
                continue
            if before == after:
                continue
            old, new = load(before, path), load(after, path)
            if old is None or new is None or old == {} or new == {}:
                changed.add(sha)
                continue
            if view(before, path, old) != view(after, path, new):
                changed.add(sha)
                pending.setdefault(path, []).append((sha, old, new))

    def attribute(path: str) -> dict[tuple[str, str], set[str]]:
        """(kind, element) -> the commits whose own diff of `path` broke it; worked out only
        for documents broken over the range (the costly part, usually not needed)."""
        if path not in broke:
            found = broke.setdefault(path, {})
            for sha, old, new in pending.get(path, ()):
                for item in openapi.breaking_changes(old, new):
                    found.setdefault((item.kind, item.element), set()).add(sha)
        return broke[path]

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
        by_element = attribute(path)
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
    context: Context,
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
