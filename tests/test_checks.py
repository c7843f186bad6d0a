"""checks.py against real repositories: each pattern the check must flag or must leave alone,
the section it picks, shallow clones, and the JSON, GitHub and GitLab output."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
from gitrepo import GitRepo, fresh
from hypothesis import given, settings
from hypothesis import strategies as st
from tests_support import examples

from ozrelease import checks
from ozrelease.changelog.config import load_config
from ozrelease.changelog.files import heading_template, read_changelog
from ozrelease.changelog.words import says_same, significant_words
from ozrelease.checks import Report
from ozrelease.checks.migrations import Operation, operations
from ozrelease.checks.output import _escape_data, _escape_property
from ozrelease.checks.section_text import SectionText
from ozrelease.checks.settings import _python_variables
from ozrelease.errors import GitError, InputError
from ozrelease.history import History

CONF_PY = (
    "extlinks = {\n"
    '    "open-zaak": ("https://github.com/open-zaak/open-zaak/issues/%s", "#%s"),\n'
    '    "open-api-framework": ('
    '"https://github.com/maykinmedia/open-api-framework/issues/%s", "#%s"),\n'
    "}\n"
)
SETTINGS = """\
from open_api_framework.conf.utils import config

OPENZAAK_TIMEOUT = config("OPENZAAK_TIMEOUT", default=10, help_text="Timeout.")
OLD_SETTING = config("OLD_SETTING", default="x")
"""
REQUIREMENTS = """\
django==4.2.10
    # via -r requirements/base.in
requests==2.31.0
    # via -r requirements/base.in
urllib3==2.0.7
    # via requests
gone-lib==1.0
    # via -r requirements/base.in
"""


def start(repo: GitRepo, **files: str) -> GitRepo:
    """An Open Zaak-style repository released as 1.0.0."""
    repo.git("remote", "add", "origin", "git@github.com:open-zaak/open-zaak.git")
    repo.commit(
        ":tada: Start",
        {
            "docs/conf.py": CONF_PY,
            "src/openzaak/app.py": "x = 1\n",
            "src/openzaak/conf/base.py": SETTINGS,
            "requirements/base.txt": REQUIREMENTS,
            **files,
        },
    )
    repo.tag("1.0.0", message="Release 1.0.0")
    return repo


def changelog(repo: GitRepo, *sections: str, name: str = "CHANGELOG.rst") -> None:
    """Write the changelog into the work tree (the check reads the file, not a commit)."""
    body = "\n".join(textwrap.dedent(s).strip("\n") + "\n" for s in sections)
    (repo.path / name).write_text(f"=========\nChangelog\n=========\n\n{body}", encoding="utf-8")


def section(version: str, *entries: str, date: str = "2024-01-01") -> str:
    heading = f"{version} ({date})" if date else version
    lines = [heading, "=" * len(heading), "", "**Changes**", ""]
    lines += [f"* {entry}" for entry in entries]
    return "\n".join(lines) + "\n"


def run(repo: GitRepo, to: str = "HEAD", since: str | None = "1.0.0", **kwargs: object) -> Report:
    return checks.check(History(repo.path), to=to, since=since, **kwargs)  # type: ignore[arg-type]


def found(report: Report) -> list[tuple[str, str]]:
    """(kind, issue or category) of every finding."""
    return [(f.kind, f.issue or f.category or "") for f in report.findings]


def rules(report: Report) -> dict[str, str]:
    """subject -> rule of every suppression."""
    return {s.subject: s.rule for s in report.suppressed}


# -- issues ----------------------------------------------------------------------------------


def test_an_undocumented_issue_is_flagged_and_a_documented_one_is_not(gitrepo: GitRepo) -> None:
    start(gitrepo)
    gitrepo.pull_request(11, "issue/10-fix-x", [":bug: [#10] Fix the export"], title=":bug: Fix x")
    fix = gitrepo.rev("issue/10-fix-x")
    merge = gitrepo.head()
    gitrepo.pull_request(13, "feature/12-y", [":sparkles: [#12] Add the import"])
    changelog(gitrepo, section("1.1.0", "[:open-zaak:`12`] Added the import."))
    gitrepo.tag("1.1.0")
    report = run(gitrepo, to="1.1.0")
    assert found(report) == [("issue-missing", "10")]
    finding = report.findings[0]
    assert finding.commits == (fix, merge)  # full shas, oldest first
    assert "#10 is referenced by 1 commit" in finding.message
    assert report.documented == 1 and report.exit_code == 1
    # Pull request numbers (#11, #13) are never taken for issues.
    assert "11" not in json.dumps(checks.as_json(report)["findings"][0]["issue"])
    changelog(gitrepo, section("1.1.0", "[:open-zaak:`12`] Import.", "[:open-zaak:`10`] Export."))
    assert run(gitrepo, to="1.1.0").exit_code == 0


def test_the_issue_a_pull_request_closes_counts_not_its_number(gitrepo: GitRepo) -> None:
    start(gitrepo)
    gitrepo.pull_request(61, "issue/60-slow-list", [":zap: Speed up the list"])
    changelog(gitrepo, section("1.1.0", "Faster lists."))
    assert found(run(gitrepo)) == [("issue-missing", "60")]
    # The section may name the pull request instead.
    changelog(gitrepo, section("1.1.0", "[:open-zaak:`61`] Faster lists."))
    report = run(gitrepo)
    assert report.exit_code == 0 and rules(report) == {"#60": "pull-requests"}
    # A squash merge's "(#N)" names the request, not an issue.
    gitrepo.commit("[#62] Cache the list (#63)", {"src/openzaak/list.py": "cache = 1\n"})
    report = run(gitrepo)
    assert found(report) == [("issue-missing", "62")]


def test_internal_work_is_left_alone(gitrepo: GitRepo) -> None:
    start(gitrepo)
    gitrepo.commit("[#20] Add tests", {"src/openzaak/tests/test_x.py": "x"})
    gitrepo.commit("[#21] Tune CI", {".github/workflows/ci.yml": "x"})
    gitrepo.commit("[#22] Sphinx theme", {"docs/conf.py": CONF_PY + "# theme\n"})
    gitrepo.commit(":white_check_mark: [#23] Cover the API", {"src/openzaak/api.py": "y"})
    gitrepo.commit(":construction_worker: [#24] Build images", {"Dockerfile": "FROM x"})
    gitrepo.commit(":bookmark: [#25] Release 1.1.0", {"src/openzaak/version.py": "1.1"})
    gitrepo.commit(
        ":globe_with_meridians: [#26] Regenerate translations",
        {"src/openzaak/locale/nl/LC_MESSAGES/django.po": "msgid"},
    )
    gitrepo.commit(":memo: [#27] Explain the API", {"docs/api.rst": "API"})
    changelog(gitrepo, section("1.1.0", "Nothing to see."))
    report = run(gitrepo)
    assert report.findings == ()
    assert rules(report) == {
        "#20": "internal-commits",
        "#21": "internal-commits",
        "#22": "internal-commits",
        "#23": "internal-commits",
        "#24": "internal-commits",
        "#25": "internal-commits",
        "#26": "translations",
        "#27": "documentation-only",
    }
    assert any("gitmoji :bookmark:" in s.reason for s in report.suppressed)


def test_every_suppression_can_be_turned_off(gitrepo: GitRepo) -> None:
    start(gitrepo)
    gitrepo.commit("[#20] Add tests", {"src/openzaak/tests/test_x.py": "x"})
    changelog(gitrepo, section("1.1.0", "Nothing to see."))
    (gitrepo.path / ".ozrelease.toml").write_text(
        "[check.rules]\ninternal-commits = false\n", encoding="utf-8"
    )
    config = load_config(gitrepo.path)
    assert found(run(gitrepo, config=config)) == [("issue-missing", "20")]


def test_commits_that_edit_the_changelog_document_their_issue(gitrepo: GitRepo) -> None:
    start(gitrepo)
    changelog(gitrepo, section("1.1.0", "Prepared."))
    gitrepo.commit(":memo: [#30] Changelog for 1.1.0", {"CHANGELOG.rst": "x"})
    gitrepo.commit(":sparkles: [#31] Add X", {"src/openzaak/x.py": "x", "CHANGELOG.rst": "y"})
    gitrepo.commit(":sparkles: [#31] Polish X", {"src/openzaak/x.py": "xx"})
    changelog(gitrepo, section("1.1.0", "Prepared."))
    report = run(gitrepo)
    assert report.findings == ()
    assert rules(report) == {"#30": "changelog-edits", "#31": "changelog-edits"}


def test_patch_releases_cut_from_a_stable_branch_inside_the_range(gitrepo: GitRepo) -> None:
    start(gitrepo)
    gitrepo.branch("stable/1.0.x")
    gitrepo.tick(60 * 24 * 5)
    fix = gitrepo.commit(":bug: [#40] Fix the search", {"src/openzaak/search.py": "fixed"})
    gitrepo.commit(":bug: [#41] Fix the filter", {"src/openzaak/filter.py": "fixed"})
    gitrepo.checkout("stable/1.0.x")
    gitrepo.cherry_pick(fix)
    gitrepo.tag("1.0.1")
    patch_day = gitrepo.clock.date().isoformat()
    gitrepo.checkout("main")
    gitrepo.tick(60 * 24 * 5)
    gitrepo.commit(":sparkles: [#42] Add export", {"src/openzaak/export.py": "x"})
    gitrepo.tag("1.1.0")
    release_day = gitrepo.clock.date().isoformat()
    changelog(
        gitrepo,
        section("1.1.0", "[:open-zaak:`42`] Export.", date=release_day),
        section("1.0.1", "[:open-zaak:`40`] Fixed the search.", date=patch_day),
        section("1.0.0", "First.", date="2024-01-01"),
    )
    report = run(gitrepo, to="1.1.0", since=None)  # --from defaults to 1.0.0
    assert report.since == "1.0.0"
    assert found(report) == [("issue-missing", "41")]
    assert rules(report) == {"#40": "other-sections"}
    assert report.also_covering == (f"1.0.1 ({patch_day})",)
    # The patch release's own range is checked against its own section.
    assert run(gitrepo, to="1.0.1", since="1.0.0").exit_code == 0


def test_security_fixes_from_private_forks_are_documented_by_advisory(gitrepo: GitRepo) -> None:
    start(gitrepo)
    gitrepo.git("checkout", "--quiet", "-b", "ghsa")
    gitrepo.commit(
        ":lock: [open-zaak/security-issues#5] Check permissions", {"src/openzaak/auth.py": "x"}
    )
    gitrepo.checkout("main")
    gitrepo.merge(
        "ghsa",
        message="Merge commit from fork\n\n:lock: [open-zaak/security-issues#5] Check permissions",
    )
    changelog(gitrepo, section("1.1.0", "Security fixes."))
    report = run(gitrepo)
    assert found(report) == [("issue-missing", "open-zaak/security-issues#5")]
    changelog(gitrepo, section("1.1.0", "Security fixes, see GHSA-2g49-rfm6-5qj5."))
    report = run(gitrepo)
    assert report.exit_code == 0
    assert rules(report) == {"open-zaak/security-issues#5": "advisories"}


def test_dependency_upgrades_and_variables_documented_by_name(gitrepo: GitRepo) -> None:
    start(gitrepo)
    gitrepo.commit(
        ":arrow_up: [#50] Upgrade django to 5.0.2",
        {"requirements/base.txt": REQUIREMENTS.replace("django==4.2.10", "django==5.0.2")},
    )
    gitrepo.commit(
        ":wrench: [#51] Make OPENZAAK_TIMEOUT default to 30",
        {"src/openzaak/conf/base.py": SETTINGS.replace("default=10", "default=30")},
    )
    changelog(gitrepo, section("1.1.0", "Upgraded Django to 5.0.2.", "``OPENZAAK_TIMEOUT``: 30."))
    report = run(gitrepo)
    assert report.findings == ()
    assert rules(report) == {"#50": "dependency-names", "#51": "env-var-names"}
    changelog(gitrepo, section("1.1.0", "Maintenance."))
    assert found(run(gitrepo)) == [
        ("issue-missing", "50"),
        ("issue-missing", "51"),
        ("change-missing", "settings"),
        ("change-missing", "dependencies"),
    ]


def test_an_upgrade_named_by_package_and_version_in_other_words_is_documented(
    gitrepo: GitRepo,
) -> None:
    """open-api-framework 0.13.0: `:arrow_up: [#169] Add compatibility for django-csp 4.0`
    against the entry "Pin ```django-csp``` to 4.0 or higher"."""
    start(gitrepo)
    pinned = REQUIREMENTS + "django-csp==4.0\n    # via -r requirements/base.in\n"
    gitrepo.commit(
        ":arrow_up: [#169] Add compatibility for django-csp 4.0",
        {"requirements/base.txt": pinned},
    )
    changelog(gitrepo, section("1.1.0", "Pin ```django-csp``` to 4.0 or higher."))
    report = run(gitrepo)
    assert report.findings == ()
    assert rules(report)["#169"] == "dependency-names"
    changelog(gitrepo, section("1.1.0", "Pin ``django`` to 4.0 or higher."))
    assert ("issue-missing", "169") in found(run(gitrepo))


def test_a_bug_fix_with_a_migration_is_caught(gitrepo: GitRepo) -> None:
    start(gitrepo)
    gitrepo.commit(
        ":bug: Fix rounding of amounts",
        {"src/openzaak/zaken/migrations/0042_fix_rounding.py": "class Migration: pass\n"},
    )
    gitrepo.commit(
        ":bug: [#70] Fix the archive date",
        {"src/openzaak/zaken/migrations/0043_archive.py": "class Migration: pass\n"},
    )
    changelog(gitrepo, section("1.1.0", "Something else."))
    report = run(gitrepo)
    assert found(report) == [("issue-missing", "70"), ("change-missing", "migration")]
    issue, migration = report.findings
    assert issue.paths == ("src/openzaak/zaken/migrations/0043_archive.py",)
    assert "it touches migration" in issue.message
    assert migration.paths == ("src/openzaak/zaken/migrations/0042_fix_rounding.py",)
    assert "Fix rounding of amounts" in migration.message
    # An entry that says what the commit says documents it, issue number or not.
    changelog(
        gitrepo,
        section("1.1.0", "Fixed the rounding of amounts.", "[:open-zaak:`70`] Archive date."),
    )
    report = run(gitrepo)
    assert report.findings == () and list(rules(report).values()) == ["matching-text"]


def test_environment_variables_must_be_named(gitrepo: GitRepo) -> None:
    start(gitrepo)
    settings = (
        SETTINGS.replace("default=10", "default=20")
        .replace('OLD_SETTING = config("OLD_SETTING", default="x")\n', "")
        .replace("\n\nOPENZAAK", '\n\nNEW_FLAG = config("NEW_FLAG", default=False)\nOPENZAAK')
    )
    gitrepo.commit(":wrench: Rework settings", {"src/openzaak/conf/base.py": settings})
    changelog(gitrepo, section("1.1.0", "Added ``NEW_FLAG``."))
    report = run(gitrepo)
    assert found(report) == [("change-missing", "settings")]
    finding = report.findings[0]
    assert finding.names == ("OLD_SETTING", "OPENZAAK_TIMEOUT")
    assert "OLD_SETTING (removed)" in finding.message
    assert "OPENZAAK_TIMEOUT (default 10 -> 20)" in finding.message
    assert finding.paths == ("src/openzaak/conf/base.py",)


def test_settings_are_read_as_python_not_as_text(gitrepo: GitRepo) -> None:
    start(gitrepo)
    settings = SETTINGS.replace(
        'default=10, help_text="Timeout."',
        'default=10,\n    help_text="Timeout.",  # config("IN_COMMENT", 1)\n',
    ) + (
        '"""Read them with `config("IN_DOCSTRING", default=1)`."""\n'
        'HOSTS = config("ALLOWED_HOSTS", default="a,b", cast=Csv())\n'
    )
    gitrepo.commit(":wrench: Allowed hosts", {"src/openzaak/conf/base.py": settings})
    changelog(gitrepo, section("1.1.0", "Something else."))
    report = run(gitrepo)
    assert found(report) == [("change-missing", "settings")]
    assert report.findings[0].names == ("ALLOWED_HOSTS",)
    # A module that does not parse is still searched, as text (comments and all).
    gitrepo.commit(":wrench: Broken", {"src/openzaak/conf/base.py": settings + "def (:\n"})
    names = {name for finding in run(gitrepo).findings for name in finding.names}
    assert names == {"ALLOWED_HOSTS", "IN_COMMENT", "IN_DOCSTRING"}


def test_each_way_of_reading_a_variable() -> None:
    module = (
        "import os\n"
        'A = os.getenv("GET_ENV", "x")\n'
        'B = os.environ.get("ENV_GET")\n'
        'C = os.environ["ITEM_X"]\n'
        'D = env.bool("FLAG_X", False)\n'
        'E = env("PLAIN_X", default=[\n    1, 2])\n'
        'F = get_config("NOT_READ", 4)\n'
        "G = config(name)\n"
        'H = config("lower_case")\n'
        'I = config("GET_ENV", "second read")\n'
        'os.environ.setdefault("DOCKER_X", "1")\n'
    )
    # Defaults are written out from the syntax tree, the same however the module wraps them.
    assert _python_variables(module) == {
        "GET_ENV": "'x'",
        "ENV_GET": "",
        "ITEM_X": "",
        "FLAG_X": "False",
        "PLAIN_X": "[1, 2]",
        "DOCKER_X": "'1'",
    }


def test_production_pins_must_name_their_package(gitrepo: GitRepo) -> None:
    start(gitrepo)
    pins = (
        REQUIREMENTS.replace("django==4.2.10", "django==5.0.2")
        .replace("requests==2.31.0", "requests==2.32.3")
        .replace("urllib3==2.0.7", "urllib3==2.2.0")
        .replace("gone-lib==1.0\n    # via -r requirements/base.in\n", "")
        + "new-lib==0.1\n    # via -r requirements/base.in\n"
    )
    gitrepo.commit(":arrow_up: Upgrade dependencies", {"requirements/base.txt": pins})
    gitrepo.commit(":arrow_up: Upgrade dev tools", {"requirements/dev.txt": "black==25.1\n"})
    changelog(gitrepo, section("1.1.0", "Upgraded dependencies."))
    report = run(gitrepo)
    assert found(report) == [("change-missing", "dependencies")]
    # (new-lib came with an upgrade, in a commit of no issue: nothing else checks it)
    assert report.findings[0].names == ("django", "gone-lib", "new-lib")
    assert rules(report) == {
        "dependency requests": "minor-upgrades",
        "dependency urllib3": "transitive-dependencies",
    }
    changelog(
        gitrepo,
        section("1.1.0", "Upgraded Django to 5.0, dropped ``gone_lib``, added ``new-lib``."),
    )
    assert run(gitrepo).exit_code == 0
    # In prose a package's words may stand apart, the last in the singular (django-camunda
    # 0.14.0: "Removed typing extension dependency" for `typing-extensions`).
    prose = SectionText(["* Removed typing extension dependency."], (), {}, None)
    assert prose.names_package("typing-extensions") and prose.names_package("typing_extension")
    assert not SectionText(["* Removed typing support."], (), {}, None).names_package(
        "typing-extensions"
    )


OPENAPI = """\
openapi: 3.0.3
info: {title: Zaken, version: 1.0.0}
paths:
  /zaken:
    get:
      description: List zaken.
      responses:
        '200':
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Zaak'}
  /zaken/{uuid}:
    delete:
      responses: {'204': {description: Gone}}
