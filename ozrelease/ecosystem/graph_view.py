"""What the graph templates (text, dot, mermaid) print: the graph's view model."""

from __future__ import annotations

from typing import Any

from ozrelease.ecosystem.graph import GraphView, strip_id


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


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
                "title": node.title or "",
                "newest": node.versions[-1] if node.versions and view.environment is None else "",
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
                "title": node.title or "",
                "versions": ", ".join(node.versions),
                "providers": providers_of,
            }
        )
    edges = [
        {
            "source": ids[e.source],
            "target": ids[e.target],
            "label": f"{e.api} {e.wanted}" if e.api else f"requires {e.wanted}",
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
            "ok": e.ok,
            "kind": "consumes",
            "arrow": "-.->",
        }
        for e in orphan_consumes
        if e.source in ids and e.target in ids
    ]
    for edge in edges:
        edge["dot_label"] = _dot_quote(str(edge["label"]))
    orphan_apis = {e.target for e in orphan_consumes}
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
                "open": "([" if n.kind == "api" else "[",
                "close": "])" if n.kind == "api" else "]",
                "broken": any(c["broken"] for c in components if c["id"] == ids[n.id]),
            }
            for n in view.nodes
            if n.kind == "component" or n.id in orphan_apis
        ],
        "edges": edges,
        "cycles": [
            " -> ".join([strip_id(n) for n in cycle] + [strip_id(cycle[0])])
            for cycle in view.cycles
        ],
        "violations": list(view.violations),
    }
