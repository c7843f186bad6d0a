"""`manifest refresh`: small real repositories (tags, OpenAPI documents, settings with
UPGRADE_CHECK_PATHS) and a charts index, refreshed into a real manifest."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from gitrepo import GitRepo
from hypothesis import given, settings
from hypothesis import strategies as st
from tests_support import examples

from ozrelease.cli import cli
from ozrelease.ecosystem.refresh import read
from ozrelease.history import History
from ozrelease.history.snapshots import snapshots
from ozrelease.versions import parse_version

MANIFEST = """\
# Demo: a component to refresh. This comment, and every other, must survive --write.
kind: Component
name: demo
title: "Demo"
repository: https://github.com/example/demo
deploy:
  helm: {release: demo, chart: example/demo}  # the chart's name in the index
releases:
  - version: "1.0.0"  # hand-written
    date: 2023-12-31  # a wrong date: the tag says otherwise
    provides: {zaken: "1.0.0"}  # source: by hand
    notes:
      - "Hand-curated note that no repository holds."  # keep me
  # a comment between releases
  - version: "1.1.0"
    reversible: false  # hand-curated: the tool cannot know
---
kind: Component
name: postgresql
releases: [{version: "12"}, {version: "14"}]
---
kind: Component
name: demo2
releases: [{version: "3.0"}]
---
kind: API
name: zaken
title: "Zaken API"
versions:
  - "1.0.0"  # by hand
"""

OPENAPI = """\
openapi: 3.0.3
info:
  title: Zaken API
  description: |
    version: 9.9.9 is not the version (a description line)
  version: {version}
paths: {{}}
"""

SETTINGS_1_1 = """\
import os  # never executed: a settings module may import anything
from upgrade_check import UpgradeCheck, VersionRange

raise SystemExit("executing the settings is a bug")

UPGRADE_CHECK_PATHS = {
    "1.1.0": UpgradeCheck(VersionRange(minimum="1.0.5")),
}
"""

PREREQUISITES = """\
Prerequisites
=============

PostgreSQL
----------

.. warning::

   Since Demo version 1.1.0, PostgreSQL version 14 or higher is required.

Redis
-----

Supported versions: 6, 7.

RabbitMQ
--------

Supported versions: 3, 4.
"""

VERSIONING = """\
+-------+---------+--------------+-----------------+
| Major | Minor   | Release date | Supported until |
+=======+=========+==============+=================+
|       | 1.2.x   | 2024-03-01   |                 |
+-------+---------+--------------+-----------------+
|       | 1.1.x   | 2024-02-01   | 2024-09-01      |
+-------+---------+--------------+-----------------+
|       | 1.0.x   | 2024-01-01   | 2024-06-01      |
+-------+---------+--------------+-----------------+
"""

INDEX = """\
apiVersion: v1
entries:
  demo:
    - {name: demo, version: 0.3.0-rc.1, appVersion: 1.2.0}
    - {name: demo, version: 0.2.1, appVersion: 1.1.0}
    - {name: demo, version: 0.2.0, appVersion: 1.1.0}
    - {name: demo, version: 0.1.0, appVersion: "1.0.0"}
  other:
    - {name: other, version: 9.0.0, appVersion: 1.2.0}
