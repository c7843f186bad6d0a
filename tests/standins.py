"""Stand-ins for `helm` and `kubectl` that keep state, for running the exports for real.

`install_standins(bin_dir, state_file)` writes `helm` and `kubectl` into bin_dir; each runs
this file. State (JSON): releases keyed by `context/namespace/name` with their chart, chart
version, app version, user-supplied values (helm's "config"), chart defaults, status and
replicas; Argo CD Applications; known kube contexts; the chart catalog; a log of every call.

helm's value rules (helm 3.14, pkg/action/upgrade.go):
- `--reset-values`: the config becomes the values given now (on the new chart's defaults);
- `--reuse-values`: the old config merged with the values given now, on the OLD chart's
  defaults (helm's known quirk);
- `--reset-then-reuse-values`: the old config merged with the values given now, on the new
  chart's defaults;
- none of them: the old config when no values are given now, else only the values given now.
Unknown flags, an unknown kube context, a missing release or chart version fail like helm.
Two releases that serve the same database (same `database.host` and `database.name`, both
with replicas) are recorded as a violation.
"""

from __future__ import annotations

import copy
import fcntl
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

DEFAULT_CONTEXT = "default-ctx"


def _yaml() -> Any:
    """PyYAML, imported when a call reads or writes YAML (most calls of a script do not: a
    stand-in starts once per call, and the import is half of its start)."""
    import yaml

    return yaml


def install_standins(bin_dir: Path, state_file: Path) -> None:
    bin_dir.mkdir(parents=True, exist_ok=True)
    for tool in ("helm", "kubectl"):
        path = bin_dir / tool
        path.write_text(
            f'#!/bin/sh\nexec "{sys.executable}" "{Path(__file__).resolve()}" {tool} "$@"\n'
        )
        path.chmod(0o755)
    if not state_file.exists():
        save(state_file, empty_state())


def empty_state() -> dict[str, Any]:
    return {
        "releases": {},
        "applications": {},
        "contexts": [DEFAULT_CONTEXT],
        "charts": {},
        "log": [],
        "violations": [],
        "exec": [],
    }


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def save(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True))
    tmp.replace(path)


