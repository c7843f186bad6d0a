"""A plan as data: windows of steps, or the problems that make a safe plan impossible."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from ozrelease.versions import Version

PLAN_FORMAT = "ozrelease-plan/1"
STRATEGIES = ("fewest-windows", "one-at-a-time")
PREFERENCES = ("least-change", "latest")


@dataclass(frozen=True)
class Step:
    """One component (a deployed key) moving from one release to a newer one."""

    component: str
    from_version: Version
    to_version: Version
    from_label: str
    to_label: str
    pulled_in_by: str | None = None  # the target that made a non-target move
    reversible: bool = True  # every release passed (from, to] can be rolled back
    notes: tuple[str, ...] = ()  # the notes of every release passed, oldest first
    passes: tuple[str, ...] = ()  # labels of the releases in (from, to], oldest first


@dataclass(frozen=True)
class Together:
    """Steps of one window that no one-at-a-time order can apply safely: they must happen
    at the same time (one helm/Ansible block, one Argo CD sync wave)."""

    components: tuple[str, ...]  # deployed keys, in the window's step order
    reason: str  # the constraint that forces it, in the manifests' terms


@dataclass(frozen=True)
class Window:
    steps: tuple[Step, ...]  # in the order to apply them (providers first breaks ties)
    together: tuple[Together, ...] = ()  # groups of steps that must be applied at once


# Why no plan exists (Plan.problems) and what to know about a plan (Plan.warnings), as a
# closed set a caller selects by; docs/planner.md says when each one is produced.
ProblemKind = Literal[
    # problems: no safe plan
    "downgrade",  # a target is older than what is deployed
    "no-upgrade-path",  # the target's own upgradeFrom chain never leads there
    "missing-provider",  # the target, or every release on the way, needs what nobody serves
    "unreachable-target",  # a neighbour rules out the target or a release on the way there
    "incompatible",  # no compatible state exists: a component has no release it can be at
    "stuck",  # compatible end states exist, but no sequence of safe windows reaches them
    "max-steps",  # plans exist, but none keeps to --max-steps
    "must-move-together",  # (with max-steps) the components that must move in one window
    "furthest-state",  # the last problem of an infeasible plan: the furthest safe state
    # warnings: the plan stands
    "broken-now",  # the deployed state already breaks a constraint
    "eol",  # a target is past its end of life on the given date
    "not-optimal",  # a time limit ran out before the plan was proven the best
]
PROBLEM_KINDS: tuple[ProblemKind, ...] = get_args(ProblemKind)
WARNING_KINDS: tuple[ProblemKind, ...] = ("broken-now", "eol", "not-optimal")


@dataclass(frozen=True)
class PlanProblem:
    kind: ProblemKind
    message: str
    components: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    environment: str
    feasible: bool
    strategy: str
    prefer: str
    start: Mapping[str, Version]
    target: Mapping[str, Version]  # the state after the last window (feasible) or asked
    requested: Mapping[str, Version]  # the targets, resolved (pins included)
    windows: tuple[Window, ...] = ()
    problems: tuple[PlanProblem, ...] = ()
    warnings: tuple[PlanProblem, ...] = ()  # e.g. constraints broken now, targets past EOL
    labels: Mapping[str, Mapping[Version, str]] = field(default_factory=dict)
    furthest: Mapping[str, Version] | None = None  # infeasible: the furthest safe state found
    # False: a time limit ran out before the solver proved this plan the best (it is still
    # safe and verified; a plan with fewer windows or steps may exist)
    optimal: bool = True
    max_steps: int | None = None  # --max-steps: at most this many steps per window

    def label(self, key: str, version: Version) -> str:
        return self.labels.get(key, {}).get(version, str(version))

    @property
    def steps(self) -> list[Step]:
        return [step for window in self.windows for step in window.steps]

    def states(self) -> list[dict[str, Version]]:
        """The state before the first window and after every window."""
        state = dict(self.start)
        found = [dict(state)]
        for window in self.windows:
            for step in window.steps:
                state[step.component] = step.to_version
            found.append(dict(state))
        return found


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """CONTRACT §3 `ozrelease-plan/1`, plus `prefer`, `optimal` (false: a time limit ran
    out before the plan was proven the best), `maxSteps`, `requested`, `warnings`, `furthest`
    and a `kind` on every problem and warning."""

    def state(values: Mapping[str, Version]) -> dict[str, str]:
        return {key: plan.label(key, values[key]) for key in sorted(values)}

    return {
        "format": PLAN_FORMAT,
        "environment": plan.environment,
        "feasible": plan.feasible,
        "strategy": plan.strategy,
        "prefer": plan.prefer,
        "optimal": plan.optimal,
        "maxSteps": plan.max_steps,
        "start": state(plan.start),
        "target": state(plan.target),
        "requested": state(plan.requested),
        "windows": [
            {
                "steps": [
                    {
                        "component": s.component,
                        "from": s.from_label,
                        "to": s.to_label,
                        "pulledInBy": s.pulled_in_by,
                        "reversible": s.reversible,
                        "notes": list(s.notes),
                    }
                    for s in window.steps
                ],
                **(
                    {
                        "together": [
                            {"components": list(g.components), "reason": g.reason}
                            for g in window.together
                        ]
                    }
                    if window.together
                    else {}
                ),
            }
            for window in plan.windows
        ],
        "problems": [_problem(p) for p in plan.problems],
        "warnings": [_problem(p) for p in plan.warnings],
        "furthest": state(plan.furthest) if plan.furthest is not None else None,
    }


def _problem(problem: PlanProblem) -> dict[str, Any]:
    return {
        "kind": problem.kind,
        "message": problem.message,
        "components": list(problem.components),
    }
