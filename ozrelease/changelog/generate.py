"""Changelogs: commits -> entries -> sections, in the repository's own style; --write."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import date as Date
from datetime import datetime
from pathlib import Path

from ozrelease.changelog.announced import Announced
from ozrelease.changelog.config import load_config
from ozrelease.changelog.files import (
    CANDIDATES,
    SUFFIXES,
    ChangelogFile,
    DocSection,
    Update,
    add_link_definition,
    heading_template,
    read_changelog,
    read_text,
    rst_underline,
    update_text,
)
from ozrelease.changelog.grouping import Change, Classifier, Shipped, group_changes
from ozrelease.changelog.learned import learn_sections
from ozrelease.changelog.messages import loose_id, parse_message
from ozrelease.changelog.rendering import (
    JSON_FORMAT,
    Changelog,
    Entry,
    Section,
    Style,
    as_json,
    json_pieces,
    render_section,
)
from ozrelease.changelog.schema import Config
from ozrelease.changelog.style import Identity, forge_identity, sphinx_issue_roles
from ozrelease.changelog.vocabulary import SECURITY_GITMOJI, SECURITY_TYPES
from ozrelease.errors import InputError, OzReleaseError, UsageError
from ozrelease.history import Commit, History, Scan, ScanProgress
from ozrelease.versions import Version, parse_version
from ozrelease.wording import plural

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
    # git reads the range on its own core while the rest gets ready (configuration, style,
    # what the released sections teach, patch releases inside the range).
    with (
        history.commits(tip, since=since, progress=history.progress(progress, tip, since)) as scan,
        ExitStack() as started,
    ):
        history.start_tags(tip)  # (read by what the released sections teach, patch releases)
        patches = _patch_releases(history, tip, since)
        if patches is not None:
            started.callback(patches.close)
        config = config if config is not None else load_config(history.root)
        if date is None and version is not None:
            date = history.commit_date(tip).date().isoformat()
        style = replace(
            resolve_style(history, config, fmt, tip=tip),
            private_trackers=config.check.private_trackers,
        )
        doc = _read_doc(history, style)
        # (configured sections are the user's word)
        style = _learned_style(history, doc, style, tip, config)
        # Translation files alone are no change to write about (the check says the same).
        classifier = Classifier(
            config.changelog,
            style.sections,
            style.default_section,
            also_internal=config.check.translation_paths,
            hidden=style.hidden,
            routes=style.routes,
            keep_work=style.lists_work,
        )
        shipped = _shipped(history, doc, tip, since, version, patches)
        commits: Iterable[Commit] = scan
        if shipped is not None and isinstance(shipped.same_patch, _PatchMatch):
            commits = _prepared(scan, shipped, shipped.same_patch)
        changes = group_changes(
            commits,
            tip=tip,
            classifier=classifier,
            own_repo=style.own_repo,
            internal=False,
            shipped=shipped,
        )
        announced = Announced(doc, _days(history, since, tip))
    return Generated(
        changelog=Changelog(
            version=version, date=date, sections=_sections(changes, style, announced)
        ),
        style=style,
        since=since,
        to=to,
        commits_scanned=scan.read,
    )


def _days(history: History, since: str | None, tip: str) -> tuple[str, str] | None:
    """The range's first and last day (YYYY-MM-DD); None for a whole history."""
    if since is None:
        return None
    start, end = history.commit_dates(since, tip)
    return (start.date().isoformat(), end.date().isoformat())


def _read_doc(history: History, style: Style) -> ChangelogFile | None:
    """The repository's changelog as it is now (None when it cannot be read)."""
    path = style.path if style.path.is_absolute() else history.root / style.path
    try:
        return read_changelog(path, fmt=style.format, roles=style.roles, own_repo=style.own_repo)
    except InputError:
        return None


def _patch_releases(history: History, tip: str, since: str | None) -> Scan[Commit] | None:
    """The commits of the version tags dated inside the range that `tip` does not contain
    (patch releases of maintenance branches), in one log started now and read later (None:
    the whole history). Tags that `tip` contains add no commit to it, so they need not be
    told apart first (that takes a walk of the history).

    The release the range starts at is read too: when it was cut from a release branch
    (Open Zaak 1.22.0), what that branch holds and `tip` does not shipped with it; when `tip`
    contains it, as it mostly does, it adds nothing (and asking git first would be a walk of
    the history of its own, which the whole history waited 0.1 s for)."""
    if since is None:
        return None
    start, end = history.commit_dates(since, tip)
    base = history.resolve(since)  # (the release the range starts at is no patch release)
    patches = [
        tag.sha
        for tag in history.tags()
        if tag.version is not None and tag.sha != base and start < tag.date <= end
    ]
    return history.commits(base, since=tip, also=patches)


