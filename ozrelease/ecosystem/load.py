"""Manifests -> Ecosystem: YAML files read, validated and turned into frozen dataclasses.

Every problem is reported as `FILE:LINE: message`, and `check` reports all of them at once.
Values come from yaml-rs (fast, YAML 1.2, bounded alias expansion and nesting); lines come
from PyYAML's composer, run on a file only when one of its problems must be located.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
import yaml_rs

from ozrelease import gcpause
from ozrelease.ecosystem.compat import binding_problems
from ozrelease.ecosystem.model import (
    ACTION_TIMES,
    LATEST,
    NO_DEPLOY,
    Action,
    Api,
    Component,
    Deploy,
    Ecosystem,
    Environment,
    KeyPath,
    Placement,
    Release,
    Where,
    component_of,
)
from ozrelease.errors import InputError, ManifestError, Problem
from ozrelease.resources import bundled_manifests
from ozrelease.versions import Range, Version, parse_range, parse_version

MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_FILES = 10_000
_ALIAS_LIMITS = yaml_rs.AliasLimits(max_total_replayed_events=200_000)
_SENTINEL = "__ozrelease_end_of_file__"

NAME_RE = re.compile(r"[a-z0-9][a-z0-9-]*\Z")
KEY_RE = re.compile(r"[a-z0-9][a-z0-9-]*(@[a-z0-9][a-z0-9-]*)?\Z")
NAME_RULE = "lower-case letters, digits and '-', starting with a letter or digit"

KINDS = ("Component", "API", "Environment")
COMPONENT_KEYS = frozenset(
    {"kind", "name", "title", "description", "repository", "defaults", "releases", "deploy"}
)
RELEASE_KEYS = frozenset(
    {
        "version",
        "date",
        "provides",
        "consumes",
        "requires",
        "upgradeFrom",
        "reversible",
        "irreversibleFrom",
        "eol",
        "notes",
        "chart",
        "deploy",
        "actions",
    }
)
DEFAULTS_KEYS = RELEASE_KEYS - {"version", "date"}
DEPLOY_KEYS = frozenset({"helm", "image", "healthCheck"})
HELM_KEYS = frozenset({"release", "chart", "repository", "namespace"})
API_KEYS = frozenset({"kind", "name", "title", "standard", "description", "versions"})
ENVIRONMENT_KEYS = frozenset({"kind", "name", "title", "deployed", "wiring", "targets", "deploy"})
ACTION_KEYS = frozenset({"when", "run", "manual", "why", "name"})
PLACEMENT_KEYS = frozenset({"namespace", "kubeContext", "helmRelease", "chart", "values"})

DEFAULT_ENVIRONMENT = "example-gemeente"


# --------------------------------------------------------------------------- sources


class _Source:
    """One manifest file: its text, and where its keys and values stand (found lazily)."""

    def __init__(self, display: str, text: str):
        self.display = display
        self.text = text
        self._nodes: list[yaml.Node] | None = None

    def _documents(self) -> list[yaml.Node]:
        if self._nodes is None:
            try:
                loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
                # yaml-rs gives None for an empty document and we skip those; so do we here.
                self._nodes = [
                    n
                    for n in yaml.compose_all(self.text, Loader=loader)
                    if not (isinstance(n, yaml.ScalarNode) and n.tag.endswith(":null"))
                ]
            except yaml.YAMLError:
                self._nodes = []  # yaml-rs accepted what PyYAML (YAML 1.1) does not
        return self._nodes

    def node(self, doc: int, path: KeyPath, *, value: bool = True) -> yaml.Node | None:
        """The node at `path` in document `doc`: the value, or the key when `value` is false."""
        docs = self._documents()
        if doc >= len(docs):
            return None
        node: yaml.Node = docs[doc]
        key_node: yaml.Node | None = None
        for step in path:
            key_node = None
            if isinstance(node, yaml.MappingNode):
                found = None
                for k, v in node.value:
                    if isinstance(k, yaml.ScalarNode) and k.value == str(step):
                        found = (k, v)  # the last one wins, as for a duplicate key
                if found is None:
                    return node  # the nearest enclosing node
                key_node, node = found
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
                if step >= len(node.value):
                    return node
                node = node.value[step]
            else:
                return node
        if not value and key_node is not None:
            return key_node
        return node

    def line(self, doc: int, path: KeyPath, *, value: bool = False) -> int | None:
        node = self.node(doc, path, value=value)
        return node.start_mark.line + 1 if node is not None else None

    def raw_scalar(self, doc: int, path: KeyPath) -> str | None:
        """The literal text of a scalar, e.g. `1.30` that YAML read as the float 1.3."""
        node = self.node(doc, path)
        if isinstance(node, yaml.ScalarNode):
            return str(node.value)
        return None

    def duplicate_key_line(self) -> int | None:
        """The line of the first repeated key in a mapping (yaml-rs does not say where)."""
        stack = list(self._documents())
        seen_nodes: set[int] = set()
        found: list[int] = []
        while stack:
            node = stack.pop()
            if id(node) in seen_nodes:
                continue
            seen_nodes.add(id(node))
            if isinstance(node, yaml.MappingNode):
                keys: set[str] = set()
                for k, v in node.value:
                    if isinstance(k, yaml.ScalarNode):
                        if k.value in keys:
                            found.append(k.start_mark.line + 1)
                        keys.add(k.value)
                    stack.append(v)
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)
        return min(found) if found else None


# --------------------------------------------------------------------------- problems


@dataclass
class _Report:
    """Problems collected while reading; each knows where it stands."""

    items: list[tuple[Where, str, bool]] = field(default_factory=list)

    def add(self, where: Where, message: str, *, value: bool = False) -> None:
        self.items.append((where, message, value))

    def problems(self) -> list[Problem]:
        result = []
        for where, message, value in self.items:
            line = (
                where.locator.line(where.doc, where.path, value=value)
                if where.locator is not None
                else None
            )
            result.append(Problem(where.file, line, message))
        return result


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


_PLAIN_KEY = re.compile(r"[\w@-]+")


def _field(path: KeyPath) -> str:
    """`releases[3].consumes.zaken`; a key with unusual characters is quoted."""
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
            continue
        shown = step if _PLAIN_KEY.fullmatch(step) else repr(step)
        text += f".{shown}" if text else shown
    return text


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, dt.date):
        return "a date"
    return "text"


# --------------------------------------------------------------------------- documents


class _Doc:
    """Reads one document, reporting each problem at its key or value."""

    def __init__(self, source: _Source, index: int, report: _Report, label: str):
        self.source = source
        self.index = index
        self.report = report
        self.label = label  # "component open-zaak", used as the message prefix
        # parsed values of mappings repeated from release to release (see _memo_key); a
        # problem in one is reported where it first appears
        self.memo: dict[tuple[str, Any], Any] = {}

    def where(self, path: KeyPath = ()) -> Where:
        return Where(self.source.display, self.index, path, self.source)

    def error(self, path: KeyPath, message: str, *, value: bool = False) -> None:
        prefix = f"{self.label}: " if self.label else ""
        self.report.add(self.where(path), f"{prefix}{message}", value=value)

    # -- shapes

    def mapping(self, value: Any, path: KeyPath, what: str) -> dict[str, Any] | None:
        if type(value) is dict:
            if all(type(key) is str for key in value):
                return value  # the common case, checked without copying
            for key in value:
                if not isinstance(key, str):
                    self.error(path, f"{_field(path) or what}: key {key!r} must be text")
            return {k: v for k, v in value.items() if isinstance(k, str)}
        self.error(
            path,
            f"{_field(path) or what}: expected a mapping, found {_type_name(value)}",
            value=True,
        )
        return None

    def keys(
        self, mapping: Mapping[str, Any], path: KeyPath, allowed: frozenset[str], what: str
    ) -> None:
        if allowed.issuperset(mapping):
            return
        # (YAML keys need not be strings: `: x` has the key None, `1: x` the key 1.)
        for key in sorted(mapping.keys() - allowed, key=lambda k: (not isinstance(k, str), str(k))):
            hint = _did_you_mean(key, allowed) if isinstance(key, str) else ""
            self.error(path + (key,), f"unknown key {key!r} in {what}{hint}")

    def text(
        self, mapping: Mapping[str, Any], key: str, path: KeyPath, *, required: bool = False
    ) -> str | None:
        if key not in mapping:
            if required:
                self.error(path, f"{_field(path) or 'document'}: missing required key {key!r}")
            return None
        value = mapping[key]
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return self.literal(value, path + (key,))
        self.error(
            path + (key,),
            f"{_field(path + (key,))}: expected text, found {_type_name(value)}",
            value=True,
        )
        return None

    def literal(self, value: int | float, path: KeyPath) -> str:
        """A number as it was written: `1.30` stays `1.30`, not the float 1.3."""
        if isinstance(value, float):
            raw = self.source.raw_scalar(self.index, path)
            if raw is not None:
                return raw
        return str(value)

    def version(self, value: Any, path: KeyPath) -> tuple[Version, str] | None:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.error(
                path, f"{_field(path)}: expected a version, found {_type_name(value)}", value=True
            )
            return None
        text = value if isinstance(value, str) else self.literal(value, path)
        try:
            return parse_version(text.strip()), text.strip()
        except ValueError as exc:
            self.error(path, f"{_field(path)}: {exc}", value=True)
            return None

    def range(self, value: Any, path: KeyPath) -> Range | None:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.error(
                path,
                f"{_field(path)}: expected a version specifier such as '>=1.2,<2', "
                f"found {_type_name(value)}",
                value=True,
            )
            return None
        text = value if isinstance(value, str) else self.literal(value, path)
        try:
            return parse_range(text)
        except ValueError as exc:
            self.error(path, f"{_field(path)}: {exc}", value=True)
            return None

    def date(self, value: Any, path: KeyPath) -> dt.date | None:
        if isinstance(value, dt.datetime):
            self.error(
                path,
                f"{_field(path)}: expected a date (YYYY-MM-DD), found a date and time",
                value=True,
            )
            return None
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.error(
            path, f"{_field(path)}: expected a date (YYYY-MM-DD), found {value!r}", value=True
        )
        return None

    def boolean(self, value: Any, path: KeyPath) -> bool | None:
        if isinstance(value, bool):
            return value
        self.error(path, f"{_field(path)}: expected true or false, found {value!r}", value=True)
        return None

    def name(self, value: Any, path: KeyPath, what: str, *, instance: bool = False) -> str | None:
        pattern = KEY_RE if instance else NAME_RE
        if isinstance(value, str) and pattern.match(value):
            return value
        rule = NAME_RULE + (" (optionally @INSTANCE)" if instance else "")
        self.error(
            path,
            f"{_field(path) or what}: {value!r} is not a valid {what} name ({rule})",
            value=True,
        )
        return None


# --------------------------------------------------------------------------- releases


Refs = list[tuple[str, str, KeyPath]]  # ("api" | "component", name, where it was written)


def _memo_key(value: Any) -> tuple[Any, ...] | None:
    """A hashable key for a mapping of plain scalars (most provides/consumes/requires), so
    that the many releases repeating the same mapping are parsed once per component."""
    if type(value) is not dict:
        return None
    items = tuple(value.items())
    for key, item in items:
        if type(key) is not str or type(item) not in (str, int):
            return None
    return items


def _read_provides(doc: _Doc, value: Any, path: KeyPath, refs: Refs) -> Any:
    memo = _memo_key(value)
    cached = doc.memo.get(("provides", memo)) if memo is not None else None
    if cached is not None:
        return cached
    provides: dict[str, tuple[Version, ...]] = {}
    for api, item in (doc.mapping(value, path, "provides") or {}).items():
        p = path + (api,)
        refs.append(("api", api, p))
        items = item if isinstance(item, list) else [item]
        if not items:
            doc.error(
                p,
                f"{_field(p)}: expected a version or a list of versions, found an empty list",
                value=True,
            )
        versions = []
        for i, one in enumerate(items):
            parsed = doc.version(one, p + (i,) if isinstance(item, list) else p)
            if parsed:
                versions.append(parsed[0])
        if versions:
            provides[api] = tuple(sorted(set(versions)))
    if memo is not None:
        doc.memo[("provides", memo)] = provides
    return provides


def _read_ranges(doc: _Doc, value: Any, path: KeyPath, refs: Refs) -> Any:
    """`consumes` (API -> range) or `requires` (component -> range)."""
    key = str(path[-1])
    memo = _memo_key(value)
    cached = doc.memo.get((key, memo)) if memo is not None else None
    if cached is not None:
        return cached
    kind = "api" if key == "consumes" else "component"
    ranges: dict[str, Range] = {}
    for name, item in (doc.mapping(value, path, key) or {}).items():
        p = path + (name,)
        refs.append((kind, name, p))
        parsed = doc.range(item, p)
        if parsed is not None:
            ranges[name] = parsed
    if memo is not None:
        doc.memo[(key, memo)] = ranges
    return ranges


def _read_chart(doc: _Doc, value: Any, path: KeyPath, refs: Refs) -> Any:
    parsed = doc.version(value, path)
    return parsed[1] if parsed else None


# A release key -> (the Release field it fills, its reader). `version` and `date` are read
# by the release itself: `defaults` cannot set them.
_RELEASE_FIELDS: dict[str, tuple[str, Any]] = {
    "provides": ("provides", _read_provides),
    "consumes": ("consumes", _read_ranges),
    "requires": ("requires", _read_ranges),
    "upgradeFrom": ("upgrade_from", lambda doc, v, p, refs: doc.range(v, p)),
    "reversible": ("reversible", lambda doc, v, p, refs: doc.boolean(v, p)),
    "irreversibleFrom": ("irreversible_from", lambda doc, v, p, refs: doc.range(v, p)),
    "eol": ("eol", lambda doc, v, p, refs: doc.date(v, p)),
    "notes": ("notes", lambda doc, v, p, refs: _read_notes(doc, v, p)),
    "chart": ("chart", _read_chart),
    "deploy": ("deploy", lambda doc, v, p, refs: _read_deploy(doc, v, p)),
    "actions": ("actions", lambda doc, v, p, refs: _read_actions(doc, v, p)),
}


def _read_actions(doc: _Doc, value: Any, path: KeyPath) -> tuple[Action, ...] | None:
    """`actions: [{when: before|after, run: TEXT, manual: BOOL, why: TEXT}]`."""
    if not isinstance(value, list):
        doc.error(path, f"{_field(path)}: expected a list, found {_type_name(value)}", value=True)
        return None
    found = []
    for i, item in enumerate(value):
        p = path + (i,)
        data = doc.mapping(item, p, "an action")
        if data is None:
            continue
        doc.keys(data, p, ACTION_KEYS, "an action")
        when = doc.text(data, "when", p, required=True)
        run = doc.text(data, "run", p, required=True)
        manual = doc.boolean(data["manual"], p + ("manual",)) if "manual" in data else True
        if when is not None and when not in ACTION_TIMES:
            doc.error(
                p + ("when",), f"{_field(p + ('when',))}: expected before or after", value=True
            )
            continue
        if when is None or run is None or manual is None:
            continue
        label = doc.text(data, "name", p)
        if label is not None and not re.fullmatch(r"[A-Za-z0-9_-]+", label):
            doc.error(
                p + ("name",), f"{_field(p + ('name',))}: letters, digits, _ and -", value=True
            )
            continue
        found.append(
            Action(when=when, run=run, manual=manual, why=doc.text(data, "why", p), label=label)
        )
    return tuple(found)


def _read_placements(
    doc: _Doc, data: Mapping[str, Any], deployed: Mapping[str, Version]
) -> dict[str, Placement]:
    """An Environment's `deploy`: per deployed key, where it runs."""
    raw = doc.mapping(data["deploy"], ("deploy",), "deploy") if "deploy" in data else None
    placements: dict[str, Placement] = {}
    for key, value in (raw or {}).items():
        p: KeyPath = ("deploy", key)
        if key not in deployed:
            doc.error(
                p,
                f"deploy: {key!r} is not deployed in this environment"
                f"{_did_you_mean(str(key), deployed)}",
            )
            continue
        item = doc.mapping(value, p, f"deploy.{key}")
        if item is None:
            continue
        doc.keys(item, p, PLACEMENT_KEYS, f"deploy.{key}")
        values = item.get("values", [])
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
            doc.error(
                p + ("values",),
                f"deploy.{key}.values: expected a file or a list of files",
                value=True,
            )
            values = []
        placements[key] = Placement(
            namespace=doc.text(item, "namespace", p),
            kube_context=doc.text(item, "kubeContext", p),
            helm_release=doc.text(item, "helmRelease", p),
            chart=doc.text(item, "chart", p),
            values=tuple(values),
        )
    return placements


