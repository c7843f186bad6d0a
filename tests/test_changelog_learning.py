"""`changelog generate` choosing sections the way the project's released sections chose them,
and leaving out what releases before it already shipped: real repositories, the real CLI."""

from __future__ import annotations

import json

from click.testing import CliRunner
from gitrepo import GitRepo

from ozrelease.cli import cli


def _sections(gitrepo: GitRepo, *extra: str) -> dict[str, list[str]]:
    result = CliRunner().invoke(
        cli, ["changelog", "generate", "--repo", str(gitrepo.path), "--format", "json", *extra]
    )
    assert result.exit_code == 0, result.output
    return {
        s["title"]: [e["text"] for e in s["entries"]] for s in json.loads(result.stdout)["sections"]
    }


_EXPERIMENTAL = (
    "Changelog\n=========\n\n1.0.0 (2024-01-01)\n------------------\n\n"
    "**New features**\n\n* [#1] Add zaak archive\n* [#10] Add besluit export\n\n"
    "**Experimental features**\n\n* [#2] Add ``/substatussen``\n* [#3] Add ``amount``\n"
    "* [#4] Add ``/zaaknotities``\n\n"
    "**Bugfixes**\n\n* [#5] Fix the zaak list\n\n"
    "**Project maintenance**\n\n* [#6] Refactor the zaak serializer\n"
)


def _released_experimental(gitrepo: GitRepo) -> None:
    """Released sections where `:sparkles:` stood three times under `Experimental features`
    (each touching `docs/api/experimental.rst`) and twice under `New features`."""
    gitrepo.commit(":tada: Start", {"CHANGELOG.rst": _EXPERIMENTAL, "src/a.py": "0"})
    gitrepo.tag("0.9.0")
    gitrepo.commit(":sparkles: [#1] Add zaak archive", {"src/zaken/archive.py": "1"})
    gitrepo.commit(":sparkles: [#10] Add besluit export", {"src/besluiten/export.py": "1"})
    for number, name in ((2, "substatussen"), (3, "amount"), (4, "zaaknotities")):
        files = {f"src/zaken/{name}.py": "1", "docs/api/experimental.rst": name}
        gitrepo.commit(f":sparkles: [#{number}] Add {name}", files)
    gitrepo.commit(":bug: [#5] Fix the zaak list", {"src/zaken/list.py": "1"})
    gitrepo.commit(":recycle: [#6] Refactor the zaak serializer", {"src/zaken/ser.py": "1"})
    gitrepo.tag("1.0.0")


def test_a_heading_that_took_the_feature_gitmoji_ranks_as_features_do(gitrepo: GitRepo) -> None:
    """A pull request of refactors and one `:sparkles:` commit is a feature: it goes under
    the heading the project writes `:sparkles:` changes under, not under maintenance."""
    _released_experimental(gitrepo)
    gitrepo.pull_request(
        7,
        "feature/7-document-registreren",
        [
            ":recycle: [#7] Refactor the document serializer",
            ":sparkles: [#7] Add /document_registreren",
            ":recycle: [#7] Move the mixins",
        ],
        title="Feature/7 document registreren",
    )
    # the feature commit touched the experimental API's documentation
    gitrepo.commit(":sparkles: [#7] List the endpoint", {"docs/api/experimental.rst": "7"})
    sections = _sections(gitrepo, "--from", "1.0.0")
    assert list(sections) == ["Experimental features"], sections


def test_the_files_that_mark_a_heading_choose_it_for_a_pull_request_title_too(
    gitrepo: GitRepo,
) -> None:
    """`:sparkles:` stood under `Experimental features` three times (always touching
    `experimental.rst`) and twice under `New features`: a change that does not touch that
    file goes under `New features`, also when the gitmoji is its pull request's title."""
    _released_experimental(gitrepo)
    gitrepo.pull_request(
        8, "feature/8-logging", [":sparkles: [#8] Add log events"], title=":sparkles: Log events"
    )
    gitrepo.pull_request(
        9, "feature/9-filters", [":construction: [#9] Add filters"], title=":sparkles: Add filters"
    )
    gitrepo.commit(":sparkles: [#9] Document the filters", {"docs/api/experimental.rst": "9"})
    sections = _sections(gitrepo, "--from", "1.0.0")
    assert sections == {"New features": ["Log events"], "Experimental features": ["Add filters"]}


