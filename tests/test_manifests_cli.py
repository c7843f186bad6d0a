"""Which manifests a command reads (`--manifests`, ./manifests, the bundled ecosystem), and
`validate --env`, through the real CLI."""

from __future__ import annotations

from tests_support import SMALL

ENV = """
kind: Environment
name: prod
deployed: {open-zaak: 1.26.0, open-notificaties: 1.8.0, postgresql: "15"}
"""


def test_manifests_after_the_command_gets_a_hint(write, ozr) -> None:
    write("m/eco.yaml", SMALL)
    for args in (["validate", "--manifests", "m"], ["plan", "--manifests=m"]):
        result = ozr(*args)
        assert result.exit_code == 2
        assert (
            "--manifests belongs to ozrelease itself and goes before the command: "
            f"ozrelease --manifests DIR {args[0]} ..."
        ) in result.stderr, result.stderr


def test_manifests_bundled_names_the_bundled_ecosystem(write, ozr) -> None:
    write("manifests/eco.yaml", SMALL)  # would be the default
    result = ozr("--manifests", "bundled", "validate")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("the bundled Open Zaak ecosystem (")
    assert "/manifests): valid (13 components" in result.stdout
    assert ozr("validate").stdout.startswith("manifests: valid (3 components")
    write("bundled/eco.yaml", SMALL)  # a folder of that name is ./bundled
    own = ozr("--manifests", "./bundled", "validate")
    assert own.stdout == "bundled: valid (3 components, 7 releases, 3 APIs, 0 environments)\n"


def test_a_manifests_folder_of_another_tool_falls_back_to_the_bundled_one(write, ozr) -> None:
    write(
        "manifests/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n",
    )
    write("manifests/values.yaml", "replicaCount: 2\n")
    result = ozr("validate")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("the bundled Open Zaak ecosystem (")
    assert "): valid (13 components" in result.stdout
    assert result.stderr == (
        "manifests: note: no ozrelease manifests here (no document of kind Component, API, "
        "Environment); using the bundled Open Zaak ecosystem (--manifests DIR to choose, "
        "--manifests bundled to say so)\n"
    )
    plan = ozr("plan", "--format", "json")  # a real plan of the bundled example
    assert plan.exit_code == 0 and '"environment": "example-gemeente"' in plan.stdout
    # Named explicitly, the same folder is what the user asked for: its kinds are refused.
    explicit = ozr("--manifests", "manifests", "validate")
    assert explicit.exit_code == 1
    assert "manifests/deployment.yaml:2: unknown kind 'Deployment'" in explicit.stderr


def test_a_typo_in_a_kind_is_no_reason_to_fall_back(write, ozr) -> None:
    write("manifests/x.yaml", "kind: Componnet\nname: x\n")
    result = ozr("validate")
    assert result.exit_code == 1
    assert "unknown kind 'Componnet' (did you mean 'Component'?)" in result.stderr


def test_an_empty_manifests_folder_is_an_error(tmp_path, ozr) -> None:
    (tmp_path / "empty").mkdir()
    result = ozr("--manifests", "empty", "validate")
    assert result.exit_code == 2
    assert result.stderr == "error: empty: no manifests here (no YAML documents)\n"
    assert "valid" not in result.stdout


def test_validate_checks_an_environment_file(write, ozr) -> None:
    write("manifests/eco.yaml", SMALL)
    good = write("prod.yaml", ENV)
    result = ozr("validate", "--env", str(good))
    assert result.exit_code == 0, result.output
    assert f"{good}: environment prod valid (3 deployed components)" in result.stdout
    bad = write("bad.yaml", ENV.replace("1.8.0", "1.9.0") + "targets: {open-zak: latest}\n")
    result = ozr("validate", "--env", str(bad))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{bad}:3: environment prod: deploys open-notificaties 1.9.0")
    assert lines[1].startswith(f"{bad}:4: environment prod: targets: 'open-zak' is not deployed")
    assert "(did you mean 'open-zaak'?)" in lines[1]
    assert lines[2] == "2 problems found."


def test_the_installed_command_hints_and_falls_back(write, tmp_path) -> None:
    import subprocess

    from tests_support import installed_ozrelease

    write("manifests/deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\n")
    run = [installed_ozrelease()]
    hint = subprocess.run(
        [*run, "validate", "--manifests", "manifests"], cwd=tmp_path, capture_output=True, text=True
    )
    assert hint.returncode == 2 and "Traceback" not in hint.stderr
    assert "--manifests belongs to ozrelease itself and goes before the command" in hint.stderr
    fallback = subprocess.run(
        [*run, "graph", "--format", "json"], cwd=tmp_path, capture_output=True, text=True
    )
    assert fallback.returncode == 0, fallback.stderr
    assert fallback.stderr.startswith("manifests: note: no ozrelease manifests here")
    assert '"format": "ozrelease-graph/1"' in fallback.stdout  # stdout stays machine-readable


def test_no_fall_back_past_what_could_not_be_read(write, tmp_path, ozr) -> None:
    import os

    write("manifests/deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\n")
    os.mkfifo(tmp_path / "manifests" / "pipe.yaml")  # what it holds is unknown
    result = ozr("validate")
    assert result.exit_code == 1
    assert "manifests/pipe.yaml: not a regular file" in result.stderr
    assert "bundled" not in result.stdout + result.stderr


def test_a_kustomize_or_dapr_component_is_not_taken_for_an_ozrelease_one(write, ozr) -> None:
    # `kind: Component` is a kustomize and a Dapr kind too; with its apiVersion it is a
    # Kubernetes object, and ./manifests of such a repository is not our ecosystem.
    write(
        "manifests/components/ha/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
        "resources: [deployment.yaml]\n",
    )
    write(
        "manifests/dapr.yaml",
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: statestore}\n"
        "spec: {type: state.redis}\n---\napiVersion: [odd]\nkind: [odd]\n",
    )
    result = ozr("plan", "--format", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("manifests: note: no ozrelease manifests here")
    explicit = ozr("--manifests", "manifests", "validate")
    assert explicit.exit_code == 1
    assert explicit.stderr.splitlines() == [
        "manifests/components/ha/kustomization.yaml:1: kind 'Component' with an apiVersion: "
        "a Kubernetes object, not an ozrelease manifest (ozrelease's Component, API, "
        "Environment have no apiVersion)",
        "manifests/dapr.yaml:1: kind 'Component' with an apiVersion: a Kubernetes object, not "
        "an ozrelease manifest (ozrelease's Component, API, Environment have no apiVersion)",
        "manifests/dapr.yaml:7: unknown kind ['odd'] (one of Component, API, Environment)",
        "3 problems found.",
    ]
