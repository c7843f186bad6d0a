"""Which changelog section covers a range, and the other sections released inside it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date as Date
from pathlib import Path

from ozrelease.changelog.files import ChangelogFile, DocSection, heading_version
from ozrelease.history import Tag
from ozrelease.versions import Version, parse_version


def version_of(ref: str, sha: str | None, tags: Sequence[Tag]) -> tuple[str, Version] | None:
    """The version a ref stands for: a version tag named `ref`, or the highest version tag on
    its commit, or `ref` itself when it reads as a version."""
    versions = [(t, t.version) for t in tags if t.version is not None]
    named = next(((t, v) for t, v in versions if t.name == ref), None)
    if named is not None:
        return named[0].name, named[1]
    on_commit = [(t, v) for t, v in versions if t.sha == sha]
    if on_commit:
        best = max(on_commit, key=lambda pair: pair[1])
        return best[0].name, best[1]
    try:
        return ref, parse_version(ref)
    except ValueError:
        return None


def changelog_file(given: Path | None, root: Path, default: Path) -> Path:
    """`--changelog`: relative to the repository (`--repo`), else to the current folder."""
    if given is None:
        return default if default.is_absolute() else root / default
    if given.is_absolute():
        return given
    if (root / given).exists() or not given.exists():
        return root / given
    return given.resolve()


def display_path(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def version_in(section: DocSection) -> str | None:
    """The section's version, also where the heading carries a name (`3.5.0 "Kjeld"
    (2026-04-15)`)."""
    return section.version or heading_version(section.title)


def date_in(section: DocSection) -> Date | None:
    if section.date is not None:
        return _day(section.date)
    match = re.search(r"\d{4}-\d{2}-\d{2}", section.title)
    return _day(match.group(0)) if match else None


# A version still to be decided: `0.0.x (TBD)`, `2.1.*`.
_PLACEHOLDER = re.compile(r"\.[xX*](?:\.|$)")


def _same_version(section: DocSection, version: tuple[str, Version]) -> bool:
    """Whether the section is of the version (a tag `release/0.4.0` has section 0.4.0)."""
    found = version_in(section)
    if found is None:
        return False
    try:
        return parse_version(found) == version[1]
    except ValueError:
        return found == version[0]


def pick_section(
    doc: ChangelogFile,
    to_version: tuple[str, Version] | None,
    from_version: tuple[str, Version] | None,
) -> tuple[DocSection | None, str]:
    if to_version is not None:
        found = doc.section(to_version[0]) or next(
            (s for s in doc.sections if _same_version(s, to_version)), None
        )
        if found is not None:
            return found, f"the section of {to_version[0]}, the version of --to"
        candidate = _newest_prerelease(doc, to_version[1])
        if candidate is not None:
            return candidate, (
                f"the section of {version_in(candidate)}, the newest pre-release of "
                f"{to_version[0]} (no section of {to_version[0]} itself)"
            )
    if doc.sections:
        top = doc.sections[0]
        top_version = version_in(top)
        if top_version is None or _PLACEHOLDER.search(top_version):
            named = top.title.lower().lstrip("[").startswith("unreleased")
            return top, f"the {'Unreleased' if named else 'unversioned'} section at the top"
        unreleased = doc.section(None)
        if unreleased is not None:
            return unreleased, "the Unreleased section"
        if to_version is None and from_version is not None:
            try:
                newer = parse_version(top_version) > from_version[1]
            except ValueError:
                newer = False
            if newer:
                return top, (
                    f"the top section, {top_version}, newer than {from_version[0]} "
                    "(a release being prepared)"
                )
    return None, ""


def _newest_prerelease(doc: ChangelogFile, version: Version) -> DocSection | None:
    """The section of the newest pre-release of a final `version` (zaken-api 1.3.0 has only
    the sections 1.3.0-rc1 to 1.3.0-rc7); its older ones are then sections of the range."""
    if version.is_prerelease:
        return None
    best: tuple[Version, DocSection] | None = None
    for section in doc.sections:
        found = version_in(section)
        try:
            parsed = parse_version(found) if found else None
        except ValueError:
            continue
        if (
            parsed is not None
            and parsed.is_prerelease
            and parsed.release == version.release
            and (best is None or parsed > best[0])
        ):
            best = (parsed, section)
    return best[1] if best else None


def _day(text: str | None) -> Date | None:
    try:
        return Date.fromisoformat(text) if text else None
    except ValueError:
        return None


def sections_in_range(
    doc: ChangelogFile,
    chosen: DocSection,
    from_version: tuple[str, Version] | None,
    to_version: tuple[str, Version] | None,
    from_day: Date | None,
    to_day: Date,
) -> list[DocSection]:
    """Other sections released inside the range: dated after `--from` and not after `--to`
    (patch releases of other lines), or with a version between the two (pre-releases)."""
    out = []
    for other in doc.sections:
        if other is chosen or other.start == chosen.start:
            continue
        day = date_in(other)
        if day is not None and from_day is not None and day < from_day:
            continue  # released before the range began, whatever its version says
        dated = day is not None and (from_day is None or day > from_day) and day <= to_day
        between = False
        other_version = version_in(other)
        if other_version is not None and from_version is not None:
            try:
                version = parse_version(other_version)
            except ValueError:
                version = None
            if version is not None:
                upper = to_version[1] if to_version is not None else None
                between = version > from_version[1] and (upper is None or version < upper)
        if dated or between:
            out.append(other)
    return out
