"""The command line: the only click importer. Options -> one core call -> render -> exit code."""

from __future__ import annotations

import gc
import importlib
import sys
import traceback
from pathlib import Path

import click

from ozrelease.cli.options import PathType, Settings, report
from ozrelease.errors import BUG_EXIT, OzReleaseError

# Each command lives in a module of its own and is imported only when it runs: `ozrelease
# changelog check` in CI should not pay for networkx and the planner, and `ozrelease --help`
# lists the commands from this table without importing any of them (the table's line is
# also the command's short help, so the two cannot drift apart).
_COMMANDS: dict[str, tuple[str, str]] = {
    "validate": (
        "ozrelease.cli.manifests:validate",
        "Check the manifests and report every problem.",
    ),
    "schema": ("ozrelease.cli.manifests:schema", "Print the JSON Schema of the manifests."),
    "graph": (
        "ozrelease.cli.manifests:graph",
        "Show who calls whom, and which versions each accepts.",
    ),
    "impact": ("ozrelease.cli.manifests:impact", "What upgrading COMPONENT touches, and why."),
    "plan": ("ozrelease.cli.plan:plan", "Plan a coordinated upgrade, or verify a saved plan."),
    "status": (
        "ozrelease.cli.release:status",
        "Deployed versus newest, end of life, standards lag.",
    ),
    "changelog": (
        "ozrelease.cli.changelog:changelog",
        "Changelogs from git history, and their CI check.",
    ),
    "env": ("ozrelease.cli.env:env", "Environments from what really runs (helm list)."),
    "release": ("ozrelease.cli.release:release", "Release preparation and the backport matrix."),
    "manifest": (
        "ozrelease.cli.manifest:manifest",
        "Helpers for writing manifests and keeping them current.",
    ),
}


class _Group(click.Group):
    """Loads commands lazily, and maps OzReleaseError to its exit code and one line per
    problem on stderr."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in _COMMANDS:
            return None
        module, _, name = _COMMANDS[cmd_name][0].partition(":")
        command = getattr(importlib.import_module(module), name)
        assert isinstance(command, click.Command)
        command.short_help = _COMMANDS[cmd_name][1]
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, short) for name, (_, short) in _COMMANDS.items()])

    def invoke(self, ctx: click.Context) -> object:
        # The one place that exits: every command returns its exit code (None means 0).
        try:
            code = super().invoke(ctx)
        except OzReleaseError as exc:
            report(exc)
            ctx.exit(exc.exit_code)
        except BrokenPipeError:  # `ozrelease graph | head`
            sys.stderr.close()
            ctx.exit(1)
        except click.NoSuchOption as exc:
            if exc.option_name != "--manifests":
                raise
            raise click.UsageError(
                "--manifests belongs to ozrelease itself and goes before the command: "
                f"ozrelease --manifests DIR {ctx.invoked_subcommand or 'COMMAND'} ...",
                ctx=exc.ctx,
            ) from None
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception:  # a bug: keep its traceback, but never exit 1 (a negative answer)
            traceback.print_exc()
            click.echo(
                f"ozrelease {_version()}: internal error (exit {BUG_EXIT}); this is a bug, "
                "please report it with the command line and the traceback above",
                err=True,
            )
            ctx.exit(BUG_EXIT)
        ctx.exit(code if isinstance(code, int) else 0)


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--manifests",
    "manifests",
    type=PathType(),  # a str: "bundled" is a name, anything else a path
    default=None,
    metavar="DIR",
    help="Manifests directory (or one YAML file), or `bundled` for the Open Zaak ecosystem "
    "bundled with ozrelease (./bundled names a folder). Default: ./manifests when it holds "
    "ozrelease manifests, else the bundled ecosystem.",
)
@click.version_option(None, "--version", package_name="ozrelease", prog_name="ozrelease")
@click.pass_context
def cli(ctx: click.Context, manifests: str | None) -> None:
    """Plan coordinated upgrades of Open Zaak and the applications connected to it,
    and keep releases and changelogs honest.

    \b
    Start here:
      ozrelease validate            check the manifests
      ozrelease graph               who calls whom, and which versions they accept
      ozrelease impact open-zaak    what upgrading Open Zaak touches
      ozrelease plan                an upgrade plan for the example environment
      ozrelease changelog check     in CI: changes the changelog does not mention

    Exit codes: 0 done (nothing found), 1 a negative answer (problems found, undocumented
    changes, no safe plan), 2 could not answer (bad usage or input, git failure).
    """
    ctx.obj = Settings(manifests=manifests if manifests in (None, "bundled") else Path(manifests))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ozrelease")
    except PackageNotFoundError:  # pragma: no cover - a source tree without metadata
        return "(unknown version)"


def main() -> None:
    """Console-script entry point."""
    try:
        cli(prog_name="ozrelease")
    finally:
        # The process ends here: tearing every module down one object at a time costs a
        # short command (click's modules alone) some 15 ms for memory the OS takes back at
        # once. Frozen objects are left alone at exit; atexit handlers and the flushing of
        # stdout and stderr run as always.
        gc.freeze()
