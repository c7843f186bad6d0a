"""Changelogs: commits -> entries -> sections; rendering; reading and updating changelog files."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date as Date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ozrelease import gcpause
from ozrelease.changelog.commits import (
    Change,
    Classifier,
    find_issue_refs,
    group_records,
    parse_message,
)
from ozrelease.changelog.config import (
    Config,
    SectionRule,
    load_config,
)
from ozrelease.changelog.style import Identity, forge_identity, sphinx_issue_roles
from ozrelease.errors import InputError, OzReleaseError, UsageError
from ozrelease.history import History, Record, Scan, ScanProgress
from ozrelease.versions import Version, parse_version

if TYPE_CHECKING:
    from ozrelease.changelog.spill import Made

__all__ = [
    "JSON_FORMAT",
    "Changelog",
    "ChangelogFile",
    "DocEntry",
    "DocSection",
    "Entry",
    "Generated",
    "Section",
    "Style",
    "as_json",
    "generate",
    "json_pieces",
    "parse_changelog",
    "read_changelog",
    "render_section",
    "resolve_style",
    "update_text",
    "write_section",
]

JSON_FORMAT = "ozrelease-changelog/1"
SPILL_AFTER = 2_000
"""Changes (pull requests, commits) kept in memory before they go to a temporary file: a
release's worth never does, a whole history may, and memory stays flat past it."""
_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".rst": "rst", ".txt": "rst"}
_CANDIDATES = (
    "CHANGELOG.rst",
    "CHANGELOG.md",
    "CHANGES.rst",
    "CHANGES.md",
    "HISTORY.rst",
    "HISTORY.md",
    "docs/changelog.rst",
    "docs/changelog.md",
)


# -- the data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    text: str
    """Plain text, as the commit or pull request says it (no markup, no references)."""
    issues: tuple[str, ...]
    """Issue ids as CONTRACT §3 writes them: `2426`, `open-zaak/security-issues#12`."""
    commits: tuple[str, ...]
    breaking: bool


@dataclass(frozen=True)
class Section:
    title: str
    entries: Sequence[Entry]
    """A tuple; on a range long enough to spill (SPILL_AFTER), a sequence read from disk."""


@dataclass(frozen=True)
class Changelog:
    """One version's changelog section (`ozrelease-changelog/1`)."""

    version: str | None
    date: str | None
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class Style:
    """How this repository writes its changelog; resolved from configuration, the existing
    file, the remote and docs/conf.py."""

    format: str
    path: Path
    sections: tuple[SectionRule, ...]
    default_section: int
    own_repo: str | None = None
    roles: Mapping[str, str] = field(default_factory=dict)
    """Sphinx role -> `owner/name`."""
    issue_url: str | None = None
    """URL of an issue of any repository on the same forge, with {repo} and {number}."""
    own_issue_url: str | None = None
    underline: str = "="
    own_source: str = "unknown"
    """Where `own_repo` was read: `remote origin`, `publiccode.yml url`, ... (style.py)."""


@dataclass(frozen=True)
class Generated:
    changelog: Changelog
    style: Style
    since: str | None
    """The ref the range starts after (None: the whole history)."""
    to: str
    commits_scanned: int


# -- generating ----------------------------------------------------------------------------


