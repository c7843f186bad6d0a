"""`settings`: environment variables added, removed or given another default over the range."""

from __future__ import annotations

import ast
import functools
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence

from ozrelease.checks.context import Context
from ozrelease.checks.files import FileVersions, Watched
from ozrelease.checks.named import Named, in_order, report_names, touching

_CALL = re.compile(
    r"\b(?:config|getenv|get_env|env(?:\.\w+)?|environ\.get|os\.environ\.get)\s*\(\s*"
    r"(?P<q>['\"])(?P<name>[A-Z][A-Z0-9_]{2,})(?P=q)"
)
_ENVIRON_ITEM = re.compile(r"\bos\.environ\s*\[\s*(?P<q>['\"])(?P<name>[A-Z][A-Z0-9_]{2,})(?P=q)")
_DOC_NAME = re.compile(
    r"``(?P<a>[A-Z][A-Z0-9_]{2,})``|`(?P<b>[A-Z][A-Z0-9_]{2,})`|"
    r"\.\. envvar::\s*(?P<c>[A-Z][A-Z0-9_]{2,})|^(?P<d>[A-Z][A-Z0-9_]{2,})="
)
# "Defaults to: ``INFO``." -- a literal, a number or a constant; prose ("defaults to an empty
# list") states nothing comparable.
# `${UWSGI_PROCESSES:-2}` in a shell entry point (`bin/docker_start.sh`): a variable read
# from the environment with its default (`:-`, `-`, `:=`, `=`).
_SHELL_DEFAULT = re.compile(r"\$\{(?P<name>[A-Z][A-Z0-9_]{2,}):?[-=](?P<v>[^}]*)\}")
_DEFAULT_WORD = re.compile(
    r"[Dd]efaults? to:?\s*(?P<v>``[^`]*``|`[^`]*`|-?\d[\d.]*(?![\w])|True|False|None)"
)


def _python_variables(text: str) -> dict[str, str]:
    """Environment variables read by a settings module: name -> its default (as written).
    Read from the syntax tree, so comments and docstrings that show a call do not count; a
    module that does not parse is searched as text."""
    return _module_variables(text)[0]


