"""`ozrelease changelog generate|check`: changelogs from git history, and the CI check on them."""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ozrelease.cli.options import PathType, emit, emit_pieces, range_options, repo_option, say
from ozrelease.errors import UsageError
from ozrelease.history import History, ScanProgress
from ozrelease.wording import plural

if TYPE_CHECKING:
    from ozrelease.changelog.generate import Generated
    from ozrelease.checks.context import Stage


@click.group("changelog")
def changelog() -> None:
    """Changelogs from git history, and the CI check for undocumented changes."""


@changelog.command("generate")
@repo_option
@range_options
@click.option(
    "--version",
    "version",
    default=None,
    metavar="V",
    help="The version this section is for (its heading). Default: Unreleased.",
)
@click.option(
    "--date",
    "date",
    default=None,
    metavar="YYYY-MM-DD",
    help="The release date in the heading. Default with --version: the date of "
    "the --to commit, so the output depends on the history alone.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "rst", "json"]),
    default=None,
    help="Output format. Default: the format of the repository's changelog "
    "file; json (ozrelease-changelog/1) is for scripts and goes to stdout alone.",
)
@click.option(
    "--write",
    is_flag=True,
    help="Insert the section into the changelog file instead of printing it. Refuses "
    "(exit 2) when the file already has a section for this version, unless --replace.",
)
@click.option(
    "--replace",
    is_flag=True,
    help="With --write: replace this version's section when the changelog already has "
    "one (people may have edited it), and say how many lines it replaced.",
)
def generate(
    *,
    repo: Path,
    since: str | None,
    to: str,
    version: str | None,
    date: str | None,
    fmt: str | None,
    write: bool,
    replace: bool,
) -> int:
    """Generate a changelog section from git history, in the project's own style.

    Commits are grouped into one entry per change (a pull request, or all commits about one
    issue), sorted into sections by gitmoji (`:sparkles:`, ✨) or Conventional Commits type
    (`feat(api)!:`), with their issue references (`[#2426]`, `owner/repo#12`, `GH-12`, issue
    URLs, the number in a merged branch's name). Tests-only, CI-only and release
    housekeeping commits are left out. Configure it in `[tool.ozrelease.changelog]` of
    pyproject.toml or in .ozrelease.toml.

    The format defaults to the repository's changelog (CHANGELOG.rst: Open Zaak style RST
    with Sphinx issue roles from docs/conf.py; CHANGELOG.md: Keep a Changelog), else to the
    style of the commits (gitmoji: rst, otherwise markdown).

    \b
    Examples:
      ozrelease changelog generate                      # since the last release tag
      ozrelease changelog generate --version 1.30.0 --write
      ozrelease changelog generate --from 1.29.0 --to 1.30.0 --format rst
      ozrelease changelog generate --format json | jq '.sections[].entries[].issues'

    Exit codes: 0 done; 2 bad usage, unknown ref, git failure, or a shallow clone that lacks
    the range (fix it with `git fetch --unshallow --tags`, or `fetch-depth: 0` in CI).
    """
    chosen = None if fmt in (None, "json") else fmt
    if write and fmt == "json":
        raise UsageError("--write writes the changelog file; it cannot take --format json")
    if replace and not write:
        raise UsageError("--replace only goes with --write")
    from ozrelease.changelog import generate as changelogs

    history = History(repo)
    with _progress_bar() as progress:
        generated = changelogs.generate(
            history,
            to=to,
            since=since,
            version=version,
            date=date,
            fmt=chosen,
            progress=progress,
        )
    if write:
        written = changelogs.write_section(generated, history.root, chosen, replace=replace)
        what = generated.changelog.version or "Unreleased"
        done = (
            f"replaced {plural(written.replaced, 'line')} of {what}"
            if written.replaced
            else f"wrote {what}"
        )
        say(
            f"{written.path}: {done} ({_count(generated)} from {generated.commits_scanned} commits)"
        )
    elif fmt == "json":
        # One line, written in pieces; pipe through `jq .` to read it.
        emit_pieces(changelogs.json_pieces(generated.changelog))
    else:
        emit(changelogs.render_section(generated.changelog, generated.style, chosen))
    return 0


def _count(generated: Generated) -> str:
    count = sum(len(s.entries) for s in generated.changelog.sections)
    return plural(count, "entry", plural="entries")


_LONG_SCAN = 2000
"""Ranges of at least this many commits get a progress bar."""


