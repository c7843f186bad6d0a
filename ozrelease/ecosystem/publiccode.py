"""publiccode.yml: a release's two values edited in place, and Component skeletons imported.

The edit is a line edit, never a YAML round trip: comments, quotes, key order and blank lines
stay as they are. The import reads the file with PyYAML's composer so that every problem
names its line.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ozrelease.errors import InputError, ManifestError, Problem
from ozrelease.inputs import read_text
from ozrelease.versions import parse_version

__all__ = ["PUBLICCODE_FILES", "Skeleton", "import_publiccode", "set_release", "slug"]

PUBLICCODE_FILES = ("publiccode.yml", "publiccode.yaml")
# The publiccode.yml standard (0.2 to 0.4): `dependsOn` groups, and the API versions of the
# `features` list that Open Zaak and friends write as "Zaken API 1.4".
DEPENDENCY_GROUPS = ("open", "proprietary", "hardware")
_FEATURE_API = re.compile(r"^(?P<title>.+?)\s+API\s+v?(?P<version>\d+(?:\.\d+)*)\s*$", re.I)


# -- release: softwareVersion and releaseDate in place -------------------------------------


def _key_line(key: str) -> re.Pattern[str]:
    # A top-level `key: value  # comment` line; the value plain or quoted on one line.
    return re.compile(
        rf"^(?P<head>{key}[ \t]*:[ \t]*)"
        r"(?P<value>'[^'\r\n]*'|\"[^\"\r\n]*\"|[^#\r\n]*?)"
        r"(?P<tail>[ \t]*(?:#[^\r\n]*)?)(?=\r?$)",
        re.M,
    )


_SOFTWARE_VERSION = _key_line("softwareVersion")
_RELEASE_DATE = _key_line("releaseDate")
_PLAIN_NUMBER = re.compile(r"^[-+]?(\d[\d_]*)?(\.\d*)?([eE][-+]?\d+)?$")


def set_release(
    text: str, version: str, date: dt.date, *, file: str = "publiccode.yml"
) -> tuple[str, list[str]]:
    """`text` with top-level `softwareVersion` and `releaseDate` set, every other byte kept;
    and notes for what could not be done (a key that is missing)."""
    notes = []
    for pattern, key, value in (
        (_SOFTWARE_VERSION, "softwareVersion", version),
        (_RELEASE_DATE, "releaseDate", date.isoformat()),
    ):
        match = pattern.search(text)
        if match is None:
            notes.append(f"{file}: no top-level {key} line; add `{key}: {value}` by hand")
            continue
        text = (
            text[: match.start("value")]
            + _scalar(match.group("value"), value)
            + text[match.end("value") :]
        )
    return text, notes


def _scalar(old: str, value: str) -> str:
    """`value` written the way `old` was: single or double quotes kept; a plain value that
    YAML would read as a number (`1.30`) gets quotes."""
    if old.startswith("'"):
        return "'" + value.replace("'", "''") + "'"
    if old.startswith('"'):
        return json.dumps(value, ensure_ascii=False)
    if _PLAIN_NUMBER.match(value):
        return f"'{value}'"
    return value


# -- import: a Component skeleton ----------------------------------------------------------


@dataclass
class _Lines:
    """Values of a PyYAML node tree, with the line each was written on."""

    file: str
    problems: list[Problem] = field(default_factory=list)

    def fail(self, node: yaml.Node | None, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 1
        self.problems.append(Problem(self.file, line, message))

    def get(self, node: yaml.Node, key: str) -> yaml.Node | None:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == key:
                    return v  # type: ignore[no-any-return]
        return None

    def text(self, node: yaml.Node, key: str, *, required: bool = False) -> str | None:
        value = self.get(node, key)
        if value is None:
            if required:
                self.fail(node, f"missing {key}")
            return None
        if not isinstance(value, yaml.ScalarNode) or not str(value.value).strip():
            self.fail(value, f"{key}: expected text")
            return None
        return str(value.value).strip()

    def items(self, node: yaml.Node | None, what: str) -> list[yaml.Node]:
        if node is None:
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, f"{what}: expected a list")
            return []
        return list(node.value)


@dataclass(frozen=True)
class _Dependency:
    name: str
    component: str
    specifier: str
    optional: bool
    group: str
    line: int


@dataclass(frozen=True)
class Skeleton:
    """The imported Component: its YAML text and what the import noticed."""

    name: str
    text: str
    notes: tuple[str, ...] = ()


def slug(text: str) -> str:
    """A manifest name: `Open Zaak` -> `open-zaak`, `PostgreSQL` -> `postgresql`."""
    out = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return out or "component"


MAX_PUBLICCODE_BYTES = 4 * 2**20  # publiccode.yml files are a few KiB


def import_publiccode(path: Path) -> Skeleton:
    """A Component skeleton from publiccode.yml: name, title, description, repository, one
    release (softwareVersion, releaseDate) with `dependsOn` as `requires`, and the `features`
    API versions as a commented-out `provides` flagged as possibly stale.

    Raises ManifestError (exit 2) listing every problem as FILE:LINE.
    """
    file = str(path)
    raw = read_text(path, limit=MAX_PUBLICCODE_BYTES)  # (a FIFO or /dev/zero is refused)
    try:
        root = yaml.compose(raw, Loader=yaml.SafeLoader)
    except RecursionError:
        raise InputError("YAML nested too deeply", file=file) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise InputError(f"YAML syntax error: {exc.problem or exc}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise InputError(f"YAML error: {exc}", file=file) from None
    lines = _Lines(file)
    if not isinstance(root, yaml.MappingNode):
        found = "an empty file" if root is None else f"a {_kind(root)}"
        raise InputError(f"expected a publiccode.yml mapping, found {found}", file=file, line=1)

    name = lines.text(root, "name", required=True)
    url = lines.text(root, "url", required=True)
    version_text = lines.text(root, "softwareVersion")
    if version_text is None and lines.get(root, "softwareVersion") is None:
        lines.fail(root, "missing softwareVersion: the skeleton's one release needs a version")
    if version_text is not None:
        try:
            parse_version(version_text)
        except ValueError as exc:
            lines.fail(lines.get(root, "softwareVersion"), f"softwareVersion: {exc}")
    date, undated = _date(lines, root)
    dependencies = list(_dependencies(lines, root))
    features = _features(lines, root)
    description = _short_description(lines, root)
    if lines.problems:
        raise ManifestError(lines.problems)
    assert name is not None and url is not None and version_text is not None
    return _render(
        path.name, name, url, version_text, date, description, dependencies, features, undated
    )


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "list"
    if isinstance(node, yaml.ScalarNode):
        return "single value"
    return "mapping"


def _date(lines: _Lines, root: yaml.Node) -> tuple[dt.date | None, str | None]:
    """The release date, or why there is none. A releaseDate that is no date (Open
    Inwoner's `'t.b.d.'`) is skipped with a note: a skeleton is useful without it."""
    node = lines.get(root, "releaseDate")
    if node is None:
        return None, None
    text = str(node.value).strip() if isinstance(node, yaml.ScalarNode) else ""
    try:
        return dt.date.fromisoformat(text), None
    except ValueError:
        return None, (
            f"releaseDate {text!r} (line {node.start_mark.line + 1}) is not a date "
            "(YYYY-MM-DD): skipped, the release has no date"
        )


def _dependencies(lines: _Lines, root: yaml.Node) -> Iterator[_Dependency]:
    depends = lines.get(root, "dependsOn")
    if depends is None:
        return
    if not isinstance(depends, yaml.MappingNode):
        lines.fail(depends, "dependsOn: expected a mapping of open, proprietary, hardware")
        return
    for group in DEPENDENCY_GROUPS:
        for item in lines.items(lines.get(depends, group), f"dependsOn.{group}"):
            if not isinstance(item, yaml.MappingNode):
                lines.fail(item, f"dependsOn.{group}: expected a mapping with a name")
                continue
            name = lines.text(item, "name", required=True)
            if name is None:
                continue
            optional_node = lines.get(item, "optional")
            optional = False
            if optional_node is not None:
                value = str(optional_node.value).strip().lower()
                if value not in ("true", "false"):
                    lines.fail(optional_node, f"{name}: optional: expected true or false")
                optional = value == "true"
            spec = _specifier(lines, item, name)
            if spec is None:
                continue
            yield _Dependency(name, slug(name), spec, optional, group, item.start_mark.line + 1)


def _specifier(lines: _Lines, item: yaml.Node, name: str) -> str | None:
    """versionMin -> `>=`, versionMax -> `<=` (the latest compatible), version -> `==V.*`
    (the one compatible version, later patches included); none of them: any version."""
    parts = []
    for key, operator in (("versionMin", ">="), ("versionMax", "<="), ("version", "==")):
        text = lines.text(item, key)
        if text is None:
            continue
        try:
            parse_version(text)
        except ValueError as exc:
            lines.fail(lines.get(item, key), f"{name}: {key}: {exc}")
            return None
        parts.append(f"=={text}.*" if operator == "==" else f"{operator}{text}")
    return ",".join(parts) or "*"


def _features(lines: _Lines, root: yaml.Node) -> dict[str, str]:
    """API name -> version from the `features` of the first description that lists any."""
    description = lines.get(root, "description")
    if not isinstance(description, yaml.MappingNode):
        return {}
    found: dict[str, str] = {}
    for _, language in description.value:
        for item in lines.items(lines.get(language, "features"), "features"):
            if isinstance(item, yaml.ScalarNode):
                match = _FEATURE_API.match(str(item.value))
                if match:
                    found.setdefault(slug(match.group("title")), match.group("version"))
        if found:
            break
    return found


def _short_description(lines: _Lines, root: yaml.Node) -> str | None:
    description = lines.get(root, "description")
    if not isinstance(description, yaml.MappingNode):
        return None
    languages = {str(k.value): v for k, v in description.value if isinstance(k, yaml.ScalarNode)}
    for language in ("en", *languages):
        node = languages.get(language)
        if isinstance(node, yaml.MappingNode):
            value = lines.get(node, "shortDescription")
            if isinstance(value, yaml.ScalarNode) and str(value.value).strip():
                return " ".join(str(value.value).split())
    return None


def _merged(
    dependencies: list[_Dependency], skip: frozenset[str] = frozenset()
) -> list[_Dependency]:
    """One entry per component (a YAML key may appear once): two names that slug alike
    (PostgreSQL in `open` and in `proprietary`) keep both bounds; `skip`: already required."""
    by_component: dict[str, list[_Dependency]] = {}
    for dep in dependencies:
        if dep.component not in skip:
            by_component.setdefault(dep.component, []).append(dep)
    merged = []
    for component, deps in by_component.items():
        specs = [d.specifier for d in deps if d.specifier != "*"]
        first = deps[0]
        merged.append(
            _Dependency(
                ", ".join(dict.fromkeys(d.name for d in deps)),
                component,
                ",".join(dict.fromkeys(specs)) or "*",
                first.optional,
                "/".join(dict.fromkeys(d.group for d in deps)),
                first.line,
            )
        )
    return merged


def _comment(text: str) -> str:
    """Text for a `# ...` comment: one line, no control characters (a name with a line
    break would otherwise write YAML of its own, even a second document)."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def _q(value: Any) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(str(value), ensure_ascii=False)


def _render(
    source: str,
    name: str,
    url: str,
    version: str,
    date: dt.date | None,
    description: str | None,
    dependencies: list[_Dependency],
    features: dict[str, str],
    undated: str | None = None,
) -> Skeleton:
    component = slug(name)
    repository = re.sub(r"\.git/?$", "", url.strip())
    notes = []
    out = [
        f"# Component skeleton imported from {_comment(source)} "
        "by `ozrelease manifest import-publiccode`.",
        "# Check every value before you plan with it: publiccode.yml describes software for",
        "# catalogues, not the constraints an upgrade plan needs (consumes, upgradeFrom, eol).",
        "kind: Component",
        f"name: {component}",
        f"title: {_q(name)}",
    ]
    if description:
        out.append(f"description: {_q(description)}")
    out += [f"repository: {_q(repository)}", "releases:", f"  - version: {_q(version)}"]
    if date is not None:
        out.append(f"    date: {date.isoformat()}")
    else:
        notes.append(undated or "no releaseDate: the release has no date")
    if features:
        listed = ", ".join(f"{api} {v}" for api, v in features.items())
        out += [
            "    # STALE? publiccode.yml `features` name these API versions, and they are often",
            "    # out of date: Open Zaak 1.30.0's publiccode.yaml still lists the 1.10-level APIs",
            "    # (Zaken API 1.4) while it implements Zaken 1.5.1. Take the versions from the",
            "    # OpenAPI documents (info.version) of this release before you uncomment this.",
            "    # provides: {" + ", ".join(f"{api}: {_q(v)}" for api, v in features.items()) + "}",
        ]
        notes.append(
            f"features list API versions ({listed}); they may be stale: check them against the "
            "OpenAPI documents before uncommenting `provides`"
        )
    required = _merged([d for d in dependencies if not d.optional and d.group != "hardware"])
    needed = frozenset(d.component for d in required)
    optional = _merged([d for d in dependencies if d.optional and d.group != "hardware"], needed)
    hardware = [d for d in dependencies if d.group == "hardware"]
    if required or optional:
        out.append("    requires:" if required else "    # requires:")
        for dep in required:
            out.append(
                f"      {dep.component}: {_q(dep.specifier)}  # dependsOn.{dep.group}: "
                + _comment(dep.name)
            )
        for dep in optional:
            where = f"optional in dependsOn.{dep.group}: {_comment(dep.name)}"
            out.append(f"      # {dep.component}: {_q(dep.specifier)}  # {where}")
        if optional:
            notes.append(
                "optional dependencies are commented out: "
                + ", ".join(d.component for d in optional)
            )
    for dep in hardware:
        out.append(
            f"    # hardware: {_comment(dep.name)} {dep.specifier} "
            "(dependsOn.hardware; not modelled)"
        )
    if required:
        notes.append(
            "requires names components by their slugged publiccode name ("
            + ", ".join(d.component for d in required)
            + "); they must exist in the manifests"
        )
    return Skeleton(component, "\n".join(out) + "\n", tuple(notes))
