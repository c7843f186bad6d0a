"""`ozrelease plan`: a coordinated upgrade plan, or `--verify` of a saved one."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from ozrelease import planner
from ozrelease.cli.manifests import load_deployment
from ozrelease.cli.options import Settings, emit, env_option, not_available, output_option
from ozrelease.planner.model import PREFERENCES, STRATEGIES, plan_to_json
from ozrelease.planner.verify import load_saved, verify_saved
from ozrelease.render import render
from ozrelease.runbook import text_view

FORMATS = ("text", "markdown", "html", "json", "helm", "argocd", "ansible")


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
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text for people, json for scripts (and --verify).",
)
@click.option(
    "--template",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="Render with your own Jinja2 template.",
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
    fmt: str,
    template: Path | None,
    verify_file: Path | None,
    output: Path | None,
) -> None:
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
        _verify(deployment, verify_file)
        return
    if fmt not in ("text", "json"):
        not_available(
            f"plan --format {fmt}",
            "runbook and engine formats arrive with the runbooks issue; use text or json",
        )
    if template is not None:
        not_available("plan --template", "custom templates arrive with the runbooks issue")
    result = planner.plan(
        deployment, list(targets) or None, strategy=strategy, prefer=prefer, on=dt.date.today()
    )
    if fmt == "json":
        text = json.dumps(plan_to_json(result), indent=2, ensure_ascii=False) + "\n"
    else:
        text = render("plan.txt.j2", text_view(result))
    emit(text, output)
    sys.exit(0 if result.feasible else 1)


def _verify(deployment: object, path: Path) -> None:
    data = load_saved(path)
    checked = verify_saved(deployment, data, path)  # type: ignore[arg-type]
    if checked.problems:
        for problem in checked.problems:
            click.echo(f"{path}: {problem}", err=True)
        if checked.stale:
            click.echo(
                f"{path}: refusing a stale plan; make a new one with `ozrelease plan`", err=True
            )
        sys.exit(1)
    click.echo(
        f"{path}: verified: {checked.windows} windows, {checked.steps} steps; every "
        "state between windows is compatible and the plan starts from what is "
        "deployed now"
    )


COMMANDS = [plan]