def _module_variables(
    text: str, library: bool = False
) -> tuple[dict[str, str], bool, frozenset[str]]:
    """_python_variables, whether the module star-imports settings from another package
    (`from open_api_framework.conf.base import *`), which may now define what it dropped,
    and the names among them that are Django settings rather than environment variables:
    `getattr(settings, "DJADYEN_APPNAME", "Djadyen Payment")`, and in a `library` module
    (a package's own settings.py) that reads no environment, its upper-case constants
    (`DJADYEN_ENVIRONMENT: str = "test"`; `X = settings.X`, a setting with no default)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _python_variables_in_text(text), False, frozenset()
    found = []
    django: list[tuple[int, int, str, str]] = []
    imports = False
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            imports = imports or (node.level == 0 and bool(node.module))
            continue
        if not isinstance(node, (ast.Call, ast.Subscript)):
            continue
        name, default = _read_variable(node)
        if name is not None:
            found.append((node.lineno, node.col_offset, name, default))
        elif isinstance(node, ast.Call) and (setting := _setting_read(node)) is not None:
            django.append((node.lineno, node.col_offset, *setting))
    if library and not found:
        django += _module_constants(tree)
    out: dict[str, str] = {}
    for _, _, name, default in sorted(found):  # the first read in the module wins
        out.setdefault(name, default)
    names = set()
    for _, _, name, default in sorted(django):
        if name not in out:
            out[name] = default
            names.add(name)
    return out, imports, frozenset(names)


def _setting_read(node: ast.Call) -> tuple[str, str] | None:
    """`getattr(settings, "NAME", default)`: a Django setting and its default."""
    if not (isinstance(node.func, ast.Name) and node.func.id == "getattr") or len(node.args) < 2:
        return None
    name = _variable_name(node.args[1])
    if name is None or not _dotted(node.args[0]).lower().endswith("settings"):
        return None
    return name, _unparse(node.args[2]) if len(node.args) > 2 else ""


def _module_constants(tree: ast.Module) -> list[tuple[int, int, str, str]]:
    """A library settings module's upper-case constants and their values (`settings.NAME`,
    a setting the project must define, has none)."""
    out = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if not (isinstance(target, ast.Name) and _VARIABLE.fullmatch(target.id)):
            continue
        read = _setting_read(value) if isinstance(value, ast.Call) else None
        if read is not None:
            default = read[1]  # X = getattr(settings, "X", 15)
        else:
            default = "" if _dotted(value).endswith(f".{target.id}") else _unparse(value)
        out.append((node.lineno, node.col_offset, target.id, default))
    return out


_READERS = frozenset({"config", "getenv", "get_env", "env"})
_VARIABLE = re.compile(r"[A-Z][A-Z0-9_]{2,}")


def _read_variable(node: ast.Call | ast.Subscript) -> tuple[str | None, str]:
    """`config("NAME", default=1)`, `env.bool("NAME", 1)`, `os.environ.get("NAME")`,
    `os.environ.setdefault("NAME", "x")`, `os.environ["NAME"]`: the variable's name and its
    default, written out from the syntax tree (`ast.unparse` of the default alone: the
    module's text is never split again per variable)."""
    if isinstance(node, ast.Subscript):
        if _dotted(node.value).endswith("environ"):
            return _variable_name(node.slice), ""
        return None, ""
    name = _variable_name(node.args[0]) if node.args else None
    if name is None:
        return None, ""
    func = _dotted(node.func)
    last = func.rpartition(".")[2]
    if not (
        last in _READERS
        or func.endswith(("environ.get", "environ.setdefault"))
        or func.startswith("env.")  # django-environ: env.bool("NAME", False)
    ):
        return None, ""
    for keyword in node.keywords:
        if keyword.arg == "default":
            return name, _unparse(keyword.value)
    if len(node.args) > 1:
        return name, _unparse(node.args[1])
    return name, ""


def _unparse(node: ast.expr) -> str:
    try:
        return " ".join(ast.unparse(node).split())
    except (ValueError, RecursionError):
        return ""


def _dotted(node: ast.AST) -> str:
    """`os.environ.get` for the attribute chain, '' for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    parts.append(node.id)
    return ".".join(reversed(parts))


def _variable_name(node: ast.AST) -> str | None:
    """The string literal `node` is, when it reads like an environment variable's name."""
    value = node.value if isinstance(node, ast.Constant) else None
    return value if isinstance(value, str) and _VARIABLE.fullmatch(value) else None


def _python_variables_in_text(text: str) -> dict[str, str]:
    """_python_variables for a module that does not parse: calls found by pattern."""
    out: dict[str, str] = {}
    for pattern in (_CALL, _ENVIRON_ITEM):
        for match in pattern.finditer(text):
            call = _call_text(text, match.start())
            out.setdefault(match.group("name"), " ".join(_default_argument(call).split()))
    return out


def _default_argument(call: str) -> str:
    """The default of `config("NAME", default=1)` or `config("NAME", 1)`."""
    start = call.find("(")
    if start < 0:
        return ""
    args = []
    position = start + 1
    while position < len(call):
        arg = _argument(call, position)
        args.append(arg.strip())
        position += len(arg) + 1
    for arg in args:
        match = re.match(r"^default\s*=\s*", arg)
        if match:
            return arg[match.end() :]
    if len(args) > 1 and not re.match(r"^\w+\s*=", args[1]):
        return args[1]
    return ""


def _call_text(text: str, start: int) -> str:
    """From `start` to the parenthesis that closes the first one opened (strings skipped)."""
    depth = 0
    i = text.find("(", start)
    if i < 0:
        return text[start : start + 200]
    quote = None
    j = i
    while j < len(text) and j - i < 5000:
        ch = text[j]
        if quote:
            if ch == "\\":
                j += 1
            elif text.startswith(quote, j):
                j += len(quote) - 1
                quote = None
        elif ch in "'\"":
            quote = text[j : j + 3] if text[j : j + 3] in ('"""', "'''") else ch
            j += len(quote) - 1
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return text[start : j + 1]
        j += 1
    return text[start:j]


def _argument(call: str, start: int) -> str:
    depth = 0
    for j in range(start, len(call)):
        ch = call[j]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                return call[start:j]
            depth -= 1
        elif ch == "," and depth == 0:
            return call[start:j]
    return call[start:]


def _doc_variables(text: str) -> dict[str, str]:
    """Environment variables a document lists: name -> the default it states ('' if none)."""
    out: dict[str, str] = {}
    for block in re.split(r"\n(?=\S|\s*[*-] )", text):
        for match in _DOC_NAME.finditer(block):
            name = next(g for g in match.group("a", "b", "c", "d") if g)
            if "_" not in name and not match.group("c"):
                continue
            defaults = list(_DEFAULT_WORD.finditer(block))
            out.setdefault(name, defaults[-1].group("v").strip("`.,") if defaults else "")
            break
    return out


@functools.lru_cache(maxsize=64)
def _variables(path: str, text: str | None) -> tuple[Mapping[str, str], bool, frozenset[str]]:
    """What one version of a watched file reads (`_module_variables`): parsed once per
    version, since a commit's "after" is the next one's "before" (the texts are the same
    objects while `files._Texts` keeps them, so the key's hash is computed once)."""
    if text is None:
        return {}, False, frozenset()
    if path.endswith(".py"):
        return _module_variables(text, path.rpartition("/")[2] in _LIBRARY_MODULES)
    if _is_shell(path):
        return _shell_variables(text), False, frozenset()
    return _doc_variables(text), False, frozenset()


# A package's own settings module: its constants are the settings projects may override.
_LIBRARY_MODULES = frozenset({"settings.py", "app_settings.py"})


def _is_shell(path: str) -> bool:
    return path.endswith(".sh")


def _shell_variables(text: str) -> dict[str, str]:
    """Environment variables a shell entry point reads with a default: name -> default
    (the first one written, quotes dropped)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        for match in _SHELL_DEFAULT.finditer(line):
            out.setdefault(match.group("name"), match.group("v").strip("'\""))
    return out


def variable_changes(
    versions: FileVersions, paths: Iterable[str]
) -> dict[str, tuple[str, set[str], bool]]:
    """Environment variables (and a library's Django settings) added, removed or given
    another default: name -> (what, files, whether it is a Django setting).

    A default changed when one file states both an old and a new one that differ (a
    variable moving between files has not changed); it is added when no file knew it
    before (and not only a documentation page the range writes first), removed when
    settings modules read it before and no file mentions it after.
    """
    old_code: set[str] = set()
    new_code: set[str] = set()
    before_all: set[str] = set()
    after_all: set[str] = set()
    where: dict[str, set[str]] = {}
    defaults: dict[str, tuple[str, str]] = {}
    moved: set[str] = set()
    fresh_docs: set[str] = set()  # listed by documentation the range writes first
    django: set[str] = set()  # Django settings, not environment variables
    for path in paths:
        if path not in versions:
            continue
        before, _, old_django = _variables(path, versions[path][0])
        after, framework, new_django = _variables(path, versions[path][1])
        django |= old_django | new_django
        before_all.update(before)
        after_all.update(after)
        if versions[path][0] is None and not (path.endswith(".py") or _is_shell(path)):
            fresh_docs.update(after)
        if path.endswith(".py") or _is_shell(path):
            old_code.update(before)
            new_code.update(after)
            if framework:
                # Dropped from a module that now takes a framework's settings wholesale:
                # moved into the dependency, not removed.
                moved.update(set(before) - set(after))
        for name in set(before) | set(after):
            if before.get(name) != after.get(name):
                where.setdefault(name, set()).add(path)
            old, new = before.get(name), after.get(name)
            if old and new and old != new and not _same_value(old, new):
                defaults.setdefault(name, (old, new))
            elif name in django and old == "" and new and name in before:
                defaults.setdefault(name, ("(none: required)", new))  # now optional
    out: dict[str, tuple[str, set[str], bool]] = {}
    for name in sorted(where):
        what = None
        if name not in before_all and name in after_all:
            # (A project's first page of environment variables lists those it had.)
            what = None if name in fresh_docs and name not in new_code else "added"
        elif (
            name in old_code and name not in new_code and name not in after_all
        ) and name not in moved:
            what = "removed"
        elif name in defaults:
            what = f"default {defaults[name][0]} -> {defaults[name][1]}"
        if what is not None:
            out[name] = (what, where[name], name in django)
    return out


def _same_value(before: str, after: str) -> bool:
    """Whether two defaults mean the same; defaults that are expressions (not literals)
    count as the same, since what they mean cannot be told from the text."""
    a, b = _literal(before), _literal(after)
    return a is None or b is None or a == b


_EMPTY = object()


def _literal(text: str) -> object | None:
    """A default as a comparable value: numbers (also `10 * 60`), strings, booleans; every
    empty value (`""`, `[]`, `None`) alike. None when it is an expression."""
    text = text.strip()
    if text in ("", "None", "[]", "()", "{}", "''", '""', "``", "none"):
        return _EMPTY
    number = _arithmetic(text)
    if number is not None:
        return number
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        # Documents state defaults bare: ``INFO``, ``True``, ``60``.
        bare = text.strip("`'\"")
        if re.fullmatch(r"[\w./:@+-]+", bare):
            return _arithmetic(bare) if _arithmetic(bare) is not None else bare.lower()
        return None
    return _normal(value)


def _normal(value: object) -> object:
    """A Python value as settings read it from the environment: `"502,503,504"` (a list
    variable's default written as the environment gives it) is `[502, 503, 504]`, `"10"` is
    `10`, `True` is `"true"`."""
    if isinstance(value, str):
        value = value.strip()
        if not value or value.lower() in ("none", "null"):
            return _EMPTY  # (`default="None"`: the helper reads the string as None)
        if "," in value:
            return tuple(_normal(part) for part in value.split(",") if part.strip())
        return _arithmetic(value) if _arithmetic(value) is not None else value.lower()
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list | tuple | set | frozenset):
        if not value:
            return _EMPTY
        items = tuple(_normal(v) for v in value)
        return tuple(sorted(items, key=repr)) if isinstance(value, set | frozenset) else items
    if not value:
        return _EMPTY
    return repr(value)


def _arithmetic(text: str) -> float | None:
    """`10 * 60` -> 600.0: the arithmetic settings modules write defaults in (numbers and
    + - * / only); None for anything else."""
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError):
        return None

    def value(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            if isinstance(node.value, bool):
                raise ValueError(text)
            return float(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](value(node.left), value(node.right))
        raise ValueError(text)

    try:
        return value(tree.body)
    except (ValueError, ZeroDivisionError, OverflowError):
        return None


_OPERATORS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def check_settings(
    versions: FileVersions,
    attributed: Mapping[str, set[str]],
    entry: Watched,
    context: Context,
    order: Mapping[str, int],
    since: str | None,
    tip: str,
) -> None:
    """Environment variables added, removed or given another default over the range must be
    named in the section."""
    changed = variable_changes(versions, entry.files)
    gone = [name for name, (what, _, _) in changed.items() if what == "removed"]
    if gone:
        # Still read or documented somewhere (moved into a framework's settings)?
        still = _mentioned(context, tip, gone)
        changed = {n: v for n, v in changed.items() if n not in still}
    new = [name for name, (what, _, _) in changed.items() if what == "added"]
    if new and since is not None:
        # Known before the range (a settings module or document that is new itself)?
        known = _mentioned(context, since, new)
        changed = {n: v for n, v in changed.items() if n not in known}
    items = [
        Named(
            name,
            what,
            tuple(sorted(files)),
            in_order(attributed.get(name) or touching(entry, files), order),
            setting,
        )
        for name, (what, files, setting) in changed.items()
        if not context.section.names_exactly(name)
        and not (
            setting
            and any(
                context.section.names_exactly(k) for k in _keys(_default(versions, files, name))
            )
        )
        and not (
            what == "added" and context.section.tells_default(name, _default(versions, files, name))
        )
    ]
    report_names("settings", items, context, lambda text, n: text.names_exactly(n))


def _keys(default: str) -> list[str]:
    """The upper-case keys of a setting whose default is a dict (`COMMONGROUND_API_COMMON =
    {"API_EXCEPTION_CAMELIZE": True}`): the settings it holds, as the section names them."""
    try:
        node = ast.parse(default, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    if not isinstance(node, ast.Dict):
        return []
    return [k for key in node.keys if key is not None and (k := _variable_name(key)) is not None]


def _default(versions: FileVersions, files: Iterable[str], name: str) -> str:
    """The default a variable has at the range's end, in the first file stating one."""
    for path in sorted(files):
        if path in versions:
            default = _variables(path, versions[path][1])[0].get(name)
            if default:
                return default
    return ""


def _mentioned(context: Context, tip: str, names: Sequence[str]) -> set[str]:
    """Which of `names` the tree at `tip` mentions outside the changelog and internal files
    (one `git grep`)."""
    check = context.config.check
    ignored = [
        *context.config.changelog.internal_paths,
        *check.internal_paths,
        # Development settings and example .env files (`!**/conf/dev.py` in `settings`).
        *(p[1:] for p in check.categories.get("settings", ()) if p.startswith("!")),
        "dotenv.example",
        "**/.env*",
    ]
    # Test, CI and development files (a docker-compose.yml of another service, dev.py)
    # say nothing about what production reads.
    exclude = [str(context.changelog_path), *(p for p in ignored if not p.startswith("!"))]
    return context.history.words_in_tree(tip, names, exclude=exclude)
