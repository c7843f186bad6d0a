"""The plan verifier: re-checks a plan (ours, or a saved JSON one) against the manifests and
the environment as it is now. Independent of the search: it only replays the steps."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ozrelease.ecosystem.compat import Deployment
from ozrelease.ecosystem.model import component_of
from ozrelease.errors import InputError
from ozrelease.planner.model import PLAN_FORMAT, Plan
from ozrelease.planner.order import order_violations
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
    max_steps: int | None = None,
) -> Checked:
    """Every step allowed, every state after a window compatible, providers first inside a
    window, the targets reached, and the plan starting from what is deployed now."""
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
        keys = [m.component for m in window if m.component in state]
        for consumer, provider in order_violations(deployment, keys):
            problems.append(
                f"window {number}: {consumer} comes before {provider}, which it "
                "depends on (providers first)"
            )
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
        max_steps=plan.max_steps,
    )


def load_saved(path: Path) -> dict[str, Any]:
    """A saved `ozrelease plan --format json` file, checked for shape."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file (--verify)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", file=str(path)) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", file=str(path), line=exc.lineno) from None
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
    return verify(deployment, start, windows, target=target, max_steps=max_steps)


def _version(label: str) -> Version:
    return parse_version(label)
