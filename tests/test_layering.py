"""The architecture rules of STYLE.md, enforced: who may import click and jinja2, and run git."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from gitrepo import GitRepo

PACKAGE = Path(__file__).resolve().parent.parent / "ozrelease"


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_only_the_cli_imports_click() -> None:
    offenders = [
        p.relative_to(PACKAGE)
        for p in modules()
        if "click" in imports(p) and "cli" not in p.relative_to(PACKAGE).parts
    ]
    assert offenders == []


def test_only_history_runs_git() -> None:
    # history.py is the only git user: GitPython, and the subprocesses it starts.
    offenders = [
        p.relative_to(PACKAGE)
        for p in modules()
        if imports(p) & {"subprocess", "git", "pygit2", "dulwich"}
        and p.relative_to(PACKAGE).parts[0] != "history"
    ]
    assert offenders == []


def test_only_render_imports_jinja2() -> None:
    offenders = [
        p.relative_to(PACKAGE)
        for p in modules()
        if "jinja2" in imports(p) and p.name != "render.py"
    ]
    assert offenders == []


def _module_imports() -> dict[str, set[str]]:
    """Each ozrelease module -> the ozrelease modules it imports at its top level (imports
    inside functions are deliberate late loads and TYPE_CHECKING blocks are for types)."""
    names = {}
    for path in modules():
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {name: set() for name in names}
    for name, path in names.items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    target = full if full in names else node.module
                    if target in names and target != name:
                        graph[name].add(target)
            elif isinstance(node, ast.Import):
                graph[name].update(a.name for a in node.names if a.name in names and a.name != name)
    return graph


def test_no_import_circle() -> None:
    graph = _module_imports()
    state: dict[str, int] = {}
    circles: list[list[str]] = []

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                circles.append(path[path.index(target) :] + [target])
            elif target not in state:
                visit(target, [*path, target])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert circles == []


def test_arrows_point_down() -> None:
    # ARCHITECTURE: cli -> runbook/planner/changelog/checks/release -> ecosystem/history ->
    # errors/versions. No core package imports cli; the model imports no capability above it.
    above = {
        "ecosystem": ("cli", "planner", "runbook", "release", "checks", "changelog"),
        "planner": ("cli", "runbook", "release", "checks", "changelog"),
        "runbook": ("cli", "release", "checks", "changelog"),
        "changelog": ("cli", "planner", "runbook", "release", "checks"),
        "checks": ("cli", "planner", "runbook", "release"),
        "history": ("cli", "ecosystem", "planner", "runbook", "release", "checks", "changelog"),
    }
    wrong = []
    for name, targets in _module_imports().items():
        parts = name.split(".")
        if len(parts) < 2 or parts[1] not in above:
            continue
        for target in targets:
            if target.split(".")[1] in above[parts[1]]:
                wrong.append((name, target))
    assert wrong == []


def test_every_module_opens_with_a_docstring() -> None:
    missing = [
        p.relative_to(PACKAGE)
        for p in modules()
        if ast.get_docstring(ast.parse(p.read_text(encoding="utf-8"))) is None
    ]
    assert missing == []


def test_commands_are_imported_only_when_they_run() -> None:
    code = (
        "import sys; from click.testing import CliRunner; from ozrelease.cli import cli; "
        "r = CliRunner().invoke(cli, ['changelog', '--help']); assert r.exit_code == 0; "
        "print(sorted(m for m in ('networkx', 'ozrelease.planner', 'ozrelease.ecosystem.graph', "
        "'git') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_top_level_help_imports_no_command() -> None:
    # `ozrelease --help` lists the commands from one table; no networkx, planner, jinja2,
    # YAML reader or git layer is loaded to print it, and every command listed exists.
    code = (
        "import sys; from click.testing import CliRunner; from ozrelease.cli import cli; "
        "r = CliRunner().invoke(cli, ['--help']); assert r.exit_code == 0, r.output; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('networkx', 'jinja2', 'yaml', 'yaml_rs', 'git')"
        " or m.startswith(('ozrelease.planner', 'ozrelease.ecosystem', 'ozrelease.history'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_listed_command_has_the_listed_short_help() -> None:
    from click.testing import CliRunner

    from ozrelease.cli import _COMMANDS, cli

    listing = CliRunner().invoke(cli, ["--help"]).output
    for name, (_, short) in _COMMANDS.items():
        command = cli.get_command(None, name)  # type: ignore[arg-type]
        assert command is not None and command.name == name
        assert command.get_short_help_str() == short
        assert f"{name}  " in listing and short in listing


def test_generating_a_changelog_loads_only_what_it_uses(gitrepo: GitRepo) -> None:
    # Start-up is most of a short `changelog generate`: what only writing files, reading
    # configuration files or checking specifiers needs stays unloaded when none is done.
    # (tempfile is not on the list: GitPython, the git layer, imports it.)
    repo = gitrepo
    repo.commit(":sparkles: [#12] Add X", {"src/x.py": "x = 1\n"})
    repo.tag("1.0.0")
    repo.pull_request(13, "feature/13-y", [":bug: Fix y"], title=":bug: Fix y")
    code = (
        "import sys, atexit; from ozrelease.cli import main; "
        "atexit.register(lambda: print(sorted(m for m in ("
        "'packaging.specifiers', 'tomllib', 'ozrelease.atomic', 'jinja2', "
        "'networkx', 'ozrelease.planner') if m in sys.modules))); "
        "sys.argv = ['ozrelease', 'changelog', 'generate', '--format', 'json']; main()"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=repo.path, capture_output=True, text=True, check=True
    )
    json_line, loaded = out.stdout.strip().splitlines()
    assert '"Fix y"' in json_line
    assert loaded == "[]"


@pytest.mark.parametrize(
    "args", [["plan"], ["validate"], ["--help"], ["graph", "--format", "json"], ["schema"]]
)
def test_commands_that_read_no_git_never_load_gitpython(args: list[str]) -> None:
    code = (
        "import sys, atexit; from ozrelease.cli import main; "
        "atexit.register(lambda: print('git' in sys.modules)); "
        f"sys.argv = ['ozrelease', *{args!r}]; main()"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "False", out.stderr


def test_no_test_module_imports_another_test_module_or_conftest() -> None:
    # What tests share lives in helper modules (tests_support.py, brute.py, gitrepo.py, ...)
    # and fixtures in conftest.py; a test module imported by another runs its tests twice.
    tests = Path(__file__).resolve().parent
    found = {
        f"{path.name} imports {name}"
        for path in sorted(tests.glob("test_*.py"))
        for name in imports(path)
        if name.startswith("test_") or name == "conftest"
    }
    assert found == set()


def test_every_command_returns_its_exit_code() -> None:
    # STYLE: options -> one core call -> render -> exit code; the group is the one place
    # that exits, so no command calls sys.exit and each says `-> int`.
    wrong = []
    for path in sorted((PACKAGE / "cli").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef):
                continue
            decorators = [ast.unparse(d) for d in node.decorator_list]
            if not any(".command(" in d or d.startswith("click.command") for d in decorators):
                continue
            if node.returns is None or ast.unparse(node.returns) != "int":
                wrong.append(f"{path.name}:{node.name}")
        if "sys.exit(" in path.read_text(encoding="utf-8"):
            wrong.append(f"{path.name}: sys.exit")
    assert wrong == []
