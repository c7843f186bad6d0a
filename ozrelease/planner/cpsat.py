"""The constraint-solver engine: a group of keys planned by OR-Tools CP-SAT, where the
bitmask search (search.py) gives up. ortools is imported only when a plan needs it.

Two models (docs/planner.md, "Step 3b"):

- `Steps`, time-indexed, over a known horizon of T windows: one unit of flow per key
  through its releases after each window (an arc steps or stays); a release and the
  neighbour's releases it rules out are at most one per window; minimise steps, then
  steps of keys nobody asked to move. Its relaxation is tight, so it proves the fewest
  steps; tried first at the lower bound of windows and the two horizons after it (the
  first horizon with a plan is the fewest windows).
- `Model`, a schedule, for the fewest windows beyond that: every candidate release i of
  key k is a *stop*, visited or not (`v[k][i]`), occupied over the states [S, E) (the
  state after window t is t); the visited stops form a chain of allowed steps from the
  deployed release, each reached at least one window after the previous one; two
  incompatible releases are never occupied at once (a no-overlap of their optional
  intervals, from state 1 on: the deployed state may be broken, the states after windows
  may not). The windows used are the makespan, so its size does not grow with the number
  of windows (the horizon bound can be thousands).

The newest stops that keep the plan that short are not a solver objective: proving a sum
over every stop optimal took the solver minutes on 50 components, while moving each stop
to the newest release that keeps the plan as it is (`prefer_stops`) is what the contract
asks and takes milliseconds.

`--max-steps N`: at most N arcs that step per window (Steps), a cumulative (Model).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

from ozrelease.planner.search import Search
from ozrelease.planner.space import INF, Node, Space, bits

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

# A model larger than this (variables plus constraint terms) would take more memory than a
# planner should (several GB inside the solver); refuse it with a clear message instead.
MODEL_CAP = 3_000_000


class ModelTooLarge(Exception):
    """The model would exceed MODEL_CAP terms."""


@dataclass(frozen=True)
class Outcome:
    """What the solver found for a set of keys."""

    # key -> value index after each window 0..horizon; None: proven that no plan exists
    trajectories: dict[str, list[int]] | None
    windows: int  # the makespan of the plan found (0 when infeasible)
    optimal: bool  # every objective proven optimal (False: a time limit was hit)
    decided: bool = True  # False: the time ran out before a plan or a proof was found
    # not optimal: no plan over these windows takes fewer steps than this (the solver's bound)
    steps_bound: int | None = None


class _Stops:
    """The variables of one key."""

    def __init__(self, key: str, values: list[int]):
        self.key = key
        self.values = values  # candidate indices, ascending; values[0] == 0 (deployed)
        self.visit: dict[int, cp_model.IntVar] = {}
        self.start: dict[int, cp_model.IntVar] = {}
        self.end: dict[int, cp_model.IntVar] = {}
        self.interval: dict[int, cp_model.IntervalVar] = {}


class Model:
    """A CP-SAT model of planning `keys` over `space` (see the module docstring)."""

    def __init__(
        self,
        space: Space,
        keys: Sequence[str],
        *,
        high: set[str],
        max_steps: int | None,
        horizon: int,
    ):
        from ortools.sat.python import cp_model

        self.space = space
        self.keys = list(keys)
        self.high = high
        self.H = horizon
        self.model = cp_model.CpModel()
        self.stops: dict[str, _Stops] = {}
        self._size = 0
        m = self.model
        H = horizon
        self.makespan = m.new_int_var(0, H, "windows")
        for k in self.keys:
            node = space.nodes[k]
            values = [0] + [i for i in bits(node.valid & ~1) if node.from_start[i] < INF]
            if node.target is not None:
                values = [i for i in values if i == 0 or node.to_target[i] < INF]
            s = _Stops(k, values)
            self.stops[k] = s

            def left(i: int, node: Node = node) -> int:
                """Steps still needed after reaching i (0 for keys without a target)."""
                return node.to_target[i] if node.target is not None else 0

            last = {}
            for i in values:
                s.visit[i] = m.new_constant(1) if i == 0 else m.new_bool_var(f"v[{k},{i}]")
                last[i] = m.new_bool_var(f"last[{k},{i}]")
                m.add_implication(last[i], s.visit[i])
                if i == 0:
                    s.start[i] = m.new_constant(0)
                    s.end[i] = m.new_int_var(1, H + 1 - left(i), f"E[{k},{i}]")
                    # Still there after window 1 (no interval of size zero: leaving in
                    # window 1 means it is never occupied in a state that must hold).
                    stays = m.new_bool_var(f"stay[{k}]")
                    m.add(s.end[i] >= 2).only_enforce_if(stays)
                    m.add(s.end[i] == 1).only_enforce_if(~stays)
                    size = m.new_int_var(1, H, f"d[{k},{i}]")
                    s.interval[i] = m.new_optional_interval_var(
                        m.new_constant(1), size, s.end[i], stays, f"iv[{k},{i}]"
                    )
                    if not node.valid & 1:  # broken now: must move in the first window
                        m.add(stays == 0)
                else:
                    # Reached no sooner than its distance from the deployed release, and
                    # early enough to reach the target by the last window.
                    low = max(1, node.from_start[i])
                    latest = H - left(i)
                    if low > latest:
                        m.add(s.visit[i] == 0)
                        latest = low
                    s.start[i] = m.new_int_var(low, latest, f"S[{k},{i}]")
                    s.end[i] = m.new_int_var(low + 1, H + 1 - left(i), f"E[{k},{i}]")
                    size = m.new_int_var(1, H, f"d[{k},{i}]")
                    s.interval[i] = m.new_optional_interval_var(
                        s.start[i], size, s.end[i], s.visit[i], f"iv[{k},{i}]"
                    )
                    m.add(s.start[i] <= self.makespan).only_enforce_if(s.visit[i])
                m.add(s.end[i] == H + 1).only_enforce_if(last[i])
            m.add_exactly_one(last.values())
            incoming: dict[int, list[cp_model.IntVar]] = {i: [] for i in values}
            for i in values:
                outgoing = []
                for j in bits(node.succ[i] & ~((2 << i) - 1)):
                    if j not in s.visit:
                        continue
                    arc = m.new_bool_var(f"a[{k},{i},{j}]")
                    m.add(s.start[j] == s.end[i]).only_enforce_if(arc)
                    outgoing.append(arc)
                    incoming[j].append(arc)
                    self._size += 3
                m.add(sum(outgoing) + last[i] == s.visit[i])
            for i in values[1:]:
                m.add(sum(incoming[i]) == s.visit[i])
            if node.target is not None:
                m.add(s.visit[node.target] == 1)
            self._size += 8 * len(values)
            self._check_size()
        members = set(self.keys)
        for k in self.keys:
            for p in space.neighbours[k]:
                if p not in members or p < k:
                    continue
                table = space.sup[(k, p)]
                mine, theirs = self.stops[k], self.stops[p]
                for i in mine.values:
                    bad = [j for j in theirs.values if not table[i] >> j & 1]
                    if bad:
                        m.add_no_overlap([mine.interval[i]] + [theirs.interval[j] for j in bad])
                        self._size += 1 + len(bad)
                self._check_size()
        if max_steps is not None:
            moves = [
                m.new_optional_fixed_size_interval_var(s.start[i], 1, s.visit[i], f"mv[{k},{i}]")
                for k, s in self.stops.items()
                for i in s.values[1:]
            ]
            m.add_cumulative(moves, [1] * len(moves), max_steps)
        linear = cp_model.LinearExpr
        moved = [(k, i, v) for k, s in self.stops.items() for i, v in s.visit.items() if i]
        self.steps = linear.sum([v for _, _, v in moved])
        self.nontarget_steps = linear.sum([v for k, _, v in moved if space.nodes[k].target is None])

    def _check_size(self) -> None:
        if self._size > MODEL_CAP:
            raise ModelTooLarge

    def solve(
        self, deadline: float | None, *, first: int = 0, last: int = 1, workers: int = 1
    ) -> Outcome:
        """Solve the objectives in turn (fewest windows, then steps) from stage
        `first` on, within the deadline (a time.monotonic() value)."""
        from ortools.sat.python import cp_model

        m = self.model
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = workers
        solver.parameters.random_seed = 0
        optimal = True
        best: dict[str, dict[int, tuple[int, int]]] | None = None  # key -> value -> (S, E)
        values = sum(len(s.values) for s in self.stops.values())
        stages = [
            self.makespan,
            # nontarget_steps <= steps < values: fewest steps first, then fewest non-target
            self.steps * (values + 1) + self.nontarget_steps,
        ][first : last + 1]
        for number, objective in enumerate(stages):
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0.01:
                    if best is None:
                        return Outcome(None, 0, False, decided=False)
                    optimal = False
                    break
                solver.parameters.max_time_in_seconds = left
            m.minimize(objective)
            status = solver.solve(m)
            if status == cp_model.INFEASIBLE and number == 0:
                return Outcome(None, 0, True)
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                if best is None:
                    return Outcome(None, 0, False, decided=False)
                optimal = False
                break
            best = self._read(solver)
            value = int(solver.value(objective))
            if status != cp_model.OPTIMAL:
                optimal = False
            # Later stages keep this stage at least as good as what was found.
            m.add(objective <= value)
            self._hint(best)
        assert best is not None
        return self._outcome(best, optimal)

    def hint_trajectories(self, trajectories: dict[str, list[int]]) -> None:
        """Start the solver from a known plan."""
        stops: dict[str, dict[int, tuple[int, int]]] = {}
        for k, trajectory in trajectories.items():
            horizon = len(trajectory) - 1
            found: dict[int, tuple[int, int]] = {}
            for t, i in enumerate(trajectory):
                if i not in found:
                    found[i] = (t, self.H + 1)
                if t and trajectory[t - 1] != i:
                    previous = trajectory[t - 1]
                    found[previous] = (found[previous][0], t)
            del horizon
            stops[k] = found
        self._hint(stops)

    def _read(self, solver: cp_model.CpSolver) -> dict[str, dict[int, tuple[int, int]]]:
        found: dict[str, dict[int, tuple[int, int]]] = {}
        for k, s in self.stops.items():
            found[k] = {
                i: (solver.value(s.start[i]), solver.value(s.end[i]))
                for i in s.values
                if solver.value(s.visit[i])
            }
        return found

    def _hint(self, best: dict[str, dict[int, tuple[int, int]]]) -> None:
        m = self.model
        m.clear_hints()  # type: ignore[no-untyped-call]
        for k, s in self.stops.items():
            chosen = best[k]
            for i in s.values:
                if i:
                    m.add_hint(s.visit[i], i in chosen)
                if i in chosen:
                    if i:
                        m.add_hint(s.start[i], chosen[i][0])
                    m.add_hint(s.end[i], chosen[i][1])

    def _outcome(self, best: dict[str, dict[int, tuple[int, int]]], optimal: bool) -> Outcome:
        # Windows are renumbered 1..W over the windows where something moves.
        used = sorted({start for stops in best.values() for i, (start, _) in stops.items() if i})
        number = {w: n for n, w in enumerate(used, start=1)}
        horizon = len(used)
        trajectories: dict[str, list[int]] = {}
        for k, stops in best.items():
            trajectory = [0] * (horizon + 1)
            for i, (start, _) in sorted(stops.items()):
                if i:
                    for t in range(number[start], horizon + 1):
                        trajectory[t] = i
            trajectories[k] = trajectory
        return Outcome(trajectories, horizon, optimal)


# Horizons above the lower bound tried with the time-indexed model before the schedule
# model is asked for the fewest windows.
DEEPEN = 2


def lower_bound(space: Space, keys: Sequence[str], max_steps: int | None) -> int:
    """No plan takes fewer windows than its longest chain of required stops, nor (with
    --max-steps) fewer than its fewest steps spread N to a window."""
    nodes = [space.nodes[k] for k in keys]
    needed = [n.from_start[n.target] for n in nodes if n.target is not None]
    lower = max([*needed, 1])
    if max_steps is not None:
        lower = max(lower, -(-sum(needed) // max_steps))
    return lower


def horizon_bound(space: Space, keys: Sequence[str]) -> int:
    """No plan needs more windows than all its steps one by one: every window moves
    something, and a key steps at most once per newer candidate."""
    return max(1, sum(bin(space.nodes[k].valid | 1).count("1") - 1 for k in keys))


class Steps:
    """The fewest steps over a fixed horizon of T windows: a time-indexed model, whose
    linear relaxation is far tighter than the schedule's once T is known (on 200 layered
    components the schedule model left a gap of 10% after a minute; this one closes it).

    y[k][t][i]: key k is at its i-th candidate after window t, one unit of flow per key
    along arcs f[k][t][i][j] (an allowed step i -> j in window t, or staying); a release
    incompatible with a neighbour's never shares a window with it (one linear row per
    release and neighbour: it, plus the neighbour's releases it rules out, at most one);
    targets at the end. Steps: the arcs that move."""

    def __init__(
        self,
        space: Space,
        keys: Sequence[str],
        *,
        horizon: int,
        max_steps: int | None,
        domains: Mapping[str, list[int]] | None = None,
    ):
        from ortools.sat.python import cp_model

        self.space = space
        self.keys = list(keys)
        self.T = T = horizon
        self.model = m = cp_model.CpModel()
        self.at: dict[str, list[dict[int, cp_model.IntVar]]] = {}
        self.arcs: list[tuple[str, int, int, int, cp_model.IntVar]] = []  # k, t, from, to
        size = 0
        moves: list[tuple[str, int, cp_model.IntVar]] = []  # (key, window, arc that steps)
        for k in self.keys:
            node = space.nodes[k]
            rows: list[dict[int, cp_model.IntVar]] = [{0: m.new_constant(1)}]
            for t in range(1, T + 1):
                row = {}
                for i in bits(node.valid if domains is None else domains[k][t]):
                    if node.from_start[i] <= t and (
                        node.target is None or node.to_target[i] <= T - t
                    ):
                        row[i] = m.new_bool_var(f"y[{k},{t},{i}]")
                if not row:
                    raise _NoPlan
                # One unit of flow per key through the time-expanded graph of its steps
                # (staying is an arc too): the relaxation of a flow is integral on its own.
                into: dict[int, list[cp_model.IntVar]] = {j: [] for j in row}
                for i, here in rows[t - 1].items():
                    out = []
                    for j in row:
                        if j >= i and node.succ[i] >> j & 1:
                            arc = m.new_bool_var(f"f[{k},{t},{i},{j}]")
                            self.arcs.append((k, t, i, j, arc))
                            out.append(arc)
                            into[j].append(arc)
                            if j != i:
                                moves.append((k, t, arc))
                    m.add(sum(out) == here)
                for j, var in row.items():
                    m.add(sum(into[j]) == var)
                size += len(row) * 4
                rows.append(row)
            if node.target is not None:
                if node.target not in rows[T]:
                    raise _NoPlan
                m.add(rows[T][node.target] == 1)
            self.at[k] = rows
            if size > MODEL_CAP:
                raise ModelTooLarge
        members = set(self.keys)
        for k in self.keys:
            for p in space.neighbours[k]:
                if p not in members:
                    continue
                table = space.sup[(k, p)]
                for t in range(1, T + 1):
                    theirs = self.at[p][t]
                    for i, var in self.at[k][t].items():
                        bad = [v for j, v in theirs.items() if not table[i] >> j & 1]
                        if bad:
                            m.add(var + sum(bad) <= 1)
                            size += 1 + len(bad)
            if size > MODEL_CAP:
                raise ModelTooLarge
        if max_steps is not None:
            for t in range(1, T + 1):
                m.add(sum(arc for _, w, arc in moves if w == t) <= max_steps)
        total = len(moves)
        linear = cp_model.LinearExpr
        steps = linear.sum([arc for _, _, arc in moves])
        nontarget = linear.sum([arc for k, _, arc in moves if space.nodes[k].target is None])
        # nontarget <= steps <= total: fewest steps first, then fewest non-target steps
        m.minimize(steps * (total + 1) + nontarget)
        self.weight = total + 1

    def hint(self, trajectories: dict[str, list[int]]) -> None:
        for k, rows in self.at.items():
            trajectory = trajectories.get(k)
            if trajectory is None:
                continue
            for t in range(1, self.T + 1):
                here = trajectory[min(t, len(trajectory) - 1)]
                for i, var in rows[t].items():
                    self.model.add_hint(var, i == here)
        # The arcs too: a complete hint is a solution the solver starts from at once.
        for k, t, i, j, arc in self.arcs:
            trajectory = trajectories.get(k)
            if trajectory is not None:
                last = len(trajectory) - 1
                self.model.add_hint(
                    arc, trajectory[min(t - 1, last)] == i and trajectory[min(t, last)] == j
                )

    def solve(self, deadline: float | None, *, workers: int = 1) -> Outcome:
        from ortools.sat.python import cp_model

        solver = cp_model.CpSolver()
        solver.parameters.num_workers = workers
        solver.parameters.random_seed = 0
        # The linear relaxation is what proves the fewest steps here (measured: level 2
        # closes in seconds a gap that level 1 leaves at 25% after a minute).
        solver.parameters.linearization_level = 2
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0.01:
                return Outcome(None, 0, False, decided=False)
            solver.parameters.max_time_in_seconds = left
        status = solver.solve(self.model)
        if status == cp_model.INFEASIBLE:
            return Outcome(None, 0, True)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return Outcome(None, 0, False, decided=False)
        trajectories = {
            k: [next(i for i, var in row.items() if solver.value(var)) for row in rows]
            for k, rows in self.at.items()
        }
        optimal = status == cp_model.OPTIMAL
        # The solver's bound, or each key's own fewest steps to its target if that is more.
        own = sum(
            n.from_start[n.target]
            for k in self.keys
            if (n := self.space.nodes[k]).target is not None
        )
        bound = None if optimal else max(own, int(solver.best_objective_bound) // self.weight)
        return Outcome(trajectories, self.T, optimal, steps_bound=bound)


def _fewest_steps(
    space: Space,
    keys: Sequence[str],
    horizon: int,
    *,
    high: set[str],
    max_steps: int | None,
    deadline: float | None,
    hint: dict[str, list[int]] | None = None,
) -> Outcome:
    """The fewest steps over `horizon` windows. The search's arc consistency runs first:
    keys it leaves one trajectory are decided, and the rest falls apart into parts that no
    longer constrain each other (on layered ecosystems, components that must step in every
    window cut the layers apart), each a much smaller model. With --max-steps the windows
    couple every key, so the model stays whole."""
    if max_steps is not None:
        return _steps_model(space, keys, horizon, max_steps, None, deadline, hint)
    search = Search(space, list(keys), horizon, high=high)
    domains = search.initial()
    if domains is None:
        return Outcome(None, 0, True)  # propagation alone refutes this horizon
    decided = {
        k: [m.bit_length() - 1 for m in domains[k]]
        for k in keys
        if all(m & (m - 1) == 0 for m in domains[k])
    }
    rest = [k for k in keys if k not in decided]
    trajectories = dict(decided)
    optimal = True
    bound = _count(decided)
    for part in search._split(rest, domains) if rest else []:
        found = _steps_model(space, part, horizon, None, domains, deadline, hint)
        if found.trajectories is None and not found.decided and hint is not None:
            # Out of time for this part: the plan in hand is valid for it (parts are
            # independent given the domains, and a plan's values survive propagation).
            own = {k: hint[k] for k in part}
            found = Outcome(
                _pad(own, horizon), horizon, False, steps_bound=_fewest_own(space, part)
            )
        if found.trajectories is None:
            return found  # no plan (or out of time before one)
        trajectories.update(found.trajectories)
        optimal &= found.optimal
        if found.optimal:
            bound += sum(
                sum(1 for a, b in pairwise(t) if a != b) for t in found.trajectories.values()
            )
        else:
            bound += found.steps_bound or 0
    return Outcome(trajectories, horizon, optimal, steps_bound=None if optimal else bound)


def _fewest_own(space: Space, keys: Sequence[str]) -> int:
    """No plan takes fewer steps than each key's own fewest to its target."""
    return sum(n.from_start[n.target] for k in keys if (n := space.nodes[k]).target is not None)


