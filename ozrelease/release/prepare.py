"""Release preparation: the next version, its changelog section, version bumps, commit and tag.

`prepare` works out everything and writes nothing (the dry run shows its diff); `apply` writes
the files atomically, makes one commit and one annotated tag, and never pushes.

    history since the last release tag -> level (breaking / feature / fix) -> next version
    -> edits: changelog section (changelog.py), [tool.bumpversion] files (release/bumpversion.py),
       publiccode.yaml softwareVersion and releaseDate (publiccode.py)
"""

from __future__ import annotations

import datetime as dt
import difflib
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path

from ozrelease.atomic import write_atomic
from ozrelease.changelog.config import load_config
from ozrelease.changelog.files import update_text
from ozrelease.changelog.generate import Changelog, Generated, generate, render_section
from ozrelease.changelog.messages import parse_message
from ozrelease.changelog.schema import Config, SectionRule
from ozrelease.changelog.vocabulary import FEATURE_GITMOJI, FEATURE_TYPES
from ozrelease.ecosystem.publiccode import PUBLICCODE_FILES, set_release
from ozrelease.errors import GitError, InputError, OzReleaseError, UsageError
from ozrelease.gitlog import tag_name_problem
from ozrelease.history import History, Tag
from ozrelease.release.bumpversion import (
    BumpVersion,
    is_older,
    project_version,
    read_or_none,
    relative,
    set_project_version,
)
from ozrelease.versions import Version, parse_version
from ozrelease.wording import plural

__all__ = [
    "BUMPS",
    "Applied",
    "FileEdit",
    "Prepared",
    "apply",
    "next_version",
    "prepare",
]

BUMPS = ("auto", "major", "minor", "patch")
_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".rst": "rst", ".txt": "rst"}


@dataclass(frozen=True)
class FileEdit:
    path: str
    """Relative to the repository root, with `/`."""
    before: str | None
    """None: the file is new."""
    after: str


@dataclass(frozen=True)
class Prepared:
    """Everything `release prepare` will do; nothing is written yet."""

    root: Path
    version: str
    """As it is written in files and the tag (`1.31.0`, `2.0.0rc1`, `2.0.0-rc.1`)."""
    previous: Tag | None
    """The release tag the changes are counted from (None: the first release)."""
    level: str
    """`major`, `minor`, `patch`, `final` (a pre-release made final) or `explicit`."""
    reason: str
    tag: str
    tag_message: str
    commit_message: str
    branch: str
    head: str
    edits: tuple[FileEdit, ...]
    changelog: Changelog
    notes: tuple[str, ...] = ()

    def diff(self) -> str:
        """The unified diff of every edit, as `git diff` shows it."""
        return "".join(_unified(edit) for edit in self.edits)


@dataclass(frozen=True)
class Applied:
    commit: str
    tag: str
    branch: str


# -- the next version ----------------------------------------------------------------------


def next_version(base: Version, level: str) -> Version:
    """`base` bumped by `level` (major, minor or patch), as MAJOR.MINOR.PATCH. Under 1.0
    the caller passes `minor` for breaking changes (0.x rules)."""
    major, minor, patch = (list(base.release) + [0, 0, 0])[:3]
    if base.is_prerelease or base.is_devrelease:
        # 2.0.0rc1 bumped: the release it leads to is the next one of its level.
        finals = Version(f"{major}.{minor}.{patch}")
        if level == "patch" or (level == "minor" and patch == 0):
            return finals
        if level == "major" and minor == 0 and patch == 0:
            return finals
    if level == "major":
        return Version(f"{major + 1}.0.0")
    if level == "minor":
        return Version(f"{major}.{minor + 1}.0")
    if level == "patch":
        return Version(f"{major}.{minor}.{patch + 1}")
    raise ValueError(f"unknown level {level!r}")


def _level(generated: Generated, base: Version) -> tuple[str, str]:
    """The bump level the changes call for, and why, in words."""
    rules = {rule.title: rule for rule in generated.style.sections}
    breaking = features = fixes = 0
    for section in generated.changelog.sections:
        rule = rules.get(section.title)
        for entry in section.entries:
            if entry.breaking:
                breaking += 1
            elif rule is not None and _is_feature(rule):
                features += 1
            else:
                fixes += 1
    if breaking:
        what = plural(breaking, "breaking change")
        if base.major == 0:
            return "minor", f"{what}; under 1.0 a breaking change bumps the minor version"
        return "major", what
    if features:
        return "minor", plural(features, "new feature")
    if fixes:
        return "patch", f"{plural(fixes, 'change')}, no new features"
    return "patch", "no changes the changelog shows (internal commits only)"


def _is_feature(rule: SectionRule) -> bool:
    return bool(rule.types & FEATURE_TYPES or rule.gitmoji & FEATURE_GITMOJI)


# -- prepare -------------------------------------------------------------------------------


