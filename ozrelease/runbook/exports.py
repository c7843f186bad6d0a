"""Plans as deployment engines run them: a Helm shell script, Argo CD Applications, an
Ansible playbook; and the deploy targets (release, chart, image) that runbooks show too.

YAML is built as Python data and written with `yaml.safe_dump`; the shell script is a
template (`plan.helm.sh.j2`) whose every value is quoted here with `shlex.quote`. Steps of
components without Helm hints (databases, brokers) become manual steps in every export.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from ozrelease.ecosystem.compat import Deployment
from ozrelease.ecosystem.model import component_of, instance_of
from ozrelease.planner.model import Plan, Step
from ozrelease.versions import Version

ARGOCD_NAMESPACE = "argocd"
ANSIBLE_NAMESPACE_VAR = "ozrelease_namespace"

# --------------------------------------------------------------------------- deploy targets


@dataclass(frozen=True)
class DeployTarget:
    """Where and how one component (a deployed key) runs at one release."""

    key: str
    version: str  # the release label: the image tag
    release: str | None  # Helm release name; `-INSTANCE` appended for `COMPONENT@INSTANCE`
    chart_ref: str | None  # as the manifests write it: `maykinmedia/openzaak`, `oci://...`
    chart_version: str | None  # the chart that ships this release, when the manifests know it
    repository: str | None  # chart repository URL
    namespace: str | None
    image: str | None  # `image:tag`
    health_check: str | None  # a URL or a command, from the manifests

    @property
    def helm(self) -> bool:
        """Deployable with Helm: a chart and a release name are known."""
        return self.chart_ref is not None and self.release is not None

    @property
    def oci(self) -> bool:
        return bool(self.chart_ref and self.chart_ref.startswith("oci://"))

    @property
    def chart_name(self) -> str | None:
        """The chart's own name: `openzaak` for `maykinmedia/openzaak`."""
        return self.chart_ref.rstrip("/").rsplit("/", 1)[-1] if self.chart_ref else None

    @property
    def repo_alias(self) -> str | None:
        """`maykinmedia` for `maykinmedia/openzaak` (a repository added under that name)."""
        if self.chart_ref is None or self.oci or self.chart_ref.count("/") != 1:
            return None
        return self.chart_ref.split("/", 1)[0]

    @property
    def chart_text(self) -> str:
        """`maykinmedia/openzaak 1.14.2`, or the chart alone when its version is unknown."""
        if self.chart_ref is None:
            return ""
        return f"{self.chart_ref} {self.chart_version}" if self.chart_version else self.chart_ref


def deploy_target(deployment: Deployment, key: str, version: Version) -> DeployTarget:
    """The deploy hints of `key` at `version` (component-level hints with the release's
    overrides), with a Helm release name of its own for each instance."""
    release = deployment.release(key, version)
    hints = release.deploy
    instance = instance_of(key)
    name = hints.helm_release
    if name is None and hints.helm_chart is not None:
        name = hints.helm_chart.rstrip("/").rsplit("/", 1)[-1]
    if name is not None and instance is not None:
        name = f"{name}-{instance}"
    return DeployTarget(
        key=key,
        version=release.label,
        release=name,
        chart_ref=hints.helm_chart,
        chart_version=release.chart if hints.helm_chart else None,
        repository=hints.helm_repository,
        namespace=hints.helm_namespace,
        image=f"{hints.image}:{release.label}" if hints.image else None,
        health_check=hints.health_check,
    )


def helm_upgrade(target: DeployTarget) -> list[str]:
    """`helm upgrade --install RELEASE CHART [--version V] --set image.tag=TAG --wait`."""
    assert target.helm and target.release and target.chart_ref
    argv = ["helm", "upgrade", "--install", target.release]
    if target.repo_alias is None and not target.oci and target.repository:
        argv += [target.chart_ref, "--repo", target.repository]  # a bare chart name
    else:
        argv.append(target.chart_ref)
    if target.chart_version:
        argv += ["--version", target.chart_version]
    if target.namespace:
        argv += ["--namespace", target.namespace]
    argv += ["--set", f"image.tag={target.version}", "--wait"]
    return argv


def helm_namespace_args(target: DeployTarget) -> list[str]:
    """`--namespace NS` when the manifests name one."""
    return ["--namespace", target.namespace] if target.namespace else []


