"""`ozrelease plan`: a coordinated upgrade plan, or `--verify` of a saved one."""

from __future__ import annotations

import json
from pathlib import Path

import click
from click.core import ParameterSource

from ozrelease import planner
from ozrelease.cli import options
from ozrelease.cli.manifests import load_deployment
from ozrelease.cli.options import PathType, Settings, emit, env_option, output_option, say
from ozrelease.ecosystem.compat import Deployment
from ozrelease.errors import UsageError
from ozrelease.planner.model import PREFERENCES, STRATEGIES, Plan, plan_to_json
from ozrelease.planner.verify import load_saved, plan_from_saved, step_facts, verify_saved
from ozrelease.render import render
from ozrelease.runbook.ansible import ansible
from ozrelease.runbook.argocd import argocd
from ozrelease.runbook.helm import helm_view
from ozrelease.runbook.view import runbook_view
from ozrelease.versions import Version

FORMATS = ("text", "markdown", "html", "json", "helm", "argocd", "ansible")
# Formats rendered through a template (built-in, ./templates/NAME, or --template FILE).
TEMPLATES = {
    "text": "plan.txt.j2",
    "markdown": "plan.md.j2",
    "html": "plan.html.j2",
    "helm": "plan.helm.sh.j2",
}
EXPORTS = ("helm", "argocd", "ansible")
USER_TEMPLATES = Path("templates")  # a project's own templates override the built-ins