"""


def component_repo(repo: GitRepo) -> GitRepo:
    """Three final releases, a pre-release and a stray tag, as a vendor would tag them."""
    repo.commit(
        "Release 1.0.0",
        {
            "src/demo/components/zaken/openapi.yaml": OPENAPI.format(version="1.0.0"),
            "src/demo/conf/base.py": "DEBUG = False\n",
            "requirements/base.txt": "django==4.2.1\n",
        },
    )
    repo.tag("1.0.0", message="Release 1.0.0")
    repo.tick(60 * 24 * 3)
    repo.commit(
        "Release 1.1.0",
        {
            "src/demo/components/zaken/openapi.yaml": OPENAPI.format(version="1.1.0"),
            "src/demo/conf/base.py": SETTINGS_1_1,
            "requirements/base.txt": "django==5.2.1\ndjango-upgrade-check==1.0.0\n",
        },
    )
    repo.tag("1.1.0")  # lightweight: dated by its commit
    repo.commit("Start 1.2", {"src/demo/x.py": "x = 1\n"})
    repo.tag("1.2.0-rc.1", message="a pre-release")
    repo.tag("perftest-1", message="not a version")
    repo.tick(60 * 24 * 30)
    repo.commit(
        "Release 1.2.0",
        {
            "src/demo/components/zaken/openapi.yaml": None,
            "src/demo/api/v1/openapi.yaml": OPENAPI.format(version="1.2.0 (v1)"),
            "src/demo/api/v2/openapi.yaml": OPENAPI.format(version="2.0.0"),
            "requirements/base.txt": "django==5.2.1\ndjango-upgrade-check==1.1.0\n",
            "docs/installation/prerequisites.rst": PREREQUISITES,
            "docs/introduction/versioning.rst": VERSIONING,
        },
    )
    repo.tag("v1.2.0", message="Release 1.2.0")
    return repo


def charts_repo(path: Path, env: dict[str, str]) -> GitRepo:
    """A charts repository: index.yaml published on gh-pages, a newer Chart.yaml on main
    that was never published (and must not count)."""
    charts = GitRepo.init(path, env)
    charts.commit("chart", {"charts/demo/Chart.yaml": "version: 0.4.0\nappVersion: 1.2.0\n"})
    charts.git("checkout", "--quiet", "--orphan", "gh-pages")
    charts.git("rm", "--quiet", "-r", "-f", ".")
    charts.commit("publish", {"index.yaml": INDEX})
    charts.git("checkout", "--quiet", "main")
    return charts


@pytest.fixture
def setup(gitrepo: GitRepo, tmp_path: Path) -> tuple[Path, Path, Path]:
    component_repo(gitrepo)
    charts = charts_repo(tmp_path / "charts", gitrepo.env)  # type: ignore[arg-type]
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "demo.yaml").write_text(MANIFEST, encoding="utf-8")
    return gitrepo.path, charts.path, manifests


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def refresh_json(manifests: Path, repo: Path, charts: Path | None = None) -> dict[str, object]:
    args = ["--manifests", str(manifests), "manifest", "refresh", "demo", "--repo", str(repo)]
    if charts is not None:
        args += ["--charts", str(charts)]
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_releases_and_facts_from_the_repository(setup: tuple[Path, Path, Path]) -> None:
    repo, charts, manifests = setup
    data = refresh_json(manifests, repo, charts)
    assert data["format"] == "ozrelease-refresh/1"
    assert data["component"] == "demo"
    releases = {r["version"]: r for r in data["releases"]}  # type: ignore[attr-defined]
    # final tags only: the pre-release and the stray tag are left out; v1.2.0 is 1.2.0
    assert list(releases) == ["1.0.0", "1.1.0", "1.2.0"]
    history = History(repo)
    dates = {t.name.lstrip("v"): t.date.date().isoformat() for t in history.tags()}
    assert [r["date"] for r in releases.values()] == [dates[v] for v in releases]
    assert releases["1.0.0"]["provides"] == {"zaken": "1.0.0"}
    assert releases["1.1.0"]["provides"] == {"zaken": "1.1.0"}
    # /api/v1 and /api/v2 side by side: one API (the only one the manifest provides)
    assert releases["1.2.0"]["provides"] == {"zaken": ["1.2.0", "2.0.0"]}
    # no checks at 1.0.0; 1.1.0 ships its own key; 1.2.0 pins django-upgrade-check 1.1.0,
    # whose lax mode applies the 1.1.0 key to every later target
    assert releases["1.0.0"]["upgradeFrom"] is None
    assert releases["1.1.0"]["upgradeFrom"] == ">=1.0.5"
    assert releases["1.2.0"]["upgradeFrom"] == ">=1.0.5"
    # PostgreSQL 14 since 1.1.0 (documented); before that Django 4.2's own minimum
    # (Redis is documented, but no component of these manifests: left out, and said so)
    assert releases["1.0.0"]["requires"] == {"postgresql": ">=12"}
    assert releases["1.1.0"]["requires"] == {"postgresql": ">=14"}
    assert [r["eol"] for r in releases.values()] == ["2024-06-01", "2024-09-01", None]
    # the newest published final chart per appVersion; 0.3.0-rc.1 and main's 0.4.0 are not
    assert [r["chart"] for r in releases.values()] == ["0.1.0", "0.2.1", None]
    changes = data["changes"]
    assert any(c.startswith("new release 1.2.0") for c in changes)  # type: ignore[attr-defined]
    assert any("1.0.0: date 2023-12-31 -> 2024-01-01" in c for c in changes)  # type: ignore[attr-defined]


def test_text_report_lists_the_differences(setup: tuple[Path, Path, Path]) -> None:
    repo, charts, manifests = setup
    result = run(
        *("--manifests", str(manifests), "manifest", "refresh", "demo"),
        *("--repo", str(repo), "--charts", str(charts)),
    )
    assert result.exit_code == 0
    assert "demo: 3 releases in the repository (1.0.0 .. 1.2.0)" in result.stdout
    assert "new release 1.2.0" in result.stdout
    assert "1.1.0: upgradeFrom (none) -> >=1.0.5" not in result.stdout  # an addition, not a change
    assert "1.1.0: upgradeFrom >=1.0.5" in result.stdout


def comment_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if "#" in line]


def test_write_keeps_comments_and_validates(setup: tuple[Path, Path, Path]) -> None:
    repo, charts, manifests = setup
    path = manifests / "demo.yaml"
    before = path.read_text(encoding="utf-8")
    args = ["--manifests", str(manifests), "manifest", "refresh", "demo", "--repo", str(repo)]
    result = run(*args, "--charts", str(charts), "--write")
    assert result.exit_code == 0, result.output
    after = path.read_text(encoding="utf-8")
    # every comment of the hand-written file is still there, on its own fact
    for line in before.splitlines():
        if line.lstrip().startswith("#"):
            assert line in after.splitlines()
    assert '      - "Hand-curated note that no repository holds."  # keep me' in after
    assert "    reversible: false  # hand-curated: the tool cannot know" in after
    # what was written says where it came from
    assert '  - version: "1.2.0"  # source: example/demo git tag v1.2.0' in after
    assert 'upgradeFrom: ">=1.0.5"  # source: example/demo:src/demo/conf/base.py@1.1.0' in after
    assert 'chart: "0.2.1"  # source: maykinmedia/charts:index.yaml@gh-pages' in after
    # the date the tag gives replaced the wrong one, with its source
    assert "2023-12-31" not in after
    assert run("--manifests", str(manifests), "validate").exit_code == 0
    # refreshing again finds nothing to do, and writes nothing
    data = refresh_json(manifests, repo, charts)
    changes = data["changes"]
    assert not [c for c in changes if "new release" in c or " -> " in c]  # type: ignore[attr-defined]
    run(*args, "--charts", str(charts), "--write")
    assert path.read_text(encoding="utf-8") == after


def test_a_chart_the_index_does_not_publish_is_reported(setup: tuple[Path, Path, Path]) -> None:
    repo, charts, manifests = setup
    path = manifests / "demo.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "    reversible: false  # hand-curated: the tool cannot know\n",
            "    reversible: false  # hand-curated: the tool cannot know\n"
            '    chart: "0.2.9"  # from an unpublished Chart.yaml\n',
        ),
        encoding="utf-8",
    )
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            '    chart: "0.2.9"  # from an unpublished Chart.yaml\n',
            '    chart: "0.2.9"  # from an unpublished Chart.yaml\n'
            '  - version: "1.2.0"\n'
            '    chart: "0.3.0"  # by hand\n',
        ),
        encoding="utf-8",
    )
    args = ["--manifests", str(manifests), "manifest", "refresh", "demo", "--repo", str(repo)]
    result = run(*args, "--charts", str(charts), "--write")
    # 1.1.0's 0.2.9 is corrected from the index; only a pre-release chart ships 1.2.0, so
    # its 0.3.0 is kept, and said
    assert "1.1.0: chart 0.2.9 -> 0.2.1" in result.stdout
    assert "1.2.0: chart 0.3.0 kept, but no final chart in the published index" in result.stdout
    after = path.read_text(encoding="utf-8")
    assert 'chart: "0.2.1"  # source: maykinmedia/charts:index.yaml@gh-pages' in after
    assert 'chart: "0.3.0"  # by hand' in after


def test_write_is_deterministic(setup: tuple[Path, Path, Path], tmp_path: Path) -> None:
    repo, charts, manifests = setup
    copy = tmp_path / "copy"
    shutil.copytree(manifests, copy)
    for folder in (manifests, copy):
        args = ["--manifests", str(folder), "manifest", "refresh", "demo", "--repo", str(repo)]
        assert run(*args, "--charts", str(charts), "--write").exit_code == 0
    assert (manifests / "demo.yaml").read_bytes() == (copy / "demo.yaml").read_bytes()


def test_an_inference_never_overrides_the_manifest(setup: tuple[Path, Path, Path]) -> None:
    repo, _, manifests = setup
    path = manifests / "demo.yaml"
    text = (
        path.read_text(encoding="utf-8")
        .replace(
            "    reversible: false  # hand-curated: the tool cannot know\n",
            "    reversible: false  # hand-curated: the tool cannot know\n"
            '    requires: {postgresql: ">=13"}  # by hand\n',
        )
        .replace(
            '    provides: {zaken: "1.0.0"}  # source: by hand\n',
            '    provides: {zaken: "1.0.0"}  # source: by hand\n'
            '    requires: {postgresql: ">=11", demo2: ">=3"}  # by hand\n',
        )
    )
    path.write_text(text, encoding="utf-8")
    args = ["--manifests", str(manifests), "manifest", "refresh", "demo", "--repo", str(repo)]
    result = run(*args, "--write")
    assert result.exit_code == 0
    after = path.read_text(encoding="utf-8")
    # 1.0.0's PostgreSQL 12 is inferred from Django: shown, the manifest's 11 kept
    assert "1.0.0: requires {postgresql: >=11} kept" in result.stdout
    assert 'requires: {postgresql: ">=11", demo2: ">=3"}  # by hand' in after
    # 1.1.0's PostgreSQL 14 is documented: it replaces 13
    assert 'requires: {postgresql: ">=14"}  # source:' in after
    assert "requires: left out, not components of the manifests: redis" in result.stderr


def test_open_forms_upgrade_paths(gitrepo: GitRepo, tmp_path: Path) -> None:
    paths = textwrap.dedent(
        """\
        from .models import VERSION_DEV  # a relative import: executing this would fail

        UPGRADE_PATHS = {
            "2.7": UpgradeConstraint(
                valid_ranges={VersionRange(minimum="2.6.7")},
                management_commands=["check_x"],
            ),
        }
        """
    )
    gitrepo.commit("2.7.0", {"src/openforms/upgrades/upgrade_paths.py": paths})
    gitrepo.tag("2.7.0")
    gitrepo.commit("2.8.0", {"src/openforms/x.py": "x = 1\n"})
    gitrepo.tag("2.8.0")
    gitrepo.commit("3.0.0", {"src/openforms/x.py": "x = 2\n"})
    gitrepo.tag("3.0.0")
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "of.yaml").write_text(
        'kind: Component\nname: demo\nreleases:\n  - version: "2.7.0"\n', encoding="utf-8"
    )
    data = refresh_json(manifests, gitrepo.path)
    found = {r["version"]: r["upgradeFrom"] for r in data["releases"]}  # type: ignore[attr-defined]
    # Open Forms matches "2.7" with semantic_version's ~=2.7: every 2.x from 2.7 on
    assert found == {"2.7.0": ">=2.6.7", "2.8.0": ">=2.6.7", "3.0.0": None}


@pytest.mark.parametrize(
    ("style", "key", "target", "expected"),
    [
        ("duc-1.0", "2.6.0", "2.6.3", ">=2.5.0"),
        ("duc-1.0", "2.6.0", "2.7.0", None),
        ("duc-1.1", "2.6.0", "2.7.0", ">=2.5.0"),
        ("duc-1.1", "2.6.0", "2.5.9", None),
        ("duc-1.1-strict", "2.6.0", "2.7.0", None),
        ("openforms", "3.1", "3.1.4", ">=2.5.0"),
        ("openforms", "3.1", "3.2.0", ">=2.5.0"),  # ~=3.1 is 3.* (semantic_version's rule)
        ("openforms", "3.1", "4.0.0", None),
    ],
)
def test_matching_rules(style: str, key: str, target: str, expected: str | None) -> None:
    checks = read.UpgradeChecks(
        path="x.py", style=style, rules=(read.UpgradeRule(key=key, ranges=(("2.5.0", ""),)),)
    )
    found = read.evaluate(checks, parse_version(target))
    assert (found[0] if found else None) == expected


def test_the_first_matching_key_wins_in_lax_mode() -> None:
    # django-upgrade-check 1.1 walks the mapping in order and stops at the first key the
    # target is >= of: an older key listed first shadows a newer one (as the library does)
    source = textwrap.dedent(
        """\
        UPGRADE_CHECK_PATHS: UpgradePaths = {
            "2.0.0": UpgradeCheck(VersionRange(minimum="1.9.0")),
            "3.0.0": UpgradeCheck([VersionRange("2.9.0", "2.9.9"), VersionRange(minimum="3.0.0")]),
        }
        UPGRADE_CHECK_STRICT = False
        """
    )
    parsed = read.parse_upgrade_paths(source, "UPGRADE_CHECK_PATHS")
    assert parsed is not None
    rules, strict = parsed
    assert strict is False
    assert rules[1].ranges == (("2.9.0", "2.9.9"), ("3.0.0", ""))
    checks = read.UpgradeChecks(path="x", style="duc-1.1", rules=rules)
    assert read.evaluate(checks, parse_version("3.1.0"))[0] == ">=1.9.0"  # type: ignore[index]
    exact = read.evaluate(checks, parse_version("3.0.0"))
    assert exact is not None and exact[1].key == "3.0.0"


@settings(max_examples=examples(60), deadline=None)
@given(
    st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(0, 4)),
    st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(0, 4)),
)
def test_compatible_release_matches_pep440(key: tuple[int, ...], target: tuple[int, ...]) -> None:
    # for X.Y.Z keys, semantic_version's ~= and PEP 440's ~= agree
    from packaging.specifiers import SpecifierSet

    key_text = ".".join(map(str, key))
    version = parse_version(".".join(map(str, target)))
    assert read._compatible(key_text, version) == (version in SpecifierSet(f"~={key_text}"))


def test_the_support_table_and_prerequisites() -> None:
    table = read.parse_support_table(VERSIONING)
    assert table == {
        (1, 1): __import__("datetime").date(2024, 9, 1),
        (1, 0): __import__("datetime").date(2024, 6, 1),
    }


def test_snapshots_answer_missing_paths_with_none(gitrepo: GitRepo) -> None:
    gitrepo.commit("x", {"a/b.txt": "hello\n"})
    gitrepo.tag("1.0.0")
    with snapshots(History(gitrepo.path)) as reader:
        assert reader.blob("1.0.0:a/b.txt") == b"hello\n"
        assert reader.blob("1.0.0:a") is None  # a folder is not a file
        assert reader.tree("1.0.0:a/b.txt") is None
        assert reader.blob("1.0.0:nope") is None
        assert reader.blob("nope:a/b.txt") is None
        assert reader.blob("1.0.0:a/b.txt\n1.0.0:a") is None  # one spec, never two
        entries = reader.tree("1.0.0:a")
        assert entries is not None and [(e.name, e.kind) for e in entries] == [("b.txt", "blob")]


def test_unknown_name_and_bad_repository(setup: tuple[Path, Path, Path], tmp_path: Path) -> None:
    repo, _charts, manifests = setup
    result = run("--manifests", str(manifests), "manifest", "refresh", "dmeo", "--repo", str(repo))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: 'dmeo' is neither a component nor an API of the manifests (did you mean 'demo'?)"
    ]
    plain = tmp_path / "plain"
    plain.mkdir()
    result = run("--manifests", str(manifests), "manifest", "refresh", "demo", "--repo", str(plain))
    assert result.exit_code == 2
    assert "not a git repository" in result.stderr
    assert "Traceback" not in result.output
    # a charts clone without the published index: said so, exit 2
    result = run(
        *("--manifests", str(manifests), "manifest", "refresh", "demo"),
        *("--repo", str(repo), "--charts", str(repo)),
    )
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "no index.yaml on a gh-pages branch" in result.stderr


def test_a_standard_from_its_tags(gitrepo: GitRepo, tmp_path: Path) -> None:
    for tag in ("0.9.0", "1.0.0", "1.1.0-rc.1", "v1.1.0", "1.1.0.post1", "1.2.0"):
        gitrepo.commit(tag, {"api.yaml": OPENAPI.format(version=tag)})
        gitrepo.tag(tag)
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "demo.yaml").write_text(MANIFEST, encoding="utf-8")
    args = ["--manifests", str(manifests), "manifest", "refresh", "zaken", "--repo"]
    result = run(*args, str(gitrepo.path), "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["versions"] == ["1.0.0", "1.1.0", "1.2.0"]
    assert data["changes"] == ["new published version 1.1.0", "new published version 1.2.0"]
    assert run(*args, str(gitrepo.path), "--write").exit_code == 0
    after = (manifests / "demo.yaml").read_text(encoding="utf-8")
    assert '  - "1.0.0"  # by hand\n  - "1.1.0"  # source: repo git tag v1.1.0\n' in after
    assert run("--manifests", str(manifests), "validate").exit_code == 0


def test_a_repository_of_several_standards(gitrepo: GitRepo, tmp_path: Path) -> None:
    # gemma-zaken tags each standard by name (zaken-api-1.0.1); the bundle's own 1.0.0 and
    # another standard's tags are not the Zaken API's
    for tag in ("1.0.0", "zaken-api-1.0.0", "zaken-api-1.0.1", "besluiten-api-1.0.2"):
        gitrepo.commit(tag)
        gitrepo.tag(tag)
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "demo.yaml").write_text(MANIFEST, encoding="utf-8")
    args = ["--manifests", str(manifests), "manifest", "refresh", "zaken", "--repo"]
    result = run(*args, str(gitrepo.path), "--format", "json")
    assert json.loads(result.stdout)["versions"] == ["1.0.0", "1.0.1"]


def test_installed_command(setup: tuple[Path, Path, Path]) -> None:
    repo, charts, manifests = setup
    exe = Path(sys.executable).with_name("ozrelease")
    if not exe.exists():
        pytest.skip("ozrelease is not installed beside this Python")
    args = ["--manifests", str(manifests), "manifest", "refresh", "demo", "--repo", str(repo)]
    out = subprocess.run(
        [str(exe), *args, "--charts", str(charts), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["releases"][-1]["version"] == "1.2.0"


def test_file_names_are_data_never_yaml_or_terminal_control(
    gitrepo: GitRepo, tmp_path: Path
) -> None:
    # git allows any byte but NUL and / in a file name: a newline would end the source
    # comment and start YAML of its own, an escape sequence would drive the terminal
    hostile = "src/x\nkind: API\nname: evil\x1b[31m/openapi.yaml"
    gitrepo.commit("1.0.0", {hostile: OPENAPI.format(version="1.0.0")})
    gitrepo.tag("1.0.0")
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "demo.yaml").write_text(
        "kind: Component\nname: demo\nreleases:\n"
        '  - version: "0.9.0"\n    provides: {zaken: "0.9.0"}\n'
        "---\nkind: API\nname: zaken\n",
        encoding="utf-8",
    )
    args = ["--manifests", str(manifests), "manifest", "refresh", "demo", "--repo"]
    result = run(*args, str(gitrepo.path), "--write")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    text = (manifests / "demo.yaml").read_text(encoding="utf-8")
    assert "\x1b" not in text and "name: evil" not in text.splitlines()
    assert 'provides: {zaken: "1.0.0"}  # source: repo:src/x?kind: API?name: evil?[31m/' in text
    assert run("--manifests", str(manifests), "validate").exit_code == 0


@settings(max_examples=examples(80), deadline=None)
@given(st.text(max_size=400))
def test_the_readers_take_any_text(text: str) -> None:
    # repository files are data: whatever they hold, the readers answer or say nothing
    read.parse_upgrade_paths(text, "UPGRADE_CHECK_PATHS")
    read.parse_support_table(text)
    version, _ = read._info("info:\n  version: " + text)
    assert version is None or version[:1].isdigit()


def test_deeply_nested_settings_are_no_crash() -> None:
    assert read.parse_upgrade_paths("x = " + "[" * 100_000, "UPGRADE_CHECK_PATHS") is None


def test_manifest_releases_without_a_tag_and_the_default_repo(
    setup: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, _, manifests = setup
    path = manifests / "demo.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "---\nkind: Component\nname: postgresql",
            '  - version: "1.1.5"  # from a changelog\n---\nkind: Component\nname: postgresql',
        ),
        encoding="utf-8",
    )
    monkeypatch.chdir(repo)  # --repo defaults to the current directory
    result = run("--manifests", str(manifests), "manifest", "refresh", "demo")
    assert result.exit_code == 0, result.output
    assert "1.1.5 is in the manifest but has no final tag in the repository" in result.stdout
    # 1.0.0's provides is by hand and agrees; nothing the repository lacks is dropped
    assert "1.0.0: provides" not in result.stdout


def test_fresh_clones_of_the_component_and_the_charts(
    setup: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    # the "done when": plain clones, where gh-pages is only origin/gh-pages
    repo, charts, manifests = setup
    env = GitRepo(repo, {}).env
    component = GitRepo(repo, {})
    component.env = env
    component_clone = component.clone(tmp_path / "clone-demo")
    charts_source = GitRepo(charts, {})
    charts_source.env = env
    charts_clone = charts_source.clone(tmp_path / "clone-charts")
    data = refresh_json(manifests, component_clone.path, charts_clone.path)
    releases = data["releases"]
    assert [r["chart"] for r in releases] == ["0.1.0", "0.2.1", None]  # type: ignore[union-attr, index]


def test_releases_of_one_line_share_no_yaml_anchor(
    gitrepo: GitRepo, setup: tuple[Path, Path, Path]
) -> None:
    """Two new releases of one support line (1.1.0, 1.1.1) get the same eol: each is written
    as its own value, never as an anchor and an alias (editing one would change the other)."""
    repo, _, manifests = setup
    gitrepo.commit("Release 1.1.1", {"src/demo/y.py": "y = 1\n"})
    gitrepo.tag("1.1.1", message="Release 1.1.1")
    path = manifests / "demo.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            '  - version: "1.1.0"\n    reversible: false  # hand-curated: the tool cannot know\n',
            "",
        ),
        encoding="utf-8",
    )
    args = ["--manifests", str(manifests), "manifest", "refresh", "demo", "--repo", str(repo)]
    assert run(*args, "--write").exit_code == 0
    after = path.read_text(encoding="utf-8")
    assert after.count("eol: 2024-09-01") == 2, after
    assert "&id" not in after and "*id" not in after, after
    assert run("--manifests", str(manifests), "validate").exit_code == 0


FLUSH = """\
# A municipality's own manifest, in its own style: sequences flush with their key.
kind: Component
name: demo
title:   "Demo"
repository: https://github.com/example/demo
deploy:
    helm: {release: demo, chart: example/demo}
