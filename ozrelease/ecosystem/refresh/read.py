"""What a repository says at one tag: OpenAPI versions, upgrade checks, documented minimums."""

from __future__ import annotations

import ast
import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from ozrelease.history.snapshots import Snapshots, TreeEntry

# Folders never searched for OpenAPI documents or settings: tests, front-end dependencies.
_SKIP = frozenset({"tests", "test", "node_modules", "static", "templates", "locale", "fixtures"})
_OPENAPI_NAMES = frozenset({"openapi.yaml", "openapi.yml"})
_DEPTH = 6


@dataclass(frozen=True)
class ApiDocument:
    """An OpenAPI document at a tag: where it is and its `info.version`."""

    path: str
    version: str
    title: str | None


@dataclass(frozen=True)
class UpgradeRule:
    """One entry of an upgrade-check mapping: target key -> the versions one may come from."""

    key: str
    ranges: tuple[tuple[str, str], ...]
    """(minimum, maximum) pairs, inclusive; an empty maximum is no upper bound."""


@dataclass(frozen=True)
class UpgradeChecks:
    """The vendor's upgrade checks as one tag ships them."""

    path: str
    style: str
    """`openforms` (Open Forms' own upgrade_paths.py), `duc-1.0` or `duc-1.1` (the version
    of django-upgrade-check the tag pins), or `duc-1.1-strict`."""
    rules: tuple[UpgradeRule, ...]
    library: str | None = None


class Tree:
    """Folder listings and files at tags, cached by object id: a folder or file unchanged
    between two tags is read and parsed once."""

    def __init__(self, snapshots: Snapshots) -> None:
        self.snapshots = snapshots
        self._trees: dict[str, tuple[TreeEntry, ...]] = {}
        self._found: dict[tuple[str, str], tuple[str, ...]] = {}
        self.parsed: dict[tuple[str, str], object] = {}

    def entries(self, sha: str) -> tuple[TreeEntry, ...]:
        found = self._trees.get(sha)
        if found is None:
            found = self.snapshots.tree(sha) or ()
            self._trees[sha] = found
        return found

    def root(self, tag: str) -> str | None:
        """The id of the tag's top folder."""
        entries = self.snapshots.tree(f"{tag}^{{tree}}")
        if entries is None:
            return None
        # `git cat-file` names no id for a spec, so the listing stands for it: key the cache
        # on a join of the entry ids (identical top folders share it).
        key = "root:" + ",".join(e.sha for e in entries)
        self._trees[key] = entries
        return key

    def child(self, sha: str, name: str) -> TreeEntry | None:
        for entry in self.entries(sha):
            if entry.name == name:
                return entry
        return None

    def at(self, root: str, path: str) -> TreeEntry | None:
        """The entry at `path` (a/b/c) below the folder `root`."""
        current: TreeEntry | None = TreeEntry(name="", kind="tree", sha=root)
        for part in path.split("/"):
            if current is None or current.kind != "tree":
                return None
            current = self.child(current.sha, part)
        return current

    def find(self, sha: str, names: frozenset[str], depth: int = _DEPTH) -> tuple[str, ...]:
        """Paths (relative to the folder `sha`) of files named one of `names`, sorted."""
        key = (sha, ",".join(sorted(names)) + f"/{depth}")
        cached = self._found.get(key)
        if cached is not None:
            return cached
        found: list[str] = []
        for entry in self.entries(sha):
            if entry.kind == "blob" and entry.name in names:
                found.append(entry.name)
            elif entry.kind == "tree" and depth > 0 and entry.name not in _SKIP:
                found.extend(f"{entry.name}/{p}" for p in self.find(entry.sha, names, depth - 1))
        result = tuple(sorted(found))
        self._found[key] = result
        return result

    def text(self, entry: TreeEntry) -> str:
        data = self.snapshots.blob(entry.sha) or b""
        return data.decode("utf-8", "replace")


# -- OpenAPI documents -------------------------------------------------------------------

_INFO = re.compile(r"^info:\s*$", re.MULTILINE)
_KEY = re.compile(r"^(?P<indent>[ \t]+)(?P<key>version|title):[ \t]*(?P<value>.*?)[ \t]*$")
_VERSION_TOKEN = re.compile(r"v?(\d+(?:\.\d+)*(?:[-.]?(?:a|b|rc|alpha|beta)\.?\d*)?)")


