"""What a changelog section says: issue ids, advisories, names, words, what it calls breaking."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from ozrelease.changelog.files import DocEntry
from ozrelease.changelog.messages import ADVISORY, find_issue_refs
from ozrelease.changelog.words import is_identifier, related, says_same, significant_words, stem

_ROLE_REF = re.compile(r":(?P<role>[\w.+-]+):`(?:[^`<]*<)?#?(?P<n>\d+)>?`")
_BREAKING_WORDS = re.compile(
    r"\bbreaking\b|\bbreaks?\b|backwards?[- ]incompatib|not backwards?[- ]compatible|"
    r"\bincompatib|\bremoved\b.*\bapi\b|\bupgrade notes?\b",
    re.I,
)


_DEPENDENCY_CONTEXT = re.compile(
    r"\d+\.\d+|\b(?:(?:upgrad|updat|bump|requir|support|depend|version|compatib|remov|replac|"
    r"switch|install|packag|librar)\w*|(?:add|pin|drop)(?:s|ed|ped|ned|ing|ping|ning)?|extras?)\b",
    re.I,
)


_WORDED_ISSUE = re.compile(r"(?<![\w-])(?:issue|ticket)\s+#?(\d+)\b", re.I)
_OWN_ROLES = frozenset(
    {"pr", "pull", "pulls", "pull-request", "mr", "issue", "issues", "gh", "ghissue", "ghpull"}
)
_WEAK_DEFAULTS = frozenset({"true", "false", "none", "null", "yes", "no", "on", "off"})


def issue_key(issue: str) -> tuple[str, str]:
    """Issue ids compared loosely: `owner/name#12`, `name#12` (an unknown Sphinx role named
    like the repository) and `12` for this repository."""
    repo, sep, number = issue.rpartition("#")
    if not sep:
        return ("", issue)
    return (repo.rsplit("/", 1)[-1].lower(), number)


# A version says which one (`Python 3.12`): a word, beside the name it goes with.
_VERSION_WORD = re.compile(r"(?<![\w.])\d+(?:\.\d+)+(?![\w]|\.\d)")


def _words(text: str) -> set[str]:
    text = _ROLE_REF.sub(" ", text)
    return significant_words(text) | set(_VERSION_WORD.findall(text))


def _singular_too(word: str) -> str:
    """A pattern for a plural word (`extensions`) that also takes its singular."""
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        return f"{word[:-1]}s?"
    return word


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
        self._identifiers = [[w.lower() for w in ws if is_identifier(w)] for _, ws in self.blocks]
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
                # `:pr:` and `:issue:` (no extlinks either) are this repository's.
                role = match.group("role").lower()
                own_name = self.own_repo.rsplit("/", 1)[-1].lower() if self.own_repo else None
                own = role == own_name or role in _OWN_ROLES
                keys.add(("" if own else role, number))
            elif self.own_repo is not None and repo.lower() == self.own_repo.lower():
                keys.add(("", number))
            else:
                keys.add((repo.rsplit("/", 1)[-1].lower(), number))
        for ref in find_issue_refs(_ROLE_REF.sub(" ", text)):
            keys.add(issue_key(ref.id(self.own_repo)))
        # In words, as an RST link's name (zaken-api: "(`Issue 2139`_)"): the number the
        # commits write bare.
        keys.update(("", m.group(1)) for m in _WORDED_ISSUE.finditer(text))
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

    def names_package(self, name: str) -> bool:
        """Whether the section names a package as a dependency: as a literal (``django``),
        or in an entry or paragraph that speaks of versions or of upgrading, requiring,
        supporting, adding or removing it. "Django fields containing choices" names no
        dependency in a Django library's changelog."""
        parts = [re.escape(p) for p in re.split(r"[-_.]+", name.lower()) if p]
        if not parts:
            return False
        # In prose the name's words may stand apart, the last in the singular ("Removed
        # typing extension dependency" names `typing-extensions`).
        prose = [*parts[:-1], _singular_too(parts[-1])] if len(parts) > 1 else parts
        pattern = re.compile(r"(?<![\w-])" + r"[-_.\s]+".join(prose) + r"(?![\w-])", re.I)
        literal = re.compile(r"`+" + r"[-_.]".join(parts) + r"`+", re.I)
        for block, _ in self.blocks:
            if pattern.search(block) and (
                literal.search(block) or _DEPENDENCY_CONTEXT.search(block)
            ):
                return True
        return False

    def tells_default(self, variable: str, default: str) -> bool:
        """Whether an entry or paragraph describes a new variable by what it does by default:
        its default value and two words of its name ("Make sure uWSGI workers restart after
        1000 requests" for `UWSGI_MAX_REQUESTS`, default 1000). Defaults that say little
        (`True`, `0`, `1`, an empty one) do not count."""
        value = default.strip("'\"` ")
        if len(value) < 2 or value.lower() in _WEAK_DEFAULTS:
            return False
        parts = {stem(p) for p in variable.lower().split("_") if len(p) >= 3}
        pattern = re.compile(rf"(?<![\w.]){re.escape(value)}(?![\w.])", re.I)
        for block, words in self.blocks:
            if pattern.search(block):
                lowered = {w.lower() for w in words}
                if sum(1 for p in parts if any(related(p, w) for w in lowered)) >= 2:
                    return True
        return False

    def names_exactly(self, name: str) -> bool:
        return bool(re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", self.text))

    def matches(self, description: str) -> str | None:
        """The entry or paragraph that says what `description` says (most of its words, at
        least three; all of them, at least two; or an identifier such as `consumer_timeout`
        and another word), if any.
        Identifiers match without case and inside longer ones (`result_expires` in
        `CELERY_RESULT_EXPIRES`)."""
        words = _words(description)
        best: tuple[float, str] | None = None
        for (block, block_words), identifiers in zip(self.blocks, self._identifiers, strict=True):
            score = says_same(words, block_words, identifiers)
            if score is not None and (best is None or score > best[0]):
                best = (score, block)
        return best[1] if best else None