def _read_release_fields(
    doc: _Doc, data: Mapping[str, Any], path: KeyPath, refs: Refs
) -> dict[str, Any]:
    """The given release keys as Release field values (invalid ones left out, their problems
    reported)."""
    fields: dict[str, Any] = {}
    for key, value in data.items():
        spec = _RELEASE_FIELDS.get(key)
        if spec is not None:
            parsed = spec[1](doc, value, path + (key,), refs)
            if parsed is not None:
                fields[spec[0]] = parsed
    return fields


def _read_notes(doc: _Doc, value: Any, path: KeyPath) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    if isinstance(value, list):
        notes = []
        for i, item in enumerate(value):
            if isinstance(item, str):
                if item.strip():
                    notes.append(item.strip())
            else:
                doc.error(
                    path + (i,),
                    f"{_field(path + (i,))}: expected text, found {_type_name(item)}",
                    value=True,
                )
        return tuple(notes)
    doc.error(
        path,
        f"{_field(path)}: expected text or a list of texts, found {_type_name(value)}",
        value=True,
    )
    return ()


def _read_deploy(doc: _Doc, value: Any, path: KeyPath) -> Deploy:
    data = doc.mapping(value, path, "deploy")
    if data is None:
        return NO_DEPLOY
    doc.keys(data, path, DEPLOY_KEYS, "deploy")
    helm: dict[str, Any] = {}
    if "helm" in data:
        helm = doc.mapping(data["helm"], path + ("helm",), "deploy.helm") or {}
        doc.keys(helm, path + ("helm",), HELM_KEYS, "deploy.helm")
    hp = path + ("helm",)
    return Deploy(
        helm_release=doc.text(helm, "release", hp) if helm else None,
        helm_chart=doc.text(helm, "chart", hp) if helm else None,
        helm_repository=doc.text(helm, "repository", hp) if helm else None,
        helm_namespace=doc.text(helm, "namespace", hp) if helm else None,
        image=doc.text(data, "image", path),
        health_check=doc.text(data, "healthCheck", path),
    )


