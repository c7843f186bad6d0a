"""Engine exports (`plan --format helm|argocd|ansible`) run for real against stand-in `helm`
and `kubectl` that keep state and apply helm 3's value rules (tests/standins.py).

The cluster is configured the way a municipality's is: every release carries its own
values (database host and password, secret key, ingress). After a run, every release must
still have them, run the pinned chart and the new image; the renamed Open Object release
must have taken over the old one's values, and the old one must be gone only after the new
one was healthy. Expectations are written by hand from the manifests, not computed by the
code under test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from standins import add_chart, add_release, computed, empty_state, install_standins, load, save
from tests_support import examples

from ozrelease.cli import plan as plan_cli

REPO = Path(__file__).resolve().parent.parent
MANIFESTS = REPO / "manifests"
CONFIRMED = (
    "open-object.import_objecttypes open-object.env_renames "
    "open-forms.check_disable_next_logic_action open-forms.report_invalid_form_logic"
)

# The bundled example with where it runs: namespace zgw, kube context prod, and a values file
# for Open Zaak.
PROD = """
kind: Environment
name: example-gemeente
deployed:
  open-zaak: "1.26.0"
  open-notificaties: "1.14.0"
  open-forms: "3.1.9"
  open-object: "3.5.0"
  objecttypes-api: "3.3.0"
  open-klant: "2.4.0"
  postgresql: "15"
  redis: "7"
  rabbitmq: "3"
wiring:
  open-forms: {objecttypen: objecttypes-api}
targets: {open-zaak: latest, open-forms: latest, open-object: latest}
deploy:
  open-zaak: {namespace: zgw, kubeContext: prod, chart: "1.13.1", values: [VALUES]}
  open-forms: {namespace: zgw, kubeContext: prod, chart: "1.9.0"}
  open-object: {namespace: zgw, kubeContext: prod}
  objecttypes-api: {namespace: zgw, kubeContext: prod}
"""

# release -> (chart, chart version, image tag) after the bundled plan, read by hand from the
# manifests: Open Zaak 1.30.0 and Open Forms 3.5.6 have no published chart, so they keep
# the chart deployed now; Objecttypes 3.4.0 ships with objecttypen 1.6.1; Open Object 4.3.0
# has none either, and the openobject chart is new to it: the newest one the manifests name
# (1.1.1, which ships 4.1.0).
EXPECTED = {
    "openzaak": ("openzaak", "1.13.1", "1.30.0"),
    "openforms": ("openforms", "1.9.0", "3.5.6"),
    # least-change: the newest patch of the oldest working minor, 3.4.2; no chart in the
    # manifests ships it, so the chart deployed now stays and only the image moves
    "objecttypen": ("objecttypen", "1.5.0", "3.4.2"),
    "openobject": ("openobject", "1.1.1", "4.3.0"),
}
START = {
    "openzaak": ("openzaak", "1.13.1", "1.26.0"),
    "openforms": ("openforms", "1.9.0", "3.1.9"),
    "objecttypen": ("objecttypen", "1.5.0", "3.3.0"),
    "objecten": ("objecten", "2.11.0", "3.5.0"),
}


def own_values(name: str, tag: str) -> dict[str, Any]:
    """What a municipality configured: its database, secret key and ingress."""
    return {
        "database": {"host": f"db-{name}.zgw.svc", "name": name, "password": "SUPER-SECRET"},
        "secretKey": f"key-of-{name}",
        "ingress": {"enabled": True, "hosts": [f"{name}.gemeente.nl"]},
        "image": {"tag": tag},
    }


def catalog(state: dict[str, Any]) -> None:
    """Every chart version the bundled manifests name, with the release it ships."""
    for path in sorted((MANIFESTS / "components").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc or doc.get("kind") != "Component":
                continue
            default = ((doc.get("deploy") or {}).get("helm") or {}).get("chart")
            for r in doc["releases"]:
                chart = ((r.get("deploy") or {}).get("helm") or {}).get("chart", default)
                if chart and r.get("chart"):
                    add_chart(state, chart.rsplit("/", 1)[-1], str(r["chart"]), str(r["version"]))


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan_cli.options, "today", lambda: __import__("datetime").date(2026, 6, 1))


class Cluster:
    """The stand-ins on PATH and their state."""

    def __init__(self, root: Path, *, namespace: str = "zgw", context: str = "prod"):
        self.root = root
        self.bin = root / "bin"
        self.state_file = root / "cluster.json"
        root.mkdir(parents=True, exist_ok=True)
        state = empty_state()
        catalog(state)
        for name, (chart, version, tag) in START.items():
            add_release(
                state,
                name,
                chart,
                version,
                own_values(name, tag),
                namespace=namespace,
                context=context,
            )
        save(self.state_file, state)
        install_standins(self.bin, self.state_file)

    @property
    def state(self) -> dict[str, Any]:
        return load(self.state_file)

    def releases(self) -> dict[str, dict[str, Any]]:
        return {r["name"]: r for r in self.state["releases"].values()}

    def env(self, **more: str) -> dict[str, str]:
        return {
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "STANDIN_STATE": str(self.state_file),
            "HOME": str(self.root),
            **more,
        }

    def run(self, argv: list[str], **env: str) -> subprocess.CompletedProcess[str]:
        # A new session has no controlling terminal: /dev/tty cannot be opened, as in CI.
        return subprocess.run(
            argv,
            env=self.env(**env),
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            timeout=300,
            cwd=self.root,
        )

    def calls(self, tool: str = "helm", verb: str | None = None) -> list[list[str]]:
        return [
            c["argv"]
            for c in self.state["log"]
            if c["tool"] == tool and (verb is None or verb in c["argv"])
        ]


@pytest.fixture
def prod(tmp_path: Path) -> Path:
    values = tmp_path / "openzaak-values.yaml"
    values.write_text("extraEnv: {SITE_DOMAIN: zaken.gemeente.nl}\n")
    env = tmp_path / "prod.yaml"
    env.write_text(PROD.replace("VALUES", str(values)))
    return env


@pytest.fixture
def cluster(tmp_path: Path) -> Cluster:
    return Cluster(tmp_path / "cluster")


def export(ozr, fmt: str, *args: str) -> str:
    result = ozr("--manifests", str(MANIFESTS), "plan", "--format", fmt, *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def assert_upgraded(cluster: Cluster) -> None:
    """Every release kept its own values, runs the pinned chart and the new image, and the
    renamed release took over the old one's values."""
    releases = cluster.releases()
    assert set(releases) == set(EXPECTED)  # objecten is gone, openobject is there
    for name, (chart, version, tag) in EXPECTED.items():
        r = releases[name]
        assert (r["chart"], r["version"]) == (chart, version), name
        assert not r["floating"], f"{name} was deployed without --version"
        assert computed(r)["image"]["tag"] == tag, name
        assert (r["namespace"], r["context"]) == ("zgw", "prod"), name
        source = "objecten" if name == "openobject" else name
        kept = {k: v for k, v in own_values(source, "").items() if k != "image"}
        for key, value in kept.items():
            assert r["config"][key] == value, f"{name} lost its {key}"
    assert cluster.state["violations"] == []


