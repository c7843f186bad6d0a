"""`graph` and `impact` on real manifest files, through the CLI."""

from __future__ import annotations

import json
import re

import pytest
from tests_support import SMALL


@pytest.fixture
def small(write):
    return write("manifests/eco.yaml", SMALL).parent


def test_graph_text_lists_components_apis_and_the_call_cycle(small, ozr) -> None:
    result = ozr("graph")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Ecosystem: 3 components, 3 APIs" in out
    assert "open-zaak (Open Zaak), newest 1.30.0" in out
    assert "calls open-notificaties for notificaties >=1.0,<3" in out
    assert "requires postgresql >=14" in out
    assert "open-notificaties -> open-zaak -> open-notificaties" in out


def test_graph_mermaid_and_dot_are_well_formed(small, ozr) -> None:
    mermaid = ozr("graph", "--format", "mermaid").stdout
    assert mermaid.startswith("flowchart LR\n")
    ids = dict(re.findall(r'^\s+(n\d+)\["([^"]+)"\]$', mermaid, re.M))
    assert sorted(ids.values()) == ["open-notificaties", "open-zaak", "postgresql"]
    edges = re.findall(r"^\s+(n\d+) (-->|-\.->)\|\"([^\"]+)\"\| (n\d+)$", mermaid, re.M)
    named = {(ids[a], label, ids[b]) for a, _, label, b in edges}
    assert ("open-zaak", "notificaties >=1.0,<3", "open-notificaties") in named
    assert ("open-notificaties", "autorisaties >=1.0", "open-zaak") in named  # the cycle
    dot = ozr("graph", "--format", "dot").stdout
    assert dot.startswith("digraph ozrelease {") and dot.rstrip().endswith("}")
    assert '[label="notificaties >=1.0,<3"]' in dot


def test_graph_json_is_for_scripts(small, ozr) -> None:
    result = ozr("graph", "--format", "json")
    data = json.loads(result.stdout)
    assert data["format"] == "ozrelease-graph/1" and data["environment"] is None
    calls = {(e["source"], e["target"], e["api"]) for e in data["edges"] if e["kind"] == "calls"}
    assert calls == {
        ("open-zaak", "open-notificaties", "notificaties"),
        ("open-notificaties", "open-zaak", "autorisaties"),
    }
    assert ["open-notificaties", "open-zaak"] in data["cycles"]


def test_graph_with_an_environment_shows_versions_and_broken_constraints(small, write, ozr) -> None:
    write(
        "manifests/env.yaml",
        """
        kind: Environment
        name: broken
        deployed: {open-zaak: 1.30.0, open-notificaties: 1.8.0, postgresql: "13"}
        """,
    )
    result = ozr("graph", "--env", "broken")
    assert result.exit_code == 0
    assert "open-zaak 1.30.0 (Open Zaak)" in result.stdout
    assert "BROKEN    requires postgresql 13 >=14" in result.stdout
    assert (
        "Broken now (1):\n  open-zaak 1.30.0 requires postgresql >=14, but postgresql is at 13"
    ) in result.stdout
    data = json.loads(ozr("graph", "--env", "broken", "--format", "json").stdout)
    assert data["violations"] == [
        "open-zaak 1.30.0 requires postgresql >=14, but postgresql is at 13"
    ]
    broken = [e for e in data["edges"] if e["ok"] is False]
    assert [(e["source"], e["target"], e["kind"]) for e in broken] == [
        ("open-zaak", "postgresql", "requires")
    ]


