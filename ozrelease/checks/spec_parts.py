"""Versions of one YAML (or JSON) API document loaded part by part: each distinct part parsed
once, and the parts two versions have in common shared between them (the same objects)."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml_rs

from ozrelease.checks.openapi import load_document

# A commit changes a few of a document's parts (an operation, a schema) and leaves the other
# thousands of lines as they were. The text is cut at its block mappings' entries, down to
# three levels (`paths` > `/zaken/{uuid}` > `get`, `components` > `schemas` > `Zaak`), and
# each entry's text is parsed alone, as an indented YAML document of one key; an entry whose
# text was parsed before (in this version or an earlier one) is not parsed again, and its
# value is the very object the earlier version holds. So a version costs the parse of what
# changed, and comparing two versions (`a is b`) skips what did not.
#
# The cut follows YAML's rule that every line of an entry's value is indented deeper than
# the entry's key (a block sequence may start at the key's column: `servers:\n- url: ...`).
# Anything this reading does not vouch for is parsed whole, as before: document markers and
# directives, tabs or carriage returns, a first line not at column 0, an entry that does not
# parse alone as one key (an alias to an anchor in another part, a multi-line flow value).
# JSON documents are cut by their lines too (`_json`, below).

_DEPTH = 3
_DEEPEST = 16  # (child indentation beyond this: the entry is parsed whole)
# Lines are found by the newline before them (a pattern that starts with `\n` and spaces is
# searched for as that literal, where `^` in MULTILINE mode is tried at every character).
_CONTENT = re.compile(r"\n( *+)(?=[^ \n#])")
"""A line with content (not blank, not only a comment); group 1 its indentation."""
_MARKERS = re.compile(r"\n(?:---|\.\.\.|%)")
_TAB_INDENT = re.compile(r"\n *+\t")


def _unsure(text: str) -> bool:
    """Document markers, directives, tabs in an indentation (the tabs looked for only in a
    text that has one: a pattern tried at every line's indentation costs a millisecond per
    megabyte)."""
    return _MARKERS.search(text) is not None or (
        "\t" in text and _TAB_INDENT.search(text) is not None
    )


_BARE_KEY = re.compile(
    r"(?:[A-Za-z0-9_/.$]|-(?! ))[^\n:#]*:[ ]*|'[^'\n]*':[ ]*|\"[^\"\\\n]*\":[ ]*"
)
"""`key:` with nothing after it: a nested block follows (a plain or quoted key)."""
_YAML_OPTIONS: dict[str, Any] = {
    "parse_datetime": False,
    "duplicate_key_policy": yaml_rs.DuplicateKeyPolicy.LastWins,
}


class _Unsure(Exception):
    """This text is not cut into parts: parse it whole."""


class PartLoader:
    """Loads versions of YAML (and JSON) API documents; parts of the last `keep` versions
    stay parsed, so memory follows the documents, not the range."""

    def __init__(self, keep: int = 8) -> None:
        self.keep = keep
        self.generation = 0
        self.parts: dict[str, tuple[dict[Any, Any], int]] = {}
        self.json_parts: dict[str, tuple[dict[Any, Any], int]] = {}
        self.at: dict[int, re.Pattern[str]] = {}
        self.upto: dict[int, re.Pattern[str]] = {}

    def load(self, text: str, name: str) -> dict[str, Any]:
        """`load_document(text, name)`, the same mapping (equal, key order included)."""
        text = "\n" + text  # (every line has a newline before it; positions count from it)
        if name.endswith(".json"):
            return self._json(text, name)
        if "\r" in text or _unsure(text):
            return load_document(text[1:], name)
        self.generation += 1
        try:
            first = _CONTENT.search(text)
            if first is None or first.group(1):
                raise _Unsure
            document = self._mapping(text, first.start(), len(text), 0, 0)
        except _Unsure:
            return load_document(text[1:], name)
        finally:
            self._forget()
        return document

    def _forget(self) -> None:
        if self.generation % self.keep:
            return
        oldest = self.generation - self.keep
        self.parts = {k: v for k, v in self.parts.items() if v[1] > oldest}
        self.json_parts = {k: v for k, v in self.json_parts.items() if v[1] > oldest}

    # -- JSON ------------------------------------------------------------------------------
    # A JSON text written with one member per line (`json.dumps(..., indent=4)`, drf-yasg's
    # swagger2.0.json) is cut the same way: JSON strings hold no newline, so an object's
    # members are its lines at one indentation that start with a key's quote; each member's
    # text is parsed alone (`{` + member + `}`), and an object-valued one down to three
    # levels is cut further. Whatever does not parse alone, or is laid out otherwise, makes
    # the whole text parsed at once.

    def _json(self, text: str, name: str) -> dict[str, Any]:
        self.generation += 1
        try:
            body = text.rstrip(" \n")
            if (
                "\r" in text
                or "\t" in text
                or not text.startswith("\n{\n")
                or not body.endswith("\n}")
            ):
                raise _Unsure
            return self._json_object(text, 2, len(body) - 2, 0)
        except _Unsure:
            return load_document(text[1:], name)
        finally:
            self._forget()

    def _json_object(self, text: str, start: int, end: int, depth: int) -> dict[Any, Any]:
        """The members of an object in text[start:end]: from the newline before its first
        member to the newline before its closing brace."""
        indent = _indentation(text, start + 1)
        if not indent or indent >= _DEEPEST or text[start + 1 + indent : start + 2 + indent] != '"':
            raise _Unsure
        pattern = self.at.get(-indent)
        if pattern is None:
            pattern = self.at[-indent] = re.compile(rf'\n {{{indent}}}"')
        starts = [m.start() for m in pattern.finditer(text, start, end)]
        out: dict[Any, Any] = {}
        for n, (a, b) in enumerate(zip(starts, [*starts[1:], end], strict=True)):
            piece = text[a + 1 : b].rstrip(" \n")
            if (n < len(starts) - 1) != piece.endswith(","):
                raise _Unsure  # (a comma between members, none after the last)
            piece = piece.removesuffix(",")
            value = None
            line_end = text.find("\n", a + 1, b)
            if depth < _DEPTH - 1 and line_end > 0 and piece.endswith("\n" + " " * indent + "}"):
                key = _JSON_KEY_LINE.fullmatch(text, a + 1 + indent, line_end)
                if key is not None:
                    try:
                        value = self._json_object(
                            text, line_end, a + 1 + piece.rfind("\n"), depth + 1
                        )
                    except _Unsure:
                        value = None
                    if value is not None:
                        out[json.loads(key.group(1))] = value
            if value is None:
                out.update(self._json_part(piece))
        return out

    def _json_part(self, piece: str) -> dict[Any, Any]:
        kept = self.json_parts.get(piece)
        if kept is None:
            try:
                parsed = json.loads("{" + piece + "}")
            except (ValueError, RecursionError):
                raise _Unsure from None
            kept = (parsed, self.generation)
        self.json_parts[piece] = (kept[0], self.generation)
        return kept[0]

    def _exactly(self, indent: int) -> re.Pattern[str]:
        """Lines with content that start at column `indent` (found by their newline)."""
        pattern = self.at.get(indent)
        if pattern is None:
            pattern = self.at[indent] = re.compile(rf"\n {{{indent}}}(?=[^ \n#])")
        return pattern

    def _mapping(
        self,
        text: str,
        start: int,
        end: int,
        indent: int,
        depth: int,
        lines: list[int] | None = None,
    ) -> dict[Any, Any]:
        """The block mapping whose entries start at column `indent` in text[start:end] (each
        position is that of the newline before a line; `lines`: those of its lines with content
        at that column, when known)."""
        if lines is None:
            lines = [m.start() for m in self._exactly(indent).finditer(text, start, end)]
        starts = [a for a in lines if not _sequence_item(text, a + 1 + indent)]
        if not starts or starts[0] != start:
            raise _Unsure
        if any(text[a + 1 + indent] in "?:" for a in starts):
            raise _Unsure  # (an explicit `? key` and its `: value` are one entry)
        out: dict[Any, Any] = {}
        for a, b in zip(starts, [*starts[1:], end], strict=True):
            line_end = text.find("\n", a + 1, b)
            line_end = b if line_end < 0 else line_end
            value = None
            if depth < _DEPTH - 1 and _BARE_KEY.fullmatch(text, a + 1 + indent, line_end):
                value = self._nested(text, line_end, b, indent, depth)
            if value is None:
                out.update(self._part(text[a + 1 : b]))
            else:
                out[self._key(text[a + 1 : line_end])] = value
        return out

    def _nested(
        self, text: str, start: int, end: int, indent: int, depth: int
    ) -> dict[Any, Any] | None:
        """The value of a `key:` line, when it is a block mapping that can be cut further."""
        first = _CONTENT.search(text, start, end)
        if first is None:
            return None
        inner = len(first.group(1))
        if inner <= indent or inner > _DEEPEST or _sequence_item(text, first.end()):
            return None
        # Its lines with content at `inner` columns or fewer, found in one pass: none may be
        # shallower than the first.
        upto = self.upto.get(inner)
        if upto is None:
            upto = self.upto[inner] = re.compile(rf"\n( {{0,{inner}}}+)(?=[^ \n#])")
        lines = []
        for match in upto.finditer(text, first.start(), end):
            if match.end() - match.start() <= inner:
                return None
            lines.append(match.start())
        return self._mapping(text, first.start(), end, inner, depth + 1, lines)

    def _part(self, chunk: str) -> dict[Any, Any]:
        """One entry's text parsed alone: {key: value}, the same objects as the last time."""
        kept = self.parts.get(chunk)
        if kept is None:
            try:
                parsed = yaml_rs.loads(chunk, **_YAML_OPTIONS)
            except (ValueError, yaml_rs.YAMLDecodeError, RecursionError):
                raise _Unsure from None
            if not isinstance(parsed, dict) or len(parsed) != 1:
                raise _Unsure
            kept = (parsed, self.generation)
        self.parts[chunk] = (kept[0], self.generation)
        return kept[0]

    def _key(self, line: str) -> Any:
        return next(iter(self._part(line)))


_JSON_KEY_LINE = re.compile(r'("(?:[^"\\\n]|\\.)*") *: *\{ *')
"""`"key": {` alone on its line: an object-valued member."""


def _indentation(text: str, at: int) -> int:
    """How many spaces the line starting at `at` begins with."""
    n = 0
    while text.startswith(" ", at + n):
        n += 1
    return n


def _sequence_item(text: str, at: int) -> bool:
    """Whether the content at `at` is a block sequence's item (`- x`, or `-` alone)."""
    return text.startswith("-", at) and text[at + 1 : at + 2] in (" ", "\n", "")