def generate(
    history: History,
    *,
    to: str = "HEAD",
    since: str | None = None,
    version: str | None = None,
    date: str | None = None,
    fmt: str | None = None,
    config: Config | None = None,
    progress: ScanProgress | None = None,
    spill_after: int | None = SPILL_AFTER,
    scan: Scan[Record] | None = None,
) -> Generated:
    """A changelog section for the commits reachable from `to` and not from `since`.

    `since` defaults to the newest version tag reachable from `to` (by version order, tags
    on `to` itself excluded; pre-releases only count when `version` is one or is not given).
    `date` (YYYY-MM-DD) defaults to the date of `to`'s commit when a version is given.
    `fmt` chooses the style (`markdown`, `rst`); None: the repository's own.
    `spill_after`: past that many changes, they wait in a temporary file, not in memory, and
    the sections' entries are read from it as they are used (see commits.group_records).
    `scan`: the range's records, already started by the caller, so that git could start
    before this module was even imported: `history.records` of the range that
    `history.release_range` gives, whose `since` is passed here too; `progress` is then
    the scan's business.
    """
    parsed_version = _check_version(version)
    if date is not None:
        _check_date(date)
    if scan is None:
        prereleases = parsed_version is None or parsed_version.is_prerelease
        tip, since = history.release_range(to, since, prereleases=prereleases)
        scan = history.records(tip, since=since, progress=history.progress(progress, tip, since))
    else:
        tip = scan.tip  # (`since` is where the caller's scan starts)
    with scan:  # git reads the range while the rest gets ready
        config = config if config is not None else load_config(history.root)
        if date is None and version is not None:
            date = history.commit_date(tip).date().isoformat()
        style = resolve_style(history, config, fmt, tip=tip)
        classifier = Classifier(config.changelog, style.sections, style.default_section)
        changes = group_records(
            scan,
            tip=tip,
            classifier=classifier,
            own_repo=style.own_repo,
            internal=False,
            spill_after=spill_after,
        )
    if isinstance(changes, list):
        sections = _sections(changes, style)
    else:  # a long range, kept on disk: each section is read from there as it is written
        sections = tuple(
            Section(style.sections[index].title, changes.in_section(index, _entry))
            for index in changes.sections()
        )
    return Generated(
        changelog=Changelog(version=version, date=date, sections=sections),
        style=style,
        since=since,
        to=to,
        commits_scanned=scan.read,
    )


def _entry(made: Made) -> Entry:
    _, text, issues, shas, breaking, _ = made
    return Entry(text, issues, shas, breaking)


def _sections(changes: list[Change], style: Style) -> tuple[Section, ...]:
    """Changes (oldest landed first) into the style's sections, breaking ones first."""
    with gcpause.paused():
        buckets: list[list[Entry]] = [[] for _ in style.sections]
        changes.reverse()
        while changes:  # one copy of the range at a time: each Change goes as its Entry comes
            change = changes.pop()
            if change.section is None:
                continue
            buckets[change.section].append(
                Entry(change.text, change.issues, change.commits, change.breaking)
            )
        return tuple(
            Section(rule.title, tuple(sorted(entries, key=lambda e: not e.breaking)))
            for rule, entries in zip(style.sections, buckets, strict=True)
            if entries
        )


def _check_version(version: str | None) -> Version | None:
    if version is None:
        return None
    try:
        return parse_version(version)
    except ValueError as exc:
        raise UsageError(f"--version: {exc}") from None


def _check_date(text: str) -> None:
    try:
        Date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--date: {text!r} is not a date (YYYY-MM-DD)") from None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise UsageError(f"--date: {text!r} is not a date (YYYY-MM-DD)")


def resolve_style(
    history: History,
    config: Config,
    fmt: str | None = None,
    *,
    tip: str = "HEAD",
    identity_files: bool = False,
) -> Style:
    """The changelog file, format, sections and reference style of the repository.
    `identity_files`: also read this repository's forge name from other remotes,
    publiccode.yml and pyproject.toml when `origin` names none (changelog check)."""
    root = history.root
    settings = config.changelog
    path = settings.path
    if path is None:
        path = next((Path(c) for c in _CANDIDATES if (root / c).is_file()), None)
    chosen = fmt or settings.format
    if chosen is None and path is not None:
        chosen = _SUFFIXES.get(path.suffix.lower())
    if chosen is None:
        chosen = _commit_style(history, tip)
    if path is None:
        path = Path("CHANGELOG.rst" if chosen == "rst" else "CHANGELOG.md")
    sections, default = settings.sections_for(chosen)
    identity = forge_identity(
        root, settings.repository, history.remote_url, history.remotes if identity_files else None
    )
    own, remote = identity.repo, identity.url or history.remote_url()
    roles = (
        dict(settings.issue_roles)
        if settings.issue_roles is not None
        else (sphinx_issue_roles(root))
    )
    if own is None:
        # No forge remote (a local clone): the role named like the checkout names this repo.
        name = root.name.lower()
        own = next((repo for role, repo in roles.items() if role.lower() == name), None)
        if own is not None:
            identity = Identity(own, f"the docs/conf.py role named like the folder {name}")
    issue_url = own_url = None
    host = _forge_host(remote) if remote else None
    if host == "github.com" or (host is None and own is not None and "github" in str(remote)):
        issue_url = "https://github.com/{repo}/issues/{number}"
    elif host is not None and "gitlab" in host:
        issue_url = f"https://{host}/{{repo}}/-/issues/{{number}}"
    if settings.issue_url:
        own_url = settings.issue_url
    elif issue_url and own:
        own_url = issue_url.replace("{repo}", own)
    underline = settings.rst_underline or "="
    if settings.rst_underline is None and chosen == "rst" and (root / path).is_file():
        underline = _rst_underline(_read_text(root / path)) or underline
    return Style(
        format=chosen,
        path=path,
        sections=sections,
        default_section=default,
        own_repo=own,
        roles=roles,
        issue_url=issue_url,
        own_issue_url=own_url,
        underline=underline,
        own_source=identity.source if own is not None else "unknown",
    )


