"""What the graph templates (text, dot, mermaid) print: the graph's view model."""

from __future__ import annotations

from typing import Any

from ozrelease.ecosystem.graph import GraphView, strip_id


def _dot_quote(text: str) -> str:
    """A Graphviz string: backslashes and quotes escaped, a newline as Graphviz's `\\n`."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def view_model(view: GraphView) -> dict[str, Any]:
    """What the graph templates (text, dot, mermaid) print; all wording decided here."""
    ids = {node.id: f"n{i}" for i, node in enumerate(view.nodes)}
    titles = {node.id: node for node in view.nodes}

    def label(node_id: str) -> str:
        node = titles.get(node_id)
        name = strip_id(node_id)
        return f"{name} {node.version}" if node is not None and node.version else name

    calls = [e for e in view.edges if e.kind in ("calls", "requires")]
    served = {e.api for e in view.edges if e.kind == "calls"}
    orphan_consumes = [e for e in view.edges if e.kind == "consumes" and e.api not in served]
    components = []
    for node in view.nodes:
        if node.kind != "component":
            continue
        out = [e for e in view.edges if e.source == node.id]
        provides = sorted({e.api for e in out if e.kind == "provides" and e.api})
        lines = []
        for e in out:
            if e.kind == "calls":
                lines.append(
                    {
                        "ok": e.ok,
                        "text": f"calls {label(e.target)} for {e.api} {e.wanted}",
                        "why": e.message,
                    }
                )
            elif e.kind == "requires":
                lines.append(
                    {"ok": e.ok, "text": f"requires {label(e.target)} {e.wanted}", "why": e.message}
                )
            elif e.kind == "consumes" and e.api not in {x.api for x in out if x.kind == "calls"}:
                lines.append(
                    {
                        "ok": e.ok,
                        "text": f"consumes {e.api} {e.wanted}, which no deployed component provides"
                        if view.environment
                        else f"consumes {e.api} {e.wanted}, which no component provides",
                        "why": e.message,
                    }
                )
        for line in lines:
            line["status"] = "" if line["ok"] is None else "ok" if line["ok"] else "BROKEN"
        used_by = sorted(
            f"{label(e.source)} ({e.api + ' ' if e.api else ''}{e.wanted})"
            for e in calls
            if e.target == node.id
        )
        components.append(
            {
                "id": ids[node.id],
                "name": node.name if view.environment is None else strip_id(node.id),
                "label": label(node.id),
                "title": _one_line(node.title or ""),
                "newest": node.newest or "",
                "provides": provides,
                "lines": lines,
                "used_by": used_by,
                "broken": any(line["ok"] is False for line in lines),
            }
        )
    apis = []
    for node in view.nodes:
        if node.kind != "api":
            continue
        providers_of = sorted(
            label(e.source) for e in view.edges if e.kind == "provides" and e.target == node.id
        )
        apis.append(
            {
                "id": ids[node.id],
                "name": node.name,
                "title": _one_line(node.title or ""),
                "versions": ", ".join(node.versions),
                "providers": providers_of,
            }
        )
    edges = [
        {
            "source": ids[e.source],
            "target": ids[e.target],
            "label": f"{e.api} {e.wanted}" if e.api else f"requires {e.wanted}",
            "accepts": f"{e.api or strip_id(e.target)} {e.wanted}",
            "ok": e.ok,
            "kind": e.kind,
            "arrow": "-->" if e.kind == "calls" else "-.->",
        }
        for e in calls
        if e.source in ids and e.target in ids
    ] + [
        {
            "source": ids[e.source],
            "target": ids[e.target],
            "label": f"{e.api} {e.wanted}",
            "accepts": f"{e.api} {e.wanted}",
            "ok": e.ok,
            "kind": "consumes",
            "arrow": "-.->",
        }
        for e in orphan_consumes
        if e.source in ids and e.target in ids
    ]
    grouped = _grouped(edges)
    orphan_apis = {e.target for e in orphan_consumes}
    # Mermaid cannot place many labels: its arrows carry API names only, and each
    # consumer's node lists what it accepts ("zaken, documenten >=1.0,<2").
    accepts: dict[str, list[str]] = {}
    for edge in edges:
        accepts.setdefault(str(edge["source"]), []).append(str(edge["accepts"]))
    return {
        "environment": view.environment,
        "components": components,
        "apis": apis,
        "nodes": [
            {
                "id": ids[n.id],
                "label": label(n.id),
                "kind": n.kind,
                "dot_label": _dot_quote(label(n.id)),
                "mermaid_label": _mermaid_node(label(n.id), accepts.get(ids[n.id], [])),
                "open": "([" if n.kind == "api" else "[",
                "close": "])" if n.kind == "api" else "]",
                "broken": any(c["broken"] for c in components if c["id"] == ids[n.id]),
            }
            for n in view.nodes
            if n.kind == "component" or n.id in orphan_apis
        ],
        "edges": grouped,
        "cycles": [
            " -> ".join([strip_id(n) for n in cycle] + [strip_id(cycle[0])])
            for cycle in view.cycles
        ],
        "violations": list(view.violations),
    }


def _grouped(edges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parallel edges (one consumer calling one provider for several APIs) as one edge:
    `api_names` for Mermaid, every `api range` on a line of its own for Graphviz."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for edge in edges:
        groups.setdefault((edge["source"], edge["target"], edge["kind"]), []).append(edge)
    result = []
    for (source, target, kind), members in groups.items():
        labels = sorted(str(m["label"]) for m in members)
        oks = [m["ok"] for m in members]
        ok = None if all(o is None for o in oks) else all(o is not False for o in oks)
        broken = [str(m["label"]) for m in members if m["ok"] is False]
        names = sorted({label.split(" ")[0] for label in labels})
        result.append(
            {
                "source": source,
                "target": target,
                "kind": kind,
                "ok": ok,
                "arrow": members[0]["arrow"],
                "label": "; ".join(labels),
                "dot_label": _dot_quote("\n".join(labels)),
                "mermaid_label": _mermaid_text(
                    ", ".join(names) + (f" (broken: {'; '.join(broken)})" if broken else "")
                ),
            }
        )
    return result


def _one_line(text: str) -> str:
    """A title on the line it stands in: `title: >` (folded) ends in a line break, and a
    block scalar holds several."""
    return " ".join(text.split())


def _mermaid_text(text: str) -> str:
    """Text inside a Mermaid `"..."` label: quotes and brackets as entity codes."""
    return (
        text.replace("&", "#38;")
        .replace('"', "#quot;")
        .replace("|", "#124;")
        .replace("<", "#60;")
        .replace(">", "#62;")
    )


def _mermaid_node(name: str, accepts: list[str]) -> str:
    """`open-forms` and, below it, what it accepts: names with the same range together."""
    by_range: dict[str, list[str]] = {}
    for item in sorted(set(accepts)):
        what, _, wanted = item.partition(" ")  # (names never hold a space)
        by_range.setdefault(wanted, []).append(what)
    lines = sorted(f"{', '.join(names)} {wanted}" for wanted, names in by_range.items())
    return "<br/>".join([_mermaid_text(name), *(_mermaid_text(line) for line in lines)])