components:
  schemas:
    Zaak:
      type: object
      properties:
        url: {type: string}
        omschrijving: {type: string}
"""


def test_api_documents_breaking_changes_must_be_called_breaking(gitrepo: GitRepo) -> None:
    start(gitrepo, **{"src/openapi.yaml": OPENAPI})
    gitrepo.commit(
        ":speech_balloon: Reword the API",
        {"src/openapi.yaml": OPENAPI.replace("List zaken.", "List all zaken.")},
    )
    gitrepo.commit(
        ":fire: [#80] Drop deleting zaken",
        {
            "src/openapi.yaml": OPENAPI.replace("List zaken.", "List all zaken.")
            .replace("    delete:\n      responses: {'204': {description: Gone}}\n", "    {}\n")
            .replace("        omschrijving: {type: string}\n", "")
        },
    )
    changelog(gitrepo, section("1.1.0", "[:open-zaak:`80`] Removed deleting zaken."))
    report = run(gitrepo)
    assert found(report) == [("api-breaking", "api-spec")]
    finding = report.findings[0]
    assert finding.paths == ("src/openapi.yaml",) and len(finding.commits) == 1
    assert "DELETE /zaken/{uuid} was removed" in finding.message
    assert "response property Zaak.omschrijving was removed" in finding.message
    # The wording change alone needs no entry.
    assert rules(report) == {"api-spec src/openapi.yaml": "spec-descriptions"}
    changelog(
        gitrepo,
        "1.1.0\n=====\n\n**Breaking changes**\n\n* [:open-zaak:`80`] Removed deleting zaken.\n",
    )
    report = run(gitrepo)
    assert report.exit_code == 0
    assert rules(report)["api-breaking src/openapi.yaml"] == "breaking-noted"


def test_a_swagger_copy_beside_an_openapi_document_is_compared_once(gitrepo: GitRepo) -> None:
    # Open Zaak 1.x ships each API as openapi.yaml and, beside it, swagger2.0.json.
    swagger = {
        "swagger": "2.0",
        "info": {"title": "Zaken", "version": "1.0.0"},
        "paths": {
            "/zaken": {"get": {"responses": {"200": {"description": "ok"}}}},
            "/zaken/{uuid}": {"delete": {"responses": {"204": {"description": "Gone"}}}},
        },
    }
    gone = json.loads(json.dumps(swagger))
    del gone["paths"]["/zaken/{uuid}"]["delete"]
    copy, alone = json.dumps(swagger, indent=4), json.dumps(gone, indent=4)
    start(
        gitrepo,
        **{
            "src/zaken/openapi.yaml": OPENAPI,
            "src/zaken/swagger2.0.json": copy,
            "src/besluiten/swagger.json": copy,  # (no OpenAPI document beside it)
        },
    )
    gitrepo.commit(
        ":fire: [#80] Drop deleting zaken",
        {
            "src/zaken/openapi.yaml": OPENAPI.replace(
                "    delete:\n      responses: {'204': {description: Gone}}\n", "    {}\n"
            ),
            "src/zaken/swagger2.0.json": alone,
            "src/besluiten/swagger.json": alone,
        },
    )
    changelog(gitrepo, section("1.1.0", "[:open-zaak:`80`] Removed deleting zaken."))
    breaking = [f.paths for f in run(gitrepo).findings if f.kind == "api-breaking"]
    assert breaking == [("src/besluiten/swagger.json",), ("src/zaken/openapi.yaml",)]
    # Removed, the copy is a change of its own: its readers lose it.
    gitrepo.commit(":fire: [#80] Drop Swagger 2", {"src/zaken/swagger2.0.json": None})
    breaking = [f.paths for f in run(gitrepo).findings if f.kind == "api-breaking"]
    assert ("src/zaken/swagger2.0.json",) in breaking and len(breaking) == 3


def test_api_document_changes_without_a_documented_change(gitrepo: GitRepo) -> None:
    start(gitrepo, **{"src/openapi.yaml": OPENAPI})
    added = OPENAPI.replace("        url: {type: string}\n", "        url: {type: string}\n" * 1)
    added = added.replace("paths:\n", "paths:\n  /besluiten:\n    get: {responses: {'200': {}}}\n")
    gitrepo.commit(":sparkles: Add besluiten", {"src/openapi.yaml": added})
    changelog(gitrepo, section("1.1.0", "Other work."))
    assert found(run(gitrepo)) == [("change-missing", "api-spec")]


# -- the section ------------------------------------------------------------------------------


def test_the_section_of_the_version_else_unreleased_else_the_next_one(gitrepo: GitRepo) -> None:
    start(gitrepo)
    gitrepo.commit(":sparkles: [#12] Add Y", {"src/openzaak/y.py": "y"})
    changelog(gitrepo, section("1.1.0", "[:open-zaak:`12`] Y."), section("1.0.0", "First."))
    gitrepo.tag("1.1.0")
    report = run(gitrepo, since=None)  # HEAD carries the tag 1.1.0
    assert (report.section.title, report.section.line) == ("1.1.0 (2024-01-01)", 5)
    assert "version of --to" in report.section.why
    gitrepo.commit(":sparkles: [#13] Add Z", {"src/openzaak/z.py": "z"})
    changelog(
        gitrepo,
        "Unreleased\n==========\n\n* [:open-zaak:`13`] Z.\n",
        section("1.1.0", "[:open-zaak:`12`] Y."),
    )
    report = run(gitrepo, since=None)
    assert report.since == "1.1.0" and report.section.title == "Unreleased"
    assert report.exit_code == 0
    changelog(gitrepo, section("1.2.0", "[:open-zaak:`13`] Z.", date=""), section("1.1.0", "Y."))
    report = run(gitrepo, since=None)
    assert report.section.title == "1.2.0" and "being prepared" in report.section.why
    changelog(gitrepo, section("1.1.0", "Y."))
    with pytest.raises(InputError, match=r"no changelog section covers 1\.1\.0\.\.HEAD"):
        run(gitrepo, since=None)


def test_markdown_changelogs_and_named_releases(gitrepo: GitRepo) -> None:
    start(gitrepo)
    gitrepo.commit("feat: add y (closes #12)", {"src/openzaak/y.py": "y"})
    gitrepo.tag("v1.1.0")
    changelog(
        gitrepo,
        "## [1.1.0] - 2024-01-01\n\n### Added\n\n"
        "- Y ([#12](https://github.com/open-zaak/open-zaak/issues/12))\n",
        name="CHANGELOG.md",
    )
    (gitrepo.path / "CHANGELOG.rst").unlink(missing_ok=True)
    report = run(gitrepo, to="v1.1.0", changelog=Path("CHANGELOG.md"))
    assert report.section.path == "CHANGELOG.md" and report.exit_code == 0
    changelog(
        gitrepo,
        section('1.1.0 "Kjeld"', "[:open-zaak:`12`] Y.", date="2024-01-01"),
        section("1.0.0", "First."),
    )
    report = run(gitrepo, to="v1.1.0")
    assert report.section.title == '1.1.0 "Kjeld" (2024-01-01)' and report.exit_code == 0
    # The date first, the version after it (django-gisserver's CHANGES.md).
    changelog(
        gitrepo,
        "# 2024-08-29 (1.1.0)\n\n* Y (#12).\n\n# 2024-07-01 (1.0.0)\n\n* First.\n",
        name="CHANGES.md",
    )
    (gitrepo.path / "CHANGELOG.rst").unlink()
    report = run(gitrepo, to="v1.1.0", changelog=Path("CHANGES.md"))
    assert report.section.title == "2024-08-29 (1.1.0)" and report.exit_code == 0
    doc = read_changelog(gitrepo.path / "CHANGES.md")
    assert [(s.version, s.date) for s in doc.sections] == [
        ("1.1.0", "2024-08-29"),
        ("1.0.0", "2024-07-01"),
    ]
    assert heading_template(doc) == "{date} ({version})"


def test_tags_in_a_release_namespace_are_versions(gitrepo: GitRepo) -> None:
    # django-sniplates tags `release/0.4.0` and heads its sections `0.4.0 (2015-09-??)`.
    gitrepo.commit(":tada: Start", {"src/app.py": "x = 1\n"})
    gitrepo.tag("release/0.3.2")
    gitrepo.commit(":sparkles: [#12] Add the lazy field exploder", {"src/app.py": "x = 2\n"})
    gitrepo.tag("zgw-consumers-9.9.9")  # another package's tag: no version of this one
    changelog(gitrepo, section("0.4.0", "[#12] A lazy field exploder.", date="2015-09-??"))
    gitrepo.tag("release/0.4.0")
    report = run(gitrepo, to="release/0.4.0", since=None)
    assert report.since == "release/0.3.2"  # the newest version tag before it, by version
    assert report.section.title == "0.4.0 (2015-09-??)" and report.exit_code == 0
    changelog(gitrepo, section("0.4.0", "Faster rendering.", date="2015-09-??"))
    assert found(run(gitrepo, to="release/0.4.0", since=None)) == [("issue-missing", "12")]


# -- could not answer -------------------------------------------------------------------------


def test_a_shallow_clone_is_answered_with_how_to_fetch(gitrepo: GitRepo, tmp_path: Path) -> None:
    start(gitrepo)
    gitrepo.commits(":sparkles: [#1] a", ":sparkles: [#2] b", ":sparkles: [#3] c")
    shallow = gitrepo.clone(tmp_path / "shallow", depth=1)
    changelog(shallow, "Unreleased\n==========\n\n* a\n")
    with pytest.raises(GitError, match=r"shallow.*git fetch --unshallow --tags.*fetch-depth: 0"):
        checks.check(History(shallow.path))
    deeper = gitrepo.clone(tmp_path / "deeper", depth=2)
    changelog(deeper, "Unreleased\n==========\n\n* a\n")
    with pytest.raises(GitError, match=r"unknown ref '1\.0\.0'.*shallow"):
        checks.check(History(deeper.path), since="1.0.0")
    deeper.git("fetch", "--quiet", "--depth=2", "origin", "tag", "1.0.0")
    with pytest.raises(GitError, match="the history is shallow: the parents of"):
        checks.check(History(deeper.path), since="1.0.0")


def test_unknown_refs_and_missing_changelogs(gitrepo: GitRepo) -> None:
    start(gitrepo)
    with pytest.raises(GitError, match="unknown ref 'nope'"):
        run(gitrepo, to="nope")
    with pytest.raises(InputError, match="no changelog file"):
        run(gitrepo)


# -- output -----------------------------------------------------------------------------------


def flagged(gitrepo: GitRepo) -> Report:
    start(gitrepo)
    gitrepo.commit(":bug: [#10] Fix 100%, a: b\nsecond line", {"src/openzaak/x.py": "x"})
    gitrepo.commit(":bug: [#11] Fix y", {"src/openzaak/y.py": "y"})
    gitrepo.commit("[#20] Add tests", {"src/openzaak/tests/test_x.py": "x"})
    changelog(gitrepo, section("1.1.0", "Other."))
    return run(gitrepo)


def test_json_follows_the_contract(gitrepo: GitRepo) -> None:
    data = checks.as_json(flagged(gitrepo))
    assert data["format"] == "ozrelease-check/1"
    assert data["range"] == {"from": "1.0.0", "to": "HEAD"}
    assert data["commitsScanned"] == 3
    assert [sorted(f) for f in data["findings"]] == [
        ["category", "commits", "issue", "kind", "message", "paths"]
    ] * 2
    first = data["findings"][0]
    assert first["kind"] == "issue-missing" and first["issue"] == "10"
    assert first["category"] is None and first["paths"] == []
    assert all(re.fullmatch(r"[0-9a-f]{40}", c) for c in first["commits"])
    assert data["section"]["file"] == "CHANGELOG.rst" and data["section"]["line"] == 5
    assert "suppressed" not in data
    verbose = checks.as_json(flagged_again(gitrepo), verbose=True)
    assert verbose["suppressed"][0]["rule"] == "internal-commits"
    json.dumps(data)


def flagged_again(gitrepo: GitRepo) -> Report:
    return run(gitrepo)


def test_github_workflow_commands_are_escaped(gitrepo: GitRepo) -> None:
    out = checks.github_annotations(flagged(gitrepo))
    lines = out.splitlines()
    assert len(lines) == 3
    pattern = re.compile(r"^::(warning|notice) file=([^,:]+),line=(\d+)(?:,title=([^:]+))?::(.*)$")
    parsed = [pattern.match(line) for line in lines]
    assert all(parsed)
    first = parsed[0]
    assert first is not None
    assert first.group(1, 2, 3, 4) == ("warning", "CHANGELOG.rst", "5", "ozrelease issue-missing")
    # Data escapes %, CR and LF; properties also : and ,.
    assert "100%25, a: b" in first.group(5)
    assert _escape_property("a:b,c%") == "a%3Ab%2Cc%25"
    assert _escape_data("x\ny\r%") == "x%0Ay%0D%25"
    assert lines[2].startswith("::notice file=CHANGELOG.rst,line=5::2 undocumented changes")


def test_gitlab_code_quality_report(gitrepo: GitRepo) -> None:
    report = flagged(gitrepo)
    entries = json.loads(json.dumps(checks.gitlab_code_quality(report)))
    assert len(entries) == 2
    for entry in entries:
        assert set(entry) == {"description", "check_name", "fingerprint", "severity", "location"}
        assert entry["check_name"] == "ozrelease-issue-missing"
        assert entry["severity"] == "minor"
        assert entry["location"] == {"path": "CHANGELOG.rst", "lines": {"begin": 5}}
        assert re.fullmatch(r"[0-9a-f]{64}", entry["fingerprint"])
    assert entries[0]["fingerprint"] != entries[1]["fingerprint"]
    # Stable: the same finding keeps its fingerprint when the history grows.
    gitrepo.commit(":sparkles: [#12] More", {"src/openzaak/z.py": "z"})
    again = checks.gitlab_code_quality(run(gitrepo))
    assert {e["fingerprint"] for e in entries} <= {e["fingerprint"] for e in again}


def test_the_check_configuration_is_validated(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.ozrelease.check]\nprivate-trackers = ['*/security-issues']\n"
        "[tool.ozrelease.check.rules]\nother-section = false\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as error:
        load_config(tmp_path)
    assert str(error.value) == (
        f"{tmp_path / 'pyproject.toml'}:4: tool.ozrelease.check.rules.other-section: "
        "unknown key 'other-section'; did you mean 'other-sections'?"
    )
    (tmp_path / "pyproject.toml").write_text(
        "[tool.ozrelease.check]\nignore-issue = []\n", encoding="utf-8"
    )
    with pytest.raises(InputError, match="did you mean 'ignore-issues'"):
        load_config(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        "[tool.ozrelease.check]\nignore-issues = ['12']\n"
        "internal-gitmoji = [':recycle:']\n"
        "[tool.ozrelease.check.categories]\nmigration = []\nfixtures = ['**/fixtures/*.json']\n"
        "[tool.ozrelease.check.rules]\nminor-upgrades = false\n",
        encoding="utf-8",
    )
    config = load_config(tmp_path).check
    assert config.categories["migration"] == () and "api-spec" in config.categories
    assert config.categories["fixtures"] == ("**/fixtures/*.json",)
    assert "minor-upgrades" not in config.rules and "other-sections" in config.rules
    assert config.ignore_issues == {"12"} and config.internal_gitmoji == {"recycle"}


def test_custom_categories_and_ignored_issues(gitrepo: GitRepo) -> None:
    start(gitrepo)
    (gitrepo.path / ".ozrelease.toml").write_text(
        "[check]\nignore-issues = ['#90']\n[check.categories]\nfixtures = ['**/fixtures/*.json']\n",
        encoding="utf-8",
    )
    gitrepo.commit(":card_file_box: New fixture", {"src/openzaak/fixtures/x.json": "{}"})
    gitrepo.commit(":bug: [#90] Known", {"src/openzaak/known.py": "x"})
    changelog(gitrepo, section("1.1.0", "Other."))
    report = run(gitrepo, config=load_config(gitrepo.path))
    assert found(report) == [("change-missing", "fixtures")]
    assert rules(report) == {"#90": "ignored-issues"}


def test_what_a_pull_request_title_or_a_revert_says(gitrepo: GitRepo) -> None:
    start(gitrepo)
    # "[#309] :white_check_mark: Fix tests" is test work, whatever its commits touch.
    gitrepo.pull_request(
        321,
        "feature/flaky-tests",
        [":recycle: Use the new client", ":white_check_mark: Record the responses"],
        title="[#309] :white_check_mark: Fix tests with VCR",
    )
    # A revert is about its own issue, not the reverted commit's.
    gitrepo.commit(
        ':rewind: [#64] Revert ":fire: [#60] Remove unused properties"',
        {"src/openzaak/props.py": "back"},
    )
    gitrepo.commit(":memo: [#65] Fix a help text", {"src/openzaak/api.py": "help"})
    changelog(gitrepo, section("1.1.0", "Other work."))
    report = run(gitrepo)
    assert found(report) == [("issue-missing", "64")]
    assert rules(report) == {"#309": "internal-commits", "#65": "documentation-only"}
    reasons = {s.subject: s.reason for s in report.suppressed}
    assert "its pull request's title says :white_check_mark:" in reasons["#309"]


def test_an_upgrade_does_not_hide_the_fix_that_came_with_it(gitrepo: GitRepo) -> None:
    start(gitrepo)
    gitrepo.commit(
        ":arrow_up: [maykinmedia/open-api-framework#222] Upgrade django to 5.0.2",
        {"requirements/base.txt": REQUIREMENTS.replace("django==4.2.10", "django==5.0.2")},
    )
    gitrepo.commit(
        ":lock: [maykinmedia/open-api-framework#222] Prevent privilege escalation",
        {"src/openzaak/admin.py": "x"},
    )
    changelog(gitrepo, section("1.1.0", "Upgraded Django to 5.0.2."))
    report = run(gitrepo)
    assert found(report) == [("issue-missing", "maykinmedia/open-api-framework#222")]
    changelog(
        gitrepo,
        section(
            "1.1.0",
            "Upgraded Django to 5.0.2.",
            "[:open-api-framework:`222`] Prevented privilege escalation.",
        ),
    )
    assert run(gitrepo).exit_code == 0


# -- who "this repository" is -----------------------------------------------------------------


def mirrored(repo: GitRepo, tmp_path: Path) -> GitRepo:
    """A repository whose origin is a local mirror, with a changelog that links issues with
    an `:open-zaak:` role and no docs/conf.py (no extlinks)."""
    mirror = tmp_path / "mirror.git"
    repo.commit(":tada: Start", {"src/openzaak/app.py": "x = 1\n"})
    repo.tag("1.0.0", message="Release 1.0.0")
    repo.git("clone", "--quiet", "--mirror", str(repo.path), str(mirror))
    repo.git("remote", "add", "origin", str(mirror))
    repo.commit(":bug: [#12] Fix the search", {"src/openzaak/search.py": "fixed"})
    repo.commit(
        ":bug: [maykinmedia/open-api-framework#83] Fix logging", {"src/openzaak/log.py": "x"}
    )
    changelog(
        repo,
        section(
            "1.1.0",
            "[:open-zaak:`12`] Fixed the search.",
            "[:open-api-framework:`83`] Fixed logging.",
        ),
    )
    return repo


@pytest.mark.parametrize(
    ("where", "files", "remote"),
    [
        (
            "publiccode.yml url",
            {
                "publiccode.yml": "publiccodeYmlVersion: '0.2'\nurl: 'https://github.com/open-zaak/open-zaak.git'\n"
            },
            None,
        ),
        (
            "publiccode.yaml url",
            {"publiccode.yaml": "url: https://github.com/open-zaak/open-zaak\n"},
            None,
        ),
        (
            "pyproject.toml [project.urls] Repository",
            {
                "pyproject.toml": '[project]\nname = "openzaak"\n[project.urls]\n'
                'Documentation = "https://open-zaak.readthedocs.io/"\n'
                'Repository = "https://github.com/open-zaak/open-zaak/tree/main"\n'
            },
            None,
        ),
        ("remote upstream", {}, "https://github.com/open-zaak/open-zaak.git"),
        (
            "configuration",
            {".ozrelease.toml": '[changelog]\nrepository = "open-zaak/open-zaak"\n'},
            None,
        ),
    ],
)
def test_the_forge_identity_when_origin_is_a_mirror(
    gitrepo: GitRepo, tmp_path: Path, where: str, files: dict[str, str], remote: str | None
) -> None:
    mirrored(gitrepo, tmp_path)
    report = run(gitrepo)
    # Unknown: the bare #12 is not the changelog's :open-zaak:`12`, and the user is told.
    assert found(report) == [("issue-missing", "12")]
    assert len(report.notes) == 1
    assert "owner/name" in report.notes[0] and "repository =" in report.notes[0]
    if remote:
        gitrepo.git("remote", "add", "upstream", remote)
    if files:
        gitrepo.commit(":wrench: Project files", files)
    report = run(gitrepo)
    assert report.exit_code == 0, found(report)
    assert report.notes == ()
    from ozrelease.changelog.config import load_config as load
    from ozrelease.changelog.generate import resolve_style

    history = History(gitrepo.path)
    style = resolve_style(history, load(gitrepo.path), identity_files=True)
    assert (style.own_repo, style.own_source) == ("open-zaak/open-zaak", where)


def test_repo_from_url_reads_forge_addresses_not_paths() -> None:
    from ozrelease.changelog.style import repo_from_url

    assert repo_from_url("git@github.com:open-zaak/open-zaak.git") == "open-zaak/open-zaak"
    assert repo_from_url("https://github.com/open-zaak/open-zaak/issues") == "open-zaak/open-zaak"
    assert repo_from_url("https://gitlab.com/group/sub/proj/-/issues") == "group/sub/proj"
    assert repo_from_url("https://github.com/a/b/tree/main/docs") == "a/b"
    assert repo_from_url("/work/.mirror/open-zaak+open-zaak/repo") is None
    assert repo_from_url("file:///srv/git/x.git") is None


def test_an_rst_underline_shorter_than_its_title_is_a_heading(gitrepo: GitRepo) -> None:
    start(gitrepo)
    gitrepo.commit(":bug: [#12] Fix the search", {"src/openzaak/search.py": "fixed"})
    gitrepo.tag("1.1.0")
    body = (
        "=========\nChangelog\n=========\n\n"
        "1.1.0 (2024-01-02)\n==========\n\n* [:open-zaak:`12`] Fixed the search.\n\n"
        "1.0.0 (2024-01-01)\n==================\n\n* First.\n"
    )
    (gitrepo.path / "CHANGELOG.rst").write_text(body, encoding="utf-8")
    report = run(gitrepo, to="1.1.0")
    assert report.section.title == "1.1.0 (2024-01-02)"
    assert report.exit_code == 0
    # Three characters are too short for docutils too: ordinary text, not a heading.
    (gitrepo.path / "CHANGELOG.rst").write_text(body.replace("==========\n", "===\n", 1))
    with pytest.raises(InputError, match="no changelog section covers"):
        run(gitrepo, to="1.1.0")


# -- sections released inside the range -------------------------------------------------------


def test_advisories_of_patch_sections_inside_the_range_document_private_issues(
    gitrepo: GitRepo,
) -> None:
    start(gitrepo)
    gitrepo.branch("stable/1.0.x")
    gitrepo.tick(60 * 24 * 3)
    for n in range(1, 6):
        branch = f"ghsa-{n}"
        gitrepo.git("checkout", "--quiet", "-b", branch, "main")
        gitrepo.commit(
            f":lock: [open-zaak/security-issues#{n}] Check permission {n}",
            {f"src/openzaak/auth{n}.py": "x"},
        )
        gitrepo.checkout("main")
        gitrepo.merge(branch, message=f"Merge commit from fork\n\nsecurity fix {n}")
    gitrepo.tag("1.1.0")
    day = gitrepo.clock.date().isoformat()
    advisories = ["GHSA-2g49-rfm6-5qj5", "GHSA-3c4q-6m2x-9wv8", "GHSA-4fh7-jj7g-pq2x"]
    advisories += ["CVE-2024-12345", "GHSA-5hvx-cc8f-7w9m"]
    cited = " ".join(
        f"`{a}`_" if i % 2 else f"({a})" for i, a in enumerate(advisories)
    )  # RST links and parentheses around the identifiers
    changelog(
        gitrepo,
        section("1.1.0", "Features.", date=day),
        section("1.0.1", f"Security fixes: {cited}", date=day),
        section("1.0.0", "First."),
    )
    report = run(gitrepo, to="1.1.0")
    assert report.exit_code == 0, found(report)
    reasons = {s.subject: s.reason for s in report.suppressed if s.rule == "advisories"}
    assert len(reasons) == 5
    assert all("1.0.1" in r and "released inside the range" in r for r in reasons.values())
    assert all(a.upper() in reasons["open-zaak/security-issues#1"] for a in advisories)


def test_an_untagged_to_does_not_count_sections_released_before_from(gitrepo: GitRepo) -> None:
    start(gitrepo)
    gitrepo.tick(60 * 24 * 10)
    gitrepo.commit(":sparkles: [#40] Add export", {"src/openzaak/export.py": "x"})
    gitrepo.commit(":bug: [#41] Fix the filter", {"src/openzaak/filter.py": "x"})
    changelog(
        gitrepo,
        "Unreleased\n==========\n\n* [:open-zaak:`41`] Fixed the filter.\n",
        # A version above --from, dated before it: not released inside the range.
        section("1.2.0", "[:open-zaak:`40`] Export.", date="2023-12-20"),
        section("1.0.0", "First.", date="2024-01-01"),
    )
    report = run(gitrepo, to="HEAD", since="1.0.0")
    assert report.also_covering == ()
    assert found(report) == [("issue-missing", "40")]


# -- settings read as Python values -------------------------------------------------------------


def test_settings_are_compared_as_python_values(gitrepo: GitRepo) -> None:
    docker = (
        'import os\n\nos.environ.setdefault("DB_HOST", "db")\n'
        'os.environ.setdefault("RETRY_STATUS", "502,503,504")\n'
        'os.environ.setdefault("DB_PORT", 5432)\n'
        'os.environ.setdefault("DB_POOL_MAX_SIZE", None)\n'
    )
    start(gitrepo, **{"src/openzaak/conf/docker.py": docker})
    # The docker settings module gives DB_HOST another default; RETRY_STATUS is written as a
    # list now, DB_PORT and DB_POOL_MAX_SIZE as strings: the same values.
    changed = docker.replace('"db"', '"postgres"').replace('"502,503,504"', "[502, 503, 504]")
    changed = changed.replace("5432", '"5432"').replace("None)", '"None")')
    gitrepo.commit(":whale: Docker defaults", {"src/openzaak/conf/docker.py": changed})
    changelog(gitrepo, section("1.1.0", "Other things."))
    report = run(gitrepo)
    assert found(report) == [("change-missing", "settings")]
    finding = report.findings[0]
    assert finding.names == ("DB_HOST",)
    assert "DB_HOST (default 'db' -> 'postgres')" in finding.message


def test_a_variable_moved_into_a_framework_is_not_removed(gitrepo: GitRepo) -> None:
    start(gitrepo)
    # The module now takes open-api-framework's settings wholesale; OLD_SETTING is read there.
    moved = "from open_api_framework.conf.base import *  # noqa\n" + SETTINGS.replace(
        'OLD_SETTING = config("OLD_SETTING", default="x")\n', ""
    )
    gitrepo.commit(":recycle: Use the framework's settings", {"src/openzaak/conf/base.py": moved})
    changelog(gitrepo, section("1.1.0", "Other things."))
    assert run(gitrepo).exit_code == 0
    # Without the star import the variable is gone.
    gone = SETTINGS.replace('OLD_SETTING = config("OLD_SETTING", default="x")\n', "")
    gitrepo.commit(":fire: Drop it", {"src/openzaak/conf/base.py": gone})
    report = run(gitrepo)
    assert report.findings[0].names == ("OLD_SETTING",)


def test_a_huge_message_naming_many_issues_gives_short_findings(gitrepo: GitRepo) -> None:
    start(gitrepo)
    subject = ":bug: " + " ".join(f"[#{n}] fix OPENZAAK_X_{n}" for n in range(1, 801))
    body = "\n".join(f"Refs: #{n} and words about change {n}" for n in range(801, 1601))
    gitrepo.commit(f"{subject}\n\n{body}", {"src/openzaak/x.py": "x"})
    changelog(gitrepo, section("1.1.0", "[:open-zaak:`5`] Fixed 5."))
    report = run(gitrepo)
    assert len(report.findings) == 1599  # every issue but #5
    assert {f.commits for f in report.findings} == {(gitrepo.rev(),)}
    # Each names the commit and a one-line headline, never the whole message again.
    assert max(len(f.message) for f in report.findings) < 400
    assert all("\n" not in f.message for f in report.findings)


def test_the_analysis_reports_its_stages(gitrepo: GitRepo) -> None:
    start(gitrepo)
    gitrepo.commit(":wrench: Timeout", {"src/openzaak/conf/base.py": SETTINGS.replace("10", "20")})
    changelog(gitrepo, section("1.1.0", "Other things."))
    stages: list[str] = []

    def stage(text: str, done: int | None = None, total: int | None = None, unit: str = "") -> None:
        stages.append(text if done is None else f"{text}: {done}/{total} {unit}")

    run(gitrepo, stage=stage)
    assert stages[:2] == ["Grouping changes", "Checking the issues of 1 commits"]
    assert "Reading 1 watched files over the range" in stages
    # A step through many items says how far it is, item by item.
    at = stages.index("Checking the commits that changed 1 watched files")
    assert stages[at + 1] == "Checking the commits that changed 1 watched files: 0/1 commits"
    assert stages[-1] == "Checking dependencies"


# -- dependency pins as the project documents them --------------------------------------------


def test_an_app_the_settings_install_is_no_transitive_pin(gitrepo: GitRepo) -> None:
    # archiefbeheercomponent 1.1.5: upgrading zgw-consumers brought django-simple-certmanager
    # (`# via zgw-consumers`), and the settings put it in INSTALLED_APPS: its tables and admin
    # come with the release. The section named only zgw-consumers.
    start(gitrepo)
    pins = REQUIREMENTS + "zgw-consumers==0.20.0\n    # via -r requirements/base.in\n"
    gitrepo.commit(":heavy_plus_sign: Add zgw-consumers", {"requirements/base.txt": pins})
    gitrepo.tag("1.0.1")
    brought = "django-simple-certmanager==1.4.1\n    # via zgw-consumers\n"
    upgraded = pins.replace("0.20.0", "0.35.1") + brought
    apps = SETTINGS + 'INSTALLED_APPS = ["zgw_consumers", "simple_certmanager"]\n'
    gitrepo.commit(":arrow_up: zgw-consumers", {"requirements/base.txt": upgraded})
    upgrade = "Upgraded zgw-consumers to 0.35.1."
    changelog(gitrepo, section("1.1.0", upgrade))
    report = run(gitrepo, since="1.0.1")
    assert found(report) == [] and rules(report)["dependency django-simple-certmanager"] == (
        "transitive-dependencies"
    )
    gitrepo.commit(":wrench: Configure the certificates", {"src/openzaak/conf/base.py": apps})
    report = run(gitrepo, since="1.0.1")
    assert [f.message.split(" (")[0] for f in report.findings] == [
        "dependency django-simple-certmanager"
    ]
    # Named by its module in the upgrade's entry, it is documented.
    changelog(gitrepo, section("1.1.0", upgrade + " It brings simple certmanager 1.4."))
    assert run(gitrepo, since="1.0.1").exit_code == 0


def test_a_project_that_lists_its_upgrades_must_list_every_one(gitrepo: GitRepo) -> None:
    start(gitrepo)
    bumped = REQUIREMENTS.replace("requests==2.31.0", "requests==2.32.3").replace(
        "urllib3==2.0.7", "urllib3==2.2.2"
    )
    gitrepo.commit(":arrow_up: Upgrade requests", {"requirements/base.txt": bumped})
    past = [section(f"1.0.{n}", "Upgrade dependencies", date=f"2023-0{n}-01") for n in (1, 2, 3)]
    listing = "\n  * ``django`` to 4.2.{n}\n  * ``celery`` to 5.3.{n}\n"
    listed = [
        p.replace("Upgrade dependencies", "Upgrade dependencies" + listing.format(n=i))
        for i, p in enumerate(past)
    ]
    # Past sections that never list packages: upgrades inside a major version may go unnamed.
    changelog(gitrepo, section("1.1.0", "Other things."), *reversed(past))
    assert run(gitrepo).exit_code == 0
    # Past sections that list them: every moved pin is a finding, a transitive one's too.
    changelog(gitrepo, section("1.1.0", "Other things."), *reversed(listed))
    report = run(gitrepo)
    assert found(report) == [("change-missing", "dependencies")]
    finding = report.findings[0]
    assert finding.names == ("requests", "urllib3")
    assert f"by {finding.commits[0][:10]} ':arrow_up: Upgrade requests'" in finding.message
    assert finding.message.endswith(
        "the section lacks: Upgraded ``requests`` to 2.32.3 / Upgraded ``urllib3`` to 2.2.2"
    )
    # A pin only another package needed, and no longer does, is listed by no project
    # (josepy, gone with mozilla-django-oidc 5); a direct one that goes is a finding.
    gone = bumped.replace("urllib3==2.2.2\n    # via requests\n", "")
    gitrepo.commit(":arrow_up: Upgrade requests again", {"requirements/base.txt": gone})
    report = run(gitrepo)
    assert report.findings[0].names == ("requests",)
    assert rules(report) == {"dependency urllib3": "transitive-dependencies"}
    direct = gone.replace("gone-lib==1.0\n    # via -r requirements/base.in\n", "")
    gitrepo.commit(":fire: Drop gone-lib", {"requirements/base.txt": direct})
    assert [f.names for f in run(gitrepo).findings] == [("gone-lib",), ("requests",)]


def test_findings_name_the_commit_the_file_and_the_missing_sentence(gitrepo: GitRepo) -> None:
    start(gitrepo)
    sha = gitrepo.commit(":bug: [#77] Fix the export of zaken", {"src/openzaak/export.py": "x"})
    gitrepo.commit(
        ":wrench: Timeout",
        {"src/openzaak/conf/base.py": SETTINGS.replace("default=10", "default=20")},
    )
    changelog(gitrepo, section("1.1.0", "Other things."))
    issue, setting = run(gitrepo).findings
    assert f"({sha[:10]}, in src/openzaak/export.py)" in issue.message
    assert issue.message.endswith("the section lacks: [#77] Fix the export of zaken")
    assert setting.message.endswith(
        "the section lacks: Changed the default of ``OPENZAAK_TIMEOUT`` from 10 to 20"
    )


# -- text matching ----------------------------------------------------------------------------


def test_text_matching_survives_inflection_and_spelling(gitrepo: GitRepo) -> None:
    start(gitrepo)
    gitrepo.commit(":bug: [#51] improve the zaak search behavior", {"src/openzaak/search.py": "x"})
    gitrepo.commit(":zap: [#52] optimise caching of catalogues", {"src/openzaak/cache.py": "x"})
    changelog(
        gitrepo,
        section(
            "1.1.0",
            "Improved behaviour of the zaak searches.",
            "Optimized the catalogue caches.",
        ),
    )
    report = run(gitrepo)
    assert report.exit_code == 0, found(report)
    assert rules(report) == {"#51": "matching-text", "#52": "matching-text"}


def test_an_upgrade_pull_request_does_not_speak_for_the_issue_it_bundles(
    gitrepo: GitRepo,
) -> None:
    # archiefbeheercomponent 1.1.1: pull request "Upgrade dependencies" carried the commits of
    # #310 (a move from ADFS to OIDC login); the section said only "Upgrade Python /
    # JavaScript dependencies reported by dependabot alerts".
    start(gitrepo)
    gitrepo.pull_request(
        312,
        "dependencies/upgrade",
        [
            ":heavy_plus_sign: [#310] Added mozilla-django-oidc-db",
            ":sparkles: [#310] Log in with OIDC instead of ADFS",
            ":arrow_up: Upgrade django and lxml",
        ],
        title="Upgrade dependencies",
    )
    dependabot = "Upgrade Python / JavaScript dependencies reported by dependabot alerts"
    changelog(gitrepo, section("1.1.0", dependabot))
    assert found(run(gitrepo)) == [("issue-missing", "310")]
    # The issue's own words still document it, and a pull request about it speaks for it.
    changelog(gitrepo, section("1.1.0", dependabot, "Log in with OIDC instead of ADFS."))
    assert run(gitrepo).exit_code == 0
    gitrepo.pull_request(
        315, "feature/316-nicer-login", [":lipstick: [#316] Style it"], title="Nicer login page"
    )
    changelog(gitrepo, section("1.1.0", dependabot, "OIDC, not ADFS.", "A nicer login page."))
    assert found(run(gitrepo)) == [("issue-missing", "310")]


def test_a_version_is_a_word_beside_its_name(gitrepo: GitRepo) -> None:
    # django-timeline-logger 4.0.0: branch `312` (Python 3.12), "Add support for Python
    # `3.12`", documented as "Confirmed support for Python 3.12".
    start(gitrepo)
    gitrepo.pull_request(27, "feature/312", ["Add support for Python `3.12`"])
    changelog(gitrepo, section("1.1.0", "Confirmed support for Python 3.12."))
    report = run(gitrepo)
    assert report.exit_code == 0 and rules(report) == {"#312": "matching-text"}
    changelog(gitrepo, section("1.1.0", "Confirmed support for Python 3.13."))
    assert found(run(gitrepo)) == [("issue-missing", "312")]


def test_a_request_titled_after_its_branch_says_what_it_does(gitrepo: GitRepo) -> None:
    # sharing-configs 0.1.2: "Merge pull request #54 from .../feature/#44-test-coverage",
    # titled "Feature/#44 test coverage", documented as "Increased test coverage"; ":books:
    # [#42] add example use to docs" as "Documented the usage ... with the example".
    start(gitrepo)
    gitrepo.pull_request(
        54,
        "feature/#44-test-coverage",
        [":recycle: [#44] Combined few commits: check mock params; small cleanup"],
        title="Feature/#44 test coverage",
    )
    gitrepo.commit(":books: [#42] add example use to docs", {"src/openzaak/usage.py": "x"})
    changelog(gitrepo, section("1.1.0", "Other things."))
    assert found(run(gitrepo)) == [("issue-missing", "42"), ("issue-missing", "44")]
    changelog(
        gitrepo,
        section(
            "1.1.0",
            "Increased test coverage.",
            "Documented the usage of the library in README with the example.",
        ),
    )
    report = run(gitrepo)
    assert report.exit_code == 0, found(report)
    assert rules(report) == {"#42": "matching-text", "#44": "matching-text"}


def test_an_issue_named_in_words_is_named(gitrepo: GitRepo) -> None:
    # zaken-api 1.4.0: "... to the LIST call. (`Issue 2139`_)", with the link defined below.
    start(gitrepo)
    gitrepo.pull_request(60, "issue/#2139_archivering", [":sparkles: [#2139] Add isnull filter"])
    changelog(gitrepo, section("1.1.0", "Added new search parameters (`Issue 2139`_):"))
    report = run(gitrepo)
    assert report.exit_code == 0 and report.documented == 1, found(report)
    changelog(gitrepo, section("1.1.0", "Added new search parameters (`Issue 2140`_):"))
    assert found(run(gitrepo)) == [("issue-missing", "2139")]


def test_a_long_identifier_says_enough_of_a_short_description(gitrepo: GitRepo) -> None:
    # zaken-api 1.3.0: "[#2026] removed gerelateerdeExterneZaken", documented as "Removed
    # ``gerelateerdeExterneZaken`` from the ``Zaak`` resource." (without the number).
    start(gitrepo)
    gitrepo.commit("[#2026] removed gerelateerdeExterneZaken", {"src/openzaak/zaak.py": "x"})
    gitrepo.commit("[#2027] Fix CloudEvent", {"src/openzaak/events.py": "x"})
    changelog(
        gitrepo,
        section(
            "1.1.0",
            "Removed ``gerelateerdeExterneZaken`` from the ``Zaak`` resource.",
            "Added CloudEvent support.",
        ),
    )
    report = run(gitrepo)
    assert found(report) == [("issue-missing", "2027")]  # (a short identifier is no name)
    assert rules(report)["#2026"] == "matching-text"


def test_a_release_with_only_pre_release_sections_uses_the_newest(gitrepo: GitRepo) -> None:
    # zaken-api 1.3.0: the changelog at the tag has sections 1.3.0-rc1 to 1.3.0-rc7 only.
    start(gitrepo)
    gitrepo.commit(":sparkles: [#61] Add kvk-nummer", {"src/openzaak/kvk.py": "x"})
    gitrepo.commit(":sparkles: [#62] Add the notifications module", {"src/openzaak/n.py": "x"})
    gitrepo.tag("1.1.0")
    changelog(
        gitrepo,
        section("1.1.0-rc2", "[:open-zaak:`61`] Added kvk-nummer."),
        section("1.1.0-rc1", "[:open-zaak:`62`] Added the notifications module."),
        section("1.0.0", "First."),
    )
    report = run(gitrepo, to="1.1.0")
    assert report.exit_code == 0, found(report)
    assert report.section.title.startswith("1.1.0-rc2")
    assert [t.split()[0] for t in report.also_covering] == ["1.1.0-rc1"]


def test_words_inside_a_hyphenated_name_count_beside_two_others(gitrepo: GitRepo) -> None:
    # django-digid-eherkenning 0.23.0: "[#96] Remove Digid/eHerkenning OIDC", documented as
    # "... the OIDC rework. The oidc extra (django-digid-eherkenning[oidc]) ..."
    start(gitrepo)
    gitrepo.commit("[#96] Remove Digid/eHerkenning OIDC", {"src/openzaak/oidc.py": "x"})
    changelog(gitrepo, section("1.1.0", "Upgraded django-csp to 4.0."))
    assert found(run(gitrepo)) == [("issue-missing", "96")]
    rework = "The OIDC rework: the extra (``django-digid-eherkenning[oidc]``) needs a new version."
    changelog(gitrepo, section("1.1.0", rework))
    report = run(gitrepo)
    assert report.exit_code == 0 and rules(report) == {"#96": "matching-text"}
    # Without a word of its own the name's parts say nothing.
    changelog(gitrepo, section("1.1.0", "Upgraded ``django-digid-eherkenning``."))
    assert found(run(gitrepo)) == [("issue-missing", "96")]


PYPROJECT = """\
[project]
name = "openzaak-lib"
dependencies = ["django>=4.2"]

