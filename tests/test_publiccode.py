"""`manifest import-publiccode`: Component skeletons from publiccode.yml, and their problems."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import yaml
from click.testing import Result

from ozrelease.ecosystem.publiccode import import_publiccode, slug
from ozrelease.resources import bundled_manifests

# Open Zaak's publiccode.yaml as published with 1.30.0, shortened: its `features` still name
# the 1.10-level APIs (ecosystem fact oz-publiccode-stale-features).
OPEN_ZAAK = """\
# This repository adheres to the publiccode.yml standard by including this
# metadata file that makes public software easily discoverable.

publiccodeYmlVersion: '0.2'

name: Open Zaak
url: 'https://github.com/open-zaak/open-zaak.git'
softwareType: standalone/backend
softwareVersion: 1.30.0
releaseDate: '2026-08-20'

description:
  nl:
    shortDescription: API's voor Zaakgericht werken
    features:
      - Zaken API 1.4
      - Documenten API 1.3
      - Catalogi API 1.2
      - Besluiten API 1.1
      - Autorisaties API 1.0
      - Catalogi beheer
  en:
    shortDescription: API's for Zaakgericht werken

dependsOn:
  open:
    - name: PostgreSQL
      optional: true
      versionMin: '14.0'
    - name: Kubernetes
      optional: true
      versionMin: '1.12'
    - name: Redis
      optional: true
      versionMin: '4.0'
"""

DEMO = """\
publiccodeYmlVersion: '0.4'
name: Zaak Demo
url: https://example.org/zaak-demo
softwareVersion: 2.1.0
releaseDate: '2026-05-04'
dependsOn:
  open:
    - name: PostgreSQL
      versionMin: '14.0'
      versionMax: '17'
    - name: Redis
      optional: true
      version: '7'
  hardware:
    - name: A GPU