def test_dependency_items_nested_under_an_upgrade_entry_vote_for_its_heading(
    gitrepo: GitRepo,
) -> None:
    """Two `:arrow_up:` entries with an issue under `New features`, three package items
    (``django`` to 5.2) under `Project maintenance`: `:arrow_up:` stays maintenance."""
    released = (
        "Changelog\n=========\n\n1.0.0 (2024-01-01)\n------------------\n\n"
        "**New features**\n\n* [#1] Support Python 3.13\n* [#2] Support PostgreSQL 17\n\n"
        "**Project maintenance**\n\n* Upgrade dependencies\n\n"
        "  * ``django`` to 5.2.1\n  * ``celery`` to 5.5.3\n  * ``kombu`` to 5.5.4\n"
    )
    gitrepo.commit(":tada: Start", {"CHANGELOG.rst": released, "src/a.py": "0"})
    gitrepo.tag("0.9.0")
    gitrepo.commit(":arrow_up: [#1] Support Python 3.13", {"setup.cfg": "313"})
    gitrepo.commit(":arrow_up: [#2] Support PostgreSQL 17", {"docker-compose.yml": "17"})
    for package, version in (("django", "5.2.1"), ("celery", "5.5.3"), ("kombu", "5.5.4")):
        gitrepo.commit(
            f":arrow_up: Upgrade {package} to {version}",
            {"requirements/base.txt": f"{package}=={version}\n"},
        )
    gitrepo.tag("1.0.0")
    gitrepo.commit(":arrow_up: Upgrade redis to 6.2.0", {"requirements/base.txt": "redis\n"})
    sections = _sections(gitrepo, "--from", "1.0.0")
    assert list(sections) == ["Project maintenance"], sections


def test_performance_work_has_a_heading_of_its_own(gitrepo: GitRepo) -> None:
    gitrepo.commit(":tada: Start", {"CHANGELOG.rst": "Changelog\n=========\n", "src/a.py": "0"})
    gitrepo.tag("1.0.0")
    gitrepo.commit(":zap: [#3] Prefetch the zaak statussen", {"src/a.py": "1"})
    gitrepo.commit(":bug: [#4] Fix the zaak list", {"src/b.py": "1"})
    sections = _sections(gitrepo)
    assert sections == {
        "Bugfixes": ["Fix the zaak list"],
        "Performance improvements": ["Prefetch the zaak statussen"],
    }


def test_developer_requirements_and_tooling_alone_are_internal(gitrepo: GitRepo) -> None:
    gitrepo.commit(":tada: Start", {"CHANGELOG.rst": "Changelog\n=========\n", "src/a.py": "0"})
    gitrepo.tag("1.0.0")
    gitrepo.commit(
        ":heavy_minus_sign: Remove unused deployment packages from dev deps",
        {"requirements/dev.in": "", "requirements/dev.txt": ""},
    )
    gitrepo.commit(":arrow_up: Upgrade ruff", {"requirements/ci.txt": "ruff==0.9\n"})
    gitrepo.commit(":arrow_up: Upgrade django to 5.2.8", {"requirements/base.txt": "django\n"})
    # docs tooling and editor configuration too (what the check needs no entry for)
    gitrepo.commit(":memo: Map the framework's docs", {"docs/conf.py": "x", ".gitignore": "x"})
    gitrepo.commit(":wrench: Build the docs on 3.12", {".readthedocs.yaml": "x"})
    sections = _sections(gitrepo)
    assert sections == {
        "Project maintenance": ["Upgrade python dependencies: `django` to 5.2.8"]
    }, sections


