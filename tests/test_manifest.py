"""The manifest loader: valid manifests load; every kind of broken manifest gets FILE:LINE."""

from __future__ import annotations

import datetime as dt
import json
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
        "manifests/x.yaml:8:",  # the alias of `f` that passes the limit
        "YAML aliases expand too far",
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
        "    requires: {postgresq: '>=1'}\n    reversible: maybe\n",
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


# --------------------------------------------------------------------------- contract §2


TWO_COMPONENTS = """
kind: Component
name: control-plane
releases:
  - version: 1.0.0
    provides: {cases: 1.0.0}
  - version: 2.0.0
    provides: {cases: 2.0.0}
---
kind: Component
name: portal
releases:
  - version: 1.0.0
    consumes: {cases: ">=1,<2"}
  - version: 1.1.0
    consumes: {cases: ">=1,<3"}
---
kind: Environment
name: prod
deployed: {control-plane: 1.0.0, portal: 1.0.0}
wiring:
  portal: {cases: control-plane}
"""


def test_apis_need_no_declaration(write, ozr) -> None:
    write("manifests/all.yaml", TWO_COMPONENTS)
    result = ozr("validate")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert "valid (2 components, 4 releases, 1 API, 1 environment)" in result.stdout
    plan = ozr("plan", "--to", "control-plane=2.0.0", "--format", "json")
    assert plan.exit_code == 0, plan.output
    steps = [s for w in json.loads(plan.stdout)["windows"] for s in w["steps"]]
    # portal 1.0.0 accepts only cases <2: it moves first, so no state between steps breaks
    assert [(s["component"], s["to"]) for s in steps] == [
        ("portal", "1.1.0"),
        ("control-plane", "2.0.0"),
    ]
    status = ozr("status", "--on", "2026-01-01", "--format", "json")
    assert status.exit_code == 0, status.output
    (control,) = [
        c for c in json.loads(status.stdout)["components"] if c["name"] == "control-plane"
    ]
    assert control["apis"] == [{"api": "cases", "provided": "1.0.0", "newestStandard": None}]


def test_an_undeclared_api_close_to_a_declared_one_is_a_warning(valid: Path, write, ozr) -> None:
    write(
        "manifests/x.yaml",
        "kind: Component\nname: x\nreleases:\n  - version: 1.0.0\n"
        "    consumes: {zaaken: '>=1.0'}\n  - version: 1.1.0\n    consumes: {zaaken: '>=1.0'}\n",
    )
    result = ozr("validate")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "manifests/x.yaml:5: warning: component x: releases[0].consumes.zaaken: "
        "API 'zaaken' is not declared (did you mean 'zaken'?)"
    ]
    graph = ozr("graph", "--format", "json")  # every command says it, on stderr only
    assert graph.exit_code == 0 and "did you mean 'zaken'" in graph.stderr
    json.loads(graph.stdout)


def test_an_undeclared_api_three_letters_from_a_declared_one_is_a_name_of_its_own(
    valid: Path, write, ozr
) -> None:
    # `autorisaties-v2` (like `objecten-v2` or `besluittypen` next to `objecten` and
    # `besluiten`) is deliberate, not a typo: no warning on every command's stderr. One or
    # two letters off still is one (`zaakn`, `autorisatie`, `autorisatiess`).
    write(
        "manifests/x.yaml",
        "kind: Component\nname: x\nreleases:\n  - version: 1.0.0\n"
        "    consumes: {autorisaties-v2: '>=1', autorisatie: '>=1', autorisatiess: '>=1',"
        " autorisatiesapi: '>=1', zaakn: '>=1'}\n",
    )
    result = ozr("validate")
    assert result.exit_code == 0, result.output
    warned = [line.split("API ")[1] for line in result.stderr.splitlines()]
    assert warned == [
        "'autorisatie' is not declared (did you mean 'autorisaties'?)",
        "'autorisatiess' is not declared (did you mean 'autorisaties'?)",
        "'zaakn' is not declared (did you mean 'zaken'?)",
    ]


