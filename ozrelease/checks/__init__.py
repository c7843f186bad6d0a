"""`changelog check`: what landed in a range of history against the changelog section for it."""

# One run, in order: sections.py picks the section (section_text.py reads what it says),
# reading.py reads the range's commits into the shared context.py, issues.py reports
# issue-missing, watched.py change-missing (files.py, settings.py, dependencies.py, named.py)
# and api-breaking (api_spec.py); report.py holds the answer and output.py writes it out.

from __future__ import annotations

from pathlib import Path

from ozrelease.changelog.config import load_config
from ozrelease.changelog.files import read_changelog
from ozrelease.changelog.generate import resolve_style
from ozrelease.changelog.grouping import Classifier, group_changes
from ozrelease.changelog.schema import Config
from ozrelease.changelog.style import unknown_identity_note
from ozrelease.checks.context import Context, RangeCommit, Stage, by_change, no_stage
from ozrelease.checks.dependencies import lists_pins
from ozrelease.checks.files import FileVersions as FileVersions
from ozrelease.checks.issues import check_issues
from ozrelease.checks.output import (
    as_json,
    fingerprint,
    github_annotations,
    gitlab_code_quality,
    text_view,
)
from ozrelease.checks.reading import read_commits
from ozrelease.checks.report import (
    JSON_FORMAT,
    KINDS,
    Finding,
    Report,
    SectionUsed,
    Suppressed,
    describe_range,
)
from ozrelease.checks.section_text import SectionText
from ozrelease.checks.sections import (
    changelog_file,
    date_in,
    display_path,
    pick_section,
    sections_in_range,
    version_in,
    version_of,
)
from ozrelease.checks.tracker import issue_tracker, use_tracker
from ozrelease.checks.watched import check_categories
from ozrelease.errors import GitError, InputError
from ozrelease.history import SHALLOW_HINT, History, ScanProgress
from ozrelease.inputs import read_text

__all__ = [
    "JSON_FORMAT",
    "KINDS",
    "Finding",
    "Report",
    "SectionUsed",
    "Suppressed",
    "as_json",
    "check",
    "fingerprint",
    "github_annotations",
    "gitlab_code_quality",
    "text_view",
]


