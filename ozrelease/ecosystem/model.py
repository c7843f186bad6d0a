"""The ecosystem as frozen dataclasses: components, their releases, APIs and environments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from ozrelease.errors import Problem
from ozrelease.versions import Range, Version, allows_any

LATEST = "latest"


KeyPath = tuple[str | int, ...]  # keys and list indices from a document's root


class LineLocator(Protocol):
    def line(self, doc: int, path: KeyPath, *, value: bool = False) -> int | None: ...


class Where(NamedTuple):
    """Where something was written: a manifest file, a document in it and the key path.

    The line is found only when someone asks (a problem is reported): finding lines means
    a second, slower YAML parse, which valid manifests never pay for. (A NamedTuple, not a
    dataclass: the loader makes one per release, and this is five times cheaper.)
    """

    file: str
    doc: int = 0
    path: KeyPath = ()
    locator: LineLocator | None = None

    @property
    def line(self) -> int | None:
        return self.locator.line(self.doc, self.path) if self.locator is not None else None

    def at(self, *more: str | int) -> Where:
        """A place below this one."""
        return Where(self.file, self.doc, self.path + more, self.locator)

    def __str__(self) -> str:
        line = self.line
        return self.file if line is None else f"{self.file}:{line}"


@dataclass(frozen=True)
class Deploy:
    """Hints for plan exports: how a component is deployed (all optional)."""

    helm_release: str | None = None
    helm_chart: str | None = None
    helm_repository: str | None = None
    helm_namespace: str | None = None
    image: str | None = None
    health_check: str | None = None

    def merged(self, override: Deploy) -> Deploy:
        """`override`'s hints where it has them, ours elsewhere."""
        if override is NO_DEPLOY or override == NO_DEPLOY:
            return self
        if self is NO_DEPLOY:
            return override
        return Deploy(
            **{
                name: getattr(override, name)
                if getattr(override, name) is not None
                else getattr(self, name)
                for name in self.__dataclass_fields__
            }
        )


NO_DEPLOY = Deploy()

ACTION_TIMES = ("before", "after")
_INTERPRETERS = frozenset({"python", "python3", "sh", "bash", "env"})


@dataclass(frozen=True)
class Action:
    """What must happen around a step that passes a release: a person confirms it (manual)
    or the export runs it in the component's container (automatic)."""

    when: str  # "before" | "after" the step
    run: str  # a command line in the component's container, as the vendor documents it
    manual: bool = True
    why: str | None = None
    label: str | None = None  # the manifest's `name`, when it gives one

    @property
    def name(self) -> str:
        """What a person types to confirm it: the manifest's `name`, else the management
        command or script it runs (`import_objecttypes`, `report_invalid_form_logic`), else
        its first word; only letters, digits, `_` and `-`, so that it is safe in a shell."""
        words = (self.label or self.run).split()
        while len(words) > 1 and words[0].rsplit("/", 1)[-1] in _INTERPRETERS:
            words = words[1:]
        pick = words[0] if words else "action"
        for i, word in enumerate(words):
            if word.rsplit("/", 1)[-1] in ("manage.py", "django-admin") and i + 1 < len(words):
                pick = words[i + 1]
                break
        else:
            pick = pick.rsplit("/", 1)[-1]
        pick = pick.rsplit(".", 1)[0] if pick.endswith((".py", ".sh")) else pick
        cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "_-") else "_" for c in pick)
        return cleaned.strip("_-") or "action"


@dataclass(frozen=True)
class Placement:
    """Where one deployed key runs (an Environment's `deploy`), for the exports."""

    namespace: str | None = None
    kube_context: str | None = None
    helm_release: str | None = None
    chart: str | None = None  # the chart version deployed now
    values: tuple[str, ...] = ()  # values files passed with -f on every upgrade


@dataclass(frozen=True)
class Release:
    """One release of a component, with the defaults of its component already applied."""

    component: str
    version: Version
    label: str  # the version as written in the manifest (image tags use it)
    where: Where
    date: dt.date | None = None
    provides: Mapping[str, tuple[Version, ...]] = field(default_factory=dict)
    consumes: Mapping[str, Range] = field(default_factory=dict)
    requires: Mapping[str, Range] = field(default_factory=dict)
    upgrade_from: Range | None = None  # None: every older release may move here directly
    reversible: bool = True
    irreversible_from: Range | None = None  # irreversible only when a step starts here
    eol: dt.date | None = None
    notes: tuple[str, ...] = ()
    chart: str | None = None
    deploy: Deploy = NO_DEPLOY
    actions: tuple[Action, ...] = ()

    def __str__(self) -> str:
        return f"{self.component} {self.label}"

    @classmethod
    def fast(cls, fields: Mapping[str, Any]) -> Release:
        """A Release from its fields without the frozen dataclass __init__ (six times slower),
        for the loader's hot path; fields not given take their defaults."""
        release = object.__new__(cls)
        release.__dict__.update(_RELEASE_DEFAULTS)
        release.__dict__.update(fields)
        return release

    def reversible_from(self, version: Version) -> bool:
        """A step from `version` through this release can be rolled back (Open Klant 2.5.0 is
        irreversible only from 1.x: `irreversibleFrom: "<2"`)."""
        if not self.reversible:
            return False
        return self.irreversible_from is None or not allows_any(self.irreversible_from, (version,))

    def can_upgrade_from(self, version: Version) -> bool:
        """A direct step from `version` to this release is allowed (CONTRACT §2)."""
        if version >= self.version:
            return False
        return self.upgrade_from is None or allows_any(self.upgrade_from, (version,))


