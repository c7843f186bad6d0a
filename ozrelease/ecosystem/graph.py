"""The dependency graph (networkx) and the questions asked of it: graph, cycles, impact.

No I/O here: functions take an Ecosystem (and a Deployment) and return plain data that the
CLI renders. Cycles are normal (Open Zaak and Open Notificaties call each other) and are
reported, never rejected.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from ozrelease.ecosystem.compat import Deployment, Need, Violation
from ozrelease.ecosystem.model import Component, Ecosystem, Release, component_of
from ozrelease.ecosystem.steps import fewest_steps
from ozrelease.errors import InputError
from ozrelease.versions import Version, parse_version

# --------------------------------------------------------------------------- the graph


@dataclass(frozen=True)
class Node:
    id: str  # "component:open-zaak", "open-zaak@utrecht" with an environment, "api:zaken"
    kind: str  # "component" | "api"
    name: str
    title: str | None = None
    version: str | None = None  # deployed version, with an environment
    versions: tuple[str, ...] = ()  # API: provided versions (with an environment) or published


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str  # "calls" (consumer -> provider), "requires", "provides", "consumes"
    api: str | None = None
    wanted: str | None = None  # the specifier as written
    ok: bool | None = None  # with an environment: the constraint holds now
    message: str | None = None  # with an environment and ok false: why


@dataclass
class GraphView:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    cycles: list[list[str]] = field(default_factory=list)
    environment: str | None = None
    violations: list[str] = field(default_factory=list)


def _component_id(name: str) -> str:
    return f"component:{name}"


def _api_id(name: str) -> str:
    return f"api:{name}"


def ecosystem_graph(ecosystem: Ecosystem) -> GraphView:
    """Every component and API. A consumer -> provider edge for every API that some release
    of the consumer consumes and some release of the provider provides, labelled with the
    newest consuming release's specifier; `requires` edges likewise."""
    view = GraphView()
    providers: dict[str, list[str]] = {}
    for component in ecosystem.components.values():
        for api in sorted({a for r in component.releases for a in r.provides}):
            providers.setdefault(api, []).append(component.name)
    for component in ecosystem.components.values():
        newest = component.newest()
        view.nodes.append(
            Node(
                _component_id(component.name),
                "component",
                component.name,
                component.title,
                versions=tuple(r.label for r in component.releases),
            )
        )
        for api, wanted in _newest_constraints(component, "consumes"):
            view.edges.append(
                Edge(_component_id(component.name), _api_id(api), "consumes", api, wanted)
            )
            for provider in providers.get(api, []):
                if provider != component.name:
                    view.edges.append(
                        Edge(
                            _component_id(component.name),
                            _component_id(provider),
                            "calls",
                            api,
                            wanted,
                        )
                    )
        for name, wanted in _newest_constraints(component, "requires"):
            view.edges.append(
                Edge(_component_id(component.name), _component_id(name), "requires", None, wanted)
            )
        if newest is not None:
            for api in sorted({a for r in component.releases for a in r.provides}):
                view.edges.append(
                    Edge(_component_id(component.name), _api_id(api), "provides", api)
                )
    for declared in ecosystem.apis.values():
        view.nodes.append(
            Node(
                _api_id(declared.name),
                "api",
                declared.name,
                declared.title,
                versions=tuple(str(v) for v in declared.versions),
            )
        )
    view.edges.sort(key=lambda e: (e.source, e.kind, e.target, e.api or ""))
    view.cycles = _cycles(view)
    return view


def _newest_constraints(component: Component, kind: str) -> list[tuple[str, str]]:
    """For each API (or component) any release names: the newest naming release's range."""
    found: dict[str, str] = {}
    for release in component.releases:  # oldest first: newer ones overwrite
        entries = release.consumes if kind == "consumes" else release.requires
        for name, wanted in entries.items():
            found[name] = str(wanted)
    return sorted(found.items())


