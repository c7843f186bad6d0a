"""Words that say what a text says, compared loosely: stems for inflections and spellings,
identifiers (`consumer_timeout`, `CloudEvent`) whole. Shared by the changelog check (does a
section say what a commit did) and the generator (which entry announced a fix)."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "from",
        "by",
        "at",
        "as",
        "is",
        "are",
        "be",
        "it",
        "its",
        "this",
        "that",
        "into",
        "when",
        "not",
        "no",
        "now",
        "new",
        "add",
        "added",
        "adds",
        "fix",
        "fixed",
        "fixes",
        "update",
        "updated",
        "updates",
        "use",
        "used",
        "make",
        "made",
        "set",
        "support",
        "allow",
        "allowed",
        "change",
        "changed",
        "changes",
        "improve",
        "improved",
        "remove",
        "removed",
    ]
)
# Identifiers (`consumer_timeout`), hyphenated names (`django-csp`: one word, so that
# "Upgrade django" is not said by an entry about django-csp), plain words.
_WORD = re.compile(
    r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+|[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)+|"
    r"[A-Za-z][A-Za-z0-9]+"
)


def stem(word: str) -> str:
    """One form for the inflections and spellings of a word: `improved`, `improves` and
    `improving` are `improv`; `behaviour` is `behavior`, `optimise` `optimiz`, `cancelled`
    `cancel`, `entries` `entry`."""
    if "-" in word:
        return word
    if word in _SHORT:
        return _SHORT[word]
    if len(word) > 4 and word.endswith(("ies", "ied")):
        word = word[:-3] + "y"
    elif len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith(("ed", "es")):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 4 and word[-1] == word[-2] and word[-1] in "lmnprt":
        word = word[:-1]  # cancelled, stopped
    if len(word) > 5 and word.endswith("our"):
        word = word[:-3] + "or"  # behaviour, colour
    if (
        len(word) > 4
        and word.endswith(("is", "ys"))
        and word[:-2].endswith(("im", "al", "an", "il", "og"))
    ):
        word = word[:-1] + "z"  # optimis(e), analys(e), organis(e)
    return word


# Words written short for a longer one ("add example use to docs": documented).
_SHORT = {"doc": "document", "docs": "document"}


def related(a: str, b: str) -> bool:
    """Words that are the same or share a stem of five letters (`config`, `configuration`)."""
    if a == b:
        return True
    return len(a) >= 5 and len(b) >= 5 and a[:5] == b[:5]


@functools.lru_cache(maxsize=8192)
def is_identifier(word: str) -> bool:
    return (len(word) >= 5 and "_" in word.strip("_")) or bool(re.search(r"[a-z][A-Z]", word))


def significant_words(text: str) -> set[str]:
    """Significant words, stemmed; identifiers (`consumer_timeout`, `CloudEvent`) whole."""
    out = set()
    for match in _WORD.finditer(text):
        word = match.group(0)
        if is_identifier(word):
            out.add(word)
            continue
        lower = word.lower()
        if len(lower) >= 3 and lower not in _STOPWORDS:
            out.add(stem(lower))
    return out


def says_same(
    words: set[str], other: set[str], identifiers: Sequence[str] | None = None
) -> float | None:
    """How much of `words` `other` says (the share of them it has), when it says enough:
    most of them, at least three; all of them, at least two; or an identifier and another
    word. Identifiers match without case and inside longer ones (`result_expires` in
    `CELERY_RESULT_EXPIRES`). None: it does not. `identifiers`: those of `other`, lowered,
    when the caller knows them (a section's entry compared with every commit)."""
    if not words or (len(words) < 2 and not any(_long_identifier(w) for w in words)):
        return None
    shared = words & other
    missing = [word for word in words - shared if is_identifier(word)]
    if missing:
        if identifiers is None:
            identifiers = [o.lower() for o in other if is_identifier(o)]
        for word in missing:
            lower = word.lower()
            if any(lower in o for o in identifiers):
                shared.add(word)
    # An identifier written out in prose (`ConfigurationStep`: "a configuration step") says
    # as much as any other word, not as much as the identifier itself.
    spelled = {w for w in missing if w not in shared and _spelled_out(w, other)}
    shared |= spelled
    # A word inside a hyphenated name (`digid` in `django-digid-eherkenning`) says a little:
    # enough beside two other words, never alone ("Upgrade django" is not `django-csp`).
    parts = _parts(other) if len(words) >= 3 and len(shared) < len(words) else set()
    inside = {w for w in words - shared if w.lower() in parts}
    score = (len(shared) + len(inside)) / len(words)
    strong = any(is_identifier(w) for w in shared - spelled)
    # A long identifier (`indicatieLaatstGezetteStatus`) names one thing: it says enough of a
    # short description ("added indicatieLaatstGezetteStatus filter") alone.
    named = any(_long_identifier(w) for w in shared - spelled) and len(words) <= 3
    good = (
        (len(shared) + len(inside) >= 3 and score >= 0.6 and bool(shared))
        or (len(shared) >= 2 and score == 1.0)
        or (strong and len(shared) >= 2)
        or named
    )
    return score if good else None


def _long_identifier(word: str) -> bool:
    return len(word) >= 16 and is_identifier(word)


def _parts(words: set[str]) -> set[str]:
    """The parts of the hyphenated names among `words`, as written (lowered: identifiers
    compare so) and stemmed."""
    out = set()
    for word in words:
        if "-" in word:
            for part in word.lower().split("-"):
                if len(part) >= 3 and part not in _STOPWORDS:
                    out |= {part, stem(part)}
    return out


def _spelled_out(identifier: str, other: set[str]) -> bool:
    """Whether the words of `identifier` (`consumer_timeout`, `ConfigurationStep`), two or
    more, all stand in `other` as words."""
    parts = re.split(r"_+|(?<=[a-z0-9])(?=[A-Z])", identifier)
    words = {stem(p.lower()) for p in parts if len(p) >= 3 and p.lower() not in _STOPWORDS}
    return len(words) >= 2 and words <= other
