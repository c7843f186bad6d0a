"""Fuzzed command lines over every command's real options: an answer or a one-line refusal,
never a traceback, a hang or the bug exit (70).

The command tree is read from click itself, so an option added later is fuzzed too. Values
are drawn per option from what it means (versions and names for `--to`, refs for `--from`,
paths for files) plus hostile ones: a FIFO, a directory, an empty string, a path longer than
the system allows, a missing file, a character device, huge numbers, control characters.
Every run goes through the real CLI (CliRunner) against the bundled manifests and a small
real git repository.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import click
import pytest
from click.testing import CliRunner
from gitrepo import GitRepo, isolated_env
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests_support import examples

from ozrelease.cli import cli

CONTRACT_CODES = {0, 1, 2}
DATA_FORMATS = {"json", "gitlab", "helm", "argocd", "ansible"}
TIMEOUT = 20  # seconds one command line may take before it counts as a hang


class _Hang(BaseException):  # not an Exception: the CLI would call it a bug (exit 70)
    pass


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise _Hang


def _commands() -> list[tuple[tuple[str, ...], click.Command]]:
    ctx = click.Context(cli)
    found: list[tuple[tuple[str, ...], click.Command]] = []

    def walk(command: click.Command, path: tuple[str, ...]) -> None:
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None
                walk(sub, (*path, name))
        else:
            found.append((path, command))

    walk(cli, ())
    return found


COMMANDS = _commands()


def _is_device(path: str) -> bool:
    try:
        return stat.S_ISCHR(Path(path).stat().st_mode)
    except OSError:
        return False


class World:
    """Files the fuzzed command lines point at; built once per module."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.work = root / "work"  # the working directory of every run
        self.work.mkdir()
        env = isolated_env(root / "home")
        for key, value in env.items():
            os.environ[key] = value
        repo = GitRepo.init(root / "repo", env)
        repo.commit(
            "chore: start",
            {
                "CHANGELOG.md": "# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2024-01-01\n\n"
                "### Added\n\n- First [#1]\n",
                "pyproject.toml": '[project]\nname = "x"\nversion = "1.0.0"\n',
            },
        )
        repo.tag("1.0.0", message="Release 1.0.0")
        repo.commit(":sparkles: [#2] Add y\n\nCloses #2", {"src/y.py": "y = 1\n"})
        repo.commit("fix: \x1b]0;owned\x07 crash [#3]", {"src/z.py": "z = 1\n"})
        repo.branch("stable/1.0.x", "1.0.0")
        repo.commit("\U0001f41b Fix [#4]\r\n\u202eevil", {"src/w.py": "w = 1\n"})
        self.repo = root / "repo"
        # A second repository whose own files are hostile: a tag-format that would be a git
        # flag, a 5,000-digit number in pyproject.toml, a docs/conf.py too deep to parse.
        bad = GitRepo.init(root / "bad-repo", env)
        bad.commit(
            "chore: start",
            {
                "CHANGELOG.md": "# Changelog\n\n## [Unreleased]\n\n- \x1b[2J [#1]\n",
                ".ozrelease.toml": '[release]\ntag-format = "--message={version}"\n',
                "pyproject.toml": '[project]\nname = "x"\nversion = "1.0.0"\n',
                "docs/conf.py": "extlinks = " + "(" * 500 + ")" * 500 + "\n",
            },
        )
        bad.tag("1.0.0", message="Release 1.0.0")
        pyproject = '[project]\nname = "x"\nversion = "1.0.0"\ndependencies = ["a==1"]\n'
        bad.commit(  # in the history only: what `changelog check` reads from git
            "build: pin [#3]", {"pyproject.toml": pyproject + "[tool.x]\nn = " + "1" * 5000}
        )
        bad.commit("feat: \x1b]52;c;eA==\x07 more [#2]", {"pyproject.toml": pyproject})
        self.bad_repo = root / "bad-repo"
        self.fifo = root / "fifo"
        os.mkfifo(self.fifo)
        self.dir = root / "a-directory"
        self.dir.mkdir()
        self.missing = root / "missing" / "file"
        self.long = root / ("x" * 300) / ("y" * 5000)
        self.plan = root / "plan.json"
        result = CliRunner().invoke(cli, ["plan", "--format", "json", "-o", str(self.plan)])
        assert result.exit_code == 0, result.output
        data = json.loads(self.plan.read_text(encoding="utf-8"))
        data["start"] = {"open-zaak": "1" + "0" * 5000}
        self.huge_plan = root / "huge-plan.json"
        self.huge_plan.write_text(json.dumps(data), encoding="utf-8")
        self.deep = root / "deep.json"
        self.deep.write_text("[" * 100_000, encoding="utf-8")
        self.env = root / "env.yaml"
        self.env.write_text(
            "kind: Environment\nname: fuzz\ndeployed: {open-zaak: 1.26.0}\n", encoding="utf-8"
        )
        self.template = root / "plan.txt.j2"
        self.template.write_text("{{ environment }}\n", encoding="utf-8")
        self.publiccode = root / "publiccode.yml"
        self.publiccode.write_text(
            "publiccodeYmlVersion: '0.2'\nname: x\nurl: https://example.com/x\n"
            'softwareVersion: 1.0.0\ndependsOn:\n  open:\n    - name: "a\\nb"\n',
            encoding="utf-8",
        )
        # Manifests with what validate must refuse in one line each: a 5,000-digit number,
        # nesting past the parser, control characters, a file name with a line break.
        self.bad_manifests = root / "bad-manifests"
        self.bad_manifests.mkdir()
        (self.bad_manifests / "huge.yaml").write_text(
            "kind: Component\nname: huge\ntitle: " + "1" * 5000 + "\nreleases: []\n",
            encoding="utf-8",
        )
        (self.bad_manifests / "deep.yaml").write_text("a: " + "[" * 5000, encoding="utf-8")
        (self.bad_manifests / "evil\nname.yaml").write_text(
            'kind: Component\nname: "\\e]0;x\\a\\r\\u202e"\nreleases:\n'
            '  - version: "1.' + "9" * 80 + '"\n',
            encoding="utf-8",
        )
        # A ./templates/ folder in one working directory: its overrides are used, and said.
        (self.work / "templates").mkdir()
        (self.work / "templates" / "plan.txt.j2").write_text("{{ 1 / 0 }}\n", encoding="utf-8")
        (self.work / "templates" / "plan.md.j2").write_text("{{ windows }}\n", encoding="utf-8")
        self.out = root / "out" / "file.txt"
        self.out.parent.mkdir()
        self.link = root / "out" / "link.txt"
        self.link.symlink_to(self.out)
        # A character device to read from (never a target to write: -o gets the FIFO and a
        # symbolic link to it instead; the test checks the device is still a device).
        self.dev = Path("/dev/zero") if _is_device("/dev/zero") else self.fifo
        self.fifo_link = root / "out" / "fifo-link"
        self.fifo_link.symlink_to(self.fifo)

    def paths(self, *, writing: bool = False) -> list[str]:
        p = [
            self.fifo,
            self.dir,
            self.missing,
            self.long,
            self.plan,
            self.huge_plan,
            self.deep,
            self.env,
            self.template,
            self.publiccode,
            self.out,
            self.link,
            self.fifo_link if writing else self.dev,
            self.repo,
            self.repo / "CHANGELOG.md",
        ]
        return [str(x) for x in p] + ["", "-", "x" * 5000, "\n", "a\nb", "."]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    saved = dict(os.environ)
    cwd = Path.cwd()
    try:
        built = World(tmp_path_factory.mktemp("fuzz"))
        yield built
    finally:
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(saved)