releases:
- version: "1.0.0"   # hand-written, three spaces before the comment
  date: 2024-01-01
  notes:
  - "Kept."
---
kind: Component
name: postgresql
releases: [{version: "12"}, {version: "14"}]
---
kind: API
name: zaken
versions: ["1.0.0"]
"""


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_write_keeps_the_files_own_style(setup: tuple[Path, Path, Path], newline: str) -> None:
    """Lines --write does not change stay byte for byte as written (indentation, spacing,
    flow maps in a list, another document, CRLF), and what it adds follows that style."""
    repo, charts, manifests = setup
    path = manifests / "demo.yaml"
    path.write_bytes(FLUSH.replace("\n", newline).encode())
    args = ["--manifests", str(manifests), "manifest", "refresh", "demo", "--repo", str(repo)]
    result = run(*args, "--charts", str(charts), "--write")
    assert result.exit_code == 0, result.output
    after = path.read_bytes().decode()
    lines = after.split(newline)
    assert all(not line.endswith("\r") and "\n" not in line for line in lines), repr(after)
    for line in FLUSH.splitlines():
        assert line in lines, (line, after)
    assert '- version: "1.1.0"  # source: example/demo git tag 1.1.0' in lines
    assert "  date: " in after and "    date:" not in after
    assert run("--manifests", str(manifests), "validate").exit_code == 0
    data = refresh_json(manifests, repo, charts)
    assert [r["version"] for r in data["releases"]] == ["1.0.0", "1.1.0", "1.2.0"]  # type: ignore[index]
    run(*args, "--charts", str(charts), "--write")
    assert path.read_bytes().decode() == after


@pytest.mark.slow
def test_concurrent_writes_of_one_file_lose_nothing(gitrepo: GitRepo, tmp_path: Path) -> None:
    """Six standards of one apis.yaml refreshed with --write at the same time: each run
    either wrote and its versions are in the file, or was told the file changed meanwhile
    (exit 2) and wrote nothing; never "written" and lost."""
    exe = Path(sys.executable).with_name("ozrelease")
    if not exe.exists():
        pytest.skip("ozrelease is not installed beside this Python")
    for tag in ("1.0.0", "1.1.0", "1.2.0"):
        gitrepo.commit(tag, {"api.yaml": OPENAPI.format(version=tag)})
        gitrepo.tag(tag)
    names = [f"api{i}" for i in range(6)]
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    apis = manifests / "apis.yaml"
    for _ in range(3):
        apis.write_text(
            "\n---\n".join(f'kind: API\nname: {n}\nversions:\n  - "1.0.0"\n' for n in names),
            encoding="utf-8",
        )
        base = [str(exe), "--manifests", str(manifests), "manifest", "refresh"]
        runs = [
            subprocess.Popen(
                [*base, n, "--repo", str(gitrepo.path), "--write"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in names
        ]
        outcomes = []
        for name, process in zip(names, runs, strict=True):
            _, err = process.communicate()
            outcomes.append((name, process.returncode, err))
        text = apis.read_text(encoding="utf-8")
        documents = text.split("\n---\n")
        for name, code, err in outcomes:
            (document,) = (d for d in documents if f"name: {name}\n" in d)
            if code == 0:
                assert '"1.2.0"' in document, (name, err, text)
            else:
                assert code == 2 and "changed since" in err, (name, code, err)
                assert '"1.2.0"' not in document, (name, text)


def test_write_keeps_a_header_before_the_first_marker_and_empty_documents(
    setup: tuple[Path, Path, Path],
) -> None:
    """What ruamel.yaml alone drops or re-spells around document markers (a comment before
    the first `---`, an empty document, `--- # comment`, a closing `...`) stays as written:
    only the document edited is re-emitted."""
    repo, charts, manifests = setup
    path = manifests / "demo.yaml"
    head = "# yaml-language-server: $schema=ozrelease.json\n---\n# an empty document\n--- # demo\n"
    tail = '...\n---\nkind: API\nname: other\nversions: ["1.0"]\n---\n'
    path.write_text(head + MANIFEST + tail, encoding="utf-8")
    args = ["--manifests", str(manifests), "manifest", "refresh", "demo", "--repo", str(repo)]
    assert run(*args, "--charts", str(charts), "--write").exit_code == 0
    after = path.read_text(encoding="utf-8")
    assert after.startswith(head), after
    assert after.endswith(MANIFEST.split("---\nkind: Component\nname: postgresql")[1] + tail)
    assert '  - version: "1.2.0"  # source: example/demo git tag v1.2.0' in after
    assert run("--manifests", str(manifests), "validate").exit_code == 0


@pytest.mark.slow
@pytest.mark.parametrize("flush", [False, True])
@pytest.mark.parametrize("crlf", [False, True])
@pytest.mark.parametrize("header", [False, True])
@pytest.mark.parametrize("before", [False, True])
def test_write_in_any_style_reads_as_the_plain_round_trip(
    setup: tuple[Path, Path, Path], flush: bool, crlf: bool, header: bool, before: bool
) -> None:
    """Whatever the file's style (sequences flush or indented, CRLF, a header comment and
    `---`, another document before it), --write gives a file that reads exactly as the
    derived facts say, keeps every comment line, and a second run writes nothing."""
    repo, charts, manifests = setup
    text = (
        MANIFEST.replace("\n  - version", "\n- version").replace("\n    ", "\n  ")
        if flush
        else MANIFEST
    )
    if before:
        text = 'kind: API\nname: first\nversions: ["1.0"]\n---\n' + text
    if header:
        text = "# header\n---\n" + text
    newline = "\r\n" if crlf else "\n"
    path = manifests / "demo.yaml"
    path.write_bytes(text.replace("\n", newline).encode())
    args = ["--manifests", str(manifests), "manifest", "refresh", "demo", "--repo", str(repo)]
    assert run(*args, "--charts", str(charts), "--write").exit_code == 0
    after = path.read_bytes().decode()
    assert ("\r\n" in after) == crlf and (after.count("\n") == after.count("\r\n")) == crlf
    for line in text.splitlines():  # (the wrong date's comment goes with the wrong date)
        if "#" in line and "wrong date" not in line:
            assert line in after.splitlines(), line
    assert run("--manifests", str(manifests), "validate").exit_code == 0
    data = refresh_json(manifests, repo, charts)
    assert not [c for c in data["changes"] if "new release" in c or " -> " in c]  # type: ignore[attr-defined]
    assert run(*args, "--charts", str(charts), "--write").exit_code == 0
    assert path.read_bytes().decode() == after