def _shipped(
    history: History,
    doc: ChangelogFile | None,
    tip: str,
    since: str | None,
    version: str | None,
    patches: Scan[Commit] | None,
) -> Shipped | None:
    """What patch releases cut inside the range shipped already: the commits of `patches`
    (_patch_releases), and the issues of the changelog's sections dated inside the range
    (other than this version's and those of releases `tip` contains)."""
    if since is None:
        return None
    start, end = history.commit_dates(since, tip)
    released = {t.version for t in history.tags(merged_into=tip) if t.version is not None}
    shas: set[str] = set()
    subjects: set[str] = set()
    changed: dict[_Key, list[str]] = {}
    for commit in patches if patches is not None else ():
        if not commit.is_merge:
            shas.update(commit.cherry_picked_from)
            subjects.add(commit.subject)
            if commit.files:
                changed.setdefault(_key(commit), []).append(commit.sha)
    issues: set[str] = set()
    for section in doc.sections if doc is not None else ():
        day = section.date
        if day is None or section.version is None:
            continue
        if section.matches(version) or section.matches(since) or _version(section) in released:
            continue  # (a release the range contains is no patch release of another line)
        if start.date().isoformat() <= day <= end.date().isoformat():
            issues.update(loose_id(i) for e in section.entries for i in e.issues)
    if not (shas or subjects or issues or changed):
        return None
    return Shipped(
        frozenset(shas),
        frozenset(subjects),
        frozenset(issues),
        frozenset(changed),
        _PatchMatch(history, changed),
    )


class _PatchMatch:
    """Whether a commit has the patch id of a shipped commit that changed the same files at
    the same author date (`prepare` reads the ids of the range's candidates and of the
    shipped commits they may copy in one pipeline; a commit not prepared asks on its own)."""

    def __init__(self, history: History, shipped: dict[_Key, list[str]]) -> None:
        self.history = history
        self.shipped = shipped
        self.ids: dict[str, str] = {}
        """Patch ids read so far, by sha (a commit with an empty diff has none)."""

    def prepare(self, candidates: list[Commit]) -> None:
        keys = {_key(c) for c in candidates}
        wanted = [sha for key in keys for sha in self.shipped.get(key, ())]
        if candidates:
            self.ids.update(self.history.patch_ids_of([*wanted, *(c.sha for c in candidates)]))

    def __call__(self, commit: Commit) -> bool:
        copied = self.shipped.get(_key(commit), [])
        missing = [sha for sha in (*copied, commit.sha) if sha not in self.ids]
        if missing:
            self.ids.update(self.history.patch_ids_of(missing))
        own = self.ids.get(commit.sha)
        return own is not None and any(self.ids.get(sha) == own for sha in copied)


def _prepared(commits: Iterator[Commit], shipped: Shipped, match: _PatchMatch) -> Iterator[Commit]:
    """The commits as git writes them (grouped while git reads the rest), up to the first
    that only a patch id tells from a shipped one. From there on the rest are read at once,
    and the patch ids of all such commits in one pipeline (a long range may have hundreds of
    them), not one per commit. Most ranges, Open Zaak's whole history too, have none."""
    for commit in commits:
        if shipped.may_be(commit):
            rest = [commit, *commits]
            match.prepare([c for c in rest if shipped.may_be(c)])
            yield from rest
            return
        yield commit


_Key = tuple[frozenset[str], datetime]


def _key(commit: Commit) -> _Key:
    return (frozenset(f.path for f in commit.files), commit.authored_at)


def _version(section: DocSection) -> Version | None:
    try:
        return parse_version(section.version) if section.version else None
    except ValueError:
        return None


