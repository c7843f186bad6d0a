"""`changelog generate` end to end: real repositories, golden files, docutils, --write, config."""

from __future__ import annotations

import io
import json
import subprocess
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from docutils import nodes
from docutils.core import publish_doctree
from docutils.parsers.rst import roles
from gitrepo import GitRepo, fresh
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests_support import examples, installed_ozrelease

from ozrelease.changelog import files
from ozrelease.changelog import generate as changelogs
from ozrelease.changelog.config import load_config, sphinx_issue_roles
from ozrelease.changelog.generate import Changelog, Entry, Section
from ozrelease.cli import cli
from ozrelease.errors import InputError

ROLES = ("open-zaak", "open-notificaties", "open-api-framework")


def rst_problems(text: str) -> str:
    """docutils' warnings and errors for `text` (the extlinks roles registered as Sphinx would)."""
    for role in ROLES:
        roles.register_generic_role(role, nodes.literal)
    stream = io.StringIO()
    publish_doctree(
        text, settings_overrides={"warning_stream": stream, "report_level": 2, "halt_level": 5}
    )
    return stream.getvalue()


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


CONF_PY = """\
import os
import nonexistent_module_that_would_fail  # never executed: read with ast
os.system("echo executed > /tmp/ozrelease-conf-py-was-executed")

extlinks = {
    "open-zaak": ("https://github.com/open-zaak/open-zaak/issues/%s", "#%s"),
    "open-notificaties": ("https://github.com/open-zaak/open-notificaties/issues/%s", "#%s"),
    "open-api-framework": ("https://github.com/maykinmedia/open-api-framework/issues/%s", "#%s"),
    "docs": ("https://example.com/%s", None),
}
"""

OZ_CHANGELOG = """\
Changelog
=========

1.0.0 (2024-01-01)
------------------

**New features**

* [:open-zaak:`1`] The first release.
"""


def open_zaak_repo(repo: GitRepo) -> GitRepo:
    """An Open Zaak-style repository: gitmoji, [#N] references, pull request merges, a
    security fork merge, docs/conf.py extlinks, CHANGELOG.rst."""
    repo.git("remote", "add", "origin", "git@github.com:open-zaak/open-zaak.git")
    repo.commit(
        ":tada: Start", {"docs/conf.py": CONF_PY, "CHANGELOG.rst": OZ_CHANGELOG, "src/app.py": "x"}
    )
    repo.tag("1.0.0", message="Release 1.0.0")
    repo.pull_request(
        2431,
        "feature/2426-add-slug",
        [
            ":sparkles: [#2426] Add slug to the external services form",
            ":white_check_mark: [#2426] Test the slug",
            ":art: [#2426] Tidy up",
        ],
        title="Feature/2426 add slug",
    )
    repo.pull_request(
        2449,
        "issue/2448-blijvend-bewaren",
        [
            ":bug: [#2448] Fix closing zaken with `blijvend_bewaren`",
            ":white_check_mark: [#2448] Regression test",
        ],
        title=":bug: [#2448] Fix closing a hoofdzaak with archiefnominatie `blijvend_bewaren`",
    )
    repo.checkout("main")
    repo.git("checkout", "--quiet", "-b", "ghsa-1")
    repo.commits(":lock: [open-zaak/security-issues#10] Check permissions of expanded objects")
    repo.checkout("main")
    repo.merge(
        "ghsa-1",
        message="Merge commit from fork\n\n:lock: [open-zaak/security-issues#10] "
        "Check permissions of expanded objects",
    )
    repo.commit(
        ":arrow_up: [#2462 / maykinmedia/open-api-framework#223] Bump maykin-common",
        {"requirements/base.txt": "maykin-common==0.20.1\n"},
    )
    repo.commit(":white_check_mark: Fix a flaky test", {"src/openzaak/tests/test_x.py": "x"})
    repo.commit(":construction_worker: Run the OAS check", {".github/workflows/oas.yml": "x"})
    repo.commit(":memo: Document OPENZAAK_PORT and *wildcards*", {"docs/env.rst": "x"})
    repo.commit(
        ":boom: [open-zaak/open-notificaties#88] Drop the `v1` notifications API",
        {"src/notifs.py": "x"},
    )
    repo.commit("Mention the charts issue template", {"src/templates.txt": "x"})
    repo.commit(":bookmark: [#2503] Release version 1.1.0", {"src/version.py": "1.1.0"})
    return repo


def test_open_zaak_style_rst_golden_and_valid(
    gitrepo: GitRepo, golden: Callable[[str, str], None]
) -> None:
    open_zaak_repo(gitrepo)
    result = run("changelog", "generate", "--repo", str(gitrepo.path), "--version", "1.1.0")
    assert result.exit_code == 0, result.output
    golden("changelog/open-zaak.rst", result.stdout)
    assert rst_problems(result.stdout) == ""
    assert "`2426`" in result.stdout and "test" not in result.stdout.lower()
    assert not Path("/tmp/ozrelease-conf-py-was-executed").exists()


def test_json_follows_the_contract(gitrepo: GitRepo) -> None:
    open_zaak_repo(gitrepo)
    result = run(
        "changelog",
        "generate",
        "--repo",
        str(gitrepo.path),
        "--format",
        "json",
        "--version",
        "1.1.0",
        "--date",
        "2024-02-01",
    )
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert list(data) == ["format", "version", "date", "sections"]
    assert (data["format"], data["version"], data["date"]) == (
        "ozrelease-changelog/1",
        "1.1.0",
        "2024-02-01",
    )
    assert [s["title"] for s in data["sections"]] == [
        "Security patches",
        "New features",
        "Bugfixes",
        "Project maintenance",
        "Documentation",
    ]
    for section in data["sections"]:
        for entry in section["entries"]:
            assert list(entry) == ["text", "issues", "commits", "breaking"]
            assert all(len(sha) == 40 for sha in entry["commits"])
    features = data["sections"][1]["entries"]
    assert features == [
        {
            "text": "Add slug to the external services form",
            "issues": ["2426"],
            "commits": features[0]["commits"],
            "breaking": False,
        }
    ]
    assert len(features[0]["commits"]) == 4
    security = data["sections"][0]["entries"][0]
    assert security["issues"] == ["open-zaak/security-issues#10"]
    breaking = [e for s in data["sections"] for e in s["entries"] if e["breaking"]]
    assert [e["issues"] for e in breaking] == [["open-zaak/open-notificaties#88"]]
    again = run(
        "changelog",
        "generate",
        "--repo",
        str(gitrepo.path),
        "--format",
        "json",
        "--version",
        "1.1.0",
        "--date",
        "2024-02-01",
    )
    assert again.stdout == result.stdout  # byte-identical


