"""Why no safe plan exists, in the manifests' terms: blocking components and constraints,
the releases that were tried, and the furthest safe state that can be reached.

In the spirit of PubGrub's explanations: every statement names a release and the
constraint that rules it out, and follows the chain one neighbour further when a
neighbour was itself ruled down.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping

from ozrelease.ecosystem.compat import Violation
from ozrelease.planner.model import PlanProblem, ProblemKind
from ozrelease.planner.space import INF, Node, Space, bits
from ozrelease.versions import Version

STATE_CAP = 20_000


def explain_infeasible(
    space: Space, group: list[str], targets: Mapping[str, Version]
) -> tuple[list[PlanProblem], dict[str, Version] | None]:
    problems = (
        _path_problems(space, group)
        or _ruled_out_problems(space, group)
        or _static_problems(space, group)
    )
    furthest, capped = _furthest(space, _closure(space, group))
    state = {k: space.nodes[k].versions[i] for k, i in furthest.items()}
    if not problems:
        problems = _dynamic_problems(space, group, furthest)
    reached = ", ".join(
        f"{k} {space.deployment.label(k, v)}"
        for k, v in sorted(state.items())
        if v != space.nodes[k].versions[0]
    )
    summary = f"furthest safe state{' found (search capped)' if capped else ''}: " + (
        reached if reached else "the deployed state (no safe window moves toward the targets)"
    )
    problems.append(PlanProblem("furthest-state", summary, tuple(sorted(group))))
    full = dict(space.deployment.environment.deployed)
    full.update(state)
    return problems, full


def _closure(space: Space, group: list[str], limit: int = 8) -> list[str]:
    """The group and the keys that constrain it (through constraints that do not always
    hold), nearest first, at most `limit`: the keys whose states the furthest safe state is
    searched over (the others stay where they are)."""
    seen = list(group)
    queue = deque(group)
    while queue and len(seen) < limit:
        k = queue.popleft()
        node = space.nodes[k]
        for p in space.neighbours[k]:
            other = space.nodes[p]
            if p in seen or space.universal(k, p, node.unary | 1, other.unary | 1):
                continue
            seen.append(p)
            queue.append(p)
            if len(seen) >= limit:
                break
    return sorted(seen)


def _ruled_out_problems(space: Space, group: list[str]) -> list[PlanProblem]:
    """Targets whose way there passes releases a neighbour can never accept, and keys left
    with no usable release: each ruled-out release with the constraint that rules it out."""
    found = []
    for k in group:
        node = space.nodes[k]
        target_lost = node.target not in (None, 0) and not node.valid >> node.target & 1
        if node.valid and not target_lost:
            continue
        kind: ProblemKind
        if node.target not in (None, 0):
            assert node.target is not None
            on_the_way = _reach_mask(node, node.unary) & _reaching(node, node.unary, node.target)
            what = (
                f"{k} cannot reach {space.deployment.label(k, node.versions[node.target])} "
                f"from {space.deployment.label(k, node.versions[0])}"
            )
            kind = "unreachable-target"
        else:
            on_the_way = _reach_mask(node, node.unary) | 1
            what = f"{k} has no release it can safely be at"
            kind = "incompatible"
        # One sentence per reason; releases that fail for the same reason share it.
        reasons: dict[str, list[str]] = {}
        blockers = {k}
        for i in bits(on_the_way):
            p = space.ruled_out.get((k, i))
            if p:
                other = space.nodes[p]
                label = space.deployment.label(k, node.versions[i])
                text = _conflict(space, k, i, p, _reach_mask(other, other.unary) | 1)
                reasons.setdefault(text.replace(f"{k} {label} ", f"{k} {{}} ", 1), []).append(label)
                blockers.add(p)
        if not reasons:
            continue
        between = [
            space.deployment.label(k, node.versions[i])
            for i in bits(on_the_way & ~1 & ~(1 << (node.target or 0)))
        ]
        if between and node.target not in (None, 0):
            what += ": the way there passes " + (
                ", ".join(between)
                if len(between) <= 4
                else f"{len(between)} releases, {between[0]} to {between[-1]}"
            )
        sentences = []
        for text, labels in reasons.items():
            reason, pinned, rest = text.partition("; ")  # "...; X is pinned" goes last
            also = f" (so do {', '.join(labels[1:])})" if labels[1:] else ""
            sentences.append(reason.format(labels[0]) + also + pinned + rest)
        found.append(
            PlanProblem(kind, what + "; " + "; ".join(sentences[:6]), tuple(sorted(blockers)))
        )
    return found


def _reaching(node: Node, allowed: int, goal: int) -> int:
    """The values from which `goal` can be reached through `allowed` values."""
    mask = 1 << goal
    for i in range(goal - 1, -1, -1):
        if (i == 0 or allowed >> i & 1) and node.succ[i] & mask & ~(1 << i):
            mask |= 1 << i
    return mask


# ---------------------------------------------------------------- per-component paths


def _path_problems(space: Space, group: list[str]) -> list[PlanProblem]:
    """Targets that their own releases cannot reach, whatever the others do."""
    deployment = space.deployment
    found = []
    for k in group:
        node = space.nodes[k]
        if node.target is None or node.target == 0:
            continue
        target_label = deployment.label(k, node.versions[node.target])
        start_label = deployment.label(k, node.versions[0])
        if not _reachable(node, node.all, node.target):
            release = deployment.release(k, node.versions[node.target])
            found.append(
                PlanProblem(
                    "no-upgrade-path",
                    f"{k} cannot go from {start_label} to {target_label}: no chain of allowed "
                    f"steps leads there ({target_label} accepts upgrades from "
                    f"{release.upgrade_from}; releases tried: {_labels(space, k, node.all)})",
                    (k,),
                )
            )
            continue
        if not node.unary >> node.target & 1:
            missing = [
                n for n in deployment.needs(k, node.versions[node.target]) if n.provider is None
            ]
            why = "; ".join(
                deployment.explain(Violation(k, node.versions[node.target], n, None))
                for n in missing
            )
            found.append(PlanProblem("missing-provider", why, (k,)))
            continue
        if not _reachable(node, node.unary, node.target):
            blocked = [i for i in bits(node.all & ~node.unary) if 0 < i < node.target]
            found.append(
                PlanProblem(
                    "missing-provider",
                    f"{k} cannot reach {target_label}: every path passes releases whose needs "
                    f"no deployed component serves ({_labels(space, k, _mask(blocked))})",
                    (k,),
                )
            )
    return found


def _reachable(node: Node, allowed: int, goal: int) -> bool:
    seen = 1
    stack = [0]
    while stack:
        i = stack.pop()
        if i == goal:
            return True
        for j in bits(node.succ[i] & allowed & ~seen):
            seen |= 1 << j
            stack.append(j)
    return False


# ---------------------------------------------------------------- a compatible end state


def _static_problems(space: Space, group: list[str]) -> list[PlanProblem]:
    """Arc consistency over end states (targets at their versions), remembering why each
    release was ruled out; a wiped-out key is explained with its reasons."""
    # Every node takes part, not only the group: a pinned or stuck neighbour stands alone
    # in a group of its own, yet it is what blocks.
    group = sorted(space.nodes)
    members = set(group)
    dom: dict[str, int] = {}
    for k in group:
        node = space.nodes[k]
        reach = _reach_mask(node, node.unary)
        dom[k] = (1 << node.target) & reach if node.target is not None else reach
    reasons: dict[tuple[str, int], tuple[str, int]] = {}  # (k, i) -> (p, p's domain then)
    changed = True
    wiped: str | None = next((k for k in group if dom[k] == 0), None)
    while changed and wiped is None:
        changed = False
        for k in group:
            for p in space.neighbours[k]:
                if p not in members:
                    continue
                table = space.sup[(k, p)]
                for i in bits(dom[k]):
                    if table[i] & dom[p] == 0:
                        dom[k] &= ~(1 << i)
                        reasons[(k, i)] = (p, dom[p])
                        changed = True
                if dom[k] == 0:
                    wiped = k
                    break
            if wiped:
                break
    if wiped is None:
        return []
    lines = list(_why_empty(space, wiped, reasons, depth=0, seen=set()))
    blockers = sorted({wiped} | {p for (_, _), (p, _) in reasons.items()})
    return [PlanProblem("incompatible", line, tuple(blockers)) for line in lines]


def _reach_mask(node: Node, allowed: int) -> int:
    seen = 1
    stack = [0]
    while stack:
        i = stack.pop()
        for j in bits(node.succ[i] & allowed & ~seen):
            seen |= 1 << j
            stack.append(j)
    if not allowed & 1:
        seen &= ~1
    return seen


def _why_empty(
    space: Space,
    k: str,
    reasons: Mapping[tuple[str, int], tuple[str, int]],
    depth: int,
    seen: set[str],
) -> Iterator[str]:
    seen.add(k)
    node = space.nodes[k]
    ruled = [(i, reasons[(k, i)]) for i in range(len(node.versions)) if (k, i) in reasons]
    what = (
        "its pinned release"
        if node.pinned
        else "its target"
        if node.target is not None
        else "any release it can reach"
    )
    yield (
        f"{k}: no release fits ({what}; releases tried: "
        f"{_labels(space, k, _mask(i for i, _ in ruled)) or 'none'})"
    )
    for i, (p, p_dom) in ruled[:6]:
        yield "  " + _conflict(space, k, i, p, p_dom)
        if depth < 2 and p not in seen and any(key == p for key, _ in reasons):
            for line in _why_empty_partial(space, p, reasons, depth + 1, seen):
                yield "  " + line


def _why_empty_partial(
    space: Space,
    p: str,
    reasons: Mapping[tuple[str, int], tuple[str, int]],
    depth: int,
    seen: set[str],
) -> Iterator[str]:
    seen.add(p)
    for (key, j), (q, q_dom) in sorted(reasons.items()):
        if key == p:
            yield "  " + _conflict(space, p, j, q, q_dom)


def _conflict(space: Space, k: str, i: int, p: str, p_dom: int) -> str:
    """Why k at its i-th release fits none of p's remaining releases."""
    deployment = space.deployment
    kv = space.nodes[k].versions[i]
    pnode = space.nodes[p]
    options = list(bits(p_dom))
    if not options:
        return f"{k} {deployment.label(k, kv)} needs {p}, but no release of {p} is left (see above)"
    texts = []
    for j in options[:4]:
        pv = pnode.versions[j]
        texts.append(_pair_violation(space, k, kv, p, pv))
    more = f" (and {len(options) - 4} more releases of {p})" if len(options) > 4 else ""
    pinned = f"; {p} is pinned" if pnode.pinned else ""
    return "; ".join(texts) + more + pinned