[tool.bumpversion]
current_version = "1.0.0"
"""


def test_the_python_versions_a_package_installs_on_are_watched(gitrepo: GitRepo) -> None:
    # django-gisserver 1.4.1: setup.py python_requires ">=3.6" -> ">=3.8", in "Update test
    # matrix"; objects-api-client-django 0.4.0: requires-python ">=3.11", new.
    setup = 'from setuptools import setup\n\nsetup(name="x", python_requires=">=3.6")\n'
    start(gitrepo, **{"setup.py": setup, "pyproject.toml": PYPROJECT})
    gitrepo.commit(
        "Update test matrix, everything still works",
        {"setup.py": setup.replace(">=3.6", ">= 3.8")},
    )
    packaged = PYPROJECT.replace("dependencies = [", 'requires-python = ">=3.11"\ndependencies = [')
    gitrepo.commit("chore: update packaging configuration", {"pyproject.toml": packaged})
    changelog(gitrepo, section("1.1.0", "Updated the test matrix."))
    report = run(gitrepo)
    (finding,) = report.findings
    assert finding.names == ("python",) and finding.paths == ("pyproject.toml", "setup.py")
    assert finding.message.endswith("the section lacks: Requires Python >=3.11")
    gitrepo.git("reset", "--quiet", "--hard", "HEAD~1")
    assert "python (>=3.6 -> >=3.8)" in run(gitrepo).findings[0].message
    gitrepo.commit("chore: update packaging configuration", {"pyproject.toml": packaged})
    changelog(gitrepo, section("1.1.0", "Dropped support for Python 3.6, 3.7 and 3.10."))
    assert run(gitrepo).exit_code == 0


def test_an_applications_requires_python_is_tool_configuration(gitrepo: GitRepo) -> None:
    # Open Zaak's pyproject.toml: `[project]` with requires-python and no package name, for
    # its tools; the image decides the Python version.
    tools = '[project]\nrequires-python = "== 3.11"\n\n[tool.bumpversion]\ncurrent_version = "1"\n'
    start(gitrepo, **{"pyproject.toml": tools})
    gitrepo.commit(":wrench: Configure tools", {"pyproject.toml": tools.replace("3.11", "3.12")})
    changelog(gitrepo, section("1.1.0", "Other things."))
    assert run(gitrepo).exit_code == 0


def test_a_commit_that_changes_only_tool_tables_is_internal(gitrepo: GitRepo) -> None:
    # notifications-api-common 0.7.3: ":sparkles: [open-api-framework#151] Configure
    # pyproject.toml file" moved ruff's and bump-my-version's configuration into pyproject.
    start(gitrepo, **{"pyproject.toml": PYPROJECT, "ruff.toml": "line-length = 100\n"})
    moved = PYPROJECT + '\n[tool.ruff]\nline-length = 100\n\n[tool.ruff.lint]\nselect = ["E"]\n'
    gitrepo.commit(":sparkles: [#151] Configure pyproject.toml file", {"pyproject.toml": moved})
    gitrepo.git("rm", "--quiet", "ruff.toml")
    gitrepo.commit(":fire: [#151] Drop ruff.toml")
    changelog(gitrepo, section("1.1.0", "Other things."))
    report = run(gitrepo)
    assert report.exit_code == 0, found(report)
    reasons = {s.subject: s.reason for s in report.suppressed}
    assert "only tooling: the tool tables of pyproject.toml" in reasons["#151"]
    # The package's own table is the package: a new dependency beside a tool table is not.
    needs = moved.replace('["django>=4.2"]', '["django>=4.2", "requests>=2"]')
    gitrepo.commit(":sparkles: [#153] Configure the client", {"pyproject.toml": needs})
    gitrepo.commit(":sparkles: [#154] Broken", {"pyproject.toml": needs + "[oops\n"})
    huge = needs + "[tool.x]\nn = " + "9" * 5000 + "\n"  # (more digits than int() takes)
    gitrepo.commit(":sparkles: [#155] Huge", {"pyproject.toml": huge})
    issues = [f for f in found(run(gitrepo)) if f[0] == "issue-missing"]
    assert issues == [("issue-missing", n) for n in ("153", "154", "155")]


def test_a_two_word_subject_is_not_said_by_an_entry_about_another_package(
    gitrepo: GitRepo,
) -> None:
    start(gitrepo)
    gitrepo.commit(":bug: [#50] Upgrade django", {"src/openzaak/compat.py": "x"})
    changelog(gitrepo, section("1.1.0", "Upgraded django-csp to 4.0."))
    assert found(run(gitrepo)) == [("issue-missing", "50")]
    changelog(gitrepo, section("1.1.0", "Upgraded django to 5.2.7."))
    assert run(gitrepo).exit_code == 0


def test_upstream_issues_a_dependency_upgrade_quotes_are_not_the_releases(
    gitrepo: GitRepo,
) -> None:
    start(gitrepo)
    gitrepo.commit(
        ":arrow_up: Bump vcrpy to 7.0.0\n\nThe cassette bug is fixed upstream, fixes "
        "kevin1024/vcrpy#888.",
        {"requirements/base.txt": REQUIREMENTS + "vcrpy==7.0.0\n    # via -r base.in\n"},
    )
    gitrepo.commit(
        ":arrow_up: [maykinmedia/open-api-framework#140] Upgrade open-api-framework",
        {"src/openzaak/compat.py": "x"},
    )
    changelog(gitrepo, section("1.1.0", "Other things."))
    report = run(gitrepo)
    # The team's own tag counts; the upstream issue the upgrade quotes does not.
    assert ("issue-missing", "maykinmedia/open-api-framework#140") in found(report)
    assert ("issue-missing", "kevin1024/vcrpy#888") not in found(report)
    assert (
        "upstream issue" in {s.subject: s.reason for s in report.suppressed}["kevin1024/vcrpy#888"]
    )


def test_the_releases_own_housekeeping_issue_is_internal(gitrepo: GitRepo) -> None:
    start(gitrepo)
    gitrepo.commit(
        ":speech_balloon: [#90] Regenerate translations",
        {"src/openzaak/conf/locale/nl/LC_MESSAGES/django.po": 'msgid "x"\n'},
    )
    upgraded = REQUIREMENTS.replace("django==4.2.10", "django==5.2.7")
    gitrepo.commit(":arrow_up: [#90] Upgrade django", {"requirements/base.txt": upgraded})
    gitrepo.commit(":bookmark: [#90] Release version 1.1.0", {"src/openzaak/__init__.py": "1.1"})
    changelog(gitrepo, section("1.1.0", "Upgraded ``django`` to 5.2.7."))
    report = run(gitrepo)
    assert report.exit_code == 0, found(report)
    assert "housekeeping" in {s.subject: s.reason for s in report.suppressed}["#90"]
    # Its upgrades are still checked, by package name.
    changelog(gitrepo, section("1.1.0", "Other things."))
    report = run(gitrepo)
    assert found(report) == [("change-missing", "dependencies")]


def test_issues_kept_in_a_sibling_repository_match_bare_numbers(gitrepo: GitRepo) -> None:
    # The Open Forms SDK: its issues live in open-forms, its changelog writes [#6099].
    gitrepo.git("remote", "add", "origin", "https://github.com/open-formulieren/open-forms-sdk")
    gitrepo.commit(":tada: Start", {"src/app.ts": "x"})
    gitrepo.tag("3.5.0", message="Release")
    gitrepo.commit(":bug: [open-formulieren/open-forms#6099] Fix initial values", {"src/a.ts": "x"})
    gitrepo.commit(":bug: [open-formulieren/open-forms#6183] Fix editgrid crash", {"src/b.ts": "x"})
    gitrepo.commit(":arrow_up: [#6222] Upgrade the renderer", {"src/c.ts": "x"})
    changelog(gitrepo, section("3.5.1", "[#6099] Initial values.", "[#6183] Editgrid."))
    report = run(gitrepo, since="3.5.0")
    assert found(report) == [("issue-missing", "open-formulieren/open-forms#6222")]
    assert report.documented == 2
    # Without bare numbers that are the sibling's, a bare number stays this repository's.
    changelog(gitrepo, section("3.5.1", "[#1] Initial values.", "Editgrid."))
    assert ("issue-missing", "6222") in found(run(gitrepo, since="3.5.0"))


def test_a_branch_number_the_commits_give_to_another_repository(gitrepo: GitRepo) -> None:
    start(gitrepo)
    gitrepo.pull_request(
        2174,
        "feature/85-uwsgi-workers",
        [":sparkles: [maykinmedia/open-api-framework#85] Increase uwsgi worker numbers"],
    )
    gitrepo.pull_request(2175, "feature/86-export", [":sparkles: Add the export"])
    changelog(gitrepo, section("1.1.0", "[:open-api-framework:`85`] More uwsgi workers."))
    # #85 of the branch name is open-api-framework's, as its commit says; #86 is ours.
    assert found(run(gitrepo)) == [("issue-missing", "86")]


DOCKER_START = """#!/bin/sh
set -ex
# ${COMMENTED_OUT:-1} is not read
export PGHOST=${DB_HOST:-db}
uwsgi_processes=${UWSGI_PROCESSES:-2}
uwsgi_threads=${UWSGI_THREADS:-2}
exec uwsgi --processes $uwsgi_processes --threads $uwsgi_threads
"""


def test_variables_read_by_a_shell_entry_point_are_watched(gitrepo: GitRepo) -> None:
    start(gitrepo, **{"bin/docker_start.sh": DOCKER_START})
    script = DOCKER_START.replace("UWSGI_PROCESSES:-2", "UWSGI_PROCESSES:-4").replace(
        "UWSGI_THREADS:-2", "UWSGI_THREADS:-4"
    )
    script += 'celery_workers="${CELERY_WORKERS:=1}"\n'
    gitrepo.commit(":zap: More uwsgi processes and threads", {"bin/docker_start.sh": script})
    changelog(gitrepo, section("1.1.0", "Raised the default of ``UWSGI_THREADS`` to 4."))
    report = run(gitrepo)
    assert found(report) == [("change-missing", "settings")]
    finding = report.findings[0]
    assert finding.names == ("CELERY_WORKERS", "UWSGI_PROCESSES")
    assert "UWSGI_PROCESSES (default 2 -> 4)" in finding.message
    assert "CELERY_WORKERS (added)" in finding.message
    assert finding.paths == ("bin/docker_start.sh",)


def test_the_sibling_tracker_is_learned_from_history_before_the_range(
    gitrepo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A small SDK release names open-forms in full once; the history before it and the
    # changelog's past sections show that bare numbers are open-forms issues.
    gitrepo.git("remote", "add", "origin", "https://github.com/open-formulieren/open-forms-sdk")
    gitrepo.commit(":tada: Start", {"src/app.ts": "x"})
    gitrepo.commit(":bug: [open-formulieren/open-forms#6099] Fix initial values", {"src/a.ts": "x"})
    gitrepo.commit(":bug: [open-formulieren/open-forms#6183] Fix editgrid crash", {"src/b.ts": "x"})
    gitrepo.commit(":bug: Fix the footer (#812)", {"src/d.ts": "x"})
    gitrepo.tag("3.5.1", message="Release")
    gitrepo.commit(":bug: [open-formulieren/open-forms#6458] Fix the picker", {"src/e.ts": "y"})
    gitrepo.commit(":bug: [#6470] Fix the summary page", {"src/f.ts": "y"})
    past = section("3.5.1", "[#6099] Initial values.", "[#6183] Editgrid.", date="2024-01-01")
    changelog(gitrepo, section("3.5.2", "[#6458] Calendar widget.", "[#6470] Summary."), past)
    report = run(gitrepo, since="3.5.1")
    assert found(report) == []
    assert report.documented == 2
    # The same release in a repository whose history never names the sibling in full keeps
    # bare numbers as its own: the single full reference is then undocumented.
    other = fresh(tmp_path / "plain", monkeypatch)
    other.git("remote", "add", "origin", "https://github.com/open-formulieren/open-forms-sdk")
    other.commit(":tada: Start", {"src/app.ts": "x"})
    other.commit(":bug: [#6099] Fix initial values", {"src/a.ts": "x"})
    other.tag("3.5.1", message="Release")
    other.commit(":bug: [open-formulieren/open-forms#6458] Fix the picker", {"src/e.ts": "y"})
    other.commit(":bug: [#6470] Fix the summary page", {"src/f.ts": "y"})
    changelog(other, section("3.5.2", "[#6458] Calendar widget.", "[#6470] Summary."), past)
    assert found(run(other, since="3.5.1")) == [
        ("issue-missing", "open-formulieren/open-forms#6458")
    ]


def test_history_adds_evidence_for_the_sibling_tracker_never_takes_it_away(
    gitrepo: GitRepo,
) -> None:
    # SDK 3.4.4: the range names open-forms in full three times; the history before it writes
    # more bare SDK numbers ([#936]) than open-forms ones. The range decides.
    gitrepo.git("remote", "add", "origin", "https://github.com/open-formulieren/open-forms-sdk")
    gitrepo.commit(":tada: Start", {"src/app.ts": "x"})
    for n in range(4):
        gitrepo.commit(f":green_heart: [#936] Address flakiness {n}", {"src/ci.ts": str(n)})
    gitrepo.tag("3.4.3", message="Release")
    gitrepo.commit(
        ":bug: [open-formulieren/open-forms#6354] Fix calls\n\nBackport-of: #992", {"c.ts": "y"}
    )
    gitrepo.commit(":bug: [open-formulieren/open-forms#6279] Use a smaller font", {"a.scss": "y"})
    gitrepo.commit(":sparkles: [open-formulieren/open-forms#6245] Wire up lookups", {"b.ts": "y"})
    changelog(
        gitrepo,
        section("3.4.4", "[#6354] Fewer network calls.", "[#6279] Font.", "[#6245] Lookups."),
    )
    report = run(gitrepo, since="3.4.3")
    assert found(report) == []
    assert report.documented == 3


# -- kinds seen on Django libraries (held-out set 3, tuning half) ---------------------------


def test_a_fix_of_code_no_release_shipped_needs_no_entry_of_its_own(gitrepo: GitRepo) -> None:
    """django-setup-configuration 0.6.0: #45 adds the example generator (documented), #53
    fixes it before any release has it; a fix that touches shipped code is still a finding."""
    start(gitrepo, **{"src/openzaak/old.py": "x = 1\n"})
    gitrepo.commit(":sparkles: [#45] Add the example generator", {"src/openzaak/example.py": "1"})
    gitrepo.git("checkout", "--quiet", "-b", "53-handle-localized-defaults")
    gitrepo.commit(":bug: Handle gettext defaults", {
        "src/openzaak/example.py": "2", "tests/test_example.py": "x",
    })  # fmt: skip
    gitrepo.checkout("main")
    gitrepo.merge("53-handle-localized-defaults", message="Merge pull request #54 from o/53-h")
    gitrepo.commit(":bug: [#57] Fix the generator and the old code", {
        "src/openzaak/example.py": "3", "src/openzaak/old.py": "x = 3\n",
    })  # fmt: skip
    # shipped code under a new name is no new code
    gitrepo.git("mv", "src/openzaak/old.py", "src/openzaak/moved.py")
    gitrepo.commit(":truck: [#45] Move the old code beside the generator", {})
    gitrepo.commit(":bug: [#58] Fix the moved code", {"src/openzaak/moved.py": "x = 4\n"})
    changelog(gitrepo, section("1.1.0", "[#45] Add the example generator"))
    report = run(gitrepo)
    assert rules(report).get("#53") == "fixes-of-new-code", report.suppressed
    assert found(report) == [("issue-missing", "57"), ("issue-missing", "58")]


def test_a_test_app_s_settings_are_no_product_settings(gitrepo: GitRepo) -> None:
    start(gitrepo, **{"testapp/settings.py": 'import os\nDB_HOST = os.getenv("DB_HOST", "db")\n'})
    gitrepo.commit(":recycle: [#9] Rework the test app", {"testapp/settings.py": "X = 1\n"})
    changelog(gitrepo, section("1.1.0", "Nothing to see."))
    report = run(gitrepo)
    assert found(report) == [], report.findings


def test_a_package_named_in_passing_is_no_documented_dependency_change(gitrepo: GitRepo) -> None:
    """ "Django fields" in a Django library's changelog says nothing about the django pin; a
    range that now excludes Django 5 is reported even when a documented change made it."""
    project = '[project]\nname = "lib"\ndependencies = [\n    "django>=3.2",\n]\n'
    start(gitrepo, **{"pyproject.toml": project})
    gitrepo.commit(
        ":heavy_plus_sign: [#45] Add the directive's dependencies",
        {"pyproject.toml": project.replace("django>=3.2", "django>=3.2,<5.0")},
    )
    changelog(gitrepo, section("1.1.0", "[#45] Bypass validation of Django fields with choices"))
    report = run(gitrepo)
    messages = [f.message for f in report.findings]
    assert [f.kind for f in report.findings] == ["change-missing"], messages
    assert "Dropped support for ``django`` 5.0 and later" in messages[0]
    changelog(gitrepo, section("1.1.0", "[#45] Dropped support for Django 5"))
    assert found(run(gitrepo)) == []


SETUP_CFG = """[metadata]
name = lib