HOSTILE_TEXT = [
    "",
    " ",
    "-",
    "--",
    "--help",
    "-x",
    "\n",
    "a\nb",
    "\x1b[2J",
    "\u202e",
    "\x00",
    "1" * 5000,
    "9" * 4400 + ".0",
    ">=1" + "0" * 5000,
    "latest",
    "open-zaak",
    "open-zaak=latest",
    "open-zaak=1.30.0",
    "open-zaak=" + "1" * 5000,
    "open-zaak@x=1.0",
    "=",
    "x=",
    "open-zaak=1.26.0",
    "open-notificaties=1.8.0",
    "postgresql=15",
    "HEAD",
    "HEAD~1",
    "HEAD~100",
    "1.0.0",
    "v1.0.0",
    "main",
    "stable/1.0.x",
    "deadbeef",
    "--message=x",
    "1.0,1.1",
    "1.0",
    "2026-01-01",
    "2026-13-45",
    "example-gemeente",
    "0o17",
    "1_000",
    "x" * 5000,
]


GOOD_TEXT = {
    "targets": ["latest", "open-zaak=latest", "open-zaak=1.30.0", "open-notificaties=1.10.0"],
    "to": ["HEAD", "HEAD~1", "1.0.0", "main", "stable/1.0.x"],
    "since": ["1.0.0", "HEAD~2", "HEAD~1", "main"],
    "version": ["1.1.0", "2.0.0", "1.0.0", "v1.2.0rc1"],
    "date": ["2026-01-01", "2024-02-29"],
    "on": ["2026-01-01", "2030-12-31"],
    "lines": ["1.0", "1.0,1.1", "9.9"],
    "subject": ["open-zaak", "open-zaak=1.30.0", "open-notificaties", "zaken"],
    "env": ["example-gemeente"],
}