def deployment_graph(deployment: Deployment) -> GraphView:
    """The environment as deployed: each key at its version, edges to the providers it is
    bound to, and whether each constraint holds now."""
    env = deployment.environment
    view = GraphView(environment=env.name)
    used_apis: dict[str, set[str]] = {}
    for key in deployment.keys:
        version = env.deployed[key]
        release = deployment.release(key, version)
        component = deployment.ecosystem.components[component_of(key)]
        view.nodes.append(Node(key, "component", component.name, component.title, release.label))
        for api, versions in release.provides.items():
            used_apis.setdefault(api, set()).update(str(v) for v in versions)
            view.edges.append(Edge(key, _api_id(api), "provides", api))
        for need in deployment.needs(key, version):
            provider_version = env.deployed.get(need.provider) if need.provider else None
            ok = deployment.satisfied(need, version, provider_version)
            message = None
            if not ok:
                violation = Violation(key, version, need, provider_version)
                message = deployment.explain(violation)
                view.violations.append(message)
            if need.kind == "consumes":
                used_apis.setdefault(need.name, set())
                view.edges.append(
                    Edge(
                        key,
                        _api_id(need.name),
                        "consumes",
                        need.name,
                        str(need.wanted),
                        ok,
                        message,
                    )
                )
            if need.provider is not None:
                view.edges.append(
                    Edge(
                        key,
                        need.provider,
                        "calls" if need.kind == "consumes" else "requires",
                        need.name if need.kind == "consumes" else None,
                        str(need.wanted),
                        ok,
                        message,
                    )
                )
    for api in sorted(used_apis):
        known = deployment.ecosystem.apis.get(api)
        view.nodes.append(
            Node(
                _api_id(api),
                "api",
                api,
                known.title if known else None,
                versions=tuple(sorted(used_apis[api], key=parse_version)),
            )
        )
    view.edges.sort(key=lambda e: (e.source, e.kind, e.target, e.api or ""))
    view.cycles = _cycles(view)
    return view


def _cycles(view: GraphView) -> list[list[str]]:
    """Simple cycles of who calls or requires whom, each starting at its smallest node."""
    graph = nx.DiGraph()
    graph.add_edges_from(
        (e.source, e.target) for e in view.edges if e.kind in ("calls", "requires")
    )
    cycles = []
    for cycle in nx.simple_cycles(graph, length_bound=8):
        start = cycle.index(min(cycle))
        cycles.append(cycle[start:] + cycle[:start])
    return sorted(cycles, key=lambda c: (len(c), c))[:50]


def strip_id(node_id: str) -> str:
    """`component:open-zaak` -> `open-zaak`; deployed keys are already plain."""
    return node_id.split(":", 1)[1] if node_id.startswith(("component:", "api:")) else node_id


# --------------------------------------------------------------------------- impact


@dataclass(frozen=True)
class Check:
    """One constraint between the upgraded component and a neighbour, before and after."""

    direction: str  # "needs" (the upgraded one depends on `other`) | "used-by"
    other: str
    other_version: str | None
    need: str  # "consumes notificaties >=1.0,<2"
    holds_now: bool
    holds_after: bool
    message: str
    fix: str | None = None  # what would satisfy it: "open-notificaties >=1.10.0 (1.10.0 ... )"


@dataclass(frozen=True)
class KeyImpact:
    key: str
    current: str
    new: str
    direct: bool  # deployed -> new allowed in one step
    path: tuple[str, ...]  # the shortest upgrade path (stops), including new
    checks: tuple[Check, ...]
    dropped: tuple[str, ...]  # APIs provided now and no longer by the new release
    must_move: tuple[str, ...]  # neighbours whose constraints break

    @property
    def broken(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.holds_after)


@dataclass(frozen=True)
class Impact:
    environment: str
    component: str
    version: str
    keys: tuple[KeyImpact, ...]


def impact(deployment: Deployment, subject: str) -> Impact:
    """What moving one component (every instance of it, or one instance) to a version does
    to the constraints between it and its neighbours."""
    name, _, wanted = subject.partition("=")
    name = name.strip()
    env = deployment.environment
    keys = [k for k in deployment.keys if k == name or component_of(k) == name]
    if not keys:
        known = sorted({component_of(k) for k in deployment.keys} | set(deployment.keys))
        raise InputError(
            f"{name!r} is not deployed in environment {env.name} (deployed: {', '.join(known)})"
        )
    component = deployment.ecosystem.components[component_of(keys[0])]
    release = _pick_release(component, wanted.strip())
    results = []
    for key in keys:
        results.append(_impact_on(deployment, key, release))
    return Impact(env.name, component.name, release.label, tuple(results))


