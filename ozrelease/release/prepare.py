"""Release preparation: the next version, its changelog section, version bumps, commit and tag.

`prepare` works out everything and writes nothing (the dry run shows its diff); `apply` writes
the files atomically, makes one commit and one annotated tag, and never pushes.

    history since the last release tag -> level (breaking / feature / fix) -> next version
    -> edits: changelog section (changelog.py), [tool.bumpversion] files (bump-my-version),
       publiccode.yaml softwareVersion and releaseDate (publiccode.py)
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ozrelease.atomic import write_atomic
from ozrelease.changelog.config import Config, SectionRule, load_config
from ozrelease.changelog.files import update_text
from ozrelease.changelog.generate import Changelog, Generated, generate, render_section
from ozrelease.changelog.messages import parse_message
from ozrelease.changelog.vocabulary import FEATURE_GITMOJI, FEATURE_TYPES
from ozrelease.ecosystem.publiccode import PUBLICCODE_FILES, set_release
from ozrelease.errors import GitError, InputError, OzReleaseError, UsageError
from ozrelease.gitlog import tag_name_problem
from ozrelease.history import History, Tag
from ozrelease.inputs import MissingInputError, read_text
from ozrelease.versions import Version, parse_version

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
# bump-my-version's configuration files, in its own search order.
_BUMPVERSION_FILES = (".bumpversion.cfg", ".bumpversion.toml", "setup.cfg", "pyproject.toml")


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
        what = _count(breaking, "breaking change")
        if base.major == 0:
            return "minor", f"{what}; under 1.0 a breaking change bumps the minor version"
        return "major", what
    if features:
        return "minor", _count(features, "new feature")
    if fixes:
        return "patch", f"{_count(fixes, 'change')}, no new features"
    return "patch", "no changes the changelog shows (internal commits only)"


def _is_feature(rule: SectionRule) -> bool:
    return bool(rule.types & FEATURE_TYPES or rule.gitmoji & FEATURE_GITMOJI)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# -- prepare -------------------------------------------------------------------------------


def prepare(
    history: History,
    *,
    bump: str = "auto",
    version: str | None = None,
    today: dt.date | None = None,
    config: Config | None = None,
) -> Prepared:
    """Work out the release of HEAD: version, tag, commit message and every file edit.

    Refuses (GitError, exit 2) a detached HEAD, a work tree with uncommitted changes to
    tracked files, a HEAD that is already a release, and a tag name that exists.
    """
    if bump not in BUMPS:
        raise UsageError(f"--bump: {bump!r} is not one of {', '.join(BUMPS)}")
    if version is not None and bump != "auto":
        raise UsageError("give --bump or --version, not both")
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
    bumpversion = _BumpVersion.find(root)
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
            originals[path] = _read(root / path)
        texts[path] = after

    def current(path: str) -> str | None:
        return texts[path] if path in texts else _read(root / path)

    # 1. the changelog, through the changelog machinery
    generated = replace(generated, changelog=changelog)
    path = _relative(root, generated.style.path)
    fmt = _SUFFIXES.get(Path(path).suffix.lower(), generated.style.format)
    section = render_section(changelog, generated.style, fmt)
    edit(path, update_text(current(path), section, label, fmt).text)
    # 2. the version wherever bump-my-version is told it lives, and PEP 621 project.version
    if bumpversion is not None:
        for name, after in bumpversion.edits(history, label, current, since, notes):
            edit(name, after)
    else:
        pyproject = current("pyproject.toml")
        static = _pep621_version(root)
        if pyproject is not None and static is not None and _older(static, wanted):
            updated = _pep621(pyproject, static, label)
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
    bumpversion: _BumpVersion | None,
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


def _label(tag: Tag) -> str:
    """The version as the tag writes it: `v1.2.3` -> `1.2.3`."""
    return tag.name[len(tag.prefix) :]


def _base_version(final: Tag | None, bumpversion: _BumpVersion | None, root: Path) -> Version:
    if final is not None and final.version is not None:
        return final.version
    for text in (bumpversion.current if bumpversion else None, _pep621_version(root)):
        if text:
            try:
                return parse_version(text)
            except ValueError:
                continue
    return Version("0.0.0")


def _generate(history: History, head: str, since: Tag | None, config: Config) -> Generated:
    return generate(history, to=head, since=since.name if since else None, config=config)


def _tag_name(
    label: str, tags: tuple[Tag, ...], config: Config, bumpversion: _BumpVersion | None
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


def _read(path: Path) -> str | None:
    try:
        return read_text(path, newline="")  # (bounded; a FIFO is refused)
    except MissingInputError:
        return None


def _relative(root: Path, path: Path | str) -> str:
    full = Path(path) if Path(path).is_absolute() else root / path
    try:
        return full.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise InputError(f"{path} is outside the repository {root}") from None


# -- bump-my-version -----------------------------------------------------------------------


class _BumpVersion:
    """The repository's bump-my-version configuration, read with bump-my-version itself (its
    parse, serialize, search and replace rules per file); nothing is written here."""

    def __init__(self, root: Path, path: Path, raw: Mapping[str, Any]) -> None:
        self.root = root
        self.path = path
        self.raw = raw

    @classmethod
    def find(cls, root: Path) -> _BumpVersion | None:
        for name in _BUMPVERSION_FILES:
            path = root / name
            if not path.is_file():
                continue
            text = _read(path) or ""
            if path.suffix == ".toml":
                if not re.search(r"^\s*\[\s*tool\s*\.\s*bumpversion\s*[\].]", text, re.M):
                    continue
            elif not re.search(r"^\s*\[bumpversion[\]:]", text, re.M):
                continue
            with _quiet():
                raw = _read_bumpversion(path)
            return cls(root, path, raw)
        return None

    @property
    def name(self) -> str:
        return _relative(self.root, self.path)

    @property
    def current(self) -> str | None:
        value = self.raw.get("current_version")
        return str(value) if value is not None else None

    @property
    def tag_name(self) -> str | None:
        value = self.raw.get("tag_name")
        return value if isinstance(value, str) and "{new_version}" in value else None

    def edits(
        self,
        history: History,
        label: str,
        current: Callable[[str], str | None],
        since: Tag | None,
        notes: list[str],
    ) -> Iterator[tuple[str, str]]:
        """(path, new text) for every file bump-my-version would change, and its config."""
        from bumpversion.context import get_context  # type: ignore[import-untyped]
        from bumpversion.exceptions import BumpVersionError  # type: ignore[import-untyped]
        from bumpversion.files import resolve_file_config  # type: ignore[import-untyped]

        where = self.name
        previous = self.current or (
            _pep621_version(self.root) if self.path.name == "pyproject.toml" else None
        )
        if previous is None and since is not None:
            previous = _label(since)
        if previous is None:
            raise InputError(
                "bump-my-version's current_version is not set and there is no release tag "
                "to take it from",
                file=where,
            )
        if (
            since is not None
            and since.version is not None
            and _same(previous, since.version) is False
        ):
            notes.append(
                f"{where}: current_version {previous} differs from the last release tag "
                f"{since.name}; the files are bumped from {previous}"
            )
        with _quiet():
            try:
                config = _bumpversion_config(self.path, self.raw, previous)
                version_config = config.version_config
                old = version_config.parse(previous)
                new = version_config.parse(label)
                if old is None:
                    raise InputError(
                        f"bump-my-version's parse pattern does not match current_version "
                        f"{previous}",
                        file=where,
                    )
                if new is None:
                    raise InputError(
                        f"bump-my-version's parse pattern does not match {label}; "
                        "release a version it can read, or widen `parse`",
                        file=where,
                    )
                config.scm_info = _ScmInfo(history, since)
                context = get_context(config, old, new)
                written = version_config.serialize(new, context)
                if written != label:
                    raise InputError(
                        f"bump-my-version would write {label} as {written!r} (its "
                        "`serialize` formats); add the missing parts to `parse` and "
                        "`serialize`, or release a version it can write",
                        file=where,
                    )
                for configured in resolve_file_config(
                    config.files_to_modify, config.version_config
                ):
                    name = _relative(self.root, configured.file_change.filename)
                    before = current(name)
                    if before is None and configured.file_change.ignore_missing_file:
                        continue
                    if before is None:
                        raise InputError(
                            f"bump-my-version is told to bump {name}, which does not exist",
                            file=where,
                        )
                    after = configured.get_changed_contents(old, new, dict(context), before)
                    if after is not None and after != before:
                        yield name, after
            except BumpVersionError as exc:
                raise InputError(f"bump-my-version: {exc}", file=where) from None
            except FileNotFoundError as exc:
                raise InputError(f"bump-my-version: {exc}", file=where) from None
        text = current(where)
        if text is not None:
            updated = _set_current_version(text, self.path, previous, label)
            if updated is None:
                notes.append(f"{where}: no current_version line to update")
            else:
                yield where, updated
            if self.path.name == "pyproject.toml":
                again = _pep621(updated if updated is not None else text, previous, label)
                if again is not None:
                    yield where, again


class _ScmInfo:
    """What bump-my-version's templates may name of the repository (`{distance_to_latest_tag}`,
    `{branch_name}`...), from History instead of bump-my-version's own git calls."""

    def __init__(self, history: History, since: Tag | None) -> None:
        head = history.resolve("HEAD")
        branch = history.head_branch()
        self.tool = None
        self.values: dict[str, Any] = {
            "commit_sha": head,
            "short_commit_sha": head[:7],
            "distance_to_latest_tag": history.count(head, since=since.name) if since else 0,
            "current_version": _label(since) if since else None,
            "current_tag": since.name if since else None,
            "branch_name": branch,
            "short_branch_name": re.sub(r"[^a-z0-9]", "", (branch or "").lower())[:20],
            "repository_root": history.root,
            "dirty": False,
        }

    def as_dict(self) -> dict[str, Any]:
        return {**self.values, "tool": self.tool}

    def path_in_repo(self, path: Any) -> bool:
        return True


