"""Options shared by several commands, written once, and the per-invocation settings."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from ozrelease.errors import OzReleaseError

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Settings:
    """What the root command knows; loaded lazily so `--help` never reads manifests."""

    manifests: Path | str | None = None  # str: "bundled"
    _cache: dict[str, Any] = field(default_factory=dict)


def fail_with(exc: OzReleaseError) -> NoReturn:
    for line in exc.lines():
        click.echo(line, err=True)
    sys.exit(exc.exit_code)


def repo_option(f: F) -> F:
    return click.option(
        "--repo",
        type=click.Path(file_okay=False, path_type=Path),
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
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        metavar="FILE",
        help="Write to FILE (atomically: a temporary file renamed into place) instead of stdout.",
    )(f)


def emit(text: str, output: Path | None = None) -> None:
    """Print `text`, or write it to `output` atomically (never left half-written)."""
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        from ozrelease.atomic import write_atomic  # (tempfile and shutil: only when writing)

        write_atomic(output, text)