def health_commands(target: DeployTarget) -> list[list[str]]:
    """The checks to run after deploying `target`: the manifests' healthCheck (a URL is
    fetched with curl, anything else is a command), else `helm status`."""
    check = target.health_check
    if check and re.match(r"https?://", check):
        return [
            [
                "curl",
                "--fail",
                "--silent",
                "--show-error",
                "--retry",
                "10",
                "--retry-connrefused",
                "--retry-delay",
                "3",
                "--output",
                "/dev/null",
                check,
            ]
        ]
    if check:
        return [["sh", "-c", check]]
    if target.helm and target.release:
        return [["helm", "status", target.release, *helm_namespace_args(target)]]
    return []


def sh(argv: Sequence[str]) -> str:
    """A command line with every word quoted for a POSIX shell where it needs it."""
    return " ".join(shlex.quote(word) for word in argv)


@dataclass(frozen=True)
class PlannedStep:
    """A step of the plan with what the exports need: its window and deploy targets."""

    window: int
    position: int  # 1-based, in the window's order (providers first)
    step: Step
    target: DeployTarget
    previous: DeployTarget  # the release the step starts from

    @property
    def text(self) -> str:
        s = self.step
        return f"{s.component} {s.from_label} -> {s.to_label}"

    @property
    def renamed(self) -> bool:
        """The Helm release changes name (open-object 3.x `objecten` -> 4.x `openobject`)."""
        return bool(
            self.target.helm and self.previous.helm and self.target.release != self.previous.release
        )


def planned_steps(deployment: Deployment, plan: Plan) -> list[list[PlannedStep]]:
    """Per window, its steps with their deploy targets."""
    return [
        [
            PlannedStep(
                number,
                position,
                step,
                deploy_target(deployment, step.component, step.to_version),
                deploy_target(deployment, step.component, step.from_version),
            )
            for position, step in enumerate(window.steps, start=1)
        ]
        for number, window in enumerate(plan.windows, start=1)
    ]


# Notes that announce slow or data-changing migrations: they call for time and a backup.
LONG_MIGRATION = re.compile(
    r"\b(data|schema|database)[ -]migrations?\b|\bminutes?\b|\bhours?\b|\blong[ -]running\b",
    re.IGNORECASE,
)


def backup_reasons(deployment: Deployment, steps: Sequence[PlannedStep]) -> list[str]:
    """Why a window needs a database backup first: an irreversible step, or data migrations
    that the manifests' notes announce."""
    reasons = []
    for p in steps:
        s = p.step
        if not s.reversible:
            stops = irreversible_releases(deployment, s)
            reasons.append(f"{p.text} cannot be rolled back ({irreversible_text(stops)})")
        elif any(LONG_MIGRATION.search(n) for n in s.notes):
            reasons.append(f"{p.text} runs data migrations (see its notes)")
    return reasons


def irreversible_releases(deployment: Deployment, step: Step) -> list[str]:
    """The labels of the irreversible releases that `step` passes, oldest first."""
    component = deployment.ecosystem.components[component_of(step.component)]
    return [
        r.label
        for r in component.releases
        if step.from_version < r.version <= step.to_version and not r.reversible
    ]


def irreversible_text(stops: Sequence[str]) -> str:
    """`4.0.0 is irreversible`, `4.0.0 and 3 later releases are irreversible`."""
    if not stops:
        return "irreversible"
    if len(stops) == 1:
        return f"{stops[0]} is irreversible"
    later = len(stops) - 1
    return f"{stops[0]} and {later} later release{'s' if later != 1 else ''} are irreversible"


def manual_reason(p: PlannedStep) -> str:
    """What the operator does by hand for a step that no engine can run."""
    t = p.target
    how = f" (image {t.image})" if t.image else ""
    return (
        f"No Helm deploy hints for {p.step.component} in the manifests: upgrade it from "
        f"{p.step.from_label} to {p.step.to_label} by hand{how}"
    )


def rename_reason(p: PlannedStep) -> str:
    """What to do when a step's Helm release has a new name (a new chart)."""
    return (
        f"The Helm release changes from {p.previous.release} ({p.previous.chart_ref}) to "
        f"{p.target.release} ({p.target.chart_ref}): stop the old release first with helm "
        f"uninstall {p.previous.release}, after checking that its database and volumes are "
        "not managed by that chart, so that the two never run side by side"
    )


def unpinned_reason(p: PlannedStep) -> str:
    """The warning for a release that no chart version in the manifests ships."""
    return (
        f"No chart version in the manifests ships {p.step.component} {p.step.to_label}: helm "
        f"takes the newest {p.target.chart_ref} chart; check that it supports "
        f"{p.step.to_label}, or pin one"
    )


