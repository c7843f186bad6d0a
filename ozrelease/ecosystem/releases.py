"""A component's releases and defaults: the release keys, each read and validated."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from ozrelease.ecosystem.document import Doc
from ozrelease.ecosystem.model import ACTION_TIMES, NO_DEPLOY, Action, Deploy, KeyPath, Release
from ozrelease.ecosystem.source import field_text, type_name
from ozrelease.versions import Range, Version, parse_version

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
ACTION_KEYS = frozenset({"when", "run", "manual", "why", "name"})

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


def _read_provides(doc: Doc, value: Any, path: KeyPath, refs: Refs) -> Any:
    memo = _memo_key(value)
    cached = doc.memo.get(("provides", memo)) if memo is not None else None
    if cached is not None:
        return cached
    provides: dict[str, tuple[Version, ...]] = {}
    for api, item in (doc.mapping(value, path, "provides") or {}).items():
        p = path + (api,)
        if doc.name(api, p, "API") is None:  # undeclared names too: they reach every output
            continue
        refs.append(("api", api, p))
        items = item if isinstance(item, list) else [item]
        if not items:
            doc.error(
                p,
                f"{field_text(p)}: expected a version or a list of versions, found an empty list",
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


def _read_ranges(doc: Doc, value: Any, path: KeyPath, refs: Refs) -> Any:
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
        if kind == "api" and doc.name(name, p, "API") is None:
            continue
        refs.append((kind, name, p))
        parsed = doc.range(item, p)
        if parsed is not None:
            ranges[name] = parsed
    if memo is not None:
        doc.memo[(key, memo)] = ranges
    return ranges


def _read_chart(doc: Doc, value: Any, path: KeyPath, refs: Refs) -> Any:
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
    "deploy": ("deploy", lambda doc, v, p, refs: read_deploy(doc, v, p)),
    "actions": ("actions", lambda doc, v, p, refs: _read_actions(doc, v, p)),
}


def _read_actions(doc: Doc, value: Any, path: KeyPath) -> tuple[Action, ...] | None:
    """`actions: [{when: before|after, run: TEXT, manual: BOOL, why: TEXT, name: ID}]`."""
    if not isinstance(value, list):
        doc.error(
            path, f"{field_text(path)}: expected a list, found {type_name(value)}", value=True
        )
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
                p + ("when",), f"{field_text(p + ('when',))}: expected before or after", value=True
            )
            continue
        if when is None or run is None or manual is None:
            continue
        label = doc.text(data, "name", p)
        if label is not None and not re.fullmatch(r"[A-Za-z0-9_-]+", label):
            doc.error(
                p + ("name",), f"{field_text(p + ('name',))}: letters, digits, _ and -", value=True
            )
            continue
        found.append(
            Action(when=when, run=run, manual=manual, why=doc.text(data, "why", p), label=label)
        )
    return tuple(found)


def read_release_fields(
    doc: Doc, data: Mapping[str, Any], path: KeyPath, refs: Refs
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


def _read_notes(doc: Doc, value: Any, path: KeyPath) -> tuple[str, ...]:
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
                    f"{field_text(path + (i,))}: expected text, found {type_name(item)}",
                    value=True,
                )
        return tuple(notes)
    doc.error(
        path,
        f"{field_text(path)}: expected text or a list of texts, found {type_name(value)}",
        value=True,
    )
    return ()


def read_deploy(doc: Doc, value: Any, path: KeyPath) -> Deploy:
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


def read_release(
    doc: Doc,
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
        doc.error(path, f"{field_text(path)}: missing required key 'version'")
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