_RELEASE_DEFAULTS: dict[str, Any] = {
    "date": None,
    "provides": {},
    "consumes": {},
    "requires": {},
    "upgrade_from": None,
    "reversible": True,
    "irreversible_from": None,
    "eol": None,
    "notes": (),
    "chart": None,
    "deploy": NO_DEPLOY,
    "actions": (),
}


@dataclass(frozen=True)
class Component:
    name: str
    where: Where
    releases: tuple[Release, ...]  # oldest first
    title: str | None = None
    description: str | None = None
    repository: str | None = None
    deploy: Deploy = NO_DEPLOY

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_version", {r.version: r for r in self.releases})

    def release(self, version: Version) -> Release | None:
        by_version: dict[Version, Release] = self._by_version  # type: ignore[attr-defined]
        return by_version.get(version)

    @property
    def display(self) -> str:
        return self.title or self.name

    def newest(self, *, include_prereleases: bool = False) -> Release | None:
        """The newest final release; pre-releases only when asked (or when there is no other)."""
        finals = [r for r in self.releases if include_prereleases or not r.version.is_prerelease]
        if finals:
            return finals[-1]
        return self.releases[-1] if self.releases else None

    def newer_than(self, version: Version) -> Iterator[Release]:
        return (r for r in self.releases if r.version > version)

    def provides_ever(self, api: str, *, from_version: Version | None = None) -> bool:
        """Some release (at or after `from_version`) provides `api`."""
        return any(
            api in r.provides
            for r in self.releases
            if from_version is None or r.version >= from_version
        )


@dataclass(frozen=True)
class Api:
    name: str
    where: Where
    title: str | None = None
    standard: str | None = None
    description: str | None = None
    versions: tuple[Version, ...] = ()  # published versions of the standard, oldest first

    @property
    def newest(self) -> Version | None:
        finals = [v for v in self.versions if not v.is_prerelease]
        return max(finals) if finals else (max(self.versions) if self.versions else None)


@dataclass(frozen=True)
class Environment:
    """What one installation runs. Keys are `COMPONENT` or `COMPONENT@INSTANCE`."""

    name: str
    where: Where
    deployed: Mapping[str, Version]
    title: str | None = None
    wiring: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    targets: Mapping[str, Version | str] = field(default_factory=dict)  # str: LATEST
    deploy: Mapping[str, Placement] = field(default_factory=dict)  # deployed key -> where

    def components(self) -> set[str]:
        return {component_of(key) for key in self.deployed}


def component_of(key: str) -> str:
    """The component name of a deployed key: `open-zaak@utrecht` -> `open-zaak`."""
    return key.partition("@")[0]


def instance_of(key: str) -> str | None:
    return key.partition("@")[2] or None


@dataclass(frozen=True)
class Ecosystem:
    """Everything the manifests say, validated."""

    components: Mapping[str, Component]
    apis: Mapping[str, Api]
    environments: Mapping[str, Environment]
    source: str  # the manifests directory or file, for messages
    warnings: tuple[Problem, ...] = ()  # said on stderr; never a reason to refuse

    def api_names(self) -> set[str]:
        """Every API: declared (kind: API) or only named in provides/consumes."""
        return set(self.apis) | used_apis(self.components.values())

    def component(self, name: str) -> Component:
        return self.components[name]

    def release(self, key: str, version: Version) -> Release:
        """The release deployed under `key` at `version` (validated to exist)."""
        found = self.components[component_of(key)].release(version)
        if found is None:  # pragma: no cover - the loader guarantees it
            raise KeyError(f"{key} {version}")
        return found

    def label(self, key: str, version: Version) -> str:
        """A version as the manifests write it (`4.0.0-beta.0`, not `4.0.0b0`)."""
        component = self.components.get(component_of(key))
        found = component.release(version) if component else None
        return found.label if found else str(version)


def used_apis(components: Iterable[Component]) -> set[str]:
    """The APIs some release of `components` provides or consumes."""
    return {
        api
        for component in components
        for release in component.releases
        for api in (*release.provides, *release.consumes)
    }
