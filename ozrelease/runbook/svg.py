"""Deterministic layouts for the HTML runbook's pictures: a timeline of windows and the
dependency graph, as plain coordinates that `plan.html.j2` draws as inline SVG.

No markup is built here: templates draw the shapes, so every label is autoescaped like any
other value. Widths are estimated from the character count of labels in a monospace font
(the pictures use one), so no font metrics are needed and the output is byte-stable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import networkx as nx

from ozrelease.ecosystem.graph import GraphView

CHAR = 7.3  # width of one character at 12px in a monospace font, rounded up
LINE = 15  # line height in the boxes
PAD = 10  # inner padding of a box
GAP = 16  # vertical gap between boxes
HEADER = 34  # room for the column titles


def _width(lines: Sequence[str], minimum: int = 120) -> int:
    longest = max((len(line) for line in lines), default=0)
    return max(minimum, int(longest * CHAR + 2 * PAD + 0.999))


# ------------------------------------------------------------------ timeline


@dataclass(frozen=True)
class TimelineStep:
    """What the timeline shows of one step; the runbook view fills these in."""

    key: str
    component: str  # the deployed key; boxes of one key in several windows are linked
    lines: tuple[str, ...]  # first line bold: the key; then versions and tags
    kind: str  # CSS classes: "step", plus "irreversible", "pulled", "manual"
    title: str  # tooltip


def timeline(windows: Sequence[Sequence[TimelineStep]]) -> dict[str, Any]:
    """Windows as columns, their steps as boxes top to bottom in the order they run; a
    curve links the boxes of a component that moves in several windows."""
    width = _width([line for steps in windows for s in steps for line in s.lines], 150)
    height_of = max((len(s.lines) for steps in windows for s in steps), default=2)
    box_h = height_of * LINE + 2 * PAD - 4
    col_gap = 44
    columns = []
    boxes = []
    places: dict[str, list[tuple[int, int, int]]] = {}  # component -> (column, x, y) seen
    for c in range(len(windows)):
        x = 10 + c * (width + col_gap)
        columns.append(
            {
                "x": x + width // 2,
                "y": 20,
                "label": f"Window {c + 1}",
                "line_x1": x + width + col_gap // 2,
                "last": c == len(windows) - 1,
            }
        )
    rows = max((len(steps) for steps in windows), default=0)
    total_h = max(HEADER + 16 + rows * box_h + max(0, rows - 1) * GAP, 80)
    for column in columns:
        column["line_y2"] = total_h - 6
    for c, steps in enumerate(windows):
        x = 10 + c * (width + col_gap)
        for r, step in enumerate(steps):
            y = HEADER + 8 + r * (box_h + GAP)
            boxes.append(
                {
                    "x": x,
                    "y": y,
                    "w": width,
                    "h": box_h,
                    "kind": step.kind,
                    "title": step.title,
                    "lines": [
                        {"x": x + PAD, "y": y + PAD + 11 + i * LINE, "text": text, "first": i == 0}
                        for i, text in enumerate(step.lines)
                    ],
                }
            )
            places.setdefault(step.component, []).append((c, x, y))
    links = []
    for component in sorted(places):
        seen = places[component]
        for (_, x1, y1), (_, x2, y2) in pairwise(seen):
            sx, sy = x1 + width, y1 + box_h // 2
            ex, ey = x2, y2 + box_h // 2
            mid = (sx + ex) // 2
            links.append({"d": f"M{sx},{sy} C{mid},{sy} {mid},{ey} {ex},{ey}", "title": component})
    total_w = 20 + len(windows) * width + max(0, len(windows) - 1) * col_gap
    return {
        "width": max(total_w, 200),
        "height": total_h,
        "columns": columns,
        "boxes": boxes,
        "links": links,
    }


# ------------------------------------------------------------------ dependency graph


def dependency_graph(
    view: GraphView, moves: Mapping[str, str], broken: Sequence[str] = ()
) -> dict[str, Any]:
    """Components as boxes in columns: providers on the left, their consumers to the right
    (a column per layer of the condensation of "calls or requires", so components that call
    each other share a column); an arrow from each consumer to each provider.

    `moves` maps the keys that the plan moves to a `from -> to` text.
    """
    nodes = [n for n in view.nodes if n.kind == "component"]
    ids = {n.id for n in nodes}
    # consumer -> provider, one arrow per pair whatever the number of APIs between them
    pairs: dict[tuple[str, str], list[str]] = {}
    state: dict[tuple[str, str], bool | None] = {}
    kinds: dict[tuple[str, str], set[str]] = {}
    for e in view.edges:
        if e.kind not in ("calls", "requires") or e.source not in ids or e.target not in ids:
            continue
        pair = (e.source, e.target)
        what = f"{e.api} {e.wanted}" if e.api else f"requires {e.wanted}"
        pairs.setdefault(pair, []).append(what)
        kinds.setdefault(pair, set()).add(e.kind)
        if e.ok is False:
            state[pair] = False
        else:
            state.setdefault(pair, e.ok)
    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(ids))
    graph.add_edges_from(sorted(pairs))
    condensed = nx.condensation(graph)
    members = condensed.graph["mapping"]
    layer_of_scc: dict[int, int] = {}
    for scc in reversed(list(nx.topological_sort(condensed))):
        succ = list(condensed.successors(scc))
        layer_of_scc[scc] = 1 + max(layer_of_scc[s] for s in succ) if succ else 0
    layer = {n: layer_of_scc[members[n]] for n in ids}
    by_id = {n.id: n for n in nodes}

    def lines(node_id: str) -> list[str]:
        node = by_id[node_id]
        version = moves.get(node_id) or node.version or ""
        return [node_id, version] if version else [node_id]

    width = _width([line for n in sorted(ids) for line in lines(n)], 130)
    box_h = 2 * LINE + 2 * PAD - 4
    col_gap = 90
    order: dict[str, int] = {}
    columns: list[list[str]] = []
    for depth in range(max(layer.values(), default=-1) + 1):
        here = [n for n in sorted(ids) if layer[n] == depth]

        def centre(n: str) -> tuple[float, str]:
            below = [order[p] for (c, p) in pairs if c == n and p in order]
            return (sum(below) / len(below) if below else float(len(order)), n)

        here.sort(key=centre)
        for i, n in enumerate(here):
            order[n] = i
        columns.append(here)
    rows = max((len(c) for c in columns), default=0)
    col_h = [len(c) * box_h + max(0, len(c) - 1) * GAP for c in columns]
    total_h = rows * box_h + max(0, rows - 1) * GAP
    place: dict[str, tuple[int, int]] = {}
    boxes = []
    for depth, column in enumerate(columns):
        x = 10 + depth * (width + col_gap)
        top = 14 + (total_h - col_h[depth]) // 2
        for i, n in enumerate(column):
            y = top + i * (box_h + GAP)
            place[n] = (x, y)
            kind = "node"
            if n in moves:
                kind += " moves"
            if n in broken:
                kind += " broken"
            boxes.append(
                {
                    "x": x,
                    "y": y,
                    "w": width,
                    "h": box_h,
                    "kind": kind,
                    "title": by_id[n].title or n,
                    "lines": [
                        {"x": x + PAD, "y": y + PAD + 11 + j * LINE, "text": t, "first": j == 0}
                        for j, t in enumerate(lines(n))
                    ],
                }
            )
    arrows = []
    for (consumer, provider), apis in sorted(pairs.items()):
        cx, cy = place[consumer]
        px, py = place[provider]
        if layer[consumer] > layer[provider]:
            sx, sy = cx, cy + box_h // 2
            ex, ey = px + width + 2, py + box_h // 2
            mid = (sx + ex) // 2
            d = f"M{sx},{sy} C{mid},{sy} {mid},{ey} {ex},{ey}"
        else:  # same column: components that call each other; an arc on the right
            sx, sy = cx + width, cy + box_h // 2 - 5
            ex, ey = px + width + 2, py + box_h // 2 + 5
            bulge = sx + 30 + abs(order[consumer] - order[provider]) * 12
            d = f"M{sx},{sy} C{bulge},{sy} {bulge},{ey} {ex},{ey}"
        kind = "edge"
        if kinds[(consumer, provider)] == {"requires"}:
            kind += " requires"
        if state.get((consumer, provider)) is False:
            kind += " broken"
        title = f"{consumer} -> {provider}: " + "; ".join(apis)
        arrows.append({"d": d, "kind": kind, "title": title})
    total_w = 20 + len(columns) * width + max(0, len(columns) - 1) * col_gap + 40
    return {
        "width": max(total_w, 200),
        "height": max(total_h + 28, 80),
        "boxes": boxes,
        "arrows": arrows,
    }