@click.command("plan")
@env_option
@click.option(
    "--to",
    "targets",
    multiple=True,
    metavar="NAME=VERSION|NAME=latest|latest",
    help="A target; repeat for several. NAME is a component (every instance) or "
    "COMPONENT@INSTANCE. A target equal to the deployed version pins it. "
    "Default: the environment's `targets`.",
)
@click.option(
    "--strategy",
    type=click.Choice(STRATEGIES),
    default=STRATEGIES[0],
    show_default=True,
    help="fewest-windows: as few maintenance windows as possible, then as few "
    "steps; one-at-a-time: one step per window except where components must move "
    "together.",
)
@click.option(
    "--prefer",
    type=click.Choice(PREFERENCES),
    default=PREFERENCES[0],
    show_default=True,
    help="For components pulled in (not targets): the oldest release that works, or the newest.",
)
@click.option(
    "--max-steps",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="At most N steps (components moving) per window; still fewest windows, then "
    "fewest steps, under that bound.",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=planner.TIME_LIMIT,
    show_default=True,
    metavar="SECONDS",
    help="When the planner needs longer to prove the best plan, it answers with the best "
    "safe plan found so far and says it is not proven optimal.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text, markdown, html: runbooks for people; json: for scripts (and --verify); "
    "helm: a POSIX shell script of helm commands; argocd: Argo CD Applications; ansible: "
    "a playbook.",
)
@click.option(
    "--template",
    type=PathType(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="Render with your own Jinja2 template (sandboxed; text, markdown, html and helm). "
    "A ./templates/ folder with files named like the built-ins (plan.md.j2, ...) overrides "
    "them too.",
)
@click.option(
    "--verify",
    "verify_file",
    type=PathType(dir_okay=False, path_type=Path),
    default=None,
    metavar="PLAN.json",
    help="Re-check a saved JSON plan against the manifests and the environment now.",
)
@click.option(
    "--saved",
    "saved_file",
    type=PathType(dir_okay=False, path_type=Path),
    default=None,
    metavar="PLAN.json",
    help="Render a saved (approved) JSON plan in --format, after --verify's checks: a stale "
    "plan is refused (exit 1).",
)
@output_option
@click.pass_obj
def plan(
    settings: Settings,
    env: str | None,
    targets: tuple[str, ...],
    strategy: str,
    prefer: str,
    max_steps: int | None,
    time_limit: float,
    fmt: str,
    template: Path | None,
    verify_file: Path | None,
    saved_file: Path | None,
    output: Path | None,
) -> int:
    """Plan a coordinated upgrade: which components move in which maintenance window, in
    what order, through which intermediate releases, so that every state between windows is
    compatible; or prove that no safe plan exists and say why.

    \b
    Examples:
      ozrelease plan                                  the example environment's targets
      ozrelease plan --to open-zaak=latest            Open Zaak to its newest release
      ozrelease plan --env prod.yaml --to latest      everything to its newest release
      ozrelease plan --to open-zaak=1.30.0 --to open-notificaties=1.14.0   (pins ON)
      ozrelease plan --format json -o plan.json       save it ...
      ozrelease plan --verify plan.json               ... and re-check it before the window
      ozrelease plan --saved plan.json --format helm -o upgrade.sh   ... and run what was approved

    Exit codes: 0 a safe plan (or a verified one), 1 no safe plan exists (or the saved plan
    fails verification, e.g. because the environment has moved since), 2 bad input.
    """
    if verify_file is not None:
        _refuse_with_verify(click.get_current_context())
    deployment = load_deployment(settings, env)
    if output is not None and str(output) == "-":
        output = None
    if verify_file is not None and saved_file is not None:
        raise UsageError("--verify and --saved: give one of them")
    if verify_file is not None:
        return _verify(deployment, verify_file)
    if saved_file is not None and targets:
        raise UsageError("--saved renders the saved plan as it is; --to cannot change it")
    _check_targets(deployment, targets)
    if template is not None and fmt not in TEMPLATES:
        raise UsageError(
            f"--template works with --format {', '.join(TEMPLATES)}; {fmt} is generated as "
            "data, not from a template"
        )
    if template is not None and not template.is_file():
        raise UsageError(f"--template {template}: no such file")
    if saved_file is not None:
        data = load_saved(saved_file)
        checked = verify_saved(deployment, data, saved_file)
        if checked.problems or not data["feasible"]:
            _report(saved_file, checked.problems or ("the saved plan is infeasible",), stale=True)
            return 1
        result = plan_from_saved(deployment, data)
    else:
        result = planner.plan(
            deployment,
            list(targets) or None,
            strategy=strategy,
            prefer=prefer,
            on=options.today(),
            max_steps=max_steps,
            time_limit=time_limit,
        )
    if fmt in EXPORTS and not result.feasible:
        # An engine must not receive half a plan: nothing on stdout, the reasons on stderr.
        click.echo(f"error: no safe plan exists for {result.environment}:", err=True)
        for problem in result.problems:
            say(f"  {problem.message}")
        return 1
    emit(_output(deployment, result, fmt, template), output, data=fmt in ("json", *EXPORTS))
    if fmt == "helm" and output is not None and output.is_file():
        output.chmod(output.stat().st_mode | 0o111 & ~_umask())  # a script to run: 0755
    return 0 if result.feasible else 1


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


# What --verify re-checks is the saved plan itself: options that would make a new plan or
# shape its output are refused rather than silently ignored.
_NOT_WITH_VERIFY = ("targets", "strategy", "prefer", "fmt", "template", "max_steps", "time_limit")


def _refuse_with_verify(ctx: click.Context) -> None:
    given = [
        param.opts[0]
        for param in ctx.command.params
        if param.name in _NOT_WITH_VERIFY
        and ctx.get_parameter_source(param.name or "") is not ParameterSource.DEFAULT
    ]
    if given:
        raise UsageError(
            f"--verify re-checks the saved plan as it is; {', '.join(given)} would be "
            "ignored (make a new plan without --verify)"
        )


def _check_targets(deployment: Deployment, requests: tuple[str, ...]) -> None:
    """Two --to that disagree for one name, or a --to below the deployed version, is bad
    usage (CONTRACT §1): said before any planning."""
    seen: dict[str, tuple[str, dict[str, Version]]] = {}
    for request in requests:
        resolved = planner.resolve_targets(deployment, [request])
        for key, version in sorted(resolved.items()):
            deployed = deployment.environment.deployed[key]
            if version < deployed:
                raise UsageError(
                    f"--to {request}: {key} is at {deployment.label(key, deployed)}; "
                    f"{deployment.label(key, version)} is older, and downgrades are never "
                    "planned"
                )
        name = request.partition("=")[0].strip()
        if name in seen and seen[name][1] != resolved:
            raise UsageError(
                f"--to {seen[name][0]} and --to {request} disagree about {name}; give one"
            )
        seen[name] = (request, resolved)


def _overrides_builtins(folder: Path) -> bool:
    """A ./templates folder that is not the built-in templates themselves (ozrelease's own
    source tree keeps them there)."""
    from ozrelease.resources import bundled_templates

    return folder.is_dir() and folder.resolve() != bundled_templates().resolve()


def _output(deployment: Deployment, result: Plan, fmt: str, template: Path | None) -> str:
    if fmt == "json":
        data = plan_to_json(result)
        for window, raw in zip(result.windows, data["windows"], strict=True):
            for step, item in zip(window.steps, raw["steps"], strict=True):
                facts = step_facts(deployment, step.component, step.from_version, step.to_version)
                item.update({k: v for k, v in facts.items() if v})
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "argocd":
        return argocd(deployment, result)
    if fmt == "ansible":
        return ansible(deployment, result)
    view = helm_view(deployment, result) if fmt == "helm" else runbook_view(deployment, result)
    overrides = USER_TEMPLATES if _overrides_builtins(USER_TEMPLATES) else None
    local = USER_TEMPLATES / TEMPLATES[fmt]
    # Never silently: a cloned repository's ./templates/ can hold a file of that name.
    if template is None and overrides is not None and local.is_file():
        if fmt == "helm":
            # an executable export never comes from a template a cloned repository carries
            say(
                f"warning: ignoring {local} for the helm script (an executable export); "
                "give it with --template to use it"
            )
            overrides = None
        else:
            say(
                f"note: using {local} from the current directory instead of the built-in "
                f"{TEMPLATES[fmt]}"
            )
    elif fmt == "helm" and template is not None:
        say(f"note: the helm script comes from your template {template}; read it before you run it")
    return render(
        TEMPLATES[fmt],
        view,
        template_file=template,
        overrides=overrides,
        autoescape=True if fmt == "html" else None,
    )


def _verify(deployment: object, path: Path) -> int:
    data = load_saved(path)
    checked = verify_saved(deployment, data, path)  # type: ignore[arg-type]
    if checked.problems:
        _report(path, checked.problems, stale=checked.stale)
        return 1
    click.echo(
        f"{path}: verified: {checked.windows} windows, {checked.steps} steps; every "
        "state between windows is compatible and the plan starts from what is "
        "deployed now"
    )
    return 0


def _report(path: Path, problems: tuple[str, ...], *, stale: bool) -> None:
    for problem in problems:
        say(f"{path}: {problem}")
    if stale:
        say(f"{path}: refusing a stale plan; make a new one with `ozrelease plan`")
