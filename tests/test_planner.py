"""The planner on the cases that matter, each a small manifest folder with its expected plan;
every plan is also replayed by the verifier."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from tests_support import (
    api,
    component,
    deployment_of,
    env,
    examples,
    mixed_ecosystem,
    summary,
    write_manifests,
)

from ozrelease import planner
from ozrelease.ecosystem import steps
from ozrelease.ecosystem.graph import stop_path
from ozrelease.errors import OzReleaseError
from ozrelease.planner import space
from ozrelease.planner.model import Plan
from ozrelease.planner.verify import verify_plan
from ozrelease.versions import parse_range, parse_version


def make_plan(folder: Path, *to: str, env: str | None = None, **options: str) -> Plan:
    deployment = deployment_of(folder, env)
    result = planner.plan(deployment, list(to) or None, **options)  # type: ignore[arg-type]
    if result.feasible:
        checked = verify_plan(deployment, result)
        assert checked.problems == (), checked.problems
    return result


@pytest.fixture
def folder(tmp_path: Path):
    def _folder(*documents: str) -> Path:
        return write_manifests(tmp_path, *documents)

    return _folder


# ------------------------------------------------------------------ required stops


def test_gitlab_style_required_stops(folder) -> None:
    # Each stop accepts upgrades only from the previous stop (or the releases between).
    f = folder(
        component(
            "gitlab",
            "15.0.0",
            "15.4.6 upgradeFrom: '>=15.0'",
            "15.11.13 upgradeFrom: '>=15.4.6'",
            "16.0.8 upgradeFrom: '>=15.11.13'",
            "16.3.9 upgradeFrom: '>=16.0.8'",
            "16.7.10 upgradeFrom: '>=16.3.9'",
            "17.0.0 upgradeFrom: '>=16.7.10'",
            "17.0.1 upgradeFrom: '>=16.7.10'",
        ),
        env("{gitlab: 15.0.0}", "{gitlab: latest}"),
    )
    result = make_plan(f)
    assert summary(result) == [
        "gitlab 15.0.0->15.4.6",
        "gitlab 15.4.6->15.11.13",
        "gitlab 15.11.13->16.0.8",
        "gitlab 16.0.8->16.3.9",
        "gitlab 16.3.9->16.7.10",
        "gitlab 16.7.10->17.0.1",
    ]


def test_open_forms_enforced_paths_stop_at_newest_patch_of_each_stop(folder) -> None:
    # From upgrade_paths.py: 2.8 needs >=2.7.4, 3.0 needs >=2.8.2, 3.2 needs >=3.0.1.
    f = folder(
        component(
            "open-forms",
            "2.7.0",
            "2.7.4",
            "2.7.9",
            "2.8.0 upgradeFrom: '>=2.7.4'",
            "2.8.2 upgradeFrom: '>=2.7.4'",
            "2.8.7 upgradeFrom: '>=2.7.4'",
            "3.0.0 upgradeFrom: '>=2.8.2'",
            "3.0.1 upgradeFrom: '>=2.8.2'",
            "3.0.9 upgradeFrom: '>=2.8.2'",
            "3.2.0 upgradeFrom: '>=3.0.1'",
        ),
        env("{open-forms: 2.7.0}", "{open-forms: 3.2.0}"),
    )
    assert summary(make_plan(f)) == [
        "open-forms 2.7.0->2.7.9",
        "open-forms 2.7.9->2.8.7",
        "open-forms 2.8.7->3.0.9",
        "open-forms 3.0.9->3.2.0",
    ]


def test_majors_that_cannot_be_skipped(folder) -> None:
    # Nextcloud: only from the previous major.
    f = folder(
        component(
            "nextcloud",
            "27.1.0",
            "28.0.0 upgradeFrom: '>=27,<28'",
            "28.0.4 upgradeFrom: '>=27,<28'",
            "29.0.0 upgradeFrom: '>=28,<29'",
            "30.0.1 upgradeFrom: '>=29,<30'",
        ),
        env("{nextcloud: 27.1.0}", "{nextcloud: latest}"),
    )
    assert summary(make_plan(f)) == [
        "nextcloud 27.1.0->28.0.4",
        "nextcloud 28.0.4->29.0.0",
        "nextcloud 29.0.0->30.0.1",
    ]


# ------------------------------------------------------------------ coupled components


def test_mutual_constraints_force_one_window(folder) -> None:
    # Old A fails with new B, new A with old B: they must move together.
    f = folder(
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
    )
    result = make_plan(f)
    assert summary(result) == ["a 1.0.0->2.0.0, b 1.0.0->2.0.0"]
    assert result.windows[0].steps[1].pulled_in_by == "a"
    # One at a time cannot split them.
    alone = make_plan(f, strategy="one-at-a-time")
    assert summary(alone) == ["a 1.0.0->2.0.0, b 1.0.0->2.0.0"]


def test_a_call_cycle_that_is_not_a_version_cycle_does_not_force_a_shared_window(folder) -> None:
    # Open Zaak consumes notificaties, Open Notificaties consumes autorisaties: a cycle of
    # calls. Open Zaak 1.30 needs a newer Open Notificaties, which only needs autorisaties 1.x.
    f = folder(
        api("notificaties", "autorisaties"),
        component(
            "open-zaak",
            "1.26.0 provides: {autorisaties: 1.0.0}; consumes: {notificaties: '>=1.0'}",
            "1.30.0 provides: {autorisaties: 1.0.0}; consumes: {notificaties: '>=1.1'}",
        ),
        component(
            "open-notificaties",
            "1.14.0 provides: {notificaties: 1.0.0}; consumes: {autorisaties: '>=1.0'}",
            "1.16.0 provides: {notificaties: 1.1.0}; consumes: {autorisaties: '>=1.0'}",
        ),
        env("{open-zaak: 1.26.0, open-notificaties: 1.14.0}", "{open-zaak: latest}"),
    )
    result = make_plan(f)
    assert summary(result) == ["open-notificaties 1.14.0->1.16.0, open-zaak 1.26.0->1.30.0"]
    one = make_plan(f, strategy="one-at-a-time")
    assert summary(one) == ["open-notificaties 1.14.0->1.16.0", "open-zaak 1.26.0->1.30.0"]
    assert one.windows[0].steps[0].pulled_in_by == "open-zaak"


def test_providers_come_first_inside_a_window(folder) -> None:
    f = folder(
        api("p-api"),
        component("consumer", "1.0.0 consumes: {p-api: '<2'}", "2.0.0 consumes: {p-api: '>=2'}"),
        component("provider", "1.0.0 provides: {p-api: 1.0.0}", "2.0.0 provides: {p-api: 2.0.0}"),
        env("{consumer: 1.0.0, provider: 1.0.0}", "{consumer: 2.0.0, provider: 2.0.0}"),
    )
    assert summary(make_plan(f)) == ["provider 1.0.0->2.0.0, consumer 1.0.0->2.0.0"]


def test_expand_contract_release_is_the_stop_that_lets_consumers_follow(folder) -> None:
    # objects 2.0 serves v1 and v2 side by side (expand); 3.0 drops v1 (contract) and can
    # only be reached from 2.x. forms 2.0 speaks v2 only.
    f = folder(
        api("objecten"),
        component(
            "objects",
            "1.0.0 provides: {objecten: '1.0'}",
            "2.0.0 provides: {objecten: ['1.0', '2.0']}",
            "3.0.0 provides: {objecten: '2.0'}; upgradeFrom: '>=2'",
        ),
        component(
            "forms", "1.0.0 consumes: {objecten: '>=1,<2'}", "2.0.0 consumes: {objecten: '>=2,<3'}"
        ),
        env("{objects: 1.0.0, forms: 1.0.0}", "{objects: 3.0.0}"),
    )
    result = make_plan(f)
    # forms 2.0 before objects 3.0: objects 3.0 first would leave forms 1.0 without v1.
    assert summary(result) == ["objects 1.0.0->2.0.0", "forms 1.0.0->2.0.0, objects 2.0.0->3.0.0"]
    assert result.windows[1].steps[0].pulled_in_by == "objects"
    # One at a time, the consumer follows on the expanded release before the contraction.
    assert summary(make_plan(f, strategy="one-at-a-time")) == [
        "objects 1.0.0->2.0.0",
        "forms 1.0.0->2.0.0",
        "objects 2.0.0->3.0.0",
    ]


def test_skew_window_moves_the_lagging_component_once_late(folder) -> None:
    # A controller must not lag the API server by more than two minors, and the API server
    # moves one minor at a time. The controller can jump: it moves once, as late as possible.
    api_server = component(
        "apiserver",
        *(
            f"1.{m}.0 provides: {{kube: '1.{m}'}}"
            + ("" if m == 25 else f"; upgradeFrom: '==1.{m - 1}.*'")
            for m in range(25, 30)
        ),
    )
    controller = component(
        "controller", *(f"1.{m}.0 consumes: {{kube: '>=1.{m},<=1.{m + 2}'}}" for m in range(25, 30))
    )
    f = folder(
        api("kube"),
        api_server,
        controller,
        env("{apiserver: 1.25.0, controller: 1.25.0}", "{apiserver: 1.29.0}"),
    )
    result = make_plan(f)
    assert summary(result) == [
        "apiserver 1.25.0->1.26.0",
        "apiserver 1.26.0->1.27.0",
        "controller 1.25.0->1.27.0, apiserver 1.27.0->1.28.0",
        "apiserver 1.28.0->1.29.0",
    ] or summary(result) == [
        "apiserver 1.25.0->1.26.0",
        "apiserver 1.26.0->1.27.0",
        "apiserver 1.27.0->1.28.0, controller 1.25.0->1.27.0",
        "apiserver 1.28.0->1.29.0",
    ]
    moves = [s for s in result.steps if s.component == "controller"]
    assert len(moves) == 1 and moves[0].to_label == "1.27.0"  # once, the oldest that works
    latest = make_plan(f, prefer="latest")
    assert len(latest.windows) == 4
    assert [s.to_label for s in latest.steps if s.component == "controller"] == ["1.28.0"] or len(
        [s for s in latest.steps if s.component == "controller"]
    ) == 1


def test_fleet_one_shared_provider_many_consumers(folder) -> None:
    f = folder(
        api("notificaties", "autorisaties"),
        component(
            "open-zaak",
            "1.26.0 provides: {autorisaties: 1.0.0}; consumes: {notificaties: '>=1.0'}",
            "1.30.0 provides: {autorisaties: 1.0.0}; consumes: {notificaties: '>=1.1'}",
        ),
        component(
            "open-notificaties",
            "1.14.0 provides: {notificaties: 1.0.0}; consumes: {autorisaties: '>=1.0'}",
            "1.16.0 provides: {notificaties: 1.1.0}; consumes: {autorisaties: '>=1.0'}",
        ),
        env(
            "{open-zaak@utrecht: 1.26.0, open-zaak@tilburg: 1.26.0, open-zaak@breda: 1.30.0, "
            "open-notificaties@shared: 1.16.0}",
            "{open-zaak: latest}",
            wiring="{open-notificaties@shared: {autorisaties: open-zaak@breda}}",
        ),
    )
    result = make_plan(f)
    assert summary(result) == ["open-zaak@tilburg 1.26.0->1.30.0, open-zaak@utrecht 1.26.0->1.30.0"]
    one = make_plan(f, "open-zaak@utrecht=latest")
    assert summary(one) == ["open-zaak@utrecht 1.26.0->1.30.0"]


def test_a_broken_deployed_state_is_repaired_in_the_first_window(folder) -> None:
    f = folder(
        api("p-api"),
        component("consumer", "1.0.0 consumes: {p-api: '>=2'}"),
        component(
            "provider",
            "1.0.0 provides: {p-api: 1.0.0}",
            "2.0.0 provides: {p-api: 2.0.0}",
            "3.0.0 provides: {p-api: 3.0.0}",
        ),
        env("{consumer: 1.0.0, provider: 1.0.0}"),
    )
    result = make_plan(f)
    assert summary(result) == ["provider 1.0.0->2.0.0"]  # least change: the oldest that works
    assert any(
        "broken now: consumer 1.0.0 consumes p-api >=2" in w.message for w in result.warnings
    )
    assert summary(make_plan(f, prefer="latest")) == ["provider 1.0.0->3.0.0"]


def test_nothing_to_do(folder) -> None:
    f = folder(component("a", "1.0.0", "2.0.0"), env("{a: 2.0.0}", "{a: latest}"))
    result = make_plan(f)
    assert result.feasible and result.windows == ()


def test_steps_carry_notes_and_reversibility_of_every_release_passed(folder) -> None:
    f = folder(
        component(
            "a",
            "1.0.0",
            "1.1.0 reversible: false; notes: 'Long migration.'",
            "1.2.0 notes: 'Renamed UWSGI_PORT.'",
        ),
        env("{a: 1.0.0}", "{a: 1.2.0}"),
    )
    (step,) = make_plan(f).steps
    assert step.reversible is False  # 1.1.0's migration runs on the way to 1.2.0
    assert step.notes == ("1.1.0: Long migration.", "Renamed UWSGI_PORT.")


# ------------------------------------------------------------------ no safe plan


def test_a_pinned_component_blocks_the_target(folder) -> None:
    f = folder(
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
    )
    result = make_plan(f, "open-zaak=1.30.0", "open-notificaties=1.14.0")
    assert not result.feasible
    text = "\n".join(p.message for p in result.problems)
    assert text.startswith(
        "open-zaak cannot reach 1.30.0 from 1.26.0; open-zaak 1.30.0 consumes notificaties "
        ">=1.1, but open-notificaties 1.14.0 provides notificaties 1.0.0; open-notificaties "
        "is pinned\n"
    )
    assert "furthest safe state: the deployed state" in text
    assert {"open-zaak", "open-notificaties"} <= set(result.problems[0].components)


def test_an_api_dropped_that_no_consumer_release_follows(folder) -> None:
    f = folder(
        api("klanten", "klantinteracties"),
        component(
            "open-klant",
            "1.0.0 provides: {klanten: 1.0.0}",
            "2.0.0 provides: {klantinteracties: 0.9.0}",
        ),
        component("portal", "1.0.0 consumes: {klanten: '>=1'}", "1.1.0 consumes: {klanten: '>=1'}"),
        env("{open-klant: 1.0.0, portal: 1.0.0}", "{open-klant: 2.0.0}"),
    )
    result = make_plan(f)
    assert not result.feasible
    text = "\n".join(p.message for p in result.problems)
    assert (
        "portal 1.0.0 consumes klanten >=1, but open-klant 2.0.0 does not provide klanten" in text
    )
    assert (
        "portal 1.1.0 consumes klanten >=1, but open-klant 2.0.0 does not provide klanten" in text
    )
    assert "furthest safe state: the deployed state" in text


def test_a_downgrade_is_never_planned(folder) -> None:
    f = folder(component("a", "1.0.0", "2.0.0"), env("{a: 2.0.0}"))
    result = make_plan(f, "a=1.0.0")
    assert not result.feasible
    assert result.problems[0].message == (
        "a is at 2.0.0; 1.0.0 is older, and downgrades are never planned"
    )


def test_no_upgrade_path(folder) -> None:
    f = folder(component("a", "1.0.0", "2.0.0 upgradeFrom: '>=1.5'"), env("{a: 1.0.0}"))
    result = make_plan(f, "a=2.0.0")
    assert not result.feasible
    assert (
        "a cannot go from 1.0.0 to 2.0.0: no chain of allowed steps leads there (2.0.0 "
        "accepts upgrades from >=1.5" in result.problems[0].message
    )


def test_stuck_midway_names_the_furthest_safe_state(folder) -> None:
    # b must reach 3.0.0 through 2.0.0; a tolerates b 2.x only at a 1.x and a 2.x only
    # with b 3.x... a 2.0.0 needs b >=3 and b 3.0.0 needs a >=2: no order works.
    f = folder(
        api("a-api", "b-api"),
        component(
            "a",
            "1.0.0 provides: {a-api: 1.0.0}; consumes: {b-api: '<3'}",
            "2.0.0 provides: {a-api: 2.0.0}; consumes: {b-api: '>=3'}",
        ),
        component(
            "b",
            "1.0.0 provides: {b-api: 1.0.0}",
            "2.0.0 provides: {b-api: 2.0.0}",
            "3.0.0 provides: {b-api: 3.0.0}; consumes: {a-api: '>=2'}; upgradeFrom: '>=2'",
        ),
        env("{a: 1.0.0, b: 1.0.0}", "{b: 3.0.0}"),
    )
    result = make_plan(f)
    assert result.feasible  # a and b move together in the last window
    assert summary(result) == ["b 1.0.0->2.0.0", "a 1.0.0->2.0.0, b 2.0.0->3.0.0"]


# ------------------------------------------------------------------ CLI


def test_plan_cli_json_matches_the_contract_and_verifies(folder, ozr, tmp_path: Path) -> None:
    folder(
        api("notificaties"),
        component(
            "open-zaak",
            "1.26.0 consumes: {notificaties: '>=1.0'}",
            "1.30.0 consumes: {notificaties: '>=1.1'}",
        ),
        component(
            "open-notificaties",
            "1.8.0 provides: {notificaties: 1.0.0}",
            "1.10.0 provides: {notificaties: 1.1.0}",
        ),
        env("{open-zaak: 1.26.0, open-notificaties: 1.8.0}", "{open-zaak: latest}"),
    )
    result = ozr("plan", "--format", "json", "-o", "plan.json")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    data = json.loads((tmp_path / "plan.json").read_text())
    assert data["format"] == "ozrelease-plan/1"
    assert data["feasible"] is True and data["problems"] == []
    assert data["start"] == {"open-notificaties": "1.8.0", "open-zaak": "1.26.0"}
    assert data["target"] == {"open-notificaties": "1.10.0", "open-zaak": "1.30.0"}
    assert data["windows"] == [
        {
            "steps": [
                {
                    "component": "open-notificaties",
                    "from": "1.8.0",
                    "to": "1.10.0",
                    "pulledInBy": "open-zaak",
                    "reversible": True,
                    "notes": [],
                },
                {
                    "component": "open-zaak",
                    "from": "1.26.0",
                    "to": "1.30.0",
                    "pulledInBy": None,
                    "reversible": True,
                    "notes": [],
                },
            ]
        }
    ]
    verified = ozr("plan", "--verify", "plan.json")
    assert verified.exit_code == 0, verified.output
    assert "verified: 1 windows, 2 steps" in verified.stdout
    # The environment moves on: the saved plan is stale and refused.
    env_file = tmp_path / "manifests" / "all.yaml"
    env_file.write_text(
        env_file.read_text().replace("open-notificaties: 1.8.0", "open-notificaties: 1.10.0")
    )
    stale = ozr("plan", "--verify", "plan.json")
    assert stale.exit_code == 1
    assert (
        "plan.json: stale plan: the environment has moved since the plan was made: "
        "open-notificaties is deployed at 1.10.0, the plan starts from 1.8.0"
    ) in stale.stderr
    assert "refusing a stale plan" in stale.stderr


def test_verify_catches_a_tampered_plan(folder, ozr, tmp_path: Path) -> None:
    folder(
        api("p-api"),
        component("consumer", "1.0.0 consumes: {p-api: '<2'}", "2.0.0 consumes: {p-api: '>=2'}"),
        component("provider", "1.0.0 provides: {p-api: 1.0.0}", "2.0.0 provides: {p-api: 2.0.0}"),
        env("{consumer: 1.0.0, provider: 1.0.0}", "{consumer: 2.0.0}"),
    )
    assert ozr("plan", "--format", "json", "-o", "plan.json").exit_code == 0
    data = json.loads((tmp_path / "plan.json").read_text())
    steps = data["windows"][0]["steps"]
    data["windows"] = [{"steps": [steps[1]]}, {"steps": [steps[0]]}]  # consumer alone first
    (tmp_path / "bad.json").write_text(json.dumps(data))
    result = ozr("plan", "--verify", "bad.json")
    assert result.exit_code == 1
    assert (
        "bad.json: after window 1: consumer 2.0.0 consumes p-api >=2, but provider 1.0.0 "
        "provides p-api 1.0.0"
    ) in result.stderr
    (tmp_path / "junk.json").write_text("{not json")
    junk = ozr("plan", "--verify", "junk.json")
    assert junk.exit_code == 2 and "junk.json:1: not JSON" in junk.stderr


def test_infeasible_plan_exits_1_and_explains(folder, ozr) -> None:
    folder(component("a", "1.0.0", "2.0.0"), env("{a: 2.0.0}", targets="{a: 1.0.0}"))
    result = ozr("plan")  # the environment's own targets ask for a downgrade
    assert result.exit_code == 1
    assert "No safe plan exists for test" in result.stdout
    assert "downgrades are never planned" in result.stdout
    asked = ozr("plan", "--to", "a=1.0.0")  # on the command line: bad usage (CONTRACT §1)
    assert asked.exit_code == 2 and "downgrades are never planned" in asked.stderr
    bad = ozr("plan", "--to", "b=1.0.0")
    assert bad.exit_code == 2
    assert "--to 'b=1.0.0': b is not deployed in environment test" in bad.stderr
    unknown = ozr("plan", "--to", "a=9.0.0")
    assert unknown.exit_code == 2 and "not a release listed for a" in unknown.stderr


def test_one_at_a_time_reorders_a_window_split_out_of_a_call_cycle(folder) -> None:
    # c0 -> c2 -> c3 -> c0 call each other; in one window their order is by name. Split one
    # at a time, c0 and c2 move together without c3: then c2 (the provider) comes first.
    # (Found by the property test.)
    f = folder(
        api("api0", "api2", "api3"),
        component(
            "c0",
            "1.0.0 provides: {api0: '1.0'}; consumes: {api2: '>=1.0,<1.1'}",
            "1.1.0 provides: {api0: '1.1'}; consumes: {api2: '>=1.1,<1.4'}; upgradeFrom: '==1.0.0'",
        ),
        component(
            "c2",
            "1.0.0 provides: {api2: '1.0'}; consumes: {api3: '>=1.0,<1.2'}",
            "1.3.0 provides: {api2: '1.3'}; consumes: {api3: '>=1.1,<1.4'}",
        ),
        component(
            "c3",
            "1.0.0 provides: {api3: '1.0'}; consumes: {api0: '>=1.0,<1.1'}",
            "1.1.0 provides: {api3: '1.1'}; consumes: {api0: '>=1.0,<1.2'}",
        ),
        env("{c0: 1.0.0, c2: 1.0.0, c3: 1.0.0}", "{c2: latest}"),
    )
    result = make_plan(f, strategy="one-at-a-time")  # make_plan verifies the order
    assert summary(result) == ["c3 1.0.0->1.1.0", "c2 1.0.0->1.3.0, c0 1.0.0->1.1.0"]


def test_a_required_stop_blocked_by_a_pinned_neighbour_is_explained(folder) -> None:
    # Open Object 4.x needs 3.6.x first, and 3.6.x needs Objecttypes >= 3.4, pinned at 3.3.
    f = folder(
        component(
            "objects",
            "3.5.0",
            "3.6.0 requires: {objecttypes: '>=3.4.0'}",
            "3.6.1 requires: {objecttypes: '>=3.4.0'}",
            "4.0.0 upgradeFrom: '>=3.6.0'",
        ),
        component("objecttypes", "3.3.0", "3.4.0"),
        env("{objects: 3.5.0, objecttypes: 3.3.0}"),
    )
    result = make_plan(f, "objects=4.0.0", "objecttypes=3.3.0")
    assert not result.feasible
    assert result.problems[0].message == (
        "objects cannot reach 4.0.0 from 3.5.0: the way there passes 3.6.0, 3.6.1; objects "
        "3.6.0 requires objecttypes >=3.4.0, but objecttypes is at 3.3.0 (so do 3.6.1); "
        "objecttypes is pinned"
    )
    assert set(result.problems[0].components) == {"objects", "objecttypes"}
    # Unpinned, the stop pulls Objecttypes along.
    assert summary(make_plan(f, "objects=4.0.0")) == [
        "objecttypes 3.3.0->3.4.0, objects 3.5.0->3.6.1",
        "objects 3.6.1->4.0.0",
    ]


# ------------------------------------------------------------------ many releases


VERSION_TEXTS = st.builds(
    lambda major, minor, patch, suffix: f"{major}.{minor}.{patch}{suffix}",
    st.integers(0, 3),
    st.integers(0, 3),
    st.integers(0, 3),
    st.sampled_from(["", "", "", "rc1", "a2", ".post1", ".dev0"]),
)
SPECIFIERS = st.lists(
    st.builds(
        lambda op, version, star: f"{op}{version}{'.*' if star and op in ('==', '!=') else ''}",
        st.sampled_from([">=", ">", "<=", "<", "==", "!=", "~="]),
        st.sampled_from(["1", "1.2", "1.2.0", "2.0", "1.3.1", "2.1rc1", "1.2.post1", "0.3"]),
        st.booleans(),
    ),
    min_size=1,
    max_size=3,
).map(",".join)


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(VERSION_TEXTS, min_size=1, max_size=150, unique=True), SPECIFIERS)
def test_upgrade_sources_by_binary_search_equal_a_check_per_release(
    texts: list[str], specifier: str
) -> None:
    """The intervals found with a few binary searches (what lets a component have
    thousands of releases) are exactly the releases a check per pair admits."""
    versions = sorted({parse_version(t) for t in texts})
    try:
        wanted = parse_range(specifier)
    except ValueError:
        assume(False)  # e.g. `==2.1rc1.*`: not PEP 440
        return
    for index in range(len(versions)):
        expected = [i for i in range(index) if wanted.allows(versions[i])]
        found = [i for a, b in steps.sources(versions, index, wanted) for i in range(a, b)]
        assert found == expected, (index, specifier)


def test_a_component_with_thousands_of_releases(folder) -> None:
    """Stops are found over 3,000 releases without a check per pair (the step tables are
    built from intervals): the required stops every 1,000 releases, newest patch each."""
    releases = []
    for r in range(3000):
        version = f"{1 + r // 1000}.{r % 1000}.0"
        gate = f" upgradeFrom: '>={r // 1000}.999.0'" if r >= 1000 else ""
        releases.append(version + gate)
    f = folder(component("big", *releases), env("{big: 1.0.0}", "{big: latest}"))
    result = make_plan(f)
    assert summary(result) == ["big 1.0.0->1.999.0", "big 1.999.0->2.999.0", "big 2.999.0->3.999.0"]
    deployment = deployment_of(f)
    big = deployment.ecosystem.components["big"]
    path = stop_path(big, parse_version("1.0.0"), parse_version("3.999.0"))
    assert path is not None and [r.label for r in path] == ["1.999.0", "2.999.0", "3.999.0"]


def test_too_many_candidates_is_refused_before_any_memory_is_taken(folder, ozr) -> None:
    releases = [f"1.{r}.0" for r in range(space.CANDIDATE_CAP + 1)]
    folder(component("big", *releases), env("{big: 1.0.0}", "{big: latest}"))
    result = ozr("plan")
    assert result.exit_code == 2
    assert "big has 20,001 releases between the deployed one and its target" in result.stderr


# ------------------------------------------------------------------ --max-steps, time limit


def independent(folder, count: int = 3) -> Path:
    """`count` components that may all move at once, each one release to go."""
    return folder(
        *(component(f"c{i}", "1.0.0", "1.1.0") for i in range(count)),
        env("{" + ", ".join(f"c{i}: 1.0.0" for i in range(count)) + "}", "{}"),
    )


def test_max_steps_bounds_every_window_and_stays_fewest_windows(folder) -> None:
    f = independent(folder, 3)
    to = ("c0=latest", "c1=latest", "c2=latest")
    assert summary(make_plan(f, *to)) == ["c0 1.0.0->1.1.0, c1 1.0.0->1.1.0, c2 1.0.0->1.1.0"]
    two = make_plan(f, *to, max_steps=2)  # type: ignore[arg-type]
    assert [len(w.steps) for w in two.windows] == [2, 1] and two.max_steps == 2
    assert len(make_plan(f, *to, max_steps=1).windows) == 3  # type: ignore[arg-type]


def test_max_steps_that_no_plan_can_keep_names_what_must_move_together(folder, ozr) -> None:
    folder(
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
    )
    result = ozr("plan", "--max-steps", "1")
    assert result.exit_code == 1
    assert "no safe plan moves at most 1 component per window (--max-steps 1)" in result.stdout
    assert "a, b must move together" in result.stdout
    assert ozr("plan", "--max-steps", "2").exit_code == 0


def test_max_steps_in_json_and_the_plan_verifies(folder, ozr, tmp_path: Path) -> None:
    independent(folder, 3)
    out = tmp_path / "plan.json"
    args = ("--to", "c0=latest", "--to", "c1=latest", "--to", "c2=latest")
    assert ozr("plan", *args, "--max-steps", "2", "--format", "json", "-o", str(out)).exit_code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["maxSteps"] == 2 and data["optimal"] is True
    assert [len(w["steps"]) for w in data["windows"]] == [2, 1]
    assert ozr("plan", "--verify", str(out)).exit_code == 0
    # A saved plan whose windows were merged past its own bound is refused.
    data["windows"] = [{"steps": [s for w in data["windows"] for s in w["steps"]]}]
    out.write_text(json.dumps(data), encoding="utf-8")
    merged = ozr("plan", "--verify", str(out))
    assert merged.exit_code == 1
    assert "window 1: 3 steps, more than the plan's --max-steps 2" in merged.stderr
    bad = ozr("plan", "--max-steps", "0")
    assert bad.exit_code == 2


def test_a_layered_ecosystem_with_mixed_upgrade_paths_is_answered_optimally(
    tmp_path: Path,
) -> None:
    # 20 components with mixed upgrade paths: the bitmask search finds the fewest windows
    # at once but runs out of its fast budget proving the fewest steps; CP-SAT proves them.
    folder = mixed_ecosystem(tmp_path, 20, 1)
    deployment = deployment_of(folder, "mixed")
    result = planner.plan(deployment)
    assert result.feasible and result.optimal
    assert verify_plan(deployment, result).problems == ()
    alone = planner.plan(deployment, engine="cp-sat")
    assert (len(result.windows), len(result.steps)) == (len(alone.windows), len(alone.steps))
    assert planner.plan(deployment) == result  # same inputs, same plan


def test_time_limit_gives_the_best_plan_so_far_marked_not_proven_optimal(
    tmp_path: Path, ozr
) -> None:
    mixed_ecosystem(tmp_path, 20, 1)
    result = ozr("plan", "--env", "mixed", "--time-limit", "0.05", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["feasible"] is True and data["optimal"] is False
    assert any(w["message"].startswith("not proven optimal") for w in data["warnings"])
    text = ozr("plan", "--env", "mixed", "--time-limit", "0.05")
    assert "warning: not proven optimal: the time limit (0.05 s) ran out" in text.stdout
    assert "it is safe and verified" in text.stdout


def test_time_limit_without_a_plan_is_could_not_answer(tmp_path: Path) -> None:
    folder = mixed_ecosystem(tmp_path, 20, 1)
    deployment = deployment_of(folder, "mixed")
    with pytest.raises(OzReleaseError, match="ran out before a plan was found") as caught:
        planner.plan(deployment, engine="cp-sat", time_limit=1e-9)
    assert caught.value.exit_code == 2


def test_ortools_is_imported_only_by_the_solver_module_and_only_when_needed() -> None:
    package = Path(planner.__file__).resolve().parent.parent

    def imports_ortools(path: Path) -> bool:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import) and any(
                a.name.startswith("ortools") for a in node.names
            ):
                return True
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ortools"):
                return True
        return False

    users = [
        p.relative_to(package).as_posix()
        for p in sorted(package.rglob("*.py"))
        if imports_ortools(p)
    ]
    assert users == ["planner/cpsat.py"]
    code = (
        "import sys; from click.testing import CliRunner; from ozrelease.cli import cli; "
        "r = CliRunner(); "
        "[r.invoke(cli, a) for a in (['--help'], ['validate'], ['changelog', '--help'], "
        "['plan'])]; "
        "print('ortools' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