# --------------------------------------------------------------------------- kinds


@dataclass
class _Loaded:
    """What the documents said, before cross-document checks."""

    components: list[tuple[Component, _Doc, Refs]] = field(default_factory=list)
    apis: list[tuple[Api, _Doc]] = field(default_factory=list)
    environments: list[tuple[dict[str, Any], _Doc]] = field(default_factory=list)


def _read_component(doc: _Doc, data: dict[str, Any], loaded: _Loaded) -> None:
    doc.keys(data, (), COMPONENT_KEYS, "a Component")
    name = doc.name(data.get("name"), ("name",), "component") if "name" in data else None
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
            defaults = _read_release_fields(doc, raw_defaults, ("defaults",), refs)
    deploy = _read_deploy(doc, data["deploy"], ("deploy",)) if "deploy" in data else NO_DEPLOY
    # A release's own deploy hints override the defaults', which override the component's.
    base_deploy = deploy.merged(defaults.pop("deploy", NO_DEPLOY))

    releases: list[Release] = []
    first_at: dict[Version, str] = {}
    raw_releases = data.get("releases")
    if "releases" not in data:
        doc.error((), "no 'releases' (list every release you may deploy or upgrade to)")
    elif not isinstance(raw_releases, list) or not raw_releases:
        doc.error(
            ("releases",),
            f"releases: expected a list of releases, found "
            f"{_type_name(raw_releases) if raw_releases != [] else 'an empty list'}",
            value=True,
        )
    else:
        for i, raw in enumerate(raw_releases):
            release = _read_release(
                doc, raw, ("releases", i), name or "?", defaults, base_deploy, refs
            )
            if release is None:
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


