"""`api-breaking`: breaking changes of the API documents over the range."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ozrelease.changelog.grouping import Change
from ozrelease.checks import openapi as openapi
from ozrelease.checks.context import Context, Stage, no_stage
from ozrelease.checks.files import FileVersions, Watched
from ozrelease.checks.report import Finding
from ozrelease.checks.spec_parts import PartLoader
from ozrelease.checks.spec_refs import RefIndex
from ozrelease.errors import OzReleaseError
from ozrelease.wording import plural


class SpecCheck:
    """`api-breaking` over one streamed pass of the commits' diffs: the range's breaking
    changes from the documents at both ends, attributed to the commits whose own diff
    introduced them. Parsed documents are kept for the last few versions only (a commit's
    "after" is the next one's "before"), so memory is bounded by the documents, not the
    range."""

    def __init__(self, versions: FileVersions, entry: Watched, stage: Stage = no_stage) -> None:
        self.entry = entry
        self.versions = versions
        self.cache: dict[str, dict[str, Any]] = {}
        """path -> text -> the parsed document, the last few versions of each path"""
        self.changed: set[str] = set()
        """Commits that changed a document in more than wording."""
        self.broke: dict[str, dict[tuple[str, str], set[str]]] = {}
        self.found: dict[str, list[openapi.Breaking]] = {}
        self._limit = 4 * max(1, len(entry.files))
        self.loader = PartLoader(keep=self._limit)
        self.refs = RefIndex(keep=self._limit)
        self.copies = _copies(versions, entry.files)
        """Swagger 2 documents beside an OpenAPI one: the same API, compared once."""
        documents = [p for p in sorted(entry.files) if p in versions and p not in self.copies]
        for done, path in enumerate(documents):
            stage("Comparing API documents", done, len(documents), "documents")
            old, new = self.load(versions[path][0], path), self.load(versions[path][1], path)
            if not old:
                continue
            if new is None:
                found = [
                    openapi.Breaking("document-removed", path, path, f"{path} was removed", path)
                ]
            elif not new:
                continue
            else:
                found = openapi.breaking_changes(old, new, *self.refs.compare(old, new))
            if found:
                self.found[path] = found

    def load(self, text: str | None, path: str) -> Any:
        if text is None:
            return None
        kept = self.cache.setdefault(path, {})
        if text in kept:
            return kept[text]
        try:
            document = self.loader.load(text, path)
        except OzReleaseError:
            document = {}
        kept[text] = document
        while len(kept) > 2:  # (a commit's "after" is its child's "before", read just before)
            del kept[next(iter(kept))]
        return document

    def feed(self, sha: str, files: FileVersions) -> None:
        """One commit's versions of the watched files."""
        for path, (before, after) in files.items():
            if path not in self.entry.files or path in self.copies or before == after:
                continue
            new = self.load(after, path)  # (after first: the version the last commit read)
            old = self.load(before, path)
            if old is None or new is None or old == {} or new == {}:
                self.changed.add(sha)
                continue
            if not openapi.same_semantics(old, new):
                self.changed.add(sha)
                if path in self.found:  # attribution only where the range breaks something
                    by = self.broke.setdefault(path, {})
                    walked = {item.path for item in self.found[path]}
                    unchanged, same = self.refs.compare(old, new, walked)
                    for item in openapi.breaking_changes(old, new, unchanged, same, walked):
                        by.setdefault((item.kind, item.element), set()).add(sha)

    def finish(
        self, changes: Sequence[Change], context: Context, order: Mapping[str, int]
    ) -> set[str]:
        """Report the range's breaking changes; return the commits that changed a document
        in more than wording."""
        self.cache.clear()
        self.loader.parts.clear()
        self.refs.clear()
        for path, found in self.found.items():
            by_element = self.broke.get(path, {})
            shas = {sha for item in found for sha in by_element.get((item.kind, item.element), ())}
            if not shas:
                shas = {sha for sha in self.entry.commits.get(path, ()) if sha in self.changed}
            ordered = tuple(sorted(shas, key=lambda sha: order.get(sha, 0), reverse=True))
            issues = [
                issue
                for sha in ordered
                for commit in [context.commit(sha)]
                if commit is not None and 0 <= commit.change < len(changes)
                for issue in (*commit.ids, *changes[commit.change].issues)
            ]
            _breaking(path, found, ordered, issues, context)
        return self.changed


def _copies(versions: FileVersions, documents: Iterable[str]) -> set[str]:
    """Swagger 2 documents (`swagger2.0.json`) that stand beside an OpenAPI document of the
    same folder at both ends of the range: drf-yasg-era projects (Open Zaak up to 1.x) ship
    the API in both forms, so each break would be reported twice. A removed one is not a
    copy (its readers lose it)."""

    def kept(path: str) -> bool:
        pair = versions.get(path)
        return pair is not None and pair[0] is not None and pair[1] is not None

    folders = {
        path.rpartition("/")[0]
        for path in documents
        if path.rpartition("/")[2].lower().startswith("openapi") and kept(path)
    }
    return {
        path
        for path in documents
        if path.rpartition("/")[2].lower().startswith("swagger")
        and path.rpartition("/")[0] in folders
        and kept(path)
    }


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
    summary = f"{plural(count, 'breaking change')}: {sample}{more}"
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
