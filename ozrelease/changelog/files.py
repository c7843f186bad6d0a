"""Changelog files: read their version sections, insert or replace one (CHANGELOG.rst / .md)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ozrelease import inputs
from ozrelease.changelog.messages import find_issue_refs
from ozrelease.versions import parse_version

__all__ = [
    "CANDIDATES",
    "SUFFIXES",
    "ChangelogFile",
    "DocEntry",
    "DocSection",
    "Update",
    "add_link_definition",
    "heading_template",
    "heading_version",
    "parse_changelog",
    "read_changelog",
    "read_text",
    "rst_underline",
    "update_text",
]

SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".rst": "rst", ".txt": "rst"}
CANDIDATES = (
    "CHANGELOG.rst",
    "CHANGELOG.md",
    "CHANGES.rst",
    "CHANGES.md",
    "HISTORY.rst",
    "HISTORY.md",
    "docs/changelog.rst",
    "docs/changelog.md",
)


@dataclass(frozen=True)
class DocEntry:
    text: str
    """The bullet's text, continuation lines joined, markup kept."""
    line: int
    category: str | None
    """The sub-heading it stands under (`Bugfixes`, `Fixed`), if any."""
    issues: tuple[str, ...]
    """Issue ids it references (`2462`; `owner/name#12` for other repositories; an unknown
    Sphinx role as `role#12`)."""


@dataclass(frozen=True)
class DocSection:
    title: str
    version: str | None
    """As written in the heading (`1.30.0`, `v1.2.0`); None for Unreleased and the like."""
    date: str | None
    start: int
    """First line (1-based) of the heading."""
    end: int
    """Last line (1-based) of the section, blank lines before the next heading included."""
    entries: tuple[DocEntry, ...]

    def matches(self, version: str | None) -> bool:
        """Whether this section is the one for `version` (None: Unreleased)."""
        if version is None or self.version is None:
            return version is None and self.version is None and _is_unreleased(self.title)
        try:
            return parse_version(self.version) == parse_version(version)
        except ValueError:
            return self.version == version


@dataclass(frozen=True)
class ChangelogFile:
    path: Path | None
    format: str
    sections: tuple[DocSection, ...]
    underline: str | None = None
    """RST: the adornment under version headings. Markdown: None."""
    heading_level: int = 2
    """Markdown: the `#` count of version headings."""

    def section(self, version: str | None) -> DocSection | None:
        return next((s for s in self.sections if s.matches(version)), None)


