"""The configuration's shape: a frozen dataclass per table, its defaults, the section rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ozrelease.changelog.vocabulary import (
    DOCS_GITMOJI,
    DOCS_TYPES,
    FEATURE_GITMOJI,
    FEATURE_TYPES,
    FIX_GITMOJI,
    FIX_TYPES,
    INTERNAL_GITMOJI,
    INTERNAL_TYPES,
    SECURITY_GITMOJI,
    SECURITY_TYPES,
)

FORMATS = ("markdown", "rst")


@dataclass(frozen=True)
class SectionRule:
    """A changelog section and what feeds it. `priority` decides the section of a change
    whose commits feed several (lower wins); it defaults to the section's position."""

    title: str
    gitmoji: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    priority: int = 0


# Open Zaak style (CHANGELOG.rst): the sub-headings its release managers write.
_OPEN_ZAAK = (
    SectionRule("Security patches", SECURITY_GITMOJI, SECURITY_TYPES, 0),
    SectionRule(
        "New features",
        FEATURE_GITMOJI | {"necktie", "lipstick", "children_crossing", "globe_with_meridians"},
        FEATURE_TYPES,
        1,
    ),
    SectionRule("Bugfixes", FIX_GITMOJI, FIX_TYPES, 2),
    SectionRule("Project maintenance", frozenset(), frozenset(), 3),
    SectionRule("Documentation", DOCS_GITMOJI, DOCS_TYPES, 4),
    SectionRule("Performance improvements", frozenset({"zap"}), frozenset({"perf"}), 3),
)

# Keep a Changelog (CHANGELOG.md): its six kinds of change, in its order.
_KEEP_A_CHANGELOG = (
    SectionRule("Added", FEATURE_GITMOJI | {"heavy_plus_sign"}, FEATURE_TYPES, 1),
    SectionRule("Changed", frozenset(), frozenset(), 5),
    SectionRule(
        "Deprecated", frozenset({"wastebasket"}), frozenset({"deprecate", "deprecated"}), 4
    ),
    SectionRule(
        "Removed",
        frozenset({"fire", "coffin", "heavy_minus_sign", "mute"}),
        frozenset({"remove", "removed"}),
        3,
    ),
    SectionRule("Fixed", FIX_GITMOJI, FIX_TYPES, 2),
    SectionRule("Security", SECURITY_GITMOJI, SECURITY_TYPES, 0),
)

_DEFAULT_SECTION = {"rst": "Project maintenance", "markdown": "Changed"}

# What is left out of a changelog: tests only, CI only, release housekeeping.
DEFAULT_INTERNAL_PATHS = (
    "tests/**",
    "test/**",
    "**/tests/**",
    "**/test_*.py",
    "**/*_test.py",
    "**/conftest.py",
    # the Django project a library's tests run in (`testapp/settings.py`, `tests/testapp`)
    "testapp/**",
    "**/testapp/**",
    ".github/**",
    ".gitlab/**",
    ".gitlab-ci.yml",
    ".circleci/**",
    ".pre-commit-config.yaml",
    # what developers install, not what users run
    "requirements/dev.*",
    "requirements/ci.*",
    "requirements/test*",
    "requirements/docs.*",
    "requirements/lint*",
    "requirements-dev.*",
    "dev-requirements.*",
    # docs tooling, editor, linter and release tool configuration
    "docs/conf.py",
    "docs/requirements*.txt",
    "docs/Makefile",
    "docs/make.bat",
    "docs/_static/**",
    "docs/_templates/**",
    ".readthedocs.y*ml",
    ".editorconfig",
    ".gitignore",
    ".dockerignore",
    ".coveragerc",
    ".isort.cfg",
    ".flake8",
    "tox.ini",
    "ruff.toml",
    ".prettierrc*",
    ".eslintrc*",
    ".bandit",
    "codecov.yml",
    ".bumpversion.cfg",
    ".bumpversion.toml",
    "bin/check_*",
    "bin/compile_dependencies.sh",
    "bin/makemessages*.sh",
    "bin/bump*",
    "bin/*release*",
    "bin/docker_push.sh",
    "CHANGELOG*",
    "CHANGES*",
    "HISTORY*",
    "docs/changelog*",
)
DEFAULT_INTERNAL_GITMOJI = INTERNAL_GITMOJI
DEFAULT_INTERNAL_TYPES = INTERNAL_TYPES


