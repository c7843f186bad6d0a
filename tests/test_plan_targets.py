"""`plan --to` that cannot be meant, and `plan --verify` with options it would ignore: bad
usage (exit 2, CONTRACT §1), through the real CLI."""

from __future__ import annotations

import json

import pytest
from tests_support import SMALL

ENV = """
kind: Environment
name: gemeente
deployed: {open-zaak: 1.30.0, open-notificaties: 1.8.0, postgresql: "14"}
"""


@pytest.fixture
def small(write):
    write("manifests/eco.yaml", SMALL)
    return write("manifests/env.yaml", ENV).parent


def test_two_to_that_disagree_for_one_name_are_bad_usage(small, ozr) -> None:
    result = ozr("plan", "--to", "postgresql=14", "--to", "postgresql=15")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --to postgresql=14 and --to postgresql=15 disagree about postgresql; give one\n"
    )
    assert result.stdout == ""
    # Saying the same twice, or a general `latest` refined for one name, is normal use.
    same = ozr("plan", "--to", "postgresql=15", "--to", "postgresql=latest", "--format", "json")
    assert same.exit_code == 0, same.output
    refined = ozr("plan", "--to", "latest", "--to", "postgresql=14", "--format", "json")
    assert refined.exit_code == 0, refined.output
    assert json.loads(refined.stdout)["target"]["postgresql"] == "14"


def test_a_to_below_the_deployed_version_is_bad_usage(small, ozr) -> None:
    result = ozr("plan", "--to", "open-zaak=1.26.0")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --to open-zaak=1.26.0: open-zaak is at 1.30.0; 1.26.0 is older, and "
        "downgrades are never planned\n"
    )


@pytest.mark.parametrize(
    "extra",
    [
        ["--to", "latest"],
        ["--strategy", "one-at-a-time"],
        ["--format", "markdown"],
        ["--prefer", "latest"],
    ],
)
def test_verify_refuses_options_it_would_ignore(small, ozr, tmp_path, extra) -> None:
    saved = tmp_path / "plan.json"
    made = ozr("plan", "--to", "postgresql=15", "--format", "json", "-o", str(saved))
    assert made.exit_code == 0, made.output
    assert ozr("plan", "--verify", str(saved)).exit_code == 0
    result = ozr("plan", "--verify", str(saved), *extra)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --verify re-checks the saved plan as it is; {extra[0]} would be ignored "
        "(make a new plan without --verify)\n"
    )
