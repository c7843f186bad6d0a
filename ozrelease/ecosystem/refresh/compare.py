"""Derived releases against the manifest's: what is new, changed, added, kept or not derived."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ozrelease.ecosystem.model import Component, Release
from ozrelease.ecosystem.refresh.model import FACTS, Change, DerivedRelease, version_key
from ozrelease.wording import plural


def manifest_value(release: Release, name: str) -> Any:
    """A fact of a manifest release in the shape DerivedRelease facts have."""
    if name == "provides":
        if not release.provides:
            return None
        return {
            api: str(v[0]) if len(v) == 1 else sorted((str(x) for x in v), key=version_key)
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
        return version_key(str(old)) == version_key(str(new))
    return bool(old == new)


def _versions(provides: Mapping[str, Any]) -> dict[str, frozenset[Any]]:
    return {
        api: frozenset(version_key(v) for v in (value if isinstance(value, list) else [value]))
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


def compare(
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
                f"{name}: not derived for {plural(len(labels), 'release')} "
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