def and_list(items: Sequence[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def repositories(steps: Sequence[Sequence[PlannedStep]]) -> list[tuple[str, str]]:
    """(alias, url) of every chart repository the Helm steps use, sorted."""
    found = {
        (p.target.repo_alias, p.target.repository)
        for window in steps
        for p in window
        if p.target.helm and p.target.repo_alias and p.target.repository
    }
    return sorted((a, u) for a, u in found if a and u)


# --------------------------------------------------------------------------- helm script


def helm_view(deployment: Deployment, plan: Plan) -> dict[str, Any]:
    """The view for `plan.helm.sh.j2`: every value that reaches the script is quoted here."""
    windows = planned_steps(deployment, plan)
    out_windows = []
    for steps in windows:
        number = steps[0].window
        reasons = backup_reasons(deployment, steps)
        out_steps = []
        for p in steps:
            t = p.target
            label = f"{number}.{p.position}"
            item: dict[str, Any] = {
                "label": label,
                "title": shlex.quote(f"step {label}: {p.text}"),
                "helm": t.helm,
                "comments": [],
                "confirm": [],
                "command": "",
                "checks": [],
            }
            if t.helm:
                if p.renamed:
                    item["confirm"].append(shlex.quote(rename_reason(p)))
                if not t.chart_version:
                    item["comments"].append(" ".join(unpinned_reason(p).split()))
                item["command"] = sh(helm_upgrade(t))
                item["checks"] = [sh(c) for c in health_commands(t)]
            else:
                item["confirm"].append(shlex.quote(manual_reason(p)))
                item["checks"] = [sh(c) for c in health_commands(t)]
            out_steps.append(item)
        out_windows.append(
            {
                "number": number,
                "title": shlex.quote(
                    f"== Window {number} of {len(windows)}: " + ", ".join(p.text for p in steps)
                ),
                "backup": shlex.quote(
                    f"Back up the databases of {and_list([p.step.component for p in steps])} "
                    f"before window {number}: " + "; ".join(reasons)
                )
                if reasons
                else "",
                "steps": out_steps,
                "next": number + 1 if number < len(windows) else None,
            }
        )
    return {
        "environment": plan.environment,
        "summary": f"{len(windows)} window{'s' if len(windows) != 1 else ''}, "
        f"{len(plan.steps)} step{'s' if len(plan.steps) != 1 else ''}",
        "repositories": [
            {"command": sh(["helm", "repo", "add", "--force-update", alias, url])}
            for alias, url in repositories(windows)
        ],
        "windows": out_windows,
        "done": shlex.quote(
            f"== Done: {plan.environment} is at "
            + ", ".join(f"{s.component} {s.to_label}" for s in _last_steps(plan))
        ),
    }


def _last_steps(plan: Plan) -> list[Step]:
    last: dict[str, Step] = {}
    for step in plan.steps:
        last[step.component] = step
    return [last[k] for k in sorted(last)]


# --------------------------------------------------------------------------- Argo CD


def sync_waves(plan: Plan) -> list[list[int]]:
    """Per window, the sync wave of each step: `window * 10^d + position`, so waves grow
    with the windows and, inside a window, follow its order (providers first)."""
    widest = max((len(w.steps) for w in plan.windows), default=1)
    base = 10 ** max(2, len(str(widest)))
    return [
        [number * base + position for position in range(1, len(window.steps) + 1)]
        for number, window in enumerate(plan.windows, start=1)
    ]


def argocd(deployment: Deployment, plan: Plan) -> str:
    """Argo CD Applications, one per Helm step, as multi-document YAML.

    An Application is named after its Helm release, so the documents of one component in
    several windows are successive versions of the same Application: apply (commit) one
    window at a time, sync it and check it before the next. Manual steps are comments.
    """
    windows = planned_steps(deployment, plan)
    waves = sync_waves(plan)
    parts = [
        _comment(
            [
                f"Argo CD Applications for {plan.environment}: {len(windows)} "
                f"window{'s' if len(windows) != 1 else ''}, {len(plan.steps)} "
                f"step{'s' if len(plan.steps) != 1 else ''} "
                "(generated by `ozrelease plan --format argocd`).",
                "Apply one window at a time (the annotation ozrelease/window says which), sync",
                "it, check it, then the next: an Application appears once per window in which its",
                "component moves, and applying every window at once would skip the stops.",
                "Sync waves follow the windows and, inside one, providers before consumers.",
            ]
        )
    ]
    for steps, window_waves in zip(windows, waves, strict=True):
        number = steps[0].window
        header = [f"Window {number} of {len(windows)}"]
        reasons = backup_reasons(deployment, steps)
        if reasons:
            header.append("Before it, back up the databases: " + "; ".join(reasons) + ".")
        parts.append(_comment(header, blank=True))
        for p, wave in zip(steps, window_waves, strict=True):
            t = p.target
            if not t.helm or (t.repository is None and not t.oci):
                reason = (
                    manual_reason(p)
                    if not t.helm
                    else f"no chart repository URL for {t.chart_ref} in the manifests"
                )
                parts.append(
                    _comment([f"MANUAL STEP {number}.{p.position} (wave {wave}): {reason}."])
                )
                continue
            notes = []
            if p.renamed:
                notes.append(
                    f"Replaces Application {p.previous.release} (Helm release "
                    f"{p.previous.release}, chart {p.previous.chart_ref}): delete it first, "
                    "with cascade, so that the two never run side by side; check before that "
                    "its database and volumes are not managed by that chart."
                )
            if not t.chart_version:
                notes.append(
                    f"No chart version in the manifests ships {p.step.to_label}: "
                    "targetRevision '*' takes the newest chart; pin it."
                )
            parts.append(_dump(_application(p, wave), notes))
    return "".join(parts)


def _application(p: PlannedStep, wave: int) -> dict[str, Any]:
    t = p.target
    assert t.release and t.chart_ref
    if t.oci:
        # a Helm OCI repository is registered in Argo CD without its scheme
        repo_url = t.chart_ref[len("oci://") :].rstrip("/").rsplit("/", 1)[0]
    else:
        repo_url = t.repository or ""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": t.release,
            "namespace": ARGOCD_NAMESPACE,
            "annotations": {
                "argocd.argoproj.io/sync-wave": str(wave),
                "ozrelease/window": str(p.window),
                "ozrelease/step": p.text,
            },
            "labels": {"app.kubernetes.io/name": component_of(p.step.component)},
        },
        "spec": {
            "project": "default",
            "source": {
                "repoURL": repo_url,
                "chart": t.chart_name,
                "targetRevision": t.chart_version or "*",
                "helm": {
                    "releaseName": t.release,
                    "parameters": [{"name": "image.tag", "value": t.version, "forceString": True}],
                },
            },
            "destination": {
                "server": "https://kubernetes.default.svc",
                "namespace": t.namespace or "default",
            },
        },
    }