def prepare(
    history: History,
    *,
    bump: str | None = None,
    version: str | None = None,
    today: dt.date | None = None,
    config: Config | None = None,
) -> Prepared:
    """Work out the release of HEAD: version, tag, commit message and every file edit.

    Refuses (GitError, exit 2) a detached HEAD, a work tree with uncommitted changes to
    tracked files, a HEAD that is already a release, and a tag name that exists.
    """
    if bump is not None and version is not None:
        raise UsageError("give --bump or --version, not both")
    bump = bump or "auto"
    if bump not in BUMPS:
        raise UsageError(f"--bump: {bump!r} is not one of {', '.join(BUMPS)}")
    root = history.root
    today = today or dt.date.today()
    config = config if config is not None else load_config(root)
    branch = _check_clean(history)
    head = history.resolve("HEAD")
    tags = history.tags()
    newest = history.newest_tag(head)
    final = history.newest_tag(head, prereleases=False)
    if newest is not None and newest.sha == head:
        raise GitError(f"HEAD is already released as {newest.name}; nothing to release")
    notes: list[str] = []
    bumpversion = BumpVersion.find(root)
    if version is not None:
        label, wanted = _explicit(version)
        if newest is not None and newest.version is not None and wanted <= newest.version:
            raise UsageError(f"--version {version}: not newer than the last release {newest.name}")
        # A pre-release lists the changes since the last tag; a final release those since
        # the last final release (its pre-releases included).
        since = newest if wanted.is_prerelease else final
        generated = _generate(history, head, since, config)
        level, reason = "explicit", "as asked with --version"
    else:
        since = final
        generated = _generate(history, head, since, config)
        level, reason, wanted = _auto(generated, bump, final, newest, bumpversion, root)
        label = str(wanted)

    tag = _tag_name(label, tags, config, bumpversion)
    if (problem := tag_name_problem(tag)) is not None:  # e.g. a tag-format of `--message=...`
        raise InputError(
            f"the release tag would be {tag!r}: {problem}",
            file=str(config.source) if config.source else None,
        )
    existing = next((t for t in tags if t.name == tag), None)
    if existing is not None:
        raise GitError(f"tag {tag} exists already (on {existing.sha[:12]}); nothing was changed")
    changelog = replace(generated.changelog, version=label, date=today.isoformat())
    texts: dict[str, str] = {}
    originals: dict[str, str | None] = {}

    def edit(path: str, after: str) -> None:
        if path not in originals:
            originals[path] = read_or_none(root / path)
        texts[path] = after

    def current(path: str) -> str | None:
        return texts[path] if path in texts else read_or_none(root / path)

    # 1. the changelog, through the changelog machinery
    generated = replace(generated, changelog=changelog)
    path = relative(root, generated.style.path)
    fmt = _SUFFIXES.get(Path(path).suffix.lower(), generated.style.format)
    section = render_section(changelog, generated.style, fmt)
    edit(path, update_text(current(path), section, label, fmt).text)
    # 2. the version wherever bump-my-version is told it lives, and PEP 621 project.version
    if bumpversion is not None:
        for name, after in bumpversion.edits(history, label, current, since, notes):
            edit(name, after)
    else:
        pyproject = current("pyproject.toml")
        static = project_version(root)
        if pyproject is not None and static is not None and is_older(static, wanted):
            updated = set_project_version(pyproject, static, label)
            if updated is not None:
                edit("pyproject.toml", updated)
    # 3. publiccode.yaml: softwareVersion and releaseDate, layout kept
    for name in PUBLICCODE_FILES:
        text = current(name)
        if text is not None:
            updated, said = set_release(text, label, today, file=name)
            notes.extend(said)
            if updated != text:
                edit(name, updated)
            break

    edits = tuple(
        FileEdit(name, originals[name], texts[name])
        for name in sorted(texts)
        if texts[name] != originals[name]
    )
    message = (config.release.commit_message or _commit_template(history, head)).replace(
        "{version}", label
    )
    return Prepared(
        root=root,
        version=label,
        previous=since,
        level=level,
        reason=reason,
        tag=tag,
        tag_message=config.release.tag_message.replace("{version}", label),
        commit_message=message,
        branch=branch,
        head=head,
        edits=edits,
        changelog=changelog,
        notes=tuple(notes),
    )


def _auto(
    generated: Generated,
    bump: str,
    final: Tag | None,
    newest: Tag | None,
    bumpversion: BumpVersion | None,
    root: Path,
) -> tuple[str, str, Version]:
    """Level, reason and version for --bump (auto by default): the last final release
    bumped; a pending pre-release of that version (or a higher one) is made final."""
    base = _base_version(final, bumpversion, root)
    if bump == "auto":
        level, reason = _level(generated, base)
    else:
        level, reason = bump, f"--bump {bump}"
    wanted = next_version(base, level)
    pending = newest.version if newest is not None else None
    if (
        pending is not None
        and pending.is_prerelease
        and (final is None or final.version is None or pending > final.version)
        and wanted <= Version(pending.base_version)
    ):
        assert newest is not None
        return "final", f"{reason}; makes {newest.name} final", Version(pending.base_version)
    return level, reason, wanted


