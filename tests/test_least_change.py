"""`--prefer least-change` (the default) for components pulled in: the oldest release series
that works, at its newest patch, as vendors advise; through the real CLI."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import Result


def manifests(consumer_requires: str) -> str:
    return f"""
kind: Component
name: b
releases:
  - version: 1.0.0
  - version: 1.1.0
  - version: 1.1.1
  - version: 1.1.2
  - version: 1.2.0
  - version: 1.2.1
---
kind: Component
name: a
releases:
  - version: 1.0.0
    requires: {{b: ">=1.0,<2"}}
  - version: 2.0.0
    requires: {{b: "{consumer_requires}"}}
---
kind: Environment
name: test
deployed: {{a: 1.0.0, b: 1.0.0}}
"""


def pulled(ozr, *args: str) -> dict[str, str]:
    result = ozr("plan", "--to", "a=2.0.0", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    steps = [s for w in json.loads(result.stdout)["windows"] for s in w["steps"]]
    return {s["component"]: s["to"] for s in steps if s["pulledInBy"]}


@pytest.mark.parametrize(
    ("requires", "expected", "newest"),
    [
        (">=1.1", "1.1.2", "1.2.1"),  # the oldest working series is 1.1: its newest patch
        (">=1.1,<1.1.2", "1.1.1", "1.1.1"),  # its newest patch that works
        (">=1.2", "1.2.1", "1.2.1"),
    ],
)
def test_least_change_takes_the_newest_patch_of_the_oldest_working_series(
    write, ozr, requires: str, expected: str, newest: str
) -> None:
    write("manifests/all.yaml", manifests(requires))
    assert pulled(ozr) == {"b": expected}
    assert pulled(ozr, "--prefer", "latest") == {"b": newest}


def test_bundled_open_object_pulls_in_objecttypes_api_at_its_newest_34_patch(
    ozr_here: Callable[..., Result],
) -> None:
    result = ozr_here("plan", "--to", "open-object=latest", "--format", "json")
    assert result.exit_code == 0, result.output
    steps = [s for w in json.loads(result.stdout)["windows"] for s in w["steps"]]
    moved = {s["component"]: (s["from"], s["to"]) for s in steps}
    assert moved["objecttypes-api"] == ("3.3.0", "3.4.2")  # not 3.4.0