[options]
install_requires =
    django >= 3.2
    requests

[options.extras_require]
openapi =
    drf-yasg>=1.20
tests =
    pytest

[flake8]
max-line-length = 88
"""


def test_setup_cfg_install_requires_and_user_extras_are_dependencies(gitrepo: GitRepo) -> None:
    """django-loose-fk 1.1.2 dropped drf-yasg from its `openapi` extra in setup.cfg;
    django-log-outgoing-requests 0.8.0 moved its pins from setup.cfg to pyproject.toml
    unchanged (no change); a test extra's pins and the flake8 section are tooling."""
    start(gitrepo, **{"setup.cfg": SETUP_CFG})
    gitrepo.commit(
        ":wrench: Tooling",
        {"setup.cfg": SETUP_CFG.replace("pytest", "pytest\n    tox").replace("88", "99")},
    )
    gitrepo.commit(
        ":wrench: Move the project to pyproject.toml",
        {
            "setup.cfg": "[flake8]\nmax-line-length = 99\n",
            "pyproject.toml": '[project]\nname = "lib"\n'
            'dependencies = ["django>=3.2", "requests"]\n'
            '[project.optional-dependencies]\nopenapi = ["drf-yasg>=1.20"]\ntests = ["pytest"]\n',
        },
    )
    changelog(gitrepo, section("1.1.0", "Switched to pyproject.toml."))
    assert found(run(gitrepo)) == []
    gitrepo.commit(
        ":fire: [#34] Replace drf-yasg",
        {"pyproject.toml": '[project]\nname = "lib"\ndependencies = ["django>=3.2", "requests"]\n'},
    )
    report = run(gitrepo)  # (the section says nothing of #34)
    assert sorted(found(report)) == [("change-missing", "dependencies"), ("issue-missing", "34")]
    assert any("Removed ``drf-yasg``" in f.message for f in report.findings)


