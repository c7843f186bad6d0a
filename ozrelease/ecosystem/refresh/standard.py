"""`manifest refresh API_NAME`: the published versions of a standard, from its repository's tags."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ozrelease.ecosystem.model import Api
from ozrelease.ecosystem.refresh.model import github_name
from ozrelease.history import History
from ozrelease.versions import Version, parse_version


@dataclass(frozen=True)
class StandardRefresh:
    api: str
    file: str
    doc: int
    versions: tuple[str, ...]
    """Every published (final) version the repository tags, oldest first."""
    new: tuple[str, ...]
    """Those the manifest does not list yet."""
    origin: str
    """How source comments name the repository (`VNG-Realisatie/zaken-api`)."""
    tags: Mapping[str, str]
    """version -> the tag it was read from."""


def refresh(api: Api, repo: Path) -> StandardRefresh:
    """The final version tags of the standard's repository (`1.5.1`, `v1.5.1`, or
    `zaken-api-1.0.1` where one repository holds several standards), from the oldest version
    the API's manifest lists on, compared with the versions it lists. Pre-releases and
    `.postN` tags (republished documentation of the same version) are left out."""
    history = History(repo)
    prefixed = re.compile(rf"^{re.escape(api.name)}(?:-api)?-(v?\d.*)$", re.IGNORECASE)
    found: list[tuple[Version, str, str, bool]] = []  # version, as written, tag, own tag
    for tag in history.tags():
        match = prefixed.match(tag.name)
        if match is not None:
            try:
                found.append((parse_version(match.group(1)), match.group(1), tag.name, True))
            except ValueError:
                continue
        elif tag.version is not None:
            found.append((tag.version, tag.name, tag.name, False))
    if any(own for *_, own in found):
        found = [t for t in found if t[3]]  # the standard's own tags, not the bundle's
    floor = min(api.versions) if api.versions else None
    seen = set()
    versions = []
    names: dict[str, str] = {}
    for version, written, tag_name, _ in sorted(found, key=lambda t: t[0]):
        if version.is_prerelease or version.is_devrelease or version.is_postrelease:
            continue
        if len(version.release) < 2:
            continue  # `1846`: an issue number, not a version
        if version in seen or (floor is not None and version < floor):
            continue
        seen.add(version)
        label = written[1:] if written[:1] in "vV" else written
        versions.append((version, label))
        names[label] = tag_name
    known = set(api.versions)
    return StandardRefresh(
        api=api.name,
        file=api.where.file,
        doc=api.where.doc,
        versions=tuple(label for _, label in versions),
        new=tuple(label for version, label in versions if version not in known),
        origin=github_name(history.remote_url()) or history.root.name,
        tags=names,
    )


def as_json(result: StandardRefresh) -> dict[str, Any]:
    return {
        "format": "ozrelease-refresh/1",
        "api": result.api,
        "versions": list(result.versions),
        "changes": [f"new published version {v}" for v in result.new],
    }


def text_lines(result: StandardRefresh) -> list[str]:
    lines = [f"{result.api}: {len(result.versions)} published versions in the repository"]
    if not result.new:
        lines.append(f"  {result.file} lists them all")
    lines.extend(f"  new published version {v}" for v in result.new)
    return lines
