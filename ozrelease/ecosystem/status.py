"""Ecosystem status of an environment: deployed versus newest, end of life, standards lag.

Rules:

- `newest` is the newest final release; pre-releases are left out of it and of
  `releasesBehind`, the number of final releases newer than the deployed one.
- `pastEol` holds when the deployed release has an end-of-life date before `on`: support
  ends at the end of that day.
- Each API the deployed release provides is compared with the newest final version of the
  standard listed in the API's manifest (None when the manifest lists none).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ozrelease.ecosystem.compat import Deployment
from ozrelease.ecosystem.model import component_of
from ozrelease.versions import Version
from ozrelease.wording import plural

__all__ = ["JSON_FORMAT", "ApiStatus", "ComponentStatus", "Status", "as_json", "status", "view"]

JSON_FORMAT = "ozrelease-status/1"


@dataclass(frozen=True)
class ApiStatus:
    api: str
    provided: Version
    """The highest version of the standard the deployed release implements."""
    newest_standard: Version | None

    @property
    def behind(self) -> bool:
        return self.newest_standard is not None and self.provided < self.newest_standard


@dataclass(frozen=True)
class ComponentStatus:
    key: str
    """The deployed key: `open-zaak` or `open-zaak@utrecht`."""
    component: str
    title: str
    deployed: str
    newest: str
    releases_behind: int
    eol: dt.date | None
    past_eol: bool
    apis: tuple[ApiStatus, ...]
    newest_eol: dt.date | None = None
    """The end of life of the newest release, when known (how long an upgrade buys)."""


@dataclass(frozen=True)
class Status:
    environment: str
    on: dt.date
    components: tuple[ComponentStatus, ...]

    @property
    def past_eol(self) -> tuple[ComponentStatus, ...]:
        return tuple(c for c in self.components if c.past_eol)


def status(deployment: Deployment, on: dt.date) -> Status:
    """The status of every deployed key of `deployment` on the day `on`."""
    ecosystem = deployment.ecosystem
    rows = []
    for key in deployment.keys:
        version = deployment.environment.deployed[key]
        component = ecosystem.components[component_of(key)]
        release = deployment.release(key, version)
        newest = component.newest()
        assert newest is not None  # the deployed release is one of its releases
        behind = sum(1 for r in component.newer_than(version) if not r.version.is_prerelease)
        apis = tuple(
            ApiStatus(
                api,
                max(versions),
                ecosystem.apis[api].newest if api in ecosystem.apis else None,
            )
            for api, versions in sorted(release.provides.items())
            if versions
        )
        rows.append(
            ComponentStatus(
                key=key,
                component=component.name,
                title=component.display,
                deployed=release.label,
                newest=newest.label,
                releases_behind=behind,
                eol=release.eol,
                past_eol=release.eol is not None and release.eol < on,
                apis=apis,
                newest_eol=newest.eol,
            )
        )
    return Status(deployment.environment.name, on, tuple(rows))


def as_json(result: Status) -> dict[str, Any]:
    """`ozrelease-status/1` (CONTRACT §3)."""
    return {
        "format": JSON_FORMAT,
        "environment": result.environment,
        "on": result.on.isoformat(),
        "components": [
            {
                "name": c.key,
                "deployed": c.deployed,
                "newest": c.newest,
                "releasesBehind": c.releases_behind,
                "eol": c.eol.isoformat() if c.eol else None,
                "pastEol": c.past_eol,
                "apis": [
                    {
                        "api": a.api,
                        "provided": str(a.provided),
                        "newestStandard": str(a.newest_standard)
                        if a.newest_standard is not None
                        else None,
                    }
                    for a in c.apis
                ],
            }
            for c in result.components
        ],
    }


def view(result: Status) -> dict[str, Any]:
    """The view model of templates/status.txt.j2: rows with their words, column widths."""
    rows = []
    for c in result.components:
        if c.eol is None:
            eol = "not announced"
        elif c.past_eol:
            eol = f"{c.eol} PAST ({_days(result.on - c.eol)} ago)"
        else:
            eol = f"{c.eol} ({_days(c.eol - result.on)} left)"
        behind = f"{c.releases_behind} behind" if c.releases_behind else "up to date"
        rows.append(
            {
                "name": c.key,
                "deployed": c.deployed,
                "newest": c.newest,
                "behind": behind,
                "eol": eol,
                "apis": [_api_words(a) for a in c.apis],
            }
        )
    headers = {
        "name": "component",
        "deployed": "deployed",
        "newest": "newest",
        "behind": "releases",
        "eol": "end of life",
    }
    widths = {
        column: max([len(headers[column])] + [len(str(r[column])) for r in rows])
        for column in headers
    }
    lagging = [
        f"{c.key} provides {a.api} {a.provided}; the newest standard is {a.newest_standard}"
        for c in result.components
        for a in c.apis
        if a.behind
    ]
    past = [
        f"{c.key} {c.deployed} (end of life {c.eol}; newest {c.newest}"
        + (f", supported until {c.newest_eol})" if c.newest_eol else ")")
        for c in result.past_eol
    ]
    return {
        "environment": result.environment,
        "on": result.on.isoformat(),
        "headers": headers,
        "widths": widths,
        "rows": rows,
        "past_eol": past,
        "lagging": lagging,
        "behind_count": sum(1 for c in result.components if c.releases_behind),
        "count": len(result.components),
    }


def _api_words(api: ApiStatus) -> str:
    if api.newest_standard is None:
        return f"{api.api} {api.provided}"
    if api.behind:
        return f"{api.api} {api.provided} (standard {api.newest_standard})"
    return f"{api.api} {api.provided}"


def _days(delta: dt.timedelta) -> str:
    days = delta.days
    return plural(days, "day")
