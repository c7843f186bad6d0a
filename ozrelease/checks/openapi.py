"""OpenAPI documents: loading, local `$ref` resolution, and the breaking changes between two."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml_rs

from ozrelease.checks.spec_refs import pointer
from ozrelease.errors import InputError

__all__ = [
    "KINDS",
    "Breaking",
    "breaking_changes",
    "load_document",
    "same_semantics",
    "semantic_view",
]

KINDS: Mapping[str, str] = {
    "document-removed": "the API document was removed",
    "path-removed": "a path was removed",
    "operation-removed": "an operation was removed",
    "parameter-removed": "a parameter was removed",
    "parameter-required": "a parameter is new and required, or became required",
    "request-field-required": "a request body field is new and required, or became required",
    "request-body-required": "the request body became required",
    "response-property-removed": "a property was removed from a response",
    "type-narrowed": "a request accepts fewer types or values (type, format, length, range)",
    "type-changed": "a response property has another type",
    "enum-narrowed": "a request accepts fewer enum values",
}
"""Every kind of breaking change found, with what it means."""

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_MAX_DEPTH = 40
# Keys that describe but never change what a client may send or receives.
_PROSE = frozenset(
    {"description", "summary", "example", "examples", "title", "externalDocs", "deprecated"}
)


@dataclass(frozen=True)
class Breaking:
    """One breaking change between two versions of an API document."""

    kind: str
    """One of KINDS."""
    element: str
    """What changed, as a reader finds it: `/zaken/{uuid}`, `GET /zaken`, `Zaak.url`, `page`."""
    where: str
    """Where it is used: the operation (`GET /zaken/{uuid}`), or the document."""
    detail: str
    """One sentence: `response property Zaak.url was removed`."""
    path: str = field(default="", compare=False)
    """The path (of the old version) whose walk found it; the document's for a removal."""

    @property
    def names(self) -> tuple[str, ...]:
        """Words a changelog would use for it: the element, and its last part when that is an
        identifier (`formStep`, `zaak_type`, `/zaken`) rather than an everyday word."""
        last = re.split(r"[. ]", self.element)[-1].removesuffix("[]")
        distinctive = bool(re.search(r"[a-z][A-Z]|_|/|\{", last))
        return tuple(dict.fromkeys(n for n in (self.element, last if distinctive else "") if n))


def load_document(text: str, name: str) -> dict[str, Any]:
    """An OpenAPI (or Swagger 2) document from YAML or JSON text. Raises InputError naming
    `name` when it is neither, or not a mapping."""
    try:
        if name.endswith(".json"):
            data = json.loads(text)
        else:
            data = yaml_rs.loads(
                text,
                parse_datetime=False,
                duplicate_key_policy=yaml_rs.DuplicateKeyPolicy.LastWins,
            )
    except (ValueError, yaml_rs.YAMLDecodeError, RecursionError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"not a readable API document: {first}", file=name) from None
    if isinstance(data, list):
        data = data[0] if data else {}
    if not isinstance(data, dict):
        raise InputError("not an API document (expected a mapping at the top)", file=name)
    return data


