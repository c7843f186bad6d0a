"""Which chart ships a release: the published index.yaml of a Helm charts repository."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from ozrelease.ecosystem.model import Component
from ozrelease.ecosystem.refresh.model import DerivedRelease, Fact
from ozrelease.errors import InputError
from ozrelease.history import History
from ozrelease.history.snapshots import snapshots
from ozrelease.versions import Version, parse_version


def component_charts(component: Component) -> tuple[str, ...]:
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


def with_charts(
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