@dataclass(frozen=True)
class ChangelogConfig:
    """`[tool.ozrelease.changelog]`. Paths are relative to the repository root."""

    path: Path | None = None
    """The changelog file; default CHANGELOG.rst or CHANGELOG.md, whichever exists."""
    format: str | None = None
    """`markdown` or `rst`; default from the file's suffix, else the commits' style."""
    sections: tuple[SectionRule, ...] | None = None
    """None: the format's built-in sections (Open Zaak for rst, Keep a Changelog for md)."""
    default_section: str | None = None
    """Where changes go that no section claims; default the format's catch-all."""
    internal_paths: tuple[str, ...] = DEFAULT_INTERNAL_PATHS
    internal_gitmoji: frozenset[str] = DEFAULT_INTERNAL_GITMOJI
    internal_types: frozenset[str] = DEFAULT_INTERNAL_TYPES
    repository: str | None = None
    """`owner/name` of this repository on its forge; default from the `origin` remote."""
    issue_roles: Mapping[str, str] | None = None
    """Sphinx role -> `owner/name` for RST references; None: from `extlinks` in docs/conf.py."""
    issue_url: str | None = None
    """Markdown link for an issue of this repository, with `{number}`; default from the forge."""
    rst_underline: str | None = None
    """The character under version headings in RST; default as in the file, else `=`."""

    def sections_for(self, fmt: str) -> tuple[tuple[SectionRule, ...], int]:
        """The sections used for `fmt` and the index of the catch-all one."""
        sections = self.sections if self.sections is not None else default_sections(fmt)
        wanted = self.default_section or (_DEFAULT_SECTION[fmt] if self.sections is None else None)
        titles = [s.title for s in sections]
        if wanted is not None and wanted in titles:
            return sections, titles.index(wanted)
        # A user's sections without `default-section`: the one that names nothing, else the last.
        for index, section in enumerate(sections):
            if not section.gitmoji and not section.types:
                return sections, index
        return sections, len(sections) - 1


# `changelog check`: the watched categories. A glob starting with `!` takes paths out again.
DEFAULT_CHECK_CATEGORIES: Mapping[str, tuple[str, ...]] = {
    "migration": (
        "**/migrations/[0-9]*.py",
        "**/migrations/**/*.sql",
        "**/alembic/versions/*.py",
    ),
    "api-spec": (
        "**/openapi.yaml",
        "**/openapi.yml",
        "**/openapi.json",
        "**/openapi/*.yaml",
        "**/openapi/*.json",
        "**/swagger*.yaml",
        "**/swagger*.json",
        "**/oas.yaml",
        "**/oas.json",
    ),
    "settings": (
        "**/settings.py",
        "**/settings/*.py",
        "**/conf/*.py",
        "**/conf/includes/*.py",
        "**/env_config*.rst",
        "**/env_configuration*.rst",
        "**/envvars.rst",
        # Shell entry points of the container image read variables too (`${UWSGI_PROCESSES:-2}`).
        "bin/docker_start.sh",
        "bin/celery_*.sh",
        "bin/*entrypoint*.sh",
        "**/docker-entrypoint*.sh",
        "!**/settings/dev*.py",
        "!**/settings/test*.py",
        "!**/settings/local*.py",
        "!**/conf/dev.py",
        "!**/conf/ci.py",
        "!**/conf/test.py",
        "!**/conf/local*.py",
    ),
    "dependencies": (
        "requirements.txt",
        "requirements/base.txt",
        "requirements/production.txt",
        "requirements/prod.txt",
        "requirements/main.txt",
        "pyproject.toml",
        "setup.cfg",
        "setup.py",  # (its python_requires)
        # The runtime image's Python version and distribution release (the last `FROM`).
        "Dockerfile",
        "**/Dockerfile",
    ),
}
# Paths that are internal for the check on top of `[tool.ozrelease.changelog.internal]`:
# development-only requirements and settings, setup.cfg (its install_requires are still read
# as dependencies), the compose files and data of the development containers (the generator
# lists what touches them).
DEFAULT_CHECK_INTERNAL_PATHS = (
    "requirements/dev.*",
    "requirements/ci.*",
    "requirements/test*",
    "requirements/docs.*",
    "requirements/type-checking.*",
    "setup.cfg",
    "**/conf/ci.py",
    "**/conf/dev.py",
    "**/conf/test.py",
    "bin/generate_*",
    "docker-compose*.y*ml",
    "docker/**",
)
DEFAULT_TRANSLATION_PATHS = ("**/locale/**", "**/*.po", "**/*.mo", "**/translations/**")
DEFAULT_DOCUMENTATION_PATHS = ("docs/**", "doc/**", "*.md", "*.rst", "**/README*")
# Gitmoji that are internal for the check on top of `[tool.ozrelease.changelog.internal]`:
# typo fixes, code structure, comments, ignore files, developer experience.
DEFAULT_CHECK_INTERNAL_GITMOJI = frozenset(
    {"pencil2", "art", "bulb", "see_no_evil", "technologist"}
)
DEFAULT_PRIVATE_TRACKERS = ("*/security-issues", "*/security-advisories", "*/*-security")

