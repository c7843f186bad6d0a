"""`ozrelease validate`, `schema`, `graph` and `impact`: the ecosystem model at the CLI."""

from __future__ import annotations

import json

import click

from ozrelease.cli.options import Settings, emit, env_option, format_option, output_option
from ozrelease.ecosystem import graph as graphs
from ozrelease.ecosystem import graph_view
from ozrelease.ecosystem import load as manifest
from ozrelease.ecosystem.compat import Deployment
from ozrelease.ecosystem.model import Ecosystem
from ozrelease.errors import ManifestError
from ozrelease.render import render
from ozrelease.resources import schema_text
from ozrelease.wording import plural


def load_ecosystem(settings: Settings) -> Ecosystem:
    """The manifests, valid; their warnings (an undeclared API a typo away from a declared
    one, the bundled ecosystem used instead of ./manifests) said once on stderr."""
    ecosystem = manifest.load(settings.manifests)
    _warn(ecosystem)
    return ecosystem


def _warn(ecosystem: Ecosystem) -> None:
    for warning in ecosystem.warnings:
        click.echo(str(warning), err=True)


def load_deployment(settings: Settings, env: str | None) -> Deployment:
    ecosystem = load_ecosystem(settings)
    return Deployment(ecosystem, manifest.load_environment(ecosystem, env))


@click.command("validate")
@click.option(
    "--env",
    "env",
    default=None,
    metavar="ENV",
    help="Also check this environment: an Environment name or a YAML file.",
)
@click.pass_obj
def validate(settings: Settings, env: str | None) -> int:
    """Check the manifests (and, with --env, an environment file) and report every problem
    as FILE:LINE: message.

    Exit 0 when the manifests are valid, 1 when problems were found, 2 when they could not
    be read at all (or hold no ozrelease manifests).
    """
    ecosystem, problems = manifest.check(settings.manifests)
    _warn(ecosystem)
    checked = None
    if env is not None and not problems:
        try:
            checked = manifest.load_environment(ecosystem, env)
        except ManifestError as exc:
            problems = list(exc.problems)
    if problems:
        for line in ManifestError(problems).lines():
            click.echo(line, err=True)
        click.echo(f"{plural(len(problems), 'problem')} found.", err=True)
        return 1
    counts = manifest.counts(ecosystem)
    summary = ", ".join(
        plural(counts[key], word)
        for key, word in (
            ("components", "component"),
            ("releases", "release"),
            ("apis", "API"),
            ("environments", "environment"),
        )
    )
    click.echo(f"{ecosystem.source}: valid ({summary})")
    if checked is not None:
        click.echo(
            f"{checked.where.file}: environment {checked.name} valid "
            f"({plural(len(checked.deployed), 'deployed component')})"
        )
    return 0


@click.command("schema")
@output_option
def schema(output: object) -> int:
    """Print the JSON Schema of the manifests, for editors that validate while you type.

    \b
    VS Code (YAML extension), in .vscode/settings.json:
      "yaml.schemas": {"./ozrelease.schema.json": "manifests/**/*.yaml"}
    after `ozrelease schema -o ozrelease.schema.json`. The loader (`ozrelease validate`)
    stays the source of truth: it also checks names, versions and references.
    """
    emit(schema_text(), output)  # type: ignore[arg-type]
    return 0


@click.command("graph")
@click.option(
    "--env",
    "env",
    default=None,
    metavar="ENV",
    help="Show one environment as deployed: an Environment name or a YAML file.",
)
@format_option("text", "dot", "mermaid", "json")
@output_option
@click.pass_obj
def graph(settings: Settings, env: str | None, fmt: str, output: object) -> int:
    """Show who calls whom, and which versions each accepts.

    Without --env: every component and API of the manifests as each component's newest final
    release has them; consumer -> provider edges carry the API and its specifier (in Mermaid
    the specifiers stand in the consumer's box, and parallel edges are grouped). With --env:
    the environment as deployed, each component at its version bound to its providers, and
    every constraint the current state breaks. Cycles (Open Zaak and Open Notificaties call
    each other) are normal: they are listed, never rejected.

    \b
    Examples:
      ozrelease graph --format mermaid > ecosystem.mmd
      ozrelease graph --format dot | dot -Tsvg > ecosystem.svg
      ozrelease graph --env example-gemeente --format json | jq .violations
    """
    if env is None:
        view = graphs.ecosystem_graph(load_ecosystem(settings))
    else:
        view = graphs.deployment_graph(load_deployment(settings, env))
    if fmt == "json":
        text = json.dumps(graphs.as_json(view), indent=2, ensure_ascii=False) + "\n"
    else:
        suffix = {"text": "txt", "dot": "dot", "mermaid": "mmd"}[fmt]
        text = render(f"graph.{suffix}.j2", graph_view.view_model(view))
    emit(text, output)  # type: ignore[arg-type]
    return 0


@click.command("impact")
@click.argument("subject", metavar="COMPONENT[=VERSION]")
@env_option
@format_option("text", "json")
@click.pass_obj
def impact(settings: Settings, subject: str, env: str | None, fmt: str) -> int:
    """What upgrading COMPONENT (to VERSION, default its newest release) touches.

    For every deployed instance: the constraints between it and the applications it calls
    and that call it, whether each holds now and after the upgrade (constraint and versions
    quoted), and the stops on its way. Then what `plan --to COMPONENT=VERSION` moves besides
    it (the planner is run for that one target), from where to where, and the constraint
    that would break if it stayed: a required stop can pull in a component no neighbour of
    the final release needs.

    \b
    Examples:
      ozrelease impact open-zaak
      ozrelease impact open-notificaties=1.16.0 --env example-gemeente
      ozrelease impact open-zaak@utrecht=1.30.0 --env fleet.yaml --format json
    """
    deployment = load_deployment(settings, env)
    from ozrelease.planner import impact as impacts

    result = impacts.impact(deployment, subject)
    if fmt == "json":
        emit(json.dumps(impacts.impact_json(result), indent=2, ensure_ascii=False), data=True)
    else:
        emit(render("impact.txt.j2", impacts.impact_view(result)))
    return 0
