"""`release prepare`: next versions, dry runs that change nothing, one commit and one tag."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from gitrepo import GitRepo
from tests_support import installed_ozrelease

from ozrelease.cli import cli
from ozrelease.cli import release as release_cli
from ozrelease.history import History
from ozrelease.release import prepare as releases
from ozrelease.versions import Version

TODAY = dt.date(2026, 9, 1)

PUBLICCODE = """\
# This repository adheres to the publiccode.yml standard by including this
# metadata file that makes public software easily discoverable.

publiccodeYmlVersion: '0.2'

name: Open Zaak
url: 'https://github.com/open-zaak/open-zaak.git'
softwareType: standalone/backend
softwareVersion: 1.29.0   # bumped by ozrelease
releaseDate: '2026-06-16' # ISO date
description:
  en:
    features:
      - Zaken API 1.4
    # softwareVersion: 0.0.0 (an indented comment is not the key)
"""


@pytest.fixture
def gitrepo(gitrepo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    monkeypatch.setattr(release_cli.options, "today", lambda: TODAY)
    return gitrepo


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the repository, .git (index, refs, objects) included."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def project(repo: GitRepo, *, tag: str = "1.29.0", version: str = "1.29.0") -> GitRepo:
    """A released project: pyproject.toml with [tool.bumpversion], a module that holds the
    version, publiccode.yaml and a Keep a Changelog CHANGELOG.md."""
    repo.commit(
        ":tada: Initial",
        {
            "pyproject.toml": (
                f'[project]\nname = "demo"\nversion = "{version}"\n\n'
                "[tool.bumpversion]\n"
                f'current_version = "{version}"  # keep this comment\n\n'
                "[[tool.bumpversion.files]]\n"
                'filename = "src/demo/__init__.py"\n'
                "search = '__version__ = \"{current_version}\"'\n"
                "replace = '__version__ = \"{new_version}\"'\n"
            ),
            "src/demo/__init__.py": f'"""Demo."""\n\n__version__ = "{version}"\n',
            "publiccode.yaml": PUBLICCODE.replace("1.29.0", version),
            "CHANGELOG.md": (
                "# Changelog\n\n## [Unreleased]\n\n"
                f"## [{version}] - 2026-06-16\n\n### Added\n\n- The start\n"
            ),
        },
    )
    repo.tag(tag, message=f"Release {version}")
    return repo


# -- next versions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "level", "expected"),
    [
        ("1.29.3", "major", "2.0.0"),
        ("1.29.3", "minor", "1.30.0"),
        ("1.29.3", "patch", "1.29.4"),
        ("1.2", "patch", "1.2.1"),
        ("0.4.1", "minor", "0.5.0"),
        ("2.0.0rc1", "major", "2.0.0"),
        ("2.0.0rc1", "patch", "2.0.0"),
        ("1.3.0b2", "minor", "1.3.0"),
        ("1.3.1rc1", "minor", "1.4.0"),
    ],
)
def test_next_version(base: str, level: str, expected: str) -> None:
    assert releases.next_version(Version(base), level) == Version(expected)


@pytest.mark.parametrize(
    ("message", "expected", "level"),
    [
        (":boom: [#7] Drop the v1 endpoints", "2.0.0", "major"),
        ("feat(api)!: drop the v1 endpoints", "2.0.0", "major"),
        (":sparkles: [#8] Add exports", "1.30.0", "minor"),
        ("feat: add exports", "1.30.0", "minor"),
        (":bug: [#9] Fix exports", "1.29.1", "patch"),
        ("fix: exports", "1.29.1", "patch"),
        (":white_check_mark: Only tests", "1.29.1", "patch"),
    ],
)
def test_auto_bump_follows_the_changes(
    gitrepo: GitRepo, message: str, expected: str, level: str
) -> None:
    project(gitrepo)
    gitrepo.commit(":bug: [#1] Fix something small", {"src/demo/a.py": "a = 1\n"})
    gitrepo.commit(message, {"src/demo/b.py": "b = 1\n"})
    prepared = releases.prepare(History(gitrepo.path), today=TODAY)
    assert (prepared.version, prepared.level) == (expected, level)
    assert prepared.previous is not None and prepared.previous.name == "1.29.0"


def test_under_one_breaking_changes_bump_the_minor_version(gitrepo: GitRepo) -> None:
    project(gitrepo, tag="0.4.1", version="0.4.1")
    gitrepo.commit(":boom: Rename everything", {"src/demo/b.py": "b = 1\n"})
    prepared = releases.prepare(History(gitrepo.path), today=TODAY)
    assert (prepared.version, prepared.level) == ("0.5.0", "minor")
    assert "under 1.0" in prepared.reason
    assert releases.prepare(History(gitrepo.path), bump="major", today=TODAY).version == "1.0.0"


# -- the dry run -----------------------------------------------------------------------------


def test_dry_run_prints_the_version_and_diff_and_changes_nothing(gitrepo: GitRepo) -> None:
    project(gitrepo)
    gitrepo.commit(":sparkles: [#12] Add exports", {"src/demo/exports.py": "x = 1\n"})
    gitrepo.commit(":bug: [#13] Fix imports", {"src/demo/imports.py": "y = 1\n"})
    before = snapshot(gitrepo.path)

    result = run("release", "prepare", "--repo", str(gitrepo.path))

    assert result.exit_code == 0, result.output
    assert snapshot(gitrepo.path) == before
    out = result.stdout
    assert out.startswith("Release 1.30.0 (was 1.29.0): minor, 1 new feature\n")
    assert "  tag:    1.30.0 (annotated: 'Release 1.30.0')" in out
    assert "  commit: ':bookmark: Release 1.30.0' on main" in out
    for expected in (
        "diff --git a/CHANGELOG.md b/CHANGELOG.md",
        "+## [1.30.0] - 2026-09-01",
        "+- Add exports (#12)",
        "+- Fix imports (#13)",
        '-current_version = "1.29.0"  # keep this comment',
        '+current_version = "1.30.0"  # keep this comment',
        '-version = "1.29.0"',
        '+version = "1.30.0"',
        '+__version__ = "1.30.0"',
        "+softwareVersion: 1.30.0   # bumped by ozrelease",
        "+releaseDate: '2026-09-01' # ISO date",
    ):
        assert expected in out, expected
    assert out.rstrip().endswith(
        "Dry run: nothing was changed. Run again with --yes to write, commit and tag."
    )


# -- --yes: one commit, one annotated tag, nothing pushed ------------------------------------


def test_yes_makes_one_commit_and_one_annotated_tag_and_pushes_nothing(
    gitrepo: GitRepo, tmp_path: Path
) -> None:
    project(gitrepo)
    remote = GitRepo.init(tmp_path / "remote.git", {}, bare=True)
    remote.env = gitrepo.env
    gitrepo.git("remote", "add", "origin", str(remote.path))
    gitrepo.git("push", "--quiet", "origin", "main", "1.29.0")
    gitrepo.commit(":sparkles: [#12] Add exports", {"src/demo/exports.py": "x = 1\n"})
    remote_refs = remote.git("for-each-ref")
    head = gitrepo.head()
    tags = gitrepo.git("tag").split()

    result = run("release", "prepare", "--repo", str(gitrepo.path), "--yes")

    assert result.exit_code == 0, result.output
    assert "Committed" in result.stdout and "Nothing was pushed" in result.stdout
    assert remote.git("for-each-ref") == remote_refs
    assert gitrepo.git("rev-list", "--count", f"{head}..HEAD") == "1"
    assert gitrepo.rev("HEAD^") == head
    assert gitrepo.git("tag").split() == sorted([*tags, "1.30.0"])
    assert gitrepo.git("cat-file", "-t", "1.30.0") == "tag"  # annotated
    assert gitrepo.rev("1.30.0") == gitrepo.head()
    assert gitrepo.git("tag", "-l", "--format=%(contents:subject)", "1.30.0") == "Release 1.30.0"
    assert gitrepo.git("log", "-1", "--format=%s") == ":bookmark: Release 1.30.0"
    changed = gitrepo.git("diff", "--name-only", "HEAD^", "HEAD").split()
    assert changed == ["CHANGELOG.md", "publiccode.yaml", "pyproject.toml", "src/demo/__init__.py"]
    assert gitrepo.git("status", "--porcelain") == ""
    assert '__version__ = "1.30.0"' in (gitrepo.path / "src/demo/__init__.py").read_text()
    # The release commit is housekeeping: the next changelog leaves it out.
    gitrepo.commit(":bug: Fix y", {"src/demo/y.py": "y = 1\n"})
    again = releases.prepare(History(gitrepo.path), today=TODAY)
    assert again.version == "1.30.1"
    assert [e.text for s in again.changelog.sections for e in s.entries] == ["Fix y"]


def test_publiccode_keeps_every_byte_but_the_two_values(gitrepo: GitRepo) -> None:
    project(gitrepo)
    gitrepo.commit("fix: something", {"src/demo/a.py": "a = 1\n"})
    result = run("release", "prepare", "--repo", str(gitrepo.path), "--yes")
    assert result.exit_code == 0, result.output
    after = (gitrepo.path / "publiccode.yaml").read_bytes()
    expected = (
        PUBLICCODE.replace("softwareVersion: 1.29.0   #", "softwareVersion: 1.29.1   #")
        .replace("releaseDate: '2026-06-16' #", "releaseDate: '2026-09-01' #")
        .encode()
    )
    assert after == expected


def test_publiccode_edit_keeps_quotes_and_crlf() -> None:
    from ozrelease.ecosystem.publiccode import set_release

    text = 'name: X\r\nsoftwareVersion: "1.2"\r\nreleaseDate: 2026-01-01\r\n'
    updated, notes = set_release(text, "1.3", TODAY)
    assert updated == 'name: X\r\nsoftwareVersion: "1.3"\r\nreleaseDate: 2026-09-01\r\n'
    assert notes == []
    plain, _ = set_release("softwareVersion: 1.2\nreleaseDate: x\n", "1.3", TODAY)
    assert plain == "softwareVersion: '1.3'\nreleaseDate: 2026-09-01\n"  # 1.3 would be a float
    _, missing = set_release("name: X\n", "1.3", TODAY, file="publiccode.yml")
    assert missing == [
        "publiccode.yml: no top-level softwareVersion line; add `softwareVersion: 1.3` by hand",
        "publiccode.yml: no top-level releaseDate line; add `releaseDate: 2026-09-01` by hand",
    ]


# -- tag styles ------------------------------------------------------------------------------


@pytest.mark.parametrize(("style", "expected"), [("1.29.0", "1.30.0"), ("v1.29.0", "v1.30.0")])
def test_the_tag_follows_the_existing_style(gitrepo: GitRepo, style: str, expected: str) -> None:
    project(gitrepo, tag=style)
    gitrepo.commit("feat: more", {"src/demo/a.py": "a = 1\n"})
    result = run("release", "prepare", "--repo", str(gitrepo.path), "--yes")
    assert result.exit_code == 0, result.output
    assert gitrepo.git("describe", "--exact-match", "HEAD") == expected
    assert gitrepo.git("cat-file", "-t", expected) == "tag"


def test_tag_format_configuration_wins(gitrepo: GitRepo) -> None:
    project(gitrepo)
    gitrepo.commit(
        "feat: more",
        {
            ".ozrelease.toml": (
                '[release]\ntag-format = "release-{version}"\n'
                'commit-message = "chore: release {version}"\n'
            )
        },
    )
    prepared = releases.prepare(History(gitrepo.path), today=TODAY)
    assert (prepared.tag, prepared.commit_message) == ("release-1.30.0", "chore: release 1.30.0")


# -- bump-my-version configurations ----------------------------------------------------------


def test_bumpversion_toml_with_several_files_and_a_dev_part(gitrepo: GitRepo) -> None:
    gitrepo.commit(
        "chore: start",
        {
            ".bumpversion.toml": (
                "[tool.bumpversion]\n"
                'current_version = "2.3.0"\n'
                'parse = "(?P<major>\\\\d+)\\\\.(?P<minor>\\\\d+)\\\\.(?P<patch>\\\\d+)'
                '(\\\\.dev(?P<dev>\\\\d+))?"\n'
                'serialize = ["{major}.{minor}.{patch}.dev{dev}", "{major}.{minor}.{patch}"]\n\n'
                "[[tool.bumpversion.files]]\n"
                'filename = "package.json"\n'
                'search = \'"version": "{current_version}"\'\n'
                'replace = \'"version": "{new_version}"\'\n\n'
                "[[tool.bumpversion.files]]\n"
                'filename = "README.rst"\n'
            ),
            "package.json": '{\n  "name": "demo",\n  "version": "2.3.0",\n  "dep": "2.3.0"\n}\n',
            "README.rst": "Demo 2.3.0\n==========\n",
        },
    )
    gitrepo.tag("v2.3.0", message="r")
    gitrepo.commit("fix: a bug", {"src/a.py": "a = 1\n"})
    prepared = releases.prepare(History(gitrepo.path), today=TODAY)
    assert (prepared.version, prepared.tag) == ("2.3.1", "v2.3.1")
    after = {e.path: e.after for e in prepared.edits}
    assert after["package.json"] == (
        '{\n  "name": "demo",\n  "version": "2.3.1",\n  "dep": "2.3.0"\n}\n'
    )
    assert after["README.rst"] == "Demo 2.3.1\n==========\n"
    assert 'current_version = "2.3.1"\n' in after[".bumpversion.toml"]
    assert set(after) == {".bumpversion.toml", "CHANGELOG.md", "README.rst", "package.json"}


def test_open_zaak_style_bumpversion_cfg_with_publiccode_entries(gitrepo: GitRepo) -> None:
    # Open Zaak's own .bumpversion.cfg (INI) bumps publiccode.yaml itself, the date by regex.
    gitrepo.commit(
        ":tada: Initial",
        {
            ".bumpversion.cfg": (
                "[bumpversion]\ncommit = False\ntag = False\ncurrent_version = 1.29.0\n"
                "parse = (?P<major>\\d+)\\.(?P<minor>\\d+)\\.(?P<patch>\\d+)"
                "(\\.dev(?P<dev>\\d+))?\n"
                "serialize =\n\t{major}.{minor}.{patch}.dev{dev}\n\t{major}.{minor}.{patch}\n\n"
                "[bumpversion:part:dev]\n\n"
                "[bumpversion:file:src/openzaak/__init__.py]\n"
                'search = __version__ = "{current_version}"\n'
                'replace = __version__ = "{new_version}"\n\n'
                "[bumpversion:file(version):publiccode.yaml]\n"
                "search = softwareVersion: {current_version}\n"
                "replace = softwareVersion: {new_version}\n\n"
                "[bumpversion:file(date):publiccode.yaml]\n"
                "search = releaseDate: '\\d{{4}}-\\d{{2}}-\\d{{2}}'\n"
                "replace = releaseDate: '{now:%Y-%m-%d}'\n"
                "regex = true\n"
            ),
            "src/openzaak/__init__.py": '__version__ = "1.29.0"\n',
            "publiccode.yaml": PUBLICCODE,
            "CHANGELOG.rst": (
                "=========\nChangelog\n=========\n\n"
                "1.29.0 (2026-06-16)\n===================\n\nStart.\n"
            ),
        },
    )
    gitrepo.tag("1.29.0", message="Release 1.29.0")
    gitrepo.commit(":sparkles: [#2426] Add zaak exports", {"src/openzaak/x.py": "x = 1\n"})
    result = run("release", "prepare", "--repo", str(gitrepo.path), "--yes")
    assert result.exit_code == 0, result.output
    cfg = (gitrepo.path / ".bumpversion.cfg").read_text()
    assert "current_version = 1.30.0\n" in cfg
    assert (gitrepo.path / "src/openzaak/__init__.py").read_text() == '__version__ = "1.30.0"\n'
    publiccode = (gitrepo.path / "publiccode.yaml").read_text()
    assert "softwareVersion: 1.30.0   # bumped by ozrelease\n" in publiccode
    assert "releaseDate: '2026-09-01' # ISO date\n" in publiccode
    changelog = (gitrepo.path / "CHANGELOG.rst").read_text()
    assert "1.30.0 (2026-09-01)\n===================\n" in changelog
    assert changelog.index("1.30.0 (2026-09-01)") < changelog.index("1.29.0 (2026-06-16)")


def test_a_version_bumpversion_cannot_write_is_refused(gitrepo: GitRepo) -> None:
    project(gitrepo)
    gitrepo.commit("feat: x", {"src/demo/a.py": "a = 1\n"})
    before = snapshot(gitrepo.path)
    result = run("release", "prepare", "--repo", str(gitrepo.path), "--version", "2.0.0rc1")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("pyproject.toml: bump-my-version would write 2.0.0rc1 as")
    assert snapshot(gitrepo.path) == before


# -- pre-releases ----------------------------------------------------------------------------


def test_pre_release_then_final(gitrepo: GitRepo) -> None:
    gitrepo.commit(
        "chore: start",
        {"pyproject.toml": '[project]\nname = "demo"\nversion = "1.29.0"\n'},
    )
    gitrepo.tag("v1.29.0", message="r")
    gitrepo.commit("feat!: new API", {"src/a.py": "a = 1\n"})
    result = run(
        "release", "prepare", "--repo", str(gitrepo.path), "--version", "v2.0.0-rc.1", "--yes"
    )
    assert result.exit_code == 0, result.output
    assert gitrepo.git("describe", "--exact-match", "HEAD") == "v2.0.0-rc.1"
    assert 'version = "2.0.0-rc.1"' in (gitrepo.path / "pyproject.toml").read_text()
    gitrepo.commit("fix: polish", {"src/b.py": "b = 1\n"})
    prepared = releases.prepare(History(gitrepo.path), today=TODAY)
    assert (prepared.version, prepared.tag, prepared.level) == ("2.0.0", "v2.0.0", "final")
    assert prepared.previous is not None and prepared.previous.name == "v1.29.0"
    # The final release's changelog covers everything since the last final release.
    texts = [e.text for s in prepared.changelog.sections for e in s.entries]
    assert texts == ["New API", "Polish"]


# -- refusals --------------------------------------------------------------------------------


def test_refusals_exit_2_and_change_nothing(gitrepo: GitRepo) -> None:
    project(gitrepo)
    gitrepo.commit("feat: x", {"src/demo/a.py": "a = 1\n"})
    repo = str(gitrepo.path)

    (gitrepo.path / "src/demo/a.py").write_text("a = 2\n")
    dirty = run("release", "prepare", "--repo", repo, "--yes")
    assert (dirty.exit_code, dirty.stdout) == (2, "")
    assert dirty.stderr == (
        "error: the work tree has uncommitted changes (src/demo/a.py); commit or stash them\n"
    )
    gitrepo.git("checkout", "--", "src/demo/a.py")
    (gitrepo.path / "untracked.txt").write_text("not ours\n")  # untracked files do not count
    assert run("release", "prepare", "--repo", repo).exit_code == 0

    gitrepo.checkout("HEAD", detach=True)
    detached = run("release", "prepare", "--repo", repo, "--yes")
    assert detached.exit_code == 2
    assert detached.stderr.startswith("error: HEAD is detached")
    gitrepo.checkout("main")

    gitrepo.branch("elsewhere", "1.29.0")
    gitrepo.checkout("elsewhere")
    gitrepo.commit("fix: z", {"src/demo/z.py": "z = 1\n"})
    gitrepo.tag("1.30.0", message="someone else's")
    gitrepo.checkout("main")
    before = snapshot(gitrepo.path)
    taken = run("release", "prepare", "--repo", repo, "--yes")
    assert taken.exit_code == 2
    assert taken.stderr.startswith("error: tag 1.30.0 exists already (on ")
    assert snapshot(gitrepo.path) == before

    both = run("release", "prepare", "--repo", repo, "--bump", "minor", "--version", "3.0.0")
    assert (both.exit_code, both.stderr) == (2, "error: give --bump or --version, not both\n")
    older = run("release", "prepare", "--repo", repo, "--version", "1.0.0")
    assert older.exit_code == 2
    assert "not newer than the last release 1.29.0" in older.stderr

    gitrepo.tag("1.31.0", message="r")
    released = run("release", "prepare", "--repo", repo)
    assert (released.exit_code, released.stderr) == (
        2,
        "error: HEAD is already released as 1.31.0; nothing to release\n",
    )


def test_a_failing_commit_puts_the_files_back(gitrepo: GitRepo) -> None:
    project(gitrepo)
    gitrepo.commit("feat: x", {"src/demo/a.py": "a = 1\n"})
    hook = gitrepo.path / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'no releases on Fridays' >&2\nexit 1\n")
    hook.chmod(0o755)
    files = {k: v for k, v in snapshot(gitrepo.path).items() if not k.startswith(".git/")}
    head = gitrepo.head()
    result = run("release", "prepare", "--repo", str(gitrepo.path), "--yes")
    assert result.exit_code == 2
    assert "the files were put back, nothing was committed" in result.stderr
    assert {k: v for k, v in snapshot(gitrepo.path).items() if not k.startswith(".git/")} == files
    assert gitrepo.head() == head
    assert gitrepo.git("status", "--porcelain") == ""
    assert "1.30.0" not in gitrepo.git("tag").split()


def test_first_release_without_tags_or_changelog(gitrepo: GitRepo) -> None:
    gitrepo.commit("feat: first", {"a.py": "a = 1\n"})
    prepared = releases.prepare(History(gitrepo.path), today=TODAY)
    assert (prepared.version, prepared.tag, prepared.previous) == ("0.1.0", "0.1.0", None)
    assert [e.path for e in prepared.edits] == ["CHANGELOG.md"]
    assert prepared.edits[0].before is None
    assert prepared.diff().startswith("diff --git a/CHANGELOG.md b/CHANGELOG.md\n--- /dev/null\n")


@pytest.mark.slow
def test_the_installed_command(gitrepo: GitRepo) -> None:
    project(gitrepo)
    gitrepo.commit("feat: x", {"src/demo/a.py": "a = 1\n"})
    exe = installed_ozrelease()
    before = snapshot(gitrepo.path)
    done = subprocess.run(
        [exe, "release", "prepare"],
        cwd=gitrepo.path,
        capture_output=True,
        text=True,
        check=False,
        env=gitrepo.env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.startswith("Release 1.30.0 (was 1.29.0): minor, 1 new feature\n")
    assert snapshot(gitrepo.path) == before


# -- [tool.ozrelease.release] ----------------------------------------------------------------


def test_release_configuration_is_checked(tmp_path: Path) -> None:
    from ozrelease.changelog.config import load_config
    from ozrelease.errors import InputError

    (tmp_path / "pyproject.toml").write_text(
        '[tool.ozrelease.release]\nbranch-pattern = "release/{major}"\nlines = ["3"]\n'
        'supported-lines = 3\ncomponent = "open-zaak"\ntag-format = "v{version}"\n'
    )
    release = load_config(tmp_path).release
    assert (release.branch_pattern, release.lines, release.supported_lines) == (
        "release/{major}",
        ("3",),
        3,
    )
    assert (release.component, release.tag_format) == ("open-zaak", "v{version}")
    for body, message in [
        (
            'branch-patern = "x/{major}"',
            "unknown key 'branch-patern'; did you mean 'branch-pattern'?",
        ),
        ('branch-pattern = "stable/x"', "'stable/x' needs {major} (and may use {minor})"),
        ('branch-pattern = "s/{major}.{patch}"', "'s/{major}.{patch}' needs {major}"),
        ("supported-lines = 0", "expected a whole number >= 1, got 0"),
        ('tag-format = "v1"', "'v1' needs a {version} placeholder"),
        ('lines = "1.28"', "expected a list of strings"),
    ]:
        (tmp_path / "pyproject.toml").write_text(f"[tool.ozrelease.release]\n{body}\n")
        with pytest.raises(InputError) as caught:
            load_config(tmp_path)
        assert caught.value.line == 2, body
        assert message in caught.value.message, caught.value.message
