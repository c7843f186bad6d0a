"""Shared fixtures: real git repositories, manifest folders in temporary directories, golden
files, the real CLI, and the hypothesis profiles."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from gitrepo import GitRepo, fresh
from hypothesis import HealthCheck, settings

from ozrelease.cli import cli

REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"

# Hypothesis: `pytest -m "not slow"` on a developer's machine runs few examples per property
# (the "dev" profile); CI (CI=true) runs the full counts. HYPOTHESIS_PROFILE picks one by name.
settings.register_profile("ci", max_examples=200, deadline=None)
settings.register_profile(
    "dev", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-golden",
        action="store_true",
        help="rewrite the golden files under tests/golden from the current output",
    )


@pytest.fixture
def gitrepo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """A real, deterministic git repository in tmp_path (tests/gitrepo.py)."""
    return fresh(tmp_path, monkeypatch)


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """`golden("plan/small.md", text)` compares text with tests/golden/plan/small.md;
    `pytest --regen-golden` rewrites the file instead."""
    regen = bool(request.config.getoption("--regen-golden"))

    def _check(name: str, text: str) -> None:
        path = GOLDEN / name
        if regen:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="")
        assert path.is_file(), f"{path} is missing: run pytest --regen-golden"
        assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"

    return _check


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """`write("manifests/a.yaml", text)` writes a dedented file under tmp_path."""

    def _write(relative: str, text: str | bytes) -> Path:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def ozr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run the real CLI in tmp_path (so ./manifests there is the default)."""
    monkeypatch.chdir(tmp_path)

    def _run(*args: str, input: str | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    return _run


def run_cli(args: Sequence[str]) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def ozr_here() -> Callable[..., Result]:
    """Run the real CLI in the current directory: `ozr_here("--manifests", "bundled", "graph")`."""

    def _run(*args: str) -> Result:
        return run_cli(args)

    return _run
