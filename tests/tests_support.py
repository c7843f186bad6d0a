"""What several test modules share: small manifests and ecosystems, random ecosystems, the
installed console script, and long histories made fast."""

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from gitrepo import GitRepo
from hypothesis import strategies as st

from ozrelease.ecosystem.compat import Deployment
from ozrelease.ecosystem.model import Api, Component, Ecosystem, Environment, Release, Where
from ozrelease.versions import parse_range, parse_version


def examples(n: int) -> int:
    """A property's example count: `n` under the ci hypothesis profile (CI set, or
    HYPOTHESIS_PROFILE=ci, as conftest.py loads it), a tenth (at least 5) otherwise, so that
    `pytest -m "not slow"` stays fast on a developer's machine and CI runs the full counts."""
    profile = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
    return n if profile == "ci" else max(5, n // 10)


def installed_ozrelease() -> str:
    """The `ozrelease` console script of this environment (beside its Python, so a shim
    elsewhere on PATH does not stand in for it), else the one on PATH; the test fails
    without one: these tests are the proof that the installed command works."""
    beside = Path(sys.executable).parent / "ozrelease"
    found = str(beside) if beside.exists() else shutil.which("ozrelease")
    if found is None:
        pytest.fail("the ozrelease console script is not installed (pip install -e .)")
    return found


SMALL = """
kind: API
name: notificaties
versions: [1.0.0, 2.0.0]
---
kind: API
name: autorisaties
versions: [1.0.0]
---
kind: API
name: zaken
versions: [1.5.1]
---
kind: Component
name: open-zaak
title: Open Zaak
releases:
  - version: 1.26.0
    provides: {zaken: 1.5.1, autorisaties: 1.0.0}
    consumes: {notificaties: ">=1.0,<2"}
    requires: {postgresql: ">=13"}
  - version: 1.30.0
    provides: {zaken: 1.5.1, autorisaties: 1.0.0}
    consumes: {notificaties: ">=1.0,<3"}
    requires: {postgresql: ">=14"}
---
kind: Component
name: open-notificaties
releases:
  - version: 1.8.0
    provides: {notificaties: 1.0.0}
    consumes: {autorisaties: ">=1.0"}
  - version: 1.10.0
    provides: {notificaties: 2.0.0}
    consumes: {autorisaties: ">=1.0"}
---
kind: Component
name: postgresql
releases: [{version: "13"}, {version: "14"}, {version: "15"}]
"""


def fast_import_history(repo: GitRepo, commits: int, path: str | None = None) -> None:
    """`commits` more commits on main in one `git fast-import` run (seconds, not minutes);
    each changes one of 50 files, or `path` every time (`N = n`)."""
    parent = repo.head()
    lines = []
    for n in range(1, commits + 1):
        message = f":bug: [#{n}] Fix number {n}".encode()
        lines += [
            b"commit refs/heads/main",
            f"mark :{n}".encode(),
            f"committer A <a@example.com> {1_700_000_000 + n} +0000".encode(),
            f"data {len(message)}".encode(),
            message,
            f"from :{n - 1}".encode() if n > 1 else f"from {parent}".encode(),
            f"M 644 inline {path or f'src/f{n % 50}.py'}".encode(),
            *(
                [b"data 2", str(n % 10).encode() + b"\n"]
                if path is None
                else [f"data {len(f'N = {n}')}".encode(), f"N = {n}".encode()]
            ),
            b"",
        ]
    subprocess.run(
        ["git", "fast-import", "--quiet"], cwd=repo.path, input=b"\n".join(lines), check=True
    )
    repo.git("reset", "--quiet", "--hard", "main")


# The runbook tests' small ecosystem (tests/test_runbook.py, tests/test_html_browser.py).
RUNBOOK_TODAY = dt.date(2026, 6, 1)

# A small ecosystem with everything a runbook must handle: a required stop (zaak 1.1.0), a
# component without deploy hints (db), an irreversible release with a data migration
# (notif 2.0.0), a healthCheck URL and a namespace (notif), a release no chart ships (zaak
# 1.1.0), notes with code and with text Markdown would swallow (`<BASE_DIR>`, `|`, `*`), and a
# target past its end of life on TODAY.
RUNBOOK_SMALL = """
kind: API
name: notificaties
---
kind: Component
name: db
title: PostgreSQL
releases:
  - version: "14"
  - version: "16"
---
kind: Component
name: notif
title: Notifications
deploy:
  helm:
    release: notif
    chart: example/notif
    repository: https://charts.example.org
    namespace: zgw
  image: example/notif
  healthCheck: https://notif.example.org/api/
releases:
  - version: 1.0.0
    provides: {notificaties: 1.0.0}
    chart: "0.1.0"
  - version: 2.0.0
    provides: {notificaties: 2.0.0}
    chart: "0.2.0"
    reversible: false
    notes:
      - "Data migration of all subscriptions, about 10 minutes per million; run
        `manage.py check_subs` first."
---
kind: Component
name: zaak
title: Zaken
deploy:
  helm: {release: zaak, chart: example/zaak, repository: https://charts.example.org}
  image: example/zaak
releases:
  - version: 1.0.0
    consumes: {notificaties: ">=1.0,<2"}
    requires: {db: ">=14"}
    chart: "1.0.0"
  - version: 1.1.0
    consumes: {notificaties: ">=1.0,<3"}
    requires: {db: ">=14"}
  - version: 2.0.0
    consumes: {notificaties: ">=2.0,<3"}
    requires: {db: ">=16"}
    upgradeFrom: ">=1.1.0"
    chart: "2.0.0"
    eol: 2026-01-01
    notes: ["IMPORT_DIR now defaults to <BASE_DIR>/import | check *it*"]
---
kind: Environment
name: test
title: Test municipality
deployed: {zaak: 1.0.0, notif: 1.0.0, db: "14"}
targets: {zaak: 2.0.0}
"""


# Random small ecosystems for the planner's property tests (test_planner_properties, test_order).
HERE = Where("generated")


@st.composite
def ecosystems(draw: st.DrawFn, deep: bool = False) -> tuple[Deployment, list[str]]:
    """Up to four components of up to four releases; `deep`: everything starts at its
    oldest release, constraints have the usual shapes and steps are often one at a time,
    so that plans take several windows."""
    count = draw(st.integers(2 if deep else 1, 4))
    names = [f"c{i}" for i in range(count)]
    sizes = [draw(st.integers(1, 4)) for _ in names]
    components = {}
    for c, (name, size) in enumerate(zip(names, sizes, strict=True)):
        releases = []
        # Mostly the shapes real ecosystems have (API versions grow with releases, consumers
        # accept a window of provider versions that moves with them), sometimes anything.
        shaped = deep or draw(st.sampled_from([True, True, False]))
        links = {
            other: draw(st.sampled_from(["none", "consumes", "requires"]))
            for other in range(count)
            if other != c
        }
        for i in range(size):
            api_version = i if shaped else draw(st.integers(0, 3))
            provides = {f"api{c}": (parse_version(f"1.{api_version}"),)}
            consumes = {}
            requires = {}
            for other, kind in links.items():
                if shaped:
                    low = max(0, i - draw(st.integers(0, 2)))
                    high = i + draw(st.integers(1, 3))
                else:
                    low = draw(st.integers(0, 3))
                    high = draw(st.integers(low, 4))
                text = f">=1.{low},<1.{high}" if high > low else f">=1.{low}"
                if kind == "consumes":
                    consumes[f"api{other}"] = parse_range(text)
                elif kind == "requires":
                    requires[names[other]] = parse_range(text)
            upgrade = None
            if i > 0:
                choice = draw(
                    st.sampled_from(
                        ["previous", "previous", "from", "any"]
                        if deep
                        else ["any", "any", "from", "previous"]
                    )
                )
                if choice == "from":
                    upgrade = parse_range(f">=1.{draw(st.integers(0, i - 1))}.0")
                elif choice == "previous":
                    upgrade = parse_range(f"==1.{i - 1}.0")
            releases.append(
                Release(
                    component=name,
                    version=parse_version(f"1.{i}.0"),
                    label=f"1.{i}.0",
                    where=HERE,
                    provides=provides,
                    consumes=consumes,
                    requires=requires,
                    upgrade_from=upgrade,
                    reversible=draw(st.booleans()),
                )
            )
        components[name] = Component(name=name, where=HERE, releases=tuple(releases))
    apis = {f"api{c}": Api(name=f"api{c}", where=HERE) for c in range(count)}
    deployed = {
        name: parse_version(f"1.{0 if deep else draw(st.sampled_from([0, 0, size - 1]))}.0")
        for name, size in zip(names, sizes, strict=True)
    }
    requests = []
    for name, size in zip(names, sizes, strict=True):
        choice = draw(
            st.sampled_from(["none", "latest"] if deep else ["none", "latest", "latest", "version"])
        )
        if choice == "latest":
            requests.append(f"{name}=latest")
        elif choice == "version":
            requests.append(f"{name}=1.{draw(st.integers(0, size - 1))}.0")
    env = Environment(name="generated", where=HERE, deployed=deployed)
    eco = Ecosystem(
        components=components, apis=apis, environments={env.name: env}, source="generated"
    )
    return Deployment(eco, env), requests


# -- manifests written as text, for planner tests -------------------------------------------


def component(name: str, *releases: str) -> str:
    """A Component document; each release is `VERSION` or `VERSION key: value; ...`."""
    lines = [f"kind: Component\nname: {name}\nreleases:"]
    for release in releases:
        version, _, rest = release.partition(" ")
        lines.append(f"  - version: '{version}'")
        lines += [f"    {item.strip()}" for item in rest.split(";") if item.strip()]
    return "\n".join(lines) + "\n"


def api(*names: str) -> str:
    return "\n---\n".join(f"kind: API\nname: {n}" for n in names) + "\n"


def env(deployed: str, targets: str = "{}", wiring: str | None = None) -> str:
    text = f"kind: Environment\nname: test\ndeployed: {deployed}\ntargets: {targets}\n"
    return text + (f"wiring: {wiring}\n" if wiring else "")


def write_manifests(root: Path, *documents: str) -> Path:
    """`documents` as root/manifests/all.yaml; the folder."""
    path = root / "manifests"
    path.mkdir(exist_ok=True)
    (path / "all.yaml").write_text("\n---\n".join(documents), encoding="utf-8")
    return path


def deployment_of(folder: Path, env: str | None = None) -> Deployment:
    from ozrelease.ecosystem import load

    eco = load.load(folder)
    return Deployment(eco, load.load_environment(eco, env))


def summary(plan: Any) -> list[str]:
    """`a 1.0->2.0, b 1.0->1.1` per window, steps in the plan's order."""
    return [
        ", ".join(f"{s.component} {s.from_label}->{s.to_label}" for s in w.steps)
        for w in plan.windows
    ]


def mixed_ecosystem(tmp_path: Path, size: int = 20, seed: int = 1) -> Path:
    """The benchmark's layered ecosystems with mixed upgrade paths (bench/ecosystems.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    try:
        from ecosystems import mixed  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    return mixed(tmp_path / "manifests", size, seed=seed)  # type: ignore[no-any-return]