"""


def test_open_zaak_skeleton_flags_its_stale_features(
    write: Callable[..., Path], ozr: Callable[..., Result]
) -> None:
    write("publiccode.yaml", OPEN_ZAAK)
    result = ozr("manifest", "import-publiccode", "publiccode.yaml")
    assert result.exit_code == 0, result.output
    text = result.stdout
    data = yaml.safe_load(text)
    assert data["kind"] == "Component"
    assert (data["name"], data["title"]) == ("open-zaak", "Open Zaak")
    assert data["repository"] == "https://github.com/open-zaak/open-zaak"
    assert data["description"] == "API's for Zaakgericht werken"
    release = data["releases"][0]
    assert (release["version"], str(release["date"])) == ("1.30.0", "2026-08-20")
    assert set(release) == {"version", "date"}  # provides and optional requires: comments
    assert "    # STALE? publiccode.yml `features` name these API versions" in text
    assert (
        '    # provides: {zaken: "1.4", documenten: "1.3", catalogi: "1.2", '
        'besluiten: "1.1", autorisaties: "1.0"}\n'
    ) in text
    assert "    # requires:\n" in text
    assert '      # postgresql: ">=14.0"  # optional in dependsOn.open: PostgreSQL\n' in text
    assert "they may be stale" in result.stderr
    assert "optional dependencies are commented out: postgresql, kubernetes, redis" in result.stderr


def test_skeleton_loads_with_the_bundled_manifests(
    tmp_path: Path, write: Callable[..., Path], ozr: Callable[..., Result]
) -> None:
    manifests = tmp_path / "manifests"
    shutil.copytree(bundled_manifests(), manifests)
    write("demo-publiccode.yml", DEMO)
    out = manifests / "components" / "zaak-demo.yaml"
    result = ozr("manifest", "import-publiccode", "demo-publiccode.yml", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    text = out.read_text()
    assert '      postgresql: ">=14.0,<=17"  # dependsOn.open: PostgreSQL\n' in text
    assert '      # redis: "==7.*"  # optional in dependsOn.open: Redis\n' in text
    assert "    # hardware: A GPU * (dependsOn.hardware; not modelled)\n" in text
    checked = ozr("validate")
    assert checked.exit_code == 0, checked.output
    assert ": valid (" in checked.stdout
    # And the same skeleton with the optional dependency taken in.
    out.write_text(text.replace('      # redis: "==7.*"', '      redis: "==7.*"'))
    assert ozr("validate").exit_code == 0


def test_invalid_input_is_reported_by_line(
    write: Callable[..., Path], ozr: Callable[..., Result]
) -> None:
    write("list.yml", "- name: X\n")
    listed = ozr("manifest", "import-publiccode", "list.yml")
    assert (listed.exit_code, listed.stdout) == (2, "")
    assert listed.stderr == "list.yml:1: expected a publiccode.yml mapping, found a list\n"

    write(
        "bad.yml",
        """\
        # comment
        name: Demo
        softwareVersion: not-a-version
        releaseDate: soon
        dependsOn:
          open:
            - versionMin: '14'
            - name: Redis
              versionMin: four
            - name: Docker
              optional: maybe
        """,
    )
    bad = ozr("manifest", "import-publiccode", "bad.yml")
    assert (bad.exit_code, bad.stdout) == (2, "")
    assert bad.stderr.splitlines() == [
        "bad.yml:2: missing url",
        "bad.yml:3: softwareVersion: 'not-a-version' is not a valid version "
        "(PEP 440, e.g. 1.30.0, 2.0.0rc1 or v1.2)",
        "bad.yml:7: missing name",
        "bad.yml:9: Redis: versionMin: 'four' is not a valid version "
        "(PEP 440, e.g. 1.30.0, 2.0.0rc1 or v1.2)",
        "bad.yml:11: Docker: optional: expected true or false",
    ]

    write("empty.yml", "")
    empty = ozr("manifest", "import-publiccode", "empty.yml")
    assert empty.stderr == "empty.yml:1: expected a publiccode.yml mapping, found an empty file\n"
    write("broken.yml", "name: [unclosed\n")
    broken = ozr("manifest", "import-publiccode", "broken.yml")
    assert broken.exit_code == 2
    assert broken.stderr.startswith("broken.yml:2: YAML syntax error")
    write("noversion.yml", "name: X\nurl: https://example.org/x\n")
    missing = ozr("manifest", "import-publiccode", "noversion.yml")
    assert missing.stderr == (
        "noversion.yml:1: missing softwareVersion: the skeleton's one release needs a version\n"
    )
    gone = ozr("manifest", "import-publiccode", "nothing.yml")
    assert (gone.exit_code, gone.stderr) == (2, "nothing.yml: no such file\n")


def test_slugs_and_the_core_function(tmp_path: Path) -> None:
    assert slug("Open Zaak") == "open-zaak"
    assert slug("PostgreSQL") == "postgresql"
    assert slug("  Objects API (v2) ") == "objects-api-v2"
    path = tmp_path / "publiccode.yml"
    path.write_text(DEMO.replace("releaseDate: '2026-05-04'\n", ""))
    skeleton = import_publiccode(path)
    assert skeleton.name == "zaak-demo"
    assert "no releaseDate: the release has no date" in skeleton.notes
    assert "    date:" not in skeleton.text


def test_a_release_date_that_is_no_date_is_skipped_with_a_note(
    write: Callable[..., Path], ozr: Callable[..., Result]
) -> None:
    # Open Inwoner's publiccode.yaml says `releaseDate: 't.b.d.'`.
    write(
        "publiccode.yaml",
        """\
        publiccodeYmlVersion: '0.2'
        name: Open Inwoner
        url: https://github.com/maykinmedia/open-inwoner.git
        softwareVersion: 1.30.0
        releaseDate: 't.b.d.'
        """,
    )
    result = ozr("manifest", "import-publiccode", "publiccode.yaml")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "note: releaseDate 't.b.d.' (line 5) is not a date (YYYY-MM-DD): skipped, the release "
        "has no date\n"
    )
    assert result.stdout.endswith('releases:\n  - version: "1.30.0"\n')


def test_names_with_line_breaks_stay_inside_their_comments(
    write: Callable[..., Path], ozr: Callable[..., Result]
) -> None:
    # A dependency's name (and the file's own name) is copied into `# ...` comments: a line
    # break in it wrote a line of YAML of its own there, even a second document.
    write(
        "publiccode.yml",
        "url: https://example.org/x\nname: X\nsoftwareVersion: 1.0.0\n"
        "dependsOn:\n  open:\n"
        '    - name: "PG\\n---\\nkind: API\\nname: evil"\n      versionMin: "14"\n'
        '    - name: "Docker\\n      upgradeFrom: \\"<0\\""\n      optional: true\n'
        "  hardware:\n"
        '    - name: "GPU\\n    upgradeFrom: \\"<0\\"\\u001b[2J"\n',
    )
    result = ozr("manifest", "import-publiccode", "publiccode.yml")
    assert result.exit_code == 0, result.output
    documents = list(yaml.safe_load_all(result.stdout))
    assert len(documents) == 1
    (release,) = documents[0]["releases"]
    assert release == {"version": "1.0.0", "requires": {"pg-kind-api-name-evil": ">=14"}}
    assert "# dependsOn.open: PG --- kind: API name: evil\n" in result.stdout
    assert "\x1b" not in result.stdout


def test_a_dependency_listed_twice_is_one_requires_entry(
    write: Callable[..., Path], ozr: Callable[..., Result]
) -> None:
    # Two entries that slug to one component wrote the same `requires` key twice: YAML that
    # `validate` refuses (duplicate mapping key). Both bounds are kept.
    write(
        "publiccode.yml",
        "url: https://example.org/x\nname: X\nsoftwareVersion: 1.0.0\n"
        "dependsOn:\n  open:\n"
        "    - {name: PostgreSQL, versionMin: '12'}\n"
        "    - {name: postgresql, versionMax: '16'}\n"
        "    - {name: Redis, optional: true}\n"
        "    - {name: Redis, optional: true, versionMin: '6'}\n"
        "    - {name: PostgreSQL, optional: true}\n"
        "  proprietary:\n"
        "    - {name: PostgreSQL}\n",
    )
    result = ozr("manifest", "import-publiccode", "publiccode.yml")
    assert result.exit_code == 0, result.output
    write("manifests/x.yaml", result.stdout)
    write("manifests/pg.yaml", "kind: Component\nname: postgresql\nreleases: [{version: '15'}]\n")
    assert ozr("validate").exit_code == 0
    (document,) = yaml.safe_load_all(result.stdout)
    assert document["releases"][0]["requires"] == {"postgresql": ">=12,<=16"}
    assert '      # redis: ">=6"  # optional in dependsOn.open: Redis\n' in result.stdout
