"""The exact search: for a horizon of T windows, a constraint problem over x[k][t] (the
release of key k after window t), solved by branch and bound with arc consistency.

Variables are bitmask domains. Constraints: x[k][0] is the deployed release; x[k][t] is
x[k][t-1] or one allowed step above it; neighbours are compatible after every window; a
target is at its version after window T. Cost: steps, then steps of non-targets. Keys that
stop interacting once some are decided are solved apart (the dynamic form of "independent
groups planned apart").
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from time import monotonic

from ozrelease.planner.space import INF, Node, Space, bits, bits_desc

# cost of one step; a step of a component nobody asked to move costs one more, so that
# among plans with as few steps, non-targets move least
STEP = 10_000
NONTARGET = 1

Domains = dict[str, list[int]]  # key -> mask per t in 0..T


@dataclass(frozen=True)
class Solution:
    cost: int
    trajectories: dict[str, list[int]]  # key -> value index per t in 0..T

    @property
    def steps(self) -> int:
        return self.cost // STEP


class Search:
    """Plans one group of keys over a fixed horizon."""

    def __init__(
        self,
        space: Space,
        keys: list[str],
        horizon: int,
        *,
        high: set[str],
        budget_nodes: int = 200_000,
        deadline: float | None = None,
    ):
        self.space = space
        self.keys = keys
        self.members = set(keys)
        self.T = horizon
        # keys whose preferred values are the newest; the others prefer the oldest release
        # series that works, at its newest patch (vendors advise the latest patch)
        self.high = high
        self.least_change = {k: _least_change_order(space.nodes[k]) for k in keys if k not in high}
        self.nodes: dict[str, Node] = {k: space.nodes[k] for k in keys}
        self.neighbours = {k: [p for p in space.neighbours[k] if p in self.members] for k in keys}
        self.expanded = 0
        self.budget_nodes = budget_nodes
        self.deadline = deadline  # a monotonic() value, or None

    # ------------------------------------------------------------------ domains

    def initial(self) -> Domains | None:
        T = self.T
        dom: Domains = {}
        for k, node in self.nodes.items():
            masks = [1]
            for t in range(1, T + 1):
                mask = 0
                for i in bits(node.valid):
                    if node.from_start[i] <= t and (
                        node.target is None or node.to_target[i] <= T - t
                    ):
                        mask |= 1 << i
                masks.append(mask)
            if node.target is not None:
                masks[T] &= 1 << node.target
            dom[k] = masks
        queue = [(k, t) for k in self.keys for t in range(1, T + 1)]
        return dom if self.propagate(dom, queue) else None

    def propagate(self, dom: Domains, queue: list[tuple[str, int]]) -> bool:
        """Arc consistency: drop every value without support; False on a wiped-out domain."""
        T = self.T
        sup = self.space.sup
        pending = set(queue)
        while queue:
            k, t = queue.pop()
            pending.discard((k, t))
            node = self.nodes[k]
            here = dom[k][t]
            if here == 0:
                return False
            changed: list[tuple[str, int, int]] = []
            if t < T:
                reach = 0
                for i in bits(here):
                    reach |= node.succ[i]
                changed.append((k, t + 1, dom[k][t + 1] & reach))
            if t > 1:
                back = 0
                for i in bits(here):
                    back |= node.pred[i]
                changed.append((k, t - 1, dom[k][t - 1] & back))
            if t >= 1:
                for p in self.neighbours[k]:
                    table = sup[(k, p)]
                    allowed = 0
                    for i in bits(here):
                        allowed |= table[i]
                    changed.append((p, t, dom[p][t] & allowed))
            for key, time, new in changed:
                if new != dom[key][time]:
                    if new == 0:
                        return False
                    dom[key][time] = new
                    if (key, time) not in pending:
                        pending.add((key, time))
                        queue.append((key, time))
        return True

    # ------------------------------------------------------------------ costs

    def _move_cost(self, k: str) -> int:
        return STEP + (0 if self.nodes[k].is_target else NONTARGET)

    def _suffix(self, k: str, masks: list[int]) -> list[dict[int, int]]:
        """suffix[t][i]: the cheapest way from value i after window t to the end."""
        node = self.nodes[k]
        move = self._move_cost(k)
        T = self.T
        suffix: list[dict[int, int]] = [{} for _ in range(T + 1)]
        suffix[T] = dict.fromkeys(bits(masks[T]), 0)
        for t in range(T - 1, -1, -1):
            nxt = suffix[t + 1]
            row: dict[int, int] = {}
            for i in bits(masks[t]):
                best = INF
                for j in bits(node.succ[i] & masks[t + 1]):
                    c = nxt.get(j, INF) + (0 if j == i else move)
                    if c < best:
                        best = c
                row[i] = best
            suffix[t] = row
        return suffix

    def _ends(self, k: str, masks: list[int]) -> list[dict[int, int]]:
        """Like _suffix without costs: 0 for each value from which the end is reachable
        inside the domains."""
        node = self.nodes[k]
        T = self.T
        ends: list[dict[int, int]] = [{} for _ in range(T + 1)]
        ends[T] = dict.fromkeys(bits(masks[T]), 0)
        for t in range(T - 1, -1, -1):
            reachable = 0
            for j in ends[t + 1]:
                reachable |= 1 << j
            ends[t] = {i: 0 for i in bits(masks[t]) if node.succ[i] & reachable}
        return ends

    def lower_bound(self, k: str, masks: list[int]) -> int:
        return self._suffix(k, masks)[0].get(0, INF)

    @staticmethod
    def _decided(masks: list[int]) -> bool:
        return all(m & (m - 1) == 0 for m in masks)

    def _cost_of(self, k: str, trajectory: list[int]) -> int:
        moves = sum(1 for a, b in pairwise(trajectory) if a != b)
        return moves * self._move_cost(k)

    # ------------------------------------------------------------------ search

    def solve(self, *, optimize: bool) -> Solution | None:
        dom = self.initial()
        if dom is None:
            return None
        return self._search(list(self.keys), dom, INF, optimize)

    def _search(
        self, keys: list[str], dom: Domains, budget: int, optimize: bool
    ) -> Solution | None:
        self.expanded += 1
        if self.expanded > self.budget_nodes:
            raise SearchLimit
        if self.deadline is not None and not self.expanded & 255 and monotonic() > self.deadline:
            raise SearchLimit
        decided = [k for k in keys if self._decided(dom[k])]
        cost = 0
        trajectories: dict[str, list[int]] = {}
        for k in decided:
            trajectory = [m.bit_length() - 1 for m in dom[k]]
            trajectories[k] = trajectory
            cost += self._cost_of(k, trajectory)
        if cost > budget:
            return None
        rest = [k for k in keys if k not in trajectories]
        if not rest:
            return Solution(cost, trajectories)
        parts = self._split(rest, dom)
        # Bounds only prune a costed search; looking for any plan, they are wasted work
        # (n keys bounded at every level: n^2 per expansion).
        bounds = [
            sum(self.lower_bound(k, dom[k]) for k in part) if optimize else 0 for part in parts
        ]
        if cost + sum(bounds) > budget:
            return None
        for index, part in enumerate(parts):
            remaining = budget - cost - sum(bounds[index + 1 :])
            found = self._search_part(part, dom, remaining, optimize)
            if found is None:
                return None
            cost += found.cost
            trajectories.update(found.trajectories)
        return Solution(cost, trajectories)

    def _split(self, keys: list[str], dom: Domains) -> list[list[str]]:
        """Keys that no longer constrain each other, given the domains, as separate parts."""
        members = set(keys)
        seen: set[str] = set()
        parts: list[list[str]] = []
        for start in keys:
            if start in seen:
                continue
            part = []
            stack = [start]
            seen.add(start)
            while stack:
                k = stack.pop()
                part.append(k)
                for p in self.neighbours[k]:
                    if p in members and p not in seen and self._binds(k, p, dom):
                        seen.add(p)
                        stack.append(p)
            parts.append(sorted(part))
        return sorted(parts, key=lambda part: part[0])

    def _binds(self, k: str, p: str, dom: Domains) -> bool:
        table = self.space.sup[(k, p)]
        for t in range(1, self.T + 1):
            dp = dom[p][t]
            for i in bits(dom[k][t]):
                if table[i] & dp != dp:
                    return True
        return False

    def _search_part(
        self, part: list[str], dom: Domains, budget: int, optimize: bool
    ) -> Solution | None:
        k = self._choose(part, dom)
        others = [x for x in part if x != k]
        others_bound = sum(self.lower_bound(x, dom[x]) for x in others) if optimize else 0
        best: Solution | None = None
        for trajectory, own in self._trajectories(
            k, dom[k], budget - others_bound, costed=optimize
        ):
            if own + others_bound > budget:
                continue
            child = {x: list(dom[x]) for x in part}
            child[k] = [1 << v for v in trajectory]
            queue = [(k, t) for t in range(1, self.T + 1)]
            merged = {**dom, **child}
            if not self.propagate(merged, queue):
                continue
            found = self._search(others, merged, budget - own, optimize)
            if found is None:
                continue
            total = Solution(own + found.cost, {k: trajectory, **found.trajectories})
            if not optimize:
                return total
            best = total
            budget = total.cost - 1  # from now on, only strictly cheaper plans
        return best

    def _choose(self, part: list[str], dom: Domains) -> str:
        """Branch first on the key that constrains most others, then targets, then by name."""
        members = set(part)

        def weight(k: str) -> tuple[int, int, str]:
            degree = sum(1 for p in self.neighbours[k] if p in members)
            return (-degree, 0 if self.nodes[k].is_target else 1, k)

        return min(part, key=weight)

    def _trajectories(
        self, k: str, masks: list[int], budget: int, *, costed: bool = True
    ) -> Iterator[tuple[list[int], int]]:
        """Every trajectory of k inside its domains, preferred first, with its cost;
        those that cannot fit the budget are cut early (`costed`), or, looking for any
        plan, those that cannot reach the end."""
        node = self.nodes[k]
        suffix = self._suffix(k, masks) if costed else self._ends(k, masks)
        move = self._move_cost(k)
        preferred = self.least_change.get(k)

        def order(mask: int) -> Iterator[int]:
            if preferred is None:
                return bits_desc(mask)
            return (j for j in preferred if mask >> j & 1)

        T = self.T
        path = [0]

        def walk(t: int, spent: int) -> Iterator[tuple[list[int], int]]:
            if t > T:
                yield list(path), spent
                return
            here = path[-1]
            for j in order(node.succ[here] & masks[t]):
                cost = spent + (0 if j == here else move)
                if cost + suffix[t].get(j, INF) > budget:
                    continue
                path.append(j)
                yield from walk(t + 1, cost)
                path.pop()

        yield from walk(1, 0)


def _least_change_order(node: Node) -> list[int]:
    """A node's candidates, oldest release series (major.minor) first and, within one,
    newest patch first: objecttypes-api 3.4.2 before 3.4.1, 3.4.0, then 3.5.x."""

    def series(i: int) -> tuple[int, ...]:
        release = node.versions[i].release
        return (release + (0,))[:2]

    return sorted(range(len(node.versions)), key=lambda i: (series(i), -i))


class SearchLimit(Exception):
    """The search expanded more nodes than allowed; the plan cannot be proven optimal."""