def test_an_undeclared_api_name_follows_the_declared_names_rule(write, ozr) -> None:
    # An undeclared API name reaches every output (a Mermaid label, a DOT label, the text
    # graph): a quote, a line break or a space in it would break out of them, so it is held
    # to the rule a declared API's name is held to.
    write(
        "manifests/x.yaml",
        "kind: Component\nname: app\nreleases:\n  - version: 1.0.0\n"
        '    consumes: {"x\\"]; click n0 call alert()": ">=1", "e\\n%%{init: {}}%%": ">=1"}\n'
        "---\nkind: Component\nname: backend\nreleases:\n  - version: 1.0.0\n"
        "    provides: {Cases: 1.0.0, cases: 1.0.0}\n",
    )
    result = ozr("validate")
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 4, lines
    assert lines[0].startswith("manifests/x.yaml:5: component app: releases[0].consumes.")
    assert all("is not a valid API name (lower-case letters" in line for line in lines[:3])
    assert lines[2].startswith(
        "manifests/x.yaml:11: component backend: releases[0].provides.Cases: 'Cases' is not"
    )
    assert lines[3] == "3 problems found."
    graph = ozr("graph", "--format", "mermaid")
    assert graph.exit_code == 2 and "alert" not in graph.stdout


@pytest.mark.parametrize(
    "breakage",
    [("name: open-zaak", "name: [open-zaak"), ("title: Open Zaak", 'title: "Open Zaak')],
)
def test_a_broken_file_is_reported_once_not_as_follow_on_errors(
    valid: Path, write, ozr, breakage: tuple[str, str]
) -> None:
    # The component file does not parse: the environment deploying it, the component
    # requiring it and the wiring naming it do not add "unknown component" errors.
    write("manifests/components.yaml", COMPONENTS.replace(*breakage))
    write(
        "manifests/more.yaml",
        "kind: Component\nname: portal\nreleases:\n  - version: 1.0.0\n"
        "    requires: {open-zaak: '>=1'}\n",
    )
    result = ozr("validate")
    assert result.exit_code == 1
    problems = result.stderr.splitlines()[:-1]
    assert len(problems) == 1, result.stderr
    assert problems[0].startswith("manifests/components.yaml:") and "YAML syntax" in problems[0]


def test_an_invalid_deployed_version_is_reported_once(valid: Path, write, ozr) -> None:
    write(
        "manifests/env.yaml",
        ENV.replace("open-zaak: 1.26.0", "open-zaak: 1.2x")
        + "wiring:\n  open-zaak: {notificaties: open-notificaties}\n"
        "  open-notificaties: {autorisaties: open-zaak}\n",
    )
    result = ozr("validate")
    assert result.exit_code == 1
    problems = result.stderr.splitlines()[:-1]
    assert len(problems) == 1, result.stderr
    assert problems[0].startswith("manifests/env.yaml:3: environment example-gemeente: ")
    assert "'1.2x' is not a valid version" in problems[0]
    assert "is not deployed" not in result.stderr and "targets" not in result.stderr


def test_no_did_you_mean_further_than_a_typo(write, ozr) -> None:
    write(
        "manifests/x.yaml",
        "kind: Component\nname: open-klant\nreleases:\n  - version: 1.0.0\n"
        "    requires: {open-klnat: '>=1'}\n---\nkind: Component\nname: portal\nreleases:\n"
        "  - version: 1.0.0\n    requires: {open-zaak: '>=1'}\n",
    )
    result = ozr("validate")
    assert "requires unknown component 'open-klnat' (did you mean 'open-klant'?)" in result.stderr
    line = next(x for x in result.stderr.splitlines() if "'open-zaak'" in x)
    assert line.endswith("requires unknown component 'open-zaak'"), line  # not 'open-klant'


# --------------------------------------------------------------------------- hardening


def test_empty_and_comment_only_files_are_no_syntax_error(valid: Path, write, ozr) -> None:
    write("manifests/empty.yaml", "")
    write("manifests/comments.yaml", "# nothing here yet\n# (a placeholder)\n")
    write("manifests/dashes.yml", "---\n")
    result = ozr("validate")
    assert result.exit_code == 0, result.output
    assert "valid (3 components" in result.stdout


@pytest.mark.parametrize("written", ["0o17", "0x1F", "1_000", "1e3"])
def test_numbers_in_other_notations_are_never_versions_of_their_value(write, written) -> None:
    path = write(
        "m.yaml",
        f"kind: Component\nname: x\nreleases:\n  - version: {written}\n"
        f"    provides: {{zaken: {written}}}\n",
    )
    ecosystem, problems = manifest.check(path)
    assert [(p.line, p.message.split(" is not")[0]) for p in problems] == [
        (4, f"component x: releases[0].version: '{written}'"),
        (5, f"component x: releases[0].provides.zaken: '{written}'"),
    ], problems
    assert "x" not in ecosystem.components or not ecosystem.components["x"].releases