# --------------------------------------------------------------------------- Ansible


def ansible(deployment: Deployment, plan: Plan) -> str:
    """A playbook: one play per window, in order, each with a backup in `pre_tasks`, a task
    per step and health checks in `post_tasks`; `any_errors_fatal` stops at the first
    failure. Runs against localhost with kubernetes.core (helm on the controller)."""
    windows = planned_steps(deployment, plan)
    namespace_var = f"{{{{ {ANSIBLE_NAMESPACE_VAR} | default('default') }}}}"
    plays = []
    for steps in windows:
        number = steps[0].window
        pre: list[dict[str, Any]] = []
        if number > 1:
            pre.append(
                {
                    "name": f"Start window {number} of {len(windows)}",
                    "ansible.builtin.pause": {
                        "prompt": f"Window {number - 1} is done and checked. Press Enter to "
                        f"start window {number}, or Ctrl-C then A to stop here"
                    },
                    "when": "not (ozrelease_no_pause | default(false) | bool)",
                }
            )
        reasons = backup_reasons(deployment, steps)
        if reasons:
            what = (
                f"Back up the databases of {and_list([p.step.component for p in steps])}: "
                + "; ".join(reasons)
            )
            pre += [
                {
                    "name": f"Backup before window {number}",
                    "ansible.builtin.shell": "{{ ozrelease_backup_command }}",
                    "environment": {"OZRELEASE_WINDOW": str(number)},
                    "when": "ozrelease_backup_command is defined",
                    "changed_when": True,
                },
                *_ansible_confirm(
                    f"Backup before window {number} (by hand)",
                    what,
                    "ozrelease_backup_command is not defined",
                ),
            ]
        tasks: list[dict[str, Any]] = []
        post: list[dict[str, Any]] = []
        for p in steps:
            t = p.target
            label = f"{number}.{p.position}"
            if not t.helm:
                tasks += _ansible_confirm(
                    f"Step {label}: {p.text} (MANUAL)",
                    "MANUAL STEP: " + manual_reason(p) + ", and check that it is healthy",
                )
                continue
            if p.renamed:
                tasks += _ansible_confirm(
                    f"Step {label}: stop Helm release {p.previous.release} (MANUAL)",
                    "MANUAL: " + rename_reason(p),
                )
            helm: dict[str, Any] = {"name": t.release}
            if t.oci or t.repository is None:
                helm["chart_ref"] = t.chart_ref
            else:
                helm["chart_ref"] = t.chart_name
                helm["chart_repo_url"] = t.repository
            if t.chart_version:
                helm["chart_version"] = t.chart_version
            helm["release_namespace"] = t.namespace or namespace_var
            helm["release_state"] = "present"
            helm["values"] = {"image": {"tag": t.version}}
            helm["wait"] = True
            tasks.append({"name": f"Step {label}: {p.text}", "kubernetes.core.helm": helm})
            post.append(_ansible_check(p, label, namespace_var))
        play: dict[str, Any] = {
            "name": f"Window {number} of {len(windows)}: " + ", ".join(p.text for p in steps),
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "any_errors_fatal": True,
        }
        if pre:
            play["pre_tasks"] = pre
        play["tasks"] = tasks
        if post:
            play["post_tasks"] = post
        plays.append(play)
    head = _comment(
        [
            f"Ansible playbook for {plan.environment}: {len(windows)} "
            f"window{'s' if len(windows) != 1 else ''}, {len(plan.steps)} "
            f"step{'s' if len(plan.steps) != 1 else ''} "
            "(generated by `ozrelease plan --format ansible`).",
            "Needs the kubernetes.core collection and helm on the controller. Variables:",
            f"  {ANSIBLE_NAMESPACE_VAR}: namespace of releases without one in the manifests "
            "(default: default)",
            "  ozrelease_backup_command: runs before windows that need a backup (else a pause)",
            "  ozrelease_no_pause: true to run the windows without pausing between them",
            "  ozrelease_yes: true when the manual steps and backups are done (no questions)",
        ]
    )
    return head + _dump(plays)


