"""What every export shares: where each step deploys (release, chart pinned, namespace, kube
context), its gates, backups and honest rollback, and text made safe for one line.

Every value here comes from manifests or an environment file, so it is checked before any
export uses it: names, namespaces, contexts and charts never start with `-` (they would
become flags) and hold no whitespace or control characters.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ozrelease.ecosystem.compat import Deployment
from ozrelease.ecosystem.model import Action, Placement, component_of, instance_of
from ozrelease.errors import InputError
from ozrelease.planner.model import Plan, Step, Together
from ozrelease.terminal import inert, is_control
from ozrelease.versions import Version
from ozrelease.wording import plural as plural  # (helm, argocd, ansible, view import it here)

# Components whose uploaded files live outside the database: restoring them is part of
# undoing a step (Open Zaak's documents, Open Forms' submissions' attachments).
FILE_STORAGE = frozenset({"open-zaak", "open-forms"})

# Helm release names and Kubernetes namespaces: DNS-1123 labels.
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
# Charts (`repo/name`, `oci://host/path/name`), images, contexts, versions, URLs: one word,
# printable, not an option.
_WORD = re.compile(r"[A-Za-z0-9_.:/@+=~%][A-Za-z0-9_.:/@+=~%,\-]*\Z")


def one_line(text: str) -> str:
    """`text` on one line: every line break Python knows (\\n, \\r, U+0085, U+2028, U+2029,
    \\v, \\f, ...), every other control character and every bidi override becomes a space."""
    joined = " ".join(part.strip() for part in text.splitlines())
    return "".join(" " if _unprintable(c) else c for c in joined).strip()


def printable(value: Any) -> Any:
    """`value` (a view: dicts, lists, strings) with every control character but newline and
    tab, and every bidi override, shown as its `\\uXXXX` escape (`terminal.inert`): no escape
    sequence from the manifests reaches a terminal that shows a runbook."""
    if isinstance(value, str):
        return inert(value)
    if isinstance(value, dict):
        return {k: printable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [printable(v) for v in value]
    return value


def _unprintable(c: str) -> bool:
    """C0 and C1 controls (escape sequences start with them) and the bidi overrides and
    isolates that make a terminal show text in another order than it runs."""
    return is_control(c)


def _checked(value: str | None, what: str, where: str, *, label: bool = False) -> str | None:
    if value is None:
        return None
    pattern = _DNS_LABEL if label else _WORD
    if len(value) > 253 or not pattern.match(value):
        rule = (
            "lower-case letters, digits and '-', starting and ending with a letter or digit"
            if label
            else "one word that does not start with '-'"
        )
        raise InputError(f"{where}: {what} {value!r} cannot be deployed: expected {rule}")
    return value


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
    kube_context: str | None = None
    values_files: tuple[str, ...] = ()

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

    def where_args(self) -> list[str]:
        """`--namespace NS --kube-context CTX`, as far as they are known (helm's flags)."""
        args = ["--namespace", self.namespace] if self.namespace else []
        return args + (["--kube-context", self.kube_context] if self.kube_context else [])

    def kubectl_where(self) -> list[str]:
        """The same for kubectl (`--context`)."""
        args = ["--namespace", self.namespace] if self.namespace else []
        return args + (["--context", self.kube_context] if self.kube_context else [])


def deploy_target(deployment: Deployment, key: str, version: Version) -> DeployTarget:
    """The deploy hints of `key` at `version` (component-level hints with the release's
    overrides, then the environment's `deploy` for that key), checked for safe use."""
    release = deployment.release(key, version)
    hints = release.deploy
    placement = deployment.environment.deploy.get(key, Placement())
    where = str(release.where)
    instance = instance_of(key)
    name = hints.helm_release
    if name is None and hints.helm_chart is not None:
        name = hints.helm_chart.rstrip("/").rsplit("/", 1)[-1]
    if name is not None and instance is not None:
        name = f"{name}-{instance}"
    env_where = str(deployment.environment.where)
    if placement.helm_release and hints.helm_chart is not None:
        # the environment's name holds for the chart it names; a renamed chart keeps its own
        default = deployment.release(key, deployment.environment.deployed[key]).deploy
        if default.helm_chart == hints.helm_chart:
            name = placement.helm_release
    for file in placement.values:
        _checked(file, "values file", env_where)
    _checked(placement.chart, "chart version", env_where)
    return DeployTarget(
        key=key,
        version=_checked(release.label, "version", where) or release.label,
        release=_checked(name, "Helm release", where, label=True),
        chart_ref=_checked(hints.helm_chart, "chart", where),
        chart_version=_checked(release.chart, "chart version", where) if hints.helm_chart else None,
        repository=_checked(hints.helm_repository, "chart repository", where),
        namespace=_checked(
            placement.namespace or hints.helm_namespace, "namespace", where, label=True
        ),
        image=_checked(f"{hints.image}:{release.label}" if hints.image else None, "image", where),
        health_check=hints.health_check,
        kube_context=_checked(placement.kube_context, "kubeContext", env_where),
        values_files=placement.values,
    )


@dataclass(frozen=True)
class Gate:
    """A vendor action around a step: a person confirms a manual one by its name; an
    automatic one runs in the component's container."""

    component: str
    release: str  # the release whose manifest asks for it
    action: Action

    @property
    def name(self) -> str:
        return f"{component_of(self.component)}.{self.action.name}"

    @property
    def text(self) -> str:
        why = f" ({one_line(self.action.why)})" if self.action.why else ""
        how = "runs" if not self.action.manual else "asks"
        return one_line(
            f"{self.component} {self.release} {how}, {self.action.when} the step: "
            f"{self.action.run}{why}"
        )

    def argv(self) -> list[str]:
        """The command as words (never through a shell); control characters are refused,
        so that no export carries an escape sequence."""
        # (Unicode line separators are only words' separators here; shell quoting and the
        # YAML emitter keep them data.)
        if any(_unprintable(c) and c not in "\n\u2028\u2029" for c in self.action.run):
            raise InputError(
                f"{self.component} {self.release}: an automatic action's run holds control "
                f"characters: {self.action.run!r}"
            )
        try:
            return shlex.split(self.action.run)
        except ValueError:
            return self.action.run.split()


@dataclass(frozen=True)
class PlannedStep:
    """A step of the plan with what the exports need: its window, deploy targets, the
    chart it pins and its gates."""

    window: int
    position: int  # 1-based, in the window's order (providers first)
    step: Step
    target: DeployTarget
    previous: DeployTarget  # the release the step starts from
    chart: str | None = None  # the pinned chart version; None: read from helm list at run time
    before: tuple[Gate, ...] = ()
    after: tuple[Gate, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.window}.{self.position}"

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

    @property
    def gates(self) -> tuple[Gate, ...]:
        return self.before + self.after


@dataclass(frozen=True)
class Block:
    """Steps applied as one: a single step, or a Together group of the plan."""

    steps: tuple[PlannedStep, ...]
    reason: str = ""  # why they must move at once (Together groups)

    @property
    def together(self) -> bool:
        return len(self.steps) > 1 or bool(self.reason)


@dataclass(frozen=True)
class StartRelease:
    """What `helm list` must show before a window: a release, its chart and version."""

    key: str
    release: str
    namespace: str | None
    kube_context: str | None
    chart_name: str
    chart_version: str | None  # None: not known, not compared
    version: str  # the image tag (or the chart's appVersion when no tag is set)
    where_args: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlannedWindow:
    number: int
    steps: tuple[PlannedStep, ...]
    blocks: tuple[Block, ...]
    start: tuple[StartRelease, ...] = field(default=())


def _gates(deployment: Deployment, step: Step) -> tuple[tuple[Gate, ...], tuple[Gate, ...]]:
    component = deployment.ecosystem.components[component_of(step.component)]
    before: list[Gate] = []
    after: list[Gate] = []
    for r in component.releases:
        if step.from_version < r.version <= step.to_version:
            for action in r.actions:
                gate = Gate(step.component, r.label, action)
                (before if action.when == "before" else after).append(gate)
    return tuple(before), tuple(after)


def planned_windows(deployment: Deployment, plan: Plan) -> list[PlannedWindow]:
    """Per window, its steps with their deploy targets, pinned charts, gates and blocks,
    and what must run before it."""
    env = deployment.environment
    # the chart deployed now per key: the environment's word, else the manifests' fact
    charts: dict[str, str | None] = {}
    current: dict[str, DeployTarget] = {}
    for key, version in env.deployed.items():
        t = deploy_target(deployment, key, version)
        placement = env.deploy.get(key)
        charts[key] = (placement.chart if placement else None) or t.chart_version
        current[key] = t
    moving = {s.component for s in plan.steps}
    found = []
    for number, window in enumerate(plan.windows, start=1):
        start = tuple(
            StartRelease(
                key=k,
                release=t.release,
                namespace=t.namespace,
                kube_context=t.kube_context,
                chart_name=t.chart_name or "",
                chart_version=charts[k],
                version=t.version,
                where_args=tuple(t.where_args()),
            )
            for k, t in sorted(current.items())
            if t.helm and t.release and k in moving
        )
        steps = []
        for position, step in enumerate(window.steps, start=1):
            target = deploy_target(deployment, step.component, step.to_version)
            previous = current[step.component]
            if target.chart_version:
                chart: str | None = target.chart_version
            elif previous.chart_ref == target.chart_ref:
                chart = charts[step.component]  # the chart deployed now (None: ask helm)
            else:
                chart = _newest_chart(deployment, step.component, step.to_version, target)
            before, after = _gates(deployment, step)
            steps.append(
                PlannedStep(number, position, step, target, previous, chart, before, after)
            )
            charts[step.component] = chart
            current[step.component] = target
        found.append(PlannedWindow(number, tuple(steps), _blocks(steps, window.together), start))
    return found


def _newest_chart(
    deployment: Deployment, key: str, version: Version, target: DeployTarget
) -> str | None:
    """For a release on a chart new to it (a rename): the chart of the newest earlier release
    on that same chart, still a pinned version."""
    component = deployment.ecosystem.components[component_of(key)]
    for r in reversed(component.releases):
        if r.version <= version and r.chart and r.deploy.helm_chart == target.chart_ref:
            return r.chart
    return None


def _blocks(steps: Sequence[PlannedStep], groups: Sequence[Together]) -> tuple[Block, ...]:
    group_of = {key: g for g in groups for key in g.components}
    blocks: list[Block] = []
    done: set[str] = set()
    for p in steps:
        key = p.step.component
        if key in done:
            continue
        group = group_of.get(key)
        if group is None:
            blocks.append(Block((p,)))
            done.add(key)
            continue
        members = tuple(q for q in steps if q.step.component in group.components)
        blocks.append(Block(members, one_line(group.reason) or "they must move together"))
        done.update(q.step.component for q in members)
    return tuple(blocks)


# Notes that announce slow or data-changing migrations: they call for time and a backup.
LONG_MIGRATION = re.compile(
    r"\b(data|schema|database)[ -]migrations?\b|\bminutes?\b|\bhours?\b|\blong[ -]running\b",
    re.IGNORECASE,
)


def backup_reasons(deployment: Deployment, steps: Sequence[PlannedStep]) -> list[str]:
    """Why a window needs a backup first: an irreversible step, or data migrations that
    the manifests' notes announce."""
    reasons = []
    for p in steps:
        s = p.step
        if not s.reversible:
            stops = irreversible_releases(deployment, s)
            reasons.append(f"{p.text} cannot be rolled back ({irreversible_text(stops)})")
        elif any(LONG_MIGRATION.search(n) for n in s.notes):
            reasons.append(f"{p.text} runs data migrations (see its notes)")
    return [one_line(r) for r in reasons]


def backup_what(steps: Sequence[PlannedStep]) -> str:
    """`the databases of a and b, and the file storage of open-zaak`."""
    keys = [p.step.component for p in steps]
    files = [k for k in keys if component_of(k) in FILE_STORAGE]
    text = f"the databases of {and_list(keys)}"
    return text + (f", and the file storage of {and_list(files)}" if files else "")


def restores(p: PlannedStep) -> bool:
    """Undoing this step means restoring the backup: it is irreversible or migrates data."""
    return not p.step.reversible or any(LONG_MIGRATION.search(n) for n in p.step.notes)


def rollback_text(deployment: Deployment, p: PlannedStep) -> str:
    """What really undoes a step."""
    s = p.step
    what = backup_what([p])
    if not s.reversible:
        stops = irreversible_releases(deployment, s)
        return (
            f"No rollback: {irreversible_text(stops)}, a point of no return. To go back, "
            f"restore {what} from the backup taken before window {p.window}, then deploy "
            f"{s.component} {s.from_label} on it"
        )
    if restores(p):
        return (
            f"Back to {s.from_label}: its migrations changed the data, so restore {what} from "
            f"the backup taken before window {p.window}, then deploy {s.from_label} again"
        )
    how = "" if p.previous.helm else " by hand"
    return f"Back to {s.from_label}: deploy the previous release again{how}"


def irreversible_releases(deployment: Deployment, step: Step) -> list[str]:
    """The labels of the irreversible releases that `step` passes, oldest first."""
    component = deployment.ecosystem.components[component_of(step.component)]
    return [
        r.label
        for r in component.releases
        if step.from_version < r.version <= step.to_version
        and not r.reversible_from(step.from_version)
    ]


def irreversible_text(stops: Sequence[str]) -> str:
    """`4.0.0 is irreversible`, `4.0.0 and 3 later releases are irreversible`."""
    if not stops:
        return "irreversible"
    if len(stops) == 1:
        return f"{stops[0]} is irreversible"
    later = len(stops) - 1
    return f"{stops[0]} and {plural(later, 'later release')} are irreversible"


def manual_reason(p: PlannedStep) -> str:
    """What the operator does by hand for a step that no engine can run."""
    t = p.target
    how = f" (image {t.image})" if t.image else ""
    return one_line(
        f"No Helm deploy hints for {p.step.component} in the manifests: upgrade it from "
        f"{p.step.from_label} to {p.step.to_label} by hand{how}"
    )


def rename_reason(p: PlannedStep) -> str:
    """What happens when a step's Helm release has a new name (a new chart)."""
    return one_line(
        f"The Helm release changes from {p.previous.release} ({p.previous.chart_ref}) to "
        f"{p.target.release} ({p.target.chart_ref}): {p.previous.release} is scaled to zero, "
        f"{p.target.release} is installed with its values, and {p.previous.release} is "
        f"uninstalled only once {p.target.release} is healthy; check first that its database "
        "and volumes are not managed by the old chart"
    )


def unpinned_reason(p: PlannedStep) -> str:
    """What a step without a chart fact pins instead: the chart deployed now."""
    now = (
        f"{p.target.chart_ref} {p.chart}"
        if p.chart
        else f"{p.target.chart_ref} (its version read from helm list at run time)"
    )
    return one_line(
        f"No chart in the manifests ships {p.step.component} {p.step.to_label}: the chart "
        f"deployed now, {now}, is kept and only the image moves"
    )


def and_list(items: Sequence[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def repositories(windows: Sequence[PlannedWindow]) -> list[tuple[str, str]]:
    """(alias, url) of every chart repository the Helm steps use, sorted."""
    found = {
        (p.target.repo_alias, p.target.repository)
        for w in windows
        for p in w.steps
        if p.target.helm and p.target.repo_alias and p.target.repository
    }
    return sorted((a, u) for a, u in found if a and u)


def sh(argv: Sequence[str]) -> str:
    """A command line with every word quoted for a POSIX shell where it needs it."""
    return " ".join(shlex.quote(word) for word in argv)


def last_steps(plan: Plan) -> list[Step]:
    last: dict[str, Step] = {}
    for step in plan.steps:
        last[step.component] = step
    return [last[k] for k in sorted(last)]


def missing_namespaces(windows: Sequence[PlannedWindow]) -> list[str]:
    """The deployed keys whose Helm steps name no namespace (helm then uses the context's)."""
    return sorted(
        {
            p.step.component
            for w in windows
            for p in w.steps
            if p.target.helm and not p.target.namespace
        }
    )


def upgrade_argv(p: PlannedStep, *, chart: str, wait: bool = True, reuse: bool = True) -> list[str]:
    """`helm upgrade` (or, for a renamed release, `helm install`) of step `p`: flags first,
    then `--` and the release and chart, so that no value can become a flag."""
    t = p.target
    assert t.release and t.chart_ref
    argv = ["helm", "install" if not reuse else "upgrade", *t.where_args(), "--version", chart]
    if t.repo_alias is None and not t.oci and t.repository:
        argv += ["--repo", t.repository]  # a bare chart name
    if reuse:
        argv.append("--reset-then-reuse-values")
    for file in t.values_files:
        argv += ["--values", file]
    argv += ["--set-string", f"image.tag={t.version}"]
    if wait:
        argv.append("--wait")
    return argv


def health_commands(target: DeployTarget) -> list[list[str]]:
    """The checks to run after deploying `target`: the manifests' healthCheck URL (fetched
    with curl), else `helm status` where it runs. A healthCheck that is not a URL is shown
    to people, never run: it is manifest text."""
    check = target.health_check
    if check and re.match(r"https?://[!-~]+\Z", check):
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
                "--",
                check,
            ]
        ]
    if target.helm and target.release:
        return [["helm", "status", *target.where_args(), "--", target.release]]
    return []
