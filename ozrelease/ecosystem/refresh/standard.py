"""`manifest refresh API_NAME`: the published versions of a standard, from its repository's tags."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ozrelease.ecosystem.model import Api
from ozrelease.history import History
from ozrelease.versions import parse_version


@dataclass(frozen=True)
class StandardRefresh:
    api: str
    file: str
    doc: int
    versions: tuple[str, ...]
    """Every published (final) version the repository tags, oldest first."""
    new: tuple[str, ...]
    """Those the manifest does not list yet."""
    source: str


def refresh(api: Api, repo: Path) -> StandardRefresh:
    """The final version tags of the standard's repository (`1.5.1`, `v1.5.1`, or
    `zaken-api-1.0.1` where one repository holds several standards), from the oldest version
    the API's manifest lists on, compared with the versions it lists. Pre-releases and
    `.postN` tags (republished documentation of the same version) are left out."""
    history = History(repo)
    prefixed = re.compile(rf"^{re.escape(api.name)}(?:-api)?-(v?\d.*)$", re.IGNORECASE)
    tags = []
    for tag in history.tags():
        match = prefixed.match(tag.name)
        if match is not None:
            try:
                tags.append((parse_version(match.group(1)), match.group(1), True))
            except ValueError:
                continue
        elif tag.version is not None:
            tags.append((tag.version, tag.name, False))
    if any(own for _, _, own in tags):
        tags = [t for t in tags if t[2]]  # the standard's own tags, not the bundle's
    floor = min(api.versions) if api.versions else None
    seen = set()
    versions = []
    for version, name, _ in sorted(tags, key=lambda t: t[0]):
        if version.is_prerelease or version.is_devrelease or version.is_postrelease:
            continue
        if len(version.release) < 2:
            continue  # `1846`: an issue number, not a version
        if version in seen or (floor is not None and version < floor):
            continue
        seen.add(version)
        versions.append((version, name[1:] if name[:1] in "vV" else name))
    known = set(api.versions)
    new = tuple(label for version, label in versions if version not in known)
    url = history.remote_url()
    origin = (
        url.rstrip("/").removesuffix(".git").split("github.com/")[-1] if url else history.root.name
    )
    return StandardRefresh(
        api=api.name,
        file=api.where.file,
        doc=api.where.doc,
        versions=tuple(label for _, label in versions),
        new=new,
        source=f"source: {origin} git tags",
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
