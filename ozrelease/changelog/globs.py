"""Path globs where `*` stays inside a folder and `**` spans folders."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["Globs", "translate"]


def translate(pattern: str, *, classes: bool = True) -> str:
    """A path glob as a regular expression, not anchored: `**/` is any number of folders
    (none too), `**` anything, `*` anything inside one folder, `?` one character but `/`,
    `[0-9]` a class (`[!0-9]` its complement). With `classes=False`, `[` is a character
    like any other (how `changelog generate` has always read its internal paths)."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif classes and pattern[i] == "[" and "]" in pattern[i + 1 :]:
            end = pattern.index("]", i + 1)
            body = pattern[i + 1 : end].replace("\\", "\\\\")
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append(f"[{body}]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


class Globs:
    """Matches paths against globs; a glob starting with `!` takes paths out again."""

    def __init__(self, patterns: Iterable[str]) -> None:
        take = [translate(p) for p in patterns if not p.startswith("!")]
        drop = [translate(p[1:]) for p in patterns if p.startswith("!")]
        self._take = _any_of(take)
        self._drop = _any_of(drop)

    def __call__(self, path: str) -> bool:
        return bool(self._take.match(path)) and not self._drop.match(path)


def _any_of(regexes: list[str]) -> re.Pattern[str]:
    # Each glob anchored on its own: `a|b\Z` would anchor only the last alternative.
    if not regexes:
        return re.compile(r"(?!)")
    return re.compile("|".join(f"(?:{p})\\Z" for p in regexes))
