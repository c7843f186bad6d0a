"""What a Django migration changes: the models and fields its operations name, read as Python
(never run), and whether a section's entry names them."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# Operations on a field: (model_name, name); on a model: (name); the rest change no schema
# a changelog would name (RunPython, RunSQL, SeparateDatabaseAndState).
_FIELD_OPERATIONS = frozenset({"AddField", "RemoveField", "AlterField", "RenameField"})
_MODEL_OPERATIONS = frozenset(
    {
        "CreateModel",
        "DeleteModel",
        "RenameModel",
        "AlterModelOptions",
        "AlterModelTable",
        "AlterModelManagers",
        "AlterUniqueTogether",
        "AlterIndexTogether",
        "AlterOrderWithRespectTo",
        "AddIndex",
        "RemoveIndex",
        "RenameIndex",
        "AddConstraint",
        "RemoveConstraint",
    }
)
_POSITIONAL = {
    "AddField": ("model_name", "name"),
    "RemoveField": ("model_name", "name"),
    "AlterField": ("model_name", "name"),
    "RenameField": ("model_name", "old_name"),
}
_MODEL_KEY = {"AddIndex", "RemoveIndex", "RenameIndex", "AddConstraint", "RemoveConstraint"}
_TOKEN = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Operation:
    """One schema operation: its kind, the model (lower case, as migrations write it) and,
    for field operations, the field (`AddField`, `certificate`, `csr`)."""

    kind: str
    model: str
    field: str | None = None


def operations(text: str) -> tuple[Operation, ...]:
    """The schema operations of a migration module, in order; none for text that is no
    Python or names no operation it knows."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # (hostile nesting)
        return ()
    out: list[Operation] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        kind = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if kind in _FIELD_OPERATIONS:
            args = _arguments(node, _POSITIONAL[kind])
            model, field = args.get("model_name"), args.get("name") or args.get("old_name")
            if model:
                out.append(Operation(kind, model.lower(), field.lower() if field else None))
                if kind == "RenameField" and args.get("new_name"):
                    out.append(Operation(kind, model.lower(), args["new_name"].lower()))
        elif kind in _MODEL_OPERATIONS:
            key = "model_name" if kind in _MODEL_KEY else "name"
            args = _arguments(node, (key,) if kind != "RenameModel" else ("old_name", "new_name"))
            for name in (args.get(key), args.get("old_name"), args.get("new_name")):
                if name:
                    out.append(Operation(kind, name.lower()))
    return tuple(out)


def _arguments(call: ast.Call, positional: Sequence[str]) -> dict[str, str]:
    """The call's string arguments by name, positional ones named after `positional`."""
    out = {}
    for name, arg in zip(positional, call.args, strict=False):
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            out[name] = arg.value
    for keyword in call.keywords:
        value = keyword.value
        if keyword.arg and isinstance(value, ast.Constant) and isinstance(value.value, str):
            out[keyword.arg] = value.value
    return out


class Migrations:
    """The operations of the range's migrations, read at the range's end, and the models
    that migrations new in the range create."""

    def __init__(self, versions: Mapping[str, tuple[str | None, str | None]]) -> None:
        self.ops = {path: operations(after) for path, (_, after) in versions.items() if after}
        self.created: dict[tuple[str, str], set[str]] = {}
        """(app folder, model) -> the new migrations creating it"""
        for path, (before, after) in versions.items():
            if before is None and after:
                for op in self.ops[path]:
                    if op.kind == "CreateModel":
                        self.created.setdefault((_folder(path), op.model), set()).add(path)

    def of(self, paths: Iterable[str]) -> list[Operation]:
        return [op for path in paths for op in self.ops.get(path, ())]

    def on_new_models(self, paths: Sequence[str]) -> bool:
        """Whether the migrations at `paths` (all of them read) only change models that other
        migrations new in the range create: an upgraded install gets those whole."""
        if not paths or any(path not in self.ops for path in paths):
            return False
        ops = self.of(paths)
        return bool(ops) and all(
            bool(self.created.get((_folder(path), op.model), set()) - set(paths))
            for path in paths
            for op in self.ops[path]
        )


def _folder(path: str) -> str:
    return path.rpartition("/")[0]


def _runs(block: str) -> set[str]:
    """Every run of one to four consecutive words of `block`, written together in lower case:
    "the app group" gives `app`, `appgroup`, `theappgroup` ... so that `appgroup` (the model
    `AppGroup`) and `public_certificate` are found written out."""
    tokens = _TOKEN.findall(block.lower())
    return {"".join(tokens[i : i + n]) for n in range(1, 5) for i in range(len(tokens))}


def _named(name: str, runs: set[str]) -> bool:
    name = name.replace("_", "").lower()
    return name in runs or f"{name}s" in runs or f"{name}es" in runs


def _field_names(field: str) -> list[str]:
    """A field's name and its last words (`publicatie_eind_datum`: also `eind_datum`, which
    "einddatum" writes), two words or more and six letters or more."""
    parts = field.split("_")
    tails = ["_".join(parts[i:]) for i in range(1, len(parts) - 1)]
    return [field, *(t for t in tails if len(t.replace("_", "")) >= 6)]


def naming_block(blocks: Iterable[str], ops: Iterable[Operation]) -> str | None:
    """The first block (an entry, a paragraph) that names a model and the field an operation
    changes (`Certificate` ... `CSR`; "translations for the app group"), or, for an operation
    on a model, a model of eight letters or more ("signing requests" for `signingrequest`)."""
    wanted = list(dict.fromkeys(ops))
    if not wanted:
        return None
    for block in blocks:
        runs = _runs(block)
        for op in wanted:
            if not _named(op.model, runs):
                continue
            if op.field is not None:
                if any(_named(name, runs) for name in _field_names(op.field)):
                    return block
            elif len(op.model) >= 8:
                return block
    return None
