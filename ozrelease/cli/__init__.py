"""The command line: the only click importer. Options -> one core call -> render -> exit code."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ozrelease import __version__
from ozrelease.cli import changelog as changelog_cmds
from ozrelease.cli import manifests as manifest_cmds
from ozrelease.cli import plan as plan_cmds
from ozrelease.cli import release as release_cmds
from ozrelease.cli.options import Settings, fail_with
from ozrelease.errors import OzReleaseError


class _Group(click.Group):
    """Maps OzReleaseError to its exit code and one line per problem on stderr."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except OzReleaseError as exc:
            fail_with(exc)
        except BrokenPipeError:  # `ozrelease graph | head`
            sys.stderr.close()
            ctx.exit(1)


@click.group(
    cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.option(
    "--manifests",
    "manifests",
    type=click.Path(path_type=Path),
    default=None,
    metavar="DIR",
    help="Manifests directory (or one YAML file). Default: ./manifests when it exists, "
    "else the Open Zaak ecosystem bundled with ozrelease.",
)
@click.version_option(__version__, "--version", prog_name="ozrelease")
@click.pass_context
def cli(ctx: click.Context, manifests: Path | None) -> None:
    """Plan coordinated upgrades of Open Zaak and the applications connected to it,
    and keep releases and changelogs honest.

    \b
    Start here:
      ozrelease validate            check the manifests
      ozrelease graph               who calls whom, and which versions they accept
      ozrelease impact open-zaak    what upgrading Open Zaak touches
      ozrelease plan                an upgrade plan for the example environment

    Exit codes: 0 done (nothing found), 1 a negative answer (problems found, undocumented
    changes, no safe plan), 2 could not answer (bad usage or input, git failure).
    """
    ctx.obj = Settings(manifests=manifests)


for _module in (manifest_cmds, plan_cmds, changelog_cmds, release_cmds):
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="ozrelease")