def _pick_release(component: Component, wanted: str) -> Release:
    if wanted in ("", "latest"):
        newest = component.newest()
        if newest is None:
            raise InputError(f"{component.name} lists no releases")
        return newest
    try:
        version = parse_version(wanted)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    found = component.release(version)
    if found is None:
        labels = ", ".join(r.label for r in component.releases[-6:])
        raise InputError(f"{component.name} {wanted} is not a listed release (newest: {labels})")
    return found


def _impact_on(deployment: Deployment, key: str, new: Release) -> KeyImpact:
    env = deployment.environment
    current_version = env.deployed[key]
    current = deployment.release(key, current_version)
    checks: list[Check] = []
    # What the new release depends on.
    for need in deployment.needs(key, new.version):
        pv = env.deployed.get(need.provider) if need.provider else None
        now_needs = {(n.kind, n.name): n for n in deployment.needs(key, current_version)}
        before = now_needs.get((need.kind, need.name))
        holds_now = before is not None and deployment.satisfied(before, current_version, pv)
        after = deployment.satisfied(need, new.version, pv)
        message = f"{key} {new.label} {deployment.describe_need(need)}: " + _provider_words(
            deployment, need, pv
        )
        fix = None if after else _provider_fix(deployment, need)
        checks.append(
            Check(
                "needs",
                need.provider or need.name,
                deployment.label(need.provider, pv) if need.provider and pv else None,
                deployment.describe_need(need),
                holds_now,
                after,
                message,
                fix,
            )
        )
    # Who depends on it.
    for other in deployment.keys:
        if other == key:
            continue
        other_version = env.deployed[other]
        for need in deployment.needs(other, other_version):
            if need.provider != key:
                continue
            holds_now = deployment.satisfied(need, other_version, current_version)
            after = deployment.satisfied(need, other_version, new.version)
            who = f"{other} {deployment.label(other, other_version)}"
            message = f"{who} {deployment.describe_need(need)}: " + _provider_words(
                deployment, need, new.version, label=new.label
            )
            fix = None if after else _consumer_fix(deployment, other, need, new)
            checks.append(
                Check(
                    "used-by",
                    other,
                    deployment.label(other, other_version),
                    deployment.describe_need(need),
                    holds_now,
                    after,
                    message,
                    fix,
                )
            )
    dropped = tuple(sorted(api for api in current.provides if api not in new.provides))
    path = stop_path(
        deployment.ecosystem.components[component_of(key)], current_version, new.version
    )
    must_move = tuple(sorted({c.other for c in checks if not c.holds_after}))
    return KeyImpact(
        key=key,
        current=current.label,
        new=new.label,
        direct=new.can_upgrade_from(current_version) or new.version == current_version,
        path=tuple(r.label for r in path) if path is not None else (),
        checks=tuple(checks),
        dropped=dropped,
        must_move=must_move,
    )


def _provider_words(
    deployment: Deployment, need: Need, version: Version | None, label: str | None = None
) -> str:
    if need.provider is None:
        return "nothing deployed serves it"
    if version is None:
        return f"{need.provider} is not deployed"
    shown = label or deployment.label(need.provider, version)
    ok = deployment.satisfied(need, version, version)
    if need.kind == "requires":
        return f"{need.provider} {shown} {'satisfies' if ok else 'does not satisfy'} it"
    provided = deployment.release(need.provider, version).provides.get(need.name, ())
    what = (
        f"provides {need.name} {' and '.join(str(v) for v in provided)}"
        if provided
        else f"does not provide {need.name}"
    )
    return f"{need.provider} {shown} {what} ({'ok' if ok else 'broken'})"


def _provider_fix(deployment: Deployment, need: Need) -> str | None:
    """Which releases of the provider would satisfy `need`."""
    if need.provider is None:
        return None
    component = deployment.ecosystem.components[component_of(need.provider)]
    deployed = deployment.environment.deployed[need.provider]
    good = [
        r
        for r in component.releases
        if r.version >= deployed and deployment.satisfied(need, deployed, r.version)
    ]
    if not good:
        return f"no release of {component.name} from the deployed one on satisfies it"
    return f"{need.provider} must move: {_span(good)} would satisfy it"


