"""Which engine plans which group: the bitmask search (search.py) first, as the fast path,
and OR-Tools CP-SAT (cpsat.py) for a group where the search gives up within its budget,
or for every group at once when `--max-steps` couples their windows.

Why both (measured in bench/bench_plan.py, figures in docs/planner.md): the bitmask search
answers the bundled example and the 2,000-component uniform fleet in a fraction of the
time CP-SAT needs just to import and build its model (ortools takes about 0.3 s to load),
while on layered ecosystems with mixed upgrade paths it runs out of budget, and CP-SAT
proves the optimum in seconds.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from ozrelease.errors import OzReleaseError
from ozrelease.planner import cpsat
from ozrelease.planner.search import Search, SearchLimit
from ozrelease.planner.space import INF, Space

# Expansions the bitmask search may spend on one question before CP-SAT takes the group
# over, divided by the square of the group's size (an expansion of n keys bounds each of
# them, about n^2 work): enough for every uniform fleet and the bundled ecosystem (they
# need a handful), small enough to cost well under a second where the search is the wrong
# tool. Counted, not timed, so that the same inputs always take the same engine and give
# the same plan.
FAST_BUDGET = 1_000_000
# "auto": the search first, CP-SAT where it gives up; "search" or "cp-sat" alone (for the
# benchmark that compares them, and the tests that hold each to the brute-force optimum).
ENGINES = ("auto", "search", "cp-sat")
SEARCH_ALONE_BUDGET = 200_000  # the search's own limit when it plans alone
# Horizons the search deepens through before CP-SAT's schedule model is asked (each
# costs a propagation over every key and window, and the bound can be thousands).
SEARCH_HORIZONS = 4


class Infeasible(Exception):
    """No plan exists for this group (proven)."""

    def __init__(self, group: Sequence[str]):
        super().__init__(", ".join(group))
        self.group = list(group)


class BoundInfeasible(Exception):
    """Plans exist, but none keeps to --max-steps (proven)."""


class Undecided(OzReleaseError):
    """The time limit ran out before either a plan or a proof that none exists."""


class TooLarge(OzReleaseError):
    """The model would need more memory than a planner should take."""


@dataclass(frozen=True)
class Solved:
    trajectories: dict[str, list[int]]  # key -> value index after each window 0..horizon
    horizon: int
    optimal: bool  # False: a time limit ran out before the optimum was proven
    engines: tuple[str, ...]  # per group, the engine that answered ("search" or "cp-sat")
    # not optimal, but the windows are the fewest: fewer steps than the plan's minus this
    # are impossible (the solver's bound); None: unknown
    steps_gap: int | None = None


def solve(
    space: Space,
    work: list[list[str]],
    *,
    high: set[str],
    max_steps: int | None,
    deadline: float | None,
    time_limit: float | None,
    engine: str = "auto",
) -> Solved:
    """Fewest windows, then fewest steps (then fewest non-target steps, then the preferred
    stops) for the groups in `work`, planned over a common horizon."""
    solver = _Solver(space, high, deadline, time_limit, engine)
    if engine == "search" and max_steps is not None:
        raise ValueError("the bitmask search does not plan with max_steps")
    solved = solver.unbounded(work)
    if max_steps is None or _within(solved, max_steps):
        return solved
    keys = sorted(k for group in work for k in group)
    outcome = solver.cp(keys, max_steps=max_steps)
    if outcome.trajectories is None:
        raise BoundInfeasible
    trajectories = cpsat.prefer_stops(space, outcome.trajectories, high)
    gap = None if outcome.optimal else _gap(outcome, 0)
    return Solved(trajectories, outcome.windows, outcome.optimal, ("cp-sat",), gap)


def _gap(outcome: cpsat.Outcome, gap: int | None) -> int | None:
    """The steps a plan may have above the fewest possible, summed over groups."""
    if outcome.optimal or gap is None:
        return gap
    if outcome.steps_bound is None or outcome.trajectories is None:
        return None
    steps = sum(sum(1 for a, b in pairwise(t) if a != b) for t in outcome.trajectories.values())
    return gap + max(0, steps - outcome.steps_bound)


def _within(solved: Solved, max_steps: int) -> bool:
    for t in range(1, solved.horizon + 1):
        moving = sum(1 for tr in solved.trajectories.values() if tr[t] != tr[t - 1])
        if moving > max_steps:
            return False
    return True


class _Solver:
    def __init__(
        self,
        space: Space,
        high: set[str],
        deadline: float | None,
        time_limit: float | None,
        engine: str,
    ):
        self.space = space
        self.high = high
        self.deadline = deadline
        self.time_limit = time_limit
        self.engine = engine
        self.budget = {"auto": FAST_BUDGET, "search": 0, "cp-sat": 0}[engine]

    def fast_budget(self, group: list[str], *, optimize: bool = True) -> int:
        """Looking for the fewest steps an expansion bounds every key (n^2 work); looking
        for any plan it does not (n)."""
        if self.engine == "search":
            return SEARCH_ALONE_BUDGET
        if not self.budget:
            return 0
        if optimize:
            return max(10, self.budget // len(group) ** 2)
        return max(50, 2 * self.budget // len(group))

    def unbounded(self, work: list[list[str]]) -> Solved:
        horizons: list[int] = []
        found: dict[int, cpsat.Outcome] = {}  # group index -> CP-SAT's plan at its horizon
        first: dict[int, dict[str, list[int]]] = {}  # the search's first plan, as a fallback
        engines: list[str] = []
        optimal = True
        gap: int | None = 0
        for index, group in enumerate(work):
            try:
                windows, plan = self._fewest_windows(group)
                if plan is not None:
                    first[index] = plan
                engines.append("search")
            except SearchLimit:
                answer = self.cp(group)
                if answer.trajectories is None:
                    raise Infeasible(group) from None
                found[index] = answer
                optimal &= answer.optimal
                gap = _gap(answer, gap)
                windows = answer.windows
                engines.append("cp-sat")
            if windows is None:
                raise Infeasible(group)
            horizons.append(windows)
        horizon = max(horizons, default=0)
        trajectories: dict[str, list[int]] = {}
        for index, group in enumerate(work):
            outcome: cpsat.Outcome | None = found.get(index)
            if outcome is None or outcome.windows != horizon:
                if engines[index] == "search" and not self._expired():
                    try:
                        solution = Search(
                            self.space,
                            group,
                            horizon,
                            high=self.high,
                            budget_nodes=self.fast_budget(group),
                            deadline=self.deadline,
                        ).solve(optimize=True)
                        assert solution is not None  # feasible at its own horizon
                        trajectories.update(solution.trajectories)
                        continue
                    except SearchLimit:
                        engines[index] = "cp-sat"
                try:
                    outcome = self.cp(group, windows=horizon, hint=first.get(index))
                except Undecided:
                    # Out of time: the plan found at the group's fewest windows is safe,
                    # only not proven to take the fewest steps.
                    outcome = self._fallback(self.space, first.get(index), found.get(index))
                    if outcome is None:
                        raise
                assert outcome is not None and outcome.trajectories is not None
                optimal &= outcome.optimal
                gap = _gap(outcome, gap)
            assert outcome is not None and outcome.trajectories is not None
            for k, trajectory in outcome.trajectories.items():
                trajectories[k] = trajectory + [trajectory[-1]] * (horizon - outcome.windows)
        if "cp-sat" in engines:
            trajectories = cpsat.prefer_stops(self.space, trajectories, self.high)
        return Solved(trajectories, horizon, optimal, tuple(engines), None if optimal else gap)

    def _expired(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    @staticmethod
    def _fallback(
        space: Space, plan: dict[str, list[int]] | None, outcome: cpsat.Outcome | None
    ) -> cpsat.Outcome | None:
        if outcome is not None:
            return cpsat.Outcome(outcome.trajectories, outcome.windows, False)
        if plan is not None:
            # The search deepened to these windows, so they are the fewest; the steps are
            # bounded below by each key's own fewest steps to its target.
            windows = len(next(iter(plan.values()))) - 1
            bound = sum(
                node.from_start[node.target]
                for k in plan
                if (node := space.nodes[k]).target is not None
            )
            return cpsat.Outcome(plan, windows, False, steps_bound=bound)
        return None

    def _fewest_windows(self, group: list[str]) -> tuple[int | None, dict[str, list[int]] | None]:
        """The bitmask search deepening the horizon: the fewest windows and a first plan
        with that many; None: no plan (proven)."""
        nodes = [self.space.nodes[k] for k in group]
        lower = max([n.from_start[n.target] for n in nodes if n.target is not None] + [1])
        if lower >= INF or any(not n.valid for n in nodes):
            return None, None  # a target out of reach, or a key with nowhere safe to be
        # Without empty windows a plan has at most this many: every window moves something.
        upper = max(lower, cpsat.horizon_bound(self.space, group))
        spent = 0
        last = upper if self.engine == "search" else min(upper, lower + SEARCH_HORIZONS - 1)
        for horizon in range(lower, last + 1):
            search = Search(
                self.space,
                group,
                horizon,
                high=self.high,
                budget_nodes=self.fast_budget(group, optimize=False) - spent,
                deadline=self.deadline,
            )
            solution = search.solve(optimize=False)
            if solution is not None:
                return horizon, solution.trajectories
            spent += max(1, search.expanded)  # a horizon refuted by propagation alone too
        if last < upper:
            raise SearchLimit  # many more windows than the lower bound: CP-SAT's to find
        return None, None

    def cp(
        self,
        keys: list[str],
        *,
        windows: int | None = None,
        max_steps: int | None = None,
        hint: dict[str, list[int]] | None = None,
    ) -> cpsat.Outcome:
        if self.engine == "search":
            raise OzReleaseError(
                "the search for a plan reached its limit before it could prove the best plan"
            )
        try:
            outcome = cpsat.plan_keys(
                self.space,
                keys,
                high=self.high,
                max_steps=max_steps,
                deadline=self.deadline,
                windows=windows,
                hint=hint,
            )
        except cpsat.ModelTooLarge:
            raise TooLarge(
                f"planning {len(keys)} components together would need a model of more than "
                f"{cpsat.MODEL_CAP:,} terms; plan fewer components at a time (several --to) "
                "or pin some (--to NAME=VERSION)"
            ) from None
        if not outcome.decided:
            limit = f"{self.time_limit:g} s" if self.time_limit is not None else "the limit"
            raise Undecided(
                f"the time limit ({limit}) ran out before a plan was found or proven "
                "impossible; give more time (--time-limit SECONDS)"
            )
        return outcome