def _count(trajectories: Mapping[str, list[int]]) -> int:
    """The steps of a plan."""
    return sum(sum(1 for a, b in pairwise(t) if a != b) for t in trajectories.values())


def _steps_model(
    space: Space,
    keys: Sequence[str],
    horizon: int,
    max_steps: int | None,
    domains: Mapping[str, list[int]] | None,
    deadline: float | None,
    hint: dict[str, list[int]] | None,
) -> Outcome:
    try:
        model = Steps(space, keys, horizon=horizon, max_steps=max_steps, domains=domains)
    except _NoPlan:
        return Outcome(None, 0, True)
    if hint is not None:
        model.hint(hint)
    return model.solve(deadline)


class _NoPlan(Exception):
    """A key has no value it can be at in some window: no plan at this horizon."""


def plan_keys(
    space: Space,
    keys: Sequence[str],
    *,
    high: set[str],
    max_steps: int | None,
    deadline: float | None,
    windows: int | None = None,
    hint: dict[str, list[int]] | None = None,
    workers: int = 1,
) -> Outcome:
    """Plan `keys` with CP-SAT: the fewest windows (the schedule model, unless `windows`
    gives the horizon), then the fewest steps over that many (the time-indexed model),
    starting from `hint` (key -> value after each window, as the search gives) or from
    the schedule's plan."""
    optimal = True
    if windows is None:
        bound = horizon_bound(space, keys)
        lower = lower_bound(space, keys, max_steps)
        # Most plans take as many windows as the longest chain of stops demands, or one or
        # two more: try those horizons with the tight model first (the first that has a
        # plan is the fewest windows, and its plan the fewest steps).
        for horizon in range(lower, min(bound, lower + DEEPEN) + 1):
            found = _fewest_steps(
                space, keys, horizon, high=high, max_steps=max_steps, deadline=deadline
            )
            if found.trajectories is not None or not found.decided:
                return found
        if bound <= lower + DEEPEN:
            return Outcome(None, 0, True)
        schedule = Model(space, keys, high=high, max_steps=max_steps, horizon=bound)
        schedule.model.add(schedule.makespan >= lower + DEEPEN + 1)
        first = schedule.solve(deadline, last=0, workers=workers)
        if first.trajectories is None:
            return first
        windows, hint, optimal = first.windows, first.trajectories, first.optimal
    found = _fewest_steps(
        space, keys, windows, high=high, max_steps=max_steps, deadline=deadline, hint=hint
    )
    if found.trajectories is None and hint is not None and not found.decided:
        # Out of time: the plan in hand is safe, only not proven to take the fewest steps
        # (no fewer than each key's own fewest steps to its target, at least).
        bound = sum(
            n.from_start[n.target] for k in keys if (n := space.nodes[k]).target is not None
        )
        return Outcome(_pad(hint, windows), windows, False, steps_bound=bound if optimal else None)
    return Outcome(
        found.trajectories,
        found.windows,
        found.optimal and optimal,
        found.decided,
        found.steps_bound if optimal else None,
    )