@contextmanager
def _progress_bar() -> Iterator[ScanProgress | None]:
    """A progress bar on stderr while a long range is read, only when stderr is a terminal
    (stdout may be a pipe: `--format json | jq`)."""
    if not sys.stderr.isatty():
        yield None
        return
    with ExitStack() as stack:
        bars: list[Any] = []  # click's ProgressBar, entered at the first report of a long scan

        def show(done: int, total: int) -> None:
            if total < _LONG_SCAN:
                return
            if not bars:
                bar = click.progressbar(
                    length=total, label="Reading history", file=sys.stderr, show_pos=True
                )
                bars.append(stack.enter_context(bar))
            bars[0].update(done - bars[0].pos)

        yield show


_COUNTED = 100
"""Steps through at least this many items show how far they are (`120/480 commits`)."""
_EVERY = 0.1
"""Seconds between rewrites of the line within a step."""


@contextmanager
def _stage_line() -> Iterator[Stage | None]:
    """One status line on stderr through the analysis after history is read ("Checking
    settings", "Reading the commits that changed 26 watched files: 120/480 commits"),
    rewritten in place at most every _EVERY seconds within a step and cleared at the end;
    only on a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    width = max(20, shutil.get_terminal_size().columns - 1)  # (a wrapped line stays behind)
    last: list[Any] = []  # [text, counted, when] of the line shown

    def show(text: str, done: int | None = None, total: int | None = None, unit: str = "") -> None:
        counted = done is not None and total is not None and total >= _COUNTED
        now = time.monotonic()
        same_step = bool(last) and last[0] == text and last[1] == counted
        if same_step and (not counted or now - last[2] < _EVERY):
            return
        line = f"{text}: {done}/{total} {unit}".rstrip() if counted else f"{text}..."
        sys.stderr.write(f"\r\x1b[K{line[:width]}")  # our own text only, never a commit's
        sys.stderr.flush()
        last[:] = [text, counted, now]

    try:
        yield show
    finally:
        if last:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


@changelog.command("check")
@repo_option
@range_options
@click.option(
    "--changelog",
    "changelog_file",
    type=PathType(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="The changelog to check against. Default: [tool.ozrelease.changelog] path, else "
    "CHANGELOG.rst or CHANGELOG.md (and the like) in the repository.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github", "gitlab"]),
    default="text",
    show_default=True,
    help="text for people; json (ozrelease-check/1); github: workflow commands that "
    "annotate the changelog; gitlab: a Code Quality report.",
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Also list what was suppressed, and by which rule.",
)
def check(
    *,
    repo: Path,
    since: str | None,
    to: str,
    changelog_file: Path | None,
    fmt: str,
    verbose: bool,
) -> int:
    """Check that the changelog documents what landed: CI's guard against undocumented
    changes.

    Reads the commits from --from to --to and the changelog section that covers them (the
    section of --to's version, else the Unreleased one at the top), and reports issues the
    commits reference that the section does not (issue-missing), database migrations, API
    documents, environment variables and production dependencies that changed without a
    word in it (change-missing), and breaking changes of OpenAPI documents it does not call
    breaking (api-breaking). Internal work, commits editing the changelog, fixes documented
    in patch releases cut inside the range, private security issues documented by advisory,
    and the like are suppressed by rules you can turn off in [tool.ozrelease.check]; see
    docs/changelog-check.md. --verbose lists them.

    \b
    Examples:
      ozrelease changelog check                         # since the last release tag
      ozrelease changelog check --from 1.29.0 --to 1.30.0 --changelog CHANGELOG.rst
      ozrelease changelog check --format github         # in a GitHub Actions step
      ozrelease changelog check --format gitlab > gl-code-quality-report.json

    Exit codes: 0 nothing undocumented; 1 undocumented changes found; 2 could not answer
    (bad usage, unknown ref, no changelog section for the range, or a shallow clone that
    lacks the range: `git fetch --unshallow --tags`, or `fetch-depth: 0` in CI).
    """
    from ozrelease import checks  # the check's modules load only when it runs

    history = History(repo)
    with _progress_bar() as progress, _stage_line() as stage:
        report = checks.check(
            history, to=to, since=since, changelog=changelog_file, progress=progress, stage=stage
        )
    for note in report.notes:
        click.echo(note, err=True)
    if fmt == "json":
        emit(json.dumps(checks.as_json(report, verbose=verbose), ensure_ascii=False), data=True)
    elif fmt == "gitlab":
        emit(
            json.dumps(checks.gitlab_code_quality(report), indent=2, ensure_ascii=False), data=True
        )
    elif fmt == "github":
        emit(checks.github_annotations(report))
        if verbose:
            from ozrelease.render import render

            click.echo(render("check.txt.j2", checks.text_view(report, verbose=True)), err=True)
    else:
        from ozrelease.render import render

        emit(render("check.txt.j2", checks.text_view(report, verbose=verbose)))
    return report.exit_code


COMMANDS = [changelog]