KAC = """\
# Changelog

All notable changes to this project will be documented in this file.

## [Unreleased]

## [0.1.0] - 2023-12-01

### Added

- The beginning.

[0.1.0]: https://github.com/acme/widget/releases/tag/v0.1.0
"""


def conventional_repo(repo: GitRepo) -> GitRepo:
    repo.git("remote", "add", "origin", "https://github.com/acme/widget.git")
    repo.commit("chore: initial commit", {"CHANGELOG.md": KAC, "widget.py": "x"})
    repo.tag("v0.1.0")
    repo.commit("feat(api): add the /things endpoint (#4)", {"widget.py": "y"})
    repo.commit("fix: keep <b>tags</b> and *stars* out of markup\n\nFixes #5", {"widget.py": "z"})
    repo.commit("feat!: drop Python 3.9", {"pyproject.toml": '[project]\nname = "widget"\n'})
    repo.commit("docs: explain the config", {"docs/config.md": "x"})
    repo.commit("test: cover the endpoint", {"tests/test_api.py": "x"})
    repo.commit("ci: cache pip", {".github/workflows/ci.yml": "x"})
    repo.commit("perf: faster lookups, see acme/other#9", {"widget.py": "w"})
    repo.commit("build(deps): bump click", {"requirements.txt": "click"})
    repo.commit(":sparkles: a gitmoji commit in a conventional repo", {"widget.py": "v"})
    return repo


def test_keep_a_changelog_markdown_golden(
    gitrepo: GitRepo, golden: Callable[[str, str], None]
) -> None:
    conventional_repo(gitrepo)
    result = run("changelog", "generate", "--repo", str(gitrepo.path), "--version", "0.2.0")
    assert result.exit_code == 0, result.output
    golden("changelog/conventional.md", result.stdout)


def test_default_format_without_a_changelog_follows_the_commits(gitrepo: GitRepo) -> None:
    gitrepo.commits(":sparkles: One", ":bug: Two", ":memo: Three")
    assert run("changelog", "generate", "--repo", str(gitrepo.path)).stdout.startswith(
        "Unreleased\n==========\n"
    )
    gitrepo.commits("feat: four", "fix: five", "docs: six", "feat: seven")
    assert run("changelog", "generate", "--repo", str(gitrepo.path)).stdout.startswith(
        "## [Unreleased]\n"
    )


def test_a_plain_subject_says_its_kind_by_its_verb(gitrepo: GitRepo) -> None:
    """open-producten writes no gitmoji and no type ("[#12] Add producttype parameters"): its
    features and fixes go where its sections put them, not under maintenance."""
    gitrepo.commits(":tada: Start")
    gitrepo.tag("1.0.0")
    gitrepo.commits("[#12] Add producttype parameters", "Fixed the export", "update dependencies")
    out = run("changelog", "generate", "--repo", str(gitrepo.path), "--format", "json").stdout
    titles = {e["text"]: s["title"] for s in json.loads(out)["sections"] for e in s["entries"]}
    assert titles["Add producttype parameters"] == "New features"
    assert titles["Fixed the export"] == "Bugfixes"
    assert [t for e, t in titles.items() if e.lower().startswith("update")] == [
        "Project maintenance"
    ], titles


def test_a_gitmoji_alone_takes_its_text_from_the_body(gitrepo: GitRepo) -> None:
    """django-admin-index d86aa2ab: subject `:bug:`, what it fixed in the body. Its entry was
    empty and, beside a dependency upgrade, stopped generate with an internal error."""
    gitrepo.commits(":tada: Start")
    gitrepo.tag("1.0.0")
    gitrepo.commit(
        ":bug:\n\nFixed the bug that the links showed up on the login page.\n",
        {"src/app.py": "x = 2\n"},
    )
    gitrepo.commits(":arrow_up: Bump django from 4.2.1 to 4.2.2")
    result = run("changelog", "generate", "--repo", str(gitrepo.path), "--format", "json")
    assert result.exit_code == 0, result.output
    texts = [e["text"] for s in json.loads(result.stdout)["sections"] for e in s["entries"]]
    assert "Fixed the bug that the links showed up on the login page." in texts
    assert all(texts), texts


def test_from_defaults_to_the_newest_version_tag_reachable(gitrepo: GitRepo) -> None:
    gitrepo.commits(":sparkles: Old")
    gitrepo.tag("1.10.0")
    gitrepo.commits(":sparkles: Between")
    gitrepo.tag("1.9.0")  # a newer tag of an older version: not the start
    gitrepo.commits(":sparkles: New")
    gitrepo.tag("1.11.0")

    def texts(*args: str) -> list[str]:
        out = run("changelog", "generate", "--repo", str(gitrepo.path), "--format", "json", *args)
        return [e["text"] for s in json.loads(out.stdout)["sections"] for e in s["entries"]]

    # A tagged --to: the tags on it do not count, so this is the section of 1.11.0.
    assert texts() == texts("--to", "1.11.0") == ["Between", "New"]
    gitrepo.commits(":sparkles: Unreleased")
    assert texts() == ["Unreleased"]
    assert texts("--from", "1.9.0") == ["New", "Unreleased"]


def test_empty_range_and_no_tags(gitrepo: GitRepo) -> None:
    gitrepo.commits("feat: everything")
    out = run("changelog", "generate", "--repo", str(gitrepo.path), "--format", "markdown").stdout
    assert out == "## [Unreleased]\n\n### Added\n\n- Everything\n"
    gitrepo.tag("v1.0.0")
    out = run(
        "changelog", "generate", "--repo", str(gitrepo.path), "--format", "rst", "--from", "v1.0.0"
    ).stdout
    assert out == "Unreleased\n==========\n\nNo notable changes.\n"


# -- --write ----------------------------------------------------------------------------------


