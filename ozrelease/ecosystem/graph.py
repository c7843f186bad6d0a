"""The dependency graph (networkx) and the questions asked of it: edges, cycles, upgrade paths.

No I/O here: functions take an Ecosystem (and a Deployment) and return plain data that the
CLI renders. Cycles are normal (Open Zaak and Open Notificaties call each other) and are
reported, never rejected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from ozrelease.ecosystem.compat import Deployment, Violation
from ozrelease.ecosystem.model import Component, Ecosystem, Release, component_of
from ozrelease.ecosystem.steps import fewest_steps
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
    newest: str | None = None  # without an environment: the newest final release


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
    """Every component and API, as the newest final release of each component has them: a
    consumer -> provider edge for every API the consumer's newest release consumes and the
    provider's newest release provides, labelled with the specifier; `requires` edges
    likewise. (Edges that older releases had and the newest dropped are not drawn.)"""
    view = GraphView()
    newest = {name: c.newest() for name, c in ecosystem.components.items()}
    providers: dict[str, list[str]] = {}
    for name, release in newest.items():
        for api in sorted(release.provides if release is not None else ()):
            providers.setdefault(api, []).append(name)
    for component in ecosystem.components.values():
        release = newest[component.name]
        view.nodes.append(
            Node(
                _component_id(component.name),
                "component",
                component.name,
                component.title,
                versions=tuple(r.label for r in component.releases),
                newest=release.label if release is not None else None,
            )
        )
        if release is None:
            continue
        source = _component_id(component.name)
        for api, wanted in sorted(release.consumes.items()):
            view.edges.append(Edge(source, _api_id(api), "consumes", api, str(wanted)))
            for provider in providers.get(api, []):
                if provider != component.name:
                    view.edges.append(
                        Edge(source, _component_id(provider), "calls", api, str(wanted))
                    )
        for name, wanted in sorted(release.requires.items()):
            view.edges.append(Edge(source, _component_id(name), "requires", None, str(wanted)))
        for api in sorted(release.provides):
            view.edges.append(Edge(source, _api_id(api), "provides", api))
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
    # An API named only in provides/consumes (declaring one is optional) is a node too.
    named = {e.api for e in view.edges if e.api is not None} - set(ecosystem.apis)
    view.nodes.extend(Node(_api_id(api), "api", api) for api in sorted(named))
    view.edges.sort(key=lambda e: (e.source, e.kind, e.target, e.api or ""))
    view.cycles = _cycles(view)
    return view


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
                "newest": n.newest,
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
