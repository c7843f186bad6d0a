"""Manifest files as text and YAML: finding them, reading them, parsing them, and the line
of any key or value (found lazily, only when a problem must be located).

Values come from yaml-rs (fast, YAML 1.2, bounded alias expansion and nesting); lines come
from PyYAML's composer, run on a file only when one of its problems must be located.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
import yaml_rs

from ozrelease.ecosystem.model import KeyPath, Where
from ozrelease.errors import InputError, Problem

MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_FILES = 10_000
ALIAS_LIMITS = yaml_rs.AliasLimits(max_total_replayed_events=200_000)
SENTINEL = "__ozrelease_end_of_file__"

# --------------------------------------------------------------------------- sources


class Source:
    """One manifest file: its text, and where its keys and values stand (found lazily)."""

    def __init__(self, display: str, text: str):
        self.display = display
        self.text = text
        self._nodes: list[yaml.Node] | None = None

    def _documents(self) -> list[yaml.Node]:
        if self._nodes is None:
            try:
                loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
                # yaml-rs gives None for an empty document and we skip those; so do we here.
                self._nodes = [
                    n
                    for n in yaml.compose_all(self.text, Loader=loader)
                    if not (isinstance(n, yaml.ScalarNode) and n.tag.endswith(":null"))
                ]
            except yaml.YAMLError:
                self._nodes = []  # yaml-rs accepted what PyYAML (YAML 1.1) does not
        return self._nodes

    def node(self, doc: int, path: KeyPath, *, value: bool = True) -> yaml.Node | None:
        """The node at `path` in document `doc`: the value, or the key when `value` is false."""
        docs = self._documents()
        if doc >= len(docs):
            return None
        node: yaml.Node = docs[doc]
        key_node: yaml.Node | None = None
        for step in path:
            key_node = None
            if isinstance(node, yaml.MappingNode):
                found = None
                for k, v in node.value:
                    if isinstance(k, yaml.ScalarNode) and k.value == str(step):
                        found = (k, v)  # the last one wins, as for a duplicate key
                if found is None:
                    return node  # the nearest enclosing node
                key_node, node = found
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
                if step >= len(node.value):
                    return node
                node = node.value[step]
            else:
                return node
        if not value and key_node is not None:
            return key_node
        return node

    def line(self, doc: int, path: KeyPath, *, value: bool = False) -> int | None:
        node = self.node(doc, path, value=value)
        return node.start_mark.line + 1 if node is not None else None

    def raw_scalar(self, doc: int, path: KeyPath) -> str | None:
        """The literal text of a scalar, e.g. `1.30` that YAML read as the float 1.3."""
        node = self.node(doc, path)
        if isinstance(node, yaml.ScalarNode):
            return str(node.value)
        return None

    def duplicate_key_line(self) -> int | None:
        """The line of the first repeated key in a mapping (yaml-rs does not say where)."""
        stack = list(self._documents())
        seen_nodes: set[int] = set()
        found: list[int] = []
        while stack:
            node = stack.pop()
            if id(node) in seen_nodes:
                continue
            seen_nodes.add(id(node))
            if isinstance(node, yaml.MappingNode):
                keys: set[str] = set()
                for k, v in node.value:
                    if isinstance(k, yaml.ScalarNode):
                        if k.value in keys:
                            found.append(k.start_mark.line + 1)
                        keys.add(k.value)
                    stack.append(v)
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)
        return min(found) if found else None


# --------------------------------------------------------------------------- problems


@dataclass
class Report:
    """Problems collected while reading; each knows where it stands."""

    items: list[tuple[Where, str, bool]] = field(default_factory=list)

    def add(self, where: Where, message: str, *, value: bool = False) -> None:
        self.items.append((where, message, value))

    def problems(self) -> list[Problem]:
        result = []
        for where, message, value in self.items:
            line = (
                where.locator.line(where.doc, where.path, value=value)
                if where.locator is not None
                else None
            )
            result.append(Problem(where.file, line, message))
        return result


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


_PLAIN_KEY = re.compile(r"[\w@-]+")


def field_text(path: KeyPath) -> str:
    """`releases[3].consumes.zaken`; a key with unusual characters is quoted."""
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
            continue
        shown = step if _PLAIN_KEY.fullmatch(step) else repr(step)
        text += f".{shown}" if text else shown
    return text


def type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, dt.date):
        return "a date"
    return "text"


# --------------------------------------------------------------------------- files


def find_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise InputError(f"no manifests here: {root} is neither a directory nor a YAML file")
    found = sorted(
        p
        for p in root.rglob("*")
        if p.suffix in (".yaml", ".yml")
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    if len(found) > MAX_FILES:
        raise InputError(f"{root}: {len(found)} YAML files; more than {MAX_FILES} is refused")
    return found


def read_text(path: Path, display: str, report: Report) -> str | None:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            report.add(
                Where(display, 0, ()),
                f"file is {size / 2**20:.0f} MiB; manifests larger "
                f"than {MAX_FILE_BYTES // 2**20} MiB are refused",
            )
            return None
        data = path.read_bytes()
    except OSError as exc:
        report.add(Where(display), f"cannot read: {exc.strerror}")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        report.items.append(
            (
                Where(display, 0, (), FixedLine(line)),
                f"not valid UTF-8: byte 0x{data[exc.start]:02x} at column {column} "
                "(save the file as UTF-8)",
                False,
            )
        )
        return None


@dataclass(frozen=True)
class FixedLine:
    """A locator for problems found before YAML parsing, whose line is already known."""

    fixed: int | None

    def line(self, doc: int, path: KeyPath, *, value: bool = False) -> int | None:
        return self.fixed


_ERROR_AT = re.compile(r"at line (\d+), column (\d+)")


def parse(source: Source, report: Report) -> list[Any] | None:
    try:
        docs: Any = yaml_rs.loads(
            source.text + f"\n---\n{SENTINEL}\n",
            parse_datetime=True,
            alias_limits=ALIAS_LIMITS,
        )
    except yaml_rs.YAMLDecodeError as exc:
        report.items.append(_syntax_problem(source, str(exc)))
        return None
    except (RecursionError, MemoryError, OverflowError, ValueError) as exc:
        report.add(Where(source.display), f"cannot parse: {exc.__class__.__name__}")
        return None
    if not isinstance(docs, list) or not docs or docs[-1] != SENTINEL:
        last = source.text.count("\n") + 1
        report.items.append(
            (
                Where(source.display, 0, (), FixedLine(last)),
                "YAML syntax error: unexpected end of file (an unclosed quote or bracket?)",
                False,
            )
        )
        return None
    return list(docs[:-1])


def _syntax_problem(source: Source, text: str) -> tuple[Where, str, bool]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    last_line = source.text.count("\n") + 1
    if match := _ERROR_AT.search(text):
        line, column = int(match.group(1)), int(match.group(2))
        reason = lines[-1] if len(lines) > 1 else text
        reason = reason.lstrip("| ^").strip() or lines[0]
        if line > last_line:
            return (
                Where(source.display, 0, (), FixedLine(last_line)),
                f"YAML syntax error: {reason} (at the end of the file)",
                False,
            )
        return (
            Where(source.display, 0, (), FixedLine(line)),
            f"YAML syntax error: {reason} (column {column})",
            False,
        )
    if "duplicate" in text:
        return (
            Where(source.display, 0, (), FixedLine(source.duplicate_key_line())),
            f"YAML error: {lines[0] if lines else text} (a key may appear once per mapping)",
            False,
        )
    if "alias" in text or "replay" in text:
        return (
            Where(source.display),
            f"YAML aliases expand too far ({lines[0]}); "
            "anchors and aliases are allowed, alias bombs are not",
            False,
        )
    return (Where(source.display), f"YAML error: {lines[0] if lines else text}", False)


def display_name(path: Path, root: Path, given: Path | None) -> str:
    if given is None:
        return str(path)
    if root.is_file():
        return str(given)
    return str(given / path.relative_to(root))