def _commit_style(history: History, tip: str) -> str:
    """rst (Open Zaak style) for a gitmoji history, markdown for the rest."""
    try:
        subjects = history.subjects(tip, limit=200)
    except OzReleaseError:
        return "markdown"
    counts = {"gitmoji": 0, "conventional": 0, "free": 0}
    for subject in subjects:
        if not subject.startswith("Merge"):
            counts[parse_message(subject).style] += 1
    return "rst" if counts["gitmoji"] > counts["conventional"] else "markdown"


def _forge_host(url: str) -> str | None:
    match = re.match(r"^(?:[\w+]+://)?(?:[^@/]+@)?(?P<host>[\w.-]+)[:/]", url)
    return match.group("host").lower() if match else None


# -- rendering -----------------------------------------------------------------------------


def as_json(changelog: Changelog) -> dict[str, Any]:
    """`ozrelease-changelog/1` (CONTRACT §3), built from the dataclasses."""
    with gcpause.paused():  # a dict and two lists per entry, no cycles: nothing for the collector
        return _as_json(changelog)


def _as_json(changelog: Changelog) -> dict[str, Any]:
    return {
        "format": JSON_FORMAT,
        "version": changelog.version,
        "date": changelog.date,
        "sections": [
            {
                "title": section.title,
                "entries": [
                    {
                        "text": entry.text,
                        "issues": list(entry.issues),
                        "commits": list(entry.commits),
                        "breaking": entry.breaking,
                    }
                    for entry in section.entries
                ],
            }
            for section in changelog.sections
        ],
    }


def json_pieces(changelog: Changelog, *, entries_per_piece: int = 1000) -> Iterator[str]:
    """`json.dumps(as_json(changelog), ensure_ascii=False)`, character for character, in
    pieces of up to `entries_per_piece` entries: a long history's document is never held
    whole, as a dict tree, a string and its encoding at once."""
    encode = json.JSONEncoder(ensure_ascii=False).encode
    head = encode({"format": JSON_FORMAT, "version": changelog.version, "date": changelog.date})
    parts = [head[:-1], ', "sections": [']
    for i, section in enumerate(changelog.sections):
        parts.append(f'{", " if i else ""}{{"title": {encode(section.title)}, "entries": [')
        for j, entry in enumerate(section.entries):
            item = {
                "text": entry.text,
                "issues": list(entry.issues),
                "commits": list(entry.commits),
                "breaking": entry.breaking,
            }
            parts.append(f"{', ' if j else ''}{encode(item)}")
            if len(parts) >= entries_per_piece:
                yield "".join(parts)
                parts = []
        parts.append("]}")
    parts.append("]}")
    yield "".join(parts)


def render_section(changelog: Changelog, style: Style, fmt: str | None = None) -> str:
    """The section as Markdown (Keep a Changelog) or RST (Open Zaak), ending in one newline."""
    from ozrelease.render import render  # jinja2 only when a template is rendered (not for JSON)

    fmt = fmt or style.format
    if fmt == "rst":
        heading = _rst_heading(changelog)
        view = {
            "heading": heading,
            "underline": style.underline * len(heading),
            "sections": [
                {
                    "title": _rst_escape(s.title),
                    "entries": [_rst_entry(e, style) for e in s.entries],
                }
                for s in changelog.sections
            ],
        }
        return render("changelog.rst.j2", view)
    view = {
        "heading": _md_heading(changelog),
        "sections": [
            {"title": s.title, "entries": [_md_entry(e, style) for e in s.entries]}
            for s in changelog.sections
        ],
    }
    return render("changelog.md.j2", view)


