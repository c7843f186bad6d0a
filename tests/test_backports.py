"""`release backports`: fixes on the default branch against the release lines."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from gitrepo import GitRepo

from ozrelease.changelog.config import Config
from ozrelease.cli import cli
from ozrelease.cli import release as release_cli
from ozrelease.ecosystem.model import Component, Release, Where
from ozrelease.history import History
from ozrelease.release import backports as backports
from ozrelease.versions import Version

TODAY = dt.date(2026, 9, 1)


@pytest.fixture
def gitrepo(gitrepo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    monkeypatch.setattr(release_cli.options, "today", lambda: TODAY)
    return gitrepo


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def lines_repo(repo: GitRepo) -> dict[str, str]:
    """main with stable/1.28.x and stable/1.29.x, and every way a fix reaches a line."""
    shas: dict[str, str] = {}
    repo.commit(":tada: Initial", {"a.txt": "1\n"})
    repo.tag("1.28.0", message="r")
    repo.branch("stable/1.28.x")
    shas["old"] = repo.commit(":bug: [#1] Fix an old bug", {"b.txt": "1\n"})
    repo.commit(":sparkles: [#5] A feature", {"c.txt": "1\n"})
    repo.tag("1.29.0", message="r")
    repo.branch("stable/1.29.x")
    shas["picked"] = repo.commit(":bug: [#2] Fix the importer", {"d.txt": "1\n"})
    shas["patch"] = repo.commit("fix: exports with a BOM (#3)", {"e.txt": "1\n"})
    shas["issue"] = repo.commit(":lock: [#4] Check the token audience", {"f.txt": "1\n"})
    shas["nowhere"] = repo.commit(":ambulance: Hotfix the scheduler", {"g.txt": "1\n"})
    repo.commit(":memo: Document the importer", {"docs/h.txt": "1\n"})
    repo.commit(":white_check_mark: [#2] Test the importer", {"tests/t.txt": "1\n"})
    repo.commit(":sparkles: [#6] Another feature", {"i.txt": "1\n"})
    repo.checkout("stable/1.29.x")
    repo.cherry_pick(shas["picked"])  # with -x
    repo.cherry_pick(shas["patch"], record=False)  # the same patch, no trailer
    repo.commit(":lock: [#4] Check the token audience (1.29)", {"f.txt": "other\n"})
    repo.checkout("stable/1.28.x")
    repo.cherry_pick(shas["old"])
    repo.cherry_pick(shas["picked"], record=False)
    repo.checkout("main")
    return shas


def test_the_matrix_for_scripts(gitrepo: GitRepo) -> None:
    shas = lines_repo(gitrepo)
    result = run("release", "backports", "--repo", str(gitrepo.path), "--format", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert data["format"] == "ozrelease-backports/1"
    assert data["lines"] == ["1.28", "1.29"]
    got = {f["commit"]: (f["lines"], f["evidence"]) for f in data["fixes"]}
    assert got == {
        shas["nowhere"]: ({"1.28": "missing", "1.29": "missing"}, {}),
        shas["issue"]: ({"1.28": "missing", "1.29": "present"}, {"1.29": "issue"}),
        shas["patch"]: ({"1.28": "missing", "1.29": "present"}, {"1.29": "patch-id"}),
        shas["picked"]: (
            {"1.28": "present", "1.29": "present"},
            {"1.28": "patch-id", "1.29": "cherry-pick"},
        ),
        shas["old"]: (
            {"1.28": "present", "1.29": "present"},
            {"1.28": "cherry-pick", "1.29": "contained"},
        ),
    }
    assert [f["commit"] for f in data["fixes"]] == [
        shas[k] for k in ("nowhere", "issue", "patch", "picked", "old")
    ]  # newest first
    first = data["fixes"][1]
    assert (first["subject"], first["issues"]) == (":lock: [#4] Check the token audience", ["4"])
    assert set(data["fixes"][0]) == {"commit", "subject", "issues", "lines", "evidence"}


def test_the_matrix_for_people(gitrepo: GitRepo) -> None:
    shas = lines_repo(gitrepo)
    result = run("release", "backports", "--repo", str(gitrepo.path))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith(
        "Fixes on main since stable/1.28.x branched off, against 1.28, 1.29 "
        "(supported-lines: the newest 2)\n"
    )
    assert "  commit      1.28       1.29       fix\n" in out
    assert (
        f"  {shas['nowhere'][:10]}  MISSING    MISSING    :ambulance: Hotfix the scheduler\n" in out
    )
    assert (
        f"  {shas['picked'][:10]}  yes patch  yes -x     :bug: [#2] Fix the importer [#2]\n" in out
    )
    assert f"  {shas['old'][:10]}  yes -x     yes        :bug: [#1] Fix an old bug [#1]\n" in out
    assert "Missing:\n  1.28 (stable/1.28.x): 3 fixes:" in out
    assert f"  1.29 (stable/1.29.x): 1 fix: {shas['nowhere'][:10]}\n" in out


def test_lines_option_and_unknown_lines(gitrepo: GitRepo) -> None:
    shas = lines_repo(gitrepo)
    one = run(
        "release",
        "backports",
        "--repo",
        str(gitrepo.path),
        "--lines",
        "stable/1.29.x",
        "--format",
        "json",
    )
    assert one.exit_code == 0, one.output
    data = json.loads(one.stdout)
    assert data["lines"] == ["1.29"]
    # Since 1.29 branched off: the fix from before it is not listed.
    assert shas["old"] not in [f["commit"] for f in data["fixes"]]
    unknown = run("release", "backports", "--repo", str(gitrepo.path), "--lines", "1.27")
    assert unknown.exit_code == 2
    assert unknown.stderr == (
        "error: no release line '1.27': no branch matches stable/{major}.{minor}.x for it "
        "(lines: 1.28, 1.29)\n"
    )


def test_no_release_lines_exits_2(gitrepo: GitRepo) -> None:
    gitrepo.commit("fix: x", {"a.txt": "1\n"})
    result = run("release", "backports", "--repo", str(gitrepo.path))
    assert result.exit_code == 2
    assert "no release lines: no branch matches stable/{major}.{minor}.x" in result.stderr


def test_configured_pattern_lines_and_remote_branches(gitrepo: GitRepo, tmp_path: Path) -> None:
    gitrepo.commit(
        "chore: start",
        {".ozrelease.toml": '[release]\nbranch-pattern = "release/{major}.{minor}"\n'},
    )
    gitrepo.branch("release/2.0")
    fix = gitrepo.commit("fix: a bug", {"a.txt": "1\n"})
    gitrepo.branch("release/2.1")
    clone = gitrepo.clone(tmp_path / "clone")
    history = History(clone.path)  # only origin/release/* there
    found = backports.release_lines(history, "release/{major}.{minor}")
    assert [(x.label, x.branch) for x in found] == [
        ("2.0", "origin/release/2.0"),
        ("2.1", "origin/release/2.1"),
    ]
    matrix = backports.backports(history, on=TODAY)
    assert [line.label for line in matrix.lines] == ["2.0", "2.1"]
    assert [(f.commit, dict(f.lines)) for f in matrix.fixes] == [
        (fix, {"2.0": "missing", "2.1": "present"})
    ]


def _component(eols: dict[str, dt.date | None]) -> Component:
    where = Where("x.yaml")
    releases = tuple(
        Release(component="demo", version=Version(v), label=v, where=where, eol=eol)
        for v, eol in eols.items()
    )
    return Component(name="demo", where=where, releases=releases)


def test_the_support_policy_from_end_of_life_dates() -> None:
    lines = [
        backports.Line(Version(v), v, f"stable/{v}.x")
        for v in ("1.26", "1.27", "1.28", "1.29", "1.30")
    ]
    component = _component(
        {
            "1.26.0": dt.date(2026, 4, 14),
            "1.27.0": dt.date(2026, 6, 16),
            "1.28.0": dt.date(2026, 9, 1),  # supported through its last day
            "1.28.5": dt.date(2026, 9, 1),
            "1.29.0": dt.date(2026, 12, 16),
        }
    )
    chosen, why = backports.choose_lines(lines, None, Config(), component, TODAY)
    assert [x.label for x in chosen] == ["1.28", "1.29", "1.30"]  # 1.30: not released yet
    assert why == "supported on 2026-09-01 by the end-of-life dates of demo"
    newest, why = backports.choose_lines(lines, None, Config(), _component({"1.0.0": None}), TODAY)
    assert [x.label for x in newest] == ["1.29", "1.30"]
    assert why == "supported-lines: the newest 2"


def test_the_bundled_open_zaak_end_of_life_dates_choose_the_lines(gitrepo: GitRepo) -> None:
    # The repository is Open Zaak when its origin is: the bundled manifests say which lines
    # are still supported on the day (1.26 and 1.27 are past their end of life on 2026-09-01).
    gitrepo.git("remote", "add", "origin", "https://github.com/open-zaak/open-zaak.git")
    gitrepo.commit(":tada: Initial", {"a.txt": "1\n"})
    for line in ("1.26", "1.27", "1.28", "1.29"):
        gitrepo.branch(f"stable/{line}.x")
        gitrepo.commit(f":sparkles: Work after {line}", {f"{line}.txt": "1\n"})
    gitrepo.commit(":bug: Fix it", {"z.txt": "1\n"})
    result = run("release", "backports", "--repo", str(gitrepo.path), "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["lines"] == ["1.29"]
    # 1.28's listed end of life is 2026-08-20: past on 2026-09-01.
    text = run("release", "backports", "--repo", str(gitrepo.path))
    assert "(supported on 2026-09-01 by the end-of-life dates of open-zaak)" in text.stdout


def test_fix_sections_follow_the_configuration() -> None:
    from ozrelease.changelog.config import SectionRule

    sections = (
        SectionRule("Features", frozenset({"sparkles"}), frozenset({"feat"})),
        SectionRule("Repairs", frozenset(), frozenset({"fix"})),
        SectionRule("Safety", frozenset({"lock"}), frozenset()),
        SectionRule("Other"),
    )
    assert backports.fix_sections(sections) == frozenset({1, 2})
