"""What a changelog section says: issue ids, advisories, names, words, what it calls breaking."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from ozrelease.changelog.files import DocEntry
from ozrelease.changelog.messages import ADVISORY, find_issue_refs

_ROLE_REF = re.compile(r":(?P<role>[\w.+-]+):`(?:[^`<]*<)?#?(?P<n>\d+)>?`")
_BREAKING_WORDS = re.compile(
    r"\bbreaking\b|\bbreaks?\b|backwards?[- ]incompatib|not backwards?[- ]compatible|"
    r"\bincompatib|\bremoved\b.*\bapi\b|\bupgrade notes?\b",
    re.I,
)


def issue_key(issue: str) -> tuple[str, str]:
    """Issue ids compared loosely: `owner/name#12`, `name#12` (an unknown Sphinx role named
    like the repository) and `12` for this repository."""
    repo, sep, number = issue.rpartition("#")
    if not sep:
        return ("", issue)
    return (repo.rsplit("/", 1)[-1].lower(), number)


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


def _stem(word: str) -> str:
    """One form for the inflections and spellings of a word: `improved`, `improves` and
    `improving` are `improv`; `behaviour` is `behavior`, `optimise` `optimiz`, `cancelled`
    `cancel`, `entries` `entry`."""
    if "-" in word:
        return word
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


def related(a: str, b: str) -> bool:
    """Words that are the same or share a stem of five letters (`config`, `configuration`)."""
    if a == b:
        return True
    return len(a) >= 5 and len(b) >= 5 and a[:5] == b[:5]


def _is_identifier(word: str) -> bool:
    return (len(word) >= 5 and "_" in word.strip("_")) or bool(re.search(r"[a-z][A-Z]", word))


def _words(text: str) -> set[str]:
    """Significant words, stemmed; identifiers (`consumer_timeout`, `CloudEvent`) whole."""
    text = _ROLE_REF.sub(" ", text)
    out = set()
    for match in _WORD.finditer(text):
        word = match.group(0)
        if _is_identifier(word):
            out.add(word)
            continue
        lower = word.lower()
        if len(lower) >= 3 and lower not in _STOPWORDS:
            out.add(_stem(lower))
    return out


class SectionText:
    """What a changelog section says: issue ids, names and words."""

    def __init__(
        self,
        lines: Sequence[str],
        entries: Sequence[DocEntry],
        roles: Mapping[str, str],
        own_repo: str | None,
    ) -> None:
        self.text = "\n".join(lines)
        self.roles = roles
        self.own_repo = own_repo
        self.keys = {issue_key(i) for e in entries for i in e.issues} | self.keys_in(self.text)
        self.advisories = {m.group(0).upper() for m in ADVISORY.finditer(self.text)}
        self.lowered = self.text.lower()
        # Entries and paragraphs (notes, warnings) as word sets, for `matches`.
        blocks = re.split(r"\n\s*\n|\n(?=\s*[*-] )", self.text)
        self.blocks = [(b.strip(), _words(b)) for b in blocks if b.strip()]
        # What the section calls breaking: paragraphs and entries that say so, and the
        # entries under a "Breaking changes" heading.
        self.breaking = [b for b, _ in self.blocks if _BREAKING_WORDS.search(b)] + [
            e.text for e in entries if e.category and _BREAKING_WORDS.search(e.category)
        ]

    def keys_in(self, text: str) -> set[tuple[str, str]]:
        keys = set()
        for match in _ROLE_REF.finditer(text):
            repo = self.roles.get(match.group("role"))
            number = match.group("n")
            if repo is None:
                # No extlinks entry (no docs/conf.py): the role names the repository of that
                # name under the same owner, this one when the names agree.
                role = match.group("role").lower()
                own_name = self.own_repo.rsplit("/", 1)[-1].lower() if self.own_repo else None
                keys.add(("" if role == own_name else role, number))
            elif self.own_repo is not None and repo.lower() == self.own_repo.lower():
                keys.add(("", number))
            else:
                keys.add((repo.rsplit("/", 1)[-1].lower(), number))
        for ref in find_issue_refs(_ROLE_REF.sub(" ", text)):
            keys.add(issue_key(ref.id(self.own_repo)))
        return keys

    def calls_breaking(self, issues: Iterable[str], names: Iterable[str]) -> str | None:
        """The passage that calls one of `issues` (or a change named one of `names`)
        breaking, if there is one."""
        wanted = {issue_key(i) for i in issues}
        words = [n for n in names if len(n) >= 3]
        for block in self.breaking:
            if wanted & self.keys_in(block) or any(
                re.search(rf"(?<![\w]){re.escape(n)}(?![\w])", block) for n in words
            ):
                return " ".join(block.split())[:80]
        return None

    def also_named(self, tracker: str) -> None:
        """Bare numbers in this section also name `tracker`'s issues (tracker.py)."""
        name = tracker.rsplit("/", 1)[-1].lower()
        self.keys |= {(name, number) for repo, number in self.keys if repo == ""}

    def has(self, issue: str) -> bool:
        return issue_key(issue) in self.keys

    def names(self, name: str) -> bool:
        """Whether the section names a package (`django-axes` = `django_axes` = `Django
        axes`)."""
        parts = [re.escape(p) for p in re.split(r"[-_.]+", name.lower()) if p]
        if not parts:
            return False
        pattern = r"(?<![\w-])" + r"[-_.\s]+".join(parts) + r"(?![\w-])"
        return bool(re.search(pattern, self.lowered))

    def names_exactly(self, name: str) -> bool:
        return bool(re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", self.text))

    def matches(self, description: str) -> str | None:
        """The entry or paragraph that says what `description` says (most of its words, at
        least three; all of them, at least two; or an identifier such as `consumer_timeout`
        and another word), if any.
        Identifiers match without case and inside longer ones (`result_expires` in
        `CELERY_RESULT_EXPIRES`)."""
        words = _words(description)
        if len(words) < 2:
            return None
        best: tuple[float, str] | None = None
        for block, block_words in self.blocks:
            shared = words & block_words
            for word in words - shared:
                if _is_identifier(word) and any(
                    word.lower() in other.lower() for other in block_words if _is_identifier(other)
                ):
                    shared.add(word)
            score = len(shared) / len(words)
            strong = any(_is_identifier(w) for w in shared)
            good = (
                (len(shared) >= 3 and score >= 0.6)
                or (len(shared) >= 2 and score == 1.0)
                or (strong and len(shared) >= 2)
            )
            if good and (best is None or score > best[0]):
                best = (score, block)
        return best[1] if best else None
