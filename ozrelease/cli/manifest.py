"""`ozrelease manifest import-publiccode` and `manifest refresh`: writing and keeping manifests."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ozrelease.cli.options import PathType, Settings, emit, format_option, output_option, say
from ozrelease.errors import UsageError
from ozrelease.wording import plural


@click.group("manifest")
def manifest() -> None:
    """Helpers for writing manifests and keeping them current."""


@manifest.command("import-publiccode")
@click.argument("file", type=PathType(path_type=Path), metavar="FILE")
@output_option
def import_publiccode(file: Path, output: Path | None) -> int:
    """A Component skeleton from a publiccode.yml: name, title, repository, one release
    (softwareVersion, releaseDate) and `dependsOn` as `requires`.

    Optional dependencies are written commented out; the API versions that `features`
    lists are written as a commented-out `provides` flagged STALE?: publiccode.yml files
    are often not updated with the APIs (Open Zaak 1.30.0's still lists Zaken API 1.4).
    Review the skeleton, then add it to the manifests and run `ozrelease validate`.

    \b
    Examples:
      ozrelease manifest import-publiccode publiccode.yaml
      ozrelease manifest import-publiccode ../x/publiccode.yaml -o manifests/components/x.yaml

    Exit codes: 0 done; 2 unreadable or invalid input (FILE:LINE: message).
    """
    from ozrelease.ecosystem.publiccode import import_publiccode as run

    skeleton = run(file)
    for note in skeleton.notes:
        say(f"note: {note}")
    emit(skeleton.text, output)
    return 0


@manifest.command("refresh")
@click.argument("name", metavar="COMPONENT|API")
@click.option(
    "--repo",
    type=PathType(file_okay=False, path_type=Path),
    default=Path(),
    show_default="the current directory",
    help="A clone of the component's (or the standard's) git repository, with its tags "
    "(a bare mirror is fine).",
)
@click.option(
    "--charts",
    type=PathType(file_okay=False, path_type=Path),
    default=None,
    help="A clone of the Helm charts repository (maykinmedia/charts) with its gh-pages "
    "branch: release charts come from its published index.yaml.",
)
@click.option(
    "--api",
    "apis",
    multiple=True,
    metavar="PATH=NAME",
    help="Name the API of the OpenAPI documents at or under PATH (repeatable), where the "
    "manifest's provides do not tell: --api src/objects/api=objecten.",
)
@click.option(
    "--chart-name",
    "chart_names",
    multiple=True,
    metavar="CHART",
    help="The chart in the index (default: the manifest's deploy.helm.chart).",
)
@format_option("text", "json")
@click.option(
    "--write",
    is_flag=True,
    help="Update the manifest file in place (atomically), keeping every comment and adding "
    "a source comment to each fact written.",
)
@click.pass_obj
def refresh(
    settings: Settings,
    *,
    name: str,
    repo: Path,
    charts: Path | None,
    apis: tuple[str, ...],
    chart_names: tuple[str, ...],
    fmt: str,
    write: bool,
) -> int:
    """Derive a component's releases and facts from its repository, and show what differs
    from its manifest.

    Releases are the final version tags (pre-releases left out) from the manifest's oldest
    release on, dated by the tag. At each tag: `provides` from the info.version of every
    OpenAPI document under src/; `upgradeFrom` from django-upgrade-check's
    UPGRADE_CHECK_PATHS in the settings (read with `ast`, never run; matched as the pinned
    library version does) or Open Forms' upgrade_paths.py. From the newest tag: the
    PostgreSQL and Redis minimums of docs/installation/prerequisites.rst (else the pinned
    Django's own minimum, marked inferred) and `eol` from the versioning policy table. With
    --charts: `chart`, the newest published chart whose appVersion is the release.

    With the name of an API instead of a component (`zaken`), --repo is the standard's
    repository: its published versions are its final version tags (or tags named after the
    standard, `zaken-api-1.0.1`), from the oldest version the API lists on.

    \b
    Examples:
      ozrelease manifest refresh open-klant --repo ../open-klant --charts ../charts
      ozrelease manifest refresh open-zaak --repo ../open-zaak --format json
      ozrelease manifest refresh open-klant --repo ../open-klant --charts ../charts --write
      ozrelease manifest refresh zaken --repo ../zaken-api --write

    Exit codes: 0 done (differences are reported, not failed); 2 unreadable manifests, an
    unknown name, or a repository that cannot be read.
    """
    from ozrelease.ecosystem import load as manifests

    ecosystem = manifests.load(settings.manifests)
    api_map = {}
    for item in apis:
        path, sep, api = item.partition("=")
        if not sep or not path.strip() or not api.strip():
            raise UsageError(f"--api: {item!r} is not PATH=NAME")
        api_map[path.strip().strip("/")] = api.strip()
    if name in ecosystem.components:
        from ozrelease.ecosystem.refresh import as_json, printable, refresh, text_lines

        result = refresh(
            ecosystem.components[name],
            repo,
            charts=charts,
            apis=api_map,
            chart_names=chart_names,
            known=set(ecosystem.components),
        )
        for note in result.notes:
            say(f"note: {printable(note)}")
        if write:
            from ozrelease.ecosystem.refresh.write import write as write_file

            count = write_file(result, Path(result.file))
            say(
                f"{result.file}: {plural(count, 'fact')} written"
                if count
                else f"{result.file}: nothing to write"
            )
        if fmt == "json":
            emit(json.dumps(as_json(result), indent=2, ensure_ascii=False), data=True)
        else:
            emit("\n".join(text_lines(result)) + "\n")
        return 0
    if name in ecosystem.apis:
        from ozrelease.ecosystem.refresh import standard

        found = standard.refresh(ecosystem.apis[name], repo)
        if write:
            from ozrelease.ecosystem.refresh.write import write_api

            count = write_api(found, Path(found.file))
            say(f"{found.file}: {plural(count, 'version')} written")
        if fmt == "json":
            emit(json.dumps(standard.as_json(found), indent=2, ensure_ascii=False), data=True)
        else:
            emit("\n".join(standard.text_lines(found)) + "\n")
        return 0
    from difflib import get_close_matches

    close = get_close_matches(name, [*ecosystem.components, *ecosystem.apis], n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UsageError(f"{name!r} is neither a component nor an API of the manifests{hint}")
