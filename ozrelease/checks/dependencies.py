"""`dependencies`: production pins that moved, from requirements files and pyproject.toml."""

from __future__ import annotations

import configparser
import functools
import re
import tomllib
from collections.abc import Iterable, Mapping

from ozrelease.changelog.schema import CHECK_RULES
from ozrelease.checks.context import Context
from ozrelease.checks.files import FileVersions, Watched
from ozrelease.checks.named import PYTHON, Named, in_order, report_names, touching
from ozrelease.checks.reading import is_dependency_commit
from ozrelease.versions import Version, parse_version


def _norm_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.lower())


_PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*"
    r"(?P<spec>(?:===|==|>=|<=|~=|!=|<|>|@)\s*[^\s;\\#]+)?"
)
_EGG = re.compile(r"#egg=(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)")


def _requirements(text: str | None) -> dict[str, tuple[str, bool]]:
    """name -> (pin, direct) of a requirements file; `direct` unless pip-compile's `# via`
    comments name only other packages."""
    out: dict[str, tuple[str, bool]] = {}
    if text is None:
        return out
    current: str | None = None
    via: list[str] = []

    def close() -> None:
        if current is not None:
            pin = out[current][0]
            direct = not via or any(
                v.startswith(("-r", "-c")) or ".in" in v or "pyproject" in v or "setup." in v
                for v in via
            )
            out[current] = (pin, direct)

    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("--"):
            continue
        if line.startswith("#"):
            comment = line.lstrip("#").strip()
            if current is not None and (comment.startswith("via") or via):
                rest = comment.removeprefix("via").strip()
                if rest:
                    via.append(rest)
                elif comment.startswith("via"):
                    via.append("")
            continue
        close()
        current, via = None, []
        if raw[:1].isspace():
            continue
        egg = _EGG.search(line)
        if line.startswith("-e") or line.startswith(("git+", "http")):
            if egg:
                current = _norm_name(egg.group("name"))
                out[current] = (line, True)
            continue
        if line.startswith("-"):
            continue
        match = _PIN.match(line)
        if match:
            current = _norm_name(match.group("name"))
            out[current] = ((match.group("spec") or "").replace(" ", ""), True)
    close()
    return out


# Extras that install tooling or test helpers, not what users of the package run.
_TOOLING_EXTRAS = re.compile(
    r"(?:test\w*|dev|develop|docs?|pep8|lint(?:ing)?|coverage|release|types?|typing|"
    r"ci|checks?|format(?:ting)?|quality|bench(?:mark)?s?|all)",
    re.I,
)


def _requirement_list(items: Iterable[object], out: dict[str, tuple[str, bool]]) -> None:
    for item in items:
        if isinstance(item, str):
            match = _PIN.match(item.strip())
            if match:
                out.setdefault(_norm_name(match.group("name")), (item.strip(), True))


def _pyproject(text: str | None) -> dict[str, tuple[str, bool]]:
    """`[project]` dependencies and the optional ones of extras users install (not
    `tests`, `docs`, `release`, ...)."""
    if text is None:
        return {}
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError, RecursionError):  # (4,300+ digits, deep nesting)
        return {}
    project = data.get("project")
    if not isinstance(project, dict):
        return {}
    out: dict[str, tuple[str, bool]] = {}
    # (A package's: an application's `[project]` that names no package and builds nothing,
    # like Open Zaak's, configures its tools.)
    python = project.get("requires-python")
    package = "name" in project or "build-system" in data
    if package and isinstance(python, str) and python.strip():
        out[PYTHON] = (_spec(python), True)
    deps = project.get("dependencies")
    _requirement_list(deps if isinstance(deps, list) else (), out)
    extras = project.get("optional-dependencies")
    for extra, items in extras.items() if isinstance(extras, dict) else ():
        if not _TOOLING_EXTRAS.fullmatch(str(extra)) and isinstance(items, list):
            _requirement_list(items, out)
    return out


def _setup_cfg(text: str | None) -> dict[str, tuple[str, bool]]:
    """setup.cfg's `install_requires`, and the `extras_require` of extras users install."""
    if text is None:
        return {}
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return {}
    out: dict[str, tuple[str, bool]] = {}
    python = parser.get("options", "python_requires", fallback="").strip()
    if python:
        out[PYTHON] = (_spec(python), True)
    lines = parser.get("options", "install_requires", fallback="").splitlines()
    if parser.has_section("options.extras_require"):
        for extra, value in parser.items("options.extras_require"):
            if not _TOOLING_EXTRAS.fullmatch(extra):
                lines += value.splitlines()
    _requirement_list((line for line in lines if not line.strip().startswith("#")), out)
    return out


# The Python versions a package installs on (`requires-python`, `python_requires`): watched
# like a pin of the package "python" (named.PYTHON).
_SETUP_PY_PYTHON = re.compile(
    r"""\bpython_requires\s*=\s*(?P<q>["'])(?P<spec>[^"'\n]{1,200})(?P=q)"""
)


