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
import time
from collections import deque
from collections.abc import Mapping, Sequence

from ozrelease import gcpause
from ozrelease.ecosystem.compat import Deployment
from ozrelease.ecosystem.model import LATEST, Component, Release, component_of
from ozrelease.errors import OzReleaseError, UsageError
from ozrelease.planner.engine import ENGINES, BoundInfeasible, Infeasible, solve
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
from ozrelease.planner.space import Space, build, groups, tighten
from ozrelease.planner.verify import verify_plan
from ozrelease.versions import Version, parse_version
from ozrelease.wording import plural

__all__ = ["TIME_LIMIT", "Plan", "plan", "resolve_targets"]

# Seconds the planner may take by default before it answers with the best plan found so
# far (marked "not proven optimal"); a hostile or huge input never hangs it.
TIME_LIMIT = 60.0


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
    max_steps: int | None = None,
    time_limit: float | None = TIME_LIMIT,
    engine: str = "auto",
) -> Plan:
    """Plan the upgrade of `deployment` to the requested targets (CONTRACT §2).

    `max_steps`: at most that many steps (components moving) per window, still fewest
    windows then fewest steps under that bound. `time_limit` (seconds, None: none): when it
    runs out, the best plan found so far, marked `optimal=False`; without one, an error.
    `engine`: "auto" (the bitmask search first, CP-SAT where it gives up), or one alone
    (for the benchmark and the tests)."""
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r} (one of {', '.join(ENGINES)})")
    if max_steps is not None and max_steps < 1:
        raise UsageError(f"--max-steps {max_steps}: give at least 1")
    if time_limit is not None and not time_limit > 0:
        raise UsageError(f"--time-limit {time_limit:g}: give a number of seconds above 0")
    with gcpause.paused():
        return _plan(
            deployment,
            requests,
            strategy=strategy,
            prefer=prefer,
            on=on,
            max_steps=max_steps,
            time_limit=time_limit,
            engine=engine,
        )


def _plan(
    deployment: Deployment,
    requests: Sequence[str] | None,
    *,
    strategy: str,
    prefer: str,
    on: dt.date | None,
    max_steps: int | None,
    time_limit: float | None,
    engine: str,
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
        PlanProblem("broken-now", f"broken now: {deployment.explain(v)}", v.components)
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
            "downgrade",
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

    deadline = None if time_limit is None else time.monotonic() + time_limit
    try:
        solved = solve(
            space,
            work,
            high=high,
            max_steps=max_steps,
            deadline=deadline,
            time_limit=time_limit,
            engine=engine,
        )
    except Infeasible as exc:
        problems, furthest = explain_infeasible(space, exc.group, targets)
        return infeasible(problems, furthest)
    except BoundInfeasible:
        return infeasible(_bound_problems(deployment, space, work, max_steps, deadline), None)
    trajectories, horizon = solved.trajectories, solved.horizon
    if not solved.optimal:
        limit = f"{time_limit:g} s" if time_limit is not None else "none"
        how_far = (
            f"the windows are the fewest possible, and at most {solved.steps_gap} "
            f"step{'s' if solved.steps_gap != 1 else ''} fewer could do"
            if solved.steps_gap is not None
            else "a plan with fewer windows or steps may exist"
        )
        warnings.append(
            PlanProblem(
                "not-optimal",
                f"not proven optimal: the time limit ({limit}) ran out before the solver "
                f"proved this plan the best; it is safe and verified, {how_far} (give more "
                "time with --time-limit SECONDS)",
                (),
            )
        )
    windows = _windows(space, trajectories, horizon, targets)
    if strategy == "one-at-a-time":
        windows = _one_at_a_time(deployment, start, windows)
    final = dict(start)
    for window in windows:
        for step in window.steps:
            final[step.component] = step.to_version
    result = Plan(
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
        optimal=solved.optimal,
        max_steps=max_steps,
    )
    if "cp-sat" in solved.engines:
        # The solver's plans pass the planner's own verifier, which only replays the steps,
        # before anyone sees them. (The search's plans are held to it by the tests and the
        # benchmarks; replaying a 2,000-component window here would double the fleet's time.)
        checked = verify_plan(deployment, result)
        if checked.problems:
            raise AssertionError(f"the solver made a plan the verifier refuses: {checked.problems}")
    return result


def _bound_problems(
    deployment: Deployment,
    space: Space,
    work: list[list[str]],
    max_steps: int | None,
    deadline: float | None,
) -> list[PlanProblem]:
    """Plans exist, but none keeps to --max-steps: say so, and name a set of components
    that must move in one window when a plan without the bound shows one."""
    assert max_steps is not None
    keys = sorted(k for group in work for k in group)
    bound = (
        f"no safe plan moves at most {plural(max_steps, 'component')} "
        f"per window (--max-steps {max_steps})"
    )
    try:
        solved = solve(space, work, high=set(), max_steps=None, deadline=deadline, time_limit=None)
    except OzReleaseError:  # out of time for the illustration: the proof stands alone
        return [PlanProblem("max-steps", bound, tuple(keys))]
    windows = _windows(space, solved.trajectories, solved.horizon, {})
    largest = max((len(w.steps) for w in windows), default=0)
    problems = [
        PlanProblem(
            "max-steps",
            f"{bound}; without the bound a plan exists whose largest window moves {largest}",
            tuple(keys),
        )
    ]
    state = dict(deployment.environment.deployed)
    for window in _one_at_a_time(deployment, state, windows):
        if len(window.steps) > max_steps:
            names = [s.component for s in window.steps]
            problems.append(
                PlanProblem(
                    "must-move-together",
                    f"{', '.join(names)} must move together: no order of their steps keeps "
                    "every state in between compatible",
                    tuple(sorted(names)),
                )
            )
            break
    return problems


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
                    "eol",
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