def _consumer_fix(deployment: Deployment, consumer: str, need: Need, new: Release) -> str | None:
    """Which releases of the consumer would accept the new provider release."""
    component = deployment.ecosystem.components[component_of(consumer)]
    deployed = deployment.environment.deployed[consumer]
    good = []
    for release in component.releases:
        if release.version < deployed:
            continue
        for other_need in deployment.needs(consumer, release.version):
            if (other_need.kind, other_need.name) == (
                need.kind,
                need.name,
            ) and deployment.satisfied(other_need, release.version, new.version):
                good.append(release)
                break
    if not good:
        return f"no release of {component.name} accepts {new}"
    return f"{consumer} must move: {_span(good)} would accept {new}"


def _span(releases: list[Release]) -> str:
    if len(releases) == 1:
        return releases[0].label
    return f"{releases[0].label} to {releases[-1].label} ({len(releases)} releases)"


def stop_path(component: Component, start: Version, goal: Version) -> list[Release] | None:
    """The fewest steps from `start` to `goal` allowed by `upgradeFrom`, taking the newest
    release at each stop (vendors advise the latest patch of a stop). None: no path."""
    return fewest_steps(component, start, goal)


def as_json(view: GraphView) -> dict[str, Any]:
    return {
        "format": "ozrelease-graph/1",
        "environment": view.environment,
        "nodes": [
            {
                "id": strip_id(n.id) if n.kind == "component" else n.id,
                "kind": n.kind,
                "name": n.name,
                "title": n.title,
                "version": n.version,
                "versions": list(n.versions),
            }
            for n in view.nodes
        ],
        "edges": [_edge_json(e) for e in view.edges],
        "cycles": [[strip_id(n) for n in cycle] for cycle in view.cycles],
        "violations": list(view.violations),
    }


def _edge_json(edge: Edge) -> dict[str, Any]:
    def node(node_id: str) -> str:
        return strip_id(node_id) if not node_id.startswith("api:") else node_id

    return {
        "source": node(edge.source),
        "target": node(edge.target),
        "kind": edge.kind,
        "api": edge.api,
        "wanted": edge.wanted,
        "ok": edge.ok,
        "message": edge.message,
    }


def names(items: Iterable[str]) -> str:
    return ", ".join(sorted(items))


# --------------------------------------------------------------------------- views


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def view_model(view: GraphView) -> dict[str, Any]:
    """What the graph templates (text, dot, mermaid) print; all wording decided here."""
    ids = {node.id: f"n{i}" for i, node in enumerate(view.nodes)}
    titles = {node.id: node for node in view.nodes}

    def label(node_id: str) -> str:
        node = titles.get(node_id)
        name = strip_id(node_id)
        return f"{name} {node.version}" if node is not None and node.version else name

    calls = [e for e in view.edges if e.kind in ("calls", "requires")]
    served = {e.api for e in view.edges if e.kind == "calls"}
    orphan_consumes = [e for e in view.edges if e.kind == "consumes" and e.api not in served]
    components = []
    for node in view.nodes:
        if node.kind != "component":
            continue
        out = [e for e in view.edges if e.source == node.id]
        provides = sorted({e.api for e in out if e.kind == "provides" and e.api})
        lines = []
        for e in out:
            if e.kind == "calls":
                lines.append(
                    {
                        "ok": e.ok,
                        "text": f"calls {label(e.target)} for {e.api} {e.wanted}",
                        "why": e.message,
                    }
                )
            elif e.kind == "requires":
                lines.append(
                    {"ok": e.ok, "text": f"requires {label(e.target)} {e.wanted}", "why": e.message}
                )
            elif e.kind == "consumes" and e.api not in {x.api for x in out if x.kind == "calls"}:
                lines.append(
                    {
                        "ok": e.ok,
                        "text": f"consumes {e.api} {e.wanted}, which no deployed component provides"
                        if view.environment
                        else f"consumes {e.api} {e.wanted}, which no component provides",
                        "why": e.message,
                    }
                )
        for line in lines:
            line["status"] = "" if line["ok"] is None else "ok" if line["ok"] else "BROKEN"
        used_by = sorted(
            f"{label(e.source)} ({e.api + ' ' if e.api else ''}{e.wanted})"
            for e in calls
            if e.target == node.id
        )
        components.append(
            {
                "id": ids[node.id],
                "name": node.name if view.environment is None else strip_id(node.id),
                "label": label(node.id),
                "title": node.title or "",
                "newest": node.versions[-1] if node.versions and view.environment is None else "",
                "provides": provides,
                "lines": lines,
                "used_by": used_by,
                "broken": any(line["ok"] is False for line in lines),
            }
        )
    apis = []
    for node in view.nodes:
        if node.kind != "api":
            continue
        providers_of = sorted(
            label(e.source) for e in view.edges if e.kind == "provides" and e.target == node.id
        )
        apis.append(
            {
                "id": ids[node.id],
                "name": node.name,
                "title": node.title or "",
                "versions": ", ".join(node.versions),
                "providers": providers_of,
            }
        )
    edges = [
        {
            "source": ids[e.source],
            "target": ids[e.target],
            "label": f"{e.api} {e.wanted}" if e.api else f"requires {e.wanted}",
            "ok": e.ok,
            "kind": e.kind,
            "arrow": "-->" if e.kind == "calls" else "-.->",
        }
        for e in calls
        if e.source in ids and e.target in ids
    ] + [
        {
            "source": ids[e.source],
            "target": ids[e.target],
            "label": f"{e.api} {e.wanted}",
            "ok": e.ok,
            "kind": "consumes",
            "arrow": "-.->",
        }
        for e in orphan_consumes
        if e.source in ids and e.target in ids
    ]
    for edge in edges:
        edge["dot_label"] = _dot_quote(str(edge["label"]))
    orphan_apis = {e.target for e in orphan_consumes}
    return {
        "environment": view.environment,
        "components": components,
        "apis": apis,
        "nodes": [
            {
                "id": ids[n.id],
                "label": label(n.id),
                "kind": n.kind,
                "dot_label": _dot_quote(label(n.id)),
                "open": "([" if n.kind == "api" else "[",
                "close": "])" if n.kind == "api" else "]",
                "broken": any(c["broken"] for c in components if c["id"] == ids[n.id]),
            }
            for n in view.nodes
            if n.kind == "component" or n.id in orphan_apis
        ],
        "edges": edges,
        "cycles": [
            " -> ".join([strip_id(n) for n in cycle] + [strip_id(cycle[0])])
            for cycle in view.cycles
        ],
        "violations": list(view.violations),
    }