def assert_rename_order(cluster: Cluster) -> None:
    log = [c["argv"] for c in cluster.state["log"]]

    def index(*words: str) -> int:
        return next(i for i, a in enumerate(log) if all(w in a for w in words))

    scaled = next(
        i
        for i, c in enumerate(cluster.state["log"])
        if c["tool"] == "kubectl" and "scale" in c["argv"]
    )
    installed = next(
        i for i, a in enumerate(log) if ("install" in a or "upgrade" in a) and "openobject" in a
    )
    uninstalled = index("uninstall", "objecten")
    healthy = next(
        i
        for i, a in enumerate(log)
        if i > installed and ("status" in a or "list" in a) and any("openobject" in w for w in a)
    )
    assert scaled < installed < healthy < uninstalled


# ------------------------------------------------------------------ the helm script


@pytest.fixture
def script(ozr, prod, tmp_path) -> Path:
    path = tmp_path / "upgrade.sh"
    result = ozr(
        "--manifests",
        str(MANIFESTS),
        "plan",
        "--env",
        str(prod),
        "--format",
        "helm",
        "-o",
        str(path),
    )
    assert result.exit_code == 0, result.output
    return path


def test_helm_script_keeps_values_pins_charts_and_renames(script, cluster) -> None:
    done = cluster.run(
        ["sh", str(script)],
        OZRELEASE_NO_PAUSE="1",
        OZRELEASE_YES="1",
        OZRELEASE_CONFIRMED=CONFIRMED,
    )
    assert done.returncode == 0, done.stderr
    assert_upgraded(cluster)
    assert_rename_order(cluster)
    # the values file of the environment reached every Open Zaak upgrade
    assert cluster.releases()["openzaak"]["config"]["extraEnv"] == {
        "SITE_DOMAIN": "zaken.gemeente.nl"
    }
    # every helm call that touches a release ran where the environment says
    for argv in cluster.calls("helm"):
        if argv[0] in ("upgrade", "install", "uninstall", "status", "list", "get"):
            assert "--kube-context" in argv and "prod" in argv, argv
    # the automatic action ran in Open Forms' 3.2 container, before the 3.3 step
    assert cluster.state["exec"] == [
        {
            "target": "deploy/openforms",
            "version": "3.2.9",
            "argv": ["src/manage.py", "report_duplicate_merchant_pspids"],
        }
    ]
    assert "FAILED" not in done.stderr


