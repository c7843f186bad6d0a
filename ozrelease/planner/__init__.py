"""The coordinated upgrade planner: an environment and targets in, a Plan out. Pure.

How it works is explained for newcomers in docs/planner.md. In short: candidate releases
and compatibility tables are built once (space.py); keys whose constraints always hold are
split into independent groups; each group's fewest windows are found by deepening the
horizon of an exact constraint search (search.py); then every group is optimised for fewest
steps over the common horizon, and the windows are merged; inside each, the steps are ordered
so that every state between them is compatible, or grouped where they must happen together
(order.py).
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Mapping, Sequence

from ozrelease import gcpause
from ozrelease.ecosystem.compat import Deployment
from ozrelease.ecosystem.model import LATEST, Component, Release, component_of
from ozrelease.errors import OzReleaseError, UsageError
from ozrelease.planner.explain import explain_infeasible
from ozrelease.planner.model import (
    PREFERENCES,
    STRATEGIES,
    Plan,
    PlanProblem,
    Step,
    Together,
    Window,
)
from ozrelease.planner.order import safe_order
from ozrelease.planner.search import Search, SearchLimit
from ozrelease.planner.space import INF, Space, build, groups, tighten
from ozrelease.versions import Version, parse_version

__all__ = ["Plan", "plan", "resolve_targets"]


def resolve_targets(deployment: Deployment, requests: Sequence[str] | None) -> dict[str, Version]:
    """`--to` values (or the environment's `targets`) as deployed key -> version.

    `latest` moves every deployed key to its newest final release; `NAME=...` names a key
    (`open-zaak@utrecht`) or a component (every instance of it). More specific requests win:
    `--to latest --to open-zaak=1.29.0` keeps Open Zaak at 1.29.0.
    """
    env = deployment.environment
    if requests is None:
        requests = [
            LATEST if key == LATEST else f"{key}={value}" for key, value in env.targets.items()
        ]
    by_name: dict[str, list[str]] = {}
    for key in deployment.keys:
        by_name.setdefault(component_of(key), []).append(key)
    general: list[tuple[str, str]] = []
    by_component: list[tuple[str, str]] = []
    by_key: list[tuple[str, str]] = []
    for request in requests:
        text = request.strip()
        if text == LATEST:
            general.append(("", LATEST))
            continue
        name, sep, version = text.partition("=")
        name, version = name.strip(), version.strip()
        if not sep or not name or not version:
            raise UsageError(f"--to {request!r}: expected NAME=VERSION, NAME=latest or latest")
        if name in env.deployed and "@" in name:
            by_key.append((name, version))
        elif name in by_name:
            by_component.append((name, version))
        else:
            deployed = sorted(set(env.deployed) | {component_of(k) for k in env.deployed})
            raise UsageError(
                f"--to {request!r}: {name} is not deployed in environment "
                f"{env.name} (deployed: {', '.join(deployed)})"
            )
    targets: dict[str, Version] = {}
    for _, version in general:
        for key in deployment.keys:
            targets[key] = _target_version(deployment, key, version)
    for name, version in by_component:
        for key in by_name[name]:
            targets[key] = _target_version(deployment, key, version)
    for key, version in by_key:
        targets[key] = _target_version(deployment, key, version)
    return targets


def _target_version(deployment: Deployment, key: str, wanted: str) -> Version:
    component = deployment.ecosystem.components[component_of(key)]
    deployed = deployment.environment.deployed[key]
    if wanted == LATEST:
        newest = component.newest()
        assert newest is not None
        # "latest" never means going back from a newer pre-release to the newest final one.
        return max(newest.version, deployed)
    try:
        version = parse_version(wanted)
    except ValueError as exc:
        raise UsageError(f"--to {key}={wanted}: {exc}") from None
    if component.release(version) is None:
        listed = ", ".join(r.label for r in component.releases[-5:])
        raise UsageError(
            f"--to {key}={wanted}: not a release listed for {component.name} (newest: {listed})"
        )
    return version


def plan(
    deployment: Deployment,
    requests: Sequence[str] | None = None,
    *,
    strategy: str = "fewest-windows",
    prefer: str = "least-change",
    on: dt.date | None = None,
) -> Plan:
    """Plan the upgrade of `deployment` to the requested targets (CONTRACT §2)."""
    with gcpause.paused():
        return _plan(deployment, requests, strategy=strategy, prefer=prefer, on=on)


def _plan(
    deployment: Deployment,
    requests: Sequence[str] | None,
    *,
    strategy: str,
    prefer: str,
    on: dt.date | None,
) -> Plan:
    if strategy not in STRATEGIES:
        raise UsageError(f"unknown strategy {strategy!r} (one of {', '.join(STRATEGIES)})")
    if prefer not in PREFERENCES:
        raise UsageError(f"unknown preference {prefer!r} (one of {', '.join(PREFERENCES)})")
    targets = resolve_targets(deployment, requests)
    env = deployment.environment
    start = dict(env.deployed)
    labels = _labels(deployment)
    warnings = [
        PlanProblem(f"broken now: {deployment.explain(v)}", v.components)
        for v in deployment.violations(start)
    ]
    warnings += _eol_warnings(deployment, targets, on)

    def infeasible(problems: list[PlanProblem], furthest: Mapping[str, Version] | None) -> Plan:
        return Plan(
            env.name,
            False,
            strategy,
            prefer,
            start,
            dict(targets),
            dict(targets),
            (),
            tuple(problems),
            tuple(warnings),
            labels,
            furthest,
        )

    downgrades = [
        PlanProblem(
            f"{key} is at {deployment.label(key, start[key])}; "
            f"{deployment.label(key, version)} is older, and downgrades are never "
            "planned",
            (key,),
        )
        for key, version in sorted(targets.items())
        if version < start[key]
    ]
    if downgrades:
        return infeasible(downgrades, None)

    space = build(deployment, targets)
    dead = tighten(space)
    if dead is not None:
        problems, furthest = explain_infeasible(space, [dead], targets)
        return infeasible(problems, furthest)
    domains = {k: node.valid | 1 for k, node in space.nodes.items()}
    work = [g for g in groups(space, domains) if _needs_work(space, g)]
    high = {k for k, node in space.nodes.items() if node.is_target or prefer == "latest"}

    horizons: dict[tuple[str, ...], int] = {}
    try:
        for group in work:
            found = _fewest_windows(space, group, high)
            if found is None:
                problems, furthest = explain_infeasible(space, group, targets)
                return infeasible(problems, furthest)
            horizons[tuple(group)] = found
        horizon = max(horizons.values(), default=0)
        trajectories: dict[str, list[int]] = {}
        for group in work:
            solution = Search(space, group, horizon, high=high).solve(optimize=True)
            assert solution is not None  # feasible at its own horizon, so at a longer one
            trajectories.update(solution.trajectories)
    except SearchLimit:
        raise OzReleaseError(
            "the search for a plan reached its limit before it could prove the best plan; "
            "plan fewer components at a time (several --to) or pin some (--to NAME=VERSION)"
        ) from None

    windows = _windows(space, trajectories, horizon, targets)
    if strategy == "one-at-a-time":
        windows = _one_at_a_time(deployment, start, windows)
    final = dict(start)
    for window in windows:
        for step in window.steps:
            final[step.component] = step.to_version
    return Plan(
        env.name,
        True,
        strategy,
        prefer,
        start,
        final,
        dict(targets),
        tuple(windows),
        (),
        tuple(warnings),
        labels,
        None,
    )


def _labels(deployment: Deployment) -> dict[str, dict[Version, str]]:
    return {
        key: {
            r.version: r.label for r in deployment.ecosystem.components[component_of(key)].releases
        }
        for key in deployment.keys
    }


def _eol_warnings(
    deployment: Deployment, targets: Mapping[str, Version], on: dt.date | None
) -> list[PlanProblem]:
    if on is None:
        return []
    found = []
    for key, version in sorted(targets.items()):
        release = deployment.release(key, version)
        if release.eol is not None and release.eol < on:
            found.append(
                PlanProblem(
                    f"target {key} {release.label} is past its end of life ({release.eol}); "
                    "plan to a supported release",
                    (key,),
                )
            )
    return found


def _needs_work(space: Space, group: list[str]) -> bool:
    """Something in the group must move: a target, or a state that is broken now."""
    for k in group:
        node = space.nodes[k]
        if (node.target is not None and node.target != 0) or not node.valid & 1:
            return True
        for p in space.neighbours[k]:
            if not space.compatible(k, 0, p, 0):
                return True
    return False


def _fewest_windows(space: Space, group: list[str], high: set[str]) -> int | None:
    nodes = [space.nodes[k] for k in group]
    lower = max([n.from_start[n.target] for n in nodes if n.target is not None] + [1])
    if lower >= INF or any(not n.valid for n in nodes):
        return None  # a target out of reach, or a key with nowhere safe to be
    # Without empty windows a plan has at most this many: every window moves something.
    upper = max(lower, sum(n.longest() for n in nodes))
    for horizon in range(lower, upper + 1):
        if Search(space, group, horizon, high=high).solve(optimize=False) is not None:
            return horizon
    return None


def _windows(
    space: Space,
    trajectories: Mapping[str, list[int]],
    horizon: int,
    targets: Mapping[str, Version],
) -> list[Window]:
    deployment = space.deployment
    pulled = _pulled_in_by(space, trajectories, set(targets))
    windows: list[Window] = []
    for t in range(1, horizon + 1):
        steps = []
        ends: dict[str, tuple[int, int]] = {}
        for key in sorted(trajectories):
            before, after = trajectories[key][t - 1], trajectories[key][t]
            if before == after:
                continue
            node = space.nodes[key]
            steps.append(
                _step(deployment, key, node.versions[before], node.versions[after], pulled.get(key))
            )
            ends[key] = (before, after)
        if steps:
            windows.append(_ordered(deployment, steps, (space, ends)))
    return windows


def _step(deployment: Deployment, key: str, old: Version, new: Version, pulled: str | None) -> Step:
    component: Component = deployment.ecosystem.components[component_of(key)]
    passed = [r for r in component.releases if old < r.version <= new]
    return Step(
        component=key,
        from_version=old,
        to_version=new,
        from_label=deployment.label(key, old),
        to_label=deployment.label(key, new),
        pulled_in_by=pulled,
        reversible=all(r.reversible_from(old) for r in passed),
        notes=_notes(passed, new),
        passes=tuple(r.label for r in passed),
    )


def _notes(passed: list[Release], new: Version) -> tuple[str, ...]:
    """The notes of every release passed, oldest first, each said once (patch releases of
    several lines often repeat the same note), prefixed with the release unless it is the
    one stepped to."""
    seen: set[str] = set()
    notes = []
    for release in passed:
        for note in release.notes:
            if note in seen:
                continue
            seen.add(note)
            notes.append(note if release.version == new else f"{release.label}: {note}")
    return tuple(notes)


def _pulled_in_by(
    space: Space, trajectories: Mapping[str, list[int]], targets: set[str]
) -> dict[str, str | None]:
    """For each non-target that moves, the target that made it move.

    k is pushed by p when k staying where it was would clash with p after some window.
    A non-target pushed only by other non-targets inherits their target; a move that no
    one pushes (repairing a state broken now) has none.
    """
    moving = {k for k, tr in trajectories.items() if tr[-1] != tr[0]}
    pushers: dict[str, list[str]] = {}
    for k in sorted(moving - targets):
        pushers[k] = [
            p
            for p in space.neighbours[k]
            if p in moving
            and any(
                not space.compatible(k, 0, p, trajectories[p][t])
                for t in range(1, len(trajectories[p]))
            )
        ]

    def resolve(k: str, seen: frozenset[str]) -> str | None:
        direct = pushers.get(k, [])
        for p in direct:
            if p in targets:
                return p
        for p in direct:
            if p not in seen:
                found = resolve(p, seen | {p})
                if found is not None:
                    return found
        return None

    result: dict[str, str | None] = {k: resolve(k, frozenset({k})) for k in pushers}
    for k, found in result.items():
        if found is None:  # e.g. moved by a chain the table check cannot see: nearest target
            result[k] = _nearest_target(space, k, moving & targets)
    return result


def _nearest_target(space: Space, key: str, moving_targets: set[str]) -> str | None:
    seen = {key}
    queue = deque([key])
    while queue:
        current = queue.popleft()
        for p in space.neighbours[current]:
            if p in seen:
                continue
            if p in moving_targets:
                return p
            seen.add(p)
            queue.append(p)
    return None


def _ordered(
    deployment: Deployment,
    steps: Sequence[Step],
    tables: tuple[Space, Mapping[str, tuple[int, int]]] | None = None,
) -> Window:
    """A window of `steps` in an order that keeps every state between them compatible,
    with the groups that must happen together where no such order exists. `tables`: the
    space and each step's (from, to) value indices, to check pairs with its tables."""
    by_key = {s.component: s for s in steps}
    moves = {s.component: (s.from_version, s.to_version) for s in steps}
    if tables is None:
        found = safe_order(deployment, moves)
    else:
        space, ends = tables

        def check(a: str, b: str) -> tuple[bool, bool, bool]:
            table = space.sup.get((a, b))
            if table is None:
                return (True, True, True)
            (a0, a1), (b0, b1) = ends[a], ends[b]
            return bool(table[a0] >> b0 & 1), bool(table[a1] >> b0 & 1), bool(table[a0] >> b1 & 1)

        found = safe_order(deployment, moves, neighbours=space.neighbours, compatible=check)
    return Window(
        tuple(by_key[k] for k in found.keys),
        tuple(Together(g.keys, g.reason) for g in found.groups),
    )


def _one_at_a_time(
    deployment: Deployment, start: Mapping[str, Version], windows: list[Window]
) -> list[Window]:
    """Split each window into the smallest groups of steps that keep every state between
    them compatible: one step per window except where components must move together."""
    state = dict(start)
    result: list[Window] = []
    for window in windows:
        if deployment.compatible(state):
            # The window's own order keeps every state between its steps compatible: each
            # step, or each group that must happen together, becomes a window.
            grouped = {key: g for g in window.together for key in g.components}
            for step in window.steps:
                group = grouped.get(step.component)
                if group is None:
                    result.append(Window((step,)))
                elif step.component == group.components[0]:
                    members = [s for s in window.steps if s.component in group.components]
                    result.append(Window(tuple(members), (group,)))
        else:  # broken now: each window must end compatible, not just break nothing new
            remaining = list(window.steps)
            while remaining:
                chosen = _smallest_group(deployment, state, remaining)
                for step in chosen:
                    state[step.component] = step.to_version
                result.append(_ordered(deployment, chosen))
                remaining = [s for s in remaining if s not in chosen]
        for step in window.steps:
            state[step.component] = step.to_version
    return result


def _smallest_group(
    deployment: Deployment, state: Mapping[str, Version], steps: list[Step]
) -> list[Step]:
    """An inclusion-minimal prefix-respecting set of steps whose application keeps the
    state compatible (the whole window always does). Tries single steps first, in the
    window's safe order."""

    def ok(chosen: list[Step]) -> bool:
        trial = dict(state)
        for step in chosen:
            trial[step.component] = step.to_version
        return deployment.compatible(trial)

    for step in steps:
        if ok([step]):
            return [step]
    chosen = list(steps)
    for step in reversed(steps):
        smaller = [s for s in chosen if s is not step]
        if smaller and ok(smaller):
            chosen = smaller
    return chosen
