"""Packages and environment variables that changed in the range, reported by name."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from ozrelease.changelog.words import related
from ozrelease.checks.context import Context, shorten
from ozrelease.checks.files import Watched
from ozrelease.checks.reading import is_dependency_commit
from ozrelease.checks.report import Finding
from ozrelease.checks.section_text import SectionText


@dataclass(frozen=True)
class Named:
    """A package or variable that changed in the range."""

    name: str
    what: str
    paths: tuple[str, ...]
    commits: tuple[str, ...]
    """The commits that changed it, oldest first."""
    setting: bool = False
    """A Django setting a library reads (`getattr(settings, ...)`), not an environment
    variable."""


def in_order(shas: Iterable[str], order: Mapping[str, int]) -> tuple[str, ...]:
    return tuple(sorted(set(shas), key=lambda sha: order.get(sha, 0), reverse=True))


def touching(entry: Watched, files: Iterable[str]) -> set[str]:
    return {sha for path in files for sha in entry.commits.get(path, ())}


_NOUNS = {
    "settings": ("environment variable", "environment variables"),
    "dependencies": ("dependency", "dependencies"),
    "image": ("Docker base image", "Docker base images"),
}


def report_names(
    category: str,
    items: Sequence[Named],
    context: Context,
    names: Callable[[SectionText, str], bool],
    kind: str | None = None,
) -> None:
    """Report the packages or variables the section does not name, one finding per change
    that brought them (the commits' pull requests or issues). `kind` names them in the
    messages when the category holds another kind of name (the runtime `image` of
    `dependencies`)."""
    kind = kind or category
    groups: dict[tuple[int, ...], list[Named]] = {}
    for item in items:
        noun = "setting" if item.setting else _NOUNS[kind][0]
        subject = f"{noun} {item.name}"
        other = context.elsewhere(lambda text, n=item.name: names(text, n))  # type: ignore[misc]
        if other is not None:
            context.suppress(
                "other-sections",
                subject,
                f"named in {other.title}, released inside the range",
                item.commits,
            )
            continue
        commits = [c for sha in item.commits if (c := context.commit(sha)) is not None]
        # A removal or a new default can be said in words (by an entry that says what the
        # commit says and speaks of the variable); to use what is new, readers need its name.
        if (
            commits
            and item.what != "added"
            and context.on("matching-text")
            and not any(is_dependency_commit(c) for c in commits)
        ):
            # (Not the project's own name: `DJADYEN_` prefixes every setting of djadyen.)
            own = (context.own_repo or "").rpartition("/")[2].lower()
            prefixes = {own, own.replace("-", "")} | set(own.split("-"))
            parts = {w.lower() for w in re.split(r"[-_.]", item.name) if len(w) >= 4} - prefixes
            matched = [
                block
                for c in commits
                if (block := context.section.matches(c.parsed.description)) is not None
                and any(
                    related(p, w.lower()) for p in parts for w in re.findall(r"[A-Za-z]{4,}", block)
                )
            ]
            if len(matched) >= len(commits):
                quoted = " ".join(matched[0].split())[:80]
                context.suppress(
                    "matching-text",
                    subject,
                    f"the section documents the commits that changed it ({quoted!r})",
                    item.commits,
                )
                continue
        if category == "settings" and item.what != "added" and context.on("documented-change"):
            entry = context.documented_setting(item.commits, item.name) if item.commits else None
            if entry is not None:
                context.suppress(
                    "documented-change",
                    subject,
                    f"{item.what}, in a change the section documents: {entry!r}",
                    item.commits,
                )
                continue
        key = tuple(sorted({c.change for c in commits})) or (-1,)
        groups.setdefault(key, []).append(item)
    for group in groups.values():
        singular, plural = _NOUNS[kind]
        if all(item.setting for item in group):
            singular, plural = "setting", "settings"
        elif any(item.setting for item in group):
            plural = "environment variables and settings"
        noun = singular if len(group) == 1 else plural
        listed = ", ".join(f"{item.name} ({item.what})" for item in group)
        paths = tuple(dict.fromkeys(p for item in group for p in item.paths))
        shas = tuple(dict.fromkeys(c for item in group for c in item.commits))
        verb = "is" if len(group) == 1 else "are"
        first = context.commit(shas[0]) if shas else None
        by = f"; by {first.sha[:10]} {shorten(first.subject, 60)!r}" if first else ""
        wanted = " / ".join(sentence(kind, item, context.changelog_path) for item in group[:3])
        more = f" (and {len(group) - 3} more)" if len(group) > 3 else ""
        context.findings.append(
            Finding(
                kind="change-missing",
                issue=None,
                commits=shas,
                paths=paths,
                category=category,
                message=f"{noun} {listed} {verb} not named in the section ({', '.join(paths)})"
                f"{by}; the section lacks: {wanted}{more}",
                names=tuple(item.name for item in group),
            )
        )


PYTHON = "python"
"""The dependency the Python versions a package installs on are watched as
(`requires-python`, `python_requires`; checks/dependencies.py)."""


def sentence(category: str, item: Named, changelog: str) -> str:
    """The entry the section lacks for one package or variable, in the changelog's markup."""
    tick = "`" if changelog.lower().endswith((".md", ".markdown")) else "``"
    name = f"{tick}{item.name}{tick}"
    what = item.what
    if category == "dependencies":
        if item.name == PYTHON:
            if what == "removed":
                return "Dropped the restriction on Python versions (``requires-python``)"
            spec = what.removeprefix("added").strip().rpartition(" -> ")[2].split(", now")[0]
            return f"Requires Python {spec}"
        if what == "removed":
            return f"Removed {name}"
        if what.startswith("added"):
            return f"Added {name} {what.removeprefix('added').strip()}".rstrip()
        target, _, excluded = what.rpartition(" -> ")[2].partition(", now excludes ")
        if excluded:  # django>=3.2,<5.0
            return f"Dropped support for {name} {excluded} (requires {tick}{target}{tick})"
        return f"Upgraded {name} to {target}"
    if category == "image":
        target = item.name.replace("python ", "Python ")
        return f"Moved the Docker image to {target} ({item.what.rpartition(' -> ')[2]})"
    noun = "setting" if item.setting else "environment variable"
    if what == "added":
        return f"Added the {noun} {name}"
    if what == "removed":
        return f"Removed the {noun} {name}"
    old, _, new = what.removeprefix("default ").partition(" -> ")
    return f"Changed the default of {name} from {old} to {new}"