def test_leading_zeros_and_signs_are_read_as_written(write) -> None:
    path = write("m.yaml", "kind: Component\nname: x\nreleases:\n  - version: 015\n")
    (release,) = manifest.load(path).components["x"].releases
    assert release.label == "015"


def test_a_file_name_with_a_newline_stays_on_one_line(valid: Path, write, ozr) -> None:
    write("manifests/bad\nname\x1b[31m.yaml", "kind: API\nname: [x\n")
    result = ozr("validate")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2, lines  # the problem, and the count
    assert lines[0].startswith("manifests/bad\\nname\\x1b[31m.yaml:2: YAML syntax error")


def test_a_symlink_loop_and_a_fifo_are_reported_not_skipped(
    valid: Path, tmp_path: Path, ozr
) -> None:
    import os

    (valid / "loop").symlink_to(valid, target_is_directory=True)
    os.mkfifo(valid / "pipe.yaml")
    (valid / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    result = ozr("validate")  # and no hang reading the FIFO
    assert result.exit_code == 1
    assert "manifests/loop: a symlink loop (this folder is read already)" in result.stderr
    assert "manifests/pipe.yaml: not a regular file (a FIFO, socket or device)" in result.stderr
    assert "manifests/gone.yaml: a symlink to nothing (a broken link)" in result.stderr


def test_an_unreadable_folder_is_reported(valid: Path, ozr) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root reads every folder")
    locked = valid / "locked"
    locked.mkdir()
    (locked / "x.yaml").write_text("kind: API\nname: x\n")
    locked.chmod(0)
    try:
        result = ozr("validate")
    finally:
        locked.chmod(0o755)
    assert result.exit_code == 1
    assert "manifests/locked: cannot read this folder: Permission denied" in result.stderr


def test_many_problems_in_one_mapping_are_each_located(write) -> None:
    # Locating a problem used to scan its mapping: 40,000 keys took 234 s (bench_load.py
    # --problems measures it); here the answer, each at its own line.
    count = 3_000
    keys = "".join(f"  k{i}: x\n" for i in range(count))
    path = write("m.yaml", "kind: API\nname: a\nversions: [1.0.0]\ntitle: t\nbogus:\n" + keys)
    text = path.read_text().replace("bogus:\n", "").replace("  k", "k")
    path.write_text(text)
    problems = manifest.check(path)[1]
    assert len(problems) == count
    assert sorted(p.line for p in problems) == list(range(5, 5 + count))


@pytest.mark.parametrize(
    ("releases", "problem"),
    [
        ("releases: []", "3: component a: releases: expected a list of releases"),
        ("releases: 7", "3: component a: releases: expected a list of releases"),
        ("title: A", "1: component a: no 'releases'"),
        ("releases: [{version: 1.0.x}, {version: 2.0.0}]", "3: component a: releases[0].version"),
        ("releases: [1.0.0, {version: 2.0.0}]", "3: component a: releases[0]: expected a mapping"),
    ],
)
def test_a_release_that_cannot_be_read_is_not_reported_again_by_its_environment(
    write, ozr, releases: str, problem: str
) -> None:
    # The environment deploys a version the broken list meant to hold: "deploys a 1.0.0,
    # which is not a release listed for a (it lists no releases)" followed from the cause.
    write(
        "manifests/m.yaml",
        f"kind: Component\nname: a\n{releases}\n---\n"
        "kind: Component\nname: c\nreleases: [{version: 1.0.0, requires: {a: '>=1'}}]\n---\n"
        "kind: Environment\nname: e\ndeployed: {a: 1.0.0, c: 1.0.0}\n"
        "wiring: {c: {a: a}}\ntargets: {a: latest}\n",
    )
    result = ozr("validate")
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"manifests/m.yaml:{problem}"), lines
    assert lines[1] == "1 problem found."
    # A version the component really does not list is still reported.
    write(
        "manifests/m.yaml",
        "kind: Component\nname: a\nreleases: [{version: 2.0.0}]\n---\n"
        "kind: Environment\nname: e\ndeployed: {a: 1.0.0}\n",
    )
    again = ozr("validate")
    assert "deploys a 1.0.0, which is not a release listed for a" in again.stderr


