"""Changelogs: commits -> entries -> sections, rendered in the repository's own style."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date as Date
from pathlib import Path
from typing import Any

from ozrelease.changelog.config import (
    Config,
    SectionRule,
    load_config,
    repo_from_url,
    sphinx_issue_roles,
)
from ozrelease.changelog.files import (
    CANDIDATES,
    SUFFIXES,
    Update,
    heading_template,
    read_changelog,
    read_text,
    rst_underline,
    update_text,
)
from ozrelease.changelog.grouping import Change, Classifier, Shipped, group_changes
from ozrelease.changelog.learned import learn_sections
from ozrelease.changelog.messages import parse_message
from ozrelease.errors import InputError, OzReleaseError, UsageError
from ozrelease.history import History, ScanProgress
from ozrelease.versions import Version, parse_version

__all__ = [
    "JSON_FORMAT",
    "Changelog",
    "Entry",
    "Generated",
    "Section",
    "Style",
    "Written",
    "as_json",
    "generate",
    "json_pieces",
    "render_section",
    "resolve_style",
    "write_section",
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
    scopes: bool = False
    """Entries start with their scope in bold (`**config**: ...`), as the project's do."""
    requests: bool = False
    """Entries end with their pull request (`(#1879)`), as the project's do."""
    heading: str | None = None
    """The project's version heading, with {version} and {date} (`v{version} ({date})`)."""
    heading_level: int = 2
    """Markdown: the `#` count of version headings."""
    hidden: frozenset[str] = frozenset()
    """Gitmoji and types the project's sections leave out (learned.Learned.hidden)."""


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
) -> Generated:
    """A changelog section for the commits reachable from `to` and not from `since`.

    `since` defaults to the newest version tag reachable from `to` (by version order, tags
    on `to` itself excluded; pre-releases only count when `version` is one or is not given).
    `date` (YYYY-MM-DD) defaults to the date of `to`'s commit when a version is given.
    `fmt` chooses the style (`markdown`, `rst`); None: the repository's own.
    """
    parsed_version = _check_version(version)
    if date is not None:
        _check_date(date)
    prereleases = parsed_version is None or parsed_version.is_prerelease
    tip, since = history.release_range(to, since, prereleases=prereleases)
    config = config if config is not None else load_config(history.root)
    if date is None and version is not None:
        date = history.commit_date(tip).date().isoformat()
    style = resolve_style(history, config, fmt, tip=tip)
    # (configured sections are the user's word)
    style = _learned_style(history, style, tip, sections=config.changelog.sections is None)
    # Translation files alone are no change to write about (the check says the same).
    classifier = Classifier(
        config.changelog,
        style.sections,
        style.default_section,
        also_internal=config.check.translation_paths,
        hidden=style.hidden,
    )
    with history.commits(tip, since=since, progress=history.progress(progress, tip, since)) as scan:
        changes = group_changes(
            scan,
            tip=tip,
            classifier=classifier,
            own_repo=style.own_repo,
            internal=False,
            shipped=_shipped(history, style, tip, since, version),
        )
    return Generated(
        changelog=Changelog(version=version, date=date, sections=_sections(changes, style)),
        style=style,
        since=since,
        to=to,
        commits_scanned=scan.read,
    )


def _shipped(
    history: History, style: Style, tip: str, since: str | None, version: str | None
) -> Shipped | None:
    """What patch releases cut inside the range shipped already: the tags dated inside it that
    `tip` does not contain (maintenance branches), and the changelog's sections dated inside
    it (other than this version's)."""
    if since is None:
        return None
    start = history.commit_date(since)
    end = history.commit_date(tip)
    inside = {t.name for t in history.tags(merged_into=tip)}
    base = history.resolve(since)  # (the release the range starts at is no patch release)
    shas: set[str] = set()
    subjects: set[str] = set()
    for tag in history.tags():
        if tag.version is None or tag.name in inside or tag.sha == base:
            continue
        if not start < tag.date <= end:
            continue
        for commit in history.commits(tag.sha, since=tip, files=False):
            if not commit.is_merge:
                shas.update(commit.cherry_picked_from)
                subjects.add(commit.subject)
    path = style.path if style.path.is_absolute() else history.root / style.path
    try:
        doc = read_changelog(path, fmt=style.format, roles=style.roles, own_repo=style.own_repo)
    except InputError:
        doc = None
    issues: set[str] = set()
    for section in doc.sections if doc is not None else ():
        day = section.date
        if day is None or section.version is None:
            continue
        if section.matches(version) or section.matches(since):
            continue
        if start.date().isoformat() <= day <= end.date().isoformat():
            issues.update(i.rsplit("/", 1)[-1].lower() for e in section.entries for i in e.issues)
    if not (shas or subjects or issues):
        return None
    return Shipped(frozenset(shas), frozenset(subjects), frozenset(issues))