def test_write_rst_inserts_at_the_right_place_and_refuses_to_overwrite(
    gitrepo: GitRepo, golden: Callable[[str, str], None]
) -> None:
    open_zaak_repo(gitrepo)
    path = gitrepo.path / "CHANGELOG.rst"
    args = ["changelog", "generate", "--repo", str(gitrepo.path), "--version", "1.1.0", "--write"]
    result = run(*args)
    assert result.exit_code == 0 and result.stdout == ""
    first = path.read_text(encoding="utf-8")
    golden("changelog/open-zaak-written.rst", first)
    assert rst_problems(first) == ""
    again = run(*args)  # the section is there now, and people may have edited it
    assert again.exit_code == 2 and path.read_text(encoding="utf-8") == first
    assert again.stderr.splitlines() == [
        f"{path}:4: the changelog already has a section for 1.1.0 (24 lines); "
        "pass --replace to overwrite it"
    ]
    replaced = run(*args, "--replace")
    assert replaced.exit_code == 0 and "replaced 24 lines of 1.1.0" in replaced.stderr
    assert path.read_text(encoding="utf-8") == first
    # An older patch release goes below, a newer one above.
    assert (
        run(
            "changelog",
            "generate",
            "--repo",
            str(gitrepo.path),
            "--version",
            "1.0.1",
            "--from",
            "1.0.0",
            "--to",
            "1.0.0",
            "--write",
        ).exit_code
        == 0
    )
    headings = [
        line for line in path.read_text(encoding="utf-8").splitlines() if line[:1].isdigit()
    ]
    assert headings == ["1.1.0 (2024-01-01)", "1.0.1 (2024-01-01)", "1.0.0 (2024-01-01)"]
    parsed = files.read_changelog(
        path, roles=sphinx_issue_roles(gitrepo.path), own_repo="open-zaak/open-zaak"
    )
    assert parsed.underline == "-"
    section = parsed.section("1.1.0")
    assert section is not None and section.start == 4
    issues = {i for e in section.entries for i in e.issues}
    assert {
        "2426",
        "2448",
        "open-zaak/security-issues#10",
        "maykinmedia/open-api-framework#223",
    } <= issues
    assert {e.category for e in section.entries} >= {"New features", "Bugfixes"}


def test_write_markdown_keeps_unreleased_on_top_and_link_definitions(
    gitrepo: GitRepo, golden: Callable[[str, str], None]
) -> None:
    conventional_repo(gitrepo)
    path = gitrepo.path / "CHANGELOG.md"
    args = [
        "changelog",
        "generate",
        "--repo",
        str(gitrepo.path),
        "--version",
        "0.2.0",
        "--date",
        "2024-03-01",
        "--write",
    ]
    assert run(*args).exit_code == 0
    first = path.read_text(encoding="utf-8")
    golden("changelog/conventional-written.md", first)
    assert run(*args).exit_code == 2
    assert run(*args, "--replace").exit_code == 0
    assert path.read_text(encoding="utf-8") == first
    assert first.index("## [Unreleased]") < first.index("## [0.2.0]") < first.index("## [0.1.0]")
    assert first.endswith("[0.1.0]: https://github.com/acme/widget/releases/tag/v0.1.0\n")
    result = run("changelog", "generate", "--repo", str(gitrepo.path), "--write", "--format", "rst")
    assert result.exit_code == 2 and "CHANGELOG.md" in result.stderr


def test_write_creates_the_file_and_rejects_json(gitrepo: GitRepo) -> None:
    gitrepo.commits("feat: one")
    assert run("changelog", "generate", "--repo", str(gitrepo.path), "--write").exit_code == 0
    text = (gitrepo.path / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog\n") and "## [Unreleased]\n\n### Added\n\n- One\n" in text
    result = run(
        "changelog", "generate", "--repo", str(gitrepo.path), "--write", "--format", "json"
    )
    assert result.exit_code == 2


def test_update_text_replaces_only_its_own_section() -> None:
    text = "# Changelog\n\n## [1.1.0] - x\n\n- new\n\n## [1.0.0] - y\n\n- old\n"
    updated = files.update_text(text, "## [1.0.0] - y\n\n- changed\n", "1.0.0", "markdown")
    assert updated.text == "# Changelog\n\n## [1.1.0] - x\n\n- new\n\n## [1.0.0] - y\n\n- changed\n"
    assert (updated.line, updated.replaced) == (7, 3)
    crlf = files.update_text(text.replace("\n", "\r\n"), "## [1.2.0]\n", "1.2.0", "markdown")
    assert crlf.text.startswith("# Changelog\r\n\r\n## [1.2.0]\r\n\r\n## [1.1.0]")
    assert (crlf.line, crlf.replaced) == (3, None)


def test_named_rst_releases_are_read_and_replaced() -> None:
    text = (
        "Changelog\n=========\n\n"
        '3.5.0 "Kjeld" (2026-04-15)\n--------------------------\n\n* Old entry\n\n'
        "3.4.0 (2026-01-10)\n------------------\n\n* Older entry\n"
    )
    parsed = files.parse_changelog(text, "rst")
    assert [(s.version, s.date, s.start) for s in parsed.sections] == [
        ("3.5.0", "2026-04-15", 4),
        ("3.4.0", "2026-01-10", 9),
    ]
    new = '3.5.0 "Kjeld" (2026-04-16)\n--------------------------\n\n* New entry\n'
    updated = files.update_text(text, new, "3.5.0", "rst").text
    assert "Old entry" not in updated and updated.count("3.5.0") == 1
    assert updated.index("New entry") < updated.index("3.4.0")


def test_read_markdown_sections_and_entries() -> None:
    parsed = files.parse_changelog(
        KAC + "\n## [0.0.1]\n\n- Fix #3\n  continued\n", "markdown", own_repo="acme/widget"
    )
    assert [(s.version, s.start, s.end) for s in parsed.sections] == [
        (None, 5, 6),
        ("0.1.0", 7, 14),
        ("0.0.1", 15, 18),
    ]
    assert parsed.sections[2].entries[0].text == "Fix #3 continued"
    assert parsed.sections[2].entries[0].issues == ("3",)
    assert parsed.sections[1].entries[0].category == "Added"


# -- RST text stays text --------------------------------------------------------------------

_piece = st.one_of(
    st.sampled_from([*"`*_|\\:[]<>#-+=.()'\"!~^ ", "``", ".. ", "_`", "|x|", "1. ", "a_"]),
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
)
_entry_text = st.lists(_piece, min_size=1, max_size=30).map("".join)


def render_rst(entry: Entry, own_repo: str, roles: dict[str, str]) -> str:
    """One entry under Bugfixes of 1.0.0, rendered in RST for `own_repo` with Sphinx `roles`."""
    style = changelogs.Style(
        format="rst",
        path=Path("CHANGELOG.rst"),
        sections=(),
        default_section=0,
        own_repo=own_repo,
        roles=roles,
    )
    changelog = Changelog("1.0.0", "2024-01-01", (Section("Bugfixes", (entry,)),))
    return changelogs.render_section(changelog, style)


@settings(max_examples=examples(200), deadline=None)
@given(text=_entry_text, breaking=st.booleans())
def test_any_entry_text_renders_as_valid_rst(text: str, breaking: bool) -> None:
    entry = Entry(text=text, issues=("12", "other/repo#3"), commits=(), breaking=breaking)
    rendered = render_rst(entry, "open-zaak/open-zaak", {"open-zaak": "open-zaak/open-zaak"})
    assert rst_problems(rendered) == "", rendered


def test_rst_references_without_a_role_stay_readable() -> None:
    entry = Entry(text="Fix it", issues=("12", "acme/my_lib#3"), commits=(), breaking=False)
    rendered = render_rst(entry, "acme/widget", {})
    assert "* [#12 / acme/my_lib#3] Fix it" in rendered.splitlines()
    assert rst_problems(rendered) == "", rendered


# -- configuration ----------------------------------------------------------------------------


def test_configuration_is_validated_with_suggestions(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent("""\
        [project]
        name = "x"

        [tool.ozrelease.changelog]
        path = "docs/CHANGES.rst"
        formt = "rst"
        """),
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        load_config(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path / 'pyproject.toml'}:6: tool.ozrelease.changelog.formt: unknown key "
        "'formt'; did you mean 'format'?"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[changelog]\nformat = "html"\n', ":2: changelog.format: 'html' is not one of"),
        ("[changlog]\n", ":1: changlog: unknown key 'changlog'; did you mean 'changelog'?"),
        (
            '[[changelog.sections]]\ntitle = "A"\ngitmoji = ["sparkels"]\n',
            ":3: changelog.sections[0].gitmoji[0]: 'sparkels' is not a gitmoji; did you mean "
            "'sparkles'?",
        ),
        ('[changelog]\ndefault-section = "Nope"\n', "'Nope' is not a section title"),
        ("[changelog.internal]\npahts = []\n", ":2: changelog.internal.pahts: unknown key"),
        ("[changelog\n", ":1: invalid TOML"),
    ],
)
def test_configuration_errors(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / ".ozrelease.toml").write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_config(tmp_path)
    assert message in str(caught.value)