def openapi_documents(tree: Tree, root: str) -> tuple[ApiDocument, ...]:
    """Every OpenAPI document under `src/` at a tag, with its info.version."""
    src = tree.child(root, "src")
    if src is None or src.kind != "tree":
        return ()
    documents = []
    for relative in tree.find(src.sha, _OPENAPI_NAMES):
        path = f"src/{relative}"
        entry = tree.at(root, path)
        if entry is None:
            continue
        key = ("openapi", entry.sha)
        if key not in tree.parsed:
            tree.parsed[key] = _info(tree.text(entry))
        info: tuple[str | None, str | None] = tree.parsed[key]  # type: ignore[assignment]
        version, title = info
        if version is not None:
            documents.append(ApiDocument(path=path, version=version, title=title))
    return tuple(documents)


def _info(text: str) -> tuple[str | None, str | None]:
    """`info.version` and `info.title` of a YAML OpenAPI document, read from its `info:`
    block (a full YAML parse of a 500 KB document per tag would dominate a refresh)."""
    match = _INFO.search(text)
    if match is None:
        return None, None
    found: dict[str, str] = {}
    indent: str | None = None
    for line in text[match.end() :].lstrip("\n").splitlines():
        if not line.strip():
            continue
        key = _KEY.match(line)
        if not line.startswith((" ", "\t")):
            break
        current = line[: len(line) - len(line.lstrip())]
        if indent is None:
            indent = current
        if current != indent or key is None:
            continue
        found.setdefault(key["key"], key["value"].strip("'\""))
    token = _VERSION_TOKEN.match(found.get("version", ""))
    return (token.group(1) if token else None), found.get("title")


# -- upgrade checks ----------------------------------------------------------------------

_PIN = re.compile(r"^django-upgrade-check==([0-9][^\s;#]*)", re.MULTILINE | re.IGNORECASE)
_DJANGO = re.compile(r"^django==([0-9][^\s;#]*)", re.MULTILINE | re.IGNORECASE)


def upgrade_checks(tree: Tree, root: str) -> UpgradeChecks | None:
    """The tag's upgrade checks: django-upgrade-check's UPGRADE_CHECK_PATHS in the settings
    (src/<package>/conf/*.py), else Open Forms' src/<package>/upgrades/upgrade_paths.py.
    Read with `ast`: nothing of the repository is ever executed."""
    src = tree.child(root, "src")
    if src is None or src.kind != "tree":
        return None
    library = _pinned(tree, root, _PIN)
    for package in tree.entries(src.sha):
        if package.kind != "tree":
            continue
        conf = tree.child(package.sha, "conf")
        if conf is not None and conf.kind == "tree":
            for entry in tree.entries(conf.sha):
                if entry.kind != "blob" or not entry.name.endswith(".py"):
                    continue
                parsed = _parsed_paths(tree, entry, "UPGRADE_CHECK_PATHS")
                if parsed is not None:
                    rules, strict = parsed
                    style = _style(library, strict)
                    return UpgradeChecks(
                        path=f"src/{package.name}/conf/{entry.name}",
                        style=style,
                        rules=rules,
                        library=library,
                    )
        upgrades = tree.child(package.sha, "upgrades")
        if upgrades is not None and upgrades.kind == "tree":
            module = tree.child(upgrades.sha, "upgrade_paths.py")
            if module is not None and module.kind == "blob":
                parsed = _parsed_paths(tree, module, "UPGRADE_PATHS")
                if parsed is not None:
                    return UpgradeChecks(
                        path=f"src/{package.name}/upgrades/upgrade_paths.py",
                        style="openforms",
                        rules=parsed[0],
                    )
    return None


def _style(library: str | None, strict: bool) -> str:
    # django-upgrade-check 1.0 matches a key K to targets ~=K; 1.1 (and later) in lax mode
    # (UPGRADE_CHECK_STRICT = False, the default) to every target >= K, strict mode as 1.0.
    try:
        old = library is not None and Version(library) < Version("1.1")
    except InvalidVersion:
        old = False
    if old:
        return "duc-1.0"
    return "duc-1.1-strict" if strict else "duc-1.1"


def _pinned(tree: Tree, root: str, pattern: re.Pattern[str]) -> str | None:
    requirements = tree.child(root, "requirements")
    if requirements is None or requirements.kind != "tree":
        return None
    entry = tree.child(requirements.sha, "base.txt")
    if entry is None:
        return None
    key = (pattern.pattern, entry.sha)
    if key not in tree.parsed:
        match = pattern.search(tree.text(entry))
        tree.parsed[key] = match.group(1) if match else None
    value = tree.parsed[key]
    return value if isinstance(value, str) else None


