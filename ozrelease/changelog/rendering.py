"""Changelog sections as data, and as RST (Open Zaak), Markdown (Keep a Changelog) and JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ozrelease.changelog.globs import translate
from ozrelease.changelog.grouping import Route
from ozrelease.changelog.schema import SectionRule

__all__ = [
    "JSON_FORMAT",
    "Changelog",
    "Entry",
    "Section",
    "Style",
    "as_json",
    "json_pieces",
    "render_section",
]

JSON_FORMAT = "ozrelease-changelog/1"


# -- the data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    text: str
    """Plain text, as the commit or pull request says it (no markup, no references)."""
    issues: tuple[str, ...]
    """Issue ids as CONTRACT §3 writes them: `2426`, `open-zaak/security-issues#12`."""
    commits: tuple[str, ...]
    breaking: bool
    items: tuple[Entry, ...] = ()
    """Nested entries: the packages of one "Upgrade python dependencies" entry."""
    scope: str | None = None
    """The Conventional Commits scope (`config`), shown where the project's entries show it."""
    requests: tuple[int, ...] = ()
    """The pull requests that landed it, shown where the project's entries show them."""
    advisories: tuple[str, ...] = ()
    """Security advisories (`GHSA-...`, `CVE-...`), written instead of private trackers."""

    @property
    def plain(self) -> str:
        """The text with its items, on one line (the JSON document's `text`)."""
        if not self.items:
            return self.text
        return f"{self.text}: " + "; ".join(item.text for item in self.items)


@dataclass(frozen=True)
class Section:
    title: str
    entries: tuple[Entry, ...]


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
    scopes: bool = False
    """Entries start with their scope in bold (`**config**: ...`), as the project's do."""
    requests: bool = False
    """Entries end with their pull request (`(#1879)`), as the project's do."""
    request_role: str | None = None
    """RST: the role the project's entries lead with their pull request in (`[:pr:`30`]`,
    open-afval), for entries of no issue."""
    heading: str | None = None
    """The project's version heading, with {version} and {date} (`v{version} ({date})`)."""
    heading_level: int = 2
    """Markdown: the `#` count of version headings."""
    hidden: frozenset[str] = frozenset()
    """Gitmoji and types the project's sections leave out (learned.Learned.hidden)."""
    lists_work: bool = False
    """The project's sections list internal work that has an issue (learned)."""
    flat: bool = False
    """The project's sections are one list, without sub-headings: written so, most important
    kind first (the JSON keeps the sections)."""
    routes: tuple[Route, ...] = ()
    """Headings chosen by the files a change touches (learned.Learned.routes)."""
    private_trackers: tuple[str, ...] = ()
    """Globs of private security trackers (`*/security-issues`): never linked to readers."""

    def private(self, issue: str) -> bool:
        repo = issue.rpartition("#")[0]
        return bool(repo) and any(
            re.fullmatch(translate(p), repo, re.I) for p in self.private_trackers
        )


# -- rendering -----------------------------------------------------------------------------


