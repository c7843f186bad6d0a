"""An Environment from what Helm says runs (`helm list -A -o json`): each release mapped to
a component by its chart (`deploy.helm.chart`), its version from `app_version`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ozrelease.ecosystem.model import Component, Ecosystem
from ozrelease.errors import InputError
from ozrelease.inputs import parse_json, read_text
from ozrelease.versions import parse_version

_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")


@dataclass(frozen=True)
class Imported:
    """The environment document, and the releases that could not be mapped (with why)."""

    text: str  # YAML, one Environment document
    deployed: Mapping[str, str]
    unmapped: tuple[str, ...]


def _charts(ecosystem: Ecosystem) -> dict[str, Component]:
    """Chart name (`openzaak` of `maykinmedia/openzaak`) -> the component deployed with it."""
    found: dict[str, Component] = {}
    for component in ecosystem.components.values():
        refs = {component.deploy.helm_chart} | {r.deploy.helm_chart for r in component.releases}
        for ref in refs:
            if ref:
                found.setdefault(ref.rstrip("/").rsplit("/", 1)[-1], component)
    return found


def _chart_of(name: str, chart: str) -> bool:
    """`openzaak-1.13.1` is chart `openzaak` (at 1.13.1), not `open`."""
    return re.fullmatch(re.escape(name) + r"-v?\d[\w.+-]*", chart) is not None


def import_helm(ecosystem: Ecosystem, path: Path, name: str) -> Imported:
    # (a FIFO, a device or a huge file is refused; deep nesting and huge numbers too)
    rows = parse_json(read_text(path), file=str(path))
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise InputError(
            "expected the output of `helm list -A -o json` (a list of releases)", file=str(path)
        )
    if not _LABEL.match(name):
        raise InputError(f"--name {name!r}: lower-case letters, digits and '-'")
    charts = _charts(ecosystem)
    mapped: list[tuple[Component, dict[str, Any], str]] = []
    unmapped: list[str] = []
    for row in rows:
        release, chart = str(row.get("name", "")), str(row.get("chart", ""))
        app = str(row.get("app_version", "")).removeprefix("v")
        component = next((c for n, c in sorted(charts.items()) if _chart_of(n, chart)), None)
        if component is None:
            unmapped.append(
                f"release {release!r} (chart {chart!r}): no component is deployed with that chart"
            )
            continue
        try:
            version = parse_version(app)
        except ValueError:
            unmapped.append(f"release {release!r}: app_version {app!r} is not a version")
            continue
        found = component.release(version)
        if found is None:
            unmapped.append(
                f"release {release!r}: {component.name} {app} is not a release in the manifests"
            )
            continue
        mapped.append((component, row, found.label))
    counts: dict[str, int] = {}
    for component, _, _ in mapped:
        counts[component.name] = counts.get(component.name, 0) + 1
    deployed: dict[str, str] = {}
    deploy: dict[str, dict[str, str]] = {}
    for component, row, label in mapped:
        key = component.name
        namespace = str(row.get("namespace", ""))
        if counts[key] > 1:
            instance = namespace if _LABEL.match(namespace) else str(row.get("name"))
            key = f"{key}@{instance}"
            if key in deployed:
                key = f"{component.name}@{row.get('name')}"
        if key in deployed or not _LABEL.match(key.replace("@", "-")):
            unmapped.append(f"release {row.get('name')!r}: cannot tell it from {key}")
            continue
        deployed[key] = label
        chart = str(row.get("chart", ""))
        chart_name = next(n for n in charts if _chart_of(n, chart) and charts[n] is component)
        hint: dict[str, str] = {}
        if _LABEL.match(namespace):
            hint["namespace"] = namespace
        hint["helmRelease"] = str(row.get("name"))
        hint["chart"] = chart[len(chart_name) + 1 :]
        deploy[key] = hint
    document = {
        "kind": "Environment",
        "name": name,
        "deployed": dict(sorted(deployed.items())),
        "deploy": dict(sorted(deploy.items())),
    }
    text = (
        "# Imported by `ozrelease env import --helm`: every release of that helm list whose "
        "chart a component names.\n"
        + yaml.safe_dump(document, sort_keys=False, allow_unicode=False, default_style=None)
    )
    return Imported(text, deployed, tuple(unmapped))
