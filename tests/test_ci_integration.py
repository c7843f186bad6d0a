"""The CI integration we ship (GitHub Action, GitLab CI template, pre-commit hook): each file
parses, and its shell steps run for real against a repository built here, with the installed
`ozrelease` standing in for the one the step would install."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from gitrepo import GitRepo, fresh
from tests_support import installed_ozrelease

ROOT = Path(__file__).resolve().parent.parent

CHANGELOG = "Changelog\n=========\n\nUnreleased\n----------\n\n* [#12] Added the import.\n"


def load(name: str) -> Any:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    repo = fresh(tmp_path / "work", monkeypatch)
    repo.commit(":tada: Start", {"src/app.py": "x = 1\n", "CHANGELOG.rst": "Changelog\n"})
    repo.tag("1.0.0", message="Release 1.0.0")
    repo.pull_request(13, "feature/12-import", [":sparkles: [#12] Add the import"])
    (repo.path / "CHANGELOG.rst").write_text(CHANGELOG, encoding="utf-8")
    return repo


# -- GitHub Action ------------------------------------------------------------------------


def action_step(name: str) -> dict[str, Any]:
    steps = load("action.yml")["runs"]["steps"]
    return next(s for s in steps if s.get("name") == name)


def run_check_step(repo: GitRepo, tmp_path: Path, **inputs: str) -> subprocess.CompletedProcess:
    """The action's "Check the changelog" step as the runner runs it: its script under bash,
    its inputs as environment variables, ozrelease where the install step puts it."""
    step = action_step("Check the changelog")
    runner_temp = tmp_path / "runner"
    (runner_temp / "ozrelease" / "bin").mkdir(parents=True)
    (runner_temp / "ozrelease" / "bin" / "ozrelease").symlink_to(installed_ozrelease())
    defaults = {k: v.get("default", "") for k, v in load("action.yml")["inputs"].items()}
    env = {**os.environ, "RUNNER_TEMP": str(runner_temp)}
    for variable, expression in step["env"].items():
        key = expression.removeprefix("${{ inputs.").removesuffix(" }}")
        env[variable] = inputs.get(key, defaults[key])
    return subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=repo.path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_action_inputs_reach_every_step_through_the_environment() -> None:
    action = load("action.yml")
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {"from", "to", "changelog", "args", "install", "version"}
    assert action["inputs"]["install"]["default"] == "local"  # the pinned ref, no index
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], step["name"]  # never expanded into a script
            assert subprocess.run(["bash", "-n", "-c", step["run"]]).returncode == 0


def test_action_check_step_passes_a_documented_range(repo: GitRepo, tmp_path: Path) -> None:
    done = run_check_step(repo, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "::error" not in done.stdout and "::warning" not in done.stdout


def test_action_check_step_turns_findings_into_warnings(repo: GitRepo, tmp_path: Path) -> None:
    repo.commit(":bug: [#14] Fix the export", {"src/export.py": "fixed"})
    done = run_check_step(repo, tmp_path, changelog="CHANGELOG.rst", args="--verbose")
    assert done.returncode == 1, done.stdout + done.stderr
    warnings = [line for line in done.stdout.splitlines() if line.startswith("::warning ")]
    assert len(warnings) == 1 and "#14" in warnings[0], done.stdout
    assert warnings[0].startswith("::warning file=CHANGELOG.rst,line=4,")


def test_action_check_step_says_when_it_cannot_answer(repo: GitRepo, tmp_path: Path) -> None:
    done = run_check_step(repo, tmp_path, **{"from": "no-such-tag"})
    assert done.returncode == 2
    assert "no-such-tag" in done.stdout + done.stderr


# -- GitLab CI template -------------------------------------------------------------------


def gitlab_job() -> dict[str, Any]:
    job = load("ci/ozrelease-changelog-check.gitlab-ci.yml")["ozrelease-changelog-check"]
    assert isinstance(job, dict)
    return job


def run_gitlab_script(
    repo: GitRepo, tmp_path: Path, **variables: str
) -> subprocess.CompletedProcess:
    """The job's `script` lines as GitLab's shell runs them: one shell, each line in turn,
    stopping at the first that fails."""
    job = gitlab_job()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "ozrelease").symlink_to(installed_ozrelease())
    env = {**os.environ, **job["variables"], **variables}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    script = "set -e\n" + "\n".join(job["script"]) + "\n"
    return subprocess.run(
        ["bash", "-c", script], cwd=repo.path, env=env, capture_output=True, text=True, timeout=120
    )


def test_gitlab_template_shape() -> None:
    job = gitlab_job()
    assert job["variables"]["GIT_DEPTH"] == "0"
    assert job["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
    assert job["artifacts"]["when"] == "always"
    script = "\n".join([*job["before_script"], *job["script"]])
    assert subprocess.run(["bash", "-n", "-c", script]).returncode == 0
    # What pip installs: the package (at OZRELEASE_VERSION when set), or what PACKAGE names.
    install = job["before_script"][0].removeprefix("python -m pip install --quiet ")
    expand = ["bash", "-c", f"printf %s {install}"]
    assert (
        subprocess.run(expand, env={**job["variables"]}, capture_output=True, text=True).stdout
        == "ozrelease"
    )
    pinned = {**job["variables"], "OZRELEASE_VERSION": "0.1.0"}
    assert (
        subprocess.run(expand, env=pinned, capture_output=True, text=True).stdout
        == "ozrelease==0.1.0"
    )


def test_gitlab_script_writes_the_code_quality_report(repo: GitRepo, tmp_path: Path) -> None:
    repo.commit(":bug: [#14] Fix the export", {"src/export.py": "fixed"})
    done = run_gitlab_script(repo, tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads((repo.path / "gl-code-quality-report.json").read_text(encoding="utf-8"))
    assert [issue["location"]["path"] for issue in report] == ["CHANGELOG.rst"]
    assert "#14" in report[0]["description"]
    assert "#14" in done.stdout  # the readable report in the job log


def test_gitlab_script_leaves_an_empty_report_when_it_cannot_answer(
    repo: GitRepo, tmp_path: Path
) -> None:
    done = run_gitlab_script(repo, tmp_path, OZRELEASE_FROM="no-such-tag")
    assert done.returncode == 2
    assert json.loads((repo.path / "gl-code-quality-report.json").read_text()) == []


def test_gitlab_script_passes_a_documented_range(repo: GitRepo, tmp_path: Path) -> None:
    done = run_gitlab_script(repo, tmp_path, OZRELEASE_CHANGELOG="CHANGELOG.rst")
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads((repo.path / "gl-code-quality-report.json").read_text()) == []


# -- pre-commit ---------------------------------------------------------------------------


def test_pre_commit_hook_runs_the_check(repo: GitRepo) -> None:
    (hook,) = load(".pre-commit-hooks.yaml")
    assert hook["id"] == "ozrelease-changelog-check"
    assert hook["pass_filenames"] is False and hook["language"] == "python"
    program, *args = hook["entry"].split()
    assert program == "ozrelease"
    done = subprocess.run(
        [installed_ozrelease(), *args, "--changelog", "CHANGELOG.rst"],
        cwd=repo.path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
