"""`manifest refresh API_NAME`: the published versions of a standard, from its repository's tags."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ozrelease.ecosystem.model import Api
from ozrelease.history import History


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
    """The final version tags of the standard's repository (`1.5.1`, `v1.5.1`), compared
    with the versions the API's manifest lists."""
    history = History(repo)
    seen = set()
    versions = []
    for tag in history.tags():
        version = tag.version
        if version is None or version.is_prerelease or version.is_devrelease or version in seen:
            continue
        seen.add(version)
        versions.append((version, tag.name[1:] if tag.name[:1] in "vV" else tag.name))
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