def check(
    history: History,
    *,
    to: str = "HEAD",
    since: str | None = None,
    changelog: Path | None = None,
    config: Config | None = None,
    progress: ScanProgress | None = None,
    stage: Stage | None = None,
) -> Report:
    """Compare the commits reachable from `to` and not from `since` with the changelog
    section that covers them.

    `since` defaults to the newest version tag reachable from `to` (tags on `to` excluded;
    pre-releases only when `to` is one). The section is the one of `to`'s version (the
    version tag on `to`, or `to` itself when it is a version), else the Unreleased (or
    unversioned) section at the top, else a top section newer than `since` (a release being
    prepared). Raises GitError for unknown refs and shallow clones that lack the range,
    InputError when there is no changelog or no section for the range (exit code 2).
    `stage` is told what the analysis does next after history is read, and how far into a
    long step it is (for a progress line).
    """
    say = stage if stage is not None else no_stage
    config = config if config is not None else load_config(history.root)
    tip = history.resolve(to)
    tags = history.tags()
    to_version = version_of(to, tip, tags)
    if since is None:
        prereleases = to_version is None or to_version[1].is_prerelease
        tag = history.newest_tag(tip, exclude_ref=True, prereleases=prereleases)
        if tag is None and history.is_shallow():
            raise GitError(
                "the history is shallow and no version tag is reachable from "
                f"{to!r}, so the range to check is unknown; {SHALLOW_HINT}, or pass --from"
            )
        since = tag.name if tag is not None else None
    since_sha = history.resolve(since) if since is not None else None
    from_version = version_of(since, since_sha, tags) if since is not None else None

    style = resolve_style(history, config, tip=tip, identity_files=True)
    root = history.root
    path = changelog_file(changelog, root, style.path)
    doc = read_changelog(path, roles=style.roles, own_repo=style.own_repo)
    if not path.is_file():
        raise InputError(
            "no changelog file here; pass --changelog FILE or set [tool.ozrelease.changelog] path",
            file=str(path),
        )
    shown = display_path(path, root)
    section, why = pick_section(doc, to_version, from_version)
    if section is None:
        wanted = f"a section for {to_version[0]}" if to_version else "an Unreleased section"
        raise InputError(
            f"no changelog section covers {describe_range(since, to)}: looked for {wanted}, "
            "then an Unreleased or unversioned section at the top"
            + (f", then a top section newer than {from_version[0]}" if from_version else ""),
            file=shown,
        )
    lines = read_text(path).splitlines()  # (bounded; a FIFO is refused)
    text = SectionText(
        lines[section.start - 1 : section.end], section.entries, style.roles, style.own_repo
    )
    from_day = history.commit_date(since_sha).date() if since_sha else None
    to_day = history.commit_date(tip).date()
    others = [
        (
            other,
            SectionText(
                lines[other.start - 1 : other.end], other.entries, style.roles, style.own_repo
            ),
        )
        for other in sections_in_range(doc, section, from_version, to_version, from_day, to_day)
    ]
    covering = {section.start, *(other.start for other, _ in others)}
    past = (
        "\n".join(lines[s.start - 1 : s.end])
        for s in doc.sections
        if s.start > section.start and s.start not in covering
    )
    context = Context(
        history=history,
        config=config,
        section=text,
        others=others,
        own_repo=style.own_repo,
        changelog_path=shown,
        pins_listed=lists_pins(past),
    )

    classifier = Classifier(config.changelog, style.sections, style.default_section)
    context.classifier = classifier
    report = history.progress(progress, tip, since_sha)
    raw = list(history.commits(tip, since=since_sha, progress=report))
    say("Grouping changes")
    changes = group_changes(raw, tip=tip, classifier=classifier, own_repo=style.own_repo)
    commits = read_commits(raw, changes, classifier, context, style.own_repo)
    past_subjects = history.subjects(since_sha, limit=500) if since_sha else ()
    tracker = issue_tracker(
        commits, [text, *(t for _, t in others)], style.own_repo, past_subjects, "\n".join(lines)
    )
    if tracker is not None:
        changes = use_tracker(tracker, commits, changes, [text, *(t for _, t in others)])
    context.by_sha = {c.sha: c for c in commits}
    context.members = by_change(commits)
    context.changes = changes
    del raw
    say(f"Checking the issues of {len(commits)} commits")
    documented = check_issues(commits, changes, context, say)
    check_categories(commits, changes, context, since_sha, tip, say)

    return Report(
        since=since,
        to=to,
        commits_scanned=len(commits),
        section=SectionUsed(
            path=shown,
            title=section.title,
            version=version_in(section),
            date=section.date or (str(date_in(section)) if date_in(section) else None),
            line=section.start,
            end=section.end,
            why=why,
        ),
        findings=tuple(context.findings),
        suppressed=tuple(context.suppressed),
        documented=documented,
        also_covering=tuple(other.title for other, _ in others),
        notes=(unknown_identity_note(),)
        if _identity_matters(style.own_repo, commits, text)
        else (),
    )


def _identity_matters(own_repo: str | None, commits: list[RangeCommit], text: SectionText) -> bool:
    """Whether an unknown forge identity can change the answer: bare numbers on one side
    (`#12`) and references that name a repository (`owner/name#12`, a role) on the other."""
    if own_repo:
        return False
    ids = [i for c in commits for i in c.ids]
    bare, named = any("#" not in i for i in ids), any("#" in i for i in ids)
    section_bare = any(not repo for repo, _ in text.keys)
    section_named = any(repo for repo, _ in text.keys)
    return (bare and section_named) or (named and section_bare)
