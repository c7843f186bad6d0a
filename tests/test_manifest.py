"""The manifest loader: valid manifests load; every kind of broken manifest gets FILE:LINE."""

from __future__ import annotations

import datetime as dt
from dataclasses import MISSING
from pathlib import Path

import pytest

from ozrelease.ecosystem import load as manifest
from ozrelease.ecosystem import source
from ozrelease.errors import ManifestError
from ozrelease.versions import parse_version

BASE = """
kind: API
name: notificaties
versions: [1.0.0]
---
kind: API
name: autorisaties
versions: [1.0.0]
---
kind: API
name: zaken
title: Zaken API
standard: VNG ZGW
versions: [1.0.0, 1.5.1]
"""

COMPONENTS = """
kind: Component
name: open-zaak
title: Open Zaak
defaults:
  consumes: {notificaties: ">=1.0,<2"}
releases:
  - version: 1.26.0
    date: 2025-12-01
    provides: {zaken: 1.5.1, autorisaties: 1.0.0}
  - version: 1.30
    provides: {zaken: 1.5.1, autorisaties: 1.0.0}
    requires: {postgresql: ">=14"}
    upgradeFrom: ">=1.26"
    reversible: false
    notes: [Long data migration.]
    eol: 2027-02-01
deploy:
  helm: {release: openzaak, chart: maykinmedia/openzaak}
  image: openzaak/open-zaak
---
kind: Component
name: open-notificaties
releases:
  - version: 1.8.0
    provides: {notificaties: 1.0.0}
    consumes: {autorisaties: ">=1.0"}
---
kind: Component
name: postgresql
releases: [{version: "14"}, {version: "15"}]
"""

ENV = """
kind: Environment
name: example-gemeente
deployed: {open-zaak: 1.26.0, open-notificaties: 1.8.0, postgresql: "15"}
targets: {open-zaak: latest}
"""


@pytest.fixture
def valid(write):
    write("manifests/apis.yaml", BASE)
    write("manifests/components.yaml", COMPONENTS)
    return write("manifests/env.yaml", ENV).parent


def test_valid_manifests_load_into_dataclasses(valid: Path) -> None:
    eco = manifest.load(valid)
    oz = eco.components["open-zaak"]
    assert [r.label for r in oz.releases] == ["1.26.0", "1.30"]  # 1.30 kept as written
    newest = oz.releases[-1]
    assert newest.version == parse_version("1.30")
    assert newest.consumes["notificaties"].text == ">=1.0,<2"  # from defaults
    assert newest.requires["postgresql"].allows(parse_version("15"))
    assert newest.reversible is False
    assert newest.eol == dt.date(2027, 2, 1)
    assert newest.notes == ("Long data migration.",)
    assert newest.deploy.image == "openzaak/open-zaak"
    assert newest.deploy.helm_chart == "maykinmedia/openzaak"
    assert oz.releases[0].date == dt.date(2025, 12, 1)
    assert newest.can_upgrade_from(parse_version("1.26.0"))
    env = eco.environments["example-gemeente"]
    assert env.deployed["postgresql"] == parse_version("15")
    assert env.targets == {"open-zaak": "latest"}
    assert eco.apis["zaken"].newest == parse_version("1.5.1")


def test_validate_cli_says_valid(valid: Path, ozr) -> None:
    result = ozr("validate")
    assert result.exit_code == 0, result.output
    assert "valid (3 components, 5 releases, 3 APIs, 1 environment)" in result.stdout


def test_a_single_file_can_hold_everything(write, ozr) -> None:
    path = write("all.yaml", BASE + "---\n" + COMPONENTS + "---\n" + ENV)
    result = ozr("--manifests", str(path), "validate")
    assert result.exit_code == 0, result.output


