"""`status` (deployed vs newest, end of life, standards lag) and `plan`'s end-of-life warnings."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from ozrelease import planner
from ozrelease.ecosystem import load as manifest
from ozrelease.ecosystem import status as statuses
from ozrelease.ecosystem.compat import Deployment

ECOSYSTEM = """
kind: API
name: zaken
standard: VNG ZGW
versions: [1.0.0, 1.2.0, 1.5.0, 2.0.0rc1]
---
kind: API
name: notificaties
---
kind: Component
name: zaak
title: Zaken
releases:
  - version: 1.0.0
    provides: {zaken: 1.0.0}
    requires: {db: ">=14"}
    eol: 2026-01-01
  - version: 1.1.0
    provides: {zaken: [1.0.0, 1.2.0]}
    requires: {db: ">=14"}
    eol: 2026-09-01
  - version: 1.2.0
    provides: {zaken: 1.5.0}
    requires: {db: ">=14"}
  - version: 2.0.0rc1
    provides: {zaken: 1.5.0}
    requires: {db: ">=15"}
---
kind: Component
name: notif
releases:
  - version: 1.0.0
    provides: {notificaties: 1.0.0}
---
kind: Component
name: db
title: PostgreSQL
releases:
  - {version: "14", eol: 2026-11-12}
  - {version: "15", eol: 2027-11-11}
---
kind: Environment
name: fleet
deployed:
  zaak@utrecht: 1.0.0
  zaak@tilburg: 1.2.0
  notif: 1.0.0
  db: "14"
