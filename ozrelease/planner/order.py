"""The order of one window's steps: every state in between compatible, else steps together."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import networkx as nx

from ozrelease.ecosystem.compat import Deployment, Violation
from ozrelease.versions import Version

Move = tuple[Version, Version]  # (from, to) of one step
# For two moving keys a and b: whether every constraint between them (either way) holds
# before the window, with a moved alone, and with b moved alone.
PairCheck = Callable[[str, str], tuple[bool, bool, bool]]


def _dependency_graph(deployment: Deployment, keys: list[str]) -> nx.DiGraph:
    """provider -> consumer among `keys`, for any release from the deployed one on."""
    graph = nx.DiGraph()
    graph.add_nodes_from(keys)
    graph.add_edges_from(_dependency_edges(deployment, keys))
    return graph


def _dependency_edges(deployment: Deployment, keys: list[str]) -> list[tuple[str, str]]:
    members = set(keys)
    return [
        (provider, consumer)
        for consumer in keys
        for provider in sorted(deployment.dependencies(consumer) & members)
    ]


def providers_first(deployment: Deployment, keys: list[str]) -> list[str]:
    """`keys` ordered so that providers come before their consumers; keys that depend on
    each other (a cycle of calls) keep name order among themselves."""
    # Kahn's algorithm, smallest name first; only a cycle of calls needs networkx's
    # condensation (a window of a large fleet holds thousands of steps).
    consumers: dict[str, list[str]] = {key: [] for key in keys}
    waiting = dict.fromkeys(keys, 0)
    for provider, consumer in _dependency_edges(deployment, keys):
        consumers[provider].append(consumer)
        waiting[consumer] += 1
    ready = [key for key, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        key = heapq.heappop(ready)
        order.append(key)
        for consumer in consumers[key]:
            waiting[consumer] -= 1
            if waiting[consumer] == 0:
                heapq.heappush(ready, consumer)
    if len(order) == len(keys):
        return order
    condensed = nx.condensation(_dependency_graph(deployment, keys))
    mapping = condensed.graph["mapping"]  # key -> its strongly connected component
    members: dict[int, list[str]] = {}
    for key in sorted(keys):
        members.setdefault(mapping[key], []).append(key)
    order = []
    for scc in nx.lexicographical_topological_sort(condensed, key=lambda n: members[n][0]):
        order.extend(members[scc])
    return order


@dataclass(frozen=True)
class Group:
    """Steps that no one-at-a-time order applies safely, and the constraints that say so."""

    keys: tuple[str, ...]  # in the window's order
    reason: str


@dataclass(frozen=True)
class WindowOrder:
    keys: tuple[str, ...]  # every moving key, in the order to apply them
    groups: tuple[Group, ...] = ()  # contiguous runs of `keys` to apply at once


def safe_order(
    deployment: Deployment,
    moves: Mapping[str, Move],
    *,
    neighbours: Mapping[str, Sequence[str]] | None = None,
    compatible: PairCheck | None = None,
) -> WindowOrder:
    """An order of one window's steps in which every state between two steps breaks no
    constraint that held before the window, whenever one exists; where none does, the
    smallest groups of steps to apply at once (and the order of those groups).

    Exact and fast because compatibility is a conjunction of pairwise constraints (one
    consumer, one provider). A constraint between a moving key and one that stays is met
    before and after the window, so in every state between. Between two moving keys a
    and b, the state "a moved, b not yet" either breaks something or not; if it does, b
    must not come after a. Those "not after" relations form a directed graph: a safe order
    of single steps is a topological order of it, and where it has cycles, every step of a
    strongly connected component must happen at the same time (the cycle forbids every
    other arrangement). Its condensation, ordered with providers first breaking ties
    (Kahn's algorithm), is therefore the finest safe arrangement there is.

    `neighbours` (for each key, the keys it shares a constraint with, both ways) and
    `compatible` (a fast pair check: the planner's compatibility tables) are optional
    speed-ups; without them both are read from the manifests' needs.
    """
    keys = list(moves)
    rank = {key: i for i, key in enumerate(providers_first(deployment, keys))}
    edges = _not_after(deployment, moves, neighbours, compatible)
    if not edges:
        return WindowOrder(tuple(sorted(keys, key=rank.__getitem__)))
    if all(rank[first] < rank[then] for first, then in edges):
        # Providers first already is such an order (and Kahn's algorithm would return it).
        return WindowOrder(tuple(sorted(keys, key=rank.__getitem__)))
    order = _kahn([[key] for key in keys], edges, rank)
    if order is not None:  # no cycle: every step on its own
        return WindowOrder(tuple(key for unit in order for key in unit))
    graph = nx.DiGraph()
    graph.add_nodes_from(keys)
    graph.add_edges_from(edges)
    # A group's own order: providers first among its members alone (a cycle of calls in
    # the whole window may not be one among them).
    units = [
        providers_first(deployment, sorted(scc)) if len(scc) > 1 else list(scc)
        for scc in nx.strongly_connected_components(graph)
    ]
    order = _kahn(units, edges, rank)
    assert order is not None  # a condensation has no cycle
    return WindowOrder(
        tuple(key for unit in order for key in unit),
        tuple(
            Group(tuple(unit), _reason(deployment, moves, unit, edges))
            for unit in order
            if len(unit) > 1
        ),
    )


def _kahn(
    units: list[list[str]], edges: Iterable[tuple[str, str]], rank: Mapping[str, int]
) -> list[list[str]] | None:
    """`units` in an order where every edge (first, then) between two units goes forward,
    the unit with the lowest-ranked member first among those ready; None on a cycle."""
    unit_of = {key: i for i, unit in enumerate(units) for key in unit}
    successors: list[set[int]] = [set() for _ in units]
    waiting = [0] * len(units)
    for first, then in edges:
        a, b = unit_of[first], unit_of[then]
        if a != b and b not in successors[a]:
            successors[a].add(b)
            waiting[b] += 1
    earliest = [min(rank[key] for key in unit) for unit in units]
    ready = [(earliest[i], i) for i in range(len(units)) if waiting[i] == 0]
    heapq.heapify(ready)
    order: list[list[str]] = []
    while ready:
        _, i = heapq.heappop(ready)
        order.append(units[i])
        for j in successors[i]:
            waiting[j] -= 1
            if waiting[j] == 0:
                heapq.heappush(ready, (earliest[j], j))
    return order if len(order) == len(units) else None


def _not_after(
    deployment: Deployment,
    moves: Mapping[str, Move],
    neighbours: Mapping[str, Sequence[str]] | None,
    compatible: PairCheck | None,
) -> dict[tuple[str, str], Violation | None]:
    """(b, a) -> what breaks when a moves before b (None: not worked out yet, see
    `_witness`): b must not come after a."""
    pairs: Iterable[tuple[str, str]]
    if neighbours is not None:  # symmetric: each pair once, from its smaller key
        pairs = [(k, o) for k in moves for o in neighbours.get(k, ()) if k < o and o in moves]
    else:
        found_pairs: set[tuple[str, str]] = set()
        for key, (old, new) in moves.items():
            for need in (n for v in (old, new) for n in deployment.needs(key, v)):
                other = need.provider
                if other is not None and other != key and other in moves:
                    found_pairs.add((key, other) if key < other else (other, key))
        pairs = sorted(found_pairs)
    found: dict[tuple[str, str], Violation | None] = {}
    for a, b in pairs:
        (a0, a1), (b0, b1) = moves[a], moves[b]
        if compatible is not None:
            before, a_alone, b_alone = compatible(a, b)
            if before:  # nothing between them is broken before the window: any break is new
                if not a_alone:
                    found[(b, a)] = None
                if not b_alone:
                    found[(a, b)] = None
                continue
        held = {_identity(v) for v in _pair_violations(deployment, a, a0, b, b0)}
        for moved, new, other, old in ((a, a1, b, b0), (b, b1, a, a0)):
            broken = [
                v
                for v in _pair_violations(deployment, moved, new, other, old)
                if _identity(v) not in held
            ]
            if broken:
                found[(other, moved)] = broken[0]
    return found


def _witness(deployment: Deployment, moves: Mapping[str, Move], first: str, then: str) -> Violation:
    """A constraint that breaks when `then` moves before `first` (and held before)."""
    (t0, t1), (f0, _) = moves[then], moves[first]
    held = {_identity(v) for v in _pair_violations(deployment, then, t0, first, f0)}
    broken = [
        v for v in _pair_violations(deployment, then, t1, first, f0) if _identity(v) not in held
    ]
    return broken[0]


def _pair_violations(
    deployment: Deployment, a: str, va: Version, b: str, vb: Version
) -> list[Violation]:
    """The constraints between a and b (each way) that a at `va` and b at `vb` break,
    a's own first."""
    found = []
    for consumer, cv, provider, pv in ((a, va, b, vb), (b, vb, a, va)):
        for need in deployment.needs(consumer, cv):
            if need.provider == provider and not deployment.satisfied(need, cv, pv):
                found.append(Violation(consumer, cv, need, pv))
    return found


def _identity(violation: Violation) -> tuple[str, str, str]:
    return (violation.consumer, violation.need.kind, violation.need.name)


MAX_REASONS = 4


def _reason(
    deployment: Deployment,
    moves: Mapping[str, Move],
    members: list[str],
    edges: Mapping[tuple[str, str], Violation | None],
) -> str:
    """`a cannot move before b: <the constraint it would break>; ...` for the relations
    inside the group, in the group's order."""
    position = {key: i for i, key in enumerate(members)}
    inside = sorted(
        ((then, first) for first, then in edges if first in position and then in position),
        key=lambda pair: (position[pair[0]], position[pair[1]]),
    )
    parts = []
    for moved, other in inside[:MAX_REASONS]:
        violation = edges[(other, moved)] or _witness(deployment, moves, other, moved)
        parts.append(f"{moved} cannot move before {other}: {deployment.explain(violation)}")
    if len(inside) > MAX_REASONS:
        parts.append(f"and {len(inside) - MAX_REASONS} more such constraints")
    return "; ".join(parts)
