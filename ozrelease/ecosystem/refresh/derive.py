"""A component's releases and their facts, read from its repository at each tag."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ozrelease.ecosystem.model import Component
from ozrelease.ecosystem.refresh import read
from ozrelease.ecosystem.refresh.charts import component_charts, with_charts
from ozrelease.ecosystem.refresh.compare import compare
from ozrelease.ecosystem.refresh.model import (
    DerivedRelease,
    Fact,
    Refresh,
    github_name,
    version_key,
)
from ozrelease.errors import UsageError
from ozrelease.history import History, Tag
from ozrelease.history.snapshots import snapshots
from ozrelease.versions import Version, parse_version
from ozrelease.wording import plural


def refresh(
    component: Component,
    repo: Path,
    *,
    charts: Path | None = None,
    apis: Mapping[str, str] | None = None,
    chart_names: Sequence[str] = (),
    known: Collection[str] | None = None,
) -> Refresh:
    """Derive `component`'s releases from the clone at `repo` (and the chart index of the
    charts clone at `charts`) and compare them with its manifest. `known`: the components
    of the manifests; a documented requirement on another one is left out (and noted)."""
    history = History(repo)
    origin = _origin(component, history)
    releases, notes = _derive(component, history, origin, apis or {})
    if known is not None:
        releases, dropped = _known_requires(releases, known)
        if dropped:
            notes.append(
                "requires: left out, not components of the manifests: " + ", ".join(dropped)
            )
    if charts is not None:
        names = tuple(chart_names) or component_charts(component)
        if not names:
            raise UsageError(
                f"{component.name} has no deploy.helm.chart in its manifest: name the chart "
                "with --chart-name"
            )
        releases, chart_notes = with_charts(component, releases, History(charts), names)
        notes += chart_notes
    return Refresh(
        component=component.name,
        file=component.where.file,
        doc=component.where.doc,
        releases=releases,
        changes=tuple(compare(component, releases, charts is not None)),
        origin=origin,
        notes=tuple(notes),
    )


def _known_requires(
    releases: tuple[DerivedRelease, ...], known: Collection[str]
) -> tuple[tuple[DerivedRelease, ...], list[str]]:
    dropped: set[str] = set()
    kept = []
    for release in releases:
        fact = release.requires
        if fact is not None:
            value = {k: v for k, v in fact.value.items() if k in known}
            dropped.update(k for k in fact.value if k not in known)
            fact = Fact(value, fact.source) if value else None
        kept.append(replace(release, requires=fact))
    return tuple(kept), sorted(dropped)


def _origin(component: Component, history: History) -> str:
    """How source comments name the repository: `owner/name` from the manifest's
    repository URL, else from the clone's origin, else the clone's folder name."""
    return (
        github_name(component.repository) or github_name(history.remote_url()) or history.root.name
    )


def _final_tags(history: History) -> list[tuple[Tag, str]]:
    """Final version tags (pre-releases and dev releases left out), oldest first, with the
    version as manifests write it (`v1.2.0` -> `1.2.0`); one tag per version."""
    seen: set[Version] = set()
    found = []
    for tag in history.tags():
        version = tag.version
        if version is None or version.is_prerelease or version.is_devrelease:
            continue
        if len(version.release) < 2 or version in seen:  # `1846`: an issue number
            continue
        seen.add(version)
        found.append((tag, tag.name[1:] if tag.name[:1] in "vV" else tag.name))
    return found


def _derive(
    component: Component, history: History, origin: str, apis: Mapping[str, str]
) -> tuple[tuple[DerivedRelease, ...], list[str]]:
    notes: list[str] = []
    tags = _final_tags(history)
    finals = [r for r in component.releases if not r.version.is_prerelease]
    if finals:
        floor = finals[0].version
        older = [label for tag, label in tags if tag.version is not None and tag.version < floor]
        tags = [(t, label) for t, label in tags if t.version is not None and t.version >= floor]
        if older:
            notes.append(
                f"{plural(len(older), 'tag')} older than the manifest's "
                f"oldest release {finals[0].label} left out ({', '.join(older[:5])}"
                f"{', ...' if len(older) > 5 else ''})"
            )
    if not tags:
        return (), notes
    provided = sorted({api for r in component.releases for api in r.provides})
    unmapped: set[str] = set()
    derived = []
    with snapshots(history) as reader:
        tree = read.Tree(reader)
        newest_tag = tags[-1][0].name
        newest_root = tree.root(newest_tag)
        prerequisites = read.prerequisites(tree, newest_root) if newest_root else None
        table = read.support_table(tree, newest_root) if newest_root else None
        newest_checks = read.upgrade_checks(tree, newest_root) if newest_root else None
        for tag, label in tags:
            assert tag.version is not None
            root = tree.root(tag.name)
            if root is None:
                continue
            documents = read.openapi_documents(tree, root)
            provides = _provides(documents, provided, apis, unmapped, origin, tag.name)
            checks = read.upgrade_checks(tree, root)
            derived.append(
                DerivedRelease(
                    version=tag.version,
                    label=label,
                    tag=tag.name,
                    date=tag.date.date(),
                    provides=provides,
                    upgrade_from=_upgrade_from(checks, newest_checks, tag, newest_tag, origin),
                    requires=_requires(tree, root, tag, prerequisites, origin, newest_tag),
                    eol=_eol(table, tag.version, origin, newest_tag),
                )
            )
    if unmapped:
        notes.append(
            "OpenAPI documents not mapped to an API name (give --api PATH=NAME): "
            + ", ".join(sorted(unmapped))
        )
    return tuple(derived), notes


def _provides(
    documents: Sequence[read.ApiDocument],
    provided: Sequence[str],
    apis: Mapping[str, str],
    unmapped: set[str],
    origin: str,
    tag: str,
) -> Fact | None:
    """API name -> info.version(s) of the tag's OpenAPI documents. A document is named by
    --api (its path or folder), else by its folder when that is an API the manifest
    provides (components/zaken/openapi.yaml), else by the one API the manifest provides
    that no folder names (src/openapi.yaml, api/v1 and api/v2 side by side)."""
    if not documents:
        return None
    named: dict[str, str] = {}
    rest = []
    for document in documents:
        folder = document.path.rsplit("/", 1)[0]
        explicit = next(
            (
                name
                for prefix, name in sorted(apis.items(), key=lambda i: -len(i[0]))
                if document.path == prefix or document.path.startswith(prefix.rstrip("/") + "/")
            ),
            None,
        )
        parent = folder.rsplit("/", 1)[-1]
        if explicit:
            named[document.path] = explicit
        elif parent in provided:
            named[document.path] = parent
        else:
            rest.append(document)
    left = [name for name in provided if name not in named.values()]
    for document in rest:
        if len(left) == 1:
            named[document.path] = left[0]
        else:
            unmapped.add(document.path)
    versions: dict[str, list[str]] = {}
    for document in documents:
        name = named.get(document.path)
        if name is not None:
            versions.setdefault(name, []).append(document.version)
    if not versions:
        return None
    value: dict[str, Any] = {}
    for name in sorted(versions, key=_provides_order(provided)):
        found = sorted(set(versions[name]), key=version_key)
        value[name] = found[0] if len(found) == 1 else found
    paths = sorted(d.path for d in documents if d.path in named)
    where = paths[0] if len(paths) == 1 else _common(paths)
    return Fact(value, f"source: {origin}:{where}@{tag} (info.version)")


def _provides_order(provided: Sequence[str]) -> Any:
    return lambda name: (provided.index(name) if name in provided else len(provided), name)


def _common(paths: Sequence[str]) -> str:
    """`src/a/components/*/openapi.yaml` for documents that differ in one folder."""
    split = [p.split("/") for p in paths]
    if len({len(s) for s in split}) == 1:
        parts = [column[0] if len(set(column)) == 1 else "*" for column in zip(*split, strict=True)]
        return "/".join(parts)
    return ", ".join(paths)


def _upgrade_from(
    checks: read.UpgradeChecks | None,
    newest: read.UpgradeChecks | None,
    tag: Tag,
    newest_tag: str,
    origin: str,
) -> Fact | None:
    """The upgrade checks the release itself ships decide (they run when it is deployed).
    A release from before the checks existed takes a key of the newest tag's checks that
    names its own line (the vendor's later word on the path to it), by 1.0's `~=` rule."""
    assert tag.version is not None
    if checks is not None:
        found = read.evaluate(checks, tag.version)
        at = tag.name
    elif newest is not None:
        found = read.evaluate(
            read.UpgradeChecks(path=newest.path, style="duc-1.0", rules=newest.rules),
            tag.version,
        )
        checks, at = newest, newest_tag
        if found is None:
            return None
    else:
        return None
    name = "UPGRADE_PATHS" if checks.style == "openforms" else "UPGRADE_CHECK_PATHS"
    if found is None:
        return Fact(None, f"source: {origin}:{checks.path}@{at} ({name}: no key matches)")
    spec, rule = found
    ranges = "; ".join(
        f"minimum={low!r}" + (f", maximum={high!r}" if high else "") for low, high in rule.ranges
    )
    library = f"; django-upgrade-check {checks.library}" if checks.library else ""
    return Fact(
        spec, f"source: {origin}:{checks.path}@{at} ({name} {rule.key!r}: {ranges}{library})"
    )


def _requires(
    tree: read.Tree,
    root: str,
    tag: Tag,
    prerequisites: read.Prerequisites | None,
    origin: str,
    newest_tag: str,
) -> Fact | None:
    """PostgreSQL: the documented minimum for releases since the version the documentation
    names, else the minimum of the Django the release pins (inferred). Redis: the oldest
    version the documentation supports."""
    assert tag.version is not None
    value: dict[str, str] = {}
    reasons: list[str] = []
    sourced = False
    since = prerequisites.postgresql_since if prerequisites else None
    if since is not None and tag.version >= parse_version(since[0]):
        value["postgresql"] = f">={since[1]}"
        sourced = True
        reasons.append(f"PostgreSQL >= {since[1]} since {since[0]}")
    else:
        django = read.django_version(tree, root)
        minimum = read.django_postgresql(django) if django else None
        if minimum is not None:
            value["postgresql"] = minimum
            reasons.append(f"Django {django} minimum PostgreSQL {minimum[2:]}")
    if prerequisites is not None and prerequisites.redis_minimum is not None:
        value["redis"] = f">={prerequisites.redis_minimum}"
        reasons.append(f"Redis {prerequisites.redis_minimum}+")
    if not value:
        return None
    where = f"{origin}:{prerequisites.path}@{newest_tag}" if prerequisites else f"{origin}"
    kind = "source" if sourced else "inferred"
    return Fact(value, f"{kind}: {'; '.join(reasons)} ({where}, requirements/base.txt@{tag.name})")


def _eol(table: read.SupportTable | None, version: Version, origin: str, at: str) -> Fact | None:
    if table is None:
        return None
    major, minor = (version.release + (0, 0))[:2]
    until = table.until.get((major, minor))
    if until is None:
        return None
    return Fact(until, f"source: {origin}:{table.path}@{at} ({major}.{minor}.x)")
