"""The commit vocabulary, defined once: gitmoji, Conventional Commits types, and their kinds."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

__all__ = [
    "ALIASES",
    "CONVENTIONAL_TYPES",
    "DEPENDENCY_GITMOJI",
    "DEPENDENCY_TYPES",
    "DOCS_GITMOJI",
    "DOCS_TYPES",
    "FEATURE_GITMOJI",
    "FEATURE_TYPES",
    "FIX_GITMOJI",
    "FIX_TYPES",
    "GITMOJIS",
    "HOUSEKEEPING_GITMOJI",
    "INTERNAL_GITMOJI",
    "INTERNAL_TYPES",
    "SECURITY_GITMOJI",
    "SECURITY_TYPES",
    "ecosystem_of",
    "gitmoji_name",
    "is_feature",
    "is_fix",
    "is_user_visible",
    "scoped_key",
]


# Copied from carloscuesta/gitmoji packages/gitmojis/src/gitmojis.json (75 entries, MIT).
# (shortcode without colons, emoji as written there, description, semver)
GITMOJIS: Final[tuple[tuple[str, str, str, str | None], ...]] = (
    ("art", "\U0001f3a8", "Improve structure / format of the code.", None),
    ("zap", "\u26a1\ufe0f", "Improve performance.", "patch"),
    ("fire", "\U0001f525", "Remove code or files.", None),
    ("bug", "\U0001f41b", "Fix a bug.", "patch"),
    ("ambulance", "\U0001f691\ufe0f", "Critical hotfix.", "patch"),
    ("sparkles", "\u2728", "Introduce new features.", "minor"),
    ("memo", "\U0001f4dd", "Add or update documentation.", None),
    ("rocket", "\U0001f680", "Deploy stuff.", None),
    ("lipstick", "\U0001f484", "Add or update the UI and style files.", "patch"),
    ("tada", "\U0001f389", "Begin a project.", None),
    ("white_check_mark", "\u2705", "Add, update, or pass tests.", None),
    ("lock", "\U0001f512\ufe0f", "Fix security or privacy issues.", "patch"),
    ("closed_lock_with_key", "\U0001f510", "Add or update secrets.", None),
    ("bookmark", "\U0001f516", "Release / Version tags.", None),
    ("rotating_light", "\U0001f6a8", "Fix compiler / linter warnings.", None),
    ("construction", "\U0001f6a7", "Work in progress.", None),
    ("green_heart", "\U0001f49a", "Fix CI Build.", None),
    ("arrow_down", "\u2b07\ufe0f", "Downgrade dependencies.", "patch"),
    ("arrow_up", "\u2b06\ufe0f", "Upgrade dependencies.", "patch"),
    ("pushpin", "\U0001f4cc", "Pin dependencies to specific versions.", "patch"),
    ("construction_worker", "\U0001f477", "Add or update CI build system.", None),
    ("chart_with_upwards_trend", "\U0001f4c8", "Add or update analytics or track code.", "patch"),
    ("recycle", "\u267b\ufe0f", "Refactor code.", None),
    ("heavy_plus_sign", "\u2795", "Add a dependency.", "patch"),
    ("heavy_minus_sign", "\u2796", "Remove a dependency.", "patch"),
    ("wrench", "\U0001f527", "Add or update configuration files.", "patch"),
    ("hammer", "\U0001f528", "Add or update development scripts.", None),
    ("globe_with_meridians", "\U0001f310", "Internationalization and localization.", "patch"),
    ("pencil2", "\u270f\ufe0f", "Fix typos.", "patch"),
    ("poop", "\U0001f4a9", "Write bad code that needs to be improved.", None),
    ("rewind", "\u23ea\ufe0f", "Revert changes.", "patch"),
    ("twisted_rightwards_arrows", "\U0001f500", "Merge branches.", None),
    ("package", "\U0001f4e6\ufe0f", "Add or update compiled files or packages.", "patch"),
    ("alien", "\U0001f47d\ufe0f", "Update code due to external API changes.", "patch"),
    ("truck", "\U0001f69a", "Move or rename resources (e.g.: files, paths, routes).", None),
    ("page_facing_up", "\U0001f4c4", "Add or update license.", None),
    ("boom", "\U0001f4a5", "Introduce breaking changes.", "major"),
    ("bento", "\U0001f371", "Add or update assets.", "patch"),
    ("wheelchair", "\u267f\ufe0f", "Improve accessibility.", "patch"),
    ("bulb", "\U0001f4a1", "Add or update comments in source code.", None),
    ("beers", "\U0001f37b", "Write code drunkenly.", None),
    ("speech_balloon", "\U0001f4ac", "Add or update text and literals.", "patch"),
    ("card_file_box", "\U0001f5c3\ufe0f", "Perform database related changes.", "patch"),
    ("loud_sound", "\U0001f50a", "Add or update logs.", None),
    ("mute", "\U0001f507", "Remove logs.", None),
    ("busts_in_silhouette", "\U0001f465", "Add or update contributor(s).", None),
    ("children_crossing", "\U0001f6b8", "Improve user experience / usability.", "patch"),
    ("building_construction", "\U0001f3d7\ufe0f", "Make architectural changes.", None),
    ("iphone", "\U0001f4f1", "Work on responsive design.", "patch"),
    ("clown_face", "\U0001f921", "Mock things.", None),
    ("egg", "\U0001f95a", "Add or update an easter egg.", "patch"),
    ("see_no_evil", "\U0001f648", "Add or update a .gitignore file.", None),
    ("camera_flash", "\U0001f4f8", "Add or update snapshots.", None),
    ("alembic", "\u2697\ufe0f", "Perform experiments.", "patch"),
    ("mag", "\U0001f50d\ufe0f", "Improve SEO.", "patch"),
    ("label", "\U0001f3f7\ufe0f", "Add or update types.", "patch"),
    ("seedling", "\U0001f331", "Add or update seed files.", None),
    ("triangular_flag_on_post", "\U0001f6a9", "Add, update, or remove feature flags.", "patch"),
    ("goal_net", "\U0001f945", "Catch errors.", "patch"),
    ("dizzy", "\U0001f4ab", "Add or update animations and transitions.", "patch"),
    ("wastebasket", "\U0001f5d1\ufe0f", "Deprecate code that needs to be cleaned up.", "patch"),
    (
        "passport_control",
        "\U0001f6c2",
        "Work on code related to authorization, roles and permissions.",
        "patch",
    ),
    ("adhesive_bandage", "\U0001fa79", "Simple fix for a non-critical issue.", "patch"),
    ("monocle_face", "\U0001f9d0", "Data exploration/inspection.", None),
    ("coffin", "\u26b0\ufe0f", "Remove dead code.", None),
    ("test_tube", "\U0001f9ea", "Add a failing test.", None),
    ("necktie", "\U0001f454", "Add or update business logic.", "patch"),
    ("stethoscope", "\U0001fa7a", "Add or update healthcheck.", None),
    ("bricks", "\U0001f9f1", "Infrastructure related changes.", None),
    ("technologist", "\U0001f9d1\u200d\U0001f4bb", "Improve developer experience.", None),
    ("money_with_wings", "\U0001f4b8", "Add sponsorships or money related infrastructure.", None),
    ("thread", "\U0001f9f5", "Add or update code related to multithreading or concurrency.", None),
    ("safety_vest", "\U0001f9ba", "Add or update code related to validation.", None),
    ("airplane", "\u2708\ufe0f", "Improve offline support.", None),
    ("t-rex", "\U0001f996", "Code that adds backwards compatibility.", None),
)

# Other names that GitHub renders as the same emoji and that people type by habit.
ALIASES: Final[dict[str, str]] = {
    "pencil": "memo",
    "collision": "boom",
}


# The types of the Conventional Commits spec and of @commitlint/config-conventional, and a
# few that changelog tools accept. A word before a colon that is none of these is free form
# ("Note: ..."), unless the configuration names it.
CONVENTIONAL_TYPES: Final = frozenset(
    {
        "feat", "feature", "fix", "bugfix", "hotfix", "docs", "doc", "style", "refactor",
        "perf", "test", "tests", "build", "ci", "chore", "revert", "security", "deps",
        "release", "bump", "deprecate", "deprecated", "remove", "removed", "wip", "i18n",
        "l10n",
    }
)  # fmt: skip

# What each kind of change is written as. A revert undoes a change users saw: it is a fix
# (and so a backport candidate), as `:rewind:` is. Security fixes are fixes too.
FEATURE_GITMOJI: Final = frozenset(
    {
        "sparkles", "tada", "wheelchair", "iphone", "egg", "chart_with_upwards_trend",
        "triangular_flag_on_post", "stethoscope", "airplane", "dizzy", "passport_control",
    }
)  # fmt: skip
FEATURE_TYPES: Final = frozenset({"feat", "feature"})
FIX_GITMOJI: Final = frozenset(
    {
        "bug", "ambulance", "adhesive_bandage", "goal_net", "pencil2", "rewind", "alien",
        "safety_vest", "t-rex",
    }
)  # fmt: skip
FIX_TYPES: Final = frozenset({"fix", "bugfix", "hotfix", "revert"})
SECURITY_GITMOJI: Final = frozenset({"lock"})
SECURITY_TYPES: Final = frozenset({"security"})
DOCS_GITMOJI: Final = frozenset({"memo", "page_facing_up"})
DOCS_TYPES: Final = frozenset({"docs", "doc"})
DEPENDENCY_GITMOJI: Final = frozenset(
    {"arrow_up", "arrow_down", "pushpin", "heavy_plus_sign", "heavy_minus_sign"}
)
DEPENDENCY_TYPES: Final = frozenset({"deps"})
HOUSEKEEPING_GITMOJI: Final = frozenset({"bookmark", "twisted_rightwards_arrows"})
"""Release commits and merges of release branches: never an entry of their own."""
# Internal work, left out of a changelog by default: tests, CI, release housekeeping.
INTERNAL_GITMOJI: Final = frozenset(
    {
        "white_check_mark", "test_tube", "camera_flash", "clown_face", "green_heart",
        "construction_worker", "rotating_light",
    }
) | HOUSEKEEPING_GITMOJI  # fmt: skip
INTERNAL_TYPES: Final = frozenset(
    {"test", "tests", "ci", "release", "bump", "chore(release)", "wip"}
)

_VISIBLE_GITMOJI = SECURITY_GITMOJI | {"sparkles", "bug", "ambulance", "boom"} | {
    "adhesive_bandage", "zap", "lipstick"
}  # fmt: skip
_VISIBLE_TYPES = FEATURE_TYPES | FIX_TYPES | SECURITY_TYPES | {"perf"}


def is_fix(gitmoji: str | None, ctype: str | None) -> bool:
    """A bug or security fix (or a revert), by gitmoji or type."""
    return gitmoji in FIX_GITMOJI | SECURITY_GITMOJI or ctype in FIX_TYPES | SECURITY_TYPES


def is_feature(gitmoji: str | None, ctype: str | None) -> bool:
    return gitmoji in FEATURE_GITMOJI or ctype in FEATURE_TYPES


def is_user_visible(gitmoji: str | None, ctype: str | None) -> bool:
    """A feature, fix or security change (by gitmoji or type), as opposed to an adaptation."""
    return gitmoji in _VISIBLE_GITMOJI or ctype in _VISIBLE_TYPES


_GITMOJI_NAMES = {name for name, *_ in GITMOJIS}
_EMOJI_NAMES = {emoji.replace("\ufe0f", ""): name for name, emoji, *_ in GITMOJIS}


def scoped_key(ctype: str, scope: str) -> str:
    """`type:build(deps-test)`: a Conventional Commits type and scope as one key of what
    the released sections list (beside `type:build` and `gitmoji:sparkles`)."""
    return f"type:{ctype}({scope.lower()})"


def gitmoji_name(text: str) -> str | None:
    """The canonical gitmoji name of `sparkles`, `:sparkles:` or `✨`; None if unknown."""
    bare = text.strip().strip(":")
    if bare in _GITMOJI_NAMES:
        return bare
    if bare in ALIASES:
        return ALIASES[bare]
    return _EMOJI_NAMES.get(bare.replace("\ufe0f", ""))


_ECOSYSTEMS = (
    (
        "python",
        re.compile(
            r"(^|/)requirements[\w.-]*(/[\w.-]+\.(txt|in))?$"
            r"|(^|/)(pyproject\.toml|setup\.(py|cfg)|poetry\.lock|uv\.lock|Pipfile(\.lock)?)$"
        ),
    ),
    ("nodejs", re.compile(r"(^|/)(package(-lock)?\.json|yarn\.lock|pnpm-lock\.yaml)$")),
    ("docker", re.compile(r"(^|/)Dockerfile[^/]*$")),
)


def ecosystem_of(paths: Sequence[str]) -> str | None:
    """What a dependency upgrade touching `paths` upgrades: `python`, `nodejs`, `docker`."""
    for name, pattern in _ECOSYSTEMS:
        if any(pattern.search(path) for path in paths):
            return name
    return None
