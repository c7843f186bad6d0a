"""The planner's search space: each deployed key's candidate releases, the steps between them,
and pairwise compatibility tables, all as bitmasks; split into independent groups.

Index 0 of every node is its deployed release. A mask has bit i set when the node's i-th
candidate is included. Everything here is computed once per plan (the memoised
compatibility checks), so the search never looks at a manifest again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import networkx as nx

from ozrelease.ecosystem.compat import Deployment, Need
from ozrelease.ecosystem.model import Release, component_of
from ozrelease.ecosystem.steps import mask, sources
from ozrelease.errors import OzReleaseError
from ozrelease.versions import Version

INF = 1 << 30
# Candidates per component at most: the step tables take n^2 bits (20,000: 100 MB), which
# bounds the planner's memory before any search starts.
CANDIDATE_CAP = 20_000


def bits(mask: int) -> Iterator[int]:
    """The indices set in `mask`, lowest first."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def bits_desc(mask: int) -> Iterator[int]:
    while mask:
        top = mask.bit_length() - 1
        yield top
        mask ^= 1 << top


@dataclass
class Node:
    key: str
    versions: list[Version]  # candidates, oldest first; [0] is the deployed release
    succ: list[int]  # succ[i]: where i may be after one window (itself included)
    pred: list[int]  # pred[j]: where j may have been one window earlier (itself included)
    valid: int  # values allowed after a window (unary constraints hold; tightened)
    target: int | None = None  # index of the requested version
    pinned: bool = False
    from_start: list[int] = field(default_factory=list)  # fewest steps from index 0
    to_target: list[int] = field(default_factory=list)  # fewest steps to the target
    unary: int = 0  # the values whose needs all have a provider (before tightening)

    @property
    def is_target(self) -> bool:
        return self.target is not None

    @property
    def all(self) -> int:
        return (1 << len(self.versions)) - 1


@dataclass
class Space:
    """Nodes, and for each ordered pair of neighbours the compatibility table
    `sup[(k, p)][i]`: the mask of p's values compatible with k at value i."""

    deployment: Deployment
    nodes: dict[str, Node]
    sup: dict[tuple[str, str], list[int]]
    neighbours: dict[str, list[str]]
    # (key, value) -> why tighten() ruled the value out: the neighbour that accepts none of
    # it, or "" when no path of steps uses it
    ruled_out: dict[tuple[str, int], str] = field(default_factory=dict)

    def compatible(self, k: str, i: int, p: str, j: int) -> bool:
        table = self.sup.get((k, p))
        return table is None or bool(table[i] >> j & 1)

    def universal(self, k: str, p: str, dom_k: int, dom_p: int) -> bool:
        """The constraint between k and p holds for every pair of values in the domains."""
        table = self.sup[(k, p)]
        return all(table[i] & dom_p == dom_p for i in bits(dom_k))


def build(
    deployment: Deployment,
    targets: Mapping[str, Version],
) -> Space:
    """Candidate releases for every deployed key and the tables between them.

    Candidates: the deployed release and every newer final release (pre-releases only when
    deployed or asked for), reachable from the deployed one by allowed steps, and for a
    target, from which the target can still be reached. A pinned key (target == deployed)
    keeps only its deployed release.
    """
    env = deployment.environment
    nodes: dict[str, Node] = {}
    for key in deployment.keys:
        deployed = env.deployed[key]
        component = deployment.ecosystem.components[component_of(key)]
        wanted = targets.get(key)
        if wanted is not None and wanted == deployed:
            candidates = [deployed]
        else:
            candidates = [
                r.version
                for r in component.releases
                if r.version >= deployed
                and (not r.version.is_prerelease or r.version in (deployed, wanted))
                and (wanted is None or r.version <= wanted)
            ]
        if len(candidates) > CANDIDATE_CAP:
            raise OzReleaseError(
                f"{key} has {len(candidates):,} releases between the deployed one and its "
                f"target; the planner takes at most {CANDIDATE_CAP:,} per component (give a "
                "nearer --to, or leave out releases no one deploys)"
            )
        releases = [deployment.release(key, v) for v in candidates]
        succ, pred = _step_masks(candidates, releases)
        valid = 0
        for i, version in enumerate(candidates):
            if all(need.provider is not None for need in deployment.needs(key, version)):
                valid |= 1 << i
        node = Node(
            key,
            candidates,
            succ,
            pred,
            valid,
            target=candidates.index(wanted) if wanted in candidates else None,
            pinned=wanted is not None and wanted == deployed,
            unary=valid,
        )
        _distances(node)
        nodes[key] = node

    sup: dict[tuple[str, str], list[int]] = {}
    neighbours: dict[str, set[str]] = {key: set() for key in nodes}
    # The provider versions that meet a need depend only on the need, not on the consumer's
    # version: releases repeat their needs, so each distinct need is checked once.
    masks: dict[Need, int] = {}
    for key, node in nodes.items():
        for i, version in enumerate(node.versions):
            for need in deployment.needs(key, version):
                p = need.provider
                if p is None or p == key:
                    continue
                other = nodes[p]
                if (key, p) not in sup:
                    sup[(key, p)] = [other.all] * len(node.versions)
                    sup[(p, key)] = [node.all] * len(other.versions)
                    neighbours[key].add(p)
                    neighbours[p].add(key)
                mask = masks.get(need)
                if mask is None:
                    mask = 0
                    for j, pv in enumerate(other.versions):
                        if deployment.satisfied(need, version, pv):
                            mask |= 1 << j
                    masks[need] = mask
                sup[(key, p)][i] &= mask
                for j in range(len(other.versions)):
                    if not mask >> j & 1:
                        sup[(p, key)][j] &= ~(1 << i)
    return Space(deployment, nodes, sup, {k: sorted(v) for k, v in neighbours.items()})


