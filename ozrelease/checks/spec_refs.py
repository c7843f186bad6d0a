"""Which paths of an API document a commit left as they were, schemas they use included: the
breaking-change walk skips them (`openapi.breaking_changes(..., unchanged=...)`)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

# Consecutive versions of a document share the parts a commit did not touch (the very objects,
# `spec_parts.PartLoader`), so "which local `$ref`s does this part use" is answered once per
# part, by identity, and "did this path change" is a comparison of identities, not a walk of
# both documents. A path is unchanged when its item is made of the same parts in both versions
# and so is every part it reaches through `$ref`s, transitively: comparing a part with itself
# finds no breaking change, so leaving such a path out changes nothing. Except through the
# walk's memory: it compares each named schema once per direction and knows it by the last
# segment of its `$ref` (`Zaak`). So nothing is skipped when two distinct `$ref`s in a schema's
# place (`schema`, `items`, `additionalProperties`, a property) end in the same name: a schema
# first met on a skipped path could otherwise stand for another one met later.


_SCHEMA_KEYS = frozenset({"schema", "items", "additionalProperties"})
"""Keys whose value is a schema (besides the values of `properties`)."""

Refs = tuple[frozenset[str], frozenset[str]]
"""(every local `$ref` inside a part, those of them in a schema's place)"""


class RefIndex:
    """The local `$ref`s inside document parts, by object identity; parts not used in the last
    `keep` comparisons are forgotten, so memory follows the documents, not the range."""

    def __init__(self, keep: int = 8) -> None:
        self.keep = keep
        self.generation = 0
        self._refs: dict[int, tuple[object, Refs, int]] = {}
        """id(part) -> (part, its refs, last generation used); the part is held so that its
        id is not reused while the entry lives."""

    def refs(self, node: object) -> Refs:
        """The local `$ref` strings anywhere inside `node`, and those of them in a schema's
        place (the ones the walk remembers schemas by)."""
        kept = self._refs.get(id(node))
        if kept is not None and kept[0] is node:
            self._refs[id(node)] = (node, kept[1], self.generation)
            return kept[1]
        found: set[str] = set()
        schemas: set[str] = set()
        stack = [node]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                ref = item.get("$ref")
                if isinstance(ref, str) and ref.startswith("#"):
                    found.add(ref)
                for key, value in item.items():
                    if key in _SCHEMA_KEYS:
                        schemas.update(_ref(value))
                    elif key == "properties" and isinstance(value, dict):
                        for prop in value.values():
                            schemas.update(_ref(prop))
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
        refs = (frozenset(found), frozenset(schemas))
        if isinstance(node, dict | list):
            self._refs[id(node)] = (node, refs, self.generation)
        return refs

    def item_refs(self, item: object) -> Refs:
        """A path item's refs: its values are the shared parts (the item itself is built anew
        for each version)."""
        if not isinstance(item, dict):
            return self.refs(item)
        found: set[str] = set()
        schemas: set[str] = set()
        for key, value in item.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#"):
                found.add(value)
            else:
                inner = self.refs(value)
                found |= inner[0]
                schemas |= inner[1]
        return frozenset(found), frozenset(schemas)

    def unchanged_paths(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> frozenset[str]:
        """Paths of `old` that `new` has as they were, with every schema they reach."""
        return self.compare(old, new)[0]

    def compare(
        self,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        only: Collection[str] | None = None,
    ) -> tuple[frozenset[str], frozenset[str]]:
        """(the paths of `old` that `new` has as they were, with every part they reach; the
        local `$ref`s both versions point at the same part with, and whose parts reach only
        such `$ref`s). `only`: the paths a walk will visit, when not all (what the others
        reach is not looked at)."""
        self.generation += 1
        try:
            return self._compare(old, new, only)
        except RecursionError:
            return frozenset(), frozenset()
        finally:
            self._forget()

    def _compare(
        self, old: Mapping[str, Any], new: Mapping[str, Any], only: Collection[str] | None
    ) -> tuple[frozenset[str], frozenset[str]]:
        old_paths, new_paths = _mapping(old.get("paths")), _mapping(new.get("paths"))
        if only is not None:
            old_paths = {p: item for p, item in old_paths.items() if p in only}
            new_paths = {p: item for p, item in new_paths.items() if p in only}
        candidates = [
            path
            for path, item in old_paths.items()
            if path in new_paths and _shared(item, new_paths[path])
        ]
        if not candidates and only is None:
            return frozenset(), frozenset()
        pending: set[str] = set()
        schemas: set[str] = set()
        for paths in (old_paths, new_paths):
            for item in paths.values():
                found, in_schemas = self.item_refs(item)
                pending |= found
                schemas |= in_schemas
        uses: dict[str, frozenset[str]] = {}
        """ref -> the refs its targets (in either version) use"""
        changed: set[str] = set()
        chained: set[str] = set()
        while pending:
            ref = pending.pop()
            before, after = pointer(old, ref), pointer(new, ref)
            (found_before, schemas_before), (found_after, schemas_after) = (
                self.refs(before),
                self.refs(after),
            )
            uses[ref] = found_before | found_after
            schemas |= schemas_before | schemas_after
            for target in (before, after):
                chained.update(_ref(target))  # (a schema that is only a `$ref`: one more hop)
            if not _shared(before, after):
                changed.add(ref)
            pending |= uses[ref] - uses.keys()
        names: dict[str, str] = {}
        for ref in schemas | chained:
            if names.setdefault(_name(ref), ref) != ref:
                return frozenset(), frozenset()  # two schemas known by one name
        used_by: dict[str, set[str]] = {}
        for ref, targets in uses.items():
            for target in targets:
                used_by.setdefault(target, set()).add(ref)
        tainted = set(changed)
        stack = list(changed)
        while stack:
            for user in used_by.get(stack.pop(), ()):
                if user not in tainted:
                    tainted.add(user)
                    stack.append(user)
        unchanged = frozenset(
            path for path in candidates if not (self.item_refs(old_paths[path])[0] & tainted)
        )
        return unchanged, frozenset(uses.keys() - tainted)

    def _forget(self) -> None:
        if self.generation % self.keep:
            return
        oldest = self.generation - self.keep
        self._refs = {k: v for k, v in self._refs.items() if v[2] > oldest}

    def clear(self) -> None:
        self._refs.clear()


def _shared(a: object, b: object) -> bool:
    """The same part in both versions, or a mapping of the same parts (a path item, whose
    operations are the parts): nothing finer is compared, so a document parsed whole (JSON)
    costs nothing here and has nothing skipped."""
    if a is b:
        return True
    return (
        isinstance(a, dict)
        and isinstance(b, dict)
        and len(a) == len(b)
        and all(
            k1 == k2 and v1 is v2 for (k1, v1), (k2, v2) in zip(a.items(), b.items(), strict=True)
        )
    )


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _ref(value: object) -> tuple[str, ...]:
    """The local `$ref` of a node that is a reference, if it is one."""
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            return (ref,)
    return ()


def _name(ref: str) -> str:
    """The name the breaking-change walk knows a schema by (`openapi._Differ.deref`)."""
    return ref.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")


def pointer(doc: Mapping[str, Any], ref: str) -> object:
    """What a local `$ref` (`#/components/schemas/Zaak`) points at in `doc`, or None."""
    node: object = doc
    for part in ref.lstrip("#").split("/"):
        if not part:
            continue
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node