def impact_json(result: Impact) -> dict[str, Any]:
    return {
        "format": "ozrelease-impact/1",
        "environment": result.environment,
        "component": result.component,
        "version": result.version,
        "instances": [
            {
                "key": k.key,
                "from": k.current,
                "to": k.new,
                "direct": k.direct,
                "path": list(k.path),
                "droppedApis": list(k.dropped),
                "mustMove": list(k.must_move),
                "checks": [
                    {
                        "direction": c.direction,
                        "other": c.other,
                        "otherVersion": c.other_version,
                        "constraint": c.need,
                        "holdsNow": c.holds_now,
                        "holdsAfter": c.holds_after,
                        "message": c.message,
                        "fix": c.fix,
                    }
                    for c in k.checks
                ],
            }
            for k in result.keys
        ],
    }


def impact_view(result: Impact) -> dict[str, Any]:
    keys = []
    for k in result.keys:
        if k.current == k.new:
            route = f"{k.key} is already at {k.new}"
        elif not k.path:
            route = (
                f"{k.key} cannot be upgraded from {k.current} to {k.new}: no upgrade path "
                "(upgradeFrom) leads there"
            )
        elif k.direct:
            route = f"{k.key} {k.current} -> {k.new}: one step"
        else:
            route = (
                f"{k.key} {k.current} -> {k.new}: {len(k.path)} steps, through "
                f"{', '.join(k.path[:-1])} (required stops)"
            )
        rows = []
        for c in k.checks:
            if c.holds_after and c.holds_now:
                status = "ok"
            elif c.holds_after:
                status = "FIXED"
            elif c.holds_now:
                status = "BREAKS"
            else:
                status = "BROKEN"
            rows.append(
                {"status": status, "direction": c.direction, "message": c.message, "fix": c.fix}
            )
        keys.append(
            {
                "route": route,
                "needs": [r for r in rows if r["direction"] == "needs"],
                "used_by": [r for r in rows if r["direction"] == "used-by"],
                "dropped": list(k.dropped),
                "must_move": list(k.must_move),
            }
        )
    return {
        "environment": result.environment,
        "component": result.component,
        "version": result.version,
        "keys": keys,
    }