def _step_masks(versions: list[Version], releases: list[Release]) -> tuple[list[int], list[int]]:
    """succ[i] and pred[j] (each including itself) from the intervals of releases that may
    step to each (ecosystem/steps.py): near-linear in the number of candidates, where a
    check per pair took 31 s for 4,000 releases."""
    n = len(versions)
    pred = []
    events: list[tuple[int, int]] = []  # (index, j): bit j switches on/off at index
    for j, release in enumerate(releases):
        intervals = sources(versions, j, release.upgrade_from)
        pred.append(mask(intervals) | 1 << j)
        for start, end in intervals:
            events.append((start, j))
            events.append((end, j))
    events.sort()
    succ = []
    running = 0
    at = 0
    for i in range(n):
        while at < len(events) and events[at][0] == i:
            running ^= 1 << events[at][1]
            at += 1
        succ.append(running | 1 << i)
    return succ, pred


def _distances(node: Node) -> None:
    """Fewest steps from the deployed release, and to the target (through valid values):
    breadth-first over bitmasks, each value expanded once."""
    n = len(node.versions)
    from_start = [INF] * n
    seen = 1
    frontier = 1
    level = 0
    while frontier:
        reach = 0
        for i in bits(frontier):
            from_start[i] = level
            reach |= node.succ[i]
        frontier = reach & node.valid & ~seen
        seen |= frontier
        level += 1
    node.from_start = from_start
    to_target = [INF] * n
    if node.target is not None:
        to_target[node.target] = 0
        allowed = node.valid | 1
        seen = 1 << node.target
        frontier = seen & node.valid  # a value is stepped to only when it is valid
        level = 1
        while frontier:
            reach = 0
            for j in bits(frontier):
                reach |= node.pred[j]
            reached = reach & allowed & ~seen
            seen |= reached
            for i in bits(reached):
                to_target[i] = level
            frontier = reached & node.valid
            level += 1
    node.to_target = to_target


def groups(space: Space, domains: Mapping[str, int]) -> list[list[str]]:
    """Keys that must be planned together: connected through constraints that do not
    hold for every pair of their candidate values. Keys that cannot move stand alone."""
    graph = nx.Graph()
    graph.add_nodes_from(space.nodes)
    for k, p in space.sup:
        if k < p and not space.universal(k, p, domains[k], domains[p]):
            graph.add_edge(k, p)
    return sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda c: c[0])


def tighten(space: Space) -> str | None:
    """Static pruning before any search: a value that no value of a neighbour can ever
    accept (after a window every node is at a valid value) is never used; a value that
    cannot be reached from the deployed release, or from which the target cannot be
    reached, neither. Repeats until nothing changes.

    Remembers why each value went (`space.ruled_out`: the neighbour that accepts none of
    its values, or "" for a path). Stops at the first key left with no value at all and
    returns it: no plan exists, and pruning further would only blur the reason."""
    changed = True
    while changed:
        changed = False
        for (k, p), table in space.sup.items():
            node, other = space.nodes[k], space.nodes[p]
            keep = node.valid
            for i in bits(node.valid):
                if table[i] & other.valid == 0:
                    keep &= ~(1 << i)
                    space.ruled_out.setdefault((k, i), p)
            if keep != node.valid:
                node.valid = keep
                changed = True
                if not keep:
                    return k
        for node in space.nodes.values():
            _distances(node)
            keep = node.valid
            for i in bits(node.valid):
                if node.from_start[i] >= INF or (
                    node.target is not None and node.to_target[i] >= INF
                ):
                    keep &= ~(1 << i)
                    space.ruled_out.setdefault((node.key, i), "")
            if keep != node.valid:
                node.valid = keep
                changed = True
                if not keep:
                    return node.key
    return None
