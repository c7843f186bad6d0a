"""The plan verifier: re-checks a plan (ours, or a saved JSON one) against the manifests and
the environment as it is now. Independent of the search: it only replays the steps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ozrelease.ecosystem.compat import Deployment, Violation
from ozrelease.ecosystem.model import component_of
from ozrelease.errors import InputError
from ozrelease.inputs import MissingInputError, parse_json, read_text
from ozrelease.planner.model import PLAN_FORMAT, STRATEGIES, Plan, Step, Together, Window
from ozrelease.versions import Version, parse_version


@dataclass(frozen=True)
class Move:
    component: str
    old: str
    new: str


@dataclass(frozen=True)
class Checked:
    problems: tuple[str, ...]
    stale: bool  # the environment has moved since the plan was made
    windows: int
    steps: int


def verify(
    deployment: Deployment,
    start: Mapping[str, str],
    windows: Sequence[Sequence[Move]],
    *,
    target: Mapping[str, str] | None = None,
    requested: Mapping[str, str] | None = None,
    together: Sequence[Sequence[Sequence[str]]] | None = None,
    max_steps: int | None = None,
) -> Checked:
    """Every step allowed, every state after a window compatible, every state between two
    steps of a window too (except inside a `together` group: per window, lists of keys that
    are applied at once), the targets reached, and the plan starting from what is deployed
    now."""
    env = deployment.environment
    problems: list[str] = []
    stale = False
    now = {key: deployment.label(key, v) for key, v in env.deployed.items()}
    for key in sorted(set(now) | set(start)):
        if key not in start:
            problems.append(
                f"stale plan: {key} {now[key]} is deployed now but the plan does not know it"
            )
            stale = True
        elif key not in now:
            problems.append(
                f"stale plan: the plan starts from {key} {start[key]}, which is no longer deployed"
            )
            stale = True
        elif _version(start[key]) != env.deployed[key]:
            problems.append(
                f"stale plan: the environment has moved since the plan was made: "
                f"{key} is deployed at {now[key]}, the plan starts from "
                f"{start[key]}"
            )
            stale = True
    if stale:
        return Checked(tuple(problems), True, len(windows), sum(len(w) for w in windows))

    state: dict[str, Version] = dict(env.deployed)
    for number, window in enumerate(windows, start=1):
        before = dict(state)
        moved: set[str] = set()
        for position, move in enumerate(window):
            where = f"window {number}, step {position + 1} ({move.component})"
            if move.component not in state:
                problems.append(f"{where}: {move.component} is not deployed")
                continue
            if move.component in moved:
                problems.append(f"{where}: {move.component} moves twice in one window")
                continue
            moved.add(move.component)
            component = deployment.ecosystem.components[component_of(move.component)]
            old, new = _version(move.old), _version(move.new)
            if old != state[move.component]:
                problems.append(
                    f"{where}: starts from {move.old}, but {move.component} is at "
                    f"{deployment.label(move.component, state[move.component])} "
                    "by then"
                )
                continue
            release = component.release(new)
            if release is None:
                problems.append(f"{where}: {move.new} is not a release listed for {component.name}")
                continue
            if new <= old:
                problems.append(
                    f"{where}: {move.old} -> {move.new} is not an upgrade "
                    "(downgrades are never planned)"
                )
                continue
            if not release.can_upgrade_from(old):
                problems.append(
                    f"{where}: {component.name} {release.label} accepts upgrades "
                    f"only from {release.upgrade_from}, not from {move.old}"
                )
                continue
            state[move.component] = new
        for violation in deployment.violations(state):
            problems.append(f"after window {number}: {deployment.explain(violation)}")
        if max_steps is not None and len(window) > max_steps:
            problems.append(
                f"window {number}: {len(window)} steps, more than the plan's --max-steps "
                f"{max_steps}"
            )
        groups = together[number - 1] if together and number <= len(together) else ()
        problems += _between_steps(deployment, number, window, groups, before, state)
    for source, wanted in (("target", target), ("requested", requested)):
        for key, label in sorted((wanted or {}).items()):
            if key in state and state[key] != _version(label):
                problems.append(
                    f"{source} not reached: {key} ends at "
                    f"{deployment.label(key, state[key])}, not {label}"
                )
    return Checked(tuple(problems), False, len(windows), sum(len(w) for w in windows))


def verify_plan(deployment: Deployment, plan: Plan) -> Checked:
    """The verifier applied to a Plan object (used by the tests on every plan we make)."""
    return verify(
        deployment,
        {k: plan.label(k, v) for k, v in plan.start.items()},
        [[Move(s.component, s.from_label, s.to_label) for s in w.steps] for w in plan.windows],
        target={k: plan.label(k, v) for k, v in plan.target.items()},
        requested={k: plan.label(k, v) for k, v in plan.requested.items()},
        together=[[g.components for g in w.together] for w in plan.windows],
        max_steps=plan.max_steps,
    )


def _between_steps(
    deployment: Deployment,
    number: int,
    window: Sequence[Move],
    groups: Sequence[Sequence[str]],
    before: Mapping[str, Version],
    after: Mapping[str, Version],
) -> list[str]:
    """Replays a window's steps one at a time (a `together` group at once): every state
    between them must keep the constraints that held before the window."""
    problems: list[str] = []
    order = [m.component for m in window]
    group_of: dict[str, int] = {}
    for g, members in enumerate(groups):
        where = f"window {number}, together group {g + 1}"
        at = sorted(order.index(k) for k in members if k in order)
        if len(at) != len(members) or len(set(members)) != len(members):
            problems.append(f"{where}: names a component that is not a step of this window")
        elif any(k in group_of for k in members):
            problems.append(f"{where}: names a component of another group")
        elif at and at[-1] - at[0] != len(at) - 1:
            problems.append(f"{where}: its steps are not one after the other")
        group_of.update(dict.fromkeys(members, g))
    held = {_identity(v) for v in deployment.violations(before)}
    users: dict[str, set[str]] = {}
    for key in deployment.keys:
        for provider in deployment.dependencies(key):
            users.setdefault(provider, set()).add(key)
    state = dict(before)
    pending: list[str] = []
    for position, move in enumerate(window[:-1]):
        key = move.component
        if key not in after or after[key] == before.get(key):
            continue  # a step the replay above refused
        state[key] = after[key]
        pending.append(key)
        following = window[position + 1].component
        if key in group_of and group_of.get(following) == group_of[key]:
            continue  # inside a group: applied at once
        touched = sorted(set(pending).union(*(users.get(k, set()) for k in pending)))
        pending = []
        for consumer in touched:
            for need in deployment.needs(consumer, state[consumer]):
                pv = state.get(need.provider) if need.provider is not None else None
                violation = Violation(consumer, state[consumer], need, pv)
                if _identity(violation) in held or deployment.satisfied(need, state[consumer], pv):
                    continue
                problems.append(
                    f"window {number}, after step {position + 1} ({key}): "
                    f"{deployment.explain(violation)} (steps run one at a time; an order "
                    "that keeps this state compatible, or a together group, is needed)"
                )
    return problems


def _identity(violation: Violation) -> tuple[str, str, str]:
    return (violation.consumer, violation.need.kind, violation.need.name)


def load_saved(path: Path) -> dict[str, Any]:
    """A saved `ozrelease plan --format json` file, checked for shape."""
    try:
        data = parse_json(read_text(path), file=str(path))  # (bounded; a FIFO is refused)
    except MissingInputError:
        raise InputError(f"{path}: no such file (--verify)") from None
    if not isinstance(data, dict) or data.get("format") != PLAN_FORMAT:
        raise InputError(
            f'not an ozrelease plan (expected "format": "{PLAN_FORMAT}"; '
            "save one with `ozrelease plan --format json -o FILE`)",
            file=str(path),
        )
    for key, kind in (("environment", str), ("start", dict), ("windows", list), ("feasible", bool)):
        if not isinstance(data.get(key), kind):
            raise InputError(f"field {key!r} is missing or of the wrong type", file=str(path))
    return data


def verify_saved(deployment: Deployment, data: Mapping[str, Any], path: Path) -> Checked:
    env = deployment.environment
    if data["environment"] != env.name:
        raise InputError(
            f"the plan was made for environment {data['environment']!r}, not "
            f"{env.name!r} (give --env {data['environment']})",
            file=str(path),
        )
    if not data["feasible"]:
        return Checked(("the saved plan is infeasible: it has no steps to verify",), False, 0, 0)
    windows: list[list[Move]] = []
    try:
        for window in data["windows"]:
            windows.append(
                [Move(str(s["component"]), str(s["from"]), str(s["to"])) for s in window["steps"]]
            )
        start = {str(k): str(v) for k, v in data["start"].items()}
        target = {str(k): str(v) for k, v in (data.get("target") or {}).items()}
        for labels in (start, target):
            for label in labels.values():
                _version(label)
        for window_moves in windows:
            for move in window_moves:
                _version(move.old)
                _version(move.new)
    except (KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"malformed plan: {exc}", file=str(path)) from None
    except ValueError as exc:
        raise InputError(f"malformed plan: {exc}", file=str(path)) from None
    max_steps = data.get("maxSteps")
    if max_steps is not None and (not isinstance(max_steps, int) or isinstance(max_steps, bool)):
        raise InputError("malformed plan: maxSteps is not a number", file=str(path))
    checked = verify(
        deployment,
        start,
        windows,
        target=target,
        together=_saved_together(data, path),
        max_steps=max_steps,
    )
    if checked.stale or checked.problems:
        return checked
    try:
        stated = _stated(deployment, data, [w["steps"] for w in data["windows"]])
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise InputError(f"malformed plan: {exc}", file=str(path)) from None
    return Checked(tuple(stated), bool(stated), checked.windows, checked.steps)


def _saved_together(data: Mapping[str, Any], path: Path) -> list[list[list[str]]]:
    """Each window's `together` groups (absent: none) as lists of keys."""
    found: list[list[list[str]]] = []
    for window in data["windows"]:
        groups = window.get("together", []) if isinstance(window, dict) else []
        if not isinstance(groups, list) or not all(
            isinstance(g, dict)
            and isinstance(g.get("components"), list)
            and all(isinstance(k, str) for k in g["components"])
            for g in groups
        ):
            raise InputError(
                "malformed plan: together must be a list of {components: [str], reason: str}",
                file=str(path),
            )
        found.append([list(g["components"]) for g in groups])
    return found