def _learned_style(history: History, style: Style, tip: str, *, sections: bool) -> Style:
    """The style as the project's released sections write it: their heading form, scopes
    in bold where they show them, and (with `sections`) their section names and mapping."""
    path = style.path if style.path.is_absolute() else history.root / style.path
    try:
        doc = read_changelog(path, fmt=style.format, roles=style.roles, own_repo=style.own_repo)
    except InputError:
        return style
    released = [s for s in doc.sections if s.version is not None][:3]
    entries = [e.text for s in released for e in s.entries]
    scoped = sum(1 for text in entries if _BOLD_SCOPE.match(text))
    requested = sum(1 for text in entries if _REQUEST_AT_END.search(text))
    style = replace(
        style,
        heading=heading_template(doc),
        heading_level=doc.heading_level,
        scopes=bool(entries) and scoped >= 0.3 * len(entries),
        requests=bool(entries) and requested >= 0.3 * len(entries),
    )
    learned = (
        learn_sections(
            history, doc, style.sections, style.default_section, tip=tip, own_repo=style.own_repo
        )
        if sections
        else None
    )
    if learned is None:
        return style
    return replace(
        style, sections=learned.sections, default_section=learned.default, hidden=learned.hidden
    )


_BOLD_SCOPE = re.compile(r"^\*\*[\w./-]+\*\*:\s")
_REQUEST_AT_END = re.compile(r"\(#\d+\)$")


def _sections(changes: list[Change], style: Style) -> tuple[Section, ...]:
    """Changes (oldest landed first) into the style's sections, breaking ones first; the
    dependency upgrades of a section as one entry per ecosystem, one item per package."""
    buckets: list[list[Entry]] = [[] for _ in style.sections]
    upgrades: list[dict[str | None, dict[str, Entry]]] = [{} for _ in style.sections]
    # A project with a heading for breaking changes (`💥 Breaking changes`) lists them there.
    breaking_at = next(
        (i for i, rule in enumerate(style.sections) if "breaking" in rule.title.lower()), None
    )
    for change in changes:
        index = change.section
        if index is None:
            continue
        if change.breaking and breaking_at is not None:
            index = breaking_at
        entry = Entry(
            change.text,
            change.issues,
            change.commits,
            change.breaking,
            scope=change.scope,
            requests=change.requests,
        )
        package = _UPGRADE.match(change.text) if change.dependency else None
        if package is None or change.breaking:
            buckets[index].append(entry)
            continue
        name = package.group("name").strip("`")
        item = replace(entry, text=f"`{name}` to {package.group('version')}", scope=None)
        by_name = upgrades[index].setdefault(change.ecosystem, {})
        if len(by_name) == 0:
            buckets[index].append(Entry("", (), (), False))  # (its place)
        earlier = by_name.pop(name.lower(), None)
        if earlier is not None:  # a newer bump of the same package: one item
            item = replace(
                item,
                issues=tuple(dict.fromkeys(earlier.issues + item.issues)),
                commits=earlier.commits + item.commits,
            )
        by_name[name.lower()] = item
    sections = []
    for index, (rule, entries) in enumerate(zip(style.sections, buckets, strict=True)):
        groups = iter(upgrades[index].items())
        out = []
        for entry in entries:
            if entry.text:
                out.append(entry)
                continue
            ecosystem, items = next(groups)
            members = tuple(items.values())
            out.append(
                Entry(
                    f"Upgrade {ecosystem + ' ' if ecosystem else ''}dependencies",
                    tuple(dict.fromkeys(i for m in members for i in m.issues)),
                    tuple(c for m in members for c in m.commits),
                    False,
                    items=members,
                )
            )
        if out:
            sections.append(Section(rule.title, tuple(sorted(out, key=lambda e: not e.breaking))))
    return tuple(sections)


