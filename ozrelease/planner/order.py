"""The order of the steps inside one window: providers before their consumers."""

from __future__ import annotations

import heapq

import networkx as nx

from ozrelease.ecosystem.compat import Deployment


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


def order_violations(deployment: Deployment, keys: list[str]) -> list[tuple[str, str]]:
    """(consumer, provider) pairs where a consumer comes before its provider and the two
    are not in a cycle of calls."""
    graph = _dependency_graph(deployment, keys)
    component = {k: i for i, scc in enumerate(nx.strongly_connected_components(graph)) for k in scc}
    found = []
    for i, consumer in enumerate(keys):
        for provider in keys[i + 1 :]:
            if graph.has_edge(provider, consumer) and component[provider] != component[consumer]:
                found.append((consumer, provider))
    return found
