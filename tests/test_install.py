"""The installed tool: a wheel built from this tree, installed into a fresh virtual
environment, run from an unrelated folder; and the console script of this environment."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from tests_support import installed_ozrelease

REPO = Path(__file__).resolve().parent.parent


def test_installed_console_script_runs(tmp_path: Path) -> None:
    result = subprocess.run(
        [installed_ozrelease(), "plan", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert '"format": "ozrelease-plan/1"' in result.stdout
    assert result.stderr == ""
    module = subprocess.run(
        [sys.executable, "-m", "ozrelease", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert module.stdout.startswith("ozrelease, version ")
    missing = subprocess.run(
        [installed_ozrelease(), "--manifests", "nowhere", "validate"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2
    assert missing.stderr == "error: nowhere: no such file or directory (--manifests)\n"


@pytest.mark.slow
def test_wheel_ships_manifests_and_templates_and_runs_anywhere(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(wheels),
            str(REPO),
        ],
        check=True,
    )
    (wheel,) = wheels.glob("ozrelease-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "ozrelease/_data/manifests/environments/example-gemeente.yaml" in names
    assert "ozrelease/_data/templates/plan.md.j2" in names
    assert "ozrelease/manifest.schema.json" in names and "ozrelease/py.typed" in names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", str(wheel)],
        check=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    tool = str(venv / "bin" / "ozrelease")
    validate = subprocess.run(
        [tool, "validate"], cwd=elsewhere, capture_output=True, text=True, check=False
    )
    assert validate.returncode == 0, validate.stderr
    assert "the bundled Open Zaak ecosystem (" in validate.stdout
    assert "_data/manifests): valid (" in validate.stdout
    graph = subprocess.run(
        [tool, "graph", "--format", "mermaid"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=False,
    )
    assert graph.returncode == 0 and graph.stdout.startswith("flowchart TB")
    runbook = subprocess.run(
        [tool, "plan", "--format", "markdown"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=False,
    )
    assert runbook.returncode == 0 and runbook.stdout.startswith("# Upgrade runbook")