def test_packages_an_upgrade_of_another_package_brings_must_be_named(gitrepo: GitRepo) -> None:
    """sdg-invoervoorziening 1.9.4: "Upgraded Django from 3.2 to 5.2" (documented) also added
    maykin-2fa and moved django-hijack 2 -> 3: the entry names neither. A package added by
    a commit without issue or pull request ("Missing Dependecy", django-simple-certmanager
    2.0.1) is checked by nothing else. A commit that names the package it adds, with a
    documented issue, needs no more."""
    via = "    # via -r requirements/base.in\n"
    pins = f"django==3.2.25\n{via}django-hijack==2.3.0\n{via}"
    start(gitrepo, **{"requirements/base.txt": pins})
    gitrepo.commit(
        ":arrow_up: [#1033] Upgraded Django from 3.2 to 5.2",
        {
            "requirements/base.txt": pins.replace("3.2.25", "5.2.1").replace("2.3.0", "3.7.2")
            + "maykin-2fa==1.0.0\n    # via -r requirements/base.in\n"
        },
    )
    changelog(gitrepo, section("1.1.0", "[#1033] Upgraded Django from 3.2 to 5.2"))
    report = run(gitrepo)
    assert found(report) == [("change-missing", "dependencies")]
    message = report.findings[0].message
    assert "django-hijack (2.3.0 -> 3.7.2)" in message and "maykin-2fa (added 1.0.0)" in message
    assert "django (" not in message
    upgraded = (
        "[#1033] Upgraded Django from 3.2 to 5.2, django-hijack to 3.7.2 and "
        "replaced the two-factor stack by ``maykin-2fa``"
    )
    changelog(gitrepo, section("1.1.0", upgraded))
    assert found(run(gitrepo)) == []
    current = (gitrepo.path / "requirements/base.txt").read_text(encoding="utf-8")
    gitrepo.commit(
        "Missing Dependecy", {"requirements/base.txt": f"{current}pyopenssl==24.1.0\n{via}"}
    )
    gitrepo.commit(
        ":heavy_plus_sign: [#45] Add structlog for the logging",
        {"requirements/base.txt": f"{current}pyopenssl==24.1.0\n{via}structlog==25.1.0\n{via}"},
    )
    changelog(gitrepo, section("1.1.0", upgraded, "[#45] Structured logs."))
    report = run(gitrepo)
    assert found(report) == [("change-missing", "dependencies")]
    assert "pyopenssl (added 24.1.0)" in report.findings[0].message
    assert "structlog" not in report.findings[0].message