def _pair_violation(space: Space, k: str, kv: Version, p: str, pv: Version) -> str:
    deployment = space.deployment
    for consumer, cv, provider, prv in ((k, kv, p, pv), (p, pv, k, kv)):
        for need in deployment.needs(consumer, cv):
            if need.provider == provider and not deployment.satisfied(need, cv, prv):
                return deployment.explain(Violation(consumer, cv, need, prv))
    return f"{k} {deployment.label(k, kv)} and {p} {deployment.label(p, pv)} are incompatible"


# ---------------------------------------------------------------- how far we get


def _furthest(space: Space, group: list[str]) -> tuple[dict[str, int], bool]:
    """The best reachable safe state: most targets reached, then most progress."""
    nodes = [space.nodes[k] for k in group]
    start = tuple(0 for _ in group)
    seen = {start}
    queue = deque([start])
    capped = False

    def score(state: tuple[int, ...]) -> tuple[int, int, int]:
        reached = sum(
            1 for n, i in zip(nodes, state, strict=True) if n.target is not None and i == n.target
        )
        progress = sum(
            n.from_start[i]
            for n, i in zip(nodes, state, strict=True)
            if n.target is not None and n.from_start[i] < INF
        )
        others = -sum(1 for n, i in zip(nodes, state, strict=True) if n.target is None and i)
        return (reached, progress, others)

    best = start
    start_ok = _compatible(space, group, start)
    while queue:
        state = queue.popleft()
        for successor in _successors(space, group, state):
            if successor in seen:
                continue
            seen.add(successor)
            if len(seen) > STATE_CAP:
                capped = True
                queue.clear()
                break
            queue.append(successor)
            if score(successor) > score(best) or (best == start and not start_ok):
                best = successor
    return dict(zip(group, best, strict=True)), capped


