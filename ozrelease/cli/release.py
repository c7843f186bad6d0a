"""`ozrelease release prepare|backports` and `status`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from ozrelease.cli import options
from ozrelease.cli.options import (
    Settings,
    emit,
    env_option,
    format_option,
    repo_option,
    say,
)
from ozrelease.errors import UsageError


@click.group("release")
def release() -> None:
    """Release preparation and the backport matrix."""


@release.command("prepare")
@repo_option
@click.option(
    "--bump",
    type=click.Choice(["auto", "major", "minor", "patch"]),
    default=None,
    help="Which part to bump. auto (default): major for a breaking change (minor under "
    "1.0), minor for a new feature, patch otherwise.",
)
@click.option(
    "--version",
    "version",
    default=None,
    metavar="V",
    help="Release exactly V (PEP 440 or SemVer, e.g. 2.0.0rc1 or 2.0.0-rc.1) instead.",
)
@click.option(
    "--yes",
    is_flag=True,
    help="Write the files, commit and tag. Without it: a dry run that changes nothing.",
)
def prepare(*, repo: Path, bump: str | None, version: str | None, yes: bool) -> int:
    """Prepare a release of HEAD: version, changelog section, version bumps, commit, tag.

    The next version comes from the history since the last release tag (the changelog's
    classification of each change). The changelog section is written by the changelog
    machinery; the version is bumped wherever the repository's bump-my-version
    configuration ([tool.bumpversion] in pyproject.toml or .bumpversion.toml, or
    .bumpversion.cfg) says it lives, and in publiccode.yaml (softwareVersion, releaseDate;
    comments and layout kept). Then one commit and one annotated tag in the style of the
    existing tags (1.30.0 or v1.30.0). Nothing is ever pushed.

    Without --yes this is a dry run: it prints the version and the diff, and changes
    nothing. Configure it in [tool.ozrelease.release] (tag-format, commit-message,
    tag-message).

    \b
    Examples:
      ozrelease release prepare                  # what would 'auto' release?
      ozrelease release prepare --yes            # do it
      ozrelease release prepare --version 2.0.0rc1 --yes

    Exit codes: 0 done; 2 a dirty work tree, a detached HEAD, an existing tag, HEAD already
    released, bad usage or a git failure.
    """
    from ozrelease.history import History
    from ozrelease.release import prepare as releases

    history = History(repo)
    prepared = releases.prepare(history, bump=bump, version=version, today=options.today())
    for note in prepared.notes:
        say(f"note: {note}")
    since = f" (was {prepared.previous.name})" if prepared.previous else " (the first release)"
    lines = [
        f"Release {prepared.version}{since}: {prepared.level}, {prepared.reason}",
        f"  commit: {prepared.commit_message!r} on {prepared.branch}",
        f"  tag:    {prepared.tag} (annotated: {prepared.tag_message!r})",
        f"  files:  {', '.join(e.path for e in prepared.edits) or 'none'}",
    ]
    if not yes:
        click.echo("\n".join(lines) + "\n")
        diff = prepared.diff()
        if diff:
            click.echo(diff, nl=False)
            click.echo()
        click.echo("Dry run: nothing was changed. Run again with --yes to write, commit and tag.")
        return 0
    applied = releases.apply(history, prepared)
    click.echo("\n".join(lines))
    click.echo(
        f"Committed {applied.commit[:12]} on {applied.branch} and tagged it {applied.tag}. "
        f"Nothing was pushed; when ready: git push --atomic origin {applied.branch} "
        f"{applied.tag}"
    )
    return 0


@release.command("backports")
@repo_option
@click.option(
    "--lines",
    "lines",
    default=None,
    metavar="A,B,...",
    help="The release lines to check (1.28,1.29 or branch names). Default: the lines the "
    "support policy still covers.",
)
@format_option("text", "json")
@click.pass_obj
def backports(settings: Settings, *, repo: Path, lines: str | None, fmt: str) -> int:
    """Which fixes on the default branch reached which release line.

    Fixes are the bug and security changes (by gitmoji or Conventional Commits type, as
    the changelog classifies them) on the default branch since the oldest line branched
    off. A fix is on a line when the line contains it, a line commit was cherry-picked
    from it (`-x` trailer), has the same patch (`git patch-id`: cherry-picks without -x),
    or references the same issue.

    Release lines are branches named like stable/1.28.x ([tool.ozrelease.release]
    branch-pattern). By default the lines the support policy covers: `lines` when
    configured; else, when the repository is a component of the manifests, the lines whose
    releases are not past their end of life today; else the newest `supported-lines` (2).

    \b
    Examples:
      ozrelease release backports
      ozrelease release backports --lines 1.28,1.29
      ozrelease release backports --format json | jq '.fixes[] | .lines'

    Exit codes: 0 done (missing backports are reported, not failed); 2 no release lines,
    an unknown line, bad usage or a git failure.
    """
    from ozrelease.history import History
    from ozrelease.release import backports as matrix_module
    from ozrelease.render import render

    requested = None
    if lines is not None:
        requested = [part.strip() for part in lines.split(",") if part.strip()]
        if not requested:
            raise UsageError("--lines: give one or more release lines, such as 1.28,1.29")
    matrix = matrix_module.backports(
        History(repo),
        lines=requested,
        read_manifests=True,
        manifests=settings.manifests,
        on=options.today(),
    )
    for note in matrix.notes:
        say(f"note: {note}")
    if fmt == "json":
        emit(json.dumps(matrix_module.as_json(matrix), indent=2, ensure_ascii=False), data=True)
    else:
        emit(render("backports.txt.j2", matrix_module.view(matrix)))
    return 0


@click.command("status")
@env_option
@click.option(
    "--on",
    "on",
    default=None,
    metavar="YYYY-MM-DD",
    help="The day to judge end of life on. Default: today.",
)
@format_option("text", "json")
@click.pass_obj
def status(settings: Settings, *, env: str | None, on: str | None, fmt: str) -> int:
    """Deployed versus newest releases, end of life, and standards lag of an environment.

    For every deployed component (or instance): the deployed and the newest final release,
    how many final releases it is behind (pre-releases do not count), the end-of-life date
    of the deployed release and whether it has passed on --on, and the version of each API
    it provides against the newest published version of that standard.

    \b
    Examples:
      ozrelease status
      ozrelease status --env fleet.yaml --on 2026-09-01 --format json

    Exit codes: 0 done (past end of life is reported, not failed); 2 unreadable manifests
    or environment, or a bad --on.
    """
    from ozrelease.cli.manifests import load_deployment
    from ozrelease.ecosystem import status as statuses
    from ozrelease.render import render

    day = options.today()
    if on is not None:
        try:
            day = dt.date.fromisoformat(on.strip())
        except ValueError:
            raise UsageError(f"--on: {on!r} is not a date (YYYY-MM-DD)") from None
    result = statuses.status(load_deployment(settings, env), day)
    if fmt == "json":
        emit(json.dumps(statuses.as_json(result), indent=2, ensure_ascii=False), data=True)
    else:
        emit(render("status.txt.j2", statuses.view(result)))
    return 0
