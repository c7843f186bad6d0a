"""`ozrelease plan`: a coordinated upgrade plan, or `--verify` of a saved one."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from ozrelease import planner
from ozrelease.cli.manifests import load_deployment
from ozrelease.cli.options import Settings, emit, env_option, output_option
from ozrelease.ecosystem.compat import Deployment
from ozrelease.errors import UsageError
from ozrelease.planner.model import PREFERENCES, STRATEGIES, Plan, plan_to_json
from ozrelease.planner.verify import load_saved, verify_saved
from ozrelease.render import render
from ozrelease.runbook import exports
from ozrelease.runbook.view import runbook_view

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
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="Render with your own Jinja2 template (sandboxed; text, markdown, html and helm). "
    "A ./templates/ folder with files named like the built-ins (plan.md.j2, ...) overrides "
    "them too.",
)
@click.option(
    "--verify",
    "verify_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="PLAN.json",
    help="Re-check a saved JSON plan against the manifests and the environment now.",
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

    Exit codes: 0 a safe plan (or a verified one), 1 no safe plan exists (or the saved plan
    fails verification, e.g. because the environment has moved since), 2 bad input.
    """
    deployment = load_deployment(settings, env)
    if verify_file is not None:
        return _verify(deployment, verify_file)
    if template is not None and fmt not in TEMPLATES:
        raise UsageError(
            f"--template works with --format {', '.join(TEMPLATES)}; {fmt} is generated as "
            "data, not from a template"
        )
    if template is not None and not template.is_file():
        raise UsageError(f"--template {template}: no such file")
    result = planner.plan(
        deployment,
        list(targets) or None,
        strategy=strategy,
        prefer=prefer,
        on=_today(),
        max_steps=max_steps,
        time_limit=time_limit,
    )
    if fmt in EXPORTS and not result.feasible:
        # An engine must not receive half a plan: nothing on stdout, the reasons on stderr.
        click.echo(f"error: no safe plan exists for {result.environment}:", err=True)
        for problem in result.problems:
            click.echo(f"  {problem.message}", err=True)
        return 1
    emit(_output(deployment, result, fmt, template), output)
    return 0 if result.feasible else 1


def _today() -> dt.date:
    """The date for end-of-life warnings (a function, so tests can fix it)."""
    return dt.date.today()


def _output(deployment: Deployment, result: Plan, fmt: str, template: Path | None) -> str:
    if fmt == "json":
        return json.dumps(plan_to_json(result), indent=2, ensure_ascii=False) + "\n"
    if fmt == "argocd":
        return exports.argocd(deployment, result)
    if fmt == "ansible":
        return exports.ansible(deployment, result)
    view = (
        exports.helm_view(deployment, result) if fmt == "helm" else runbook_view(deployment, result)
    )
    return render(
        TEMPLATES[fmt],
        view,
        template_file=template,
        overrides=USER_TEMPLATES if USER_TEMPLATES.is_dir() else None,
        autoescape=True if fmt == "html" else None,
    )


def _verify(deployment: object, path: Path) -> int:
    data = load_saved(path)
    checked = verify_saved(deployment, data, path)  # type: ignore[arg-type]
    if checked.problems:
        for problem in checked.problems:
            click.echo(f"{path}: {problem}", err=True)
        if checked.stale:
            click.echo(
                f"{path}: refusing a stale plan; make a new one with `ozrelease plan`", err=True
            )
        return 1
    click.echo(
        f"{path}: verified: {checked.windows} windows, {checked.steps} steps; every "
        "state between windows is compatible and the plan starts from what is "
        "deployed now"
    )
    return 0


COMMANDS = [plan]