def _pad(trajectories: dict[str, list[int]], horizon: int) -> dict[str, list[int]]:
    return {k: t + [t[-1]] * (horizon + 1 - len(t)) for k, t in trajectories.items()}


def prefer_stops(
    space: Space, trajectories: dict[str, list[int]], high: set[str]
) -> dict[str, list[int]]:
    """Each stop moved to the newest release (for `high` keys; the oldest for the others)
    that keeps the plan as it is: the same windows, the same steps, every step still
    allowed, every state after a window still compatible. Repeats until nothing moves
    (every move goes one way, so it ends)."""
    result = {k: list(t) for k, t in trajectories.items()}
    changed = True
    while changed:
        changed = False
        for k in sorted(result):
            if _improve(space, result, k, k in high):
                changed = True
    return result


def _improve(space: Space, plan: dict[str, list[int]], k: str, high: bool) -> bool:
    node = space.nodes[k]
    trajectory = plan[k]
    horizon = len(trajectory) - 1
    moved = False
    # stops: (value, first state, last state + 1); the deployed one never changes
    t = 1
    while t <= horizon:
        if trajectory[t] == trajectory[t - 1]:
            t += 1
            continue
        start = t
        while t + 1 <= horizon and trajectory[t + 1] == trajectory[start]:
            t += 1
        end = t + 1
        value, before = trajectory[start], trajectory[start - 1]
        after = trajectory[end] if end <= horizon else None
        if after is None and node.target is not None:
            t = end
            continue  # the target itself stays
        options = [
            i
            for i in bits(node.valid & node.succ[before] & ~(1 << before))
            if (after is None or node.succ[i] >> after & 1)
            and (after is None or i < after)
            and (i > value if high else i < value)
            and _fits(space, plan, k, i, start, end)
        ]
        if options:
            best = max(options) if high else min(options)
            for time_ in range(start, end):
                trajectory[time_] = best
            moved = True
        t = end
    return moved


def _fits(space: Space, plan: dict[str, list[int]], k: str, i: int, start: int, end: int) -> bool:
    """k at value i over the states start..end-1 is compatible with every neighbour."""
    for p in space.neighbours[k]:
        other = plan.get(p)
        for t in range(start, end):
            j = other[t] if other is not None else 0
            if not space.compatible(k, i, p, j):
                return False
    return True
