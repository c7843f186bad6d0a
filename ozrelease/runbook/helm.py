"""The plan as a POSIX shell script of helm and kubectl commands (`plan.helm.sh.j2`).

Every word that reaches the script is quoted here with `shlex.quote`, and every command puts
its flags first and `--` before its release and chart. The script reads `helm list` before
the first window it runs and stops on any difference from the plan's start.
"""

from __future__ import annotations

import shlex
from typing import Any

from ozrelease.ecosystem.compat import Deployment
from ozrelease.planner.model import Plan
from ozrelease.runbook.common import (
    Block,
    PlannedStep,
    StartRelease,
    and_list,
    backup_reasons,
    backup_what,
    health_commands,
    last_steps,
    manual_reason,
    missing_namespaces,
    one_line,
    planned_windows,
    plural,
    rename_reason,
    repositories,
    sh,
    unpinned_reason,
    upgrade_argv,
)

_CHART = "__OZRELEASE_CHART__"  # stands for "$chart", the chart version read at run time


def q(text: str) -> str:
    """One shell word holding `text` on one line."""
    return shlex.quote(one_line(text))


def helm_view(deployment: Deployment, plan: Plan) -> dict[str, Any]:
    """The view for `plan.helm.sh.j2`: every value in it is already quoted."""
    windows = planned_windows(deployment, plan)
    out_windows = []
    for w in windows:
        reasons = backup_reasons(deployment, w.steps)
        out_windows.append(
            {
                "number": w.number,
                "title": q(
                    f"== Window {w.number} of {len(windows)}: " + ", ".join(p.text for p in w.steps)
                ),
                "backup": q(
                    f"Back up {backup_what(w.steps)} before window {w.number}: "
                    + "; ".join(reasons)
                )
                if reasons
                else "",
                "preflight": [_expect(s) for s in w.start],
                "lines": [line for block in w.blocks for line in _block(block)],
            }
        )
    missing = missing_namespaces(windows)
    return {
        "environment": one_line(plan.environment),
        "summary": f"{plural(len(windows), 'window')}, {plural(len(plan.steps), 'step')}",
        "no_namespace": one_line(and_list(missing)) if missing else "",
        "repositories": [
            sh(["helm", "repo", "add", "--force-update", "--", alias, url])
            for alias, url in repositories(windows)
        ],
        "windows": out_windows,
        "last": len(windows),
        "done": q(
            f"== Done: {plan.environment} is at "
            + ", ".join(f"{s.component} {s.to_label}" for s in last_steps(plan))
        ),
    }


def _expect(s: StartRelease) -> str:
    return sh(["expect", s.release, s.chart_name, s.chart_version or "", s.version, *s.where_args])


def _block(block: Block) -> list[str]:
    """The script lines of one block: one step, or a group applied at the same time."""
    if not block.together:
        return _step(block.steps[0])
    lines = [
        "",
        "step=" + q("together: " + ", ".join(p.text for p in block.steps)),
        'say "$step"',
        "# " + one_line(f"These move at the same time: {block.reason}"),
    ]
    for p in block.steps:
        lines += _gates(p, "before")
    background = [p for p in block.steps if p.target.helm and not p.renamed]
    for p in block.steps:
        if p not in background:
            lines += _step(p, gates=False)
    for i, p in enumerate(background, start=1):
        lines += _chart_lines(p)
        upgrade = _upgrade(p)
        lines += upgrade[:-1]
        lines.append(f"{upgrade[-1]} & pid_{i}=$!")
    if background:
        lines.append("failed=0")
        lines += [f'wait "$pid_{i}" || failed=1' for i in range(1, len(background) + 1)]
        lines.append('[ "$failed" = 0 ] || exit 1')
    for p in background:
        lines += [sh(c) for c in health_commands(p.target)]
    for p in block.steps:
        lines += _gates(p, "after")
    return lines


def _chart_lines(p: PlannedStep) -> list[str]:
    if p.chart is not None:
        return []
    t = p.previous
    assert t.release and t.chart_name
    return [
        "# " + unpinned_reason(p),
        "chart=$(" + sh(["current_chart", t.release, t.chart_name, *t.where_args()]) + ")",
    ]


def _upgrade(p: PlannedStep, *, install: bool = False) -> list[str]:
    argv = upgrade_argv(p, chart=p.chart or _CHART, reuse=not install)
    line = sh(argv).replace(f"--version {_CHART}", '--version "$chart"')
    if install:
        line = line.replace(" --set-string ", ' --values "$values" --set-string ', 1)
    t = p.target
    assert t.release and t.chart_ref
    # OZRELEASE_HELM_ARGS is split into words on purpose; it goes before `--`
    return [
        "# shellcheck disable=SC2086",
        line + " ${OZRELEASE_HELM_ARGS:-} -- " + sh([t.release, t.chart_ref]),
    ]


def _gates(p: PlannedStep, when: str) -> list[str]:
    lines = []
    for gate in p.before if when == "before" else p.after:
        if gate.action.manual:
            lines.append(sh(["gate", gate.name, gate.text]))
        else:
            t = p.previous if when == "before" else p.target
            lines.append(sh(["say", f"automatic action {gate.name}: {gate.text}"]))
            if t.release:
                lines.append(
                    sh(
                        [
                            "kubectl",
                            "exec",
                            *t.kubectl_where(),
                            f"deploy/{t.release}",
                            "--",
                            *gate.argv(),
                        ]
                    )
                )
            else:
                lines.append(sh(["gate", gate.name, gate.text]))
    return lines


def _step(p: PlannedStep, *, gates: bool = True) -> list[str]:
    t = p.target
    lines = ["", "step=" + q(f"step {p.label}: {p.text}"), 'say "$step"']
    if gates:
        lines += _gates(p, "before")
    if not t.helm:
        lines.append("confirm " + q(manual_reason(p)))
    elif p.renamed:
        old = p.previous
        assert old.release
        lines.append("confirm " + q(rename_reason(p)))
        lines.append("values=$(mktemp) && trap 'rm -f \"$values\"; on_exit' EXIT")
        lines.append(
            sh(["helm", "get", "values", "--output", "yaml", *old.where_args(), "--", old.release])
            + ' >"$values"'
        )
        lines.append(
            sh(
                [
                    "kubectl",
                    "scale",
                    "deployment",
                    *old.kubectl_where(),
                    "--selector",
                    f"app.kubernetes.io/instance={old.release}",
                    "--replicas=0",
                ]
            )
        )
        if p.chart is None:
            lines.append(
                sh(["fail", f"no chart version of {t.chart_ref} is known for {p.step.to_label}"])
            )
        lines += _upgrade(p, install=True)
        lines += [sh(c) for c in health_commands(t)]
        lines.append(sh(["helm", "uninstall", *old.where_args(), "--wait", "--", old.release]))
    else:
        lines += _chart_lines(p)
        lines += _upgrade(p)
        lines += [sh(c) for c in health_commands(t)]
    if t.health_check and not any(c[0] == "curl" for c in health_commands(t)):
        lines.append("# check by hand (manifest healthCheck): " + one_line(t.health_check))
    if gates:
        lines += _gates(p, "after")
    return lines