def _compatible(space: Space, group: list[str], state: tuple[int, ...]) -> bool:
    index = dict(zip(group, state, strict=True))
    for k, i in index.items():
        if not space.nodes[k].unary >> i & 1:
            return False
        for p in space.neighbours[k]:
            if p in index and not space.compatible(k, i, p, index[p]):
                return False
    return True


def _successors(
    space: Space, group: list[str], state: tuple[int, ...]
) -> Iterator[tuple[int, ...]]:
    """Compatible states one window away (backtracking over keys, pruning early)."""
    position = {k: n for n, k in enumerate(group)}
    chosen: list[int] = []

    def extend(n: int) -> Iterator[tuple[int, ...]]:
        if n == len(group):
            result = tuple(chosen)
            if result != state:
                yield result
            return
        k = group[n]
        node = space.nodes[k]
        for j in bits(node.succ[state[n]] & node.unary):
            if all(
                space.compatible(k, j, p, chosen[position[p]])
                for p in space.neighbours[k]
                if p in position and position[p] < n
            ):
                chosen.append(j)
                yield from extend(n + 1)
                chosen.pop()

    yield from extend(0)


def _dynamic_problems(
    space: Space, group: list[str], furthest: Mapping[str, int]
) -> list[PlanProblem]:
    """End states exist, but no sequence of safe windows reaches one: say what blocks each
    unreached target's next step from the furthest safe state."""
    deployment = space.deployment
    found = []
    for k in group:
        node = space.nodes[k]
        if node.target is None or furthest[k] == node.target:
            continue
        here = furthest[k]
        blockers: list[str] = []
        tried = []
        for j in bits(node.succ[here] & ~(1 << here) & node.unary):
            if node.to_target[j] >= INF:
                continue
            tried.append(j)
            for p in space.neighbours[k]:
                if p in furthest and not space.compatible(k, j, p, furthest[p]):
                    blockers.append(
                        _pair_violation(
                            space, k, node.versions[j], p, space.nodes[p].versions[furthest[p]]
                        )
                    )
        label = deployment.label(k, node.versions[here])
        text = (
            f"{k} is stuck at {label}: no safe window moves it on toward "
            f"{deployment.label(k, node.versions[node.target])} (next releases tried: "
            f"{_labels(space, k, _mask(tried)) or 'none'})"
        )
        if blockers:
            text += "; " + "; ".join(dict.fromkeys(blockers))
        involved = {k, *(p for p in space.neighbours[k] if p in furthest)}
        found.append(PlanProblem("stuck", text, tuple(sorted(involved))))
    return found


def _mask(indices: Iterator[int] | list[int]) -> int:
    mask = 0
    for i in indices:
        mask |= 1 << i
    return mask


def _labels(space: Space, k: str, mask: int) -> str:
    node = space.nodes[k]
    return ", ".join(space.deployment.label(k, node.versions[i]) for i in bits(mask))
