"""`ozrelease env import`: an Environment from what really runs."""

from __future__ import annotations

from pathlib import Path

import click

from ozrelease.cli.options import Settings, emit, output_option
from ozrelease.ecosystem import load as manifest
from ozrelease.ecosystem.helm_import import import_helm


@click.group("env")
def env() -> None:
    """Environments: what an installation runs."""


@env.command("import")
@click.option(
    "--helm",
    "helm_file",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    metavar="FILE",
    help="The output of `helm list -A -o json`.",
)
@click.option("--name", default="imported", show_default=True, help="The environment's name.")
@output_option
@click.pass_obj
def import_(settings: Settings, helm_file: Path, name: str, output: Path | None) -> int:
    """An Environment from `helm list -A -o json`: each release is mapped to a component by
    its chart (the manifests' deploy.helm.chart), its version read from app_version, and its
    namespace, release name and chart version kept under `deploy` for the exports.

    \b
    Example:
      helm list -A -o json > releases.json
      ozrelease env import --helm releases.json --name prod -o prod.yaml
      ozrelease plan --env prod.yaml

    A release that cannot be mapped is reported on stderr, not guessed (exit 1; the others
    are still written). Check the versions: app_version is the chart's, and an image tag
    set in the release's values may differ.
    """
    ecosystem = manifest.load(settings.manifests)
    imported = import_helm(ecosystem, helm_file, name)
    for problem in imported.unmapped:
        click.echo(f"{helm_file}: {problem}", err=True)
    if output is not None and str(output) == "-":
        output = None
    emit(imported.text, output)
    return 1 if imported.unmapped else 0


COMMANDS = [env]
