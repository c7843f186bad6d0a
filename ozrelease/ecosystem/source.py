"""Manifest files as text and YAML: finding them, reading them, parsing them, and the line
of any key or value (found lazily, only when a problem must be located).

Values come from yaml-rs (fast, YAML 1.2, bounded alias expansion and nesting); lines come
from PyYAML's composer, run on a file only when one of its problems must be located.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
import yaml_rs

from ozrelease.ecosystem.model import KeyPath, Where
from ozrelease.errors import InputError, Problem
from ozrelease.inputs import MAX_INT_DIGITS, huge_number, read_bytes

MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_FILES = 10_000
ALIAS_LIMITS = yaml_rs.AliasLimits(max_total_replayed_events=200_000)
SENTINEL = "__ozrelease_end_of_file__"

# An integer YAML reads in another base, or with separators, a sign or leading zeros.
_ODD_NUMBER = re.compile(r"(?:(?<=[\s\[{,:])|^)[-+]?(0[oObBxX]|\d[\d_]*_\d|0\d|\+\d)", re.M)

# --------------------------------------------------------------------------- sources


class Source:
    """One manifest file: its text, and where its keys and values stand (found lazily)."""

    def __init__(self, display: str, text: str):
        self.display = display
        self.text = text
        self._nodes: list[yaml.Node] | None = None
        # a mapping node's keys, indexed once: locating many problems in one large mapping
        # stays linear (a scan per problem took 40,000 keys 234 s)
        self._keys: dict[int, dict[str, tuple[yaml.Node, yaml.Node]]] = {}
        self._odd_numbers: bool | None = None

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
                found = self._index(node).get(str(step))
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

    def _index(self, node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        index = self._keys.get(id(node))
        if index is None:
            index = {}
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    index[k.value] = (k, v)  # the last one wins, as for a duplicate key
            self._keys[id(node)] = index
        return index

    def numbers_may_differ(self) -> bool:
        """Whether an integer in this file may have been written otherwise than Python prints
        it (`0o17`, `0x1F`, `1_000`, `015`, `+12`), so that its literal text must be read."""
        if self._odd_numbers is None:
            self._odd_numbers = _ODD_NUMBER.search(self.text) is not None
        return self._odd_numbers

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
    warning_items: list[tuple[Where, str, bool]] = field(default_factory=list)

    def add(self, where: Where, message: str, *, value: bool = False) -> None:
        self.items.append((where, message, value))

    def warn(self, where: Where, message: str, *, value: bool = False) -> None:
        """Something likely wrong that is not an error (an undeclared API close to a
        declared one): said on stderr, never a reason to refuse."""
        self.warning_items.append((where, message, value))

    def problems(self) -> list[Problem]:
        return self._located(self.items)

    def warnings(self) -> list[Problem]:
        return self._located(self.warning_items)

    @staticmethod
    def _located(items: list[tuple[Where, str, bool]]) -> list[Problem]:
        result = []
        for where, message, value in items:
            line = (
                where.locator.line(where.doc, where.path, value=value)
                if where.locator is not None
                else None
            )
            result.append(Problem(where.file, line, message))
        return result


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """` (did you mean 'zaken'?)` when a choice is a likely typo of `word`, else ``."""
    close = closest(word, choices)
    return f" (did you mean {close!r}?)" if close is not None else ""


def closest(word: str, choices: Iterable[str], *, most: int = 3) -> str | None:
    """The choice nearest `word` when it is a typo away: at most one edit (a letter added,
    dropped, changed, or two swapped) for short names, two up to 8 letters, three beyond
    (or `most`); case is free. `open-klant` is not offered for `open-zaak` (four edits)."""
    allowed = min(most, 1 if len(word) <= 4 else 2 if len(word) <= 8 else 3)
    best: tuple[int, str] | None = None
    for choice in sorted(set(choices)):
        if choice == word:
            continue
        distance = _edits(word.lower(), choice.lower(), allowed)
        if distance >= max(len(word), len(choice)):
            continue  # nothing in common: `a` is no typo of `c`
        if distance <= allowed and (best is None or distance < best[0]):
            best = (distance, choice)
    return best[1] if best is not None else None


def _edits(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance of `a` and `b`; anything above `limit` is limit+1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


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


def find_files(root: Path, report: Report, shown: Callable[[Path], str]) -> list[Path]:
    """Every `*.yaml`/`*.yml` under `root` (hidden folders skipped), sorted. What cannot be
    read is reported, never skipped in silence: an unreadable folder, a symlink loop, a FIFO
    or device named like a manifest."""
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise InputError(
            f"no manifests here: {escaped(str(root))} is neither a directory nor a YAML file"
        )
    found: list[Path] = []
    seen = {_identity(root)}
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as entries:
                listed = sorted(entries, key=lambda e: e.name)
        except OSError as exc:
            report.add(Where(shown(folder)), f"cannot read this folder: {_reason(exc)}")
            continue
        for entry in listed:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                if entry.is_dir():
                    identity = _identity(path)
                    if identity in seen:
                        report.add(
                            Where(shown(path)), "a symlink loop (this folder is read already)"
                        )
                        continue
                    seen.add(identity)
                    stack.append(path)
                    continue
                if path.suffix not in (".yaml", ".yml"):
                    continue
                if entry.is_file():
                    found.append(path)
                elif entry.is_symlink() and not path.exists():
                    report.add(Where(shown(path)), "a symlink to nothing (a broken link)")
                else:
                    report.add(Where(shown(path)), "not a regular file (a FIFO, socket or device)")
            except OSError as exc:
                report.add(Where(shown(path)), f"cannot read: {_reason(exc)}")
        if len(found) > MAX_FILES:
            raise InputError(
                f"{escaped(str(root))}: more than {MAX_FILES} YAML files; that many is refused"
            )
    return sorted(found)


def _identity(path: Path) -> tuple[int, int]:
    info = path.stat()
    return (info.st_dev, info.st_ino)


def _reason(exc: OSError) -> str:
    return exc.strerror or exc.__class__.__name__


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
        data = read_bytes(path, limit=MAX_FILE_BYTES)  # (a FIFO or a device is refused)
    except InputError as exc:
        report.add(Where(display), exc.message)
        return None
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
    if (huge := huge_number(source.text)) is not None:  # (int() and str() refuse it)
        report.items.append(
            (
                Where(source.display, 0, (), FixedLine(huge[0])),
                f"a number of {huge[1]:,} digits; more than {MAX_INT_DIGITS:,} is refused",
                False,
            )
        )
        return None
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
    if docs == SENTINEL:
        return []  # an empty file, or one of comments only
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
            Where(source.display, 0, (), FixedLine(alias_bomb_line(source.text))),
            f"YAML aliases expand too far ({lines[0]}); "
            "anchors and aliases are allowed, alias bombs are not",
            False,
        )
    return (Where(source.display), f"YAML error: {lines[0] if lines else text}", False)


def display_name(path: Path, root: Path, given: Path | None) -> str:
    """The file as messages name it, relative to the `--manifests` given, on one line."""
    if given is None:
        return escaped(str(path))
    if root.is_file():
        return escaped(str(given))
    return escaped(str(given / path.relative_to(root)))


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escaped(text: str) -> str:
    """`text` with control characters (a newline in a file name, a terminal escape) written
    as `\\n`, `\\x1b`: a message is one line, and a name never drives the terminal."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def alias_bomb_line(text: str) -> int | None:
    """The line of the alias whose expansion passes the alias limit (yaml-rs says only that
    the limit was passed), counting replayed events as yaml-rs does: an alias replays every
    event of the node its anchor names."""
    sizes: dict[str, int] = {}
    open_nodes: list[tuple[str | None, int]] = []  # (anchor, events so far) per collection
    replayed = 0
    limit = ALIAS_LIMITS.max_total_replayed_events
    last: int | None = None

    def add(events: int) -> None:
        if open_nodes:
            anchor, so_far = open_nodes[-1]
            open_nodes[-1] = (anchor, so_far + events)

    try:
        for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if isinstance(event, yaml.AliasEvent):
                size = sizes.get(str(event.anchor), 1)
                replayed += size
                last = event.start_mark.line + 1 if event.start_mark is not None else last
                if replayed > limit:
                    return last
                add(size)
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                open_nodes.append((event.anchor, 1))
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                anchor, events = open_nodes.pop()
                events += 1
                if anchor is not None:
                    sizes[anchor] = events
                add(events)
            elif isinstance(event, yaml.ScalarEvent):
                if event.anchor is not None:
                    sizes[event.anchor] = 1
                add(1)
    except yaml.YAMLError:
        pass
    return last