"""


@pytest.fixture
def small(write: Callable[..., Path]) -> Path:
    return write("manifests/all.yaml", ECOSYSTEM)


def test_status_json_shape(
    small: Path, ozr: Callable[..., Result], golden: Callable[[str, str], None]
) -> None:
    result = ozr("status", "--env", "fleet", "--on", "2026-09-01", "--format", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    data = json.loads(result.stdout)
    golden("status/fleet.json", json.dumps(data, indent=2) + "\n")
    assert data["format"] == "ozrelease-status/1"
    assert (data["environment"], data["on"]) == ("fleet", "2026-09-01")
    rows = {c["name"]: c for c in data["components"]}
    assert list(rows) == ["db", "notif", "zaak@tilburg", "zaak@utrecht"]
    assert rows["zaak@utrecht"] == {
        "name": "zaak@utrecht",
        "deployed": "1.0.0",
        "newest": "1.2.0",  # the newest final release; 2.0.0rc1 does not count
        "releasesBehind": 2,
        "eol": "2026-01-01",
        "pastEol": True,
        "apis": [{"api": "zaken", "provided": "1.0.0", "newestStandard": "1.5.0"}],
    }
    assert rows["zaak@tilburg"]["releasesBehind"] == 0
    assert (rows["zaak@tilburg"]["eol"], rows["zaak@tilburg"]["pastEol"]) == (None, False)
    assert rows["notif"]["apis"] == [
        {"api": "notificaties", "provided": "1.0.0", "newestStandard": None}
    ]
    assert (rows["db"]["newest"], rows["db"]["releasesBehind"], rows["db"]["apis"]) == ("15", 1, [])
    for row in data["components"]:
        assert set(row) == {
            "name",
            "deployed",
            "newest",
            "releasesBehind",
            "eol",
            "pastEol",
            "apis",
        }


def test_status_text(
    small: Path, ozr: Callable[..., Result], golden: Callable[[str, str], None]
) -> None:
    result = ozr("status", "--env", "fleet", "--on", "2026-09-01")
    assert result.exit_code == 0, result.output  # past end of life is reported, not failed
    golden("status/fleet.txt", result.stdout)


def test_end_of_life_passes_after_its_day(small: Path) -> None:
    ecosystem = manifest.load(small.parent)
    deployment = Deployment(ecosystem, ecosystem.environments["fleet"])
    env = dict(ecosystem.environments["fleet"].deployed)
    assert str(env["zaak@utrecht"]) == "1.0.0"

    def past(on: dt.date) -> dict[str, bool]:
        return {c.key: c.past_eol for c in statuses.status(deployment, on).components}

    assert past(dt.date(2026, 1, 1))["zaak@utrecht"] is False  # its last supported day
    assert past(dt.date(2026, 1, 2))["zaak@utrecht"] is True
    assert past(dt.date(2026, 11, 13))["db"] is True
    highest = statuses.status(deployment, dt.date(2026, 1, 1)).components
    tilburg = next(c for c in highest if c.key == "zaak@tilburg")
    assert [(a.api, str(a.provided), a.behind) for a in tilburg.apis] == [("zaken", "1.5.0", False)]


def test_status_on_the_bundled_ecosystem(ozr: Callable[..., Result]) -> None:
    result = ozr("status", "--on", "2026-09-01", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["environment"] == "example-gemeente"
    open_zaak = next(c for c in data["components"] if c["name"] == "open-zaak")
    assert (open_zaak["deployed"], open_zaak["eol"], open_zaak["pastEol"]) == (
        "1.26.0",
        "2026-04-14",
        True,
    )
    assert open_zaak["newest"] == "1.30.0"
    assert {"api": "zaken", "provided": "1.5.1", "newestStandard": "1.5.1"} in open_zaak["apis"]
    earlier = json.loads(ozr("status", "--on", "2026-04-14", "--format", "json").stdout)
    assert next(c for c in earlier["components"] if c["name"] == "open-zaak")["pastEol"] is False
    text = ozr("status", "--on", "2026-09-01").stdout
    assert "  open-zaak 1.26.0 (end of life 2026-04-14; newest 1.30.0)\n" in text


def test_status_usage_errors(small: Path, ozr: Callable[..., Result]) -> None:
    bad = ozr("status", "--env", "fleet", "--on", "2026-02-30")
    assert (bad.exit_code, bad.stdout) == (2, "")
    assert bad.stderr == "error: --on: '2026-02-30' is not a date (YYYY-MM-DD)\n"
    unknown = ozr("status", "--env", "nowhere")
    assert unknown.exit_code == 2
    assert unknown.stderr.startswith("error: unknown environment 'nowhere'")


def test_plan_warns_when_a_target_is_past_its_end_of_life(small: Path) -> None:
    ecosystem = manifest.load(small.parent)
    deployment = Deployment(ecosystem, ecosystem.environments["fleet"])

    def warnings(target: str, on: dt.date | None) -> list[str]:
        result = planner.plan(deployment, [target], on=on)
        return [w.message for w in result.warnings]

    assert warnings("zaak@utrecht=1.1.0", dt.date(2026, 9, 2)) == [
        "target zaak@utrecht 1.1.0 is past its end of life (2026-09-01); "
        "plan to a supported release"
    ]
    assert warnings("zaak@utrecht=1.1.0", dt.date(2026, 9, 1)) == []  # its last day
    assert warnings("zaak@utrecht=1.1.0", None) == []
    assert warnings("zaak@utrecht=1.2.0", dt.date(2030, 1, 1)) == []  # no end of life known


def test_plan_cli_shows_the_end_of_life_warning(
    small: Path, ozr: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ozrelease.cli import plan as plan_cli

    monkeypatch.setattr(plan_cli.options, "today", lambda: dt.date(2026, 9, 2))
    result = ozr("plan", "--env", "fleet", "--to", "zaak@utrecht=1.1.0", "--format", "json")
    assert result.exit_code == 0, result.output
    messages = [w["message"] for w in json.loads(result.stdout)["warnings"]]
    assert any("past its end of life (2026-09-01)" in m for m in messages)
    text = ozr("plan", "--env", "fleet", "--to", "zaak@utrecht=1.1.0")
    assert (
        "  warning: target zaak@utrecht 1.1.0 is past its end of life (2026-09-01)" in text.stdout
    )