def _learned_style(
    history: History, doc: ChangelogFile | None, style: Style, tip: str, config: Config
) -> Style:
    """The style as the project's released sections write it: their heading form, scopes
    in bold where they show them, whether they list internal work that has an issue, and
    (unless the configuration names sections) their section names and mapping."""
    if doc is None:
        return style
    released = [s for s in doc.sections if s.version is not None][:3]
    entries = [e.text for s in released for e in s.entries]
    scoped = sum(1 for text in entries if _BOLD_SCOPE.match(text))
    requested = sum(1 for text in entries if _REQUEST_AT_END.search(text))
    led = [m.group(1) for text in entries if (m := _REQUEST_ROLE.match(text))]
    # Sections of one list: the newest two or three released sections with entries, none
    # under a sub-heading (django-log-outgoing-requests 0.6 to 0.7).
    listing = [s for s in doc.sections if s.version is not None and s.entries][:3]
    style = replace(
        style,
        heading=heading_template(doc),
        heading_level=doc.heading_level,
        scopes=bool(entries) and scoped >= 0.3 * len(entries),
        requests=bool(entries) and requested >= 0.3 * len(entries),
        request_role=max(sorted(set(led)), key=led.count)
        if len(led) >= 0.3 * len(entries) and led
        else None,
        flat=config.changelog.sections is None
        and len(listing) >= 2
        and not any(e.category for s in listing for e in s.entries),
    )
    internal = Classifier(
        config.changelog,
        style.sections,
        style.default_section,
        also_internal=config.check.translation_paths,
    )
    learned = learn_sections(
        history,
        doc,
        style.sections,
        style.default_section,
        tip=tip,
        own_repo=style.own_repo,
        classifier=internal,
    )
    if learned is None:
        return style
    if config.changelog.sections is not None:  # (configured sections are the user's word)
        return replace(style, lists_work=learned.lists_work)
    return replace(
        style,
        sections=learned.sections,
        default_section=learned.default,
        hidden=learned.hidden,
        routes=learned.routes,
        lists_work=learned.lists_work,
    )


_BOLD_SCOPE = re.compile(r"^\*\*[\w./-]+\*\*:\s")
_REQUEST_AT_END = re.compile(r"\(#\d+\)$")
_REQUEST_ROLE = re.compile(r"^\[:(pr|pull|pull-request|ghpull):`\d+`\]")


_UPGRADES_HERE = Entry("", (), (), False)
"""Where a section's dependency upgrades go, as one entry (compared by identity)."""


def _sections(changes: list[Change], style: Style, announced: Announced) -> tuple[Section, ...]:
    """Changes (oldest landed first) into the style's sections, breaking ones first; the
    dependency upgrades of a section as one entry per ecosystem, one item per package; a
    security fix with no advisory of its own takes the one its patch release announced."""
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
            advisories=change.advisories or _announced(change, style, announced),
        )
        package = _UPGRADE.match(change.text) if change.dependency else None
        if package is None or change.breaking:
            buckets[index].append(entry)
            continue
        name = package.group("name").strip("`")
        item = replace(entry, text=f"`{name}` to {package.group('version')}", scope=None)
        by_name = upgrades[index].setdefault(change.ecosystem, {})
        if len(by_name) == 0:
            buckets[index].append(_UPGRADES_HERE)
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
            if entry is not _UPGRADES_HERE:
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


def _announced(change: Change, style: Style, announced: Announced) -> tuple[str, ...]:
    """The advisories the changelog announced for a security change (one in a security
    section, or naming a private tracker), found by its issues or its text."""
    rule = style.sections[change.section] if change.section is not None else None
    security = rule is not None and bool(
        rule.gitmoji & SECURITY_GITMOJI or rule.types & SECURITY_TYPES
    )
    if not security and not any(style.private(i) for i in change.issues):
        return ()
    return announced.of(change.text, change.issues)


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
        path = next((Path(c) for c in CANDIDATES if (root / c).is_file()), None)
    chosen = fmt or settings.format
    if chosen is None and path is not None:
        chosen = SUFFIXES.get(path.suffix.lower())
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
    if file_fmt == "markdown" and version and f"[{version}]" in section.split("\n", 1)[0]:
        update = Update(add_link_definition(update.text, version), update.line, update.replaced)
    if update.text != existing:
        from ozrelease.atomic import write_atomic  # (tempfile and shutil: only to write)

        write_atomic(path, update.text, expect=existing)  # (a concurrent run: refused)
    return Written(path, update.replaced, update.text != existing)


def _lines(count: int) -> str:
    return plural(count, "line")