_VERSION_TITLE = re.compile(
    r"^\[?(?P<version>v?\d+(?:\.\d+)*(?:[-.+]?[A-Za-z0-9.+-]*)?)\]?"
    # a release name may follow in quotes: `3.5.0 "Kjeld" (2026-04-15)`
    r"(?P<rest>\s*(?:\"[^\"]*\"|\u201c[^\u201d]*\u201d)?(?:\s*[-\u2013\u2014(,:].*)?)?$"
)
# A version anywhere a heading may start with one (`v1.2.0 - 2024-01-01`, `[1.2.0]`).
_LOOSE_VERSION = re.compile(
    r"^\[?v?(\d+(?:\.\d+)+(?:[-.]?(?:a|b|rc|alpha|beta|dev|post)[.\d]*)?)(?![\w.])"
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# The date first, the version after it (django-gisserver: `# 2024-08-29 (1.4.1)`).
_DATE_FIRST = re.compile(
    r"^\d{4}-\d{2}-\d{2}\s*(?:[-\u2013\u2014:,]\s*|\(\s*)\[?v?"
    r"(?P<version>\d+(?:\.\d+)+(?:[-.]?(?:a|b|rc|alpha|beta|dev|post)[.\d]*)?)\]?\)?\s*$"
)


def heading_template(doc: ChangelogFile) -> str | None:
    """How the changelog writes a release heading, from its newest dated one, with {version}
    and {date} (`v{version} ({date})`, `[{version}] - {date}`); None without one."""
    for section in doc.sections:
        if section.version is None or section.date is None:
            continue
        version = section.version
        bare = version[1:] if version[:1] in "vV" else version
        title = section.title.replace(section.date, "{date}", 1)
        title = title.replace(version, version[: len(version) - len(bare)] + "{version}", 1)
        if (
            "{version}" in title
            and "{date}" in title
            and "{" not in title.replace("{version}", "").replace("{date}", "")
        ):
            return title
        return None
    return None


def _versioned(title: str) -> tuple[str, str] | None:
    """(version, the rest of the heading) of a version heading: `1.2.0 (2024-01-01)`, `[1.2.0]
    - 2024-01-01`, `2024-08-29 (1.4.1)`; None for another heading."""
    dated = _DATE_FIRST.match(title)
    if dated:
        return dated.group("version"), title[: dated.start("version")]
    match = _VERSION_TITLE.match(title)
    return (match.group("version"), match.group("rest") or "") if match else None


def heading_version(title: str) -> str | None:
    """The version a changelog heading is for, as written (`1.30.0`, `v1.2.0`), also where
    the heading carries a name (`3.5.0 "Kjeld" (2026-04-15)`); None when it names none."""
    versioned = _versioned(title)
    if versioned:
        return versioned[0]
    loose = _LOOSE_VERSION.match(title)
    return loose.group(1) if loose else None


_UNRELEASED = re.compile(r"^\[?(unreleased|upcoming|next|in development)\b.*", re.I)


def _date_in(text: str | None) -> str | None:
    found = _DATE.search(text or "")
    return found.group(0) if found else None


def _is_unreleased(title: str) -> bool:
    return bool(_UNRELEASED.match(title.strip()))


def read_changelog(
    path: Path,
    *,
    fmt: str | None = None,
    roles: Mapping[str, str] | None = None,
    own_repo: str | None = None,
) -> ChangelogFile:
    """Read a changelog file into its version sections (Markdown or RST, by suffix)."""
    chosen = fmt or SUFFIXES.get(path.suffix.lower(), "markdown")
    try:
        text = read_text(path)
    except FileNotFoundError:
        return ChangelogFile(path=path, format=chosen, sections=())
    parsed = parse_changelog(text, chosen, roles=roles, own_repo=own_repo)
    return ChangelogFile(
        path, parsed.format, parsed.sections, parsed.underline, parsed.heading_level
    )


def read_text(path: Path) -> str:
    """A changelog's text; FileNotFoundError passes, other failures are InputErrors (a FIFO,
    a device or a huge file is refused: `ozrelease.inputs`)."""
    try:
        return inputs.read_text(path, newline="")
    except inputs.MissingInputError:
        raise FileNotFoundError(path) from None


def parse_changelog(
    text: str,
    fmt: str,
    *,
    roles: Mapping[str, str] | None = None,
    own_repo: str | None = None,
) -> ChangelogFile:
    lines = text.splitlines()
    if fmt == "rst":
        headings, underline, subheads = _rst_headings(lines)
        level = 2
    else:
        headings, level, subheads = _md_headings(lines)
        underline = None
    sections = []
    for index, (start, body, title) in enumerate(headings):
        end = headings[index + 1][0] if index + 1 < len(headings) else len(lines)
        if fmt == "markdown" and index + 1 == len(headings):
            end = _before_link_definitions(lines, body, end)
        match = _versioned(title)
        entries = _entries(lines, body, end, subheads, roles or {}, own_repo)
        sections.append(
            DocSection(
                title=title,
                version=match[0] if match else None,
                date=_date_in(match[1]) if match else None,
                start=start + 1,
                end=end,
                entries=tuple(entries),
            )
        )
    return ChangelogFile(None, fmt, tuple(sections), underline, level)


_ADORNMENT = re.compile(r"^([=\-~^\"'`#*+.:_])\1{2,}\s*$")


_Title = tuple[int, int, str, str, bool]
"""An RST section title: (line, first body line, title, adornment character, overlined)."""


def _rst_titles(lines: Sequence[str]) -> Iterator[_Title]:
    i = 0
    while i < len(lines) - 1:
        line, below = lines[i], lines[i + 1]
        over = _ADORNMENT.match(line)
        if over and i + 2 < len(lines) and _ADORNMENT.match(lines[i + 2]) and lines[i + 1].strip():
            yield (i, i + 3, lines[i + 1].strip(), over.group(1), True)
            i += 3
            continue
        under = _ADORNMENT.match(below)
        if (
            line.strip()
            and not line.startswith(" ")
            and under
            and not _ADORNMENT.match(line)
            # As docutils reads it: an underline shorter than its title is still one (with a
            # warning) unless it is shorter than four characters too.
            and (len(below.rstrip()) >= len(line.rstrip()) - 2 or len(below.strip()) >= 4)
        ):
            yield (i, i + 2, line.strip(), under.group(1), False)
            i += 2
            continue
        i += 1


def _version_style(titles: Iterable[_Title]) -> tuple[str, bool] | None:
    """(adornment, overlined) of the first version (or Unreleased) title."""
    return next(
        (
            (char, overlined)
            for _, _, title, char, overlined in titles
            if _versioned(title) or _is_unreleased(title)
        ),
        None,
    )


def rst_underline(text: str) -> str | None:
    """The adornment character of an RST changelog's version headings (`=` in Open Zaak's),
    from its first version heading; None when it has none."""
    style = _version_style(_rst_titles(text.splitlines()))
    return style[0] if style else None


def _rst_headings(
    lines: Sequence[str],
) -> tuple[list[tuple[int, int, str]], str | None, dict[int, str]]:
    """Version headings as (heading line, first body line, title), their underline, and the
    sub-headings (**bold** paragraphs and other titles) by line."""
    titles = list(_rst_titles(lines))
    style = _version_style(titles)
    headings: list[tuple[int, int, str]] = []
    subheads: dict[int, str] = {}
    for start, body, title, char, overlined in titles:
        versioned = _versioned(title) is not None or _is_unreleased(title)
        # Adorned like the versions but no version, after one: that release's sub-heading
        # (open-afval underlines "New features" as it underlines "0.7.0 (2026-07-01)").
        if style is not None and (char, overlined) == style and (versioned or not headings):
            headings.append((start, body, title))
        else:
            subheads[start] = title
    for number, line in enumerate(lines):
        bold = re.match(r"^\*\*(?P<t>[^*]+)\*\*(?P<rest>.*)$", line.strip())
        if bold and not line.startswith(" "):
            subheads[number] = bold.group("t").strip()
    return headings, (style[0] if style else None), subheads


def _md_headings(
    lines: Sequence[str],
) -> tuple[list[tuple[int, int, str]], int, dict[int, str]]:
    found = []
    fenced = False
    for number, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if fenced:
            continue
        match = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if match:
            found.append((number, len(match.group(1)), match.group(2)))
    level = next(
        (lvl for _, lvl, title in found if _versioned(title) or _is_unreleased(title)),
        2,
    )
    headings = [(n, n + 1, t) for n, lvl, t in found if lvl == level]
    subheads = {n: t for n, lvl, t in found if lvl > level}
    return headings, level, subheads


def _before_link_definitions(lines: Sequence[str], body: int, end: int) -> int:
    """The last section of a Markdown changelog stops before `[1.0.0]: https://...` lines."""
    last = end
    while last > body and (
        not lines[last - 1].strip() or re.match(r"^\[[^\]]+\]:\s*\S", lines[last - 1])
    ):
        if lines[last - 1].strip():
            end = last - 1
        last -= 1
    return end if end >= body else body


_BULLET = re.compile(r"^(?P<indent>\s*)[*\-+]\s+(?P<text>.*)$")
_ROLE_REF = re.compile(r":(?P<role>[\w.+-]+):`(?:[^`<]*<)?(?P<n>\d+)>?`")


def _entries(
    lines: Sequence[str],
    body: int,
    end: int,
    subheads: Mapping[int, str],
    roles: Mapping[str, str],
    own_repo: str | None,
) -> list[DocEntry]:
    entries: list[DocEntry] = []
    category: str | None = None
    current: list[str] | None = None
    current_line = 0
    indent = 0

    def flush() -> None:
        if current is not None:
            text = " ".join(part.strip() for part in current).strip()
            entries.append(
                DocEntry(text, current_line + 1, category, _doc_issues(text, roles, own_repo))
            )

    for number in range(body, end):
        line = lines[number]
        if number in subheads:
            flush()
            current = None
            category = subheads[number]
            continue
        match = _BULLET.match(line)
        if match:
            flush()
            current, current_line, indent = (
                [match.group("text")],
                number,
                len(match.group("indent")),
            )
        elif current is not None and line.strip() and (len(line) - len(line.lstrip())) > indent:
            current.append(line)
        elif current is not None and line.strip():
            flush()
            current = None
    flush()
    return entries


def _doc_issues(text: str, roles: Mapping[str, str], own_repo: str | None) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for match in _ROLE_REF.finditer(text):
        repo = roles.get(match.group("role"))
        number = match.group("n")
        if repo is None:
            out.setdefault(f"{match.group('role')}#{number}")
        elif own_repo is not None and repo.lower() == own_repo.lower():
            out.setdefault(number)
        else:
            out.setdefault(f"{repo}#{number}")
    for ref in find_issue_refs(_ROLE_REF.sub(" ", text)):
        out.setdefault(ref.id(own_repo))
    return tuple(out)


# -- writing -------------------------------------------------------------------------------

_PREAMBLE = {
    "markdown": (
        "# Changelog\n\nAll notable changes to this project are documented in this file.\n"
        "The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/).\n\n"
    ),
    "rst": "=========\nChangelog\n=========\n\n",
}


@dataclass(frozen=True)
class Update:
    """A changelog's text with one section inserted or replaced."""

    text: str
    line: int
    """Where the section starts (1-based)."""
    replaced: int | None
    """How many lines of an existing section of the version it replaced (trailing blank
    lines not counted); None when the section is new."""


def update_text(existing: str | None, section_text: str, version: str | None, fmt: str) -> Update:
    """`existing` changelog text with the section for `version` replaced, or inserted where it
    belongs (newest first: after Unreleased, before the first older version)."""
    newline = "\r\n" if existing and "\r\n" in existing else "\n"
    text = (existing or _PREAMBLE[fmt]).replace("\r\n", "\n")
    block = section_text.rstrip("\n") + "\n"
    lines = text.splitlines(keepends=True)
    parsed = parse_changelog(text, fmt)
    current = parsed.section(version)
    replaced: int | None = None
    if current is not None:
        before = lines[: current.start - 1]
        after = lines[current.end :]
        old = lines[current.start - 1 : current.end]
        while old and not old[-1].strip():
            old.pop()
        replaced = len(old)
        line = current.start
        result = "".join(before) + block + ("\n" if after else "") + "".join(after)
    else:
        index = _insert_at(parsed, version)
        if index is None:
            body = text.rstrip("\n")
            result = (body + "\n\n" if body else "") + block
            line = body.count("\n") + 3 if body else 1
        else:
            before = lines[: index - 1]
            after = lines[index - 1 :]
            result = "".join(before) + block + "\n" + "".join(after)
            line = index
    if newline != "\n":
        result = result.replace("\n", newline)
    return Update(result, line, replaced)


def _insert_at(parsed: ChangelogFile, version: str | None) -> int | None:
    """The line before which a new section goes; None: at the end."""
    if not parsed.sections:
        return None
    if version is None:
        return parsed.sections[0].start
    new = parse_version(version)
    for section in parsed.sections:
        if section.version is None:
            continue
        try:
            if parse_version(section.version) < new:
                return section.start
        except ValueError:
            continue
    return None


_LINK_DEFINITION = re.compile(r"^\[(?P<label>[^\]]+)\]:[ \t]*(?P<url>\S+)[ \t]*$", re.M)


def add_link_definition(text: str, version: str) -> str:
    """A Markdown changelog whose version headings link (`## [1.2.0]` with `[1.2.0]: URL`
    below) with the definition for `version` added, made from the newest one the way it is
    written (`.../releases/tag/v1.1.0` -> `.../tag/v1.2.0`; `compare/v1.0.0...v1.1.0` ->
    `compare/v1.1.0...v1.2.0`), and an `[Unreleased]` compare link moved on. Unchanged
    when the file has no such definitions or already has one for `version`."""
    found = list(_LINK_DEFINITION.finditer(text))
    labels = {m.group("label").lower() for m in found}
    if version.lower() in labels:
        return text
    for match in found:
        old = match.group("label")
        if heading_version(old) != old:
            continue  # not a version's definition
        url = match.group("url")
        bare_old, bare_new = old.lstrip("vV"), version.lstrip("vV")
        head, sep, tail = url.rpartition("...")
        if sep:  # a compare link: from the release before to this one
            new_url = f"{head.rsplit('/', 1)[0]}/{tail}...{tail.replace(bare_old, bare_new)}"
        else:
            new_url = url.replace(bare_old, bare_new)
        if new_url == url:
            return text
        line = f"[{version}]: {new_url}\n"
        result = text[: match.start()] + line + text[match.start() :]
        for other in _LINK_DEFINITION.finditer(result):
            base, dots, end = other.group("url").rpartition("...")
            if other.group("label").lower() == "unreleased" and dots and bare_old in base:
                moved = f"{base.replace(bare_old, bare_new)}...{end}"  # (compare/v1.2.0...HEAD)
                result = result[: other.start("url")] + moved + result[other.end("url") :]
                break
        return result
    return text
