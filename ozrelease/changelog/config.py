"""Repository configuration: `[tool.ozrelease]` or `.ozrelease.toml`, read and checked."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ozrelease.changelog.schema import (
    CHECK_RULES,
    DEFAULT_CHECK_CATEGORIES,
    FORMATS,
    ChangelogConfig,
    CheckConfig,
    Config,
    ReleaseConfig,
    SectionRule,
    default_sections,
)
from ozrelease.changelog.style import repo_from_url, sphinx_issue_roles
from ozrelease.changelog.vocabulary import (
    GITMOJIS,
    gitmoji_name,
)
from ozrelease.errors import InputError
from ozrelease.inputs import parse_toml, read_text

__all__ = [
    "CHECK_RULES",
    "FORMATS",
    "ChangelogConfig",
    "CheckConfig",
    "Config",
    "ReleaseConfig",
    "SectionRule",
    "default_sections",
    "load_config",
    "repo_from_url",
    "sphinx_issue_roles",
]

# -- loading -------------------------------------------------------------------------------


def load_config(root: Path) -> Config:
    """Read `.ozrelease.toml` (whole file) or `[tool.ozrelease]` of `pyproject.toml` in `root`.

    Raises InputError naming file, line and key for anything unknown or malformed; having
    both files configured is an error too (one of them would be ignored in silence).
    """
    dedicated = root / ".ozrelease.toml"
    pyproject = root / "pyproject.toml"
    found: list[tuple[Path, str, dict[str, Any], tuple[str, ...]]] = []
    if dedicated.is_file():
        text, data = _read_toml(dedicated)
        found.append((dedicated, text, data, ()))
    if pyproject.is_file():
        text = read_text(pyproject)
        # A pyproject.toml that never names ozrelease configures nothing here: it is not
        # parsed (nor judged; its TOML is the packaging tools' business).
        data = parse_toml(text, file=str(pyproject)) if "ozrelease" in text else {}
        tool = data.get("tool", {})
        if isinstance(tool, dict) and "ozrelease" in tool:
            found.append((pyproject, text, tool["ozrelease"], ("tool", "ozrelease")))
    if not found:
        return Config()
    if len(found) > 1:
        raise InputError(
            f"configuration found in both {dedicated.name} and {pyproject.name} "
            "[tool.ozrelease]; keep one",
            file=str(dedicated),
        )
    path, text, data, prefix = found[0]
    reader = _Reader(path, text, prefix)
    table = reader.table(data, ())
    reader.keys(table, (), _TOP_LEVEL)
    changelog = ChangelogConfig()
    if "changelog" in table:
        changelog = _changelog(reader, reader.table(table["changelog"], ("changelog",)))
    check = CheckConfig()
    if "check" in table:
        check = _check(reader, reader.table(table["check"], ("check",)))
    release = ReleaseConfig()
    if "release" in table:
        release = _release(reader, reader.table(table["release"], ("release",)))
    return Config(source=path, changelog=changelog, check=check, release=release)


def _read_toml(path: Path) -> tuple[str, dict[str, Any]]:
    text = read_text(path)  # (bounded; a FIFO is refused; deep nesting is an InputError)
    return text, parse_toml(text, file=str(path))


class _Reader:
    """Checks one configuration file's tables and says where a problem is."""

    def __init__(self, path: Path, text: str, prefix: tuple[str, ...]) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.prefix = prefix

    def dotted(self, where: tuple[str | int, ...]) -> str:
        parts = [*self.prefix, *where]
        out = ""
        for part in parts:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out or "(top level)"

    def line_of(self, where: tuple[str | int, ...]) -> int | None:
        """The line where the last key of `where` is written (best effort: TOML parsers
        keep no positions). Searches after the header of the enclosing table."""
        keys = [k for k in (*self.prefix, *where) if isinstance(k, str)]
        if not keys:
            return None
        key = keys[-1]
        header = re.compile(r"^\s*\[\[?\s*(.+?)\s*\]\]?\s*(#.*)?$")
        key_re = re.compile(rf"""^\s*(?:[\w."'-]+\.)?["']?{re.escape(key)}["']?\s*=""")
        inline = re.compile(rf"""[{{,]\s*["']?{re.escape(key)}["']?\s*=""")
        parent = ".".join(keys[:-1])
        start = 0
        for number, line in enumerate(self.lines):
            match = header.match(line)
            if match and _unquote(match.group(1)) == parent:
                start = number
                break
        for number in range(start, len(self.lines)):
            line = self.lines[number]
            match = header.match(line)
            if match and _unquote(match.group(1)) == ".".join(keys):
                return number + 1
            if key_re.match(line) or inline.search(line):
                return number + 1
        return None

    def fail(self, where: tuple[str | int, ...], message: str) -> InputError:
        return InputError(
            f"{self.dotted(where)}: {message}", file=str(self.path), line=self.line_of(where)
        )

    def table(self, value: object, where: tuple[str | int, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a table, got {_kind(value)}")
        return value

    def keys(self, table: Mapping[str, Any], where: tuple[str | int, ...], allowed: object) -> None:
        known = sorted(allowed)  # type: ignore[call-overload]
        for key in table:
            if key in known:
                continue
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(known)}"
            raise self.fail((*where, key), f"unknown key {key!r}{hint}")

    def string(self, value: object, where: tuple[str | int, ...]) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"expected a non-empty string, got {_kind(value)}")
        return value.strip()

    def strings(self, value: object, where: tuple[str | int, ...]) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(where, f"expected a list of strings, got {_kind(value)}")
        return tuple(self.string(item, (*where, i)) for i, item in enumerate(value))

    def choice(self, value: object, where: tuple[str | int, ...], choices: tuple[str, ...]) -> str:
        text = self.string(value, where)
        if text not in choices:
            raise self.fail(where, f"{text!r} is not one of {', '.join(choices)}")
        return text

    def gitmojis(self, value: object, where: tuple[str | int, ...]) -> frozenset[str]:
        names = set()
        for i, item in enumerate(self.strings(value, where)):
            name = gitmoji_name(item)
            if name is None:
                choices = sorted(code for code, *_ in GITMOJIS)
                close = difflib.get_close_matches(item.strip(":"), choices, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise self.fail((*where, i), f"{item!r} is not a gitmoji{hint}")
            names.add(name)
        return frozenset(names)

    def types(self, value: object, where: tuple[str | int, ...]) -> frozenset[str]:
        out = set()
        for i, item in enumerate(self.strings(value, where)):
            if not _TYPE.match(item):
                raise self.fail(
                    (*where, i), f"{item!r} is not a commit type such as 'feat' or 'chore(deps)'"
                )
            out.add(item.lower())
        return frozenset(out)


_TYPE = re.compile(r"^[A-Za-z][\w-]*(\([^()]*\))?$")
_TOP_LEVEL = {"changelog", "check", "release"}
_CHANGELOG_KEYS = {
    "path",
    "format",
    "sections",
    "default-section",
    "internal",
    "repository",
    "issue-roles",
    "issue-url",
    "rst-underline",
}
_SECTION_KEYS = {"title", "gitmoji", "types", "priority"}
_INTERNAL_KEYS = {"paths", "gitmoji", "types"}
_UNDERLINES = ("=", "-", "~", "^", '"', "'", "`", "#", "*", "+", ".", ":", "_")


def _changelog(reader: _Reader, table: dict[str, Any]) -> ChangelogConfig:
    where: tuple[str | int, ...] = ("changelog",)
    reader.keys(table, where, _CHANGELOG_KEYS)
    values: dict[str, Any] = {}
    readers: dict[str, Callable[[object, tuple[str | int, ...]], object]] = {
        "path": lambda v, w: Path(reader.string(v, w)),
        "format": lambda v, w: reader.choice(v, w, FORMATS),
        "default-section": reader.string,
        "repository": lambda v, w: _repository(reader, v, w),
        "issue-url": lambda v, w: _issue_url(reader, v, w),
        "rst-underline": lambda v, w: reader.choice(v, w, _UNDERLINES),
        "issue-roles": lambda v, w: _roles(reader, v, w),
        "sections": lambda v, w: _sections(reader, v, w),
    }
    for key, read in readers.items():
        if key in table:
            values[key.replace("-", "_")] = read(table[key], (*where, key))
    if "internal" in table:
        internal = reader.table(table["internal"], (*where, "internal"))
        reader.keys(internal, (*where, "internal"), _INTERNAL_KEYS)
        if "paths" in internal:
            values["internal_paths"] = reader.strings(
                internal["paths"], (*where, "internal", "paths")
            )
        if "gitmoji" in internal:
            values["internal_gitmoji"] = reader.gitmojis(
                internal["gitmoji"], (*where, "internal", "gitmoji")
            )
        if "types" in internal:
            values["internal_types"] = reader.types(
                internal["types"], (*where, "internal", "types")
            )
    config = ChangelogConfig(**values)
    if config.default_section is not None:
        titles = [s.title for s in config.sections or ()] or [
            s.title for fmt in FORMATS for s in default_sections(fmt)
        ]
        if config.default_section not in titles:
            close = difflib.get_close_matches(config.default_section, titles, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; sections: {', '.join(titles)}"
            raise reader.fail(
                (*where, "default-section"),
                f"{config.default_section!r} is not a section title{hint}",
            )
    return config


_CHECK_KEYS = {
    "categories",
    "internal-paths",
    "internal-gitmoji",
    "translation-paths",
    "documentation-paths",
    "private-trackers",
    "ignore-issues",
    "rules",
}
_CATEGORY = re.compile(r"^[a-z][a-z0-9-]*$")


def _check(reader: _Reader, table: dict[str, Any]) -> CheckConfig:
    """`[tool.ozrelease.check]`. A category or list given replaces its default; `rules` turns
    single suppression rules off (`other-sections = false`)."""
    where: tuple[str | int, ...] = ("check",)
    reader.keys(table, where, _CHECK_KEYS)
    values: dict[str, Any] = {}
    for key in ("internal-paths", "translation-paths", "documentation-paths", "private-trackers"):
        if key in table:
            values[key.replace("-", "_")] = reader.strings(table[key], (*where, key))
    if "internal-gitmoji" in table:
        values["internal_gitmoji"] = reader.gitmojis(
            table["internal-gitmoji"], (*where, "internal-gitmoji")
        )
    if "ignore-issues" in table:
        values["ignore_issues"] = frozenset(
            reader.strings(table["ignore-issues"], (*where, "ignore-issues"))
        )
    if "categories" in table:
        here = (*where, "categories")
        categories = dict(DEFAULT_CHECK_CATEGORIES)
        for name, globs in reader.table(table["categories"], here).items():
            if not _CATEGORY.match(name):
                raise reader.fail(
                    (*here, name), f"{name!r} is not a category name such as 'migration'"
                )
            if not isinstance(globs, list):
                raise reader.fail((*here, name), f"expected a list of globs, got {_kind(globs)}")
            categories[name] = reader.strings(globs, (*here, name))
        values["categories"] = categories
    if "rules" in table:
        here = (*where, "rules")
        rules = set(CHECK_RULES)
        given = reader.table(table["rules"], here)
        reader.keys(given, here, CHECK_RULES)
        for name, on in given.items():
            if not isinstance(on, bool):
                raise reader.fail((*here, name), f"expected true or false, got {_kind(on)}")
            if not on:
                rules.discard(name)
        values["rules"] = frozenset(rules)
    return CheckConfig(**values)


_RELEASE_KEYS = {
    "branch-pattern",
    "default-branch",
    "lines",
    "supported-lines",
    "component",
    "tag-format",
    "commit-message",
    "tag-message",
}


def _release(reader: _Reader, table: dict[str, Any]) -> ReleaseConfig:
    where: tuple[str | int, ...] = ("release",)
    reader.keys(table, where, _RELEASE_KEYS)
    values: dict[str, Any] = {}
    for key in ("default-branch", "component"):
        if key in table:
            values[key.replace("-", "_")] = reader.string(table[key], (*where, key))
    if "branch-pattern" in table:
        pattern = reader.string(table["branch-pattern"], (*where, "branch-pattern"))
        if "{major}" not in pattern or re.search(r"\{(?!major\}|minor\})", pattern):
            raise reader.fail(
                (*where, "branch-pattern"),
                f"{pattern!r} needs {{major}} (and may use {{minor}}), "
                "such as 'stable/{major}.{minor}.x'",
            )
        values["branch_pattern"] = pattern
    if "lines" in table:
        values["lines"] = reader.strings(table["lines"], (*where, "lines"))
    if "supported-lines" in table:
        count = table["supported-lines"]
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise reader.fail(
                (*where, "supported-lines"), f"expected a whole number >= 1, got {count!r}"
            )
        values["supported_lines"] = count
    for key in ("tag-format", "commit-message", "tag-message"):
        if key in table:
            text = reader.string(table[key], (*where, key))
            if "{version}" not in text:
                raise reader.fail((*where, key), f"{text!r} needs a {{version}} placeholder")
            values[key.replace("-", "_")] = text
    return ReleaseConfig(**values)


def _sections(
    reader: _Reader, value: object, where: tuple[str | int, ...]
) -> tuple[SectionRule, ...]:
    if not isinstance(value, list) or not value:
        raise reader.fail(where, f"expected a non-empty list of tables, got {_kind(value)}")
    out = []
    titles: set[str] = set()
    for index, item in enumerate(value):
        here = (*where, index)
        table = reader.table(item, here)
        reader.keys(table, here, _SECTION_KEYS)
        if "title" not in table:
            raise reader.fail(here, "a section needs a title")
        title = reader.string(table["title"], (*here, "title"))
        if title in titles:
            raise reader.fail((*here, "title"), f"section {title!r} is listed twice")
        titles.add(title)
        priority = table.get("priority", index)
        if not isinstance(priority, int) or isinstance(priority, bool):
            raise reader.fail((*here, "priority"), f"expected an integer, got {_kind(priority)}")
        out.append(
            SectionRule(
                title=title,
                gitmoji=reader.gitmojis(table.get("gitmoji", []), (*here, "gitmoji")),
                types=reader.types(table.get("types", []), (*here, "types")),
                priority=priority,
            )
        )
    return tuple(out)


_REPO = re.compile(r"^[\w.-]+(/[\w.-]+)+$")


def _repository(reader: _Reader, value: object, where: tuple[str | int, ...]) -> str:
    text = reader.string(value, where)
    if not _REPO.match(text):
        raise reader.fail(where, f"{text!r} is not an owner/name such as 'open-zaak/open-zaak'")
    return text


def _issue_url(reader: _Reader, value: object, where: tuple[str | int, ...]) -> str:
    text = reader.string(value, where)
    if "{number}" not in text:
        raise reader.fail(where, f"{text!r} needs a {{number}} placeholder")
    return text


def _roles(reader: _Reader, value: object, where: tuple[str | int, ...]) -> dict[str, str]:
    table = reader.table(value, where)
    out = {}
    for role, repo in table.items():
        out[role] = _repository(reader, repo, (*where, role))
    return out


def _kind(value: object) -> str:
    names = {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "a boolean",
        list: "a list",
        dict: "a table",
    }
    return names.get(type(value), type(value).__name__)


def _unquote(text: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in text.split("."))