def test_helm_script_stops_at_a_manual_gate_even_with_yes(script, cluster) -> None:
    stopped = cluster.run(["sh", str(script)], OZRELEASE_NO_PAUSE="1", OZRELEASE_YES="1")
    assert stopped.returncode == 1
    assert "stopped at gate open-object.import_objecttypes" in stopped.stderr
    assert "FAILED" not in stopped.stderr
    releases = cluster.releases()
    # window 1 ran; the Open Object 4.x step did not start
    assert "openobject" not in releases
    assert computed(releases["objecten"])["image"]["tag"] == "3.6.2"
    assert releases["objecten"]["replicas"] == 1
    # confirming it by name (and the other one) lets the run resume where it stopped
    resumed = cluster.run(
        ["sh", str(script)],
        OZRELEASE_NO_PAUSE="1",
        OZRELEASE_YES="1",
        OZRELEASE_FROM_WINDOW="2",
        OZRELEASE_CONFIRMED=CONFIRMED,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert_upgraded(cluster)


def test_helm_script_stops_before_anything_changes_when_helm_list_differs(script, cluster) -> None:
    state = cluster.state
    key = next(k for k, r in state["releases"].items() if r["name"] == "openzaak")
    state["releases"][key]["config"]["image"]["tag"] = "1.25.0"
    key = next(k for k, r in state["releases"].items() if r["name"] == "objecttypen")
    state["releases"][key]["version"] = "1.4.0"
    save(cluster.state_file, state)
    before = cluster.state["releases"]
    stopped = cluster.run(
        ["sh", str(script)],
        OZRELEASE_NO_PAUSE="1",
        OZRELEASE_YES="1",
        OZRELEASE_CONFIRMED=CONFIRMED,
    )
    assert stopped.returncode == 1
    assert "openzaak runs 1.25.0, the plan starts from 1.26.0" in stopped.stderr
    assert "objecttypen runs chart objecttypen-1.4.0, the plan starts from objecttypen-1.5.0" in (
        stopped.stderr
    )
    assert "nothing was changed" in stopped.stderr
    assert cluster.calls("helm", "upgrade") == [] and cluster.calls("helm", "install") == []
    assert cluster.state["releases"] == before


def test_helm_script_fails_where_helm_fails_and_says_so(script, cluster) -> None:
    failed = cluster.run(
        ["sh", str(script)],
        OZRELEASE_NO_PAUSE="1",
        OZRELEASE_YES="1",
        OZRELEASE_CONFIRMED=CONFIRMED,
        FAKE_HELM_FAIL="openzaak",
    )
    assert failed.returncode != 0
    assert "FAILED in window 1, step 1.3: open-zaak 1.26.0 -> 1.30.0" in failed.stderr
    assert computed(cluster.releases()["openzaak"])["image"]["tag"] == "1.26.0"


def test_helm_script_window_numbers_and_pauses(script, cluster) -> None:
    beyond = cluster.run(["sh", str(script)], OZRELEASE_FROM_WINDOW="9")
    assert beyond.returncode == 2 and "this plan has windows 1 to 3" in beyond.stderr
    bad = cluster.run(["sh", str(script)], OZRELEASE_FROM_WINDOW="two")
    assert bad.returncode == 2 and "must be a window number" in bad.stderr
    paused = cluster.run(["sh", str(script)], OZRELEASE_YES="1", OZRELEASE_CONFIRMED=CONFIRMED)
    assert paused.returncode == 1
    assert "paused: no terminal; resume with OZRELEASE_FROM_WINDOW=2" in paused.stderr
    assert "FAILED" not in paused.stderr
    assert cluster.state["log"] and beyond.stdout == ""


def test_helm_script_is_executable_shellcheck_clean_and_o_dash_is_stdout(script, ozr, prod) -> None:
    assert script.stat().st_mode & 0o777 == 0o755
    assert script.read_text().startswith("#!/bin/sh\n")
    assert subprocess.run(["sh", "-n", str(script)]).returncode == 0
    dash = ozr(
        "--manifests", str(MANIFESTS), "plan", "--env", str(prod), "--format", "helm", "-o", "-"
    )
    assert dash.stdout == script.read_text()
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (.ci/run installs it)")
    check = subprocess.run(
        ["shellcheck", "--shell=sh", str(script)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout


def test_helm_script_without_namespaces_says_so(ozr) -> None:
    text = export(ozr, "helm")
    assert "# WARNING: the environment names no namespace for objecttypes-api, open-forms" in text
    assert " --install" not in text


# ------------------------------------------------------------------ Ansible

ansible = pytest.mark.skipif(
    shutil.which("ansible-playbook") is None,
    reason="ansible-core is not installed (.ci/run installs ansible with kubernetes.core)",
)


def run_playbook(cluster: Cluster, playbook: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return cluster.run(
        ["ansible-playbook", "-i", "localhost,", str(playbook), *extra],
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        ANSIBLE_LOCAL_TEMP=str(cluster.root / "ansible-tmp"),
        ANSIBLE_HOME=str(cluster.root / "ansible-home"),
    )


@pytest.fixture
def playbook(ozr, prod, tmp_path) -> Path:
    path = tmp_path / "upgrade.yaml"
    path.write_text(export(ozr, "ansible", "--env", str(prod)))
    return path


@ansible
@pytest.mark.slow
def test_ansible_playbook_keeps_values_pins_charts_and_renames(playbook, cluster) -> None:
    confirmed = json.dumps({"ozrelease_confirmed": CONFIRMED.split()})
    done = run_playbook(
        cluster, playbook, "-e", "ozrelease_no_pause=true ozrelease_yes=true", "-e", confirmed
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert_upgraded(cluster)
    assert_rename_order(cluster)
    assert cluster.releases()["openzaak"]["config"]["extraEnv"] == {
        "SITE_DOMAIN": "zaken.gemeente.nl"
    }
    assert [e["argv"] for e in cluster.state["exec"]] == [
        ["src/manage.py", "report_duplicate_merchant_pspids"]
    ]


@ansible
@pytest.mark.slow
def test_ansible_gate_and_preflight_stop_the_play(playbook, cluster) -> None:
    stopped = run_playbook(cluster, playbook, "-e", "ozrelease_no_pause=true ozrelease_yes=true")
    assert stopped.returncode != 0
    assert "stopped at gate open-object.import_objecttypes" in stopped.stdout
    assert "openobject" not in cluster.releases()

    fresh = Cluster(cluster.root.parent / "fresh")
    state = fresh.state
    key = next(k for k, r in state["releases"].items() if r["name"] == "openzaak")
    state["releases"][key]["config"]["image"]["tag"] = "1.25.0"
    save(fresh.state_file, state)
    confirmed = json.dumps({"ozrelease_confirmed": CONFIRMED.split()})
    mismatch = run_playbook(
        fresh, playbook, "-e", "ozrelease_no_pause=true ozrelease_yes=true", "-e", confirmed
    )
    assert mismatch.returncode != 0
    assert "openzaak is not at the plan's start" in mismatch.stdout
    assert fresh.calls("helm", "upgrade") == []


def test_ansible_playbook_shape(playbook) -> None:
    text = playbook.read_text()
    plays = yaml.load(text, Loader=_AnsibleLoader)
    assert len(plays) == 3
    helm_tasks = [
        t["kubernetes.core.helm"]
        for play in plays
        for t in _tasks(play)
        if "kubernetes.core.helm" in t
        and t["kubernetes.core.helm"].get("release_state") == "present"
    ]
    assert helm_tasks
    for task in helm_tasks:
        assert "chart_version" in task
        if task["name"] != "openobject":
            assert task["reuse_values"] is True and task["reset_values"] is False
        assert task["release_namespace"] == "zgw" and task["context"] == "prod"


@ansible
@pytest.mark.slow
def test_ansible_lint_production_profile(playbook, tmp_path) -> None:
    lint = shutil.which("ansible-lint")
    if lint is None:
        pytest.skip("ansible-lint is not installed (.ci/run installs it)")
    done = subprocess.run(
        [lint, "--profile", "production", "--offline", "--nocolor", str(playbook)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "ANSIBLE_HOME": str(tmp_path / "ansible-home")},
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


class _AnsibleLoader(yaml.SafeLoader):
    pass


_AnsibleLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def _tasks(play: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for section in ("pre_tasks", "tasks", "post_tasks"):
        for task in play.get(section, []):
            found += task.get("block", [task])
    return found


# ------------------------------------------------------------------ Argo CD

CRD_SCHEMA = json.loads(
    (Path(__file__).parent / "data" / "argocd-application-schema.json").read_text()
)


def application(name: str, chart: str, version: str, tag: str) -> dict[str, Any]:
    """An Application as a team keeps it: values, valueFiles and a sync policy of its own."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": "argocd"},
        "spec": {
            "project": "zgw",
            "source": {
                "repoURL": "https://maykinmedia.github.io/charts",
                "chart": chart,
                "targetRevision": version,
                "helm": {
                    "releaseName": name,
                    "valueFiles": [f"values-{name}.yaml"],
                    "valuesObject": own_values(name, tag),
                },
            },
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "zgw"},
            "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
        },
    }


def test_argocd_patches_change_only_chart_and_image(ozr, prod, cluster) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    text = export(ozr, "argocd", "--env", str(prod))
    state = cluster.state
    for name, (chart, version, tag) in START.items():
        state["applications"][name] = application(name, chart, version, tag)
    save(cluster.state_file, state)
    before = cluster.state["applications"]
    commands = [
        line[len("# Apply: ") :] for line in text.splitlines() if line.startswith("# Apply: ")
    ]
    assert commands
    for command in commands:
        done = cluster.run(["sh", "-c", command])
        assert done.returncode == 0, done.stderr
    apps = cluster.state["applications"]
    for name, app in apps.items():
        jsonschema.validate(app, CRD_SCHEMA)
        old = before[name]
        for key in ("project", "destination", "syncPolicy"):
            assert app["spec"][key] == old["spec"][key]
        helm = app["spec"]["source"]["helm"]
        assert helm["valueFiles"] == old["spec"]["source"]["helm"]["valueFiles"]
        for key in ("database", "secretKey", "ingress"):
            assert helm["valuesObject"][key] == own_values(name, "")[key]
    for name in ("openzaak", "openforms", "objecttypen"):
        chart, version, tag = EXPECTED[name]
        source = apps[name]["spec"]["source"]
        assert (source["targetRevision"], source["helm"]["valuesObject"]["image"]["tag"]) == (
            version,
            tag,
        )
    # the renamed release is a manual step that says how, behind its gates
    assert "MANUAL STEP 2.1" in text and "GATE open-object.import_objecttypes" in text
    documents = [d for d in yaml.safe_load_all(text) if d]
    assert len(documents) == len(commands)


# ------------------------------------------------------------------ Together


def test_a_together_group_is_one_block_one_wave(tmp_path) -> None:
    import dataclasses

    from ozrelease import planner
    from ozrelease.ecosystem import load as manifest
    from ozrelease.ecosystem.compat import Deployment
    from ozrelease.planner.model import Together
    from ozrelease.render import render
    from ozrelease.runbook.ansible import ansible as ansible_export
    from ozrelease.runbook.argocd import argocd
    from ozrelease.runbook.helm import helm_view

    ecosystem = manifest.load(MANIFESTS)
    env = tmp_path / "prod.yaml"
    env.write_text(PROD.replace("values: [VALUES]", "values: []"))
    deployment = Deployment(ecosystem, manifest.load_environment(ecosystem, str(env)))
    plan = planner.plan(deployment, None, strategy="fewest-windows", prefer="least-change")
    first = plan.windows[0]
    group = Together(("objecttypes-api", "open-zaak"), "they must move at once (test)")
    plan = dataclasses.replace(
        plan, windows=(dataclasses.replace(first, together=(group,)), *plan.windows[1:])
    )
    script = render("plan.helm.sh.j2", helm_view(deployment, plan))
    assert "# These move at the same time: they must move at once (test)" in script
    assert script.count("& pid_") == 2
    docs = [d for d in yaml.safe_load_all(argocd(deployment, plan)) if d]
    waves = {
        d["metadata"]["name"]: d["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
        for d in docs
        if d["metadata"]["annotations"]["ozrelease/window"] == "1"
    }
    assert waves["objecttypen"] == waves["openzaak"] != waves["objecten"]
    plays = yaml.load(ansible_export(deployment, plan), Loader=_AnsibleLoader)
    blocks = [t for t in plays[0]["tasks"] if "block" in t]
    assert len(blocks) == 1 and blocks[0]["name"].startswith("Together: objecttypes-api")
    # and the script really runs both at once against the stand-ins
    path = tmp_path / "together.sh"
    path.write_text(script)
    cluster = Cluster(tmp_path / "cluster")
    done = cluster.run(
        ["sh", str(path)], OZRELEASE_NO_PAUSE="1", OZRELEASE_YES="1", OZRELEASE_CONFIRMED=CONFIRMED
    )
    assert done.returncode == 0, done.stderr
    assert computed(cluster.releases()["openzaak"])["image"]["tag"] == "1.30.0"


# ------------------------------------------------------------------ the stand-in itself


def test_standin_applies_helm_value_rules(cluster) -> None:
    """The stand-in must catch the bug this issue is about: `--set` without reuse resets."""
    base = ["--kube-context", "prod", "--namespace", "zgw", "--version", "1.13.1"]
    cases = {
        (): lambda c: c["secretKey"] == "key-of-openzaak",  # no values given: kept
        ("--set", "image.tag=1.27.0"): lambda c: "secretKey" not in c,  # reset!
        ("--reuse-values", "--set", "image.tag=1.27.0"): lambda c: "secretKey" in c,
        ("--reset-then-reuse-values", "--set", "image.tag=1.27.0"): lambda c: "secretKey" in c,
        ("--reset-values",): lambda c: c == {},
    }
    for extra, check in cases.items():
        fresh = Cluster(cluster.root.parent / f"case{len(extra)}-{'-'.join(extra)[:20]}")
        done = fresh.run(["helm", "upgrade", *base, *extra, "openzaak", "maykinmedia/openzaak"])
        assert done.returncode == 0, done.stderr
        assert check(fresh.releases()["openzaak"]["config"]), extra


# ------------------------------------------------------------------ hostile text

HOSTILE = (
    "$(touch PWNED) `touch PWNED2` {{ lookup('pipe', 'touch PWNED3') }}\n"
    "- hosts: all\u2028- hosts: x\u0085y\u2029z \x1b]0;title\x07 \u202etxt.exe"
)


# an automatic action's run: shell syntax and YAML and Unicode breaks, but no control
# characters (those are refused in a command)
RUN = "echo $(touch PWNED) `touch PWNED2` {{ lookup('pipe', 'touch PWNED3') }} - hosts: a\u2028b"


def hostile_manifests(tmp_path: Path) -> Path:
    root = tmp_path / "hostile"
    shutil.copytree(MANIFESTS, root)
    path = root / "components" / "open-zaak.yaml"
    lines = path.read_text().split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith('  - version: "1.30.0"'))
    lines[at + 1 : at + 1] = [
        "    actions:",
        "      - when: after",
        "        manual: false",
        f"        run: {json.dumps(RUN)}",
        f"        why: {json.dumps(HOSTILE)}",
    ]
    notes = next(i for i in range(at, len(lines)) if lines[i] == "    notes:")
    lines.insert(notes + 1, f"      - {json.dumps(HOSTILE)}")
    at = next(i for i, line in enumerate(lines) if line == "deploy:")
    lines.insert(at + 1, f"  healthCheck: {json.dumps(HOSTILE)}")
    text = "\n".join(lines)
    path.write_text(text)
    return root


@pytest.mark.parametrize("fmt", ["helm", "argocd", "ansible", "markdown", "text", "json"])
def test_hostile_text_stays_inert(ozr, prod, tmp_path, fmt) -> None:
    root = hostile_manifests(tmp_path)
    result = ozr("--manifests", str(root), "plan", "--env", str(prod), "--format", fmt)
    assert result.exit_code == 0, result.output
    text = result.stdout
    # no escape sequence or bidi override reaches a terminal that shows the output
    if fmt != "json":  # JSON is data for programs: its strings say what the manifests say
        assert "\x1b" not in text and "\u202e" not in text
    if fmt in ("argocd", "ansible"):
        for line in text.splitlines():
            if line.startswith("- hosts") or line.startswith("hosts"):
                raise AssertionError(f"hostile text became YAML: {line!r}")
        assert not any(c in text for c in "\u2028\u2029\u0085")
        docs = [d for d in yaml.load_all(text, Loader=_AnsibleLoader) if d]
        clean = ozr("--manifests", str(MANIFESTS), "plan", "--env", str(prod), "--format", fmt)
        assert len(docs) == len(
            [d for d in yaml.load_all(clean.stdout, Loader=_AnsibleLoader) if d]
        )
    if fmt == "helm":
        path = tmp_path / "up.sh"
        path.write_text(text)
        cluster = Cluster(tmp_path / "cluster")
        done = cluster.run(
            ["sh", str(path)],
            OZRELEASE_NO_PAUSE="1",
            OZRELEASE_YES="1",
            OZRELEASE_CONFIRMED=CONFIRMED,
        )
        assert done.returncode == 0, done.stderr
        # the automatic action ran as words, never through a shell
        assert any(e["argv"][:2] == ["echo", "$(touch"] for e in cluster.state["exec"])
    for name in ("PWNED", "PWNED2", "PWNED3"):
        assert not (tmp_path / name).exists() and not (tmp_path / "cluster" / name).exists()


@ansible
@pytest.mark.slow
def test_hostile_text_stays_inert_in_a_real_ansible_run(ozr, prod, tmp_path) -> None:
    root = hostile_manifests(tmp_path)
    playbook = tmp_path / "up.yaml"
    result = ozr("--manifests", str(root), "plan", "--env", str(prod), "--format", "ansible")
    playbook.write_text(result.stdout)
    cluster = Cluster(tmp_path / "cluster")
    confirmed = json.dumps({"ozrelease_confirmed": CONFIRMED.split()})
    done = run_playbook(
        cluster, playbook, "-e", "ozrelease_no_pause=true ozrelease_yes=true", "-e", confirmed
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert any("{{ lookup(" in " ".join(e["argv"]) for e in cluster.state["exec"])
    for name in ("PWNED", "PWNED2", "PWNED3"):
        assert not (cluster.root / name).exists() and not (tmp_path / name).exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("namespace", "--kubeconfig=/tmp/evil"),
        ("namespace", "{{ lookup('pipe','touch /tmp/x') }}"),
        ("kubeContext", "-x"),
        ("helmRelease", "-openzaak"),
        ("chart", "--devel"),
    ],
)
def test_values_that_would_be_flags_or_templates_are_refused(ozr, prod, field, value) -> None:
    data = yaml.safe_load(prod.read_text())
    data["deploy"]["open-forms"][field] = value
    prod.write_text(yaml.safe_dump(data))
    for fmt in ("helm", "ansible", "argocd"):
        result = ozr("--manifests", str(MANIFESTS), "plan", "--env", str(prod), "--format", fmt)
        assert result.exit_code == 2, (fmt, result.output)
        assert "cannot be deployed" in result.stderr or "expected" in result.stderr


# ------------------------------------------------------------------ small ecosystem goldens


SMALL = Path(__file__).parent / "data" / "small-ecosystem.yaml"


@pytest.mark.parametrize(
    ("fmt", "name"),
    [("helm", "small.helm.sh"), ("argocd", "small.argocd.yaml"), ("ansible", "small.ansible.yaml")],
)
def test_small_ecosystem_exports_match_their_goldens(write, ozr, golden, fmt, name) -> None:
    write("manifests/all.yaml", SMALL.read_text())
    result = ozr("plan", "--format", fmt)
    assert result.exit_code == 0, result.output
    golden(f"plan/{name}", result.stdout)


@pytest.mark.parametrize("fmt", ["helm", "argocd", "ansible"])
def test_infeasible_exports_print_nothing_and_exit_1(write, ozr, fmt) -> None:
    write(
        "manifests/all.yaml",
        """
        kind: Component
        name: a
        releases:
          - version: "1"
          - version: "2"
            requires: {b: ">=2"}
        ---
        kind: Component
        name: b
        releases:
          - version: "1"
        ---
        kind: Environment
        name: e
        deployed: {a: "1", b: "1"}
        """,
    )
    result = ozr("plan", "--format", fmt, "--to", "a=2")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "no safe plan exists" in result.stderr


# ------------------------------------------------------------------ approved plans


def edit_release(root: Path, component: str, version: str, *lines: str) -> None:
    """Insert `lines` under release `version` of `component` in a copy of the manifests."""
    path = root / "components" / f"{component}.yaml"
    text = path.read_text().split("\n")
    at = next(i for i, line in enumerate(text) if line.startswith(f'  - version: "{version}"'))
    text[at + 1 : at + 1] = list(lines)
    path.write_text("\n".join(text))


@pytest.fixture
def saved(ozr, tmp_path) -> tuple[Path, Path]:
    root = tmp_path / "manifests-copy"
    shutil.copytree(MANIFESTS, root)
    # a chart that ships objecttypes-api 3.4.2 (the bundled manifests know none), so the plan
    # has a step with a chart to record
    edit_release(root, "objecttypes-api", "3.4.2", '    chart: "1.6.2"')
    plan = tmp_path / "plan.json"
    result = ozr("--manifests", str(root), "plan", "--format", "json", "-o", str(plan))
    assert result.exit_code == 0, result.output
    return root, plan


def test_saved_plan_records_chart_and_actions(saved) -> None:
    _, plan = saved
    data = json.loads(plan.read_text())
    steps = {
        s["component"]: s
        for w in data["windows"]
        for s in w["steps"]
        if s["to"] in ("4.3.0", "3.4.2")
    }
    assert steps["objecttypes-api"]["chart"] == "1.6.2"
    assert "chart" not in steps["open-object"]  # no published chart ships 4.3.0
    assert [a["run"].split()[1] for a in steps["open-object"]["actions"][:1]] == [
        "import_objecttypes"
    ]


@pytest.mark.parametrize(
    ("component", "version", "lines", "says"),
    [
        (
            "open-zaak",
            "1.29.0",
            ["    reversible: false"],
            "reversible: false (the plan says true)",
        ),
        ("open-zaak", "1.29.0", ['    notes: ["Run the new migration by hand."]'], "notes changed"),
        ("objecttypes-api", "3.4.2", None, "the chart that ships 3.4.2 is now 9.9.9"),
        (
            "open-zaak",
            "1.30.0",
            ['    actions: [{when: before, run: "src/manage.py new_check"}]'],
            "vendor actions changed",
        ),
    ],
)
def test_verify_and_saved_refuse_a_plan_the_manifests_contradict(
    ozr, saved, component, version, lines, says
) -> None:
    root, plan = saved
    if lines is None:
        path = root / "components" / f"{component}.yaml"
        path.write_text(path.read_text().replace('chart: "1.6.2"', 'chart: "9.9.9"'))
    else:
        path = root / "components" / f"{component}.yaml"
        if (
            "notes" in lines[0]
            and "notes:" in path.read_text().split(f'"{version}"', 1)[1].split("- version:", 1)[0]
        ):
            text = path.read_text().split("\n")
            at = next(
                i for i, line in enumerate(text) if line.startswith(f'  - version: "{version}"')
            )
            notes = next(i for i in range(at, len(text)) if text[i] == "    notes:")
            text.insert(notes + 1, '      - "Run the new migration by hand."')
            path.write_text("\n".join(text))
        else:
            edit_release(root, component, version, *lines)
    assert ozr("--manifests", str(root), "validate").exit_code == 0
    verified = ozr("--manifests", str(root), "plan", "--verify", str(plan))
    assert verified.exit_code == 1
    assert says in verified.stderr and "stale" in verified.stderr
    rendered = ozr("--manifests", str(root), "plan", "--saved", str(plan), "--format", "helm")
    assert rendered.exit_code == 1 and rendered.stdout == ""
    assert says in rendered.stderr


def test_saved_plan_renders_what_was_approved(ozr, saved, prod, tmp_path) -> None:
    root, plan = saved
    for fmt in ("helm", "ansible", "argocd", "markdown", "html", "text"):
        now = ozr("--manifests", str(root), "plan", "--format", fmt)
        approved = ozr("--manifests", str(root), "plan", "--saved", str(plan), "--format", fmt)
        assert approved.exit_code == 0, approved.output
        assert approved.stdout == now.stdout, fmt
    # a plan whose pulledInBy names no target is refused
    data = json.loads(plan.read_text())
    data["windows"][0]["steps"][0]["pulledInBy"] = "redis"
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(data))
    refused = ozr("--manifests", str(root), "plan", "--saved", str(forged), "--format", "helm")
    assert refused.exit_code == 1 and "pulled in by redis" in refused.stderr
    usage = ozr("plan", "--saved", str(plan), "--verify", str(plan))
    assert usage.exit_code == 2


# ------------------------------------------------------------------ env import


def test_env_import_builds_the_environment_helm_list_shows(ozr, cluster, tmp_path) -> None:
    listed = cluster.run(["helm", "list", "-A", "--output", "json", "--kube-context", "prod"])
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    rows.append(
        {"name": "grafana", "namespace": "mon", "chart": "grafana-7.0.0", "app_version": "10.0"}
    )
    source = tmp_path / "releases.json"
    source.write_text(json.dumps(rows))
    out = tmp_path / "prod.yaml"
    result = ozr(
        "--manifests",
        str(MANIFESTS),
        "env",
        "import",
        "--helm",
        str(source),
        "--name",
        "prod",
        "-o",
        str(out),
    )
    assert result.exit_code == 1  # grafana is reported, not guessed
    assert (
        "release 'grafana' (chart 'grafana-7.0.0'): no component is deployed with that chart"
        in (result.stderr)
    )
    env = yaml.safe_load(out.read_text())
    assert env["deployed"] == {
        "objecttypes-api": "3.3.0",
        "open-forms": "3.0.1",  # app_version is the chart's: the docs say to check it
        "open-object": "3.5.0",
        "open-zaak": "1.26.0",
    }
    assert env["deploy"]["open-object"] == {
        "namespace": "zgw",
        "helmRelease": "objecten",
        "chart": "2.11.0",
    }
    # what helm does not run (databases, brokers, wiring) the team adds; then it plans
    env["deployed"].update(
        {"postgresql": "15", "redis": "7", "rabbitmq": "3", "open-notificaties": "1.14.0"}
    )
    env["wiring"] = {"open-forms": {"objecttypen": "objecttypes-api"}}
    out.write_text(yaml.safe_dump(env))
    planned = ozr(
        "--manifests",
        str(MANIFESTS),
        "plan",
        "--env",
        str(out),
        "--to",
        "open-zaak=latest",
        "--format",
        "helm",
    )
    assert planned.exit_code == 0, planned.output
    assert "expect openzaak openzaak 1.13.1 1.26.0 --namespace zgw" in planned.stdout
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    broken = ozr("--manifests", str(MANIFESTS), "env", "import", "--helm", str(bad))
    assert broken.exit_code == 2 and f"{bad}:1: not JSON" in broken.stderr


# ------------------------------------------------------------------ any text at all


@pytest.mark.slow
@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(min_size=1, max_size=60).filter(lambda t: t.strip()))
def test_any_manifest_text_stays_data_in_every_export(write, ozr, tmp_path, text) -> None:
    """Whatever a note, an action or a health check says, the YAML exports keep their
    documents and the script keeps its commands."""
    safe = "".join(c for c in text if c.isprintable()) or "x"  # a command holds no controls
    small = SMALL.read_text().replace(
        "    reversible: false\n",
        "    reversible: false\n"
        "    actions:\n"
        f"      - {{when: before, manual: false, run: {json.dumps('check ' + safe)}, "
        f"why: {json.dumps(text)}}}\n",
        1,
    )
    write("manifests/all.yaml", small)
    counts = {}
    for fmt in ("ansible", "argocd", "helm"):
        result = ozr("plan", "--format", fmt)
        assert result.exit_code == 0, result.output
        out = result.stdout
        if fmt == "helm":
            script = tmp_path / "hyp.sh"
            script.write_text(out)
            assert subprocess.run(["sh", "-n", str(script)]).returncode == 0
            # one `kubectl exec` line, whatever the text holds
            counts[fmt] = out.count("\n  kubectl exec ")
        else:
            # YAML: no Unicode line break survives outside an escaped scalar
            assert not any(c in out for c in "\u2028\u2029\u0085")
            docs = [d for d in yaml.load_all(out, Loader=_AnsibleLoader) if d]
            counts[fmt] = len(docs[0]) if fmt == "ansible" else len(docs)
    assert counts == {"ansible": 2, "argocd": 3, "helm": 1}


# ------------------------------------------------------------------ honest rollback


def test_rollback_is_what_really_undoes_a_step(ozr, tmp_path) -> None:
    def step(*args: str, env: str | None = None) -> dict[str, Any]:
        extra = ["--env", env] if env else []
        result = ozr("--manifests", str(MANIFESTS), "plan", *extra, "--format", "json", *args)
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        return {s["component"]: s for w in data["windows"] for s in w["steps"]}

    # Open Klant 2.5.0 is irreversible only when the step starts on 1.x
    assert step("--to", "open-klant=2.5.0")["open-klant"]["reversible"] is True
    old = tmp_path / "old.yaml"
    old.write_text(
        "kind: Environment\nname: old\n"
        'deployed: {open-klant: "1.0.0", postgresql: "15", redis: "7"}\n'
    )
    assert step("--to", "open-klant=2.5.0", env=str(old))["open-klant"]["reversible"] is False
    # a PostgreSQL major upgrade is a point of no return
    assert step("--to", "postgresql=16")["postgresql"]["reversible"] is False
    md = ozr("--manifests", str(MANIFESTS), "plan", "--to", "postgresql=16", "--format", "markdown")
    assert "No rollback: 16 is irreversible, a point of no return" in md.stdout
    # a step through data migrations is undone by the backup, files included for Open Zaak
    md = ozr("--manifests", str(MANIFESTS), "plan", "--format", "markdown").stdout
    assert (
        "restore the databases of open-zaak, and the file storage of open-zaak from the backup"
        in md
    )
    assert "deploy the previous release again" not in md.split("### Step 1.3")[1].split("### ")[0]


def test_a_templates_folder_never_becomes_the_helm_script_silently(
    small_manifests, ozr, write
) -> None:
    write("templates/plan.helm.sh.j2", "#!/bin/sh\nrm -rf / # from a cloned repository\n")
    write("templates/plan.md.j2", "Custom\n")
    helm = ozr("plan", "--format", "helm")
    assert helm.exit_code == 0 and "rm -rf" not in helm.stdout
    assert "ignoring templates/plan.helm.sh.j2 for the helm script" in helm.stderr
    md = ozr("plan", "--format", "markdown")
    assert md.stdout == "Custom\n"
    assert "note: using templates/plan.md.j2" in md.stderr


@pytest.fixture
def small_manifests(write) -> Path:
    return write("manifests/all.yaml", SMALL.read_text())