def test_impact_names_what_must_move_with_the_constraint_quoted(small, write, ozr) -> None:
    write(
        "manifests/env.yaml",
        """
        kind: Environment
        name: gemeente
        deployed: {open-zaak: 1.26.0, open-notificaties: 1.8.0, postgresql: "13"}
        """,
    )
    result = ozr("impact", "open-zaak")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Impact of open-zaak 1.30.0 in environment gemeente" in out
    assert "open-zaak 1.26.0 -> 1.30.0: one step" in out
    assert (
        "BREAKS  open-zaak 1.30.0 requires postgresql >=14: postgresql 13 does not satisfy it"
        in out
    )
    assert "-> postgresql must move: 14 to 15 (2 releases) would satisfy it" in out
    assert "ok      open-notificaties 1.8.0 consumes autorisaties >=1.0" in out
    assert (
        "Must move with it (as `ozrelease plan --to open-zaak=1.30.0` plans it, 1 window):\n"
        "  postgresql 13 -> 14: open-zaak 1.30.0 requires postgresql >=14, but postgresql is "
        "at 13\n"
    ) in out
    data = json.loads(ozr("impact", "open-zaak=1.30.0", "--format", "json").stdout)
    (instance,) = data["instances"]
    assert instance["mustMove"] == ["postgresql"]
    assert instance["direct"] is True
    assert data["moves"] == [
        {
            "component": "postgresql",
            "from": "13",
            "to": "14",
            "pulledInBy": "open-zaak",
            "reason": "open-zaak 1.30.0 requires postgresql >=14, but postgresql is at 13",
        }
    ]


def test_impact_names_what_the_plan_pulls_in_through_a_required_stop() -> None:
    # Open Object 3.5.0 -> 4.3.0 stops at 3.6.2, which requires objecttypes-api >=3.4.0: no
    # neighbour of 4.3.0 breaks, yet planning it moves objecttypes-api. impact says so.
    from conftest import run_cli

    result = run_cli(["impact", "open-object"])
    assert result.exit_code == 0, result.output
    assert "Nothing else has to move" not in result.stdout
    assert "open-object 3.5.0 -> 4.3.0: 2 steps, through 3.6.2 (required stops)" in result.stdout
    assert re.search(
        r"^  objecttypes-api 3\.3\.0 -> 3\.4\.\d: open-object 3\.6\.2 requires objecttypes-api "
        r">=3\.4\.0, but objecttypes-api is at 3\.3\.0$",
        result.stdout,
        re.M,
    ), result.stdout
    data = json.loads(run_cli(["impact", "open-object", "--format", "json"]).stdout)
    planned = json.loads(run_cli(["plan", "--to", "open-object=latest", "--format", "json"]).stdout)
    pulled = {
        (s["component"], s["to"])
        for w in planned["windows"]
        for s in w["steps"]
        if s["component"] != "open-object"
    }
    assert {(m["component"], m["to"]) for m in data["moves"]} == pulled != set()


def test_impact_on_a_consumer_that_must_follow(small, write, ozr) -> None:
    write(
        "manifests/env.yaml",
        """
        kind: Environment
        name: gemeente
        deployed: {open-zaak: 1.26.0, open-notificaties: 1.8.0, postgresql: "15"}
        """,
    )
    out = ozr("impact", "open-notificaties=1.10.0").stdout
    assert (
        "BREAKS  open-zaak 1.26.0 consumes notificaties >=1.0,<2: open-notificaties 1.10.0 "
        "provides notificaties 2.0.0 (broken)"
    ) in out
    assert "-> open-zaak must move: 1.30.0 would accept open-notificaties 1.10.0" in out


def test_impact_errors(small, ozr, write) -> None:
    write(
        "manifests/env.yaml",
        """
        kind: Environment
        name: gemeente
        deployed: {open-zaak: 1.26.0, open-notificaties: 1.8.0, postgresql: "15"}
        """,
    )
    unknown = ozr("impact", "open-forms")
    assert unknown.exit_code == 2
    assert "'open-forms' is not deployed in environment gemeente" in unknown.stderr
    bad = ozr("impact", "open-zaak=9.9.9")
    assert bad.exit_code == 2 and "open-zaak 9.9.9 is not a listed release" in bad.stderr


def test_bundled_ecosystem_graph_has_the_open_zaak_notificaties_cycle() -> None:
    from conftest import run_cli

    result = run_cli(["graph", "--format", "mermaid"])
    assert result.exit_code == 0
    ids = dict(re.findall(r'^\s+(n\d+)\["([^"]+)"\]$', result.stdout, re.M))
    edges = {
        (ids.get(a), ids.get(b))
        for a, b in re.findall(r"^\s+(n\d+) -->\|\"[^\"]+\"\| (n\d+)$", result.stdout, re.M)
    }
    assert ("open-zaak", "open-notificaties") in edges
    assert ("open-notificaties", "open-zaak") in edges