def _rst_heading(changelog: Changelog) -> str:
    if changelog.version is None:
        return "Unreleased"
    return f"{changelog.version} ({changelog.date})" if changelog.date else changelog.version


def _md_heading(changelog: Changelog) -> str:
    if changelog.version is None:
        return "## [Unreleased]"
    suffix = f" - {changelog.date}" if changelog.date else ""
    return f"## [{changelog.version}]{suffix}"


_BREAKING = "Breaking change:"


def _split_id(issue: str, own: str | None) -> tuple[str | None, str]:
    repo, sep, number = issue.rpartition("#")
    if not sep:
        return own, issue
    return repo, number


def _rst_entry(entry: Entry, style: Style) -> str:
    by_repo: dict[str, str] = {}
    for name, target in sorted(style.roles.items()):
        by_repo.setdefault(target.lower(), name)
    refs = []
    for issue in entry.issues:
        repo, number = _split_id(issue, style.own_repo)
        role = by_repo.get(repo.lower()) if repo else None
        if role is not None and _RST_ROLE.match(role):
            refs.append(f":{role}:`{number}`")
        else:
            # inside `[...]`: nothing starts a line, only inline markup needs escaping
            refs.append(_rst_plain(f"#{number}" if repo == style.own_repo else issue))
    text = _rst_escape(entry.text) or "\\-"
    if entry.breaking:
        text = f"**{_BREAKING}** {text}"
    return f"[{' / '.join(refs)}] {text}" if refs else text


_RST_ROLE = re.compile(r"^[A-Za-z0-9][\w.+-]*$")


def _md_entry(entry: Entry, style: Style) -> str:
    refs = []
    for issue in entry.issues:
        repo, number = _split_id(issue, style.own_repo)
        label = f"#{number}" if repo == style.own_repo else issue
        if repo == style.own_repo and style.own_issue_url:
            refs.append(f"[{label}]({style.own_issue_url.replace('{number}', number)})")
        elif repo and style.issue_url:
            url = style.issue_url.replace("{repo}", repo).replace("{number}", number)
            refs.append(f"[{label}]({url})")
        else:
            refs.append(label)
    text = _md_escape(entry.text)
    if entry.breaking:
        text = f"**{_BREAKING}** {text}"
    return f"{text} ({', '.join(refs)})" if refs else text


_CODE = re.compile(r"`([^`\n]+)`")