def _read_release(
    doc: _Doc,
    raw: Any,
    path: KeyPath,
    component: str,
    defaults: Mapping[str, Any],
    deploy: Deploy,
    refs: Refs,
) -> Release | None:
    # The loader's hot path (tens of thousands of releases): the common case, a mapping of
    # known keys with a text version and a date, is checked inline; anything else takes the
    # general readers, which report problems.
    item: dict[str, Any] | None
    if type(raw) is dict and RELEASE_KEYS.issuperset(raw):
        item = raw
    else:
        item = doc.mapping(raw, path, "release")
        if item is None:
            return None
        doc.keys(item, path, RELEASE_KEYS, "a release")
    parsed: tuple[Version, str] | None = None
    version = item.get("version")
    if type(version) is str:
        label = version.strip()
        try:
            parsed = (parse_version(label), label)
        except ValueError:
            doc.version(version, path + ("version",))
    elif "version" in item:
        parsed = doc.version(version, path + ("version",))
    else:
        doc.error(path, f"{_field(path)}: missing required key 'version'")
    fields = dict(defaults)
    for key, value in item.items():
        spec = _RELEASE_FIELDS.get(key)
        if spec is not None:
            value = spec[1](doc, value, path + (key,), refs)  # every problem, even so
            if value is not None:
                fields[spec[0]] = value
    date = item.get("date")
    if (date is not None and type(date) is not dt.date) or (date is None and "date" in item):
        date = doc.date(date, path + ("date",))
    if parsed is None:
        return None
    own_deploy = fields.pop("deploy", None)
    fields["component"] = component
    fields["version"], fields["label"] = parsed
    fields["where"] = doc.where(path)
    fields["date"] = date
    fields["deploy"] = deploy.merged(own_deploy) if own_deploy is not None else deploy
    return Release.fast(fields)


