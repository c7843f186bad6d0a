"""`ozrelease changelog check` on the command line: formats, exit codes, the real executable."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from gitrepo import GitRepo, fresh
from tests_support import fast_import_history, installed_ozrelease

from ozrelease.cli import cli

CHANGELOG = """\
Changelog
=========

Unreleased
----------

* [#12] Added the import.

1.0.0 (2024-01-01)
------------------

* First release.
"""


@pytest.fixture
def repo(gitrepo: GitRepo) -> GitRepo:
    repo = gitrepo
    repo.commit(":tada: Start", {"src/app.py": "x = 1\n", "CHANGELOG.rst": "Changelog\n"})
    repo.tag("1.0.0", message="Release 1.0.0")
    repo.pull_request(13, "feature/12-import", [":sparkles: [#12] Add the import"])
    (repo.path / "CHANGELOG.rst").write_text(CHANGELOG, encoding="utf-8")
    return repo


def check(repo: GitRepo, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["changelog", "check", "--repo", str(repo.path), *args], catch_exceptions=False
    )


def test_clean_range_exits_0(repo: GitRepo) -> None:
    result = check(repo)
    assert result.exit_code == 0, result.output
    assert 'section "Unreleased" (line 4' in result.stdout
    assert "No undocumented changes in 2 commits (1.0.0..HEAD)" in result.stdout
    assert result.stderr == ""


def test_findings_exit_1_in_every_format(repo: GitRepo) -> None:
    repo.commit(":bug: [#14] Fix the export", {"src/export.py": "fixed"})
    repo.commit("[#15] Tests", {"tests/test_export.py": "x"})
    text = check(repo)
    assert text.exit_code == 1
    assert "CHANGELOG.rst:4: issue-missing: #14 is referenced by 1 commit" in text.stdout
    assert "(--verbose lists what was suppressed and why)" in text.stdout
    verbose = check(repo, "--verbose")
    assert "internal-commits: #15: every commit about it is internal" in verbose.stdout

    data = check(repo, "--format", "json")
    assert data.exit_code == 1 and data.stderr == ""
    parsed = json.loads(data.stdout)
    assert parsed["format"] == "ozrelease-check/1"
    assert [f["issue"] for f in parsed["findings"]] == ["14"]
    assert "suppressed" in json.loads(check(repo, "--format", "json", "-v").stdout)

    github = check(repo, "--format", "github")
    assert github.exit_code == 1
    assert github.stdout.startswith(
        "::warning file=CHANGELOG.rst,line=4,title=ozrelease issue-missing::#14 is referenced"
    )
    gitlab = check(repo, "--format", "gitlab")
    assert gitlab.exit_code == 1
    assert json.loads(gitlab.stdout)[0]["check_name"] == "ozrelease-issue-missing"


def test_could_not_answer_exits_2_with_one_line(repo: GitRepo, tmp_path: Path) -> None:
    result = check(repo, "--from", "v9")
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        "error: unknown ref 'v9'\n",
    )
    (repo.path / "CHANGELOG.rst").write_text("Changelog\n=========\n\n1.0.0\n-----\n\n* x\n")
    result = check(repo)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("CHANGELOG.rst: no changelog section covers 1.0.0..HEAD")
    result = check(repo, "--changelog", "NOPE.md")
    assert result.exit_code == 2 and "no changelog file here" in result.stderr
    shallow = repo.clone(tmp_path / "shallow", depth=1)
    (shallow.path / "CHANGELOG.rst").write_text(CHANGELOG, encoding="utf-8")
    result = check(shallow, "--format", "json")
    assert result.exit_code == 2 and result.stdout == ""
    assert "git fetch --unshallow --tags" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_help_names_the_formats_and_exit_codes() -> None:
    result = CliRunner().invoke(cli, ["changelog", "check", "--help"])
    assert result.exit_code == 0
    for text in ("--from REF", "--changelog FILE", "text|json|github|gitlab", "--verbose"):
        assert text in result.output
    assert "Exit codes: 0 nothing undocumented; 1 undocumented changes found" in result.output


@pytest.mark.slow
def test_the_installed_command(repo: GitRepo) -> None:
    exe = installed_ozrelease()
    done = subprocess.run(
        [exe, "changelog", "check", "--format", "json", "--changelog", "CHANGELOG.rst"],
        cwd=repo.path,
        capture_output=True,
        text=True,
        check=False,
        env=repo.env,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout)["findings"] == []


# -- progress on a terminal -----------------------------------------------------------------


def run_on_a_terminal(repo: GitRepo, *args: str) -> tuple[int, str, str]:
    """The installed ozrelease with stderr on a pseudo-terminal and stdout on a pipe, as in
    `ozrelease changelog generate --format json | jq` typed at a shell."""
    import pty

    exe = installed_ozrelease()
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            [exe, *args], cwd=repo.path, stdout=subprocess.PIPE, stderr=follower
        )
        os.close(follower)
        terminal = bytearray()

        def read_terminal() -> None:  # beside stdout: either may fill up and block the other
            while True:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # the terminal closed: the process is gone
                    return
                if not chunk:
                    return
                terminal.extend(chunk)

        reader = threading.Thread(target=read_terminal, daemon=True)
        reader.start()
        out, _ = process.communicate(timeout=120)
        reader.join(timeout=10)
        status = process.returncode
    finally:
        os.close(leader)
    return status, out.decode(), bytes(terminal).decode(errors="replace")


def test_a_long_scan_shows_a_progress_bar_on_a_terminal(repo: GitRepo) -> None:
    fast_import_history(repo, 2500)
    status, out, terminal = run_on_a_terminal(
        repo, "changelog", "generate", "--from", "1.0.0", "--format", "json"
    )
    assert status == 0, terminal
    total = int(repo.git("rev-list", "--count", "1.0.0..HEAD"))
    assert total > 2500 and "Reading history" in terminal
    assert f" 0/{total}" in terminal and f" {total}/{total}" in terminal
    assert json.loads(out)["sections"]  # stdout holds the JSON and nothing else
    # A short range reads without one.
    status, out, terminal = run_on_a_terminal(repo, "changelog", "generate", "--from", "main~5")
    assert status == 0 and "Reading history" not in terminal
    assert "Fix number 2500" in out


def test_an_unknown_forge_identity_is_said_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = fresh(tmp_path / "repo", monkeypatch)
    repo.commit(":tada: Start", {"src/app.py": "x = 1\n", "CHANGELOG.rst": "Changelog\n"})
    repo.tag("1.0.0", message="Release 1.0.0")
    repo.git("remote", "add", "origin", str(tmp_path / "mirror.git"))  # a local path
    repo.commit(":bug: [#12] Fix logging", {"src/log.py": "x"})
    (repo.path / "CHANGELOG.rst").write_text(
        "Changelog\n=========\n\nUnreleased\n----------\n\n* [:open-zaak:`12`] Logging.\n",
        encoding="utf-8",
    )
    result = check(repo)
    assert result.exit_code == 1, result.output  # is :open-zaak:`12` this #12? Unknown.
    assert result.stderr.startswith("note: this repository's forge name (owner/name) is unknown")
    assert '[tool.ozrelease.changelog] repository = "owner/name"' in result.stderr
    assert "note:" not in result.stdout
    # Told where it lives, the answer is known and the note goes.
    (repo.path / "publiccode.yml").write_text("url: https://github.com/open-zaak/open-zaak\n")
    result = check(repo)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_the_analysis_shows_how_far_it_is_on_a_terminal_only(repo: GitRepo) -> None:
    fast_import_history(repo, 150, path="src/conf/base.py")  # a watched settings module
    (repo.path / "CHANGELOG.rst").write_text(CHANGELOG, encoding="utf-8")
    args = ["changelog", "check", "--format", "json", "--changelog", "CHANGELOG.rst"]
    status, out, terminal = run_on_a_terminal(repo, *args)
    assert status == 1, terminal  # (the issues the section does not name)
    # Each long step counts what it has done, on one line rewritten in place...
    assert "\r\x1b[KChecking the issues of 153 commits: 0/150 issues" in terminal
    assert "\r\x1b[KChecking the commits that changed 1 watched files: 0/150 commits" in terminal
    assert "\n" not in terminal.split("Grouping changes", 1)[1]
    # ...cleared at the end.
    assert terminal.endswith("\r\x1b[K"), terminal[-200:]
    # stdout holds the JSON alone, the same as without a terminal; without one, stderr is
    # silent.
    done = subprocess.run(
        [installed_ozrelease(), *args], cwd=repo.path, capture_output=True, env=repo.env
    )
    assert (done.returncode, done.stdout.decode()) == (status, out)
    assert done.stderr == b""
    assert json.loads(out)["commitsScanned"] == 153
    # A short range shows its steps without counts.
    status, out, terminal = run_on_a_terminal(repo, *args, "--from", "main~5")
    assert status == 1 and "Checking the commits that changed 1 watched files..." in terminal
    assert "/5 commits" not in terminal and "issues" in terminal and "/5 issues" not in terminal