def _md_escape(text: str) -> str:
    """Markdown text that renders as written: code spans kept, markup characters escaped."""
    out = []
    last = 0
    for match in _CODE.finditer(text):
        out.append(_md_plain(text[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(_md_plain(text[last:]))
    return "".join(out).strip()


def _md_plain(text: str) -> str:
    text = re.sub(r"([\\`*\[\]<>|])", r"\\\1", text)
    text = re.sub(r"(?<![\w\\])_|_(?!\w)", r"\\_", text)
    return re.sub(r"^([#+\-=>]|\d+[.)])", r"\\\1", text)


# Where inline markup may start and end in RST (docutils "inline markup recognition rules").
_RST_BEFORE = set(" \t\n'\"([{<-/:") | {"\u2018", "\u201c", "\u2019", "\u00ab", "\u00a1", "\u00bf"}
_RST_AFTER = set(" \t\n'\")]}>-/:.,;!?\\") | {"\u2019", "\u201d", "\u00bb"}


def _rst_escape(text: str) -> str:
    """RST text that renders as written: `code` becomes an inline literal where RST can read
    one, every other markup character is escaped."""
    text = " ".join(text.split())
    out = []
    last = 0
    for match in _CODE.finditer(text):
        inner = match.group(1)
        before = text[match.start() - 1] if match.start() > 0 else " "
        after = text[match.end()] if match.end() < len(text) else " "
        if (
            inner.strip() == inner
            and "``" not in inner
            and not inner.endswith("`")
            and "\\" not in inner
            and before in _RST_BEFORE
            and after in _RST_AFTER
        ):
            out.append(_rst_plain(text[last : match.start()]))
            out.append(f"``{inner}``")
            last = match.end()
    out.append(_rst_plain(text[last:]))
    result = "".join(out)
    # A line that starts like a list, a directive, a table or a section would stop being
    # the entry's text.
    if result.endswith("::"):  # would announce a literal block
        result = result[:-1] + "\\:"
    if not result.startswith("``") and re.match(
        r"^([-+*•‣⁃=~^#:.'\"`<>!$%&,;?@|]|\d+[.)]|[A-Za-z#][.)]\s|\(\w+\)\s)", result
    ):
        result = "\\" + result
    return result


def _rst_plain(text: str) -> str:
    text = text.replace("\\", "\\\\")
    text = re.sub(r"([`*|])", r"\\\1", text)
    text = re.sub(r"_(?![A-Za-z0-9])", r"\\_", text)
    text = re.sub(r"(?<=\s)_|^_", r"\\_", text)
    return re.sub(r"\[(?=[\w#.-]+\]_)", r"\\[", text)


# -- reading changelog files ---------------------------------------------------------------


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
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
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
    chosen = fmt or _SUFFIXES.get(path.suffix.lower(), "markdown")
    try:
        text = _read_text(path)
    except FileNotFoundError:
        return ChangelogFile(path=path, format=chosen, sections=())
    parsed = parse_changelog(text, chosen, roles=roles, own_repo=own_repo)
    return ChangelogFile(
        path, parsed.format, parsed.sections, parsed.underline, parsed.heading_level
    )


def _read_text(path: Path) -> str:
    """A changelog's text; FileNotFoundError passes, other failures are InputErrors."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=str(path)) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", file=str(path)) from None


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
        match = _VERSION_TITLE.match(title)
        entries = _entries(lines, body, end, subheads, roles or {}, own_repo)
        sections.append(
            DocSection(
                title=title,
                version=match.group("version") if match else None,
                date=_date_in(match.group("rest")) if match else None,
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
            if _VERSION_TITLE.match(title) or _is_unreleased(title)
        ),
        None,
    )


def _rst_underline(text: str) -> str | None:
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
    headings = []
    subheads: dict[int, str] = {}
    for start, body, title, char, overlined in titles:
        if style is not None and (char, overlined) == style:
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
        (lvl for _, lvl, title in found if _VERSION_TITLE.match(title) or _is_unreleased(title)),
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


def update_text(existing: str | None, section_text: str, version: str | None, fmt: str) -> str:
    """`existing` changelog text with the section for `version` replaced, or inserted where it
    belongs (newest first: after Unreleased, before the first older version). Idempotent."""
    newline = "\r\n" if existing and "\r\n" in existing else "\n"
    text = (existing or _PREAMBLE[fmt]).replace("\r\n", "\n")
    block = section_text.rstrip("\n") + "\n"
    lines = text.splitlines(keepends=True)
    parsed = parse_changelog(text, fmt)
    current = parsed.section(version)
    if current is not None:
        before = lines[: current.start - 1]
        after = lines[current.end :]
        result = "".join(before) + block + ("\n" if after else "") + "".join(after)
    else:
        index = _insert_at(parsed, version)
        if index is None:
            body = text.rstrip("\n")
            result = (body + "\n\n" if body else "") + block
        else:
            before = lines[: index - 1]
            after = lines[index - 1 :]
            result = "".join(before) + block + "\n" + "".join(after)
    return result.replace("\n", newline) if newline != "\n" else result


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


def write_section(generated: Generated, root: Path, fmt: str | None = None) -> Path:
    """Insert or replace the generated section in the repository's changelog file."""
    style = generated.style
    path = style.path if style.path.is_absolute() else root / style.path
    file_fmt = _SUFFIXES.get(path.suffix.lower(), style.format)
    if fmt is not None and fmt != file_fmt:
        raise UsageError(
            f"--write updates {style.path} ({file_fmt}); drop --format {fmt} or configure "
            "[tool.ozrelease.changelog] path"
        )
    try:
        existing = path.read_text(encoding="utf-8") if path.is_file() else None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", file=str(path)) from None
    section = render_section(generated.changelog, style, file_fmt)
    updated = update_text(existing, section, generated.changelog.version, file_fmt)
    if updated != existing:
        from ozrelease.atomic import write_atomic  # (tempfile and shutil: only to write)

        write_atomic(path, updated)
    return path
