"""bump-my-version and PEP 621: where a repository keeps its version, and what a bump edits."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ozrelease.errors import InputError
from ozrelease.history import History, Tag
from ozrelease.inputs import MissingInputError, read_text
from ozrelease.versions import Version, parse_version

# bump-my-version's configuration files, in its own search order.
_BUMPVERSION_FILES = (".bumpversion.cfg", ".bumpversion.toml", "setup.cfg", "pyproject.toml")


def tag_label(tag: Tag) -> str:
    """The version as the tag writes it: `v1.2.3` -> `1.2.3`."""
    return tag.name[len(tag.prefix) :]


def read_or_none(path: Path) -> str | None:
    try:
        return read_text(path, newline="")  # (bounded; a FIFO is refused)
    except MissingInputError:
        return None


def relative(root: Path, path: Path | str) -> str:
    full = Path(path) if Path(path).is_absolute() else root / path
    try:
        return full.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise InputError(f"{path} is outside the repository {root}") from None


class BumpVersion:
    """The repository's bump-my-version configuration, read with bump-my-version itself (its
    parse, serialize, search and replace rules per file); nothing is written here."""

    def __init__(self, root: Path, path: Path, raw: Mapping[str, Any]) -> None:
        self.root = root
        self.path = path
        self.raw = raw

    @classmethod
    def find(cls, root: Path) -> BumpVersion | None:
        for name in _BUMPVERSION_FILES:
            path = root / name
            if not path.is_file():
                continue
            text = read_or_none(path) or ""
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
        return relative(self.root, self.path)

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
            project_version(self.root) if self.path.name == "pyproject.toml" else None
        )
        if previous is None and since is not None:
            previous = tag_label(since)
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
                    name = relative(self.root, configured.file_change.filename)
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
                again = set_project_version(
                    updated if updated is not None else text, previous, label
                )
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
            "current_version": tag_label(since) if since else None,
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


def is_older(text: str, version: Version) -> bool:
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


def set_project_version(text: str, old: str, new: str) -> str | None:
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


def project_version(root: Path) -> str | None:
    text = read_or_none(root / "pyproject.toml")
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
