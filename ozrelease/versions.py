"""The only home of version rules: PEP 440 versions and specifier sets, via `packaging`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from packaging.version import InvalidVersion, Version

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

__all__ = [
    "InvalidVersion",
    "Range",
    "Version",
    "allows",
    "allows_any",
    "describe_specifier",
    "newest",
    "parse_range",
    "parse_specifier",
    "parse_version",
    "tag_version",
]


@lru_cache(maxsize=1)
def _any() -> SpecifierSet:
    """The set that allows every version. (`packaging.specifiers` is imported where a
    specifier is first read: reading git history needs versions only, and that import is a
    good part of a short `changelog generate`'s start-up.)"""
    from packaging.specifiers import SpecifierSet

    return SpecifierSet("")


# Things people write that are not PEP 440, and what to write instead.
_BARE_VERSION = re.compile(r"^\s*v?\d+(\.\d+)*\s*$")
_X_RANGE = re.compile(r"^\s*v?(\d+(?:\.\d+)*)\.[xX*]\s*$")


# No release numbers a version that long; and past 4,300 digits Python's `int()` and `str()`
# refuse the number, so `packaging` would fail on it in the middle of a comparison. Refused
# when a version or specifier is read, so that `validate` refuses what `plan` cannot use.
MAX_DIGITS = 64
MAX_LENGTH = 1000  # a version; a specifier may list many (`!=1.0.1,!=1.0.2,...`): ten times
_LONG_NUMBER = re.compile(rf"(?<!\d)\d{{{MAX_DIGITS + 1},}}")


def _refuse_long(text: str, what: str, limit: int = MAX_LENGTH) -> None:
    if len(text) > limit:
        raise ValueError(
            f"{_clip(text)} is not a valid {what}: {len(text):,} characters long "
            f"(at most {limit:,})"
        )
    if match := _LONG_NUMBER.search(text):
        digits = len(match.group(0))
        raise ValueError(
            f"{_clip(text)} is not a valid {what}: a number of {digits:,} digits "
            f"(at most {MAX_DIGITS})"
        )


def _clip(text: str) -> str:
    shown = repr(text)
    return shown if len(shown) <= 60 else shown[:28] + "…" + shown[-28:]


@lru_cache(maxsize=65536)
def parse_version(text: str) -> Version:
    """A PEP 440 version; a leading `v` is accepted. Raises ValueError with a hint."""
    _refuse_long(text, "version")
    try:
        return Version(text)
    except InvalidVersion:
        raise ValueError(
            f"{text!r} is not a valid version (PEP 440, e.g. 1.30.0, 2.0.0rc1 or v1.2)"
        ) from None


# A release namespace before the version: `release/0.4.0`, `releases/v2.1`, `release-1.2.3`.
# A name before it is another package's tag (`zgw-consumers-1.1.0` in Open Zaak), not a
# version of the repository.
_RELEASE_NAMESPACE = re.compile(r"(?i)(?:release|releases|rel|version)[/-](v?\d[^/]*)")


def tag_version(name: str) -> Version | None:
    """The version a tag name stands for: the name itself (`1.2.3`, `v1.2.3`), or what
    follows a release namespace (`release/1.2.3`); None for any other tag."""
    match = _RELEASE_NAMESPACE.fullmatch(name)
    for text in (name, match.group(1) if match else None):
        if text is not None:
            try:
                return parse_version(text)
            except ValueError:
                pass
    return None


@lru_cache(maxsize=65536)
def parse_specifier(text: str) -> SpecifierSet:
    """A PEP 440 specifier set such as `>=1.27,<2`; `*` or an empty string allow anything."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    stripped = text.strip()
    if stripped in ("", "*"):
        return _any()
    _refuse_long(stripped, "version specifier", 10 * MAX_LENGTH)
    try:
        return SpecifierSet(stripped)
    except InvalidSpecifier:
        hint = ""
        if _BARE_VERSION.match(stripped):
            hint = f"; for exactly that version write '=={stripped.lstrip('v')}'"
            hint += f", for that series '=={stripped.lstrip('v')}.*'"
        elif m := _X_RANGE.match(stripped):
            hint = f"; write '=={m.group(1)}.*'"
        raise ValueError(
            f"{text!r} is not a valid version specifier (PEP 440, e.g. '>=1.27,<2'){hint}"
        ) from None


def allows(spec: SpecifierSet, version: Version) -> bool:
    """Whether `version` is inside `spec`. Pre-releases count: a manifest that lists a
    pre-release means it can be deployed, and `<2` still excludes 2.0.0rc1 (PEP 440)."""
    return spec.contains(version, prereleases=True)


def newest(versions: Iterable[Version], *, include_prereleases: bool = False) -> Version | None:
    """The newest final release (or pre-release too, when asked) of `versions`."""
    candidates = [v for v in versions if include_prereleases or not v.is_prerelease]
    return max(candidates) if candidates else None


def describe_specifier(spec: SpecifierSet) -> str:
    """A specifier as people read it: `>=1.27,<2`, or `any version`."""
    text = str(spec)
    return text if text else "any version"


@dataclass(frozen=True, eq=False)
class Range:
    """A specifier set together with the text it was written as (`>=1.27,<2`), which is
    what messages quote; `packaging` would print it reordered. Equal and hashed by its
    text (cheap; a SpecifierSet hashes its parts every time)."""

    text: str
    spec: SpecifierSet

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Range) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def allows(self, version: Version) -> bool:
        return allows(self.spec, version)

    def __str__(self) -> str:
        return self.text.strip() if self.text.strip() not in ("", "*") else "any version"


@lru_cache(maxsize=65536)
def parse_range(text: str) -> Range:
    """`parse_specifier`, keeping the text as written."""
    return Range(text.strip(), parse_specifier(text))


@lru_cache(maxsize=65536)
def allows_any(wanted: Range, versions: tuple[Version, ...]) -> bool:
    """Some of `versions` is inside `wanted` (memoised: compatibility tables ask the same
    question for every pair of releases that repeat the same need and the same API)."""
    return any(wanted.allows(v) for v in versions)
