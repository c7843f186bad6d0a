"""Path globs: the translation to regular expressions, against a small reference matcher."""

from __future__ import annotations

import re
from functools import cache

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from tests_support import examples

from ozrelease.changelog.config import ChangelogConfig
from ozrelease.changelog.globs import Globs, translate
from ozrelease.changelog.grouping import Classifier


def matches(pattern: str, path: str, *, classes: bool = True) -> bool:
    """What `translate` means, the slow way: the pattern read left to right, backtracking."""

    @cache
    def at(i: int, j: int) -> bool:
        if i == len(pattern):
            return j == len(path)
        if pattern.startswith("**/", i):  # no folder, or any run of whole folders
            return at(i + 3, j) or any(
                path[k - 1] == "/" and at(i + 3, k) for k in range(j + 1, len(path) + 1)
            )
        if pattern.startswith("**", i):
            return any(at(i + 2, k) for k in range(j, len(path) + 1))
        if pattern[i] == "*":
            k = j
            while True:
                if at(i + 1, k):
                    return True
                if k == len(path) or path[k] == "/":
                    return False
                k += 1
        if j == len(path):
            return False
        if pattern[i] == "?":
            return path[j] != "/" and at(i + 1, j + 1)
        if classes and pattern[i] == "[" and "]" in pattern[i + 1 :]:
            end = pattern.index("]", i + 1)
            return in_class(pattern[i + 1 : end], path[j]) and at(end + 1, j + 1)
        return pattern[i] == path[j] and at(i + 1, j + 1)

    return at(0, 0)


def in_class(body: str, char: str) -> bool:
    negated = body.startswith("!")
    body = body[1:] if negated else body
    found = False
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            found = found or body[i] <= char <= body[i + 2]
            i += 3
        else:
            found = found or body[i] == char
            i += 1
    return found != negated


def full(pattern: str, path: str, *, classes: bool = True) -> bool:
    return re.match(translate(pattern, classes=classes) + r"\Z", path) is not None


# -- examples ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        # `*` stays inside a folder
        ("*.py", "setup.py", True),
        ("*.py", "src/setup.py", False),
        ("docs/*", "docs/index.rst", True),
        ("docs/*", "docs/api/index.rst", False),
        ("*", "", True),
        # `**/` is no folder or any number of them
        ("**/conftest.py", "conftest.py", True),
        ("**/conftest.py", "src/app/tests/conftest.py", True),
        ("**/conftest.py", "src/my_conftest.py", False),
        ("a/**/b", "a/b", True),
        ("a/**/b", "a/x/y/b", True),
        ("a/**/b", "a/xb", False),
        # `**` elsewhere is anything, folders too
        ("docs/**", "docs/a/b/c.png", True),
        ("docs/**", "docs/", True),
        ("docs/**", "docs", False),
        ("CHANGELOG**", "CHANGELOG.d/1.md", True),
        # `?` is one character, never `/`
        ("?.md", "a.md", True),
        ("?.md", "ab.md", False),
        ("a?b", "a/b", False),
        # classes, and `!` for their complement
        ("**/migrations/[0-9]*.py", "app/migrations/0001_initial.py", True),
        ("**/migrations/[0-9]*.py", "app/migrations/__init__.py", False),
        ("[!0-9]*", "readme", True),
        ("[!0-9]*", "1.txt", False),
        ("[a-c].txt", "b.txt", True),
        ("[a-c].txt", "d.txt", False),
        # everything else is itself
        ("a.b", "axb", False),
        ("a+b(c)", "a+b(c)", True),
        ("a[b", "a[b", True),
        ("*/security-issues", "open-zaak/security-issues", True),
    ],
)
def test_translate(pattern: str, path: str, expected: bool) -> None:
    assert full(pattern, path) is expected
    assert matches(pattern, path) is expected


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("docs/[ab].md", "docs/[ab].md", True),
        ("docs/[ab].md", "docs/a.md", False),
        ("!tests/**", "!tests/x.py", True),
        ("!tests/**", "tests/x.py", False),
        ("**/test_*.py", "src/test_x.py", True),
    ],
)
def test_translate_without_classes_reads_brackets_as_text(
    pattern: str, path: str, expected: bool
) -> None:
    assert full(pattern, path, classes=False) is expected


def test_globs_take_and_drop() -> None:
    settings_files = Globs(["**/settings/*.py", "**/conf/*.py", "!**/settings/dev*.py"])
    assert settings_files("src/app/settings/base.py")
    assert settings_files("src/app/conf/production.py")
    assert not settings_files("src/app/settings/dev.py")
    assert not settings_files("src/app/settings/develop.py")
    assert not settings_files("src/app/models.py")
    assert not Globs([])("anything")
    assert not Globs(["!docs/**"])("docs/index.rst")  # nothing taken, nothing to drop
    assert not Globs(["docs/**", "!CHANGELOG.md"])("CHANGELOG.md")
    assert Globs(["docs/**", "*.md", "!CHANGELOG.md"])("README.md")


def test_globs_last_glob_matches_whole_paths() -> None:
    assert not Globs(["x", "docs/*"])("docs/a/b.py")
    assert not Globs(["**/openapi.yaml"])("api/openapi.yaml.j2")


def test_globs_every_glob_matches_whole_paths() -> None:
    assert not Globs(["docs/*", "x"])("docs/a/b.py")
    assert Globs(["docs/*", "x"])("docs/a.py")
    assert not Globs(["docs/**", "!docs/*", "x"])("docs/a.py")
    assert not Globs(["!docs/*", "!x", "docs/**"])("docs/a.py")
    assert Globs(["!docs/*", "!x", "docs/**"])("docs/a/b.py")


def test_the_changelogs_internal_paths_keep_brackets_as_text() -> None:
    config = ChangelogConfig(internal_paths=("tests/**", "docs/[ab].md"))
    sections, default = config.sections_for("markdown")
    classifier = Classifier(config, sections, default)
    assert classifier.internal_paths(["tests/test_x.py", "docs/[ab].md"])
    assert not classifier.internal_paths(["docs/a.md"])
    assert not classifier.internal_paths(["tests/test_x.py", "src/x.py"])
    assert not classifier.internal_paths([])


# -- properties ----------------------------------------------------------------------------

_PIECES = ["a", "b", ".", "/", "*", "**", "**/", "?", "[ab]", "[!a]", "[a-c]", "[0-9]", "[!/]"]
_patterns = st.lists(st.sampled_from(_PIECES), max_size=7).map("".join)
_paths = st.text(alphabet="ab.c0/", max_size=12)


@settings(max_examples=examples(500), deadline=None)
@given(pattern=_patterns, path=_paths)
@example(pattern="***/a", path="a")
@example(pattern="**/**/a", path="b/a")
@example(pattern="a/**", path="a/")
def test_translate_agrees_with_the_reference(pattern: str, path: str) -> None:
    assert full(pattern, path) is matches(pattern, path)
    assert full(pattern, path, classes=False) is matches(pattern, path, classes=False)


@settings(max_examples=examples(300), deadline=None)
@given(take=_patterns, drop=_patterns, path=_paths)
def test_globs_agree_with_the_reference(take: str, drop: str, path: str) -> None:
    assert Globs([take])(path) is matches(take, path)
    expected = matches(take, path) and not matches(drop, path)
    assert Globs([take, f"!{drop}"])(path) is expected


@settings(max_examples=examples(300), deadline=None)
@given(first=_patterns, second=_patterns, path=_paths)
def test_several_globs_each_match_whole_paths(first: str, second: str, path: str) -> None:
    assert Globs([first, second])(path) is (matches(first, path) or matches(second, path))