CHECK_RULES: Mapping[str, str] = {
    "internal-commits": "every commit about it is internal: tests, CI or tooling files only, an "
    "internal gitmoji or type, or a pull request whose title says so",
    "translations": "its commits only touch translation files",
    "documentation-only": "its commits are documentation: only docs/ and README files, or "
    "the gitmoji :memo: or type docs",
    "changelog-edits": "its commits edit the changelog itself",
    "other-sections": "another changelog section dated inside the range documents it (a patch "
    "release cut from a stable branch, a pre-release)",
    "advisories": "a private security tracker's issue; the section names the advisory (GHSA, CVE)",
    "pull-requests": "the section names the pull request that merged it",
    "dependency-names": "a dependency upgrade; the section names the package",
    "env-var-names": "its commits name environment variables the section names",
    "matching-text": "an entry of the section says what its pull request or a commit says "
    "(most of the words, or an identifier such as `consumer_timeout`)",
    "transitive-dependencies": "a pin that only a dependency needs (pip-compile `# via pkg`)",
    "new-dependencies": "a package added for a change (the change itself is checked: its "
    "issue or pull request must be documented); upgrades and removals still count, and so do "
    "packages another package's upgrade brings or a commit without issue or pull request adds",
    "minor-upgrades": "an upgrade inside one major version (for 0.x: one minor version)",
    "documented-change": "a pin that moved in commits of changes the section documents; an "
    "environment variable removed or given another default by a change whose entry speaks "
    "of it (new variables must be named)",
    "spec-descriptions": "the API document's change only touches descriptions and examples",
    "breaking-noted": "a passage of the section that says breaking (or a Breaking changes "
    "heading) names an issue of the change to the API document, or what broke",
    "ignored-issues": "listed in `ignore-issues`",
    "fixes-of-new-code": "a fix of code no release has shipped: every file its commits touch "
    "(tests aside) was created in the range by a change the section documents",
    "edited-migrations": "it edits migrations releases shipped already, in place (reformatted, "
    "a deprecated argument renamed): installs that applied them never run them again",
    "reverted": "every commit about it is reverted inside the range (or is such a revert): "
    "nothing of it is left at the end of the range",
    "migrations-of-new-models": "its migrations only change models that migrations of another "
    "change create in the range: an upgraded install gets those models whole",
    "migration-names": "an entry of the section names a model and the field its migrations "
    "change (`Certificate` and `csr`), or a model of eight letters or more",
}
"""`changelog check` suppression rules: name -> why it does not count. All on by default."""


@dataclass(frozen=True)
class CheckConfig:
    """`[tool.ozrelease.check]`: what `changelog check` watches and which suppressions apply."""

    categories: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: dict(DEFAULT_CHECK_CATEGORIES)
    )
    """Category -> path globs (`!glob` excludes); a commit touching one is a watched change."""
    internal_paths: tuple[str, ...] = DEFAULT_CHECK_INTERNAL_PATHS
    """Internal on top of `[tool.ozrelease.changelog.internal] paths`."""
    internal_gitmoji: frozenset[str] = DEFAULT_CHECK_INTERNAL_GITMOJI
    """Internal on top of `[tool.ozrelease.changelog.internal] gitmoji`."""
    translation_paths: tuple[str, ...] = DEFAULT_TRANSLATION_PATHS
    documentation_paths: tuple[str, ...] = DEFAULT_DOCUMENTATION_PATHS
    private_trackers: tuple[str, ...] = DEFAULT_PRIVATE_TRACKERS
    """Globs on `owner/name` of issue trackers whose issues are documented by advisory id."""
    ignore_issues: frozenset[str] = frozenset()
    rules: frozenset[str] = frozenset(CHECK_RULES)
    """The suppression rules that apply (all by default)."""


@dataclass(frozen=True)
class Config:
    source: Path | None = None
    """The file the configuration came from, None when there is none."""
    changelog: ChangelogConfig = field(default_factory=ChangelogConfig)
    check: CheckConfig = field(default_factory=CheckConfig)
    release: ReleaseConfig = field(default_factory=lambda: ReleaseConfig())


def default_sections(fmt: str) -> tuple[SectionRule, ...]:
    return _OPEN_ZAAK if fmt == "rst" else _KEEP_A_CHANGELOG


@dataclass(frozen=True)
class ReleaseConfig:
    """`[tool.ozrelease.release]`: `release prepare` and `release backports`."""

    branch_pattern: str = "stable/{major}.{minor}.x"
    """Release line branches; `{major}` (and optionally `{minor}`) name the line."""
    default_branch: str | None = None
    """Where fixes land first; default `main`, `master` or `develop`, whichever exists."""
    lines: tuple[str, ...] | None = None
    """The lines `release backports` checks by default (`["1.28", "1.29"]`); None: the
    support policy (the manifests' end-of-life dates, else `supported-lines`)."""
    supported_lines: int = 2
    """Without end-of-life dates: how many of the newest release lines are supported."""
    component: str | None = None
    """The manifests' component this repository is (default: matched by repository URL)."""
    tag_format: str | None = None
    """Tag names, with `{version}` (`v{version}`); default the style of the existing tags."""
    commit_message: str | None = None
    """The release commit's message, with `{version}`; default by the history's style."""
    tag_message: str = "Release {version}"