def step_facts(deployment: Deployment, key: str, old: Version, new: Version) -> dict[str, Any]:
    """What the manifests say now about a step, beyond its releases: the chart that ships
    its target and the vendor actions of every release it passes. Saved with the plan
    (`plan --format json`, each key only when there is something to say) so that `--verify`
    notices when they change."""
    component = deployment.ecosystem.components[component_of(key)]
    target = component.release(new)
    return {
        "chart": target.chart if target is not None else None,
        "actions": [
            {
                "release": r.label,
                "when": a.when,
                "run": a.run,
                "manual": a.manual,
                "why": a.why,
            }
            for r in component.releases
            if old < r.version <= new
            for a in r.actions
        ],
    }


def _step_now(deployment: Deployment, key: str, old: Version, new: Version) -> Step:
    from ozrelease.planner import _step  # the planner's own reading of a step

    return _step(deployment, key, old, new, None)


def _stated(
    deployment: Deployment, data: Mapping[str, Any], steps: Sequence[Sequence[Mapping[str, Any]]]
) -> list[str]:
    """Every field the plan states that the manifests now contradict."""
    problems: list[str] = []
    strategy = data.get("strategy")
    if strategy is not None and strategy not in STRATEGIES:
        problems.append(f"stale plan: unknown strategy {strategy!r}")
    if strategy == "one-at-a-time":
        # one step per window, except steps that must be applied together (one group)
        for number, raw_window in enumerate(data["windows"], start=1):
            together = raw_window.get("together") or []
            whole = len(together) == 1 and len(together[0].get("components", [])) == len(
                raw_window["steps"]
            )
            if len(raw_window["steps"]) > 1 and not whole:
                problems.append(
                    f"stale plan: window {number} has {len(raw_window['steps'])} steps, but the "
                    "plan says one-at-a-time (one step per window unless they must move together)"
                )
    requested = data.get("requested") or data.get("target") or {}
    for number, window in enumerate(steps, start=1):
        for position, raw in enumerate(window, start=1):
            key = str(raw["component"])
            where = f"stale plan: window {number}, step {position} ({key})"
            old, new = _version(str(raw["from"])), _version(str(raw["to"]))
            now = _step_now(deployment, key, old, new)
            facts = step_facts(deployment, key, old, new)
            if "reversible" in raw and bool(raw["reversible"]) != now.reversible:
                problems.append(
                    f"{where}: the manifests now say reversible: {str(now.reversible).lower()} "
                    f"(the plan says {str(bool(raw['reversible'])).lower()})"
                )
            if "notes" in raw and list(raw["notes"] or []) != list(now.notes):
                problems.append(f"{where}: its notes changed in the manifests")
            if raw.get("chart") != facts["chart"]:
                problems.append(
                    f"{where}: the chart that ships {raw['to']} is now {facts['chart']} in the "
                    f"manifests (the plan says {raw.get('chart')})"
                )
            if (raw.get("actions") or []) != facts["actions"]:
                problems.append(f"{where}: its vendor actions changed in the manifests")
            pulled = raw.get("pulledInBy")
            if pulled is not None and (
                str(pulled) not in requested
                and str(pulled) not in {component_of(k) for k in requested}
            ):
                problems.append(
                    f"{where}: pulled in by {pulled}, which is not a target of the plan"
                )
            if pulled is not None and key in requested:
                problems.append(f"{where}: a target of the plan cannot be pulled in by {pulled}")
    return problems