def _read_bumpversion(path: Path) -> dict[str, Any]:
    try:
        if path.suffix == ".toml":
            from bumpversion.config.files import (  # type: ignore[import-untyped]
                read_toml_file,
            )

            found = read_toml_file(path)
        else:
            from bumpversion.config.files_legacy import (  # type: ignore[import-untyped]
                read_ini_file,
            )

            found = read_ini_file(path)
    except ImportError:
        raise InputError(
            "bump-my-version is configured here, and ozrelease needs it installed to read "
            "that configuration (pip install bump-my-version)",
            file=str(path),
        ) from None
    except Exception as exc:  # tomlkit and configparser each have their own errors
        raise InputError(
            f"cannot read the bump-my-version configuration: {exc}", file=str(path)
        ) from None
    return dict(found) if isinstance(found, Mapping) else {}


def _bumpversion_config(path: Path, raw: Mapping[str, Any], previous: str) -> Any:
    """bump-my-version's Config as `get_configuration` makes it, without its git queries
    (History answers those) and with `current_version` known."""
    from bumpversion.config import Config as BumpConfig  # type: ignore[import-untyped]
    from bumpversion.config import set_config_defaults
    from bumpversion.config.utils import (  # type: ignore[import-untyped]
        get_all_file_configs,
        get_all_part_configs,
        resolve_file_paths,
    )

    values = set_config_defaults(dict(raw), current_version=previous)
    values["parts"] = get_all_part_configs(values)
    values["files"] = get_all_file_configs(values)
    resolve_file_paths(values["files"], path)
    BumpConfig.model_rebuild()
    return BumpConfig(**values)