# Each case: files to write (over the valid base), then the expected FILE:LINE: and a
# fragment of the message. The line is the line of the offending key or value.
BROKEN = {
    "yaml-syntax": (
        {"manifests/x.yaml": "kind: API\nname: [zaken\nversions: []\n"},
        "manifests/x.yaml:3:",
        "YAML syntax error",
    ),
    "not-utf8": (
        {"manifests/x.yaml": b"kind: API\nname: zaken\ntitle: Caf\xe9\n"},
        "manifests/x.yaml:3:",
        "not valid UTF-8: byte 0xe9",
    ),
    "unknown-kind": (
        {"manifests/x.yaml": "kind: Componnet\nname: x\n"},
        "manifests/x.yaml:1:",
        "unknown kind 'Componnet' (did you mean 'Component'?)",
    ),
    "missing-kind": (
        {"manifests/x.yaml": "name: x\n"},
        "manifests/x.yaml:1:",
        "document without 'kind'",
    ),
    "not-a-mapping": (
        {"manifests/x.yaml": "- kind: API\n  name: x\n"},
        "manifests/x.yaml:1:",
        "must be a mapping",
    ),
    "unknown-key-did-you-mean": (
        {
            "manifests/x.yaml": "kind: Component\nname: x\nreleases:\n  - version: 1.0.0\n"
            "    upgradeFrm: '>=0.9'\n"
        },
        "manifests/x.yaml:5:",
        "unknown key 'upgradeFrm' in a release (did you mean 'upgradeFrom'?)",
    ),
    "unknown-top-key": (
        {"manifests/x.yaml": "kind: API\nname: x\nversion: [1.0.0]\n"},
        "manifests/x.yaml:3:",
        "unknown key 'version' in an API (did you mean 'versions'?)",
    ),
    "wrong-type-releases": (
        {"manifests/x.yaml": "kind: Component\nname: x\nreleases: 1.0.0\n"},
        "manifests/x.yaml:3:",
        "releases: expected a list of releases, found text",
    ),
    "wrong-type-bool": (
        {
            "manifests/x.yaml": "kind: Component\nname: x\nreleases:\n  - version: 1.0.0\n"
            "    reversible: no\n"
        },
        "manifests/x.yaml:5:",
        "releases[0].reversible: expected true or false, found 'no'",
    ),
    "invalid-version": (
        {"manifests/x.yaml": "kind: Component\nname: x\nreleases:\n  - version: 1.x.0\n"},
        "manifests/x.yaml:4:",
        "'1.x.0' is not a valid version",
    ),
    "invalid-specifier": (
        {
            "manifests/x.yaml": "kind: Component\nname: x\nreleases:\n  - version: 1.0.0\n"
            "    consumes: {zaken: '=>1.0'}\n"
        },
        "manifests/x.yaml:5:",
        "'=>1.0' is not a valid version specifier",
    ),
    "bare-version-as-specifier": (
        {
            "manifests/x.yaml": "kind: Component\nname: x\nreleases:\n  - version: 1.0.0\n"
            "    upgradeFrom: '1.7'\n"
        },
        "manifests/x.yaml:5:",
        "for that series '==1.7.*'",
    ),
    "invalid-date": (
        {
            "manifests/x.yaml": "kind: Component\nname: x\nreleases:\n  - version: 1.0.0\n"
            "    date: 2026-13-01\n"
        },
        "manifests/x.yaml:5:",
        "expected a date (YYYY-MM-DD)",
    ),
    "bad-name": (
        {"manifests/x.yaml": "kind: Component\nname: Open_Zaak\nreleases:\n  - version: 1.0.0\n"},
        "manifests/x.yaml:2:",
        "'Open_Zaak' is not a valid component name",
    ),
    "duplicate-component": (
        {"manifests/y.yaml": "kind: Component\nname: postgresql\nreleases:\n  - version: '16'\n"},
        "manifests/y.yaml:2:",
        "component 'postgresql' is defined twice (first at manifests/components.yaml:",
    ),
    "duplicate-release": (
        {
            "manifests/x.yaml": "kind: Component\nname: x\nreleases:\n  - version: 1.0.0\n"
            "  - version: '1.0'\n"
        },
        "manifests/x.yaml:5:",
        "release 1.0 is listed twice (also as '1.0.0')",
    ),
    "duplicate-yaml-key": (
        {"manifests/x.yaml": "kind: API\nname: x\nname: y\n"},
        "manifests/x.yaml:3:",
        "duplicate mapping key",
    ),
    "requires-unknown-component": (
        {
            "manifests/x.yaml": "kind: Component\nname: x\nreleases:\n  - version: 1.0.0\n"
            "    requires: {postgres: '>=14'}\n"
        },
        "manifests/x.yaml:5:",
        "requires unknown component 'postgres' (did you mean 'postgresql'?)",
    ),
    "consumes-unknown-api": (
        {
            "manifests/x.yaml": "kind: Component\nname: x\nreleases:\n  - version: 1.0.0\n"
            "    consumes: {zaaken: '>=1.0'}\n"
        },
        "manifests/x.yaml:5:",
        "unknown API 'zaaken' (did you mean 'zaken'?)",
    ),
    "env-unknown-component": (
        {"manifests/env.yaml": ENV.replace('postgresql: "15"', 'postgresql: "15", redis: 7')},
        "manifests/env.yaml:3:",
        "deploys unknown component 'redis'",
    ),
    "env-unlisted-version": (
        {"manifests/env.yaml": ENV.replace("open-notificaties: 1.8.0", "open-notificaties: 1.9.0")},
        "manifests/env.yaml:3:",
        "deploys open-notificaties 1.9.0, which is not a release listed for open-notificaties",
    ),
    "wiring-to-non-provider": (
        {"manifests/env.yaml": ENV + "wiring:\n  open-zaak: {notificaties: postgresql}\n"},
        "manifests/env.yaml:6:",
        "postgresql does not provide notificaties",
    ),
    "api-without-provider": (
        {"manifests/env.yaml": ENV.replace("open-notificaties: 1.8.0, ", "")},
        "manifests/env.yaml:3:",
        "open-zaak 1.26.0 consumes notificaties (>=1.0,<2), but no deployed component provides",
    ),
    "api-several-providers-no-wiring": (
        {
            "manifests/x.yaml": "kind: Component\nname: other-notificaties\nreleases:\n"
            "  - version: 1.0.0\n    provides: {notificaties: 1.0.0}\n",
            "manifests/env.yaml": ENV.replace(
                'postgresql: "15"', 'postgresql: "15", other-notificaties: 1.0.0'
            ),
        },
        "manifests/env.yaml:3:",
        "open-zaak consumes notificaties, which several deployed components provide "
        "(open-notificaties, other-notificaties): say which in wiring.open-zaak",
    ),
    "required-not-deployed": (
        {
            "manifests/env.yaml": ENV.replace("open-zaak: 1.26.0", "open-zaak: 1.30").replace(
                ', postgresql: "15"', ""
            )
        },
        "manifests/env.yaml:3:",
        "open-zaak 1.30 requires postgresql (>=14), which is not deployed",
    ),
    "target-unlisted": (
        {"manifests/env.yaml": ENV.replace("open-zaak: latest", "open-zaak: 1.31.0")},
        "manifests/env.yaml:4:",
        "targets open-zaak 1.31.0, which is not a release listed for open-zaak",
    ),
    "alias-bomb": (
        {
            "manifests/x.yaml": "kind: API\nname: x\na: &a [x,x,x,x,x,x,x,x,x]\n"
            + "".join(
                f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n"
                for i in range(9)
            )
        },
        "manifests/x.yaml:",
        "alias",
    ),
    "deep-nesting": (
        {"manifests/x.yaml": "kind: API\nname: x\ntitle: " + "[" * 5000 + "]" * 5000 + "\n"},
        "manifests/x.yaml:3:",
        "YAML syntax error",
    ),
    "empty-provides-list": (
        {
            "manifests/x.yaml": "kind: Component\nname: x\nreleases:\n  - version: 1.0.0\n"
            "    provides: {zaken: []}\n"
        },
        "manifests/x.yaml:5:",
        "expected a version or a list of versions, found an empty list",
    ),
    "self-require": (
        {
            "manifests/x.yaml": "kind: Component\nname: x\nreleases:\n  - version: 1.0.0\n"
            "    requires: {x: '>=1'}\n"
        },
        "manifests/x.yaml:5:",
        "a component cannot require itself",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_manifests_are_located(case: str, valid: Path, write, ozr) -> None:
    files, where, fragment = BROKEN[case]
    for name, text in files.items():
        write(name, text)
    result = ozr("validate")
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if fragment in line]
    assert lines, result.stderr
    assert lines[0].startswith(where), result.stderr
    assert "Traceback" not in result.output
    # Every other command refuses invalid manifests with exit 2.
    result = ozr("graph")
    assert result.exit_code == 2, result.output
    assert any(line.startswith(where) for line in result.stderr.splitlines()), result.stderr


def test_validate_reports_every_problem_at_once(valid: Path, write, ozr) -> None:
    write(
        "manifests/x.yaml",
        "kind: Component\nname: x\nreleases:\n  - version: 1.x\n"
        "    consumes: {zaaken: '>=1'}\n    reversible: maybe\n",
    )
    result = ozr("validate")
    assert result.exit_code == 1
    problems = [line for line in result.stderr.splitlines() if line.startswith("manifests/")]
    assert len(problems) == 3, result.stderr
    assert [p.split(":")[1] for p in problems] == ["4", "5", "6"]
    assert "3 problems found." in result.stderr


def test_huge_file_is_refused_without_reading_it(valid: Path, tmp_path: Path, ozr) -> None:
    big = tmp_path / "manifests" / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(source.MAX_FILE_BYTES + 1)
    result = ozr("validate")
    assert result.exit_code == 1
    assert (
        "manifests/big.yaml: file is 32 MiB; manifests larger than 32 MiB are refused"
        in result.stderr
    )


def test_float_like_versions_keep_their_digits(write) -> None:
    path = write(
        "m.yaml",
        "kind: API\nname: zaken\nversions: [1.10, 1.9]\n---\n"
        "kind: Component\nname: x\nreleases:\n  - version: 1.10\n"
        "    provides: {zaken: 1.10}\n  - version: 1.9\n",
    )
    eco = manifest.load(path)
    assert [r.label for r in eco.components["x"].releases] == ["1.9", "1.10"]
    assert eco.components["x"].releases[-1].provides["zaken"] == (parse_version("1.10"),)
    assert eco.apis["zaken"].versions == (parse_version("1.9"), parse_version("1.10"))


def test_byte_order_mark_and_empty_documents_are_fine(write) -> None:
    path = write("m.yaml", b"\xef\xbb\xbf---\n---\nkind: API\nname: zaken\n---\n")
    assert "zaken" in manifest.load(path).apis


def test_provides_may_list_versions_served_side_by_side(write) -> None:
    path = write(
        "m.yaml",
        "kind: API\nname: objecten\n---\nkind: Component\nname: x\n"
        "releases:\n  - version: 2.0.0\n    provides: {objecten: [1.0.0, '2.0']}\n",
    )
    release = manifest.load(path).components["x"].releases[0]
    assert release.provides["objecten"] == (parse_version("1.0.0"), parse_version("2.0"))


def test_environment_from_a_file(valid: Path, write) -> None:
    eco = manifest.load(valid)
    env_file = write("elsewhere/prod.yaml", ENV.replace("example-gemeente", "prod"))
    env = manifest.load_environment(eco, str(env_file))
    assert env.name == "prod"
    broken = write("elsewhere/bad.yaml", ENV.replace("1.8.0", "9.9.9"))
    with pytest.raises(ManifestError) as caught:
        manifest.load_environment(eco, str(broken))
    assert str(caught.value).startswith(f"{broken}:3:")


def test_unknown_environment_gets_a_suggestion(valid: Path, ozr) -> None:
    result = ozr("graph", "--env", "example-gemeent")
    assert result.exit_code == 2
    assert (
        "unknown environment 'example-gemeent' (did you mean 'example-gemeente'?)" in result.stderr
    )


def test_instances_are_keys_of_their_own(write) -> None:
    write("m/apis.yaml", BASE)
    write("m/c.yaml", COMPONENTS)
    path = write(
        "m/env.yaml",
        """
        kind: Environment
        name: fleet
        deployed:
          open-zaak@utrecht: 1.26.0
          open-zaak@tilburg: 1.30
          open-notificaties@shared: 1.8.0
          postgresql: "15"
        wiring:
          open-notificaties@shared: {autorisaties: open-zaak@utrecht}
        targets: {open-zaak: latest}
        """,
    ).parent
    eco = manifest.load(path)
    env = eco.environments["fleet"]
    assert set(env.deployed) == {
        "open-zaak@utrecht",
        "open-zaak@tilburg",
        "open-notificaties@shared",
        "postgresql",
    }
    assert env.wiring["open-notificaties@shared"] == {"autorisaties": "open-zaak@utrecht"}


def test_the_loaders_fast_release_constructor_knows_every_field() -> None:
    from dataclasses import fields

    from ozrelease.ecosystem.model import _RELEASE_DEFAULTS, Release

    required = {"component", "version", "label", "where"}
    assert {f.name for f in fields(Release)} == set(_RELEASE_DEFAULTS) | required
    for f in fields(Release):
        if f.name in _RELEASE_DEFAULTS and f.default is not MISSING:
            assert _RELEASE_DEFAULTS[f.name] == f.default