def test_a_requires_typo_is_not_reported_again_by_the_environment(write, ozr) -> None:
    # "requires unknown component 'postgres'" was followed by the environment's "app 1.0.0
    # requires postgres (>=14), which is not deployed": one cause, said twice.
    write(
        "manifests/m.yaml",
        "kind: Component\nname: app\nreleases: [{version: 1.0.0, requires: {postgres: '>=14'}}]\n"
        "---\nkind: Component\nname: postgresql\nreleases: [{version: '15'}]\n"
        "---\nkind: Environment\nname: e\ndeployed: {app: 1.0.0, postgresql: '15'}\n",
    )
    result = ozr("validate")
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        "manifests/m.yaml:3: component app: releases[0].requires.postgres: requires unknown "
        "component 'postgres' (did you mean 'postgresql'?)",
        "1 problem found.",
    ]


def test_no_did_you_mean_for_a_name_with_nothing_in_common(write, ozr) -> None:
    # `a` for `c` is one edit, but no typo: every letter differs.
    write(
        "manifests/m.yaml",
        "kind: Component\nname: a\nreleases: [{version: 1.0.0}]\n---\n"
        "kind: Component\nname: ab\nreleases: [{version: 1.0.0, requires: {c: '>=1', b: '>=1'}}]\n",
    )
    lines = ozr("validate").stderr.splitlines()
    assert lines == [
        "manifests/m.yaml:7: component ab: releases[0].requires.b: requires unknown component "
        "'b' (did you mean 'ab'?)",
        "manifests/m.yaml:7: component ab: releases[0].requires.c: requires unknown component 'c'",
        "2 problems found.",
    ]


WIRED = (
    "kind: Component\nname: portal\nreleases: [{version: 1.0.0, consumes: {cases: '>=1'}}]\n"
    "---\nkind: Component\nname: old\nreleases: [{version: 1.0.0, provides: {cases: 1.0.0}}]\n"
    "---\nkind: Component\nname: new\nreleases: [{version: 1.0.0, provides: {cases: 1.0.0}}]\n"
    "---\nkind: Environment\nname: e\ndeployed: {portal: 1.0.0, old: 1.0.0, new: 1.0.0}\n"
    "wiring: {portal: {cases: old}}\n"
)


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("{cases: ol}", "wiring.portal.cases: 'ol' is not deployed in this environment"),
        ("{casse: old}", "wiring.portal.casse: 'casse' is neither an API nor a component"),
        ("{cases: 7}", "wiring.portal.cases: expected a deployed component, found a number"),
    ],
)
def test_a_broken_wiring_entry_is_reported_once(write, ozr, entry: str, problem: str) -> None:
    # The entry that would say which provider is broken: "portal consumes cases, which
    # several deployed components provide (new, old): say which in wiring.portal" followed.
    write("manifests/m.yaml", WIRED.replace("{cases: old}", entry))
    result = ozr("validate")
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and problem in lines[0], lines
    assert lines[1] == "1 problem found."
    # No entry at all (or one that is no typo of anything) still gets the ambiguity said.
    write("manifests/m.yaml", WIRED.replace("{cases: old}", "{zzz: old}"))
    assert "several deployed components provide" in ozr("validate").stderr


def test_a_deployed_name_mistyped_is_reported_once_not_at_its_wiring_and_targets(
    write, ozr
) -> None:
    # `open-froms` deployed: "wiring: 'open-forms' is not deployed" and "targets: 'open-forms'
    # is not deployed (did you mean 'open-froms'?)" followed from the one typo.
    write(
        "manifests/m.yaml",
        "kind: Component\nname: open-forms\nreleases: [{version: 1.0.0, consumes: {x: '>=1'}}]\n"
        "---\nkind: Component\nname: p\nreleases: [{version: 1.0.0, provides: {x: 1.0}}]\n"
        "---\nkind: Component\nname: q\nreleases: [{version: 1.0.0, provides: {x: 1.0}}]\n"
        "---\nkind: Environment\nname: e\ndeployed: {open-froms: 1.0.0, p: 1.0.0, q: 1.0.0}\n"
        "wiring: {open-forms: {x: p}}\ntargets: {open-forms: latest}\n",
    )
    result = ozr("validate")
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        "manifests/m.yaml:15: environment e: deploys unknown component 'open-froms' "
        "(did you mean 'open-forms'?)",
        "1 problem found.",
    ]