@contextmanager
def _quiet() -> Iterator[None]:
    """bump-my-version logs its progress and warnings; ozrelease reports in its own words."""
    logger = logging.getLogger("bumpversion")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _older(text: str, version: Version) -> bool:
    try:
        return parse_version(text) < version
    except ValueError:
        return False


def _same(text: str, version: Version) -> bool | None:
    try:
        return parse_version(text) == version
    except ValueError:
        return None


_TABLE = re.compile(r"^\s*\[(?P<name>[^\]]+)\]")


def _set_current_version(text: str, path: Path, old: str, new: str) -> str | None:
    """`current_version = old` -> `new` in the `[tool.bumpversion]` table (TOML) or the
    `[bumpversion]` section (INI), as a line edit that keeps quotes, comments and layout."""
    table = "tool.bumpversion" if path.suffix == ".toml" else "bumpversion"
    key = re.compile(
        r"^(?P<head>\s*current_version\s*[=:]\s*)(?P<q>[\"']?)(?P<value>[^\"'\r\n#]*?)(?P=q)"
        r"(?P<tail>\s*(?:#[^\r\n]*)?)$"
    )
    lines = text.splitlines(keepends=True)
    inside = False
    for index, line in enumerate(lines):
        header = _TABLE.match(line)
        if header:
            inside = re.sub(r"\s", "", header.group("name")).strip("\"'") == table
            continue
        if not inside:
            continue
        body = line.rstrip("\r\n")
        match = key.match(body)
        if match and match.group("value").strip() == old:
            ending = line[len(body) :]
            lines[index] = (
                f"{match.group('head')}{match.group('q')}{new}{match.group('q')}"
                f"{match.group('tail')}{ending}"
            )
            return "".join(lines)
    return None


_PROJECT_VERSION = re.compile(
    r"^(?P<head>version\s*=\s*)(?P<q>[\"'])(?P<value>[^\"'\r\n]*)(?P=q)", re.M
)


def _pep621(text: str, old: str, new: str) -> str | None:
    """`[project] version = "old"` -> `new` in pyproject.toml (a line edit), when static."""
    lines = text.splitlines(keepends=True)
    inside = False
    for index, line in enumerate(lines):
        header = _TABLE.match(line)
        if header:
            inside = header.group("name").strip() == "project"
            continue
        if inside:
            match = _PROJECT_VERSION.match(line)
            if match and match.group("value") == old:
                lines[index] = line.replace(
                    match.group(0),
                    f"{match.group('head')}{match.group('q')}{new}{match.group('q')}",
                    1,
                )
                return "".join(lines)
    return None


def _pep621_version(root: Path) -> str | None:
    text = _read(root / "pyproject.toml")
    if text is None:
        return None
    inside = False
    for line in text.splitlines():
        header = _TABLE.match(line)
        if header:
            inside = header.group("name").strip() == "project"
            continue
        if inside and (match := _PROJECT_VERSION.match(line)):
            return match.group("value")
    return None


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
