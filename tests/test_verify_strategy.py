"""`plan --verify` compares the strategy a saved plan states with the shape of its windows."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result


def test_verify_refuses_a_plan_whose_strategy_was_edited(
    ozr: Callable[..., Result], tmp_path: Path
) -> None:
    # A fewest-windows plan relabelled one-at-a-time states a shape it does not have.
    saved = tmp_path / "plan.json"
    made = ozr("--manifests", "bundled", "plan", "--format", "json", "-o", str(saved))
    assert made.exit_code == 0, made.output
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert len(data["windows"][0]["steps"]) > 1
    assert ozr("--manifests", "bundled", "plan", "--verify", str(saved)).exit_code == 0
    data["strategy"] = "one-at-a-time"
    saved.write_text(json.dumps(data), encoding="utf-8")
    verified = ozr("--manifests", "bundled", "plan", "--verify", str(saved))
    assert verified.exit_code == 1
    assert "window 1 has 4 steps, but the plan says one-at-a-time" in verified.stderr
    # and a real one-at-a-time plan verifies
    one = tmp_path / "one.json"
    assert (
        ozr(
            "--manifests", "bundled", "plan", "--strategy", "one-at-a-time",
            "--format", "json", "-o", str(one),
        ).exit_code
        == 0
    )  # fmt: skip
    assert ozr("--manifests", "bundled", "plan", "--verify", str(one)).exit_code == 0
