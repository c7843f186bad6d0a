"""The text runbook is a runbook: per window the backup to take, per step the command, the
health check and the rollback, as the Markdown and HTML runbooks have them."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def bundled_text(ozr: Callable[..., Result]) -> str:
    result = ozr("--manifests", "bundled", "plan")
    assert result.exit_code == 0, result.output
    return result.stdout


def _windows(text: str) -> list[str]:
    return re.split(r"\n\nWindow \d+\n", text)[1:]


def test_every_window_says_which_backup_to_take_first(bundled_text: str) -> None:
    windows = _windows(bundled_text)
    assert len(windows) == 3
    for window in windows:
        first = window.splitlines()[0]
        assert first.startswith("  Before: ") and "back up the databases of " in first.lower()
    # the point of no return names a backup that the runbook itself said to take
    assert "restore the backup taken before window 2" in bundled_text
    assert _windows(bundled_text)[1].splitlines()[0].startswith("  Before: Back up")


def test_every_step_has_its_command_health_check_and_rollback(bundled_text: str) -> None:
    for window in _windows(bundled_text):
        steps = re.split(r"\n  \d+\. ", window)[1:]
        assert steps
        for step in steps:
            head = step.splitlines()[0]
            assert "\n       run: helm " in step, head
            assert "\n       check: " in step, head
            assert "\n       rollback: " in step, head
    # a step through data migrations rolls back by restoring, never by redeploying
    zaak = next(s for s in re.split(r"\n  \d+\. ", bundled_text) if s.startswith("open-zaak"))
    rollback = next(line for line in zaak.splitlines() if "rollback:" in line)
    assert "restore the databases of open-zaak" in rollback


def test_the_source_tree_templates_are_no_override(
    ozr: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    # ozrelease's own checkout keeps the built-in templates in ./templates: running the
    # README's first command there is no "override" to warn about.
    monkeypatch.chdir(REPO)
    result = ozr("--manifests", "bundled", "plan")
    assert result.exit_code == 0
    assert result.stderr == ""
