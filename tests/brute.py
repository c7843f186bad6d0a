"""A brute-force planner for the tests: breadth-first over every state, straight from the
contract's words, sharing nothing with the real planner but the compatibility check."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from ozrelease.ecosystem.compat import Deployment
from ozrelease.ecosystem.model import component_of
from ozrelease.versions import Version

State = tuple[Version, ...]


def brute_force(
    deployment: Deployment,
    targets: Mapping[str, Version],
    max_layers: int = 60,
    *,
    max_steps: int | None = None,
) -> tuple[int, int] | None:
    """(fewest windows, fewest steps with that many windows), or None when no plan exists.

    A window moves any set of keys one allowed step each (v -> w, w newer, v inside w's
    upgradeFrom), at most `max_steps` of them when given, and must leave a compatible
    state; targets are reached at the end."""
    keys = list(deployment.keys)
    env = deployment.environment
    start: State = tuple(env.deployed[k] for k in keys)
    options = []
    for k in keys:
        component = deployment.ecosystem.components[component_of(k)]
        moves: dict[Version, list[Version]] = {}
        for release in component.releases:
            moves[release.version] = [
                r.version for r in component.releases if r.can_upgrade_from(release.version)
            ]
        options.append(moves)

    def goal(state: State) -> bool:
        return all(state[i] == targets[k] for i, k in enumerate(keys) if k in targets)

    def compatible(state: State) -> bool:
        return deployment.compatible(dict(zip(keys, state, strict=True)))

    layer: dict[State, int] = {start: 0}
    seen: set[State] = {start}
    if goal(start) and compatible(start):
        return (0, 0)
    for windows in range(1, max_layers + 1):
        nxt: dict[State, int] = {}
        for state, steps in layer.items():
            choices = [[state[i], *options[i][state[i]]] for i in range(len(keys))]
            for successor in itertools.product(*choices):
                moved = sum(1 for a, b in zip(state, successor, strict=True) if a != b)
                if max_steps is not None and moved > max_steps:
                    continue
                if not compatible(successor):
                    continue
                cost = steps + moved
                if nxt.get(successor, 1 << 30) > cost:
                    nxt[successor] = cost
        reached = [cost for state, cost in nxt.items() if goal(state)]
        if reached:
            return (windows, min(reached))
        if set(nxt) <= seen:
            return None  # nothing new can be reached: no plan exists
        seen |= set(nxt)
        layer = nxt
    raise AssertionError("brute force did not settle")