def _good_paths(world: World, name: str) -> list[str]:
    good = {
        "repo": [world.repo, world.bad_repo],
        "output": [world.out, world.link, world.root / "out" / "new.txt"],
        "verify_file": [world.plan],
        "template": [world.template],
        "file": [world.publiccode],
        "changelog_file": [world.repo / "CHANGELOG.md"],
        "manifests": [world.root / "no-manifests-here"],
        "env": [world.env],
    }
    return [str(p) for p in good.get(name, [])]


def _value(world: World, option: click.Parameter) -> st.SearchStrategy[str]:
    kind = option.type
    name = option.name or ""
    if isinstance(kind, click.Choice):
        choices = [str(c) for c in kind.choices]
        return st.one_of(*[st.just(c) for c in choices], st.sampled_from(["", "x"]))
    good = _good_paths(world, name) + GOOD_TEXT.get(name, [])
    if isinstance(kind, click.Path | click.File) or name == "env":
        hostile: st.SearchStrategy[str] = st.sampled_from(world.paths(writing=name == "output"))
    else:
        hostile = st.one_of(
            st.sampled_from(HOSTILE_TEXT),
            st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12),
        )
    return st.one_of(st.sampled_from(good), hostile) if good else hostile


@st.composite
def command_lines(draw: st.DrawFn, world: World) -> tuple[Path, list[str]]:
    path, command = draw(st.sampled_from(COMMANDS))
    args: list[str] = []
    if draw(st.integers(0, 5)) == 0:
        choices = [*world.paths(), str(world.root), str(world.bad_manifests)]
        args += ["--manifests", draw(st.sampled_from(choices))]
    args += list(path)
    options = [p for p in command.params if isinstance(p, click.Option) and p.name != "help"]
    for option in draw(st.lists(st.sampled_from(options), max_size=4)) if options else []:
        name = draw(st.sampled_from(option.opts))
        if option.is_flag:
            args.append(name)
        else:
            args += [name, draw(_value(world, option))]
    for argument in (p for p in command.params if isinstance(p, click.Argument)):
        args.append(draw(_value(world, argument)))
    if draw(st.integers(0, 19)) == 0:  # now and then an option the command does not know
        args.append(draw(st.sampled_from(["--bogus", "-q", "extra"])))
    return draw(st.sampled_from([world.repo, world.work, world.bad_repo])), args


def run_one(world: World, cwd: Path, args: list[str]) -> None:
    os.chdir(cwd)
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(TIMEOUT)
    try:
        result = CliRunner().invoke(cli, args, catch_exceptions=True)
    except _Hang:
        pytest.fail(f"hang (over {TIMEOUT} s): ozrelease {args!r}")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    shown = f"ozrelease {args!r} exited {result.exit_code}\n{result.output}"
    if isinstance(result.exception, _Hang):
        pytest.fail(f"hang (over {TIMEOUT} s): ozrelease {args!r}")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(shown) from result.exception
    assert "Traceback (most recent call last)" not in result.output, shown
    # The repository's commits and the bad manifests hold ESC, BEL, CR and bidi overrides:
    # none reaches the output raw (JSON and the exports, data for programs, keep a bidi
    # override as written when they do not go to a terminal; CliRunner's stdout is none).
    formats = [b for a, b in itertools.pairwise(args) if a == "--format"]
    data = bool(formats) and formats[-1] in DATA_FORMATS
    assert not any(c in result.output for c in "\x1b\x07\r" + ("" if data else "\u202e")), shown
    assert result.exit_code in CONTRACT_CODES, shown
    assert _is_device(str(world.dev)) or world.dev == world.fifo, f"{world.dev} replaced: {shown}"
    assert stat.S_ISFIFO(world.fifo.lstat().st_mode), f"the FIFO was replaced: {shown}"
    if result.exit_code == 2:
        # A refusal is short: one line per problem, each naming what is wrong.
        assert result.stderr.strip(), shown


pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and signals")


def test_command_lines_of_every_command(world: World) -> None:
    @settings(
        max_examples=examples(100),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(command_lines(world))
    def check(line: tuple[Path, list[str]]) -> None:
        run_one(world, *line)

    check()


@pytest.mark.slow
def test_many_command_lines_of_every_command(world: World) -> None:
    @settings(
        max_examples=examples(1500),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(command_lines(world))
    def check(line: tuple[Path, list[str]]) -> None:
        run_one(world, *line)

    check()
