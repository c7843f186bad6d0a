"""The bundled Open Zaak ecosystem: valid, matches its JSON Schema, and plans to latest
through the upgrade stops the vendors publish or enforce."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from ozrelease import planner
from ozrelease.ecosystem import load as manifest
from ozrelease.ecosystem import releases
from ozrelease.ecosystem.compat import Deployment
from ozrelease.planner.verify import verify_plan
from ozrelease.resources import bundled_manifests, schema_text
from ozrelease.versions import parse_version

MANIFESTS = Path(__file__).resolve().parent.parent / "manifests"


@pytest.fixture(scope="module")
def deployment() -> Deployment:
    eco = manifest.load(MANIFESTS)
    return Deployment(eco, manifest.load_environment(eco, None))


def test_bundled_manifests_are_valid(ozr) -> None:
    eco, problems = manifest.check(MANIFESTS)
    assert problems == []
    names = set(eco.components)
    assert {
        "open-zaak",
        "open-notificaties",
        "open-forms",
        "open-object",
        "objecttypes-api",
        "open-klant",
        "open-archiefbeheer",
        "open-inwoner",
        "kiss",
        "zac",
        "postgresql",
        "redis",
    } <= names
    assert {
        "zaken",
        "documenten",
        "catalogi",
        "besluiten",
        "autorisaties",
        "notificaties",
        "objecten",
        "objecttypen",
        "klantinteracties",
    } <= set(eco.apis)
    # From an empty folder the CLI falls back to the manifests shipped in the package.
    assert (
        bundled_manifests().resolve() == MANIFESTS.resolve()
        or bundled_manifests().name == "manifests"
    )
    result = ozr("validate")
    assert result.exit_code == 0, result.output
    assert "valid (" in result.stdout


def test_every_bundled_document_matches_the_json_schema() -> None:
    schema = json.loads(schema_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    count = 0
    for path in sorted(MANIFESTS.rglob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            # PyYAML reads unquoted dates as dates; JSON (and editors) see strings.
            document = json.loads(json.dumps(document, default=str))
            errors = sorted(validator.iter_errors(document), key=str)
            assert errors == [], f"{path}: {errors[0].message}"
            count += 1
    assert count > 20


def test_the_schema_knows_exactly_the_keys_the_loader_accepts() -> None:
    defs = json.loads(schema_text())["$defs"]
    assert set(defs["component"]["properties"]) == manifest.COMPONENT_KEYS
    assert set(defs["release"]["properties"]) == releases.RELEASE_KEYS
    assert set(defs["defaults"]["properties"]) == releases.DEFAULTS_KEYS
    assert set(defs["deploy"]["properties"]) == releases.DEPLOY_KEYS
    assert set(defs["deploy"]["properties"]["helm"]["properties"]) == releases.HELM_KEYS
    assert set(defs["api"]["properties"]) == manifest.API_KEYS
    assert set(defs["environment"]["properties"]) == manifest.ENVIRONMENT_KEYS


def test_schema_command_prints_it(ozr, tmp_path: Path) -> None:
    result = ozr("schema")
    assert json.loads(result.stdout)["title"].startswith("ozrelease manifest")
    assert ozr("schema", "-o", "s.json").exit_code == 0
    assert (tmp_path / "s.json").read_text() == result.stdout


def _stops(plan: planner.Plan, key: str) -> list[str]:
    return [s.to_label for s in plan.steps if s.component == key]


def _newest_of_series(deployment: Deployment, component: str, series: str) -> str:
    releases = deployment.ecosystem.components[component].releases
    return max(
        (r for r in releases if r.label.startswith(series + ".") and not r.version.is_prerelease),
        key=lambda r: r.version,
    ).label


def test_example_gemeente_to_its_targets_follows_the_vendors_upgrade_paths(
    deployment: Deployment,
) -> None:
    result = planner.plan(deployment)
    assert result.feasible, [p.message for p in result.problems]
    assert verify_plan(deployment, result).problems == ()
    # Open Forms (upgrade_paths.py / UPGRADE_CHECK_PATHS): 3.3 needs >= 3.2.0, 3.5 needs
    # >= 3.3.1: from 3.1.9 the stops are a 3.2 and a 3.3, each at its newest patch.
    assert _stops(result, "open-forms") == [
        _newest_of_series(deployment, "open-forms", "3.2"),
        _newest_of_series(deployment, "open-forms", "3.3"),
        _newest_of_series(deployment, "open-forms", "3.5"),
    ]
    # Open Object 4.x needs objects-api >= 3.6.1 (import_objecttypes), which needs
    # Objecttypes API >= 3.4.0.
    stops = _stops(result, "open-object")
    assert stops[0] == _newest_of_series(deployment, "open-object", "3.6")
    assert parse_version(stops[-1]) >= parse_version("4.0")
    assert _stops(result, "objecttypes-api") and parse_version(
        _stops(result, "objecttypes-api")[-1]
    ) >= parse_version("3.4.0")
    objecttypes_window = next(
        i for i, w in enumerate(result.windows) for s in w.steps if s.component == "objecttypes-api"
    )
    stop_window = next(
        i for i, w in enumerate(result.windows) for s in w.steps if s.component == "open-object"
    )
    assert objecttypes_window <= stop_window
    # Open Zaak has no required stop between 1.26 and 1.30: one step.
    assert _stops(result, "open-zaak") == ["1.30.0"]
    # The 4.x step cannot be rolled back.
    (last_object_step,) = [s for s in result.steps if s.component == "open-object"][-1:]
    assert not last_object_step.reversible
    assert len(result.windows) == 3


def test_everything_to_latest_adds_the_open_klant_stop(deployment: Deployment) -> None:
    result = planner.plan(deployment, ["latest"])
    assert result.feasible
    assert verify_plan(deployment, result).problems == ()
    # Open Klant 2.6 needs >= 2.5.0 (UPGRADE_CHECK_PATHS).
    stops = _stops(result, "open-klant")
    assert stops[0] == _newest_of_series(deployment, "open-klant", "2.5")
    assert stops[-1] == deployment.ecosystem.components["open-klant"].newest().label


def test_plan_on_the_bundled_example_is_byte_identical_run_to_run(ozr) -> None:
    first = ozr("plan", "--format", "json")
    second = ozr("plan", "--format", "json")
    assert first.exit_code == 0 and first.stdout == second.stdout
    assert json.loads(first.stdout)["environment"] == "example-gemeente"


def test_rabbitmq_3_to_4_stops_at_3_13(deployment: Deployment) -> None:
    result = planner.plan(deployment, ["rabbitmq=4"])
    assert result.feasible and verify_plan(deployment, result).problems == ()
    steps = [(s.from_label, s.to_label) for s in result.steps if s.component == "rabbitmq"]
    assert steps == [("3", "3.13"), ("3.13", "4")]
    assert any("enable_feature_flag all" in note for note in result.steps[0].notes)


def test_open_object_4_says_to_re_point_what_is_wired_to_objecttypes_api(
    deployment: Deployment,
) -> None:
    # Open Forms stays wired to the standalone objecttypes-api after Open Object 4.x merged
    # the Objecttypes API; the step that passes 4.0.0 says to re-point it and retire the old.
    assert deployment.environment.wiring["open-forms"] == {"objecttypen": "objecttypes-api"}
    result = planner.plan(deployment)
    (step,) = [s for s in result.steps if s.component == "open-object" and "4.0.0" in s.passes]
    (note,) = [n for n in step.notes if "Re-point" in n]
    assert "standalone objecttypes-api" in note and "retire objecttypes-api" in note
