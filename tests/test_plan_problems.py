"""Typed plan problems and warnings: every kind the planner produces, from a real manifest
through the real CLI's JSON, and the runbook selecting broken-now and end-of-life warnings
by kind."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from tests_support import api, component, env, mixed_ecosystem, write_manifests

from ozrelease import planner
from ozrelease.ecosystem import load as manifest
from ozrelease.ecosystem.compat import Deployment
from ozrelease.planner.model import PROBLEM_KINDS, WARNING_KINDS, plan_to_json
from ozrelease.runbook.view import runbook_view

# name: (documents, plan arguments, [(list, kind, a fragment of that entry's message)])
CASES: dict[str, tuple[tuple[str, ...], tuple[str, ...], list[tuple[str, str, str]]]] = {
    "downgrade": (  # an environment's target older than what is deployed (--to refuses it)
        (component("a", "1.0.0", "2.0.0"), env("{a: 2.0.0}", "{a: 1.0.0}")),
        (),
        [("problems", "downgrade", "downgrades are never planned")],
    ),
    "no-upgrade-path": (
        (component("a", "1.0.0", "2.0.0 upgradeFrom: '>=1.5'"), env("{a: 1.0.0}")),
        ("--to", "a=2.0.0"),
        [
            ("problems", "no-upgrade-path", "no chain of allowed steps leads there"),
            ("problems", "furthest-state", "furthest safe state: the deployed state"),
        ],
    ),
    "missing-provider-target": (
        (
            api("x-api"),
            component("a", "1.0.0", "2.0.0 consumes: {x-api: '>=1'}"),
            env("{a: 1.0.0}"),
        ),
        ("--to", "a=2.0.0"),
        [("problems", "missing-provider", "no deployed component provides x-api")],
    ),
    "missing-provider-on-the-way": (
        (
            api("x-api"),
            component("a", "1.0.0", "1.5.0 consumes: {x-api: '>=1'}", "2.0.0 upgradeFrom: '>=1.5'"),
            env("{a: 1.0.0}"),
        ),
        ("--to", "a=2.0.0"),
        [("problems", "missing-provider", "every path passes releases whose needs")],
    ),
    "unreachable-target": (
        (
            api("notificaties"),
            component(
                "open-zaak",
                "1.26.0 consumes: {notificaties: '>=1.0'}",
                "1.30.0 consumes: {notificaties: '>=1.1'}",
            ),
            component(
                "open-notificaties",
                "1.14.0 provides: {notificaties: 1.0.0}",
                "1.16.0 provides: {notificaties: 1.1.0}",
            ),
            env("{open-zaak: 1.26.0, open-notificaties: 1.14.0}"),
        ),
        ("--to", "open-zaak=1.30.0", "--to", "open-notificaties=1.14.0"),
        [("problems", "unreachable-target", "open-zaak cannot reach 1.30.0 from 1.26.0")],
    ),
    "incompatible-end-state": (  # a's and c's targets want b on either side of 2
        (
            api("b-api"),
            component("a", "1.0.0", "2.0.0 consumes: {b-api: '>=2'}"),
            component("b", "1.0.0 provides: {b-api: 1.0.0}", "2.0.0 provides: {b-api: 2.0.0}"),
            component("c", "1.0.0", "2.0.0 consumes: {b-api: '<2'}"),
            env("{a: 1.0.0, b: 1.0.0, c: 1.0.0}", "{a: 2.0.0, c: 2.0.0}"),
        ),
        (),
        [
            ("problems", "incompatible", "b: no release fits"),
            ("problems", "incompatible", "c 2.0.0 consumes b-api <2"),
        ],
    ),
    "incompatible-no-safe-release": (  # every release of b refuses the only a there is
        (
            api("a-api"),
            component("a", "2.0.0 provides: {a-api: 2.0.0}"),
            component("b", "1.0.0 consumes: {a-api: '<2'}", "1.1.0 consumes: {a-api: '<2'}"),
            env("{a: 2.0.0, b: 1.0.0}"),
        ),
        (),
        [
            ("problems", "incompatible", "b has no release it can safely be at"),
            ("warnings", "broken-now", "broken now: b 1.0.0 consumes a-api <2"),
        ],
    ),
    "stuck": (  # a 2.x wants b 3.x, b 2.x wants a 3.x, and each 3.x comes only after its 2.x
        (
            api("a-api", "b-api"),
            component(
                "a",
                "1.0.0 provides: {a-api: 1.0.0}; consumes: {b-api: '<2'}",
                "2.0.0 provides: {a-api: 2.0.0}; consumes: {b-api: '>=3'}",
                "3.0.0 provides: {a-api: 3.0.0}; consumes: {b-api: '>=2'}; upgradeFrom: '>=2'",
            ),
            component(
                "b",
                "1.0.0 provides: {b-api: 1.0.0}; consumes: {a-api: '<2'}",
                "2.0.0 provides: {b-api: 2.0.0}; consumes: {a-api: '>=3'}",
                "3.0.0 provides: {b-api: 3.0.0}; consumes: {a-api: '>=2'}; upgradeFrom: '>=2'",
            ),
            env("{a: 1.0.0, b: 1.0.0}", "{a: 3.0.0, b: 3.0.0}"),
        ),
        (),
        [
            ("problems", "stuck", "a is stuck at 1.0.0"),
            ("problems", "stuck", "b is stuck at 1.0.0"),
            ("problems", "furthest-state", "furthest safe state"),
        ],
    ),
    "max-steps": (  # a and b can only move together
        (
            api("a-api", "b-api"),
            component(
                "a",
                "1.0.0 provides: {a-api: 1.0.0}; consumes: {b-api: '<2'}",
                "2.0.0 provides: {a-api: 2.0.0}; consumes: {b-api: '>=2'}",
            ),
            component(
                "b",
                "1.0.0 provides: {b-api: 1.0.0}; consumes: {a-api: '<2'}",
                "2.0.0 provides: {b-api: 2.0.0}; consumes: {a-api: '>=2'}",
            ),
            env("{a: 1.0.0, b: 1.0.0}", "{a: 2.0.0}"),
        ),
        ("--max-steps", "1"),
        [
            ("problems", "max-steps", "no safe plan moves at most 1 component per window"),
            ("problems", "must-move-together", "a, b must move together"),
        ],
    ),
    "broken-now": (
        (
            api("p-api"),
            component("consumer", "1.0.0 consumes: {p-api: '>=2'}"),
            component(
                "provider", "1.0.0 provides: {p-api: 1.0.0}", "2.0.0 provides: {p-api: 2.0.0}"
            ),
            env("{consumer: 1.0.0, provider: 1.0.0}"),
        ),
        (),
        [("warnings", "broken-now", "broken now: consumer 1.0.0 consumes p-api >=2")],
    ),
    "eol": (  # the CLI warns on today's date; 2001 is past whenever the test runs
        (component("a", "1.0.0", "2.0.0 eol: 2001-01-01"), env("{a: 1.0.0}", "{a: 2.0.0}")),
        (),
        [("warnings", "eol", "target a 2.0.0 is past its end of life (2001-01-01)")],
    ),
}


def plan_json(ozr, root: Path, documents: tuple[str, ...], args: tuple[str, ...]) -> dict:
    write_manifests(root, *documents)
    result = ozr("plan", *args, "--format", "json")
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.stdout)
    for entry in data["problems"] + data["warnings"]:
        assert set(entry) == {"kind", "message", "components"}
        assert entry["kind"] in PROBLEM_KINDS
    assert all(w["kind"] in WARNING_KINDS for w in data["warnings"])
    assert not any(p["kind"] in WARNING_KINDS for p in data["problems"])
    if data["problems"]:
        assert not data["feasible"]
    return data


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_kind_from_a_real_manifest(case: str, ozr, tmp_path: Path) -> None:
    documents, args, expected = CASES[case]
    data = plan_json(ozr, tmp_path, documents, args)
    for where, kind, fragment in expected:
        hits = [e for e in data[where] if fragment in e["message"]]
        assert hits, f"{fragment!r} not in {data[where]}"
        assert {e["kind"] for e in hits} == {kind}
    # An explained infeasible plan ends with the furthest safe state found.
    if not data["feasible"] and data["problems"][0]["kind"] not in ("downgrade", "max-steps"):
        assert data["problems"][-1]["kind"] == "furthest-state"


def test_not_optimal_kind(ozr, tmp_path: Path) -> None:
    mixed_ecosystem(tmp_path)
    result = ozr("plan", "--env", "mixed", "--time-limit", "0.05", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["optimal"] is False
    (warning,) = [w for w in data["warnings"] if w["kind"] == "not-optimal"]
    assert warning["message"].startswith("not proven optimal: the time limit (0.05 s)")
    assert warning["components"] == []
    # the runbooks list it under its own heading, not under "End of life"
    md = ozr("plan", "--env", "mixed", "--time-limit", "0.05", "--format", "markdown").stdout
    assert "\n### Warnings\n\n- not proven optimal: " in md
    eol = md.split("### End of life", 1)[1].split("###", 1)[0] if "### End of life" in md else ""
    assert "not proven optimal" not in eol


def test_every_kind_is_produced_by_a_case_here() -> None:
    covered = {kind for _, _, expected in CASES.values() for _, kind, _ in expected}
    assert covered | {"not-optimal"} == set(PROBLEM_KINDS)
    assert set(WARNING_KINDS) <= set(PROBLEM_KINDS)


def test_the_library_plan_carries_the_same_kinds(tmp_path: Path) -> None:
    documents, _, _ = CASES["stuck"]
    folder = write_manifests(tmp_path, *documents)
    eco = manifest.load(folder)
    result = planner.plan(Deployment(eco, manifest.load_environment(eco, None)))
    kinds = [p.kind for p in result.problems]
    assert kinds == ["stuck", "stuck", "furthest-state"]
    assert [p["kind"] for p in plan_to_json(result)["problems"]] == kinds


# ------------------------------------------------------------------ the runbook


BOTH = (  # broken now (consumer needs p-api 2) and a target past its end of life
    api("p-api"),
    component("consumer", "1.0.0 consumes: {p-api: '>=2'}"),
    component(
        "provider",
        "1.0.0 provides: {p-api: 1.0.0}",
        "2.0.0 provides: {p-api: 2.0.0}; eol: 2001-01-01",
    ),
    env("{consumer: 1.0.0, provider: 1.0.0}", "{provider: 2.0.0}"),
)
BROKEN = "consumer 1.0.0 consumes p-api >=2, but provider 1.0.0 provides p-api 1.0.0"
EOL = "target provider 2.0.0 is past its end of life (2001-01-01); plan to a supported release"


def test_the_runbook_selects_broken_now_and_eol_by_kind(ozr, tmp_path: Path) -> None:
    data = plan_json(ozr, tmp_path, BOTH, ())
    assert [(w["kind"], w["message"]) for w in data["warnings"]] == [
        ("broken-now", f"broken now: {BROKEN}"),
        ("eol", EOL),
    ]
    text = ozr("plan").stdout
    assert f"  warning: broken now: {BROKEN}\n  warning: {EOL}\n" in text
    markdown = ozr("plan", "--format", "markdown").stdout
    assert "### End of life\n\n- target provider 2.0.0 is past its end of life" in markdown
    assert (
        "### Broken now\n\nThe deployed state is already incompatible; the first window "
        "repairs it:\n\n- consumer 1.0.0 consumes p-api"
    ) in markdown
    assert "broken now: consumer" not in markdown  # the heading says it, not each item
    html = ozr("plan", "--format", "html").stdout
    assert "<h3>Broken now</h3>" in html and "<h3>End of life</h3>" in html


def test_the_view_goes_by_kind_not_by_the_words(tmp_path: Path) -> None:
    folder = write_manifests(tmp_path, *BOTH)
    eco = manifest.load(folder)
    deployment = Deployment(eco, manifest.load_environment(eco, None))
    result = planner.plan(deployment, on=dt.date(2026, 1, 1))
    view = runbook_view(deployment, result)
    assert view["broken_now"] == [BROKEN]
    assert view["eol"] == [EOL]


def test_a_saved_plan_without_kinds_still_verifies_and_renders(ozr, tmp_path: Path) -> None:
    data = plan_json(ozr, tmp_path, BOTH, ())
    for entry in data["warnings"] + data["problems"]:
        del entry["kind"]  # as saved before kinds existed
    saved = tmp_path / "plan.json"
    saved.write_text(json.dumps(data), encoding="utf-8")
    assert ozr("plan", "--verify", str(saved)).exit_code == 0
    rendered = ozr("plan", "--saved", str(saved), "--format", "text")
    assert rendered.exit_code == 0
    assert "  1. provider 1.0.0 -> 2.0.0" in rendered.stdout