def test_what_the_release_branch_of_the_previous_release_shipped_is_left_out(
    gitrepo: GitRepo,
) -> None:
    """1.0.0 was cut from a release branch (not an ancestor of main): its commits that main
    holds too, under the same subject or as the same patch under another, shipped with it."""
    gitrepo.commit(":tada: Start", {"CHANGELOG.rst": "Changelog\n=========\n", "src/a.py": "0"})
    gitrepo.branch("release/1.0")
    same = gitrepo.commit(":wrench: Add envvar to disable cursors", {"src/settings.py": "1"})
    patch = gitrepo.commit(":bug: [#2] Fix the zaak list", {"src/zaken.py": "1"})
    gitrepo.commit(":sparkles: [#3] Add notes", {"src/notes.py": "1"})
    gitrepo.checkout("release/1.0")
    gitrepo.cherry_pick(same, record=False)
    gitrepo.cherry_pick(patch, record=False)
    gitrepo.git("commit", "--quiet", "--amend", "-m", ":bug: Fix the zaak list (backport)")
    gitrepo.tag("1.0.0")
    gitrepo.checkout("main")
    sections = _sections(gitrepo, "--from", "1.0.0", "--version", "1.1.0")
    assert sections == {"New features": ["Add notes"]}, sections


def test_what_the_sections_almost_never_list_without_an_issue_is_left_out(
    gitrepo: GitRepo,
) -> None:
    """`:memo:` entries stood in the released sections with an issue, never the three
    `:memo:` commits without one: a new one without an issue is left out, one with stays."""
    released = (
        "Changelog\n=========\n\n1.0.0 (2024-01-01)\n------------------\n\n"
        "**Bugfixes**\n\n* [#4] Fix the zaak list\n\n"
        "**Documentation**\n\n* [#1] Document the zaak API\n* [#2] Document archiving\n"
    )
    gitrepo.commit(":tada: Start", {"CHANGELOG.rst": released, "src/a.py": "0"})
    gitrepo.tag("0.9.0")
    gitrepo.commit(":bug: [#4] Fix the zaak list", {"src/zaken.py": "1"})
    gitrepo.commit(":memo: [#1] Document the zaak API", {"docs/zaken.rst": "1"})
    gitrepo.commit(":memo: [#2] Document archiving", {"docs/archive.rst": "1"})
    for name in ("typo", "badge", "links"):
        gitrepo.commit(f":memo: Fix the {name}", {f"docs/{name}.rst": "1"})
    gitrepo.tag("1.0.0")
    gitrepo.commit(":memo: Refine the example output", {"docs/example.rst": "1"})
    gitrepo.commit(":memo: [#3] Document the besluit API", {"docs/besluiten.rst": "1"})
    sections = _sections(gitrepo, "--from", "1.0.0")
    assert sections == {"Documentation": ["Document the besluit API"]}, sections


def test_commits_the_sections_listed_in_other_words_count_as_listed(gitrepo: GitRepo) -> None:
    """The released section wrote the three issue-less `:memo:` commits with its own markup
    and words (``--dry-run``, "Documented"): `:memo:` is listed, so a new one stays."""
    released = (
        "Changelog\n=========\n\n1.0.0 (2024-01-01)\n------------------\n\n"
        "**Bugfixes**\n\n* [#4] Fix the zaak list\n\n"
        "**Documentation**\n\n* Documented the ``--dry-run`` option of the import command\n"
        "* Explained the archiving settings in the admin\n"
        "* Documented the zaak export formats\n"
    )
    gitrepo.commit(":tada: Start", {"CHANGELOG.rst": released, "src/a.py": "0"})
    gitrepo.tag("0.9.0")
    gitrepo.commit(":bug: [#4] Fix the zaak list", {"src/zaken.py": "1"})
    gitrepo.commit(":memo: Document the `--dry-run` option of the import command", {"docs/a": "1"})
    gitrepo.commit(":memo: Explain archiving settings in the admin", {"docs/b.rst": "1"})
    gitrepo.commit(":memo: Document zaak export formats", {"docs/c.rst": "1"})
    gitrepo.tag("1.0.0")
    gitrepo.commit(":memo: Document the besluit API", {"docs/besluiten.rst": "1"})
    sections = _sections(gitrepo, "--from", "1.0.0")
    assert sections == {"Documentation": ["Document the besluit API"]}, sections