def django_version(tree: Tree, root: str) -> str | None:
    """The Django version requirements/base.txt pins at a tag."""
    return _pinned(tree, root, _DJANGO)


def _parsed_paths(
    tree: Tree, entry: TreeEntry, name: str
) -> tuple[tuple[UpgradeRule, ...], bool] | None:
    key = (name, entry.sha)
    if key not in tree.parsed:
        tree.parsed[key] = parse_upgrade_paths(tree.text(entry), name)
    found = tree.parsed[key]
    return found  # type: ignore[return-value]


def parse_upgrade_paths(source: str, name: str) -> tuple[tuple[UpgradeRule, ...], bool] | None:
    """The mapping assigned to `name` at the top of a Python module, and whether the module
    sets UPGRADE_CHECK_STRICT = True. None when the module has no such assignment (or is
    not valid Python)."""
    try:
        module = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # (deep nesting)
        return None
    mapping: ast.Dict | None = None
    strict = False
    for node in module.body:
        target, value = _assignment(node)
        if target == name and isinstance(value, ast.Dict):
            mapping = value
        elif target == "UPGRADE_CHECK_STRICT" and isinstance(value, ast.Constant):
            strict = value.value is True
    if mapping is None:
        return None
    rules = []
    for key_node, value_node in zip(mapping.keys, mapping.values, strict=True):
        if not (isinstance(key_node, ast.Constant) and isinstance(key_node.value, str)):
            continue
        ranges = tuple(_ranges(value_node))
        if ranges:
            rules.append(UpgradeRule(key=key_node.value, ranges=ranges))
    return tuple(rules), strict