def test_a_top_section_whose_version_is_still_a_placeholder_is_the_release_s(
    gitrepo: GitRepo,
) -> None:
    """open-producten tagged v0.0.4 with its top section still titled "0.0.x (TBD)"."""
    start(gitrepo)
    gitrepo.commit(":sparkles: [#6] Multilingual content", {"src/openzaak/app.py": "x = 2\n"})
    gitrepo.tag("1.1.0")
    changelog(gitrepo, "0.0.x (TBD)\n-----------\n\n* [#29] Added docs\n")
    report = run(gitrepo, to="1.1.0")
    assert found(report) == [("issue-missing", "6")]
    assert report.section.title == "0.0.x (TBD)"


def test_a_first_page_of_environment_variables_adds_no_variable(gitrepo: GitRepo) -> None:
    """open-producten 0.0.4 wrote docs/installation/config/env_config.rst for the first time:
    it lists the variables the framework's settings read all along. A variable the code
    reads for the first time is still new."""
    page = "* ``CORS_ALLOW_ALL_ORIGINS``: allow all. Defaults to: ``False``.\n"
    start(gitrepo)
    gitrepo.commit(
        ":memo: Document the configuration", {"docs/installation/config/env_config.rst": page}
    )
    changelog(gitrepo, section("1.1.0", "Nothing to see."))
    assert found(run(gitrepo)) == []
    gitrepo.commit(
        ":sparkles: Add a timeout",
        {
            "docs/installation/config/env_config.rst": page
            + "* ``ZAAK_TIMEOUT``: seconds. Defaults to: ``5``.\n",
            "src/openzaak/conf/includes/timeouts.py": 'ZAAK_TIMEOUT = config("ZAAK_TIMEOUT", 5)\n',
        },
    )
    report = run(gitrepo)
    assert found(report) == [("change-missing", "settings")]
    assert "ZAAK_TIMEOUT" in report.findings[0].message
    assert "CORS_ALLOW_ALL_ORIGINS" not in report.findings[0].message


