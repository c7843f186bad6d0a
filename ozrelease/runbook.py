"""Plans as people read them: the view models behind the plan templates."""

from __future__ import annotations

from typing import Any

from ozrelease.planner.model import Plan


def text_view(plan: Plan) -> dict[str, Any]:
    """The view for `plan.txt.j2`: every word decided here, the template only lays out."""
    moved = {s.component for s in plan.steps}
    pulled = {s.component: s.pulled_in_by for s in plan.steps if s.pulled_in_by}
    changes = []
    for key in sorted(plan.start):
        if key not in moved:
            continue
        why = (
            "target"
            if key in plan.requested
            else (f"pulled in by {pulled[key]}" if key in pulled else "repair")
        )
        changes.append(
            f"{key} {plan.label(key, plan.start[key])} -> "
            f"{plan.label(key, plan.target[key])} ({why})"
        )
    pinned = [
        f"{key} {plan.label(key, v)}"
        for key, v in sorted(plan.requested.items())
        if v == plan.start[key]
    ]
    windows = []
    for number, window in enumerate(plan.windows, start=1):
        steps = []
        for step in window.steps:
            tags = []
            if step.pulled_in_by:
                tags.append(f"pulled in by {step.pulled_in_by}")
            if not step.reversible:
                tags.append("IRREVERSIBLE")
            between = step.passes[:-1]
            if len(between) > 3:
                tags.append(f"passes {len(between)} releases, {between[0]} to {between[-1]}")
            elif between:
                tags.append("passes " + ", ".join(between))
            steps.append(
                {
                    "text": f"{step.component} {step.from_label} -> {step.to_label}",
                    "tags": "; ".join(tags),
                    "notes": list(step.notes),
                }
            )
        windows.append({"number": number, "steps": steps})
    return {
        "environment": plan.environment,
        "feasible": plan.feasible,
        "strategy": plan.strategy,
        "prefer": plan.prefer,
        "changes": changes,
        "pinned": pinned,
        "window_count": len(plan.windows),
        "step_count": len(plan.steps),
        "windows": windows,
        "problems": [p.message for p in plan.problems],
        "warnings": [w.message for w in plan.warnings],
    }