def _read_api(doc: _Doc, data: dict[str, Any], loaded: _Loaded) -> None:
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
                f"versions: expected a list of versions, found {_type_name(raw)}",
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


def _read_environment(doc: _Doc, data: dict[str, Any], loaded: _Loaded) -> None:
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


# --------------------------------------------------------------------------- files


def _files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise InputError(f"no manifests here: {root} is neither a directory nor a YAML file")
    found = sorted(
        p
        for p in root.rglob("*")
        if p.suffix in (".yaml", ".yml")
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    if len(found) > MAX_FILES:
        raise InputError(f"{root}: {len(found)} YAML files; more than {MAX_FILES} is refused")
    return found


def _read_text(path: Path, display: str, report: _Report) -> str | None:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            report.add(
                Where(display, 0, ()),
                f"file is {size / 2**20:.0f} MiB; manifests larger "
                f"than {MAX_FILE_BYTES // 2**20} MiB are refused",
            )
            return None
        data = path.read_bytes()
    except OSError as exc:
        report.add(Where(display), f"cannot read: {exc.strerror}")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        report.items.append(
            (
                Where(display, 0, (), _FixedLine(line)),
                f"not valid UTF-8: byte 0x{data[exc.start]:02x} at column {column} "
                "(save the file as UTF-8)",
                False,
            )
        )
        return None


@dataclass(frozen=True)
class _FixedLine:
    """A locator for problems found before YAML parsing, whose line is already known."""

    fixed: int | None

    def line(self, doc: int, path: KeyPath, *, value: bool = False) -> int | None:
        return self.fixed


_ERROR_AT = re.compile(r"at line (\d+), column (\d+)")


def _parse(source: _Source, report: _Report) -> list[Any] | None:
    try:
        docs: Any = yaml_rs.loads(
            source.text + f"\n---\n{_SENTINEL}\n",
            parse_datetime=True,
            alias_limits=_ALIAS_LIMITS,
        )
    except yaml_rs.YAMLDecodeError as exc:
        report.items.append(_syntax_problem(source, str(exc)))
        return None
    except (RecursionError, MemoryError, OverflowError, ValueError) as exc:
        report.add(Where(source.display), f"cannot parse: {exc.__class__.__name__}")
        return None
    if not isinstance(docs, list) or not docs or docs[-1] != _SENTINEL:
        last = source.text.count("\n") + 1
        report.items.append(
            (
                Where(source.display, 0, (), _FixedLine(last)),
                "YAML syntax error: unexpected end of file (an unclosed quote or bracket?)",
                False,
            )
        )
        return None
    return list(docs[:-1])


def _syntax_problem(source: _Source, text: str) -> tuple[Where, str, bool]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    last_line = source.text.count("\n") + 1
    if match := _ERROR_AT.search(text):
        line, column = int(match.group(1)), int(match.group(2))
        reason = lines[-1] if len(lines) > 1 else text
        reason = reason.lstrip("| ^").strip() or lines[0]
        if line > last_line:
            return (
                Where(source.display, 0, (), _FixedLine(last_line)),
                f"YAML syntax error: {reason} (at the end of the file)",
                False,
            )
        return (
            Where(source.display, 0, (), _FixedLine(line)),
            f"YAML syntax error: {reason} (column {column})",
            False,
        )
    if "duplicate" in text:
        return (
            Where(source.display, 0, (), _FixedLine(source.duplicate_key_line())),
            f"YAML error: {lines[0] if lines else text} (a key may appear once per mapping)",
            False,
        )
    if "alias" in text or "replay" in text:
        return (
            Where(source.display),
            f"YAML aliases expand too far ({lines[0]}); "
            "anchors and aliases are allowed, alias bombs are not",
            False,
        )
    return (Where(source.display), f"YAML error: {lines[0] if lines else text}", False)


def _display(path: Path, root: Path, given: Path | None) -> str:
    if given is None:
        return str(path)
    if root.is_file():
        return str(given)
    return str(given / path.relative_to(root))


# --------------------------------------------------------------------------- cross-checks


def _cross_check(loaded: _Loaded, report: _Report) -> Ecosystem:
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
        for kind, name, path in refs:
            if kind == "api" and name not in apis:
                doc.error(
                    path,
                    f"{_field(path)}: unknown API {name!r}"
                    f"{_did_you_mean(name, apis)} (declare it as kind: API)",
                )
            elif kind == "component":
                if name == component.name:
                    doc.error(path, f"{_field(path)}: a component cannot require itself")
                elif name not in components:
                    doc.error(
                        path,
                        f"{_field(path)}: requires unknown component {name!r}"
                        f"{_did_you_mean(name, components)}",
                    )

    environments: dict[str, Environment] = {}
    for data, doc in loaded.environments:
        env = _read_environment_body(doc, data, components, apis)
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


def _read_environment_body(
    doc: _Doc,
    data: dict[str, Any],
    components: Mapping[str, Component],
    apis: Mapping[str, Api],
) -> Environment | None:
    deployed: dict[str, Version] = {}
    if "deployed" not in data:
        doc.error((), "no 'deployed' (COMPONENT or COMPONENT@INSTANCE: version)")
    raw = doc.mapping(data.get("deployed", {}), ("deployed",), "deployed") or {}
    for key, value in raw.items():
        path: KeyPath = ("deployed", key)
        if doc.name(key, path, "deployed", instance=True) is None:
            continue
        name = component_of(key)
        if name not in components:
            doc.error(path, f"deploys unknown component {name!r}{_did_you_mean(name, components)}")
            continue
        parsed = doc.version(value, path)
        if parsed is None:
            continue
        version, label = parsed
        if components[name].release(version) is None:
            doc.error(
                path,
                f"deploys {key} {label}, which is not a release listed for {name} "
                f"({_nearby(components[name], version)})",
                value=True,
            )
            continue
        deployed[key] = version

    wiring = _read_wiring(doc, data, deployed, components, apis)
    targets = _read_targets(doc, data, deployed, components)
    placements = _read_placements(doc, data, deployed)
    env = Environment(
        name=str(data["name"]),
        where=doc.where(("name",)),
        deployed=deployed,
        title=doc.text(data, "title", ()),
        wiring=wiring,
        targets=targets,
        deploy=placements,
    )
    if len(deployed) == len(raw):  # bindings are only meaningful once every key is valid
        for problem_path, message in binding_problems(env, components):
            doc.error(problem_path, message)
    return env


def _nearby(component: Component, version: Version) -> str:
    labels = [r.label for r in component.releases]
    if not labels:
        return "it lists no releases"
    older = [r.label for r in component.releases if r.version < version][-2:]
    newer = [r.label for r in component.releases if r.version > version][:2]
    near = older + newer
    return "nearest listed: " + ", ".join(near) if near else "listed: " + ", ".join(labels[:5])


def _read_wiring(
    doc: _Doc,
    data: Mapping[str, Any],
    deployed: Mapping[str, Version],
    components: Mapping[str, Component],
    apis: Mapping[str, Api],
) -> dict[str, dict[str, str]]:
    wiring: dict[str, dict[str, str]] = {}
    if "wiring" not in data:
        return wiring
    raw = doc.mapping(data["wiring"], ("wiring",), "wiring") or {}
    for consumer, entries in raw.items():
        path: KeyPath = ("wiring", consumer)
        if consumer not in deployed:
            doc.error(
                path,
                f"wiring: {consumer!r} is not deployed in this environment"
                f"{_did_you_mean(consumer, deployed)}",
            )
            continue
        mapping = doc.mapping(entries, path, f"wiring.{consumer}") or {}
        for api, provider in mapping.items():
            p = path + (api,)
            if not isinstance(provider, str):
                doc.error(
                    p,
                    f"{_field(p)}: expected a deployed component, found {_type_name(provider)}",
                    value=True,
                )
                continue
            if provider not in deployed:
                doc.error(
                    p,
                    f"{_field(p)}: {provider!r} is not deployed in this environment"
                    f"{_did_you_mean(provider, deployed)}",
                    value=True,
                )
                continue
            provider_component = components[component_of(provider)]
            if api in apis:
                if not provider_component.provides_ever(api, from_version=deployed[provider]):
                    doc.error(
                        p,
                        f"{_field(p)}: {provider} does not provide {api} (no release "
                        f"from {provider_component.release(deployed[provider])} on "
                        "provides it)",
                        value=True,
                    )
                    continue
            elif api in components:
                if component_of(provider) != api:
                    doc.error(p, f"{_field(p)}: {provider} is not an instance of {api}", value=True)
                    continue
            else:
                doc.error(
                    p,
                    f"{_field(p)}: {api!r} is neither an API nor a component"
                    f"{_did_you_mean(api, [*apis, *components])}",
                )
                continue
            wiring.setdefault(consumer, {})[api] = provider
    return wiring


def _read_targets(
    doc: _Doc,
    data: Mapping[str, Any],
    deployed: Mapping[str, Version],
    components: Mapping[str, Component],
) -> dict[str, Version | str]:
    targets: dict[str, Version | str] = {}
    if "targets" not in data:
        return targets
    raw = doc.mapping(data["targets"], ("targets",), "targets") or {}
    names = {component_of(k) for k in deployed}
    for key, value in raw.items():
        path: KeyPath = ("targets", key)
        if key not in deployed and key not in names:
            doc.error(
                path,
                f"targets: {key!r} is not deployed in this environment"
                f"{_did_you_mean(key, [*deployed, *names])}",
            )
            continue
        if value == LATEST:
            targets[key] = LATEST
            continue
        parsed = doc.version(value, path)
        if parsed is None:
            continue
        if components[component_of(key)].release(parsed[0]) is None:
            doc.error(
                path,
                f"targets {key} {parsed[1]}, which is not a release listed for {component_of(key)}",
                value=True,
            )
            continue
        targets[key] = parsed[0]
    return targets


def check(manifests: Path | None = None) -> tuple[Ecosystem, list[Problem]]:
    """Read and validate the manifests; return what could be read and every problem."""
    with gcpause.paused():
        return _check(manifests)


def _check(manifests: Path | None) -> tuple[Ecosystem, list[Problem]]:
    root, given = _resolve_root(manifests)
    report = _Report()
    loaded = _Loaded()
    for path in _files(root):
        display = _display(path, root, given)
        text = _read_text(path, display, report)
        if text is None:
            continue
        source = _Source(display, text)
        docs = _parse(source, report)
        if docs is None:
            continue
        index = -1
        for data in docs:
            if data is None:
                continue  # an empty document (e.g. a trailing `---`)
            index += 1
            doc = _Doc(source, index, report, "")
            _read_document(doc, data, loaded)
    ecosystem = _cross_check(loaded, report)
    ecosystem = Ecosystem(
        components=dict(sorted(ecosystem.components.items())),
        apis=dict(sorted(ecosystem.apis.items())),
        environments=dict(sorted(ecosystem.environments.items())),
        source=str(given) if given is not None else str(root),
    )
    return ecosystem, report.problems()


def _read_document(doc: _Doc, data: Any, loaded: _Loaded) -> None:
    if not isinstance(data, dict):
        doc.error(
            (), f"a manifest document must be a mapping with a 'kind', found {_type_name(data)}"
        )
        return
    kind = data.get("kind")
    if "kind" not in data:
        doc.error((), f"document without 'kind' (one of {', '.join(KINDS)})")
        return
    if not isinstance(kind, str) or kind not in _READERS:
        doc.error(
            ("kind",),
            f"unknown kind {kind!r}{_did_you_mean(str(kind), KINDS)} (one of {', '.join(KINDS)})",
            value=True,
        )
        return
    _READERS[kind](doc, data, loaded)


def _resolve_root(manifests: Path | None) -> tuple[Path, Path | None]:
    """The manifests to read and the path to show in messages (None: bundled)."""
    if manifests is not None:
        if not manifests.exists():
            raise InputError(f"{manifests}: no such file or directory (--manifests)")
        return manifests, manifests
    local = Path("manifests")
    if local.is_dir():
        return local, local
    return bundled_manifests(), None


def load(manifests: Path | None = None) -> Ecosystem:
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
    path = Path(spec)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        return _environment_from_file(ecosystem, path)
    raise InputError(
        f"unknown environment {spec!r}{_did_you_mean(spec, ecosystem.environments)}"
        f" (environments: {', '.join(ecosystem.environments) or 'none'}; or give "
        "a path to a YAML file)"
    )


def _environment_from_file(ecosystem: Ecosystem, path: Path) -> Environment:
    if not path.is_file():
        raise InputError(f"{path}: no such file (--env)")
    report = _Report()
    text = _read_text(path, str(path), report)
    source = _Source(str(path), text or "")
    docs = _parse(source, report) if text is not None else None
    envs: list[Environment] = []
    if docs is not None:
        loaded = _Loaded()
        index = -1
        for data in docs:
            if data is None:
                continue
            index += 1
            doc = _Doc(source, index, report, "")
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
            env = _read_environment_body(doc, data, ecosystem.components, ecosystem.apis)
            if env is not None:
                envs.append(env)
        if not report.items and len(envs) != 1:
            raise InputError(
                f"{path}: expected exactly one Environment document, found {len(envs)}"
            )
    if report.items:
        raise ManifestError(report.problems())
    return envs[0]


def counts(ecosystem: Ecosystem) -> Counter[str]:
    """How much the manifests hold, for `validate`'s summary."""
    return Counter(
        components=len(ecosystem.components),
        releases=sum(len(c.releases) for c in ecosystem.components.values()),
        apis=len(ecosystem.apis),
        environments=len(ecosystem.environments),
    )