def _assignment(node: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        if isinstance(target, ast.Name):
            return target.id, node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id, node.value
    return None, None


def _ranges(node: ast.expr) -> Iterator[tuple[str, str]]:
    """The VersionRange(minimum=..., maximum=...) calls inside an UpgradeCheck(...) or
    UpgradeConstraint(valid_ranges=...) expression, in order."""
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if name == "VersionRange":
            values = [_string(a) for a in node.args]
            keywords = {k.arg: _string(k.value) for k in node.keywords if k.arg}
            minimum = keywords.get("minimum") or (values[0] if values else None)
            maximum = keywords.get("maximum") or (values[1] if len(values) > 1 else "")
            if minimum:
                yield minimum, maximum or ""
            return
        candidates = list(node.args[:1]) + [
            k.value for k in node.keywords if k.arg in {"valid_range", "valid_ranges"}
        ]
        for candidate in candidates:
            yield from _ranges(candidate)
    elif isinstance(node, ast.Set | ast.List | ast.Tuple):
        for element in node.elts:
            yield from _ranges(element)


def _string(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _semver(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _compatible(key: str, version: Version) -> bool:
    """`version` in semantic_version's SimpleSpec(f"~={key}"): ~=X.Y.Z is X.Y.*, ~=X.Y and
    ~=X are X.* (the libraries' own matching)."""
    parts = key.split(".")
    base = _semver(key)
    if base is None:
        return False
    if len(parts) >= 3:
        return version >= base and version.release[:2] == base.release[:2]
    return version >= base and version.release[:1] == base.release[:1]


def evaluate(checks: UpgradeChecks, target: Version) -> tuple[str, UpgradeRule] | None:
    """The specifier of the versions one may upgrade to `target` from, by the rule of the
    library that runs the checks (its own order: an exact key first, then the first key in
    the mapping's order that matches), with the key it came from; None when no key matches
    (no constraint)."""
    plain = str(target)
    chosen: UpgradeRule | None = None
    for rule in checks.rules:
        if rule.key == plain:
            chosen = rule
            break
    if chosen is None:
        for rule in checks.rules:
            if _matches(checks.style, rule.key, target):
                chosen = rule
                break
    if chosen is None:
        return None
    minimums = [_semver(low) for low, _ in chosen.ranges]
    if any(m is None for m in minimums):
        return None
    low, high = min(chosen.ranges, key=lambda r: _semver(r[0]) or Version("0"))
    spec = f">={_normal(low)}"
    if high and len(chosen.ranges) == 1:
        spec += f",<={_normal(high)}"
    return spec, chosen


def _matches(style: str, key: str, target: Version) -> bool:
    if style == "duc-1.1":
        base = _semver(key)
        return base is not None and target >= base
    return _compatible(key, target)


def _normal(text: str) -> str:
    """A partial version as the library coerces it: `3.0` -> `3.0.0`."""
    parts = text.strip().split(".")
    while len(parts) < 3 and all(p.isdigit() for p in parts):
        parts.append("0")
    return ".".join(parts)


# -- documented minimums and support dates -----------------------------------------------

_SINCE = re.compile(
    r"since\s+\S+(?:\s+\S+)?\s+version\s+v?(?P<since>\d+\.\d+(?:\.\d+)?),?\s+postgres(?:ql)?"
    r"\s+version\s+(?P<major>\d+)\s+or\s+(?:higher|newer)",
    re.IGNORECASE,
)
_REDIS = re.compile(
    r"^Redis\s*\n[-=~^]+\s*\n(?P<body>.*?)(?=^\S[^\n]*\n[-=~^]{3,}[ \t]*$|\Z)", re.M | re.S
)
_SUPPORTED = re.compile(r"supported versions?:\s*(?P<list>\d+(?:\s*,\s*\d+)*)", re.IGNORECASE)


@dataclass(frozen=True)
class Prerequisites:
    """docs/installation/prerequisites.rst at a tag."""

    path: str
    postgresql_since: tuple[str, int] | None
    """(version, major): "since version X, PostgreSQL N or higher is required"."""
    redis_minimum: int | None


def prerequisites(tree: Tree, root: str) -> Prerequisites | None:
    path = "docs/installation/prerequisites.rst"
    entry = tree.at(root, path)
    if entry is None or entry.kind != "blob":
        return None
    text = tree.text(entry)
    since = _SINCE.search(" ".join(text.split()))
    redis = None
    section = _REDIS.search(text)
    if section is not None:
        listed = _SUPPORTED.search(section["body"])
        if listed is not None:
            redis = min(int(n) for n in re.findall(r"\d+", listed["list"]))
    return Prerequisites(
        path=path,
        postgresql_since=(since["since"], int(since["major"])) if since else None,
        redis_minimum=redis,
    )


# Django's own minimum PostgreSQL per Django feature release (its release notes).
_DJANGO_POSTGRESQL = {
    (3, 2): 9,  # 9.6
    (4, 0): 10,
    (4, 1): 11,
    (4, 2): 12,
    (5, 0): 12,
    (5, 1): 13,
    (5, 2): 14,
    (6, 0): 14,
}
_DJANGO_POSTGRESQL_LABEL = {(3, 2): "9.6"}


def django_postgresql(django: str) -> str | None:
    """The PostgreSQL minimum of a Django version, as a specifier (`>=12`)."""
    version = _semver(django)
    if version is None:
        return None
    line = version.release[:2]
    if line not in _DJANGO_POSTGRESQL:
        return None
    return f">={_DJANGO_POSTGRESQL_LABEL.get(line, _DJANGO_POSTGRESQL[line])}"


_LINE = re.compile(r"^(\d+)\.(\d+)\.x$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_VERSIONING = ("docs/introduction/versioning.rst", "docs/introduction/versions.rst")


@dataclass(frozen=True)
class SupportTable:
    """The versioning policy's table: release line (major, minor) -> supported until."""

    path: str
    until: Mapping[tuple[int, int], dt.date]


def support_table(tree: Tree, root: str) -> SupportTable | None:
    for path in _VERSIONING:
        entry = tree.at(root, path)
        if entry is None or entry.kind != "blob":
            continue
        until = parse_support_table(tree.text(entry))
        if until:
            return SupportTable(path=path, until=until)
    return None


def parse_support_table(text: str) -> dict[tuple[int, int], dt.date]:
    """Rows `| | 2.17.x | 2026-06-16 | 2026-12-16 |` of an RST grid table whose header has
    a "Supported until" (or "End of life") column. The first row for a line wins."""
    column: int | None = None
    found: dict[tuple[int, int], dt.date] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("|"):
            continue
        cells = [c.strip() for c in stripped.strip("|").split("|")]
        lowered = [c.lower() for c in cells]
        header = [i for i, c in enumerate(lowered) if "until" in c or "end of life" in c]
        if header:
            column = header[0]
            continue
        if column is None or column >= len(cells):
            continue
        lines = [_LINE.match(c) for c in cells]
        matched = next((m for m in lines if m is not None), None)
        if matched is None or not _DATE.match(cells[column]):
            continue
        key = (int(matched.group(1)), int(matched.group(2)))
        if key not in found:
            found[key] = dt.date.fromisoformat(cells[column])
    return found


def specifier_ok(text: str) -> bool:
    try:
        SpecifierSet(text)
    except InvalidSpecifier:
        return False
    return True