def plan_from_saved(deployment: Deployment, data: Mapping[str, Any]) -> Plan:
    """A verified saved plan as a Plan, its steps read from the manifests as they are now
    (verification has shown they say the same)."""
    start = {str(k): _version(str(v)) for k, v in data["start"].items()}
    target = {str(k): _version(str(v)) for k, v in (data.get("target") or {}).items()}
    requested = {str(k): _version(str(v)) for k, v in (data.get("requested") or {}).items()}
    windows = []
    for window in data["windows"]:
        steps = []
        for raw in window["steps"]:
            key = str(raw["component"])
            step = _step_now(deployment, key, _version(str(raw["from"])), _version(str(raw["to"])))
            pulled = raw.get("pulledInBy")
            steps.append(
                Step(
                    **{
                        **step.__dict__,
                        "pulled_in_by": str(pulled) if pulled is not None else None,
                    }
                )
            )
        together = tuple(
            Together(tuple(str(c) for c in g["components"]), str(g.get("reason", "")))
            for g in window.get("together", [])
        )
        windows.append(Window(tuple(steps), together))
    labels = {key: {v: deployment.label(key, v)} for key, v in start.items()}
    for window_ in windows:
        for step_ in window_.steps:
            labels.setdefault(step_.component, {})[step_.to_version] = step_.to_label
    return Plan(
        environment=str(data["environment"]),
        feasible=True,
        strategy=str(data.get("strategy") or STRATEGIES[0]),
        prefer=str(data.get("prefer") or "least-change"),
        start=start,
        target=target or dict(start),
        requested=requested,
        windows=tuple(windows),
        labels=labels,
        optimal=data.get("optimal") is not False,
        max_steps=data.get("maxSteps") if isinstance(data.get("maxSteps"), int) else None,
    )


def _version(label: str) -> Version:
    return parse_version(label)