def test_a_new_variable_is_documented_by_what_it_does_by_default(gitrepo: GitRepo) -> None:
    """referentielijsten 0.7.2: `${UWSGI_MAX_REQUESTS:-1000}` documented as "Make sure uWSGI
    workers restart after 1000 requests". The value alone, or the words alone, say less."""
    start(gitrepo, **{"bin/docker_start.sh": "#!/bin/sh\nexec uwsgi --http :8000\n"})
    gitrepo.commit(
        ":zap: [#211] Optimize memory usage",
        {
            "bin/docker_start.sh": "#!/bin/sh\n"
            "exec uwsgi --max-requests ${UWSGI_MAX_REQUESTS:-1000}\n"
        },
    )
    said = "[#211] Make sure uWSGI workers restart after 1000 requests"
    changelog(gitrepo, section("1.1.0", said))
    assert found(run(gitrepo)) == []
    for other in ("[#211] Restart uWSGI workers now and then", "[#211] Keep 1000 connections"):
        changelog(gitrepo, section("1.1.0", other))
        assert found(run(gitrepo)) == [("change-missing", "settings")], other


def test_sub_headings_adorned_like_the_versions_and_pr_roles(gitrepo: GitRepo) -> None:
    """open-afval underlines "New features" as it underlines "0.7.0 (2026-07-01)" and cites
    pull requests with a `:pr:` role that no docs/conf.py defines: the entries under those
    headings are the release's, and `[:pr:`38`]` names this repository's pull request."""
    start(gitrepo)
    for number, branch, path in ((38, "refactor", "0002_field.py"), (40, "fixes", "0003_dec.py")):
        gitrepo.git("checkout", "--quiet", "-b", branch)
        gitrepo.commit("feat: change the model", {f"src/openzaak/migrations/{path}": "x"})
        gitrepo.checkout("main")
        gitrepo.merge(branch, message=f"Merge pull request #{number} from org/{branch}")
    text = (
        "1.1.0 (2026-07-01)\n==================\n\nNew features\n============\n\n"
        "* [:pr:`38`]: Add ``publicContainerId`` to the response.\n\n"
        "Bug fixes\n=========\n\n* [:pr:`40`]: Use ``DecimalField`` for the costs.\n\n"
        "1.0.0 (2026-06-29)\n==================\n\n* Older.\n"
    )
    (gitrepo.path / "CHANGELOG.rst").write_text(text, encoding="utf-8")
    report = run(gitrepo)
    assert report.section.title == "1.1.0 (2026-07-01)"
    assert found(report) == []
    assert set(rules(report).values()) == {"pull-requests"}


def test_a_commit_naming_its_own_pull_request_names_no_issue(gitrepo: GitRepo) -> None:
    """open-producten 0.0.5: `[#55] fix api spec translation` inside pull request #55 of
    branch feature/18-...: the change is #18's, and #55 is no issue of its own."""
    start(gitrepo)
    gitrepo.pull_request(
        55,
        "feature/18-product-notificaties",
        ["[#18] add notifications to producten", "[#55] fix api spec translation"],
    )
    changelog(gitrepo, section("1.1.0", "[#18] Added notifications for products."))
    report = run(gitrepo)
    assert found(report) == []
    assert rules(report)["#55"] == "pull-requests"
    changelog(gitrepo, section("1.1.0", "Nothing to see."))
    assert found(run(gitrepo)) == [("issue-missing", "18")]


OLD_LIBRARY_SETTINGS = """from django.conf import settings as dj_settings

DJADYEN_SERVER_KEY = dj_settings.DJADYEN_SERVER_KEY
DJADYEN_MINUTES_AGO = getattr(dj_settings, "DJADYEN_MINUTES_AGO", 15)
"""
NEW_LIBRARY_SETTINGS = """from django.conf import settings

DJADYEN_SERVER_KEY: str = ""
\"\"\"The API key. Required.\"\"\"
DJADYEN_MINUTES_AGO: int = 0
DJADYEN_STYLES = {"FORM_BUTTON": "primary"}


def get_setting(name):
    return getattr(settings, name, globals()[name])
"""


def test_a_library_s_own_settings_and_their_defaults(gitrepo: GitRepo) -> None:
    """djadyen 4.3.0 moved its settings into module constants: DJADYEN_MINUTES_AGO's default
    went from 15 to 0, DJADYEN_SERVER_KEY became optional. "refactor djadyen internal
    settings" says neither (the shared word is the project's own name). A dict setting is
    named by its keys (commonground-api-common's `API_EXCEPTION_CAMELIZE`)."""
    gitrepo.git("remote", "add", "origin", "git@github.com:maykinmedia/djadyen.git")
    gitrepo.commit(":tada: Start", {"djadyen/settings.py": OLD_LIBRARY_SETTINGS})
    gitrepo.tag("1.0.0")
    gitrepo.commit(
        ":recycle: Refactor djadyen settings", {"djadyen/settings.py": NEW_LIBRARY_SETTINGS}
    )
    changelog(gitrepo, section("1.1.0", "refactor djadyen internal settings"))
    report = run(gitrepo)
    assert found(report) == [("change-missing", "settings")]
    message = report.findings[0].message
    assert message.startswith("settings DJADYEN_MINUTES_AGO (default 15 -> 0), ")
    assert "DJADYEN_SERVER_KEY (default (none: required) -> '')" in message
    assert "Added the setting ``DJADYEN_STYLES``" in message
    changelog(
        gitrepo,
        section(
            "1.1.0",
            "``DJADYEN_MINUTES_AGO`` now defaults to 0, ``DJADYEN_SERVER_KEY`` is optional.",
            "New ``FORM_BUTTON`` style.",
        ),
    )
    assert found(run(gitrepo)) == []


def dockerfile(python: str) -> str:
    return (
        f"FROM python:{python} AS build\nRUN pip install -r requirements/base.txt\n"
        f"FROM node:20-bookworm-slim AS frontend\nFROM python:{python} AS production\n"
    )