def _ansible_confirm(name: str, what: str, when: str | None = None) -> list[dict[str, Any]]:
    """A pause that needs `yes` typed (a pause without a terminal would just go on), unless
    the run says the manual work is done (`-e ozrelease_yes=true`)."""
    skip = "(ozrelease_yes | default(false) | bool)"
    ask: dict[str, Any] = {
        "name": name,
        "ansible.builtin.pause": {"prompt": what + ". Type yes when it is done"},
        "register": "ozrelease_answer",
        "when": f"not {skip}" + (f" and {when}" if when else ""),
    }
    check: dict[str, Any] = {
        "name": f"{name}: confirmed",
        "ansible.builtin.assert": {
            "that": f"{skip} or ozrelease_answer.user_input | default('') == 'yes'",
            "fail_msg": "not confirmed: stopping here",
            "quiet": True,
        },
    }
    if when:
        check["when"] = when
    return [ask, check]


def _ansible_check(p: PlannedStep, label: str, namespace_var: str) -> dict[str, Any]:
    t = p.target
    check = t.health_check
    name = f"Health check after step {label}: {t.release}"
    if check and re.match(r"https?://", check):
        return {
            "name": name,
            "ansible.builtin.uri": {"url": check, "status_code": 200},
            "register": "ozrelease_health",
            "until": "ozrelease_health.status == 200",
            "retries": 10,
            "delay": 3,
        }
    if check:
        return {"name": name, "ansible.builtin.shell": check, "changed_when": False}
    return {
        "name": name,
        "kubernetes.core.helm_info": {
            "name": t.release,
            "release_namespace": t.namespace or namespace_var,
        },
        "register": "ozrelease_health",
        "failed_when": "ozrelease_health.status is not defined or "
        "ozrelease_health.status.status != 'deployed'",
    }


# --------------------------------------------------------------------------- YAML


def _dump(data: Any, comments: Sequence[str] = ()) -> str:
    """One YAML document: `---`, its comments, then the data."""
    body = yaml.safe_dump(
        data,
        sort_keys=False,  # the insertion order above is fixed and reads naturally
        allow_unicode=True,
        default_flow_style=False,
        width=10_000,
    )
    return "---\n" + _comment(comments) + body


def _comment(lines: Sequence[str], *, blank: bool = False) -> str:
    # one line each, whatever the manifests hold: a newline would end the comment
    text = "".join("# " + re.sub(r"\s*[\r\n]\s*", " ", line).rstrip() + "\n" for line in lines)
    return ("\n" if blank else "") + text
