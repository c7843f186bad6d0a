"""Manifests -> Ecosystem: YAML files read, validated and turned into frozen dataclasses.

Every problem is reported as `FILE:LINE: message`, and `check` reports all of them at once.
Values come from yaml-rs (fast, YAML 1.2, bounded alias expansion and nesting); lines come
from PyYAML's composer, run on a file only when one of its problems must be located.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ozrelease import gcpause
from ozrelease.ecosystem.document import Doc
from ozrelease.ecosystem.environment import read_environment_body
from ozrelease.ecosystem.model import (
    NO_DEPLOY,
    Api,
    Component,
    Ecosystem,
    Environment,
    Release,
    Where,
)
from ozrelease.ecosystem.releases import (
    DEFAULTS_KEYS,
    Refs,
    read_deploy,
    read_release,
    read_release_fields,
)
from ozrelease.ecosystem.source import (
    Report,
    Source,
    closest,
    did_you_mean,
    display_name,
    escaped,
    field_text,
    find_files,
    parse,
    read_text,
    type_name,
)
from ozrelease.errors import InputError, ManifestError, Problem
from ozrelease.inputs import path_problem, shown
from ozrelease.resources import bundled_manifests
from ozrelease.versions import Version

KINDS = ("Component", "API", "Environment")
COMPONENT_KEYS = frozenset(
    {"kind", "name", "title", "description", "repository", "defaults", "releases", "deploy"}
)
API_KEYS = frozenset({"kind", "name", "title", "standard", "description", "versions"})
ENVIRONMENT_KEYS = frozenset({"kind", "name", "title", "deployed", "wiring", "targets", "deploy"})

DEFAULT_ENVIRONMENT = "example-gemeente"


# --------------------------------------------------------------------------- kinds


@dataclass
class _Loaded:
    """What the documents said, before cross-document checks."""

    components: list[tuple[Component, Doc, Refs]] = field(default_factory=list)
    apis: list[tuple[Api, Doc]] = field(default_factory=list)
    environments: list[tuple[dict[str, Any], Doc]] = field(default_factory=list)
    documents: int = 0
    unlisted: bool = False  # a folder or file could not be listed: what it holds is unknown
    kinds: int = 0  # documents of an ozrelease kind, or a typo of one, valid or not
    # names that a broken file or document probably defines: a reference to one is not
    # reported again (the cause is, once)
    suspects: set[str] = field(default_factory=set)


def _read_component(doc: Doc, data: dict[str, Any], loaded: _Loaded) -> None:
    doc.keys(data, (), COMPONENT_KEYS, "a Component")
    name = doc.name(data.get("name"), ("name",), "component") if "name" in data else None
    if name is None and isinstance(data.get("name"), str):
        loaded.suspects.add(data["name"])
    if "name" not in data:
        doc.error((), "Component without 'name'")
    if name:
        doc.label = f"component {name}"
    refs: Refs = []
    defaults: dict[str, Any] = {}
    if "defaults" in data:
        raw_defaults = doc.mapping(data["defaults"], ("defaults",), "defaults")
        if raw_defaults is not None:
            doc.keys(raw_defaults, ("defaults",), DEFAULTS_KEYS, "defaults")
            defaults = read_release_fields(doc, raw_defaults, ("defaults",), refs)
    deploy = read_deploy(doc, data["deploy"], ("deploy",)) if "deploy" in data else NO_DEPLOY
    # A release's own deploy hints override the defaults', which override the component's.
    base_deploy = deploy.merged(defaults.pop("deploy", NO_DEPLOY))

    releases: list[Release] = []
    first_at: dict[Version, str] = {}
    raw_releases = data.get("releases")
    # A release that could not be read (or a releases list that is not one): its error is
    # said here, and an environment deploying that version does not say it again.
    unread = not isinstance(raw_releases, list) or not raw_releases
    if "releases" not in data:
        doc.error((), "no 'releases' (list every release you may deploy or upgrade to)")
    elif not isinstance(raw_releases, list) or not raw_releases:
        doc.error(
            ("releases",),
            f"releases: expected a list of releases, found "
            f"{type_name(raw_releases) if raw_releases != [] else 'an empty list'}",
            value=True,
        )
    else:
        for i, raw in enumerate(raw_releases):
            release = read_release(
                doc, raw, ("releases", i), name or "?", defaults, base_deploy, refs
            )
            if release is None:
                unread = True
                continue
            if release.version in first_at:
                doc.error(
                    ("releases", i, "version"),
                    f"release {release.label} is listed twice (also as "
                    f"{first_at[release.version]!r})",
                    value=True,
                )
                continue
            first_at[release.version] = release.label
            releases.append(release)
    if name is None:
        return
    if unread:
        loaded.suspects.add(name)
    loaded.components.append(
        (
            Component(
                name=name,
                where=doc.where(("name",)),
                releases=tuple(sorted(releases, key=lambda r: r.version)),
                title=doc.text(data, "title", ()),
                description=doc.text(data, "description", ()),
                repository=doc.text(data, "repository", ()),
                deploy=deploy,
            ),
            doc,
            refs,
        )
    )


def _read_api(doc: Doc, data: dict[str, Any], loaded: _Loaded) -> None:
    doc.keys(data, (), API_KEYS, "an API")
    if "name" not in data:
        doc.error((), "API without 'name'")
        return
    name = doc.name(data["name"], ("name",), "API")
    if name is None:
        return
    doc.label = f"API {name}"
    versions: list[Version] = []
    if "versions" in data:
        raw = data["versions"]
        if isinstance(raw, list):
            for i, item in enumerate(raw):
                parsed = doc.version(item, ("versions", i))
                if parsed:
                    versions.append(parsed[0])
        else:
            doc.error(
                ("versions",),
                f"versions: expected a list of versions, found {type_name(raw)}",
                value=True,
            )
    loaded.apis.append(
        (
            Api(
                name=name,
                where=doc.where(("name",)),
                title=doc.text(data, "title", ()),
                standard=doc.text(data, "standard", ()),
                description=doc.text(data, "description", ()),
                versions=tuple(sorted(set(versions))),
            ),
            doc,
        )
    )


def _read_environment(doc: Doc, data: dict[str, Any], loaded: _Loaded) -> None:
    doc.keys(data, (), ENVIRONMENT_KEYS, "an Environment")
    if "name" not in data:
        doc.error((), "Environment without 'name'")
        return
    name = doc.name(data["name"], ("name",), "environment")
    if name is None:
        return
    doc.label = f"environment {name}"
    loaded.environments.append((data, doc))


_READERS = {"Component": _read_component, "API": _read_api, "Environment": _read_environment}


# --------------------------------------------------------------------------- cross-checks


def _cross_check(loaded: _Loaded, report: Report) -> Ecosystem:
    components: dict[str, Component] = {}
    for component, doc, _ in loaded.components:
        if component.name in components:
            first = components[component.name].where
            doc.error(
                ("name",),
                f"component {component.name!r} is defined twice (first at {first})",
                value=True,
            )
            continue
        components[component.name] = component
    apis: dict[str, Api] = {}
    for api, doc in loaded.apis:
        if api.name in apis:
            doc.error(
                ("name",),
                f"API {api.name!r} is defined twice (first at {apis[api.name].where})",
                value=True,
            )
            continue
        apis[api.name] = api

    for component, doc, refs in loaded.components:
        if components.get(component.name) is not component:
            continue
        warned: set[str] = set()
        for kind, name, path in refs:
            if kind == "api":
                # Declaring an API is optional; a name a typo away from a declared one is
                # probably that one. Only a typo: `objecten-v2` or `besluittypen` (three
                # letters added to `objecten`, `besluiten`) are names of their own.
                close = closest(name, apis, most=2) if name not in apis else None
                if close is not None and name not in warned:
                    warned.add(name)
                    doc.warn(
                        path,
                        f"{field_text(path)}: API {name!r} is not declared (did you mean "
                        f"{close!r}?)",
                    )
            elif name == component.name:
                doc.error(path, f"{field_text(path)}: a component cannot require itself")
            elif name not in components and name not in loaded.suspects:
                doc.error(
                    path,
                    f"{field_text(path)}: requires unknown component {name!r}"
                    f"{did_you_mean(name, components)}",
                )

    # (every API name a component uses is in its refs: cheaper than walking every release)
    known_apis = set(apis) | {
        name for component, _, refs in loaded.components for kind, name, _ in refs if kind == "api"
    }
    environments: dict[str, Environment] = {}
    for data, doc in loaded.environments:
        env = read_environment_body(doc, data, components, known_apis, loaded.suspects)
        if env is None:
            continue
        if env.name in environments:
            doc.error(
                ("name",),
                f"environment {env.name!r} is defined twice (first at "
                f"{environments[env.name].where})",
                value=True,
            )
            continue
        environments[env.name] = env
    return Ecosystem(components=components, apis=apis, environments=environments, source="")


_NAME_LINE = re.compile(r"^name:[ \t]*[\"'\[]?([a-z0-9][a-z0-9-]*)", re.M)


def _suspects(path: Path, text: str | None) -> set[str]:
    """What a file that could not be read probably defines: its `name:` lines, its stem."""
    found = {path.stem}
    if text is not None:
        found.update(_NAME_LINE.findall(text))
    return found


def check(manifests: Path | str | None = None) -> tuple[Ecosystem, list[Problem]]:
    """Read and validate the manifests; return what could be read and every problem."""
    with gcpause.paused():
        return _check(manifests)


def _check(manifests: Path | str | None) -> tuple[Ecosystem, list[Problem]]:
    root, given, implicit = _resolve_root(manifests)
    report = Report()
    loaded = _read_all(root, given, report)
    where = escaped(str(given if given is not None else root))
    if loaded.documents == 0 and not report.items and not implicit:
        raise InputError(f"{where}: no manifests here (no YAML documents)")
    if implicit and loaded.kinds == 0 and not loaded.suspects and not loaded.unlisted:
        # ./manifests of another tool (a Kubernetes repository's): not our ecosystem.
        report = Report()
        report.warn(
            Where(where),
            "note: no ozrelease manifests here (no document of kind "
            f"{', '.join(KINDS)}); using the bundled Open Zaak ecosystem "
            "(--manifests DIR to choose, --manifests bundled to say so)",
        )
        root, given = bundled_manifests(), None
        loaded = _read_all(root, given, report)
    ecosystem = _cross_check(loaded, report)
    ecosystem = Ecosystem(
        components=dict(sorted(ecosystem.components.items())),
        apis=dict(sorted(ecosystem.apis.items())),
        environments=dict(sorted(ecosystem.environments.items())),
        source=escaped(str(given)) if given is not None else f"{BUNDLED_NAME} ({root})",
        warnings=tuple(report.warnings()),
    )
    return ecosystem, report.problems()


def _read_all(root: Path, given: Path | None, report: Report) -> _Loaded:
    loaded = _Loaded()
    paths = find_files(root, report, lambda p: display_name(p, root, given))
    loaded.unlisted = bool(report.items)
    for path in paths:
        display = display_name(path, root, given)
        text = read_text(path, display, report)
        if text is None:
            loaded.suspects |= _suspects(path, None)
            continue
        source = Source(display, text)
        docs = parse(source, report)
        if docs is None:
            loaded.suspects |= _suspects(path, text)
            continue
        index = -1
        for data in docs:
            if data is None:
                continue  # an empty document (e.g. a trailing `---`)
            index += 1
            doc = Doc(source, index, report, "")
            _read_document(doc, data, loaded)
    return loaded


def _read_document(doc: Doc, data: Any, loaded: _Loaded) -> None:
    if not isinstance(data, dict):
        doc.error(
            (), f"a manifest document must be a mapping with a 'kind', found {type_name(data)}"
        )
        return
    kind = data.get("kind")
    if "kind" not in data:
        doc.error((), f"document without 'kind' (one of {', '.join(KINDS)})")
        return
    loaded.documents += 1
    if "apiVersion" in data and isinstance(kind, str) and kind in _READERS:
        # A Kubernetes object: a kustomize or Dapr `kind: Component` is not ours (ours have
        # no apiVersion), so ./manifests of such a repository falls back to the bundled one.
        doc.error(
            ("apiVersion",),
            f"kind {kind!r} with an apiVersion: a Kubernetes object, not "
            f"an ozrelease manifest (ozrelease's {', '.join(KINDS)} have no apiVersion)",
            value=True,
        )
        return
    if isinstance(kind, str) and (kind in _READERS or closest(kind, KINDS) is not None):
        loaded.kinds += 1
    if not isinstance(kind, str) or kind not in _READERS:
        doc.error(
            ("kind",),
            f"unknown kind {kind!r}{did_you_mean(str(kind), KINDS)} (one of {', '.join(KINDS)})",
            value=True,
        )
        return
    _READERS[kind](doc, data, loaded)


BUNDLED = "bundled"  # `--manifests bundled`: the ecosystem that ships with ozrelease
BUNDLED_NAME = "the bundled Open Zaak ecosystem"


def _resolve_root(manifests: Path | str | None) -> tuple[Path, Path | None, bool]:
    """The manifests to read, the path to show in messages (None: bundled), and whether
    it was only the default (./manifests, which may belong to another tool)."""
    if manifests == BUNDLED:
        return bundled_manifests(), None, False
    if manifests is not None:
        manifests = Path(manifests)
        if not manifests.exists():
            raise InputError(f"{escaped(str(manifests))}: no such file or directory (--manifests)")
        return manifests, manifests, False
    local = Path("manifests")
    if local.is_dir():
        return local, local, True
    return bundled_manifests(), None, False


def load(manifests: Path | str | None = None) -> Ecosystem:
    """Read the manifests; raise ManifestError with every problem when they are invalid."""
    ecosystem, problems = check(manifests)
    if problems:
        raise ManifestError(problems)
    return ecosystem


def load_environment(ecosystem: Ecosystem, spec: str | None) -> Environment:
    """An Environment by name, or from a YAML file holding one Environment document."""
    if spec is None:
        if DEFAULT_ENVIRONMENT in ecosystem.environments:
            return ecosystem.environments[DEFAULT_ENVIRONMENT]
        if len(ecosystem.environments) == 1:
            return next(iter(ecosystem.environments.values()))
        names = ", ".join(ecosystem.environments) or "none"
        raise InputError(
            f"say which environment with --env (environments in the manifests: {names})"
        )
    if spec in ecosystem.environments:
        return ecosystem.environments[spec]
    if (problem := path_problem(spec)) is not None:
        raise InputError(f"unknown environment {shown(spec)!r}, and not a path: {problem}")
    path = Path(spec)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        return _environment_from_file(ecosystem, path)
    raise InputError(
        f"unknown environment {spec!r}{did_you_mean(spec, ecosystem.environments)}"
        f" (environments: {', '.join(ecosystem.environments) or 'none'}; or give "
        "a path to a YAML file)"
    )


def _environment_from_file(ecosystem: Ecosystem, path: Path) -> Environment:
    shown = escaped(str(path))
    if not path.is_file():
        raise InputError(f"{shown}: no such file (--env)")
    report = Report()
    text = read_text(path, shown, report)
    source = Source(shown, text or "")
    docs = parse(source, report) if text is not None else None
    envs: list[Environment] = []
    if docs is not None:
        loaded = _Loaded()
        index = -1
        for data in docs:
            if data is None:
                continue
            index += 1
            doc = Doc(source, index, report, "")
            if isinstance(data, dict) and data.get("kind") != "Environment":
                doc.error(
                    ("kind",),
                    f"--env file holds a {data.get('kind')!r} document; it "
                    "must hold one kind: Environment",
                    value=True,
                )
                continue
            _read_document(doc, data, loaded)
        for data, doc in loaded.environments:
            env = read_environment_body(
                doc, data, ecosystem.components, ecosystem.api_names(), set()
            )
            if env is not None:
                envs.append(env)
        if not report.items and len(envs) != 1:
            raise InputError(
                f"{shown}: expected exactly one Environment document, found {len(envs)}"
            )
    if report.items:
        raise ManifestError(report.problems())
    return envs[0]


def counts(ecosystem: Ecosystem) -> Counter[str]:
    """How much the manifests hold, for `validate`'s summary."""
    return Counter(
        components=len(ecosystem.components),
        releases=sum(len(c.releases) for c in ecosystem.components.values()),
        apis=len(ecosystem.api_names()),
        environments=len(ecosystem.environments),
    )