_UPGRADE = re.compile(
    r"^(?:upgrade|update|bump|pin|downgrade)[sd]?\s+(?:the\s+)?(?:python\s+|npm\s+)?"
    r"(?P<name>`?@?[A-Za-z0-9][\w.\-/@\[\]]*`?)(?:\s+(?:requirement|dependency|package))?"
    r"(?:\s+from\s+\S+)?\s+to\s+(?P<version>(?:v?\d|[<>=~^]).*)$",
    re.I,
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
    history: History, config: Config, fmt: str | None = None, *, tip: str = "HEAD"
) -> Style:
    """The changelog file, format, sections and reference style of the repository."""
    root = history.root
    settings = config.changelog
    path = settings.path
    if path is None:
        path = next((Path(c) for c in CANDIDATES if (root / c).is_file()), None)
    chosen = fmt or settings.format
    if chosen is None and path is not None:
        chosen = SUFFIXES.get(path.suffix.lower())
    if chosen is None:
        chosen = _commit_style(history, tip)
    if path is None:
        path = Path("CHANGELOG.rst" if chosen == "rst" else "CHANGELOG.md")
    sections, default = settings.sections_for(chosen)
    remote = history.remote_url()
    own = settings.repository or (repo_from_url(remote) if remote else None)
    roles = (
        dict(settings.issue_roles)
        if settings.issue_roles is not None
        else (sphinx_issue_roles(root))
    )
    if own is None:
        # No forge remote (a local clone): the role named like the checkout names this repo.
        name = root.name.lower()
        own = next((repo for role, repo in roles.items() if role.lower() == name), None)
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
        underline = rst_underline(read_text(root / path)) or underline
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
        repo, number = _split_id(issue, style.own_repo)
        role = by_repo.get(repo.lower()) if repo else None
        if role is not None and _RST_ROLE.match(role):
            refs.append(f":{role}:`{number}`")
        else:
            # inside `[...]`: nothing starts a line, only inline markup needs escaping
            refs.append(_rst_plain(f"#{number}" if repo == style.own_repo else issue))
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


# -- writing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    path: Path
    replaced: int | None
    """Lines of an existing section of the version that were replaced; None: inserted."""
    changed: bool


def write_section(
    generated: Generated, root: Path, fmt: str | None = None, *, replace: bool = False
) -> Written:
    """Insert the generated section into the repository's changelog file. A section for the
    version that is already there (people may have edited it) is replaced only with
    `replace`; otherwise this raises InputError at its line (exit 2) and writes nothing."""
    style = generated.style
    path = style.path if style.path.is_absolute() else root / style.path
    file_fmt = SUFFIXES.get(path.suffix.lower(), style.format)
    if fmt is not None and fmt != file_fmt:
        raise UsageError(
            f"--write updates {style.path} ({file_fmt}); drop --format {fmt} or configure "
            "[tool.ozrelease.changelog] path"
        )
    try:
        existing = read_text(path)
    except FileNotFoundError:
        existing = None
    section = render_section(generated.changelog, style, file_fmt)
    version = generated.changelog.version
    update: Update = update_text(existing, section, version, file_fmt)
    if update.replaced is not None and not replace:
        raise InputError(
            f"the changelog already has a section for {version or 'Unreleased'} "
            f"({_lines(update.replaced)}); pass --replace to overwrite it",
            file=str(path),
            line=update.line,
        )
    if update.text != existing:
        from ozrelease.atomic import write_atomic  # (tempfile and shutil: only to write)

        write_atomic(path, update.text)
    return Written(path, update.replaced, update.text != existing)


def _lines(count: int) -> str:
    return f"{count} line{'' if count == 1 else 's'}"
