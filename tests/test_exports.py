"""Engine exports (`plan --format helm|argocd|ansible`) through the real CLI: golden files,
every export parsed, and the Helm script run against a fake `helm` that records its argv."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
import yaml
from test_runbook import SMALL, TODAY, golden

from ozrelease.cli import plan as plan_cli


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan_cli, "_today", lambda: TODAY)


@pytest.fixture
def small(write) -> Path:
    return write("manifests/all.yaml", SMALL)


# Two instances of one component whose versions look like numbers to YAML and to helm --set.
FLEET = """
kind: Component
name: app
deploy:
  helm: {release: app, chart: example/app, repository: https://charts.example.org}
releases:
  - version: "1"
    chart: "1.0.0"
  - version: "2"
    chart: "1.1.0"
---
kind: Environment
name: fleet
deployed: {app@a: "1", app@b: "1"}
targets: {app: "2"}
"""


def documents(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


# ------------------------------------------------------------------ Helm script


def test_helm_script_golden_and_valid_sh(small, ozr, tmp_path) -> None:
    result = ozr("plan", "--format", "helm")
    assert result.exit_code == 0, result.output
    golden("small.helm.sh", result.stdout)
    script = tmp_path / "upgrade.sh"
    script.write_text(result.stdout)
    check = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    assert result.stdout.startswith("#!/bin/sh\n")
    assert "\nset -eu\n" in result.stdout


def test_bundled_example_helm_script_is_valid_sh(ozr, tmp_path) -> None:
    result = ozr("plan", "--format", "helm")
    assert result.exit_code == 0
    script = tmp_path / "upgrade.sh"
    script.write_text(result.stdout)
    assert subprocess.run(["sh", "-n", str(script)]).returncode == 0
    # the Open Object chart rename (objecten -> openobject) asks the operator first
    rename = result.stdout.index("confirm 'The Helm release changes from objecten")
    assert rename < result.stdout.index("helm upgrade --install openobject maykinmedia/openobject")


class FakeTools:
    """`helm` and `curl` on PATH that append their argv to a log; helm fails when an
    argument equals $FAKE_FAIL."""

    def __init__(self, root: Path):
        self.bin = root / "bin"
        self.bin.mkdir()
        self.log = root / "calls.log"
        for tool in ("helm", "curl"):
            path = self.bin / tool
            path.write_text(
                "#!/bin/sh\n"
                f'printf "%s" "{tool}" >> "$FAKE_LOG"\n'
                'for arg in "$@"; do printf " %s" "$arg" >> "$FAKE_LOG"; done\n'
                'printf "\\n" >> "$FAKE_LOG"\n'
                'for arg in "$@"; do\n'
                '  if [ -n "${FAKE_FAIL:-}" ] && [ "$arg" = "$FAKE_FAIL" ]; then exit 3; fi\n'
                "done\n"
            )
            path.chmod(path.stat().st_mode | stat.S_IXUSR)

    def run(self, script: Path, **env: str) -> subprocess.CompletedProcess[str]:
        if self.log.exists():
            self.log.unlink()
        environ = {
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "FAKE_LOG": str(self.log),
            "HOME": str(script.parent),
            **env,
        }
        # A new session has no controlling terminal: /dev/tty cannot be opened, as in CI.
        return subprocess.run(
            ["sh", str(script)],
            env=environ,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            timeout=30,
        )

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []


@pytest.fixture
def script(small, ozr, tmp_path) -> Path:
    path = tmp_path / "upgrade.sh"
    path.write_text(ozr("plan", "--format", "helm").stdout)
    return path


@pytest.fixture
def tools(tmp_path) -> FakeTools:
    return FakeTools(tmp_path)


WINDOW_1 = [
    "helm upgrade --install zaak example/zaak --set image.tag=1.1.0 --wait",
    "helm status zaak",
]
WINDOW_2 = [
    "helm upgrade --install notif example/notif --version 0.2.0 --namespace zgw "
    "--set image.tag=2.0.0 --wait",
    "curl --fail --silent --show-error --retry 10 --retry-connrefused --retry-delay 3 "
    "--output /dev/null https://notif.example.org/api/",
    "helm upgrade --install zaak example/zaak --version 2.0.0 --set image.tag=2.0.0 --wait",
    "helm status zaak",
]
REPO = ["helm repo add --force-update example https://charts.example.org"]


def test_helm_script_runs_every_window_in_order(script, tools, tmp_path) -> None:
    backups = tmp_path / "backups.log"
    done = tools.run(
        script,
        OZRELEASE_NO_PAUSE="1",
        OZRELEASE_YES="1",
        OZRELEASE_BACKUP_CMD=f'echo "window $OZRELEASE_WINDOW" >> {backups}',
    )
    assert done.returncode == 0, done.stderr
    assert tools.calls() == REPO + WINDOW_1 + WINDOW_2
    # the backup ran once, before window 2 (the irreversible one), with its number
    assert backups.read_text() == "window 2\n"
    # the manual step (db has no Helm hints) stopped for confirmation
    assert (
        "MANUAL: No Helm deploy hints for db in the manifests: upgrade it from 14 to 16 by hand\n"
        "(confirmed by OZRELEASE_YES=1)" in done.stdout
    )
    assert done.stdout.rstrip().endswith("== Done: test is at db 16, notif 2.0.0, zaak 2.0.0")


def test_helm_script_stops_at_the_first_failure_and_resumes(script, tools) -> None:
    failed = tools.run(script, OZRELEASE_NO_PAUSE="1", OZRELEASE_YES="1", FAKE_FAIL="notif")
    assert failed.returncode == 3
    assert tools.calls() == REPO + WINDOW_1 + WINDOW_2[:1]  # nothing after the failure
    assert (
        "FAILED in window 2, step 2.2: notif 1.0.0 -> 2.0.0. Fix it (see the runbook's "
        "rollback), then resume with OZRELEASE_FROM_WINDOW=2" in failed.stderr
    )
    resumed = tools.run(
        script, OZRELEASE_NO_PAUSE="1", OZRELEASE_YES="1", OZRELEASE_FROM_WINDOW="2"
    )
    assert resumed.returncode == 0, resumed.stderr
    assert tools.calls() == REPO + WINDOW_2  # window 1 is not run again (no downgrade)
    bad = tools.run(script, OZRELEASE_FROM_WINDOW="two")
    assert bad.returncode == 2 and "must be a window number" in bad.stderr


def test_helm_script_waits_for_people_between_windows(script, tools) -> None:
    # No terminal and no OZRELEASE_NO_PAUSE: window 1 runs, then it stops before window 2.
    paused = tools.run(script)
    assert paused.returncode == 1
    assert tools.calls() == REPO + WINDOW_1
    assert "no terminal to pause on: resume with OZRELEASE_FROM_WINDOW=2" in paused.stderr
    # No pauses, but the backup and the manual step still need someone to confirm them.
    unconfirmed = tools.run(script, OZRELEASE_NO_PAUSE="1")
    assert unconfirmed.returncode == 1
    assert tools.calls() == REPO + WINDOW_1
    assert "MANUAL: Back up the databases of db, notif and zaak before window 2" in (
        unconfirmed.stdout
    )
    assert "no terminal to confirm on" in unconfirmed.stderr


def test_helm_script_passes_extra_helm_args(script, tools) -> None:
    done = tools.run(
        script,
        OZRELEASE_NO_PAUSE="1",
        OZRELEASE_YES="1",
        OZRELEASE_HELM_ARGS="--kube-context prod --timeout 30m",
    )
    assert done.returncode == 0, done.stderr
    upgrades = [c for c in tools.calls() if c.startswith("helm upgrade")]
    assert len(upgrades) == 3
    assert all(c.endswith("--wait --kube-context prod --timeout 30m") for c in upgrades)


def test_helm_script_quotes_whatever_the_manifests_hold(write, ozr, tools, tmp_path) -> None:
    write(
        "manifests/all.yaml",
        FLEET.replace("release: app,", 'release: "app; touch pwned $(touch pwned2)",').replace(
            "chart: example/app", 'chart: "example/app\'x"'
        ),
    )
    result = ozr("plan", "--format", "helm")
    assert result.exit_code == 0, result.output
    path = tmp_path / "upgrade.sh"
    path.write_text(result.stdout)
    done = tools.run(path, OZRELEASE_NO_PAUSE="1", OZRELEASE_YES="1")
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()
    assert (
        "helm upgrade --install app; touch pwned $(touch pwned2)-a example/app'x --version "
        "1.1.0 --set image.tag=2 --wait" in tools.calls()
    )


# ------------------------------------------------------------------ Argo CD


def test_argocd_golden_and_structure(small, ozr) -> None:
    result = ozr("plan", "--format", "argocd")
    assert result.exit_code == 0, result.output
    golden("small.argocd.yaml", result.stdout)
    apps = documents(result.stdout)
    # one Application per step that Helm can deploy; db (no hints) is a marked manual step
    assert [a["metadata"]["annotations"]["ozrelease/step"] for a in apps] == [
        "zaak 1.0.0 -> 1.1.0",
        "notif 1.0.0 -> 2.0.0",
        "zaak 1.1.0 -> 2.0.0",
    ]
    assert "# MANUAL STEP 2.1 (wave 201): No Helm deploy hints for db" in result.stdout
    assert all(a["apiVersion"] == "argoproj.io/v1alpha1" for a in apps)
    assert all(a["kind"] == "Application" for a in apps)
    waves = [int(a["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) for a in apps]
    windows = [int(a["metadata"]["annotations"]["ozrelease/window"]) for a in apps]
    assert waves == sorted(waves) and len(set(waves)) == len(waves)
    assert windows == [1, 2, 2]
    assert waves == [101, 202, 203]  # notif (provider) before zaak (consumer) in window 2
    notif = apps[1]
    assert notif["metadata"]["name"] == "notif"
    assert notif["spec"]["source"] == {
        "repoURL": "https://charts.example.org",
        "chart": "notif",
        "targetRevision": "0.2.0",
        "helm": {
            "releaseName": "notif",
            "parameters": [{"name": "image.tag", "value": "2.0.0", "forceString": True}],
        },
    }
    assert notif["spec"]["destination"]["namespace"] == "zgw"
    # a release no chart ships: the newest chart, and a comment that says so
    assert apps[0]["spec"]["source"]["targetRevision"] == "*"
    assert "No chart version in the manifests ships 1.1.0" in result.stdout


def test_argocd_instances_and_numeric_versions(write, ozr) -> None:
    write("manifests/all.yaml", FLEET)
    apps = documents(ozr("plan", "--format", "argocd").stdout)
    assert [a["metadata"]["name"] for a in apps] == ["app-a", "app-b"]
    for app in apps:
        parameter = app["spec"]["source"]["helm"]["parameters"][0]
        assert parameter["value"] == "2" and isinstance(parameter["value"], str)
        assert app["spec"]["source"]["targetRevision"] == "1.1.0"


def test_bundled_example_argocd(ozr) -> None:
    result = ozr("plan", "--format", "argocd")
    apps = documents(result.stdout)
    assert len(apps) == 7  # every step of the example has Helm hints
    waves = [int(a["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) for a in apps]
    assert waves == sorted(waves)
    # providers first inside window 1: objecttypes-api before open-object, which Open Forms
    # consumes
    names = [a["metadata"]["name"] for a in apps]
    assert names[:4] == ["objecttypen", "objecten", "openzaak", "openforms"]
    assert "Replaces Application objecten" in result.stdout


# ------------------------------------------------------------------ Ansible


def test_ansible_golden_and_structure(small, ozr) -> None:
    result = ozr("plan", "--format", "ansible")
    assert result.exit_code == 0, result.output
    golden("small.ansible.yaml", result.stdout)
    [plays] = list(yaml.safe_load_all(result.stdout))  # one document: the list of plays
    assert [p["name"] for p in plays] == [
        "Window 1 of 2: zaak 1.0.0 -> 1.1.0",
        "Window 2 of 2: db 14 -> 16, notif 1.0.0 -> 2.0.0, zaak 1.1.0 -> 2.0.0",
    ]
    assert all(p["any_errors_fatal"] is True and p["hosts"] == "localhost" for p in plays)
    first, second = plays
    assert "pre_tasks" not in first  # nothing irreversible, no migrations, nothing before it
    # window 2: a pause before it, then the backup (a command, or a confirmed pause)
    pre = [t["name"] for t in second["pre_tasks"]]
    assert pre == [
        "Start window 2 of 2",
        "Backup before window 2",
        "Backup before window 2 (by hand)",
        "Backup before window 2 (by hand): confirmed",
    ]
    assert second["pre_tasks"][1]["ansible.builtin.shell"] == "{{ ozrelease_backup_command }}"
    # a task per step, in order; the manual step must be confirmed
    tasks = second["tasks"]
    assert [t["name"] for t in tasks] == [
        "Step 2.1: db 14 -> 16 (MANUAL)",
        "Step 2.1: db 14 -> 16 (MANUAL): confirmed",
        "Step 2.2: notif 1.0.0 -> 2.0.0",
        "Step 2.3: zaak 1.1.0 -> 2.0.0",
    ]
    assert "ansible.builtin.pause" in tasks[0] and "ansible.builtin.assert" in tasks[1]
    assert tasks[2]["kubernetes.core.helm"] == {
        "name": "notif",
        "chart_ref": "notif",
        "chart_repo_url": "https://charts.example.org",
        "chart_version": "0.2.0",
        "release_namespace": "zgw",
        "release_state": "present",
        "values": {"image": {"tag": "2.0.0"}},
        "wait": True,
    }
    # health checks after the steps: the manifests' URL, else helm says deployed
    post = second["post_tasks"]
    assert post[0]["ansible.builtin.uri"]["url"] == "https://notif.example.org/api/"
    assert post[1]["kubernetes.core.helm_info"]["name"] == "zaak"


def test_ansible_numeric_versions_stay_strings(write, ozr) -> None:
    write("manifests/all.yaml", FLEET)
    [play] = yaml.safe_load(ozr("plan", "--format", "ansible").stdout)
    tags = [t["kubernetes.core.helm"]["values"]["image"]["tag"] for t in play["tasks"]]
    assert tags == ["2", "2"]
    assert [t["kubernetes.core.helm"]["name"] for t in play["tasks"]] == ["app-a", "app-b"]


def test_bundled_example_ansible(ozr) -> None:
    plays = yaml.safe_load(ozr("plan", "--format", "ansible").stdout)
    assert [p["name"].split(":")[0] for p in plays] == [
        "Window 1 of 3",
        "Window 2 of 3",
        "Window 3 of 3",
    ]
    assert sum(len(p["tasks"]) for p in plays) == 7 + 2  # + the confirmed objecten rename


# ------------------------------------------------------------------ infeasible


@pytest.mark.parametrize("fmt", ["helm", "argocd", "ansible"])
def test_infeasible_exports_print_nothing_and_exit_1(small, ozr, tmp_path, fmt) -> None:
    args = ("plan", "--format", fmt, "--to", "zaak=2.0.0", "--to", "db=14")
    result = ozr(*args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: no safe plan exists for test:\n  ")
    out = tmp_path / "out"
    assert ozr(*args, "-o", str(out)).exit_code == 1
    assert not out.exists()