def test_the_runtime_image_s_python_and_debian_release_must_be_said(gitrepo: GitRepo) -> None:
    """referentielijsten 0.7.0 moved its image from bookworm to trixie and sdg 1.9.4 from
    Python 3.10 to 3.12, neither said; Open Zaak 1.11.0's "Moved the project from Python 3.9
    to Python 3.10" says the Debian release that came along too. A patch bump and a build
    stage's image are no change for operators."""
    start(gitrepo, Dockerfile=dockerfile("3.12.4-slim-bookworm"))
    gitrepo.commit(":whale: Patch bump", {"Dockerfile": dockerfile("3.12.7-slim-bookworm")})
    gitrepo.commit(
        ":whale: [#188] Add a data dump script", {"Dockerfile": dockerfile("3.12-slim-trixie")}
    )
    changelog(gitrepo, section("1.1.0", "[#188] Added a data dump script."))
    report = run(gitrepo)
    assert found(report) == [("change-missing", "dependencies")]
    assert report.findings[0].message.startswith(
        "Docker base image trixie (python:3.12.4-slim-bookworm -> python:3.12-slim-trixie)"
    )
    assert report.findings[0].commits == (gitrepo.rev("HEAD"),)  # (not the patch bump)
    changelog(gitrepo, section("1.1.0", "[#188] Added a data dump script on Debian 13."))
    assert found(run(gitrepo)) == []
    gitrepo.commit(":arrow_up: Python 3.13", {"Dockerfile": dockerfile("3.13-slim-bookworm")})
    changelog(gitrepo, section("1.1.0", "[#188] Added a data dump script."))
    report = run(gitrepo)
    assert "python 3.13" in report.findings[0].message
    changelog(gitrepo, section("1.1.0", "[#188] Added a dump.", "Moved to Python 3.13."))
    assert found(run(gitrepo)) == []  # (bookworm came with the Python the section names)


def test_an_issue_merged_and_reverted_inside_the_range_needs_no_entry(gitrepo: GitRepo) -> None:
    """open-product 1.7.1: pull request #305 ([#285] content list endpoint) was merged and
    reverted whole by #311 (`Revert ":sparkles: [#285] add content list endpoint"`): nothing
    of #285 is in the release. A revert that is reverted itself leaves the issue checked."""
    start(gitrepo)
    gitrepo.pull_request(
        305,
        "feature/285-content-search",
        [":sparkles: [#285] add content list endpoint", ":memo: [#285] generate api spec"],
        title=":sparkles: [#285] add content list endpoint",
    )
    gitrepo.commit('Revert ":sparkles: [#285] add content list endpoint"', {"src/x.py": "y"})
    changelog(gitrepo, section("1.1.0", "Nothing to see."))
    report = run(gitrepo)
    assert found(report) == []
    assert rules(report)["#285"] == "reverted"
    gitrepo.commit(
        'Revert "Revert ":sparkles: [#285] add content list endpoint""', {"src/x.py": "z"}
    )
    assert found(run(gitrepo)) == [("issue-missing", "285")]


def test_a_field_is_named_by_its_last_words(gitrepo: GitRepo) -> None:
    """open-product 1.7.1: `AlterField(producttype, publicatie_eind_datum)` documented as
    "Fix producttype einddatum admin field name"."""
    start(gitrepo)
    path = "src/openzaak/migrations/0020_alter_producttype_publicatie_eind_datum.py"
    gitrepo.commit(
        ":bug: fix urn model __str__",
        {path: ADD_FIELD.format(model="producttype", field="publicatie_eind_datum")},
    )
    changelog(gitrepo, section("1.1.0", "Fix producttype einddatum admin field name"))
    assert found(run(gitrepo)) == []
    changelog(gitrepo, section("1.1.0", "Fix producttype datum"))
    assert found(run(gitrepo)) == [("change-missing", "migration")]


def test_a_first_release_adds_its_packages_for_nobody(gitrepo: GitRepo) -> None:
    """The whole history (no release yet, as ozrelease's own CI runs it): the packages a
    commit without issue adds are no upgrade anyone makes, so they need no name."""
    project = '[project]\nname = "lib"\ndependencies = ["click>=8.1"]\n'
    gitrepo.commit("Package skeleton", {"pyproject.toml": project, "src/lib.py": "x = 1\n"})
    gitrepo.commit(
        "Edit YAML with its comments",
        {"pyproject.toml": project.replace('"click>=8.1"', '"click>=8.1", "ruamel.yaml>=0.18"')},
    )
    changelog(gitrepo, "Unreleased\n==========\n\n* Nothing to see.\n")
    assert found(run(gitrepo, since=None)) == []
    gitrepo.tag("1.0.0")
    gitrepo.commit(
        "Parse more",
        {"pyproject.toml": project.replace('"click>=8.1"', '"click>=8.1", "lark>=1.2"')},
    )
    assert found(run(gitrepo)) == [("change-missing", "dependencies")]


def test_a_branch_name_says_what_its_change_does(gitrepo: GitRepo) -> None:
    """django-digid-eherkenning 0.24.0: the section's prose says what the branch name says
    (activation, date, certificates), not what the commit says."""
    start(gitrepo)
    branch = "feature/allow-activation-date-configuring-for-certificates"
    gitrepo.git("checkout", "--quiet", "-b", branch)
    gitrepo.commit(
        "Added activation_date column, incorporate it in the algorithm",
        {"src/openzaak/migrations/0005_activation.py": "x"},
    )
    gitrepo.checkout("main")
    gitrepo.merge(branch, message=f"Merge pull request #100 from org/{branch}")
    changelog(gitrepo, section("1.1.0", "Swap bugs."))
    assert found(run(gitrepo)) == [("change-missing", "migration")]
    changelog(gitrepo, section("1.1.0", "Certificates now have an optional activation date."))
    assert found(run(gitrepo)) == []


def test_an_identifier_written_out_in_prose_is_said(gitrepo: GitRepo) -> None:
    """django-setup-configuration 0.5.0: "Add ConfigurationStep for django.contrib.sites" is
    "Added a generic configuration step for the Django sites module"."""
    start(gitrepo)
    gitrepo.commit(
        ":sparkles: [#4] Add ConfigurationStep for django.contrib.sites",
        {"src/openzaak/sites.py": "x"},
    )
    changelog(gitrepo, section("1.1.0", "Added a generic configuration step for the Django sites."))
    report = run(gitrepo)
    assert found(report) == [] and rules(report) == {"#4": "matching-text"}, report.findings
    changelog(gitrepo, section("1.1.0", "Added a generic step for the Django admin."))
    assert found(run(gitrepo)) == [("issue-missing", "4")]


_PACKAGE = st.from_regex(r"[a-z][a-z0-9]{0,8}(?:[-_.][a-z0-9]{1,6}){0,3}", fullmatch=True)
_LINE = st.text(st.characters(blacklist_characters="\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"))


@settings(max_examples=examples(200), deadline=None)
@given(name=_PACKAGE, before=_LINE, after=_LINE)
def test_a_package_in_literal_markup_is_always_named_as_a_dependency(
    name: str, before: str, after: str
) -> None:
    text = SectionText([f"* {before} ``{name}`` {after}"], (), {}, None)
    assert text.names_package(name)
    text.names_package(before or "x")  # (any text as a name: no error)


@settings(max_examples=examples(200), deadline=None)
@given(a=_LINE, b=_LINE)
def test_matching_text_says_what_it_says_and_never_fails(a: str, b: str) -> None:
    words = significant_words(a)
    if len(words) >= 2:
        assert says_same(words, words) == 1.0
    score = says_same(words, significant_words(b))
    assert score is None or 0.0 <= score <= 1.0


ADD_FIELD = """from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("certs", "0001_initial")]
    operations = [
        migrations.AddField(
            model_name="{model}", name="{field}", field=models.FileField(blank=True)
        ),
        migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop),
    ]
"""
CREATE_MODEL = """from django.db import migrations, models


class Migration(migrations.Migration):
    operations = [migrations.CreateModel("SigningRequest", [("id", models.AutoField())])]
"""


def test_a_migration_is_documented_by_an_entry_naming_its_model_and_field(
    gitrepo: GitRepo,
) -> None:
    """django-simple-certmanager 2.0.1 documented `AddField(certificate, csr)` as "Added a new
    field to the Certificate model to store the CSR"; django-admin-index 3.1.0 the
    `translations` fields of `appgroup` as "translations for the app group ... names". The
    model alone, or a field of another model, is not enough."""
    path = "src/certs/migrations/0002_certificate_csr.py"
    start(gitrepo)
    gitrepo.commit(
        ":sparkles: CSR Generation + Storage",
        {path: ADD_FIELD.format(model="certificate", field="csr")},
    )
    named = "Added a new field to the Certificate model to store the CSR used to generate it"
    changelog(gitrepo, section("1.1.0", named))
    report = run(gitrepo)
    assert found(report) == []
    assert rules(report) == {f"migration {path}": "migration-names"}
    assert "Certificate model to store the CSR" in report.suppressed[0].reason
    for other in ("Added a Certificate admin page", "Added a CSR field to the signing request"):
        changelog(gitrepo, section("1.1.0", other))
        assert found(run(gitrepo)) == [("change-missing", "migration")], other
    gitrepo.commit(
        ":sparkles: Localization",
        {
            "src/certs/migrations/0003_appgroup_translations.py": ADD_FIELD.format(
                model="appgroup", field="translations"
            )
        },
    )
    changelog(
        gitrepo,
        section("1.1.0", named, "You can now provide translations for the app group names."),
    )
    assert found(run(gitrepo)) == []


def test_a_migration_changing_only_a_model_the_release_creates_needs_no_entry(
    gitrepo: GitRepo,
) -> None:
    """django-simple-certmanager 2.4.0: the change documented for the new `SigningRequest`
    model creates it; a later change of the release adds a field to it, which an upgraded
    install gets with the model. A field added to a model a release shipped still counts."""
    start(
        gitrepo,
        **{
            "src/certs/migrations/0001_initial.py": CREATE_MODEL.replace(
                "SigningRequest", "Certificate"
            )
        },
    )
    gitrepo.commit(
        ":sparkles: [#41] Add the signing request model",
        {"src/certs/migrations/0002_signingrequest.py": CREATE_MODEL},
    )
    later = "src/certs/migrations/0003_signingrequest_public_certificate.py"
    gitrepo.commit(
        ":sparkles: Generate public certificate (#40)",
        {later: ADD_FIELD.format(model="signingrequest", field="public_certificate")},
    )
    changelog(gitrepo, section("1.1.0", "[#41] You can now create certificate signing requests."))
    report = run(gitrepo)
    assert found(report) == []
    assert rules(report)[f"migration {later}"] == "migrations-of-new-models"
    gitrepo.commit(
        ":sparkles: Store the passphrase",
        {
            "src/certs/migrations/0004_certificate_passphrase.py": ADD_FIELD.format(
                model="certificate", field="passphrase"
            )
        },
    )
    assert found(run(gitrepo)) == [("change-missing", "migration")]


def test_migration_operations_are_read_as_python_and_never_run() -> None:
    text = (
        "import os\nos.system('exit 3')\n"
        "operations = [migrations.AddField('Zaak', 'Status', None),"
        " migrations.RenameModel(old_name='Old', new_name='New'),"
        " migrations.AddIndex(model_name='zaak', index=None), migrations.RunSQL('x')]\n"
    )
    assert operations(text) == (
        Operation("AddField", "zaak", "status"),
        Operation("RenameModel", "old"),
        Operation("RenameModel", "new"),
        Operation("AddIndex", "zaak"),
    )
    assert operations("operations = [\n") == ()
    for hostile in ("x = " + "-" * 100_000 + "1\n", "x = 1" + " + 1" * 200_000 + "\n"):
        assert operations(hostile) == ()  # (MemoryError, RecursionError: no traceback)


def test_a_migration_shipped_already_and_edited_in_place_needs_no_entry(gitrepo: GitRepo) -> None:
    """django-simple-certmanager 3.0.0 renamed a deprecated argument in a shipped migration:
    installs that applied it never run it again. A new migration, or one removed (a squash),
    still needs its entry."""
    start(gitrepo, **{"src/openzaak/migrations/0003_zaak.py": "check=Q()\n"})
    gitrepo.commit(
        ":bug: [#7] Fix RemovedInDjango60Warning in a migration",
        {"src/openzaak/migrations/0003_zaak.py": "condition=Q()\n"},
    )
    changelog(gitrepo, section("1.1.0", "Nothing to see."))
    report = run(gitrepo)
    assert rules(report) == {"migration src/openzaak/migrations/0003_zaak.py": "edited-migrations"}
    assert found(report) == [("issue-missing", "7")]  # (the fix itself is still checked)
    gitrepo.commit(":card_file_box: Add a field", {"src/openzaak/migrations/0004_field.py": "x"})
    gitrepo.commit(
        ":fire: Drop the squashed migration", {"src/openzaak/migrations/0003_zaak.py": None}
    )
    assert [f.category for f in run(gitrepo).findings if f.kind == "change-missing"] == [
        "migration",
        "migration",
    ]