def test_configured_sections_and_internal_rules(gitrepo: GitRepo) -> None:
    (gitrepo.path / ".ozrelease.toml").write_text(
        textwrap.dedent("""\
        [changelog]
        format = "markdown"
        default-section = "Other"
        issue-url = "https://tracker.example.com/browse/{number}"

        [changelog.internal]
        types = ["chore"]

        [[changelog.sections]]
        title = "Features"
        gitmoji = [":sparkles:", "🐛"]
        types = ["feat", "fix"]

        [[changelog.sections]]
        title = "Other"
        """),
        encoding="utf-8",
    )
    gitrepo.commits("feat: a [#1]", "\U0001f41b b", "chore: c", "refactor: d")
    out = run("changelog", "generate", "--repo", str(gitrepo.path)).stdout
    assert out == (
        "## [Unreleased]\n\n### Features\n\n- A ([#1](https://tracker.example.com/browse/1))\n"
        "- B\n\n### Other\n\n- D\n"
    )


def test_both_configuration_files_is_an_error(tmp_path: Path) -> None:
    (tmp_path / ".ozrelease.toml").write_text("[changelog]\n", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[tool.ozrelease]\n", encoding="utf-8")
    with pytest.raises(InputError, match="both"):
        load_config(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.other]\n", encoding="utf-8")
    assert load_config(tmp_path).source == tmp_path / ".ozrelease.toml"


# -- errors and the real executable ---------------------------------------------------------


def test_errors_exit_2_without_traceback(gitrepo: GitRepo, tmp_path: Path) -> None:
    result = run("changelog", "generate", "--repo", str(gitrepo.path))
    assert result.exit_code == 2 and "no commits yet" in result.stderr
    gitrepo.commits("feat: x")
    result = run("changelog", "generate", "--repo", str(gitrepo.path), "--from", "v9")
    assert (result.exit_code, result.stderr) == (2, "error: unknown ref 'v9'\n")
    result = run("changelog", "generate", "--repo", str(gitrepo.path), "--version", "one")
    assert result.exit_code == 2 and "not a valid version" in result.stderr
    (tmp_path / "plain").mkdir()
    result = run("changelog", "generate", "--repo", str(tmp_path / "plain"))
    assert result.exit_code == 2 and "not a git repository" in result.stderr


def test_shallow_clone_without_tags_says_how_to_fetch(gitrepo: GitRepo, tmp_path: Path) -> None:
    gitrepo.commits("feat: a", "feat: b")
    gitrepo.tag("v1.0.0")
    gitrepo.commits("feat: c", "feat: d")
    clone = gitrepo.clone(tmp_path / "shallow", depth=1)
    result = run("changelog", "generate", "--repo", str(clone.path))
    assert result.exit_code == 2
    assert "shallow" in result.stderr and "git fetch --unshallow --tags" in result.stderr
    deeper = gitrepo.clone(tmp_path / "deeper", depth=3)
    deeper.git("fetch", "--quiet", "--depth=3", "origin", "tag", "v1.0.0")
    result = run("changelog", "generate", "--repo", str(deeper.path), "--format", "json")
    assert result.exit_code == 0, result.stderr


@pytest.mark.slow
def test_the_installed_command(gitrepo: GitRepo) -> None:
    conventional_repo(gitrepo)
    exe = installed_ozrelease()
    done = subprocess.run(
        [exe, "changelog", "generate", "--format", "json", "--version", "0.2.0"],
        cwd=gitrepo.path,
        capture_output=True,
        text=True,
        check=False,
        env=gitrepo.env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert json.loads(done.stdout)["version"] == "0.2.0"
    bad = subprocess.run(
        [exe, "changelog", "generate", "--to", "nope"],
        cwd=gitrepo.path,
        capture_output=True,
        text=True,
        check=False,
        env=gitrepo.env,
    )
    assert (bad.returncode, bad.stdout, bad.stderr) == (2, "", "error: unknown ref 'nope'\n")


# -- JSON in pieces -------------------------------------------------------------------------

_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_entry = st.builds(
    Entry,
    text=_text,
    issues=st.lists(_text, max_size=3).map(tuple),
    commits=st.lists(st.text("0123456789abcdef", min_size=40, max_size=40), max_size=3).map(tuple),
    breaking=st.booleans(),
)
_changelog = st.builds(
    Changelog,
    version=st.none() | _text,
    date=st.none() | _text,
    sections=st.lists(
        st.builds(Section, title=_text, entries=st.lists(_entry, max_size=4).map(tuple)),
        max_size=3,
    ).map(tuple),
)


@settings(max_examples=examples(200), deadline=None)
@given(changelog=_changelog, size=st.integers(min_value=1, max_value=5))
def test_json_in_pieces_is_json_dumps_character_for_character(
    changelog: Changelog, size: int
) -> None:
    pieces = list(changelogs.json_pieces(changelog, entries_per_piece=size))
    whole = json.dumps(changelogs.as_json(changelog), ensure_ascii=False)
    assert "".join(pieces) == whole
    entries = sum(len(s.entries) for s in changelog.sections)
    assert len(pieces) <= 1 + (entries + 2 * len(changelog.sections) + 2) // size


@pytest.mark.parametrize(
    "text",
    [
        "=========\nChangelog\n=========\n\n1.1.0 (2024-01-01)\n------------------\n\n* x\n",
        "Changelog\n=========\n\nUnreleased\n~~~~~~~~~~\n\n1.0.0\n~~~~~\n",
        "=====\n1.0.0\n=====\n\n**Bugfixes**\n\n* y\n",
        "Changelog\n=========\n\nNothing released yet.\n",
        "",
    ],
)
def test_the_underline_alone_is_read_as_the_whole_file_reads_it(text: str) -> None:
    """resolve_style reads only the version headings' adornment, without the entries."""
    assert files.rst_underline(text) == files.parse_changelog(text, "rst").underline


# -- generate, write, commit, check: the two read commits the same way ----------------------

_PREFIXES = st.sampled_from(
    [
        ":sparkles: ", ":bug: ", ":lock: ", ":memo: ", ":arrow_up: ", ":recycle: ",
        "\u2728 ", "\U0001f41b ", ":bug: Fix: ", "feat: ", "fix(api): ", "feat!: ",
        "docs: ", "refactor: ", "revert: ", "", ":white_check_mark: ",
    ]
)  # fmt: skip
_REFS = st.sampled_from(
    [
        "", "[#{n}] ", "[open-api-workflows#{n}] ", "[org/other#{n}] ", "[#{n}, #{m}] ",
        "#{n} ", "[open-api-workflows#{n} / #{m}] ",
    ]
)  # fmt: skip
_BODIES = st.sampled_from(
    ["", "Fixes #{m}", "Refs: org/other#{m}", "See #{m} for the details", "Long text only."]
)
_WORDS = st.lists(
    st.sampled_from(["Fix", "the", "thing", "Add", "zaak", "`code`", "api", "objects"]),
    min_size=1,
    max_size=4,
)


@st.composite
def _commit_message(draw: st.DrawFn) -> tuple[str, bool]:
    n, m = draw(st.integers(1, 40)), draw(st.integers(41, 80))
    subject = draw(_PREFIXES) + draw(_REFS).format(n=n, m=m) + " ".join(draw(_WORDS))
    if draw(st.booleans()):
        subject += f" (#{draw(st.integers(81, 99))})"  # a squash merge's pull request
    body = draw(_BODIES).format(m=m)
    return (f"{subject}\n\n{body}" if body else subject), draw(st.booleans())


@pytest.mark.slow  # (a few seconds per history on a busy 2-core machine)
@settings(max_examples=examples(25), deadline=None, suppress_health_check=list(HealthCheck))
@given(
    steps=st.lists(
        st.one_of(
            _commit_message(),
            st.tuples(st.integers(100, 120), st.lists(_commit_message(), min_size=1, max_size=3)),
        ),
        min_size=1,
        max_size=6,
    ),
    fmt=st.sampled_from(["CHANGELOG.rst", "CHANGELOG.md"]),
)
def test_a_written_section_passes_the_check(
    steps: list[Any], fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Random histories: generate, write the section, commit it; `changelog check` then finds
    nothing about the changes the section lists."""
    repo = fresh(Path(tempfile.mkdtemp(dir=tmp_path)), monkeypatch)
    repo.commit(":tada: Start", {fmt: "", "src/app.py": "0"})
    repo.tag("1.0.0")
    for index, step in enumerate(steps):
        if isinstance(step[0], int):
            number, messages = step
            repo.checkout("main")
            repo.git("checkout", "--quiet", "-b", f"feature/{number}-{index}")
            for message, internal in messages:
                repo.commit(message, {"tests/t.py" if internal else f"src/{index}.py": message})
            repo.checkout("main")
            title = messages[0][0].split("\n")[0]
            branch = f"feature/{number}-{index}"
            repo.merge(branch, message=f"Merge pull request #{number} from org/{branch}\n\n{title}")
        else:
            message, internal = step
            repo.commit(message, {"tests/t.py" if internal else f"src/{index}.py": message})
    args = ["--repo", str(repo.path)]
    written = run("changelog", "generate", *args, "--version", "1.1.0", "--write")
    assert written.exit_code == 0, written.stderr
    generated = json.loads(
        run("changelog", "generate", *args, "--version", "1.1.0", "--format", "json").stdout
    )
    listed = {sha for s in generated["sections"] for e in s["entries"] for sha in e["commits"]}
    repo.commit(":memo: Changelog for 1.1.0", {fmt: (repo.path / fmt).read_text("utf-8")})
    checked = run("changelog", "check", *args, "--from", "1.0.0", "--format", "json")
    assert checked.exit_code in (0, 1), checked.stderr
    findings = json.loads(checked.stdout)["findings"]
    about_written = [f for f in findings if set(f["commits"]) & listed]
    assert about_written == [], (repo.path / fmt).read_text("utf-8")


def test_a_repository_named_without_its_owner_is_written_and_checked_as_one_issue(
    gitrepo: GitRepo,
) -> None:
    """The case that made generate and check disagree (issue 13)."""
    gitrepo.commit(":tada: Start", {"src/a.py": "0"})
    gitrepo.tag("1.0.0")
    gitrepo.commit(":bug: [open-api-workflows#30] Fix the thing", {"src/a.py": "1"})
    args = ["--repo", str(gitrepo.path)]
    assert run("changelog", "generate", *args, "--version", "1.1.0", "--write").exit_code == 0
    text = (gitrepo.path / "CHANGELOG.rst").read_text("utf-8")
    assert "* [open-api-workflows#30] Fix the thing\n" in text
    gitrepo.commit(":memo: Changelog", {"CHANGELOG.rst": text})
    checked = run("changelog", "check", *args, "--from", "1.0.0")
    assert checked.exit_code == 0, checked.stdout


def test_sections_are_named_ordered_and_chosen_as_the_released_sections_did(
    gitrepo: GitRepo,
) -> None:
    """The project's headings win (`Bugfixes/QOL`, `Maintenance`), in its order, and a gitmoji
    its released sections put under another heading than the built-in one goes there too."""
    released = (
        "Changelog\n=========\n\n1.0.0 (2024-01-01)\n------------------\n\n"
        "**Maintenance**\n\n* [#1] Upgrade django to 4.2\n* [#2] Upgrade celery to 5.3\n\n"
        "**Bugfixes/QOL**\n\n* [#3] Fix the zaak list\n"
    )
    gitrepo.commit(":tada: Start", {"CHANGELOG.rst": released, "src/a.py": "0"})
    gitrepo.tag("0.9.0")
    gitrepo.commit(":arrow_up: [#1] Upgrade django to 4.2", {"requirements/base.txt": "1"})
    gitrepo.commit(":arrow_up: [#2] Upgrade celery to 5.3", {"requirements/base.txt": "2"})
    gitrepo.commit(":bug: [#3] Fix the zaak list", {"src/a.py": "1"})
    gitrepo.tag("1.0.0")
    gitrepo.commit(":bug: [#4] Fix the besluit list", {"src/a.py": "2"})
    gitrepo.commit(":arrow_up: [#5] Upgrade kombu to 5.4", {"requirements/base.txt": "3"})
    gitrepo.commit(":sparkles: [#6] Add zaak notes", {"src/a.py": "3"})
    result = run("changelog", "generate", "--repo", str(gitrepo.path), "--format", "json")
    sections = [
        (s["title"], [e["issues"] for e in s["entries"]])
        for s in json.loads(result.stdout)["sections"]
    ]
    assert sections == [
        ("Maintenance", [["5"]]),
        ("Bugfixes/QOL", [["4"]]),
        ("New features", [["6"]]),  # no heading of its own yet: the built-in one, after
    ]


def _entries(gitrepo: GitRepo, *extra: str) -> dict[str, list[str]]:
    result = run("changelog", "generate", "--repo", str(gitrepo.path), "--format", "json", *extra)
    assert result.exit_code == 0, result.stderr
    return {
        s["title"]: [e["text"] for e in s["entries"]] for s in json.loads(result.stdout)["sections"]
    }


def test_what_a_release_manager_would_otherwise_fix_by_hand(gitrepo: GitRepo) -> None:
    gitrepo.commit(":tada: Start", {"CHANGELOG.rst": "", "src/a.py": "0"})
    gitrepo.tag("1.0.0")
    # a type inside a gitmoji subject is read as a type, and the gitmoji decides the section
    gitrepo.commit(":bug: Fix: inhoud file is not removed", {"src/a.py": "1"})
    gitrepo.commit(":sparkles: fix: the gitmoji wins", {"src/a.py": "2"})
    # dependency upgrades: one entry per ecosystem, a package's bumps collapsed into one item
    gitrepo.commit(":arrow_up: Upgrade django to 5.2.7", {"requirements/base.txt": "d1"})
    gitrepo.commit(":arrow_up: Bump django from 5.2.7 to 5.2.8", {"requirements/base.txt": "d2"})
    gitrepo.commit(":arrow_up: Upgrade pip to 25.3", {"requirements/base.txt": "p"})
    gitrepo.commit(":arrow_up: Upgrade js-yaml to 4.1.1", {"package-lock.json": "j"})
    # release housekeeping is left out
    gitrepo.commit(":bookmark: Release 1.1.0", {"src/version.py": "1"})
    gitrepo.commit("fixup! :bug: Fix: inhoud file is not removed", {"src/a.py": "3"})
    gitrepo.commit("bump: version 1.0.0 \u2192 1.1.0", {"src/version.py": "2"})
    # ... also in words (django-timeline-logger, django-sniplates, open-afval)
    gitrepo.commit("Prepare release `1.1.0`", {"pyproject.toml": "1"})
    gitrepo.commit(":pencil: Update changelog and bump version", {"pyproject.toml": "2"})
    gitrepo.commit("Bumped version to 1.1.0", {"pyproject.toml": "3"})
    # a pull request title GitHub cut off, or a free-form description, is not the entry text
    gitrepo.pull_request(
        7, "feature/7-long", [":sparkles: [#7] Add the zaak notes endpoint"],
        title=":sparkles: Add the zaak notes endpoint for case handlers who want to leave\u2026",
    )  # fmt: skip
    gitrepo.pull_request(
        8, "fix-tests", [":bug: [#8] Run the tests that never ran"],
        title="Came to fix pyproject.toml, found 2 tests that never ran.",
    )  # fmt: skip
    # a release branch merged as a pull request keeps its changes apart
    gitrepo.checkout("main")
    gitrepo.git("checkout", "--quiet", "-b", "release/1.1")
    gitrepo.commit(":sparkles: [#9] Add besluit export", {"src/b.py": "1"})
    gitrepo.commit(":bug: [#10] Fix besluit dates", {"src/b.py": "2"})
    gitrepo.checkout("main")
    gitrepo.merge(
        "release/1.1", message="Merge pull request #11 from org/release/1.1\n\nRelease v3"
    )
    entries = _entries(gitrepo)
    assert entries["Bugfixes"] == [
        "Inhoud file is not removed",
        "Run the tests that never ran",
        "Fix besluit dates",
    ]
    assert entries["New features"] == [
        "The gitmoji wins",
        "Add the zaak notes endpoint",
        "Add besluit export",
    ]
    assert entries["Project maintenance"] == [
        "Upgrade python dependencies: `django` to 5.2.8; `pip` to 25.3",
        "Upgrade nodejs dependencies: `js-yaml` to 4.1.1",
    ]
    rst = run("changelog", "generate", "--repo", str(gitrepo.path), "--version", "1.1.0").stdout
    assert (
        "* Upgrade python dependencies\n\n  * ``django`` to 5.2.8\n  * ``pip`` to 25.3\n\n" in rst
    )
    assert rst_problems(rst) == ""


def test_breaking_footers_reverts_and_shipping_fixes(gitrepo: GitRepo) -> None:
    gitrepo.commit("chore: start", {"CHANGELOG.md": "", "src/a.py": "0"})
    gitrepo.tag("v1.0.0")
    gitrepo.commit(
        "feat(api)!: new zaak list\n\n"
        "BREAKING CHANGE: the `page` parameter is gone;\nuse `cursor`.",
        {"src/a.py": "1"},
    )
    gitrepo.commit("revert: feat add notes", {"src/a.py": "2"})
    gitrepo.commit("fix(cd): publish musl wheels", {".github/workflows/release.yml": "x"})
    gitrepo.commit("ci: cache pip", {".github/workflows/ci.yml": "x"})
    gitrepo.commit("fix: flaky test", {"tests/test_a.py": "x"})
    entries = _entries(gitrepo)
    assert entries == {
        "Added": ["The `page` parameter is gone; use `cursor`."],
        "Fixed": ["Revert feat add notes", "Publish musl wheels"],
    }


def test_the_heading_form_scopes_and_left_out_types_follow_the_released_sections(
    gitrepo: GitRepo,
) -> None:
    """commitizen's own style: `## v4.12.1 (2026-01-22)`, `### Feat`, `**scope**:`, and no
    docs or build entries, because its released sections never have any."""
    released = (
        "## v1.0.0 (2024-01-01)\n\n### Feat\n\n- **bump**: add --files-only (#3)\n\n"
        "### Fix\n\n- **config**: read empty files (#4)\n- keep the header (#5)\n"
    )
    gitrepo.commit("chore: start", {"CHANGELOG.md": released, "src/a.py": "0"})
    gitrepo.tag("v0.9.0")
    gitrepo.commit("feat(bump): add --files-only (#3)", {"src/a.py": "1"})
    gitrepo.commit("fix(config): read empty files (#4)", {"src/a.py": "2"})
    gitrepo.commit("fix: keep the header (#5)", {"src/a.py": "3"})
    for n in range(3):
        gitrepo.commit(f"docs: explain option {n}", {f"docs/{n}.md": "x"})
        gitrepo.commit(f"build: pin tool {n}", {"uv.lock": str(n)})
    gitrepo.tag("v1.0.0")
    gitrepo.commit("feat(changelog): add --allow-no-commit (#6)", {"src/a.py": "4"})
    gitrepo.commit("docs: explain --allow-no-commit", {"docs/x.md": "y"})
    gitrepo.commit("build: pin tool 9", {"uv.lock": "9"})
    args = ["--repo", str(gitrepo.path), "--version", "1.1.0", "--date", "2024-02-01"]
    text = run("changelog", "generate", *args).stdout
    assert text == (
        "## v1.1.0 (2024-02-01)\n\n### Feat\n\n- **changelog**: Add --allow-no-commit (#6)\n"
    )


def test_changes_shipped_in_patch_releases_of_maintenance_branches_are_left_out(
    gitrepo: GitRepo,
) -> None:
    gitrepo.commit(":tada: Start", {"CHANGELOG.rst": "Changelog\n=========\n", "src/a.py": "0"})
    gitrepo.tag("1.0.0")
    picked = gitrepo.commit(":bug: [#2] Fix the zaak list", {"src/a.py": "1"})
    copied = gitrepo.commit(":bug: Fix the besluit list", {"src/b.py": "1"})
    named = gitrepo.commit(":lock: [#4] Check permissions", {"src/c.py": "1"})
    gitrepo.commit(":sparkles: [#3] Add notes", {"src/d.py": "1"})
    gitrepo.branch("stable/1.0.x", "1.0.0")
    gitrepo.checkout("stable/1.0.x")
    gitrepo.cherry_pick(picked)  # -x: `(cherry picked from commit ...)`
    gitrepo.cherry_pick(copied, record=False)  # the same subject
    gitrepo.tag("1.0.1")
    gitrepo.checkout("main")
    gitrepo.commit(
        ":memo: Changelog of 1.0.1",
        {
            "CHANGELOG.rst": "Changelog\n=========\n\n1.0.1 (2024-01-01)\n------------------\n\n"
            "**Security patches**\n\n* [#4] Check permissions\n"
        },
    )
    entries = _entries(gitrepo, "--from", "1.0.0")
    assert entries == {"New features": ["Add notes"]}, named


def test_security_fixes_from_private_forks_are_written_with_their_advisory(
    gitrepo: GitRepo,
) -> None:
    gitrepo.commit(":tada: Start", {"CHANGELOG.md": "", "src/a.py": "0"})
    gitrepo.git("remote", "add", "origin", "https://github.com/open-zaak/open-zaak.git")
    gitrepo.tag("1.0.0")
    gitrepo.commit(
        ":lock: [open-zaak/security-issues#9] Check permissions of expanded objects\n\n"
        "GHSA-2g4q-9r2x-5x8m",
        {"src/a.py": "1"},
    )
    gitrepo.commit(":lock: [open-zaak/security-issues#10] Hide exception info", {"src/b.py": "1"})
    gitrepo.pull_request(
        12, "dependabot/pip/security", [":arrow_up: Bump django from 5.2.7 to 5.2.8"],
        title=":lock: Security updates",
    )  # fmt: skip
    text = run("changelog", "generate", "--repo", str(gitrepo.path), "--from", "1.0.0").stdout
    assert "### Security\n\n- Check permissions of expanded objects ([GHSA-2g4q-9r2x-5x8m](" in text
    assert "security-issues#9" not in text
    assert "- Hide exception info (open-zaak/security-issues#10)\n" in text  # no link, no 404
    assert "### Changed\n\n- Upgrade dependencies\n  - `django` to 5.2.8\n" in text  # (src/ files)


def test_a_private_fix_takes_the_advisory_its_patch_release_announced(gitrepo: GitRepo) -> None:
    """The fix landed through a private fork names only its private tracker; the patch
    release of the maintenance branch that shipped it first, inside the range, wrote the
    advisory (naming the tracker, or by text). The minor release's entry says the advisory,
    never the 404."""
    gitrepo.commit(":tada: Start", {"CHANGELOG.md": "", "src/a.py": "0"})
    gitrepo.git("remote", "add", "origin", "https://github.com/open-zaak/open-zaak.git")
    gitrepo.tag("1.0.0")
    gitrepo.commit(
        ":lock: [open-zaak/security-issues#9] Escape names in the admin", {"src/a.py": "1"}
    )
    gitrepo.commit(":lock: [open-zaak/security-issues#10] Hide exception info", {"src/b.py": "1"})
    gitrepo.commit(":lock: [open-zaak/security-issues#11] Limit upload sizes", {"src/c.py": "1"})
    gitrepo.commit(
        ":memo: Changelog of 0.9.4",
        {
            "CHANGELOG.md": "# Changelog\n\n## 0.9.5 - 2024-02-01\n\n### Security\n\n"
            "- [open-zaak/security-issues#10] Exception details are no longer returned"
            " (CVE-2023-1234)\n\n"
            "## 0.9.4 - 2024-01-01\n\n### Security\n\n"
            "- Escaped names in the admin (GHSA-2g4q-9r2x-5x8m)\n\n"
            "## 0.8.0 - 2023-06-01\n\n### Security\n\n- Limited upload sizes (CVE-2020-1111)\n"
        },
    )
    text = run("changelog", "generate", "--repo", str(gitrepo.path), "--from", "1.0.0").stdout
    assert "- Escape names in the admin ([GHSA-2g4q-9r2x-5x8m](" in text
    assert "- Hide exception info (CVE-2023-1234)\n" in text
    # (an older release's like-worded fix was another vulnerability: not announced here)
    assert "- Limit upload sizes (open-zaak/security-issues#11)\n" in text
    assert "security-issues#9" not in text and "security-issues#10" not in text


def test_link_definitions_are_added_where_the_headings_link() -> None:
    text = (
        "# Changelog\n\n## [Unreleased]\n\n## [1.2.0] - 2024-01-01\n\n- x\n\n"
        "[Unreleased]: https://github.com/o/r/compare/v1.2.0...HEAD\n"
        "[1.2.0]: https://github.com/o/r/compare/v1.1.0...v1.2.0\n"
    )
    update = files.update_text(text, "## [1.3.0] - 2024-02-01\n\n- y\n", "1.3.0", "markdown")
    added = files.add_link_definition(update.text, "1.3.0")
    assert added.endswith(
        "[Unreleased]: https://github.com/o/r/compare/v1.3.0...HEAD\n"
        "[1.3.0]: https://github.com/o/r/compare/v1.2.0...v1.3.0\n"
        "[1.2.0]: https://github.com/o/r/compare/v1.1.0...v1.2.0\n"
    )
    assert files.add_link_definition(added, "1.3.0") == added
    assert files.add_link_definition("# Changelog\n", "1.3.0") == "# Changelog\n"


def test_a_gitmoji_split_over_two_headings_is_told_apart_by_the_files_it_touched(
    gitrepo: GitRepo,
) -> None:
    """`:sparkles:` under `New features` and under `Experimental features` in the released
    sections: the files the commits touched (`docs/experimental.rst`) choose between them."""
    released = (
        "Changelog\n=========\n\n1.0.0 (2024-01-01)\n------------------\n\n"
        "**New features**\n\n* [#1] Add zaak notes\n* [#2] Add besluit export\n\n"
        "**Experimental features**\n\n* [#3] Add ``/substatussen``\n* [#4] Add ``amount``\n\n"
        "**Bugfixes**\n\n* [#5] Fix the zaak list\n"
    )
    gitrepo.commit(":tada: Start", {"CHANGELOG.rst": released, "src/a.py": "0"})
    gitrepo.tag("0.9.0")
    gitrepo.commit(":sparkles: [#1] Add zaak notes", {"src/zaken/api.py": "1", "src/x.py": "1"})
    gitrepo.commit(":sparkles: [#2] Add besluit export", {"src/besluiten/api.py": "1"})
    experimental = {"src/zaken/api.py": "2", "docs/api/experimental.rst": "1"}
    gitrepo.commit(":sparkles: [#3] Add /substatussen", experimental)
    experimental = {"src/besluiten/api.py": "2", "docs/api/experimental.rst": "2"}
    gitrepo.commit(":sparkles: [#4] Add amount", experimental)
    gitrepo.commit(":bug: [#5] Fix the zaak list", {"src/a.py": "1"})
    gitrepo.tag("1.0.0")
    experimental = {"src/zaken/api.py": "3", "docs/api/experimental.rst": "3"}
    gitrepo.commit(":sparkles: [#6] Add zaak kenmerken filter", experimental)
    gitrepo.commit(":sparkles: [#7] Add zaak archive", {"src/zaken/api.py": "4"})
    gitrepo.commit(":bug: [#8] Fix the besluit list", {"src/a.py": "2"})
    result = run("changelog", "generate", "--repo", str(gitrepo.path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    sections = {
        s["title"]: [e["issues"] for e in s["entries"]]
        for s in json.loads(result.stdout)["sections"]
    }
    assert sections == {
        "New features": [["7"]],
        "Experimental features": [["6"]],
        "Bugfixes": [["8"]],
    }


def test_votes_for_one_heading_spelled_two_ways_are_counted_together(gitrepo: GitRepo) -> None:
    """`Bugfixes and QOL` (older) and `Bugfixes and QoL` (newer) are one heading: three
    `:arrow_up:` entries under it against one under `Maintenance` send `:arrow_up:` there."""
    released = (
        "Changelog\n=========\n\n2.0.0 (2024-02-01)\n------------------\n\n"
        "**Bugfixes and QoL**\n\n* [#3] Upgrade mozilla-django-oidc to fix login\n"
        "* [#4] Upgrade zgw-consumers to fix the services\n\n"
        "**Maintenance**\n\n* [#5] Upgrade celery to 5.3\n\n"
        "1.0.0 (2024-01-01)\n------------------\n\n"
        "**Bugfixes and QOL**\n\n* [#1] Upgrade django to fix the admin\n"
    )
    gitrepo.commit(":tada: Start", {"CHANGELOG.rst": released, "src/a.py": "0"})
    gitrepo.tag("0.9.0")
    gitrepo.commit(":arrow_up: [#1] Upgrade django to fix the admin", {"requirements/a.txt": "1"})
    gitrepo.tag("1.0.0")
    gitrepo.commit(":arrow_up: [#3] Upgrade mozilla-django-oidc", {"requirements/a.txt": "3"})
    gitrepo.commit(":arrow_up: [#4] Upgrade zgw-consumers", {"requirements/a.txt": "4"})
    gitrepo.commit(":arrow_up: [#5] Upgrade celery to 5.3", {"requirements/a.txt": "5"})
    gitrepo.tag("2.0.0")
    gitrepo.commit(":arrow_up: [#6] Upgrade requests to fix proxies", {"requirements/a.txt": "6"})
    result = run("changelog", "generate", "--repo", str(gitrepo.path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    titles = [s["title"] for s in json.loads(result.stdout)["sections"]]
    assert titles == ["Bugfixes and QoL"]