def merge(base: Any, over: Any) -> Any:
    """helm's coalescing of values: maps merge key by key, anything else replaces."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = copy.deepcopy(base)
        for key, value in over.items():
            out[key] = merge(out.get(key), value) if key in out else copy.deepcopy(value)
        return out
    return copy.deepcopy(over)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def add_chart(state: dict[str, Any], name: str, version: str, app_version: str) -> None:
    state["charts"].setdefault(name, {})[version] = {
        "appVersion": app_version,
        "values": {
            "image": {"repository": f"example/{name}", "tag": app_version},
            "replicaCount": 1,
        },
    }


def add_release(
    state: dict[str, Any],
    name: str,
    chart: str,
    version: str,
    config: dict[str, Any],
    *,
    namespace: str = "default",
    context: str = DEFAULT_CONTEXT,
) -> None:
    meta = state["charts"][chart][version]
    if context not in state["contexts"]:
        state["contexts"].append(context)
    state["releases"][f"{context}/{namespace}/{name}"] = {
        "name": name,
        "namespace": namespace,
        "context": context,
        "chart": chart,
        "version": version,
        "app_version": meta["appVersion"],
        "config": config,
        "defaults": meta["values"],
        "status": "deployed",
        "revision": 1,
        "replicas": 1,
        "floating": False,
    }


def computed(release: dict[str, Any]) -> dict[str, Any]:
    return merge(release["defaults"], release["config"])


def image_tag(release: dict[str, Any]) -> str:
    return str(computed(release).get("image", {}).get("tag"))


class Fail(Exception):
    pass


def set_path(values: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    node = values
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = value


BOOL_FLAGS = {
    "--wait",
    "--atomic",
    "--force",
    "--install",
    "-i",
    "--create-namespace",
    "--all",
    "-A",
    "--all-namespaces",
    "--keep-history",
    "--reuse-values",
    "--reset-values",
    "--reset-then-reuse-values",
    "--force-update",
    "--debug",
}
VALUE_FLAGS = {
    "--namespace",
    "-n",
    "--kube-context",
    "--version",
    "--repo",
    "--values",
    "-f",
    "--set",
    "--set-string",
    "--timeout",
    "--output",
    "-o",
    "--filter",
    "--history-max",
    "--max",
    "--context",
    "--selector",
    "-l",
    "--type",
    "--patch",
    "-p",
    "--patch-file",
    "--replicas",
}


def parse(argv: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """Cobra-like: flags anywhere before `--`, `--flag=value` or `--flag value`."""
    positional: list[str] = []
    flags: dict[str, list[str]] = {}
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--":
            positional += argv[i + 1 :]
            break
        if word.startswith("-") and word != "-":
            name, eq, value = word.partition("=")
            if name in BOOL_FLAGS:
                flags.setdefault(name, []).append(value if eq else "true")
            elif name in VALUE_FLAGS:
                if not eq:
                    i += 1
                    if i >= len(argv):
                        raise Fail(f"flag needs an argument: {name}")
                    value = argv[i]
                flags.setdefault(name, []).append(value)
            else:
                raise Fail(f"unknown flag: {name}")
        else:
            positional.append(word)
        i += 1
    return positional, flags


def flag(flags: dict[str, list[str]], *names: str) -> str | None:
    for name in names:
        if name in flags:
            return flags[name][-1]
    return None


def truthy(flags: dict[str, list[str]], name: str) -> bool:
    return name in flags and flags[name][-1].lower() in ("true", "1", "")


def where(
    state: dict[str, Any], flags: dict[str, list[str]], *, kubectl: bool = False
) -> tuple[str, str]:
    context = (
        flag(flags, "--context" if kubectl else "--kube-context")
        or (None if kubectl else os.environ.get("HELM_KUBECONTEXT"))
        or DEFAULT_CONTEXT
    )
    namespace = (
        flag(flags, "--namespace", "-n")
        or (None if kubectl else os.environ.get("HELM_NAMESPACE"))
        or "default"
    )
    if context not in state["contexts"]:
        raise Fail(f'context "{context}" does not exist')
    return context, namespace


def helm(state: dict[str, Any], argv: list[str]) -> str:
    if argv[:1] == ["version"]:
        return (
            'version.BuildInfo{Version:"v3.16.2", GitCommit:"standin", '
            'GitTreeState:"clean", GoVersion:"go1.22.7"}\n'
        )
    if argv[:2] == ["plugin", "list"]:
        return "NAME\tVERSION\tDESCRIPTION\n"
    if argv[:1] == ["repo"]:
        return ""
    positional, flags = parse(argv)
    command = positional[0] if positional else ""
    context, namespace = where(state, flags)
    releases = state["releases"]

    def key(name: str) -> str:
        return f"{context}/{namespace}/{name}"

    if command == "list":
        found = [
            r
            for r in releases.values()
            if r["context"] == context
            and ("-A" in flags or "--all-namespaces" in flags or r["namespace"] == namespace)
            and (not flag(flags, "--filter") or re.search(flag(flags, "--filter") or "", r["name"]))
        ]
        rows = [
            {
                "name": r["name"],
                "namespace": r["namespace"],
                "revision": str(r["revision"]),
                "updated": "2026-06-01 00:00:00.000000 +0000 UTC",
                "status": r["status"],
                "chart": f"{r['chart']}-{r['version']}",
                "app_version": r["app_version"],
            }
            for r in sorted(found, key=lambda r: r["name"])
        ]
        if flag(flags, "--output", "-o") == "json":
            return json.dumps(rows, separators=(",", ":")) + "\n"
        if flag(flags, "--output", "-o") == "yaml":
            return _yaml().safe_dump(rows)
        return "".join(f"{r['name']}\t{r['chart']}\n" for r in rows)
    if command == "get" and positional[1:2] == ["values"]:
        release = releases.get(key(positional[2]))
        if release is None:
            raise Fail("release: not found")
        values = computed(release) if "--all" in flags else release["config"]
        if flag(flags, "--output", "-o") == "json":
            return json.dumps(values, separators=(",", ":"), sort_keys=True) + "\n"
        return _yaml().safe_dump(values) if values else "null\n"
    if command == "get" and positional[1:2] in (["manifest"], ["hooks"], ["notes"]):
        if key(positional[2]) not in releases:
            raise Fail("release: not found")
        return ""
    if command == "status":
        release = releases.get(key(positional[1]))
        if release is None:
            raise Fail("release: not found")
        return f"NAME: {release['name']}\nNAMESPACE: {namespace}\nSTATUS: {release['status']}\n"
    if command == "show" and positional[1:2] == ["chart"]:
        name, version = _chart(state, positional[2], flag(flags, "--version"))
        meta = state["charts"][name][version]
        return _yaml().safe_dump(
            {"apiVersion": "v2", "name": name, "version": version, "appVersion": meta["appVersion"]}
        )
    if command == "uninstall":
        if key(positional[1]) not in releases:
            raise Fail(f"uninstall: Release not loaded: {positional[1]}: release: not found")
        del releases[key(positional[1])]
        return f'release "{positional[1]}" uninstalled\n'
    if command in ("upgrade", "install"):
        return _deploy(state, command, positional, flags, context, namespace)
    raise Fail(f"unknown command {command!r}")


def _chart(state: dict[str, Any], ref: str, version: str | None) -> tuple[str, str]:
    name = ref.rstrip("/").rsplit("/", 1)[-1]
    versions = state["charts"].get(name)
    if not versions:
        raise Fail(f"chart {ref!r} not found")
    if version is None:
        version = max(versions, key=lambda v: [int(x) for x in re.findall(r"\d+", v)])
    if version not in versions:
        raise Fail(f"chart {ref!r} version {version!r} not found")
    return name, version


def _deploy(
    state: dict[str, Any],
    command: str,
    positional: list[str],
    flags: dict[str, list[str]],
    context: str,
    namespace: str,
) -> str:
    if len(positional) != 3:
        raise Fail(f"{command}: expected RELEASE CHART, got {positional[1:]}")
    name, ref = positional[1], positional[2]
    key = f"{context}/{namespace}/{name}"
    current = state["releases"].get(key)
    install = command == "install" or (truthy(flags, "--install") or truthy(flags, "-i"))
    if command == "install" and current is not None:
        raise Fail(f"cannot re-use a name that is still in use: {name}")
    if current is None and not install:
        raise Fail(f'"{name}" has no deployed releases')
    chart, version = _chart(state, ref, flag(flags, "--version"))
    supplied: dict[str, Any] = {}
    for file in flags.get("--values", []) + flags.get("-f", []):
        loaded = _yaml().safe_load(Path(file).read_text()) or {}
        supplied = merge(supplied, loaded)
    for item in flags.get("--set", []) + flags.get("--set-string", []):
        path, _, value = item.partition("=")
        set_path(supplied, path, value)
    meta = state["charts"][chart][version]
    defaults = meta["values"]
    if current is None or truthy(flags, "--reset-values"):
        config = supplied
    elif truthy(flags, "--reuse-values"):
        config = merge(current["config"], supplied)
        defaults = current["defaults"]
    elif truthy(flags, "--reset-then-reuse-values"):
        config = merge(current["config"], supplied)
    elif not supplied:
        config = current["config"]
    else:
        config = supplied
    if os.environ.get("FAKE_HELM_FAIL") == name:
        raise Fail(f"UPGRADE FAILED: {name}: injected failure")
    release = {
        "name": name,
        "namespace": namespace,
        "context": context,
        "chart": chart,
        "version": version,
        "app_version": meta["appVersion"],
        "config": config,
        "defaults": defaults,
        "status": "deployed",
        "revision": (current["revision"] + 1) if current else 1,
        "replicas": 1,
        "floating": flag(flags, "--version") is None,
    }
    db = computed(release).get("database", {})
    for other_key, other in state["releases"].items():
        other_db = computed(other).get("database", {})
        if (
            other_key != key
            and db
            and other_db.get("host") == db.get("host")
            and other_db.get("name") == db.get("name")
            and other["replicas"] > 0
        ):
            state["violations"].append(f"{name} and {other['name']} serve the same database")
    state["releases"][key] = release
    return f'Release "{name}" has been upgraded. Happy Helming!\n'


def kubectl(state: dict[str, Any], argv: list[str]) -> str:
    positional, flags = parse(argv)
    command = positional[0] if positional else ""
    if command == "exec":
        # kubectl exec [flags] TARGET -- COMMAND...: the target is the first positional word
        split = argv.index("--")
        head, _ = parse(argv[:split])
        context, namespace = where(state, flags, kubectl=True)
        target = head[1]
        release = state["releases"].get(f"{context}/{namespace}/{target.split('/', 1)[-1]}")
        if release is None or release["replicas"] == 0:
            raise Fail(f"Error from server (NotFound): {target}")
        state["exec"].append(
            {"target": target, "version": image_tag(release), "argv": argv[split + 1 :]}
        )
        return ""
    context, namespace = where(state, flags, kubectl=True)
    if command == "scale":
        selector = flag(flags, "--selector", "-l") or ""
        instance = selector.partition("=")[2]
        release = state["releases"].get(f"{context}/{namespace}/{instance}")
        if release is None:
            raise Fail(f"no deployments found for {selector}")
        release["replicas"] = int(flag(flags, "--replicas") or "1")
        return f"deployment.apps/{instance} scaled\n"
    if command == "patch" and positional[1:2] == ["application"]:
        name = positional[2]
        apps = state["applications"]
        if name not in apps:
            raise Fail(f'applications.argoproj.io "{name}" not found')
        if flag(flags, "--type") != "merge":
            raise Fail("this stand-in applies merge patches only")
        text = flag(flags, "--patch", "-p")
        if text is None:
            text = Path(flag(flags, "--patch-file") or "").read_text()
        apps[name] = merge_patch(apps[name], _yaml().safe_load(text))
        return f"application.argoproj.io/{name} patched\n"
    if command == "get" and positional[1:2] == ["application"]:
        return json.dumps(state["applications"][positional[2]]) + "\n"
    raise Fail(f"unknown kubectl command {command!r}")


def main() -> int:
    tool, argv = sys.argv[1], sys.argv[2:]
    path = Path(os.environ["STANDIN_STATE"])
    # one call at a time: a Together block runs several helm upgrades at once
    with path.with_suffix(".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _run(tool, argv, path)


def _run(tool: str, argv: list[str], path: Path) -> int:
    state = load(path)
    state["log"].append(
        {
            "tool": tool,
            "argv": argv,
            "env": {
                k: os.environ[k] for k in ("HELM_NAMESPACE", "HELM_KUBECONTEXT") if k in os.environ
            },
        }
    )
    try:
        out = helm(state, argv) if tool == "helm" else kubectl(state, argv)
    except Fail as exc:
        state["log"][-1]["failed"] = str(exc)
        save(path, state)
        sys.stderr.write(f"Error: {exc}\n")
        return 1
    save(path, state)
    sys.stdout.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