def test_a_scope_the_sections_never_list_is_left_out_where_its_type_is_listed(
    gitrepo: GitRepo,
) -> None:
    """python-semantic-release lists `build(deps)` and leaves `build(deps-test)` out."""
    released = (
        "# CHANGELOG\n\n## v1.0.0 (2024-01-01)\n\n### Build System\n\n"
        "- **deps**: Bump tomlkit from 0.11 to 0.13\n- **deps**: Bump click from 8.0 to 8.1\n"
        "- **deps**: Bump rich from 13 to 14\n\n### Bug Fixes\n\n- Stop on a bad tag (#7)\n"
    )
    gitrepo.commit("chore: start", {"CHANGELOG.md": released, "src/a.py": "0"})
    gitrepo.tag("v0.9.0")
    gitrepo.commit("fix: stop on a bad tag (#7)", {"src/a.py": "1"})
    for name, old, new in (("tomlkit", "0.11", "0.13"), ("click", "8.0", "8.1"), ("rich", 13, 14)):
        gitrepo.commit(f"build(deps): bump {name} from {old} to {new}", {f"req/{name}": "1"})
    for name in ("pytest", "coverage", "mypy"):
        gitrepo.commit(f"build(deps-test): raise the {name} pin", {f"req/t-{name}.txt": "1"})
    gitrepo.tag("v1.0.0")
    gitrepo.commit("build(deps-test): raise the hypothesis pin", {"req/t-h.txt": "1"})
    gitrepo.commit("build(deps): bump httpx", {"req/httpx.txt": "1"})
    sections = _sections(gitrepo, "--from", "v1.0.0")
    assert sections == {"Build System": ["Bump httpx"]}, sections


def test_a_pull_request_with_a_breaking_commit_is_written_as_what_breaks(gitrepo: GitRepo) -> None:
    gitrepo.commit(":tada: Start", {"CHANGELOG.rst": "", "src/a.py": "0"})
    gitrepo.tag("1.0.0")
    gitrepo.pull_request(
        158, "chore/type-checking", [
            ":construction_worker: Add type checking to CI",
            ":boom: Require Python 3.12 or newer",
            ":label: [#43] Restructure the plugin classes",
        ], title="Type check the package in CI",
    )  # fmt: skip
    entries = _sections(gitrepo, "--from", "1.0.0")
    assert [e for es in entries.values() for e in es] == ["Require Python 3.12 or newer"], entries


def test_internal_work_with_an_issue_is_listed_where_the_sections_list_it(
    gitrepo: GitRepo,
) -> None:
    """Open Zaak 1.24 to 1.26 list CI and test work that has an issue under Maintenance: so
    does the next section; release housekeeping and regenerated translations still do not."""
    released = (
        "Changelog\n=========\n\n1.0.0 (2024-01-01)\n------------------\n\n"
        "**Bugfixes**\n\n* [#4] Fix the zaak list\n\n"
        "**Maintenance**\n\n* [#1] Fix tests for the zaak mixin\n* [#2] Upload benchmark results\n"
        "* [#3] Run the OAS check in CI\n"
    )
    gitrepo.commit(":tada: Start", {"CHANGELOG.rst": released, "src/a.py": "0"})
    gitrepo.tag("0.9.0")
    gitrepo.commit(":bug: [#4] Fix the zaak list", {"src/zaken.py": "1"})
    gitrepo.commit(":white_check_mark: [#1] Fix tests for the zaak mixin", {"tests/t.py": "1"})
    gitrepo.commit(":construction_worker: [#2] Upload benchmark results", {".github/b.yml": "1"})
    gitrepo.commit(":green_heart: [#3] Run the OAS check in CI", {".github/ci.yml": "1"})
    gitrepo.tag("1.0.0")
    gitrepo.commit(":white_check_mark: [#5] Test archiving with dates", {"tests/a.py": "1"})
    gitrepo.commit(":globe_with_meridians: [#6] Regenerate translations", {"src/locale/x.po": "1"})
    gitrepo.commit(":bookmark: [#7] Release 1.1.0", {"src/version.py": "1"})
    gitrepo.commit(  # (it wrote its own entry)
        ":memo: [#8] Refer to the framework's docs",
        {"CHANGELOG.rst": released + "\n", "docs/conf.py": "x"},
    )
    sections = _sections(gitrepo, "--from", "1.0.0")
    assert sections == {"Maintenance": ["Test archiving with dates"]}, sections


