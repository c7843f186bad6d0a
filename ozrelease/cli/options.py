"""Options shared by several commands, written once, and the per-invocation settings."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from ozrelease.errors import OzReleaseError
from ozrelease.inputs import path_problem, shown
from ozrelease.terminal import inert, one_line

F = TypeVar("F", bound=Callable[..., Any])


class PathType(click.Path):
    """`click.Path` that refuses, as bad usage (exit 2), what no system call would take: an
    empty path, a NUL, a name or path longer than the system allows. (Left to the code that
    opens it, such a path escapes as an OSError from the first `stat`.)"""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        problem = path_problem(os.fsdecode(value)) if isinstance(value, str | bytes) else None
        if problem is not None:
            self.fail(f"{shown(os.fsdecode(value))!r}: {problem}", param, ctx)
        return super().convert(value, param, ctx)


@dataclass
class Settings:
    """What the root command knows; loaded lazily so `--help` never reads manifests."""

    manifests: Path | str | None = None  # str: "bundled"


def today() -> dt.date:
    """Today, read at call time as `options.today()` so tests patch one place."""
    return dt.date.today()


def report(exc: OzReleaseError) -> None:
    """An expected failure's lines on stderr (the group then exits with its code)."""
    for line in exc.lines():
        click.echo(inert(line), err=True)


def say(text: str) -> None:
    """One line on stderr (a note, a warning, a problem): line breaks and control sequences
    in the values it quotes are shown escaped, never acted on (see `ozrelease.terminal`)."""
    click.echo(one_line(text), err=True)


def repo_option(f: F) -> F:
    return click.option(
        "--repo",
        type=PathType(file_okay=False, path_type=Path),
        default=Path(),
        show_default="the current directory",
        help="The git repository to read.",
    )(f)


def range_options(f: F) -> F:
    """`--from REF` and `--to REF`: the range of history a command reads."""
    since = click.option(
        "--from",
        "since",
        default=None,
        metavar="REF",
        help="Start after REF. Default: the newest version tag reachable from --to "
        "(by version order; tags on --to itself do not count).",
    )
    to = click.option(
        "--to",
        "to",
        default="HEAD",
        show_default=True,
        metavar="REF",
        help="End at REF (a branch, tag or commit).",
    )
    return since(to(f))  # as if written `@since @to`: --from listed first


def env_option(f: F) -> F:
    return click.option(
        "--env",
        "env",
        default=None,
        metavar="ENV",
        help="An Environment name from the manifests, or a path to an Environment YAML file. "
        "Default: the example environment (example-gemeente).",
    )(f)


def format_option(*choices: str, default: str | None = None) -> Callable[[F], F]:
    def decorate(f: F) -> F:
        return click.option(
            "--format",
            "fmt",
            type=click.Choice(choices),
            default=default or choices[0],
            show_default=True,
            help="Output format; json is for scripts and goes to stdout alone.",
        )(f)

    return decorate


def output_option(f: F) -> F:
    return click.option(
        "-o",
        "--output",
        type=PathType(dir_okay=False, path_type=Path),
        default=None,
        metavar="FILE",
        help="Write to FILE (atomically: a temporary file renamed into place) instead of stdout.",
    )(f)


def emit(text: str, output: Path | None = None, *, data: bool = False) -> None:
    """Print `text`, or write it to `output` atomically (never left half-written).

    Text formats are made inert (terminal control sequences from commits and manifests
    shown as `\\u001b`, never acted on, see `ozrelease.terminal`) wherever they go; `data`
    (JSON, the exports: what a program reads) only when it is printed on a terminal.
    """
    if not data or (output is None and _on_terminal()):
        text = inert(text)
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        from ozrelease.atomic import write_atomic  # (tempfile and shutil: only when writing)

        write_atomic(output, text)


def emit_pieces(pieces: Iterable[str]) -> None:
    """Print data (JSON) written in pieces, ending in one newline; made inert only when it
    is printed on a terminal, as `emit(data=True)` does."""
    tty = _on_terminal()
    for piece in pieces:
        click.echo(inert(piece) if tty else piece, nl=False)
    click.echo()


def _on_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream: not a terminal
        return False