def semantic_view(document: Mapping[str, Any]) -> Any:
    """The document without prose (descriptions, summaries, examples, titles) and `info`:
    two versions with equal views differ only in wording."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: strip(v)
                for k, v in value.items()
                if k not in _PROSE and not (isinstance(k, str) and k.startswith("x-"))
            }
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip({k: v for k, v in document.items() if k != "info"})


def same_semantics(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """`semantic_view(old) == semantic_view(new)`, walked over both documents at once
    without building either view, stopping at the first difference."""

    def kept(mapping: Mapping[Any, Any]) -> list[Any]:
        return [
            k
            for k in mapping
            if k not in _PROSE and not (isinstance(k, str) and k.startswith("x-"))
        ]

    def same(a: Any, b: Any) -> bool:
        if a is b:
            return True
        if isinstance(a, dict) and isinstance(b, dict):
            keys = kept(a)
            if len(keys) != len(kept(b)):
                return False
            return all(k in b and same(a[k], b[k]) for k in keys)
        if isinstance(a, list) and isinstance(b, list):
            return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
        if isinstance(a, dict | list) or isinstance(b, dict | list):
            return False
        return bool(a == b)

    top_old = {k: v for k, v in old.items() if k != "info"}
    top_new = {k: v for k, v in new.items() if k != "info"}
    try:
        return same(top_old, top_new)
    except RecursionError:
        return bool(semantic_view(old) == semantic_view(new))


def breaking_changes(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    unchanged: Collection[str] = (),
    same: Collection[str] = (),
    only: Collection[str] | None = None,
) -> list[Breaking]:
    """The breaking changes from `old` to `new`, for a client written against `old`: removed
    paths, operations, parameters and response properties; new required parameters and
    request fields; narrowed request types, formats, ranges and enums; changed response
    types. Local `$ref`s are followed (each named schema compared once per direction).
    `unchanged` and `same`: paths and local `$ref`s known to be the same in both, with what
    they reach (`spec_refs.RefIndex.compare`), not walked. `only`: the paths to walk, when
    not all (`Breaking.path` of the changes to look for)."""
    return _Differ(old, new, same).run(unchanged, only)


class _Differ:
    def __init__(
        self, old: Mapping[str, Any], new: Mapping[str, Any], same: Collection[str] = ()
    ) -> None:
        self.old = old
        self.new = new
        self.same = same
        self.found: dict[tuple[str, str], Breaking] = {}
        self.seen: set[tuple[str, str, str]] = set()
        self.path = ""

    def run(self, unchanged: Collection[str], only: Collection[str] | None) -> list[Breaking]:
        old_paths = _mapping(self.old.get("paths"))
        new_paths = _mapping(self.new.get("paths"))
        by_shape = {_shape(p): p for p in new_paths}
        for path, old_item in old_paths.items():
            if path in unchanged or (only is not None and path not in only):
                continue
            self.path = path
            new_path = path if path in new_paths else by_shape.get(_shape(path))
            if new_path is None:
                self.add("path-removed", path, path, f"path {path} was removed")
                continue
            self.path_item(path, _mapping(old_item), _mapping(new_paths[new_path]))
        return list(self.found.values())

    def add(self, kind: str, element: str, where: str, detail: str) -> None:
        self.found.setdefault((kind, element), Breaking(kind, element, where, detail, self.path))

    # -- paths and operations ----------------------------------------------------------------

    def path_item(self, path: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        old = self.deref(old, self.old)[0]
        new = self.deref(new, self.new)[0]
        for method in _METHODS:
            if method not in old:
                continue
            operation = f"{method.upper()} {path}"
            if method not in new:
                self.add("operation-removed", operation, operation, f"{operation} was removed")
                continue
            old_op, new_op = _mapping(old[method]), _mapping(new[method])
            self.parameters(
                operation,
                self.params(old.get("parameters"), old_op.get("parameters"), self.old),
                self.params(new.get("parameters"), new_op.get("parameters"), self.new),
            )
            self.request_body(operation, old_op, new_op)
            self.responses(operation, _mapping(old_op.get("responses")), new_op)

    def params(
        self, shared: object, own: object, doc: Mapping[str, Any]
    ) -> dict[tuple[str, str], Mapping[str, Any]]:
        out: dict[tuple[str, str], Mapping[str, Any]] = {}
        for group in (shared, own):
            for item in group if isinstance(group, list) else ():
                param = self.deref(_mapping(item), doc)[0]
                name, where = param.get("name"), param.get("in")
                if isinstance(name, str) and isinstance(where, str):
                    out[(name, where)] = param
        return out

    def parameters(
        self,
        operation: str,
        old: Mapping[tuple[str, str], Mapping[str, Any]],
        new: Mapping[tuple[str, str], Mapping[str, Any]],
    ) -> None:
        for (name, where), param in old.items():
            if where == "path":
                continue  # path parameters are part of the path, renamed freely
            if (name, where) not in new:
                self.add(
                    "parameter-removed",
                    name,
                    operation,
                    f"{where} parameter {name} of {operation} was removed",
                )
                continue
            after = new[(name, where)]
            if after.get("required") is True and param.get("required") is not True:
                self.add(
                    "parameter-required",
                    name,
                    operation,
                    f"{where} parameter {name} of {operation} became required",
                )
            old_schema = param.get("schema", _swagger2_schema(param))
            new_schema = after.get("schema", _swagger2_schema(after))
            self.schema(_mapping(old_schema), _mapping(new_schema), "request", name, operation, 0)
        for (name, where), param in new.items():
            if (name, where) not in old and param.get("required") is True and where != "path":
                self.add(
                    "parameter-required",
                    name,
                    operation,
                    f"{operation} has a new required {where} parameter {name}",
                )

    def request_body(
        self, operation: str, old_op: Mapping[str, Any], new_op: Mapping[str, Any]
    ) -> None:
        old_body = self.deref(_mapping(old_op.get("requestBody")), self.old)[0]
        new_body = self.deref(_mapping(new_op.get("requestBody")), self.new)[0]
        if old_body and new_body.get("required") is True and old_body.get("required") is not True:
            self.add(
                "request-body-required",
                operation,
                operation,
                f"the request body of {operation} became required",
            )
        if not old_body and new_body.get("required") is True:
            self.add(
                "request-body-required",
                operation,
                operation,
                f"{operation} requires a request body now",
            )
        # Swagger 2: `in: body` parameters carry the schema.
        old_media = _mapping(old_body.get("content")) or _swagger2_body(old_op)
        new_media = _mapping(new_body.get("content")) or _swagger2_body(new_op)
        self.media_types(old_media, new_media, "request", operation)

    def responses(self, operation: str, old: Mapping[str, Any], new_op: Mapping[str, Any]) -> None:
        new = _mapping(new_op.get("responses"))
        for status, old_response in old.items():
            code = str(status)
            if not (code.startswith("2") or code == "default") or status not in new:
                continue
            old_r = self.deref(_mapping(old_response), self.old)[0]
            new_r = self.deref(_mapping(new[status]), self.new)[0]
            old_media = _mapping(old_r.get("content")) or (
                {"*": {"schema": old_r["schema"]}} if "schema" in old_r else {}
            )
            new_media = _mapping(new_r.get("content")) or (
                {"*": {"schema": new_r["schema"]}} if "schema" in new_r else {}
            )
            self.media_types(old_media, new_media, "response", f"{operation} {code}")

    def media_types(
        self, old: Mapping[str, Any], new: Mapping[str, Any], direction: str, where: str
    ) -> None:
        """The schemas of the media types (`application/json`) both versions still have."""
        for media, old_content in old.items():
            if media not in new:
                continue
            self.schema(
                _mapping(_mapping(old_content).get("schema")),
                _mapping(_mapping(new[media]).get("schema")),
                direction,
                "",
                where,
                0,
            )

    # -- schemas -----------------------------------------------------------------------------

    def deref(
        self, node: Mapping[str, Any], doc: Mapping[str, Any]
    ) -> tuple[Mapping[str, Any], str | None, str | None]:
        """Follow local `$ref`s (`#/components/schemas/Zaak`): the target, the name of the
        last named schema reached (None for inline ones) and its `$ref`. External refs stay
        as they are."""
        name = last = None
        hops = 0
        while isinstance(node.get("$ref"), str) and node["$ref"].startswith("#") and hops < 32:
            ref = node["$ref"]
            target = pointer(doc, ref)
            if not isinstance(target, dict):
                break
            name = ref.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
            last = ref
            node = target
            hops += 1
        return node, name, last

    def schema(
        self,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        direction: str,
        label: str,
        where: str,
        depth: int,
    ) -> None:
        if depth > _MAX_DEPTH or not old or not new:
            return
        old, old_name, old_ref = self.deref(old, self.old)
        new, _, new_ref = self.deref(new, self.new)
        if old_ref is not None and old_ref == new_ref and old_ref in self.same:
            return  # the same schema in both, and all it reaches
        if old_ref is not None:  # (by reference: two schemas may share a last name)
            key = (direction, old_ref, new_ref or "")
            if key in self.seen:
                return
            self.seen.add(key)
        old, new = _flatten(old, self, self.old), _flatten(new, self, self.new)
        # This node is reported as the property that holds it (`Zaak.status`); what is inside
        # a named schema as that schema's (`ZaakKenmerk.bron`).
        element = label or old_name or where
        label = old_name or label
        if direction == "request":
            self.narrowing(old, new, element, where)
        else:
            old_types, new_types = _types(old), _types(new)
            if (
                old_types
                and new_types
                and not (new_types - {"null"}) <= (old_types | _implied(old_types))
            ):
                self.add(
                    "type-changed",
                    element,
                    where,
                    f"{element} in the response of {where} changed type "
                    f"from {_show(old_types)} to {_show(new_types)}",
                )
        old_props = _mapping(old.get("properties"))
        new_props = _mapping(new.get("properties"))
        old_required = set(_strings(old.get("required")))
        new_required = set(_strings(new.get("required")))
        for name, old_prop in old_props.items():
            child = f"{label}.{name}" if label else name
            old_prop_m = self.deref(_mapping(old_prop), self.old)[0]
            if direction == "response":
                if old_prop_m.get("writeOnly") is True:
                    continue
                if name not in new_props:
                    self.add(
                        "response-property-removed",
                        child,
                        where,
                        f"response property {child} was removed ({where})",
                    )
                    continue
            elif name not in new_props or old_prop_m.get("readOnly") is True:
                continue
            self.schema(
                _mapping(old_prop), _mapping(new_props[name]), direction, child, where, depth + 1
            )
        if direction == "request":
            for name in sorted(new_required - old_required):
                prop = self.deref(_mapping(new_props.get(name)), self.new)[0]
                if prop.get("readOnly") is True:
                    continue
                child = f"{label}.{name}" if label else name
                state = "became required" if name in old_props else "is new and required"
                self.add(
                    "request-field-required",
                    child,
                    where,
                    f"request field {child} {state} ({where})",
                )
        for nested in ("items", "additionalProperties"):
            old_child, new_child = old.get(nested), new.get(nested)
            if isinstance(old_child, dict) and isinstance(new_child, dict):
                self.schema(old_child, new_child, direction, f"{label}[]", where, depth + 1)

    def narrowing(
        self, old: Mapping[str, Any], new: Mapping[str, Any], element: str, where: str
    ) -> None:
        old_types, new_types = _types(old), _types(new)
        if old_types and new_types and not old_types <= (new_types | _implied(new_types)):
            self.add(
                "type-narrowed",
                element,
                where,
                f"{element} in {where} accepts {_show(new_types)}, "
                f"no longer {_show(old_types - new_types)}",
            )
        old_enum, new_enum = old.get("enum"), new.get("enum")
        if isinstance(new_enum, list):
            if isinstance(old_enum, list):
                gone = [v for v in old_enum if v not in new_enum and v is not None]
                if gone:
                    values = ", ".join(str(v) for v in gone[:5]) + (
                        ", ..." if len(gone) > 5 else ""
                    )
                    self.add(
                        "enum-narrowed",
                        element,
                        where,
                        f"{element} in {where} no longer accepts {values}",
                    )
            elif not old.get("$ref") and _types(old) <= {"string", "integer", "number", "null"}:
                self.add(
                    "enum-narrowed",
                    element,
                    where,
                    f"{element} in {where} only accepts an enumeration now",
                )
        limits = []
        for key, tighter in (
            ("maxLength", _lower),
            ("maxItems", _lower),
            ("maximum", _lower),
            ("minLength", _higher),
            ("minItems", _higher),
            ("minimum", _higher),
        ):
            before, after = old.get(key), new.get(key)
            if not isinstance(after, int | float) or isinstance(after, bool):
                continue
            if not isinstance(before, int | float) or isinstance(before, bool):
                limits.append(f"{key} none -> {after}")
            elif tighter(after, before):
                limits.append(f"{key} {before} -> {after}")
        if new.get("pattern") and not old.get("pattern"):
            # (A changed pattern may accept more or less; only a new one surely narrows.)
            limits.append("a new pattern")
        old_format, new_format = old.get("format"), new.get("format")
        if new_format and old_format and new_format != old_format:
            limits.append(f"format {old_format} -> {new_format}")
        if limits:
            self.add(
                "type-narrowed",
                element,
                where,
                f"{element} in {where} is narrowed: {', '.join(limits)}",
            )


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _lower(after: float, before: float) -> bool:
    return after < before


def _higher(after: float, before: float) -> bool:
    return after > before


def _shape(path: str) -> str:
    """`/zaken/{uuid}` and `/zaken/{zaak_uuid}` are the same path to a client."""
    return re.sub(r"\{[^}]*\}", "{}", path.rstrip("/")) or "/"


def _types(schema: Mapping[str, Any]) -> set[str]:
    kind = schema.get("type")
    types = {kind} if isinstance(kind, str) else set(_strings(kind))
    if types and schema.get("nullable") is True:
        types.add("null")
    return types


def _implied(types: set[str]) -> set[str]:
    """Types a value of `types` also is: every integer is a number."""
    return {"integer"} if "number" in types else set()


def _show(types: set[str]) -> str:
    return "/".join(sorted(types)) or "nothing"


def _flatten(
    schema: Mapping[str, Any], differ: _Differ, doc: Mapping[str, Any], depth: int = 0
) -> Mapping[str, Any]:
    """A composed schema as one. `allOf`: properties and required lists joined. `oneOf` and
    `anyOf` (drf-spectacular's polymorphic serializers): a property any variant has is
    there, a field is required when every variant requires it, the types and enum values
    of all variants are accepted."""
    all_of = schema.get("allOf")
    any_of = schema.get("oneOf", schema.get("anyOf"))
    if depth > 8 or not (isinstance(all_of, list) or isinstance(any_of, list)):
        return schema
    merged: dict[str, Any] = {
        k: v for k, v in schema.items() if k not in ("allOf", "oneOf", "anyOf")
    }
    properties: dict[str, Any] = dict(_mapping(schema.get("properties")))
    required: list[str] = list(_strings(schema.get("required")))
    if isinstance(all_of, list):
        for item in all_of:
            part = _flatten(differ.deref(_mapping(item), doc)[0], differ, doc, depth + 1)
            for name, prop in _mapping(part.get("properties")).items():
                properties.setdefault(name, prop)
            required.extend(_strings(part.get("required")))
            for key, value in part.items():
                if key not in ("properties", "required"):
                    merged.setdefault(key, value)
    if isinstance(any_of, list):
        variants = [
            _flatten(differ.deref(_mapping(item), doc)[0], differ, doc, depth + 1)
            for item in any_of
        ]
        shared: set[str] | None = None
        types: set[str] = set()
        enum: list[Any] | None = []
        for variant in variants:
            for name, prop in _mapping(variant.get("properties")).items():
                properties.setdefault(name, prop)
            names = set(_strings(variant.get("required")))
            shared = names if shared is None else shared & names
            types |= _types(variant)
            values = variant.get("enum")
            if enum is not None and isinstance(values, list):
                enum.extend(v for v in values if v not in enum)
            else:
                enum = None  # a variant without an enum accepts any value
        required.extend(sorted(shared or ()))
        if types and "type" not in merged:
            merged["type"] = sorted(types)
        if enum and "enum" not in merged:
            merged["enum"] = enum
    if properties:
        merged["properties"] = properties
    if required:
        merged["required"] = list(dict.fromkeys(required))
    return merged


def _swagger2_schema(param: Mapping[str, Any]) -> Mapping[str, Any]:
    """Swagger 2 parameters carry type, enum and limits themselves."""
    keys = ("type", "format", "enum", "items", "maxLength", "minLength", "maximum", "minimum")
    return {k: param[k] for k in keys if k in param}


def _swagger2_body(operation: Mapping[str, Any]) -> Mapping[str, Any]:
    for item in operation.get("parameters") or ():
        param = _mapping(item)
        if param.get("in") == "body" and "schema" in param:
            return {"*": {"schema": param["schema"]}}
    return {}
