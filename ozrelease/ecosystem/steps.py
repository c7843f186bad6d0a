"""Which releases may step directly to which (`upgradeFrom`), as intervals of the version
order, so that a component with thousands of releases costs near-linear time and memory.

An `upgradeFrom` specifier set is a conjunction of simple specifiers, and each simple one
admits a contiguous run of releases in version order (`>=`, `>`: a suffix; `<=`, `<`: a
prefix; `==`, `~=`: a block; `!=`: all but a block). So the releases that may step to a
release are found with a few binary searches instead of one check per pair: 10,000
releases took 50 million `contains` calls and GBs of edges before.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence

from ozrelease.ecosystem.model import Component, Release
from ozrelease.versions import Range, Version, allows

Interval = tuple[int, int]  # [start, end) indices into an ascending list of versions

# Below this many versions an exact scan is as fast and needs no reasoning about order.
SCAN = 64


def sources(versions: Sequence[Version], index: int, upgrade_from: Range | None) -> list[Interval]:
    """The indices of `versions` (ascending, distinct) that may move directly to
    `versions[index]`: older ones inside `upgrade_from` (None: every older one)."""
    if index == 0:
        return []
    if upgrade_from is None:
        return [(0, index)]
    older = versions[:index]
    if len(older) <= SCAN:
        return _runs([allows(upgrade_from.spec, v) for v in older])
    found: list[Interval] = [(0, index)]
    for spec in upgrade_from.spec:
        found = _intersect(found, _admitted(older, spec))
        if not found:
            break
    return found


def _admitted(versions: Sequence[Version], spec: object) -> list[Interval]:
    """The run(s) of `versions` a simple specifier admits."""
    operator = getattr(spec, "operator", "")
    text = str(getattr(spec, "version", ""))

    def ok(i: int) -> bool:
        return bool(spec.contains(versions[i], prereleases=True))  # type: ignore[attr-defined]

    n = len(versions)
    if operator in (">=", ">"):
        first = _first(0, n, ok)  # False ... True
        return [(first, n)] if first < n else []
    if operator in ("<=", "<"):
        end = _first(0, n, lambda i: not ok(i))  # True ... False
        return [(0, end)] if end else []
    if operator in ("==", "~=", "!=") and _parses(text.removesuffix(".*")):
        anchor = bisect_left(versions, Version(text.removesuffix(".*")))
        if operator == "!=":
            block = _block(versions, anchor, lambda i: not ok(i))
            return _intersect([(0, n)], _complement(block, n))
        return _block(versions, anchor, ok)
    return _runs([ok(i) for i in range(n)])  # `===` and anything unforeseen: exact scan


def _block(versions: Sequence[Version], anchor: int, ok: Callable[[int], bool]) -> list[Interval]:
    """The contiguous run of indices where `ok` holds that touches `anchor - 1` or
    `anchor` (pre-releases of a version sort just below it)."""
    n = len(versions)
    seed = next((i for i in (anchor, anchor - 1) if 0 <= i < n and ok(i)), None)
    if seed is None:
        return []
    start = _first(0, seed, ok)  # False ... True up to seed
    end = _first(seed, n, lambda i: not ok(i))  # True ... False from seed
    return [(start, end)]


def _first(low: int, high: int, test: Callable[[int], bool]) -> int:
    """The first index in [low, high) where the monotone `test` holds (high if none)."""
    while low < high:
        middle = (low + high) // 2
        if test(middle):
            high = middle
        else:
            low = middle + 1
    return low


def _runs(flags: Sequence[bool]) -> list[Interval]:
    found: list[Interval] = []
    start = None
    for i, flag in enumerate(flags):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            found.append((start, i))
            start = None
    if start is not None:
        found.append((start, len(flags)))
    return found


def _complement(intervals: list[Interval], n: int) -> list[Interval]:
    found: list[Interval] = []
    at = 0
    for start, end in intervals:
        if start > at:
            found.append((at, start))
        at = end
    if at < n:
        found.append((at, n))
    return found


def _intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    found: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            found.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return found


def _parses(text: str) -> bool:
    try:
        Version(text)
    except ValueError:
        return False
    return True


def mask(intervals: list[Interval]) -> int:
    """The intervals as a bitmask of indices."""
    found = 0
    for start, end in intervals:
        found |= (1 << end) - (1 << start)
    return found


def fewest_steps(component: Component, start: Version, goal: Version) -> list[Release] | None:
    """The fewest steps from `start` to `goal` allowed by `upgradeFrom`, taking the newest
    release at each stop (vendors advise the latest patch of a stop). None: no path.
    Near-linear in the number of releases: a breadth-first search backwards from the
    goal over bitmasks of the releases that may step to each."""
    if goal == start:
        return []
    releases = [r for r in component.releases if r.version >= start]
    versions = [r.version for r in releases]
    if not versions or versions[0] != start or goal not in versions:
        return None
    into = [mask(sources(versions, j, r.upgrade_from)) for j, r in enumerate(releases)]
    goal_index = versions.index(goal)
    levels = [[goal_index]]  # levels[d]: the releases d steps before the goal, ascending
    unseen = (1 << goal_index) - 1  # only older releases lead to the goal
    while levels[-1] and unseen & 1:
        reached = 0
        for j in levels[-1]:
            reached |= into[j] & unseen
        unseen &= ~reached
        levels.append(_indices(reached))
    if unseen & 1:
        return None
    path: list[Release] = []
    current = 0
    for level in reversed(levels[:-1]):
        # Among the releases one step closer to the goal that current may step to, the newest.
        current = next(j for j in reversed(level) if into[j] >> current & 1)
        path.append(releases[current])
    return path


def _indices(bitmask: int) -> list[int]:
    found = []
    while bitmask:
        low = bitmask & -bitmask
        found.append(low.bit_length() - 1)
        bitmask ^= low
    return found