def _check_clean(history: History) -> str:
    branch = history.head_branch()
    if branch is None:
        raise GitError(
            f"HEAD is detached (at {history.resolve('HEAD')[:12]}); check out the branch "
            "to release from (`git switch main`)"
        )
    dirty = history.dirty_paths()
    if dirty:
        shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
        raise GitError(f"the work tree has uncommitted changes ({shown}); commit or stash them")
    return branch


def _explicit(text: str) -> tuple[str, Version]:
    label = text.strip()
    if label[:1] in ("v", "V") and label[1:2].isdigit():
        label = label[1:]
    try:
        return label, parse_version(label)
    except ValueError as exc:
        raise UsageError(f"--version: {exc}") from None


def _base_version(final: Tag | None, bumpversion: BumpVersion | None, root: Path) -> Version:
    if final is not None and final.version is not None:
        return final.version
    for text in (bumpversion.current if bumpversion else None, project_version(root)):
        if text:
            try:
                return parse_version(text)
            except ValueError:
                continue
    return Version("0.0.0")


def _generate(history: History, head: str, since: Tag | None, config: Config) -> Generated:
    return generate(history, to=head, since=since.name if since else None, config=config)


def _tag_name(
    label: str, tags: tuple[Tag, ...], config: Config, bumpversion: BumpVersion | None
) -> str:
    """The tag in the repository's style: `tag-format`, else the prefix of the newest version
    tag (`v1.30.0` or `1.30.0`), else bump-my-version's `tag_name`, else the bare version."""
    if config.release.tag_format:
        return config.release.tag_format.replace("{version}", label)
    versioned = [t for t in tags if t.version is not None]
    if versioned:
        return versioned[-1].prefix + label  # tags() sorts by version
    if bumpversion is not None and bumpversion.tag_name:
        return bumpversion.tag_name.replace("{new_version}", label)
    return label


def _commit_template(history: History, head: str) -> str:
    """A release commit that the changelog leaves out: `:bookmark:` in a gitmoji history,
    `chore(release):` otherwise."""
    styles = [parse_message(s).style for s in history.subjects(head, limit=50)]
    if styles.count("gitmoji") > styles.count("conventional"):
        return ":bookmark: Release {version}"
    return "chore(release): {version}"


# -- bump-my-version -----------------------------------------------------------------------


# -- apply ---------------------------------------------------------------------------------


def apply(history: History, prepared: Prepared) -> Applied:
    """Write the edits (atomically), commit them and tag the commit (annotated). Never
    pushes. When the commit fails (a hook, no identity), the files are put back."""
    branch = _check_clean(history)
    if branch != prepared.branch or history.resolve("HEAD") != prepared.head:
        raise GitError("the repository changed since the release was prepared; run it again")
    if any(t.name == prepared.tag for t in history.tags()):
        raise GitError(f"tag {prepared.tag} exists already; nothing was changed")
    root = prepared.root
    written: list[FileEdit] = []
    try:
        for edit in prepared.edits:
            write_atomic(root / edit.path, edit.after, expect=edit.before)  # (not edited since)
            written.append(edit)
        paths = [edit.path for edit in prepared.edits]
        sha = history.commit_paths(paths, prepared.commit_message)
    except OzReleaseError as exc:
        _restore(history, root, written)
        raise GitError(f"{exc.message}; the files were put back, nothing was committed") from None
    try:
        history.create_tag(prepared.tag, prepared.tag_message, sha)
    except OzReleaseError as exc:
        raise GitError(
            f"committed {sha[:12]} but could not tag it: {exc.message}; tag it with "
            f"`git tag -a {prepared.tag} -m {prepared.tag_message!r} {sha[:12]}`"
        ) from None
    return Applied(commit=sha, tag=prepared.tag, branch=branch)


def _restore(history: History, root: Path, written: list[FileEdit]) -> None:
    for edit in reversed(written):
        target = root / edit.path
        if edit.before is None:
            target.unlink(missing_ok=True)
        else:
            write_atomic(target, edit.before)
    if written:
        with suppress(OzReleaseError):
            history.unstage([e.path for e in written if e.before is not None])


# -- diffs ---------------------------------------------------------------------------------


def _unified(edit: FileEdit) -> str:
    before = (edit.before or "").splitlines(keepends=True)
    after = edit.after.splitlines(keepends=True)
    lines = difflib.unified_diff(
        before,
        after,
        fromfile="/dev/null" if edit.before is None else f"a/{edit.path}",
        tofile=f"b/{edit.path}",
    )
    out = []
    for line in lines:
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    header = f"diff --git a/{edit.path} b/{edit.path}\n"
    return header + "".join(out)
