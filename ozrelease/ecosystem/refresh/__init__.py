"""`manifest refresh`: a component's releases and facts, derived from its repository and charts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ozrelease.ecosystem.model import Component, Release
from ozrelease.ecosystem.refresh import read
from ozrelease.errors import InputError, UsageError
from ozrelease.history import History, Tag, snapshots
from ozrelease.versions import Version, parse_version

__all__ = ["Change", "DerivedRelease", "Fact", "Refresh", "as_json", "refresh", "text_lines"]


@dataclass(frozen=True)
class Fact:
    """A derived value and the comment that says where it came from (`source: ...` or
    `inferred: ...`). `value` None: derived to be absent (no upgrade check applies)."""

    value: Any
    source: str


@dataclass(frozen=True)
class DerivedRelease:
    version: Version
    label: str
    tag: str
    date: dt.date
    provides: Fact | None = None
    upgrade_from: Fact | None = None
    requires: Fact | None = None
    eol: Fact | None = None
    chart: Fact | None = None

    def fact(self, name: str) -> Fact | None:
        fact: Fact | None = getattr(self, _ATTRIBUTE[name])
        return fact


@dataclass(frozen=True)
class Change:
    """One difference between the repository and the manifest."""

    kind: str
    """`new-release`, `changed`, `added` (a fact the manifest lacks), `differs` (an
    inference that disagrees with the manifest: kept), `unpublished` (a chart the published
    index does not have for the release: kept), `missing-tag` (a manifest release without a
    tag), `not-derived` (facts the manifest has that the repository does not show)."""
    version: str | None
    field: str | None
    message: str
    old: Any = None
    new: Any = None


@dataclass(frozen=True)
class Refresh:
    component: str
    file: str
    doc: int
    releases: tuple[DerivedRelease, ...]
    changes: tuple[Change, ...]
    origin: str = ""
    """How source comments name the repository (`maykinmedia/open-klant`)."""
    notes: tuple[str, ...] = ()


# Manifest key -> DerivedRelease attribute, in the order a release is written.
_ATTRIBUTE = {
    "date": "date",
    "provides": "provides",
    "requires": "requires",
    "upgradeFrom": "upgrade_from",
    "eol": "eol",
    "chart": "chart",
}
FACTS = ("provides", "requires", "upgradeFrom", "eol", "chart")


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
        names = tuple(chart_names) or _chart_names(component)
        if not names:
            raise UsageError(
                f"{component.name} has no deploy.helm.chart in its manifest: name the chart "
                "with --chart-name"
            )
        releases, chart_notes = _with_charts(component, releases, History(charts), names)
        notes += chart_notes
    return Refresh(
        component=component.name,
        file=component.where.file,
        doc=component.where.doc,
        releases=releases,
        changes=tuple(_compare(component, releases, charts is not None)),
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
    from ozrelease.ecosystem.refresh.standard import github_name

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
                f"{len(older)} tag{'s' if len(older) != 1 else ''} older than the manifest's "
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
        found = sorted(set(versions[name]), key=_version_key)
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


def _version_key(text: str) -> tuple[int, Any]:
    try:
        return (1, parse_version(text))
    except ValueError:
        return (0, text)


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


# -- charts --------------------------------------------------------------------------------


def _chart_names(component: Component) -> tuple[str, ...]:
    chart = component.deploy.helm_chart
    return (chart.rsplit("/", 1)[-1],) if chart else ()


_INDEX_REFS = ("gh-pages", "origin/gh-pages", "refs/remotes/origin/gh-pages")


def chart_index(charts: History) -> tuple[str, Mapping[str, Any]]:
    """The published index.yaml of a Helm charts repository clone (its gh-pages branch)."""
    import yaml

    with snapshots(charts) as reader:
        for ref in _INDEX_REFS:
            data = reader.blob(f"{ref}:index.yaml")
            if data is not None:
                break
        else:
            raise InputError(
                f"{charts.root}: no index.yaml on a gh-pages branch (the published chart "
                "index); fetch it with `git fetch origin gh-pages`"
            )
    try:
        loaded = yaml.load(data, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InputError(f"not a chart index: {exc}", file=f"{ref}:index.yaml", line=line) from None
    if not isinstance(loaded, dict) or not isinstance(loaded.get("entries"), dict):
        raise InputError("not a chart index (no `entries`)", file=f"{ref}:index.yaml")
    return ref, loaded


def _with_charts(
    component: Component,
    releases: tuple[DerivedRelease, ...],
    charts: History,
    names: Sequence[str],
) -> tuple[tuple[DerivedRelease, ...], list[str]]:
    """Each release's chart: the newest final version of its chart (the release's own
    deploy.helm.chart where it overrides the component's) whose appVersion is the release,
    from the published index; never an unpublished commit."""
    ref, index = chart_index(charts)
    own = {
        r.version: r.deploy.helm_chart.rsplit("/", 1)[-1]
        for r in component.releases
        if r.deploy.helm_chart
    }
    wanted = list(dict.fromkeys([*names, *own.values()]))
    by_app: dict[tuple[str, str], tuple[Version, str]] = {}
    seen_names = []
    for name in wanted:
        entries = index["entries"].get(name)
        if not isinstance(entries, list):
            continue
        seen_names.append(name)
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            app = str(entry.get("appVersion", "")).strip()
            app = app[1:] if app[:1] in "vV" else app
            try:
                version = parse_version(str(entry.get("version", "")))
            except ValueError:
                continue
            if version.is_prerelease or version.is_devrelease:
                continue
            label = str(entry["version"]).strip()
            current = by_app.get((name, app))
            if current is None or version > current[0]:
                by_app[(name, app)] = (version, label)
    notes = []
    if not seen_names:
        notes.append(f"no chart named {', '.join(names)} in the chart index ({ref}:index.yaml)")
    updated = []
    for release in releases:
        name = own.get(release.version, names[0])
        found = by_app.get((name, release.label))
        chart = None
        if found is not None:
            _, label = found
            chart = Fact(
                label,
                f"source: maykinmedia/charts:index.yaml@{ref.rsplit('/', 1)[-1]} "
                f"({name} {label}, appVersion {release.label})",
            )
        updated.append(replace(release, chart=chart))
    return tuple(updated), notes


# -- comparing with the manifest -----------------------------------------------------------


def manifest_value(release: Release, name: str) -> Any:
    """A fact of a manifest release in the shape DerivedRelease facts have."""
    if name == "provides":
        if not release.provides:
            return None
        return {
            api: str(v[0]) if len(v) == 1 else sorted((str(x) for x in v), key=_version_key)
            for api, v in release.provides.items()
        }
    if name == "requires":
        return {k: str(v) for k, v in release.requires.items()} or None
    if name == "upgradeFrom":
        return str(release.upgrade_from) if release.upgrade_from is not None else None
    if name == "eol":
        return release.eol
    if name == "chart":
        return release.chart
    if name == "date":
        return release.date
    raise KeyError(name)


def same(name: str, old: Any, new: Any) -> bool:
    """Whether a manifest fact and a derived one say the same thing."""
    if name == "provides" and isinstance(old, dict) and isinstance(new, dict):
        return _versions(old) == _versions(new)
    if name in {"requires", "upgradeFrom"}:
        return bool(_specs(old) == _specs(new))
    if name == "chart" and old is not None and new is not None:
        return _version_key(str(old)) == _version_key(str(new))
    return bool(old == new)


def _versions(provides: Mapping[str, Any]) -> dict[str, frozenset[Any]]:
    return {
        api: frozenset(_version_key(v) for v in (value if isinstance(value, list) else [value]))
        for api, value in provides.items()
    }


def _specs(value: Any) -> Any:
    from packaging.specifiers import SpecifierSet

    def one(text: str) -> Any:
        try:
            return SpecifierSet(text)
        except ValueError:
            return text

    if isinstance(value, dict):
        return {k: one(v) for k, v in value.items()}
    return one(value) if isinstance(value, str) else value


def _compare(
    component: Component, releases: Sequence[DerivedRelease], with_charts: bool
) -> list[Change]:
    changes: list[Change] = []
    by_version = {r.version: r for r in component.releases}
    derived_versions = {r.version for r in releases}
    not_derived: dict[str, list[str]] = {}
    for derived in releases:
        existing = by_version.get(derived.version)
        if existing is None:
            changes.append(
                Change(
                    "new-release",
                    derived.label,
                    None,
                    f"new release {derived.label} ({derived.date.isoformat()}, tag {derived.tag})",
                )
            )
            continue
        old_date = existing.date
        if old_date is not None and old_date != derived.date:
            changes.append(
                Change(
                    "changed",
                    derived.label,
                    "date",
                    f"{derived.label}: date {old_date} -> {derived.date} (tag date)",
                    old_date,
                    derived.date,
                )
            )
        elif old_date is None:
            changes.append(
                Change(
                    "added",
                    derived.label,
                    "date",
                    f"{derived.label}: date {derived.date}",
                    None,
                    derived.date,
                )
            )
        for name in FACTS:
            if name == "chart" and not with_charts:
                continue
            fact = derived.fact(name)
            old = manifest_value(existing, name)
            if name in {"requires", "provides"} and fact is not None and isinstance(old, dict):
                # only the components (APIs) the repository shows; others stay as written
                old = {k: v for k, v in old.items() if k in fact.value} or None
            if fact is None and name == "chart" and old is not None:
                # with --charts, no published final chart ships this release: a person
                # decides (a pinned chart is never removed behind one's back)
                changes.append(
                    Change(
                        "unpublished",
                        derived.label,
                        name,
                        f"{derived.label}: chart {old} kept, but no final chart in the "
                        f"published index ships {derived.label}",
                        old,
                        None,
                    )
                )
                continue
            if fact is None:
                if old is not None:
                    not_derived.setdefault(name, []).append(existing.label)
                continue
            if same(name, old, fact.value):
                continue
            if old is None:
                changes.append(
                    Change(
                        "added",
                        derived.label,
                        name,
                        f"{derived.label}: {name} {_show(fact.value)} ({fact.source})",
                        None,
                        fact.value,
                    )
                )
            elif fact.source.startswith("inferred"):
                # an inference never overrides what the manifest says (a person may know
                # better); it is shown, and --write keeps the manifest's value
                changes.append(
                    Change(
                        "differs",
                        derived.label,
                        name,
                        f"{derived.label}: {name} {_show(old)} kept; the repository suggests "
                        f"{_show(fact.value)} ({fact.source})",
                        old,
                        fact.value,
                    )
                )
            else:
                changes.append(
                    Change(
                        "changed",
                        derived.label,
                        name,
                        f"{derived.label}: {name} {_show(old)} -> {_show(fact.value)} "
                        f"({fact.source})",
                        old,
                        fact.value,
                    )
                )
    floor = releases[0].version if releases else None
    for release in component.releases:
        if release.version.is_prerelease or release.version in derived_versions:
            continue
        if floor is not None and release.version < floor:
            continue
        changes.append(
            Change(
                "missing-tag",
                release.label,
                None,
                f"{release.label} is in the manifest but has no final tag in the repository",
            )
        )
    for name, labels in not_derived.items():
        changes.append(
            Change(
                "not-derived",
                None,
                name,
                f"{name}: not derived for {len(labels)} release{'s' if len(labels) != 1 else ''} "
                f"that the manifest has it for ({_span(labels)}); kept as written",
            )
        )
    return changes


def _span(labels: Sequence[str]) -> str:
    return labels[0] if len(labels) == 1 else f"{labels[0]} .. {labels[-1]}"


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


# -- output --------------------------------------------------------------------------------


def as_json(result: Refresh) -> dict[str, Any]:
    """The `ozrelease-refresh/1` document."""

    def plain(fact: Fact | None) -> Any:
        if fact is None:
            return None
        value = fact.value
        return value.isoformat() if isinstance(value, dt.date) else value

    return {
        "format": "ozrelease-refresh/1",
        "component": result.component,
        "releases": [
            {
                "version": r.label,
                "date": r.date.isoformat(),
                "provides": plain(r.provides),
                "upgradeFrom": plain(r.upgrade_from),
                "requires": plain(r.requires),
                "chart": plain(r.chart),
                "eol": plain(r.eol),
            }
            for r in result.releases
        ],
        "changes": [c.message for c in result.changes],
    }


def printable(text: str) -> str:
    """`text` with every control character (a newline, an escape sequence from a file name
    in the repository) shown as `?`: data, never terminal control or a second line."""
    return "".join(c if c.isprintable() else "?" for c in text)


def text_lines(result: Refresh) -> list[str]:
    """The text report: what differs from the manifest, one line each."""
    count = len(result.releases)
    lines = [
        f"{result.component}: {count} release{'s' if count != 1 else ''} in the repository "
        f"({result.releases[0].label} .. {result.releases[-1].label})"
        if result.releases
        else f"{result.component}: no final release tags in the repository"
    ]
    if not result.changes:
        lines.append(f"  {result.file} agrees with the repository")
    for change in result.changes:
        lines.append(f"  {printable(change.message)}")
    return lines
