"""One manifest document read value by value, each problem reported at its key or value."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from ozrelease.ecosystem.model import KeyPath, Where
from ozrelease.ecosystem.source import Report, Source, did_you_mean, field_text, type_name
from ozrelease.versions import Range, Version, parse_range, parse_version

NAME_RE = re.compile(r"[a-z0-9][a-z0-9-]*\Z")
KEY_RE = re.compile(r"[a-z0-9][a-z0-9-]*(@[a-z0-9][a-z0-9-]*)?\Z")
NAME_RULE = "lower-case letters, digits and '-', starting with a letter or digit"

# --------------------------------------------------------------------------- documents


class Doc:
    """Reads one document, reporting each problem at its key or value."""

    def __init__(self, source: Source, index: int, report: Report, label: str):
        self.source = source
        self.index = index
        self.report = report
        self.label = label  # "component open-zaak", used as the message prefix
        # parsed values of mappings repeated from release to release (see _memo_key); a
        # problem in one is reported where it first appears
        self.memo: dict[tuple[str, Any], Any] = {}

    def where(self, path: KeyPath = ()) -> Where:
        return Where(self.source.display, self.index, path, self.source)

    def error(self, path: KeyPath, message: str, *, value: bool = False) -> None:
        prefix = f"{self.label}: " if self.label else ""
        self.report.add(self.where(path), f"{prefix}{message}", value=value)

    def warn(self, path: KeyPath, message: str) -> None:
        prefix = f"{self.label}: " if self.label else ""
        self.report.warn(self.where(path), f"warning: {prefix}{message}")

    # -- shapes

    def mapping(self, value: Any, path: KeyPath, what: str) -> dict[str, Any] | None:
        if type(value) is dict:
            if all(type(key) is str for key in value):
                return value  # the common case, checked without copying
            for key in value:
                if not isinstance(key, str):
                    self.error(path, f"{field_text(path) or what}: key {key!r} must be text")
            return {k: v for k, v in value.items() if isinstance(k, str)}
        self.error(
            path,
            f"{field_text(path) or what}: expected a mapping, found {type_name(value)}",
            value=True,
        )
        return None

    def keys(
        self, mapping: Mapping[str, Any], path: KeyPath, allowed: frozenset[str], what: str
    ) -> None:
        if allowed.issuperset(mapping):
            return
        # (YAML keys need not be strings: `: x` has the key None, `1: x` the key 1.)
        for key in sorted(mapping.keys() - allowed, key=lambda k: (not isinstance(k, str), str(k))):
            hint = did_you_mean(key, allowed) if isinstance(key, str) else ""
            self.error(path + (key,), f"unknown key {key!r} in {what}{hint}")

    def text(
        self, mapping: Mapping[str, Any], key: str, path: KeyPath, *, required: bool = False
    ) -> str | None:
        if key not in mapping:
            if required:
                self.error(path, f"{field_text(path) or 'document'}: missing required key {key!r}")
            return None
        value = mapping[key]
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return self.literal(value, path + (key,))
        self.error(
            path + (key,),
            f"{field_text(path + (key,))}: expected text, found {type_name(value)}",
            value=True,
        )
        return None

    def literal(self, value: int | float, path: KeyPath) -> str:
        """A number as it was written: `1.30` stays `1.30`, not the float 1.3, and `0o17`
        stays `0o17` (which is then refused), not 15."""
        if isinstance(value, float) or self.source.numbers_may_differ():
            raw = self.source.raw_scalar(self.index, path)
            if raw is not None:
                return raw
        return str(value)

    def version(self, value: Any, path: KeyPath) -> tuple[Version, str] | None:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.error(
                path,
                f"{field_text(path)}: expected a version, found {type_name(value)}",
                value=True,
            )
            return None
        text = value if isinstance(value, str) else self.literal(value, path)
        try:
            return parse_version(text.strip()), text.strip()
        except ValueError as exc:
            self.error(path, f"{field_text(path)}: {exc}", value=True)
            return None

    def range(self, value: Any, path: KeyPath) -> Range | None:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.error(
                path,
                f"{field_text(path)}: expected a version specifier such as '>=1.2,<2', "
                f"found {type_name(value)}",
                value=True,
            )
            return None
        text = value if isinstance(value, str) else self.literal(value, path)
        try:
            return parse_range(text)
        except ValueError as exc:
            self.error(path, f"{field_text(path)}: {exc}", value=True)
            return None

    def date(self, value: Any, path: KeyPath) -> dt.date | None:
        if isinstance(value, dt.datetime):
            self.error(
                path,
                f"{field_text(path)}: expected a date (YYYY-MM-DD), found a date and time",
                value=True,
            )
            return None
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.error(
            path, f"{field_text(path)}: expected a date (YYYY-MM-DD), found {value!r}", value=True
        )
        return None

    def boolean(self, value: Any, path: KeyPath) -> bool | None:
        if isinstance(value, bool):
            return value
        self.error(path, f"{field_text(path)}: expected true or false, found {value!r}", value=True)
        return None

    def name(self, value: Any, path: KeyPath, what: str, *, instance: bool = False) -> str | None:
        pattern = KEY_RE if instance else NAME_RE
        if isinstance(value, str) and pattern.match(value):
            return value
        rule = NAME_RULE + (" (optionally @INSTANCE)" if instance else "")
        self.error(
            path,
            f"{field_text(path) or what}: {value!r} is not a valid {what} name ({rule})",
            value=True,
        )
        return None