def _released_flat(gitrepo: GitRepo, name: str, text: str) -> None:
    gitrepo.commit(":tada: Start", {name: text, "src/a.py": "0"})
    gitrepo.tag("1.0.0")
    gitrepo.commit(":bug: [#5] Fix the export", {"src/export.py": "1"})
    gitrepo.commit(":sparkles: [#6] Add the import", {"src/import.py": "1"})


def test_sections_written_as_one_list_are_generated_as_one_list(gitrepo: GitRepo) -> None:
    """django-log-outgoing-requests writes a release as one list, no sub-headings: so is the
    new section, the most important kind first (the JSON keeps its sections)."""
    released = (
        "=========\nChangelog\n=========\n\n1.0.0 (2024-01-01)\n==================\n\n"
        "* [#3] Added the prune command\n* [#4] Fixed long URLs\n\n"
        "0.9.0 (2023-12-01)\n==================\n\n* [#1] Added the admin\n* [#2] Fixed bodies\n"
    )
    _released_flat(gitrepo, "CHANGELOG.rst", released)
    args = ["changelog", "generate", "--repo", str(gitrepo.path), "--from", "1.0.0"]
    text = CliRunner().invoke(cli, [*args, "--version", "1.1.0", "--date", "2024-02-01"]).stdout
    assert text == (
        "1.1.0 (2024-02-01)\n==================\n\n* [#6] Add the import\n* [#5] Fix the export\n"
    ), text
    assert set(_sections(gitrepo, "--from", "1.0.0")) == {"New features", "Bugfixes"}


def test_entries_lead_with_their_pull_request_where_the_project_s_do(gitrepo: GitRepo) -> None:
    """open-afval cites pull requests, not issues (`[:pr:`38`]: Add ...`): so do entries of no
    issue in the new section; an issue's entry keeps its issue."""
    released = (
        "0.2.0 (2024-01-01)\n==================\n\n* [:pr:`3`]: Added the prune command\n"
        "* [:pr:`4`]: Fixed long URLs\n\n"
        "0.1.0 (2023-12-01)\n==================\n\n* [:pr:`1`]: Added the admin\n"
    )
    gitrepo.commit(":tada: Start", {"CHANGELOG.rst": released, "src/a.py": "0"})
    gitrepo.tag("0.2.0")
    gitrepo.commit("feat: add the container costs (#30)", {"src/costs.py": "1"})
    gitrepo.pull_request(31, "feat/totals", ["feat: expose the totals"], title="Expose totals")
    gitrepo.commit("fix: [#7] keep the FTPS session (#32)", {"src/ftps.py": "1"})
    args = ["changelog", "generate", "--repo", str(gitrepo.path), "--from", "0.2.0"]
    text = CliRunner().invoke(cli, [*args, "--version", "0.3.0", "--date", "2024-02-01"]).stdout
    assert "* [:pr:`30`] Add the container costs\n" in text, text
    assert "* [:pr:`31`] Expose totals\n" in text, text
    assert "* [#7] Keep the FTPS session\n" in text
    # Sections that cite no pull requests: none cited.
    (gitrepo.path / "CHANGELOG.rst").write_text(released.replace("[:pr:`", "[#").replace("`]", "]"))
    text = CliRunner().invoke(cli, [*args, "--version", "0.3.0", "--date", "2024-02-01"]).stdout
    assert ":pr:" not in text and "* Add the container costs\n" in text, text
