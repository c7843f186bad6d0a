"""An Environment document's body, read against the components: deployed, wiring, targets."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from ozrelease.ecosystem.compat import binding_problems
from ozrelease.ecosystem.document import Doc
from ozrelease.ecosystem.model import (
    LATEST,
    Component,
    Environment,
    KeyPath,
    Placement,
    component_of,
)
from ozrelease.ecosystem.source import closest, did_you_mean, field_text, type_name
from ozrelease.versions import Version

PLACEMENT_KEYS = frozenset({"namespace", "kubeContext", "helmRelease", "chart", "values"})


def read_environment_body(
    doc: Doc,
    data: dict[str, Any],
    components: Mapping[str, Component],
    apis: Collection[str],
    suspects: Collection[str],
) -> Environment | None:
    """The Environment `data` describes. `apis`: every API name known; `suspects`: names
    of components whose files are broken, or a release of which could not be read
    (references to them, or to a version they do not list, are not reported again)."""
    deployed: dict[str, Version] = {}
    if "deployed" not in data:
        doc.error((), "no 'deployed' (COMPONENT or COMPONENT@INSTANCE: version)")
    raw = doc.mapping(data.get("deployed", {}), ("deployed",), "deployed") or {}
    for key, value in raw.items():
        path: KeyPath = ("deployed", key)
        if doc.name(key, path, "deployed", instance=True) is None:
            continue
        name = component_of(key)
        if name not in components and name in suspects:
            continue  # its own file is broken, and says so
        if name not in components:
            doc.error(path, f"deploys unknown component {name!r}{did_you_mean(name, components)}")
            continue
        parsed = doc.version(value, path)
        if parsed is None:
            continue
        version, label = parsed
        if components[name].release(version) is None and name in suspects:
            continue  # a release of it could not be read, and its file says so
        if components[name].release(version) is None:
            doc.error(
                path,
                f"deploys {key} {label}, which is not a release listed for {name} "
                f"({_nearby(components[name], version)})",
                value=True,
            )
            continue
        deployed[key] = version

    # Keys written but invalid are reported once, above; wiring and targets that name
    # them are not reported again.
    written = {key for key in raw if isinstance(key, str)}
    for key in list(written):  # and the names an unknown one is a typo of
        name = component_of(key)
        meant = closest(name, components) if name not in components else None
        if meant is not None:
            written.add(meant + key[len(name) :])
    wiring = _read_wiring(doc, data, deployed, written, components, apis)
    # Wiring entries written but invalid are reported once, by _read_wiring: the consumer's
    # "several deployed components provide it: say which" is not said again (for a key
    # that is a typo, not for the name it is a typo of either).
    raw_wiring = data.get("wiring")
    wired: set[tuple[str, str]] = set()
    for consumer, entries in (raw_wiring if isinstance(raw_wiring, dict) else {}).items():
        for entry in entries if isinstance(entries, dict) else {}:
            wired.add((consumer, entry))
            if isinstance(entry, str) and entry not in apis and entry not in components:
                meant = closest(entry, [*apis, *components])
                if meant is not None:
                    wired.add((consumer, meant))
    targets = _read_targets(doc, data, deployed, written, components)
    placements = _read_placements(doc, data, deployed, written)
    env = Environment(
        name=str(data["name"]),
        where=doc.where(("name",)),
        deployed=deployed,
        title=doc.text(data, "title", ()),
        wiring=wiring,
        targets=targets,
        deploy=placements,
    )
    if len(deployed) == len(raw):  # bindings are only meaningful once every key is valid
        for problem_path, message in binding_problems(env, components, wired):
            doc.error(problem_path, message)
    return env


def _nearby(component: Component, version: Version) -> str:
    labels = [r.label for r in component.releases]
    if not labels:
        return "it lists no releases"
    older = [r.label for r in component.releases if r.version < version][-2:]
    newer = [r.label for r in component.releases if r.version > version][:2]
    near = older + newer
    return "nearest listed: " + ", ".join(near) if near else "listed: " + ", ".join(labels[:5])


def _read_wiring(
    doc: Doc,
    data: Mapping[str, Any],
    deployed: Mapping[str, Version],
    written: set[str],
    components: Mapping[str, Component],
    apis: Collection[str],
) -> dict[str, dict[str, str]]:
    wiring: dict[str, dict[str, str]] = {}
    if "wiring" not in data:
        return wiring
    raw = doc.mapping(data["wiring"], ("wiring",), "wiring") or {}
    for consumer, entries in raw.items():
        path: KeyPath = ("wiring", consumer)
        if consumer not in deployed and consumer in written:
            continue
        if consumer not in deployed:
            doc.error(
                path,
                f"wiring: {consumer!r} is not deployed in this environment"
                f"{did_you_mean(consumer, deployed)}",
            )
            continue
        mapping = doc.mapping(entries, path, f"wiring.{consumer}") or {}
        for api, provider in mapping.items():
            p = path + (api,)
            if not isinstance(provider, str):
                doc.error(
                    p,
                    f"{field_text(p)}: expected a deployed component, found {type_name(provider)}",
                    value=True,
                )
                continue
            if provider not in deployed and provider in written:
                continue
            if provider not in deployed:
                doc.error(
                    p,
                    f"{field_text(p)}: {provider!r} is not deployed in this environment"
                    f"{did_you_mean(provider, deployed)}",
                    value=True,
                )
                continue
            provider_component = components[component_of(provider)]
            if api in apis:
                if not provider_component.provides_ever(api, from_version=deployed[provider]):
                    doc.error(
                        p,
                        f"{field_text(p)}: {provider} does not provide {api} (no release "
                        f"from {provider_component.release(deployed[provider])} on "
                        "provides it)",
                        value=True,
                    )
                    continue
            elif api in components:
                if component_of(provider) != api:
                    doc.error(
                        p, f"{field_text(p)}: {provider} is not an instance of {api}", value=True
                    )
                    continue
            else:
                doc.error(
                    p,
                    f"{field_text(p)}: {api!r} is neither an API nor a component"
                    f"{did_you_mean(api, [*apis, *components])}",
                )
                continue
            wiring.setdefault(consumer, {})[api] = provider
    return wiring


def _read_targets(
    doc: Doc,
    data: Mapping[str, Any],
    deployed: Mapping[str, Version],
    written: set[str],
    components: Mapping[str, Component],
) -> dict[str, Version | str]:
    targets: dict[str, Version | str] = {}
    if "targets" not in data:
        return targets
    raw = doc.mapping(data["targets"], ("targets",), "targets") or {}
    names = {component_of(k) for k in deployed}
    for key, value in raw.items():
        path: KeyPath = ("targets", key)
        if key not in deployed and key not in names:
            if key in written or key in {component_of(w) for w in written}:
                continue  # its deployed entry is invalid, and says so

            doc.error(
                path,
                f"targets: {key!r} is not deployed in this environment"
                f"{did_you_mean(key, [*deployed, *names])}",
            )
            continue
        if value == LATEST:
            targets[key] = LATEST
            continue
        parsed = doc.version(value, path)
        if parsed is None:
            continue
        if components[component_of(key)].release(parsed[0]) is None:
            doc.error(
                path,
                f"targets {key} {parsed[1]}, which is not a release listed for {component_of(key)}",
                value=True,
            )
            continue
        targets[key] = parsed[0]
    return targets


def _read_placements(
    doc: Doc, data: Mapping[str, Any], deployed: Mapping[str, Version], written: Collection[str]
) -> dict[str, Placement]:
    """An Environment's `deploy`: per deployed key, where it runs."""
    raw = doc.mapping(data["deploy"], ("deploy",), "deploy") if "deploy" in data else None
    placements: dict[str, Placement] = {}
    for key, value in (raw or {}).items():
        p: KeyPath = ("deploy", key)
        if key not in deployed:
            if key not in written:  # a key written but invalid is reported once, above
                doc.error(
                    p,
                    f"deploy: {key!r} is not deployed in this environment"
                    f"{did_you_mean(str(key), deployed)}",
                )
            continue
        item = doc.mapping(value, p, f"deploy.{key}")
        if item is None:
            continue
        doc.keys(item, p, PLACEMENT_KEYS, f"deploy.{key}")
        values = item.get("values", [])
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
            doc.error(
                p + ("values",),
                f"deploy.{key}.values: expected a file or a list of files",
                value=True,
            )
            values = []
        placements[key] = Placement(
            namespace=doc.text(item, "namespace", p),
            kube_context=doc.text(item, "kubeContext", p),
            helm_release=doc.text(item, "helmRelease", p),
            chart=doc.text(item, "chart", p),
            values=tuple(values),
        )
    return placements