def _spec(text: str) -> str:
    return "".join(text.split())


def _setup_py(text: str | None) -> dict[str, tuple[str, bool]]:
    """setup.py's `python_requires="..."` (its other arguments are code, not read)."""
    found = _SETUP_PY_PYTHON.search(text or "")
    return {PYTHON: (_spec(found.group("spec")), True)} if found else {}


def _upper(pin: str) -> Version | None:
    """The lowest upper bound a requirement sets (`<5.0`, `<=4.2`, `~=4.2` is `<5`), if any."""
    bounds = []
    for clause in re.findall(r"(<=|<|~=)\s*([0-9][\w.]*)", pin):
        operator, text = clause
        try:
            version = parse_version(text)
        except ValueError:
            continue
        if operator == "~=":
            release = version.release
            if len(release) < 2:
                continue
            version = parse_version(".".join(map(str, (*release[:-2], release[-2] + 1))))
        bounds.append(version)
    return min(bounds) if bounds else None


def narrowed(what: str, old: str | None, new: str | None) -> str:
    """`what`, said to exclude versions it allowed when the new requirement has a new or a
    lower upper bound (`django>=3.2` -> `django>=3.2,<5.0`: Django 5 is no longer
    supported, whatever change did it)."""
    if old is None or new is None:
        return what
    before, after = _upper(old), _upper(new)
    if after is not None and (before is None or after < before):
        return f"{what}, now excludes {after} and later"
    return what


@functools.lru_cache(maxsize=64)
def _pins(path: str, text: str | None) -> Mapping[str, tuple[str, bool]]:
    """One version's pins, read once (a commit's "after" is the next one's "before")."""
    if path.rpartition("/")[2] == "Dockerfile":
        return {}  # (its runtime image: checks/image.py)
    if path.endswith(".toml"):
        return _pyproject(text)
    if path.rpartition("/")[2] == "setup.py":
        return _setup_py(text)
    return _setup_cfg(text) if path.endswith(".cfg") else _requirements(text)


def pin_changes(
    versions: FileVersions, paths: Iterable[str]
) -> dict[str, tuple[str, set[str], bool]]:
    """Packages whose production pin was added, removed or changed: name -> (what, files,
    direct)."""
    out: dict[str, tuple[str, set[str], bool]] = {}
    moves: dict[str, tuple[set[str], set[str]]] = {}  # name -> (pins removed, pins added)
    for path in sorted(paths):
        if path not in versions:
            continue
        before, after = _pins(path, versions[path][0]), _pins(path, versions[path][1])
        for name in sorted(set(before) | set(after)):
            old, new = before.get(name), after.get(name)
            if old is not None and new is not None and old[0] == new[0]:
                continue
            direct = (new or old or ("", True))[1]
            if old is None:
                what = f"added {_short(new[0]) if new else ''}".strip()
            elif new is None:
                what = "removed"
            else:
                what = narrowed(f"{_short(old[0])} -> {_short(new[0])}", old[0], new[0])
            out.setdefault(name, (what, set(), direct))[1].add(path)
            move = moves.setdefault(name, (set(), set()))
            if old is None or new is None:
                move[0 if new is None else 1].add("".join((old or new or ("",))[0].split()).lower())
    # A pin that moved from one file to another (setup.cfg to pyproject.toml) is no change.
    for name, (removed, added) in moves.items():
        if removed and removed == added:
            del out[name]
    return out


