"""Plans as people execute them: the view model behind the runbook templates
(`plan.txt.j2`, `plan.md.j2`, `plan.html.j2`, and users' own).

Every sentence, order and grouping is decided here; the templates only lay values out. The
view is plain data (dicts, lists, strings, numbers, booleans), documented by `runbook_view`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ozrelease.ecosystem.compat import Deployment, Violation, provided_text
from ozrelease.ecosystem.graph import deployment_graph
from ozrelease.planner.model import Plan, Together
from ozrelease.runbook import svg as svg
from ozrelease.runbook.common import (
    LONG_MIGRATION,
    PlannedStep,
    and_list,
    backup_reasons,
    health_commands,
    irreversible_releases,
    irreversible_text,
    manual_reason,
    planned_windows,
    printable,
    rename_reason,
    repositories,
    restores,
    rollback_text,
    sh,
    unpinned_reason,
    upgrade_argv,
)
from ozrelease.versions import Version

BROKEN_NOW = "broken now: "


def runbook_view(deployment: Deployment, plan: Plan) -> dict[str, Any]:
    """The view of every runbook template. Its shape:

    ```
    environment, environment_title, feasible, strategy, prefer,
    headline: str                    one sentence: what this runbook does (or that it cannot)
    window_count, step_count: int
    components: [{key, now, target, moves, why}]   every deployed key, sorted
    changes: [str]                   `key FROM -> TO (why)` for keys that move
    pinned: [str]
    pulled_in: [{key, by, text, reason}]           non-targets that move, and why
    points_of_no_return: [{window, step, text, releases, sentence}]
    eol: [str]; broken_now: [str]; notices: [str] (e.g. not proven optimal); manual: [str]
    before_you_start: [{text, command}]
    windows: [{number, title, anchor, summary, irreversible,
               preflight: {check_running, constraints: [{text, ok}], all_ok, state_text,
                           backup: {required, text, reasons}, long_migrations: [[part]],
                           manual: [str]},
               steps: [step], after: {check_running, constraints, all_ok, state_text, next},
               together: [{steps: [label], text, how, reason}]}]   steps applied at once
    step: {number, label, anchor, key, title, from, to, text, passes, tags, pulled_in_by,
           reversible, irreversible_releases, image, chart, helm_release, namespace,
           manual, manual_text, warnings: [str], command, health: {text, commands},
           rollback: {reversible, text, commands}, notes: [[part]], notes_plain: [str],
           together_open: {text, how, reason} | None   on the first step of a together group
           together_close: str}                        on its last step ("" elsewhere)
    part: {text, code}               a note in pieces, so code can be shown as code
    problems: [str]; furthest: [str]  (infeasible plans)
    timeline, graph: SVG layouts (see ozrelease.runbook.svg)
    ```
    """
    env = deployment.environment
    planned_w = planned_windows(deployment, plan)
    planned = [w.steps for w in planned_w]
    moved = {s.component for s in plan.steps}
    pulled = {s.component: s.pulled_in_by for s in plan.steps if s.pulled_in_by}
    label = plan.label

    def why(key: str) -> str:
        if key in plan.requested and plan.requested[key] == plan.start[key]:
            return "pinned"
        if key in plan.requested:
            return "target"
        if key in pulled:
            return f"pulled in by {pulled[key]}"
        return "repair" if key in moved else "unchanged"

    target = plan.target if plan.feasible else {**plan.start, **plan.requested}
    components = [
        {
            "key": key,
            "now": label(key, plan.start[key]),
            "target": label(key, target.get(key, plan.start[key])),
            "moves": key in moved,
            "why": why(key),
        }
        for key in sorted(plan.start)
    ]
    changes = [
        f"{c['key']} {c['now']} -> {c['target']} ({c['why']})" for c in components if c["moves"]
    ]
    pinned = [
        f"{key} {label(key, v)}"
        for key, v in sorted(plan.requested.items())
        if v == plan.start[key]
    ]
    # The templates say "broken now: " themselves; past end of life and the other warnings
    # (not proven optimal) are listed as they are, each under its own heading.
    broken_now = [
        w.message.removeprefix(BROKEN_NOW) for w in plan.warnings if w.kind == "broken-now"
    ]
    eol = [w.message for w in plan.warnings if w.kind == "eol"]
    notices = [w.message for w in plan.warnings if w.kind not in ("broken-now", "eol")]

    windows = []
    points = []
    manual: list[str] = []
    states = plan.states()
    for index, steps in enumerate(planned):
        window = _window(deployment, steps, states[index], states[index + 1], len(planned))
        _mark_together(window, plan.windows[index].together)
        windows.append(window)
        for step, p in zip(window["steps"], steps, strict=True):
            if not p.step.reversible:
                points.append(
                    {
                        "window": p.window,
                        "step": step["label"],
                        "text": p.text,
                        "releases": ", ".join(step["irreversible_releases"]),
                        "sentence": f"Window {p.window}, step {step['label']}: {p.text} "
                        f"({irreversible_text(step['irreversible_releases'])}). After it, "
                        f"the only way back is to restore the backup taken before window "
                        f"{p.window}.",
                    }
                )
            if step["manual"]:
                manual.append(f"Window {p.window}, step {step['label']}: {step['manual_text']}")

    steps_total = len(plan.steps)
    if not plan.feasible:
        headline = f"No safe plan exists for {plan.environment} ({plan.strategy}, {plan.prefer})."
    elif not plan.windows:
        headline = (
            "Nothing to do: every target is already reached and the deployed state is compatible."
        )
    else:
        headline = (
            f"{len(plan.windows)} maintenance window{_s(len(plan.windows))}, "
            f"{steps_total} step{_s(steps_total)}."
        )

    before = []
    for alias, url in repositories(planned_w):
        before.append(
            {
                "text": f"The Helm chart repository {alias} is known to helm and up to date",
                "command": sh(["helm", "repo", "add", "--force-update", "--", alias, url]),
            }
        )
    if plan.windows:
        before.append(
            {
                "text": "You know how to back up and restore the databases of the components "
                "that move, and where the backups go",
                "command": "",
            }
        )
        before.append({"text": "You have read every step's notes below", "command": ""})

    view: dict[str, Any] = printable(
        {
            "environment": plan.environment,
            "environment_title": env.title or "",
            "feasible": plan.feasible,
            "strategy": plan.strategy,
            "prefer": plan.prefer,
            "headline": headline,
            "window_count": len(plan.windows),
            "step_count": steps_total,
            "components": components,
            "changes": changes,
            "pinned": pinned,
            "pulled_in": _pulled_in(deployment, plan, pulled),
            "points_of_no_return": points,
            "eol": eol,
            "notices": notices,
            "broken_now": broken_now,
            "manual": manual,
            "before_you_start": before,
            "windows": windows,
            "problems": [p.message for p in plan.problems],
            "furthest": [
                f"{key} {label(key, v)}" for key, v in sorted((plan.furthest or {}).items())
            ],
            "timeline": _timeline(windows),
            "graph": _graph(deployment, plan),
        }
    )
    return view


# --------------------------------------------------------------------------- windows


def _window(
    deployment: Deployment,
    steps: Sequence[PlannedStep],
    before: Mapping[str, Version],
    after: Mapping[str, Version],
    count: int,
) -> dict[str, Any]:
    number = steps[0].window
    moving = {p.step.component for p in steps}
    now = _constraints(deployment, before, moving)
    then = _constraints(deployment, after, moving)
    reasons = backup_reasons(deployment, steps)
    names = and_list([p.step.component for p in steps])
    if reasons:
        backup = {
            "required": True,
            "text": f"Back up the databases of {names} and check that the backup restores",
            "reasons": reasons,
        }
    else:
        backup = {
            "required": False,
            "text": f"Recommended: back up the databases of {names}; every step of this window "
            "can be rolled back by deploying the release before it",
            "reasons": [],
        }
    broken = [c for c in now if not c["ok"]]
    if not now:
        state_text = "The components that move have no constraints on each other or on others."
    elif not broken:
        state_text = f"The state before this window is compatible: {len(now)} constraint" + (
            " holds" if len(now) == 1 else "s hold"
        )
    else:
        state_text = (
            f"{len(broken)} constraint{_s(len(broken))} {'is' if len(broken) == 1 else 'are'} "
            "broken before this window (broken now); this window repairs "
            f"{'it' if len(broken) == 1 else 'them'}"
        )
    long_migrations = [
        [{"text": f"{p.step.component}: ", "code": False}, *_code_parts(note)]
        for p in steps
        for note in p.step.notes
        if LONG_MIGRATION.search(note)
    ]
    step_views = [_step(deployment, p) for p in steps]
    return {
        "number": number,
        "title": f"Window {number} of {count}",
        "anchor": f"window-{number}",
        "summary": ", ".join(p.text for p in steps),
        "irreversible": any(not p.step.reversible for p in steps),
        "preflight": {
            "check_running": "Check that these run now: "
            + ", ".join(f"{p.step.component} {p.step.from_label}" for p in steps),
            "constraints": now,
            "all_ok": not broken,
            "state_text": state_text,
            "backup": backup,
            "long_migrations": long_migrations,
            "manual": [s["manual_text"] for s in step_views if s["manual"]],
        },
        "steps": step_views,
        "after": {
            "check_running": "Check that these run now, healthy: "
            + ", ".join(f"{p.step.component} {p.step.to_label}" for p in steps),
            "constraints": then,
            "all_ok": all(c["ok"] for c in then),
            "state_text": f"The state after this window is compatible: {len(then)} constraint"
            + (" holds" if len(then) == 1 else "s hold"),
            "next": f"Then stop or pause: window {number + 1} may start only when this one "
            "is done and checked"
            if number < count
            else "The upgrade is complete",
        },
    }


def _mark_together(window: dict[str, Any], groups: Sequence[Together]) -> None:
    """The window's together groups (plan.windows[i].together), on the window and on the
    first and last step of each, so that templates can open and close one block."""
    window["together"] = []
    for step in window["steps"]:
        step["together_open"], step["together_close"] = None, ""
    for group in groups:
        steps = [s for s in window["steps"] if s["key"] in group.components]
        labels = and_list([s["label"] for s in steps])
        block = {
            "steps": [s["label"] for s in steps],
            "text": f"apply steps {labels} at the same time, not one after the other",
            "how": "No order of them keeps every state in between compatible: start them "
            "back to back, then check the health of each.",
            "reason": group.reason,
        }
        window["together"].append(block)
        steps[0]["together_open"] = block
        steps[-1]["together_close"] = f"End of together (steps {labels})"


def _constraints(
    deployment: Deployment, state: Mapping[str, Version], moving: set[str]
) -> list[dict[str, Any]]:
    """The constraints that touch a moving key, evaluated in `state`: what a moving key
    needs, and what needs a moving key."""
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    for key in deployment.keys:
        version = state[key]
        for need in deployment.needs(key, version):
            if key not in moving and need.provider not in moving:
                continue
            provider_version = state.get(need.provider) if need.provider else None
            ok = deployment.satisfied(need, version, provider_version)
            who = f"{key} {deployment.label(key, version)} {need.kind} {need.name} {need.wanted}"
            if not ok:
                text = deployment.explain(Violation(key, version, need, provider_version))
            else:
                assert need.provider is not None and provider_version is not None
                provider = f"{need.provider} {deployment.label(need.provider, provider_version)}"
                if need.kind == "consumes":
                    provided = provided_text(
                        deployment.release(need.provider, provider_version), need.name
                    )
                    text = f"{who}: {provider} provides {need.name} {provided}"
                else:
                    text = f"{who}: {provider}"
            if text not in seen:
                seen.add(text)
                found.append({"text": text, "ok": ok})
    return found


def _step(deployment: Deployment, p: PlannedStep) -> dict[str, Any]:
    s, t, prev = p.step, p.target, p.previous
    between = s.passes[:-1]
    if len(between) > 3:
        passes = f"passes {len(between)} releases, {between[0]} to {between[-1]}"
    elif between:
        passes = "passes " + ", ".join(between)
    else:
        passes = ""
    stops = irreversible_releases(deployment, s)
    warnings = []
    if t.helm and not t.chart_version:
        warnings.append(_sentence(unpinned_reason(p)))
    if p.renamed:
        warnings.append(_sentence(rename_reason(p)))

    # deploy
    if t.helm and t.release and t.chart_ref:
        chart = p.chart or "CHART_VERSION_NOW"
        command = sh(
            [*upgrade_argv(p, chart=chart, reuse=not p.renamed), "--", t.release, t.chart_ref]
        )
        if p.renamed and prev.release:
            command = (
                sh(
                    [
                        "helm",
                        "get",
                        "values",
                        "--output",
                        "yaml",
                        *prev.where_args(),
                        "--",
                        prev.release,
                    ]
                )
                + " >values.yaml && "
                + command.replace(" --set-string ", " --values values.yaml --set-string ", 1)
            )
        manual_text = ""
    else:
        command = ""
        manual_text = _sentence(manual_reason(p))

    # health
    checks = [sh(c) for c in health_commands(t)]
    if t.health_check and re.match(r"https?://", t.health_check):
        health_text = f"{t.health_check} answers (the health check of the manifests)"
    elif t.health_check:
        health_text = f"The health check of the manifests passes: {t.health_check}"
    elif t.helm and t.release:
        pods = sh(
            [
                "kubectl",
                "get",
                "pods",
                *t.kubectl_where(),
                "--selector",
                f"app.kubernetes.io/instance={t.release}",
            ]
        )
        checks.append(pods)
        health_text = (
            f"helm reports the release {t.release} deployed, all its pods are Running and "
            f"Ready, and the API root of {s.component} answers over HTTPS"
        )
    else:
        health_text = (
            f"{s.component} runs {s.to_label}, its clients reconnect, and no errors appear in "
            "their logs"
        )

    # rollback: a step through migrations or an irreversible release is undone by the backup
    back: list[str] = []
    if p.renamed and t.release and prev.release:
        back.append(sh(["helm", "uninstall", *t.where_args(), "--", t.release]))
        back.append(
            sh(
                [
                    "kubectl",
                    "scale",
                    "deployment",
                    *prev.kubectl_where(),
                    "--selector",
                    f"app.kubernetes.io/instance={prev.release}",
                    "--replicas=1",
                ]
            )
        )
    elif prev.helm and prev.release and not restores(p):
        back.append(sh(["helm", "rollback", *prev.where_args(), "--wait", "--", prev.release]))
    rollback = {
        "reversible": s.reversible,
        "text": rollback_text(deployment, p),
        "commands": back,
    }
    gates = [
        {
            "name": g.name,
            "when": g.action.when,
            "manual": g.action.manual,
            "text": _sentence(g.text),
            "run": g.action.run,
        }
        for g in p.gates
    ]

    tags = []
    if s.pulled_in_by:
        tags.append(f"pulled in by {s.pulled_in_by}")
    if not s.reversible:
        tags.append("IRREVERSIBLE")
    if not t.helm:
        tags.append("manual")
    if passes:
        tags.append(passes)

    number = f"{p.window}.{p.position}"
    return {
        "number": p.position,
        "label": number,
        "anchor": f"step-{p.window}-{p.position}",
        "key": s.component,
        "title": f"Step {number}: {p.text}",
        "from": s.from_label,
        "to": s.to_label,
        "text": p.text,
        "passes": passes,
        "tags": "; ".join(tags),
        "pulled_in_by": s.pulled_in_by or "",
        "reversible": s.reversible,
        "irreversible_releases": stops,
        "image": t.image or "",
        "chart": t.chart_text,
        "helm_release": t.release or "",
        "namespace": t.namespace or "",
        "manual": not t.helm,
        "manual_text": manual_text,
        "warnings": warnings,
        "command": command,
        "health": {"text": health_text, "commands": checks},
        "rollback": rollback,
        "gates": gates,
        "before": [g for g in gates if g["when"] == "before"],
        "after": [g for g in gates if g["when"] == "after"],
        "notes": [_code_parts(n) for n in s.notes],
        "notes_plain": list(s.notes),
    }


# --------------------------------------------------------------------------- summary


def _pulled_in(
    deployment: Deployment, plan: Plan, pulled: Mapping[str, str | None]
) -> list[dict[str, str]]:
    """Each non-target that moves, the target that pulled it in, and the constraint that
    would break if it stayed where it is."""
    found: list[dict[str, str]] = []
    states = plan.states()[1:]
    for step in plan.steps:
        key = step.component
        if key not in pulled or any(f["key"] == key for f in found):
            continue
        reason = ""
        for state in states:
            trial = dict(state)
            trial[key] = plan.start[key]
            for v in deployment.violations(trial):
                if key in (v.consumer, v.need.provider):
                    reason = deployment.explain(v)
                    break
            if reason:
                break
        by = pulled[key] or ""
        text = (
            f"{key} {plan.label(key, plan.start[key])} -> {plan.label(key, plan.target[key])}, "
            f"pulled in by {by}" + (f": staying would break {reason}" if reason else "")
        )
        found.append({"key": key, "by": by, "text": text, "reason": reason})
    return found


# --------------------------------------------------------------------------- pictures


def _timeline(windows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    columns = []
    for window in windows:
        boxes = []
        for step in window["steps"]:
            kind = "step"
            tags = []
            if not step["reversible"]:
                kind += " irreversible"
                tags.append("irreversible")
            if step["pulled_in_by"]:
                kind += " pulled"
                tags.append("pulled in")
            if step["manual"]:
                kind += " manual"
                tags.append("manual")
            boxes.append(
                svg.TimelineStep(
                    key=step["key"],
                    component=step["key"],
                    lines=(
                        f"{step['label']} {step['key']}",
                        f"{step['from']} -> {step['to']}",
                        ", ".join(tags),
                    ),
                    kind=kind,
                    title=step["title"],
                )
            )
        columns.append(boxes)
    return svg.timeline(columns)


def _graph(deployment: Deployment, plan: Plan) -> dict[str, Any]:
    target = plan.target if plan.feasible else plan.start
    moves = {
        key: f"{plan.label(key, plan.start[key])} -> {plan.label(key, target[key])}"
        for key in plan.start
        if target.get(key, plan.start[key]) != plan.start[key]
    }
    broken = sorted({k for v in deployment.violations(plan.start) for k in v.components})
    return svg.dependency_graph(deployment_graph(deployment), moves, broken)


# --------------------------------------------------------------------------- words


_CODE = re.compile(r"`([^`]+)`")


def _code_parts(text: str) -> list[dict[str, Any]]:
    """A note as text and `code` parts, so each format can show code as code."""
    parts: list[dict[str, Any]] = []
    at = 0
    for match in _CODE.finditer(text):
        if match.start() > at:
            parts.append({"text": text[at : match.start()], "code": False})
        parts.append({"text": match.group(1), "code": True})
        at = match.end()
    if at < len(text):
        parts.append({"text": text[at:], "code": False})
    return parts


def _sentence(text: str) -> str:
    return text if text.endswith(".") else text + "."


def _s(count: int) -> str:
    return "" if count == 1 else "s"
