"""`graph` and `impact` on real manifest files, through the CLI."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from click.testing import Result
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
    assert mermaid.startswith("flowchart TB\n")
    labels = dict(re.findall(r'^\s+(n\d+)\["([^"]+)"\]$', mermaid, re.M))
    ids = {node: label.split("<br/>")[0] for node, label in labels.items()}
    assert sorted(ids.values()) == ["open-notificaties", "open-zaak", "postgresql"]
    edges = re.findall(r"^\s+(n\d+) (-->|-\.->)\|\"([^\"]+)\"\| (n\d+)$", mermaid, re.M)
    named = {(ids[a], label, ids[b]) for a, _, label, b in edges}
    # Arrows carry API names; the ranges stand in the consumer's node, where Mermaid
    # cannot make them cover each other (entity codes for < and >).
    assert ("open-zaak", "notificaties", "open-notificaties") in named
    assert ("open-notificaties", "autorisaties", "open-zaak") in named  # the cycle
    oz = next(label for label in labels.values() if label.startswith("open-zaak"))
    assert oz == "open-zaak<br/>notificaties #62;=1.0,#60;3<br/>postgresql #62;=14"
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


def test_impact_names_what_the_plan_pulls_in_through_a_required_stop(
    ozr_here: Callable[..., Result],
) -> None:
    # Open Object 3.5.0 -> 4.3.0 stops at 3.6.2, which requires objecttypes-api >=3.4.0: no
    # neighbour of 4.3.0 breaks, yet planning it moves objecttypes-api. impact says so.
    result = ozr_here("impact", "open-object")
    assert result.exit_code == 0, result.output
    assert "Nothing else has to move" not in result.stdout
    assert "open-object 3.5.0 -> 4.3.0: 2 steps, through 3.6.2 (required stops)" in result.stdout
    assert re.search(
        r"^  objecttypes-api 3\.3\.0 -> 3\.4\.\d: open-object 3\.6\.2 requires objecttypes-api "
        r">=3\.4\.0, but objecttypes-api is at 3\.3\.0$",
        result.stdout,
        re.M,
    ), result.stdout
    data = json.loads(ozr_here("impact", "open-object", "--format", "json").stdout)
    planned = json.loads(ozr_here("plan", "--to", "open-object=latest", "--format", "json").stdout)
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


def test_impact_of_an_older_release_is_refused_as_plan_refuses_it(small, ozr, write) -> None:
    # `plan --to X` below the deployed version is bad usage (exit 2); `impact X` said exit 0
    # and "cannot be upgraded ...: no upgrade path (upgradeFrom) leads there".
    write(
        "manifests/env.yaml",
        """
        kind: Environment
        name: gemeente
        deployed: {open-zaak: 1.30.0, open-notificaties: 1.8.0, postgresql: "15"}
        """,
    )
    older = ozr("impact", "open-zaak=1.26.0", "--format", "json")
    planned = ozr("plan", "--to", "open-zaak=1.26.0")
    assert planned.exit_code == 2 and "downgrades are never planned" in planned.stderr
    assert older.exit_code == 2 and older.stdout == ""
    assert older.stderr == (
        "error: open-zaak=1.26.0: open-zaak is at 1.30.0; 1.26.0 is older, and downgrades are "
        "never planned\n"
    )
    same = ozr("impact", "open-zaak=1.30.0")
    assert same.exit_code == 0 and "open-zaak is already at 1.30.0" in same.stdout


def test_bundled_ecosystem_graph_has_the_open_zaak_notificaties_cycle(
    ozr_here: Callable[..., Result],
) -> None:
    result = ozr_here("graph", "--format", "mermaid")
    assert result.exit_code == 0
    labels = re.findall(r'^\s+(n\d+)\["([^"<]+)[^"]*"\]$', result.stdout, re.M)
    ids = dict(labels)
    edges = {
        (ids.get(a), ids.get(b))
        for a, b in re.findall(r"^\s+(n\d+) -->\|\"[^\"]+\"\| (n\d+)$", result.stdout, re.M)
    }
    assert ("open-zaak", "open-notificaties") in edges
    assert ("open-notificaties", "open-zaak") in edges


@pytest.mark.parametrize("fmt", ["text", "dot", "mermaid", "json"])
def test_bundled_ecosystem_graph_matches_its_golden(
    ozr_here: Callable[..., Result], golden: Callable[[str, str], None], fmt: str
) -> None:
    result = ozr_here("--manifests", "bundled", "graph", "--format", fmt)
    assert result.exit_code == 0, result.output
    golden(f"graph/bundled.{ {'text': 'txt', 'mermaid': 'mmd'}.get(fmt, fmt) }", result.stdout)


def test_graph_without_env_shows_the_newest_final_releases_edges(
    ozr_here: Callable[..., Result],
) -> None:
    out = ozr_here("--manifests", "bundled", "graph").stdout
    # Open Forms lists 4.0.0-beta.0; its newest final release is what the graph shows.
    assert "open-forms (Open Forms), newest 3.5.6\n" in out
    # Open Notificaties 1.16 dropped RabbitMQ: no edge is drawn for older releases' needs.
    section = out.split("open-notificaties (Open Notificaties)")[1].split("\n\n")[0]
    assert "rabbitmq" not in section and "requires redis" in section
    data = json.loads(ozr_here("--manifests", "bundled", "graph", "--format", "json").stdout)
    assert not [
        e for e in data["edges"] if e["source"] == "open-notificaties" and e["target"] == "rabbitmq"
    ]
    (forms,) = [n for n in data["nodes"] if n["id"] == "open-forms"]
    assert forms["newest"] == "3.5.6" and "4.0.0-beta.0" in forms["versions"]


def test_graph_draws_undeclared_apis(write, ozr) -> None:
    write(
        "manifests/all.yaml",
        "kind: Component\nname: a\nreleases:\n  - version: 1.0.0\n    provides: {cases: 1.0.0}\n"
        "---\nkind: Component\nname: b\nreleases:\n  - version: 1.0.0\n"
        "    consumes: {cases: '>=1', tasks: '>=1'}\n",
    )
    out = ozr("graph").stdout
    assert "Ecosystem: 2 components, 2 APIs" in out
    assert "calls a for cases >=1" in out
    assert "consumes tasks >=1, which no component provides" in out


def test_impact_says_when_a_move_repairs_what_is_broken_now(small, write, ozr) -> None:
    write(
        "manifests/env.yaml",
        """
        kind: Environment
        name: broken
        deployed: {open-zaak: 1.30.0, open-notificaties: 1.8.0, postgresql: "13"}
        """,
    )
    out = ozr("impact", "open-notificaties=1.10.0").stdout
    assert (
        "  postgresql 13 -> 14: broken now, the first window repairs it: open-zaak 1.30.0 "
        "requires postgresql >=14, but postgresql is at 13\n"
    ) in out
    mermaid = ozr("graph", "--env", "broken", "--format", "mermaid").stdout
    assert '-.->|"requires (broken: requires #62;=14)"| ' in mermaid
    assert "linkStyle 2 stroke:#d00,color:#d00" in mermaid


def test_impact_says_which_wiring_points_at_a_provider_the_upgrade_supersedes(
    ozr_here: Callable[..., Result],
) -> None:
    # Open Object 4.x serves objecttypen itself; example-gemeente wires Open Forms to the
    # standalone objecttypes-api.
    out = ozr_here("impact", "open-object").stdout
    assert (
        "Wiring to re-point:\n  open-forms is wired to objecttypes-api for objecttypen, which "
        "open-object 4.3.0 provides too (2.2.2): re-point open-forms (its service configuration "
        "and the environment's wiring) to retire objecttypes-api if nothing else uses it\n"
    ) in out
    data = json.loads(ozr_here("impact", "open-object", "--format", "json").stdout)
    assert len(data["rewire"]) == 1
    # An upgrade that serves nothing new names no wiring.
    assert json.loads(ozr_here("impact", "open-zaak", "--format", "json").stdout)["rewire"] == []


def test_graph_text_counts_one_as_one(write, ozr) -> None:
    # The contract's two-component example said "Ecosystem: 2 components, 1 APIs".
    write(
        "manifests/m.yaml",
        "kind: Component\nname: a\nreleases: [{version: 1.0.0, provides: {cases: 1.0.0}}]\n"
        "---\nkind: Environment\nname: e\ndeployed: {a: 1.0.0}\n",
    )
    assert ozr("graph").stdout.splitlines()[0] == "Ecosystem: 1 component, 1 API"
    assert (
        ozr("graph", "--env", "e").stdout.splitlines()[0] == "Environment e: 1 deployed component"
    )


def test_graph_text_keeps_a_block_scalar_title_on_its_line(write, ozr) -> None:
    # `title: >` (folded) ends in a line break; `|` holds several: the heading line broke.
    write(
        "manifests/m.yaml",
        "kind: Component\nname: a\ntitle: >\n  Open\n  Zaak\n"
        "releases: [{version: 1.0.0, provides: {x: 1.0}}]\n"
        "---\nkind: API\nname: x\ntitle: |\n  X API\n  (VNG)\n",
    )
    out = ozr("graph").stdout.splitlines()
    assert "a (Open Zaak), newest 1.0.0" in out
    assert "  x (X API (VNG)); provided by a" in out