def check_dependencies(
    versions: FileVersions,
    attributed: Mapping[str, set[str]],
    entry: Watched,
    context: Context,
    order: Mapping[str, int],
    first: bool = False,
    settings: Iterable[str] = (),
) -> None:
    """Production pins added, removed or moved over the range must name their package in the
    section (pins only another package needs excepted). `first`: the range starts at the
    first commit. `settings`: the settings modules, whose INSTALLED_APPS may make a pin that
    pip-compile calls transitive one the project uses itself."""
    changed = pin_changes(versions, entry.files)
    installed = _installed_apps(versions, settings)
    items = []
    for name, (what, where, direct) in changed.items():
        # An app the range's settings install (`"simple_certmanager"`, brought by an upgrade
        # of zgw-consumers) is the project's own: its migrations and admin come along. The
        # upgrade's entry may name it by its module ("which includes adding CSP settings").
        apps = _module_names(name) & installed
        if context.section.names_package(name) or any(
            context.section.names_package(app) for app in apps if not direct
        ):
            continue
        direct = direct or bool(apps)
        item = Named(
            name,
            what,
            tuple(sorted(where)),
            in_order(attributed.get(name) or touching(entry, where), order),
        )
        # A project whose past sections list its upgrades by package and version lists
        # every one, a transitive pin's or a patch upgrade's too (Open Zaak does).
        # Not a pin that only another package needed and no longer does (josepy, gone with
        # mozilla-django-oidc 5): no project lists those.
        listed = context.pins_listed
        if (
            not direct
            and context.on("transitive-dependencies")
            and (not listed or what == "removed")
        ):
            context.suppress(
                "transitive-dependencies",
                f"dependency {name}",
                f"{CHECK_RULES['transitive-dependencies']} ({what})",
                item.commits,
            )
            continue
        subject = f"dependency {name}"
        # The Python versions users can install it on: whatever the size of the change.
        if what.endswith(" and later") or name == PYTHON:
            items.append(item)
            continue
        # An upgrade of other packages ("Upgraded Django from 3.2 to 5.2") documents
        # neither the packages it adds nor the majors it moves: those must be named.
        upgrade = bool(item.commits) and all(
            (c := context.by_sha.get(sha)) is not None
            and is_dependency_commit(c)
            and not _names(c.parsed.description, name)
            for sha in item.commits
        )
        # (A range from the first commit is a first release: nobody upgrades through it.)
        if (
            what.startswith("added")
            and context.on("new-dependencies")
            and not (direct and not first and (upgrade or not context.checked(item.commits)))
        ):
            context.suppress(
                "new-dependencies", subject, CHECK_RULES["new-dependencies"], item.commits
            )
            continue
        if context.on("minor-upgrades") and _same_major(what) and not listed:
            context.suppress(
                "minor-upgrades", subject, f"{CHECK_RULES['minor-upgrades']} ({what})", item.commits
            )
            continue
        documented = context.documented_change(item.commits) if item.commits else None
        if upgrade and direct and (what == "removed" or not _same_major(what)):
            documented = None
        if documented is not None and context.on("documented-change") and not listed:
            context.suppress(
                "documented-change",
                subject,
                f"changed by a change the section documents ({documented}; {what})",
                item.commits,
            )
            continue
        items.append(item)
    report_names("dependencies", items, context, lambda text, n: text.names_package(n))


_QUOTED_MODULE = re.compile(r"""["']([A-Za-z_][\w]*)(?:\.[\w.]*)?["']""")


def _installed_apps(versions: FileVersions, settings: Iterable[str]) -> set[str]:
    """Top-level modules the range's Python settings modules began to name as strings (an
    app in INSTALLED_APPS, `"simple_certmanager"` or `"simple_certmanager.apps.Config"`)."""
    out: set[str] = set()
    for path in settings:
        if not path.endswith(".py") or path not in versions:
            continue
        before, after = versions[path]
        named = set(_QUOTED_MODULE.findall(after or ""))
        out |= named - set(_QUOTED_MODULE.findall(before or ""))
    return out


def _module_names(package: str) -> set[str]:
    """The modules a distribution is likely imported as: `django-simple-certmanager` ->
    `django_simple_certmanager`, `simple_certmanager`."""
    module = package.lower().replace("-", "_").replace(".", "_")
    return {module, module.removeprefix("django_")} - {""}


def _names(subject: str, package: str) -> bool:
    """Whether a commit subject names the package (`Update log-outgoing-requests` names
    `django-log-outgoing-requests`; `Add Pygments dependency` names `pygments`)."""
    words = {_norm_name(w) for w in re.findall(r"[A-Za-z0-9][A-Za-z0-9._-]*", subject)}
    return any(package == w or (package.endswith(f"-{w}") and "-" in w) for w in words)


def _same_major(what: str) -> bool:
    """Whether `1.2.3 -> 1.4.0` stays inside one major version (for 0.x: one minor)."""
    match = re.fullmatch(r"(\S+) -> (\S+)", what)
    if match is None:
        return False
    try:
        old, new = (parse_version(v) for v in match.groups())
    except ValueError:
        return False

    def major(version: Version) -> tuple[int, ...]:
        release = (*version.release, 0)
        return (release[0],) if release[0] > 0 else (0, release[1])

    return major(old) == major(new) and new >= old


def _short(pin: str) -> str:
    return pin.removeprefix("==") or "unpinned"


# "``django`` to 5.2.7", "tornado to 6.5.0", "Upgraded django-csp 3.8 -> 4.0", "pkg==1.2".
_LISTED_PIN = re.compile(
    r"(?:``|`|\b)(?P<n>[A-Za-z][\w.-]*[A-Za-z0-9])(?:``|`)?\s*"
    r"(?:to|==|->|\u2192|from\s+v?\d[\w.]*\s+to)\s+v?\d+(?:\.\d+)+"
)


def lists_pins(past: Iterable[str]) -> bool:
    """Whether a project's past changelog sections list upgraded packages with their
    versions: at least three sections, each naming two packages or more."""
    count = 0
    for text in past:
        names = {m.group("n").lower() for m in _LISTED_PIN.finditer(text)}
        if len(names) >= 2:
            count += 1
            if count >= 3:
                return True
    return False