def as_json(changelog: Changelog) -> dict[str, Any]:
    """`ozrelease-changelog/1` (CONTRACT §3), built from the dataclasses."""
    return {
        "format": JSON_FORMAT,
        "version": changelog.version,
        "date": changelog.date,
        "sections": [
            {
                "title": section.title,
                "entries": [
                    {
                        "text": entry.plain,
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
                "text": entry.plain,
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
    if style.flat and changelog.sections:  # (one list, the sections' order kept)
        entries = tuple(e for s in changelog.sections for e in s.entries)
        changelog = replace(changelog, sections=(Section("", entries),))
    if fmt == "rst":
        heading = _rst_heading(changelog, style)
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
        "heading": _md_heading(changelog, style),
        "sections": [
            {"title": s.title, "entries": [_md_entry(e, style) for e in s.entries]}
            for s in changelog.sections
        ],
    }
    return render("changelog.md.j2", view)


def _own_heading(changelog: Changelog, style: Style) -> str | None:
    """The heading in the project's own form, when it has one and the section a date."""
    if style.heading is None or changelog.version is None or changelog.date is None:
        return None
    version = changelog.version
    if "v{version}" in style.heading.lower() and version[:1] in "vV":
        version = version[1:]
    return style.heading.replace("{version}", version).replace("{date}", changelog.date)


def _rst_heading(changelog: Changelog, style: Style) -> str:
    own = _own_heading(changelog, style)
    if own is not None:
        return own
    if changelog.version is None:
        return "Unreleased"
    return f"{changelog.version} ({changelog.date})" if changelog.date else changelog.version


def _md_heading(changelog: Changelog, style: Style) -> str:
    own = _own_heading(changelog, style)
    if own is not None:
        return f"{'#' * style.heading_level} {own}"
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
        if entry.advisories and style.private(issue):
            continue  # a private tracker is a 404 for readers: its advisory says it
        repo, number = _split_id(issue, style.own_repo)
        role = by_repo.get(repo.lower()) if repo else None
        if role is None and repo and "/" not in repo and repo in style.roles:
            role = repo  # `[open-api-framework#188]`: a repository named as its role names it
        if role is not None and _RST_ROLE.match(role):
            refs.append(f":{role}:`{number}`")
        else:
            # inside `[...]`: nothing starts a line, only inline markup needs escaping
            refs.append(_rst_plain(f"#{number}" if repo == style.own_repo else issue))
    if not refs and style.request_role and not entry.items:
        refs = [f":{style.request_role}:`{n}`" for n in entry.requests]
    refs += [_rst_plain(advisory) for advisory in entry.advisories]
    text = _rst_escape(entry.text) or "\\-"
    if entry.scope and style.scopes:
        text = f"**{_rst_plain(entry.scope)}**: {text}"
    if entry.breaking:
        text = f"**{_BREAKING}** {text}"
    if style.requests and entry.requests and not entry.items:
        text += " " + " ".join(f"(#{n})" for n in entry.requests)
    if entry.items:  # the item carries its own references
        nested = "".join(f"\n  * {_rst_entry(item, style)}" for item in entry.items)
        return f"{text}\n{nested}\n"
    return f"[{' / '.join(refs)}] {text}" if refs else text


_RST_ROLE = re.compile(r"^[A-Za-z0-9][\w.+-]*$")


def _md_entry(entry: Entry, style: Style) -> str:
    refs = []
    for issue in entry.issues:
        private = style.private(issue)
        if private and entry.advisories:
            continue  # a private tracker is a 404 for readers: its advisory says it
        repo, number = _split_id(issue, style.own_repo)
        label = f"#{number}" if repo == style.own_repo else issue
        if private:
            refs.append(label)  # (no link: readers cannot open it)
        elif repo == style.own_repo and style.own_issue_url:
            refs.append(f"[{label}]({style.own_issue_url.replace('{number}', number)})")
        elif repo and style.issue_url:
            url = style.issue_url.replace("{repo}", repo).replace("{number}", number)
            refs.append(f"[{label}]({url})")
        else:
            refs.append(label)
    for advisory in entry.advisories:
        if advisory.startswith("GHSA") and style.own_repo and style.issue_url:
            url = f"https://github.com/{style.own_repo}/security/advisories/{advisory}"
            refs.append(f"[{advisory}]({url})")
        else:
            refs.append(advisory)
    text = _md_escape(entry.text)
    if entry.scope and style.scopes:
        text = f"**{_md_plain(entry.scope)}**: {text}"
    if entry.breaking:
        text = f"**{_BREAKING}** {text}"
    if entry.items:
        return text + "".join(f"\n  - {_md_entry(item, style)}" for item in entry.items)
    if style.requests and entry.requests:
        text += " " + " ".join(f"(#{n})" for n in entry.requests)
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
