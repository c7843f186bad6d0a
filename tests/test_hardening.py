"""Hostile input, one test per class of attack: nothing hangs, crashes, runs or is clobbered.

Every input is built here: FIFOs, symbolic links, 5,000-digit numbers, nesting deeper than
Python's parsers go, file names with line breaks, commits whose messages hold terminal
control sequences. The commands run through the real CLI, against real git repositories.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from gitrepo import GitRepo
from hypothesis import given, settings
from hypothesis import strategies as st
from tests_support import examples

from ozrelease import inputs, terminal
from ozrelease.atomic import ChangedError, write_atomic
from ozrelease.cli import cli
from ozrelease.errors import InputError, Problem
from ozrelease.history import tag_name_problem

HUGE = "1" * 5000  # more digits than Python's int() and str() take (4,300)
CONTROLS = ["\x1b]0;owned\x07", "\x1b]52;c;ZWNobyBoaQ==\x07", "\x1b[2J", "\r", "\u202e", "\x9b"]


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def refused(result: Result, *needles: str) -> list[str]:
    """The command refused (exit 2) with short lines on stderr and no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert lines, result.output
    for needle in needles:
        assert needle in result.stderr, result.stderr
    return lines


@pytest.fixture
def no_hang() -> Iterator[None]:
    """Fail instead of hanging forever (a FIFO opened for reading waits for a writer)."""

    def alarm(signum: int, frame: object) -> None:
        raise TimeoutError("hung: a blocking read or write")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _small_manifests(root: Path, extra: str = "") -> Path:
    folder = root / "manifests"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "all.yaml").write_text(
        textwrap.dedent(
            """\
            kind: Component
            name: app
            releases:
              - version: 1.0.0
              - version: 2.0.0
            """
        )
        + extra
        + textwrap.dedent(
            """\
            ---
            kind: Environment
            name: e
            deployed: {app: 1.0.0}
            targets: {app: latest}
            """
        ),
        encoding="utf-8",
    )
    return folder


def _project(repo: GitRepo) -> None:
    repo.commit(
        "chore: start",
        {
            "CHANGELOG.md": "# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2024-01-01\n\n"
            "### Added\n\n- First\n",
            "pyproject.toml": '[project]\nname = "demo"\nversion = "1.0.0"\n',
        },
    )
    repo.tag("1.0.0", message="Release 1.0.0")


# -- files read whole: regular files only, bounded ----------------------------------------


def test_reading_refuses_fifos_directories_and_oversized_files(tmp_path: Path, no_hang) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="FIFO"):
        inputs.read_text(fifo)
    with pytest.raises(InputError, match="a directory"):
        inputs.read_text(tmp_path)
    big = tmp_path / "big"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(InputError, match="refused"):
        inputs.read_text(big, limit=1024)
    with pytest.raises(inputs.MissingInputError):
        inputs.read_text(tmp_path / "nothing")
    bad = tmp_path / "latin1"
    bad.write_bytes(b"ok\n\xe9\n")
    with pytest.raises(InputError) as caught:
        inputs.read_text(bad)
    assert caught.value.line == 2
    crlf = tmp_path / "crlf"
    crlf.write_bytes(b"a\r\nb\r\n")
    assert inputs.read_text(crlf) == "a\nb\n"
    assert inputs.read_text(crlf, newline="") == "a\r\nb\r\n"


@pytest.mark.skipif(
    not (Path("/dev/zero").exists() and stat.S_ISCHR(Path("/dev/zero").stat().st_mode)),
    reason="no /dev/zero device",
)
def test_a_character_device_is_refused_not_read_forever(no_hang) -> None:
    with pytest.raises(InputError, match="character device"):
        inputs.read_bytes(Path("/dev/zero"))
    # Only ever read here: a device is never a write target of the tests.
    refused(run("plan", "--verify", "/dev/zero"), "/dev/zero: a character device")
    refused(run("manifest", "import-publiccode", "/dev/zero"), "character device")


def test_commands_given_a_fifo_refuse_it_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_hang
) -> None:
    monkeypatch.chdir(tmp_path)
    fifo = tmp_path / "plan.json"
    os.mkfifo(fifo)
    refused(run("plan", "--verify", str(fifo)), "FIFO")
    refused(run("manifest", "import-publiccode", str(fifo)), "FIFO")
    manifests = tmp_path / "m.yaml"
    os.mkfifo(manifests)
    refused(run("--manifests", str(manifests), "validate"))


# -- nesting deeper than Python's parsers go ----------------------------------------------


def test_deeply_nested_plan_json_and_publiccode_are_input_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    deep = tmp_path / "plan.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    refused(run("plan", "--verify", str(deep)), "nested too deeply")
    yml = tmp_path / "publiccode.yml"
    yml.write_text("name: " + "[" * 50_000 + "]" * 50_000 + "\n", encoding="utf-8")
    refused(run("manifest", "import-publiccode", str(yml)))


@pytest.mark.parametrize("name", [".ozrelease.toml", "pyproject.toml"])
def test_deeply_nested_config_is_one_line(gitrepo: GitRepo, name: str) -> None:
    _project(gitrepo)
    text = "[tool.ozrelease]\n" if name == "pyproject.toml" else ""
    gitrepo.write({name: text + "x = " + "[" * 50_000 + "]" * 50_000 + "\n"})
    result = run("changelog", "generate", "--repo", str(gitrepo.path))
    (line,) = refused(result, "nested too deeply")
    assert line.startswith(str(gitrepo.path / name)), line


def test_deeply_nested_docs_conf_counts_as_unreadable(gitrepo: GitRepo) -> None:
    _project(gitrepo)
    conf = "extlinks = " + "(" * 300 + "1" + ")" * 300 + "\nx = " + "-" * 200_000 + "1\n"
    gitrepo.commit("docs: conf [#7]", {"docs/conf.py": conf})
    result = run("changelog", "generate", "--repo", str(gitrepo.path))
    assert result.exit_code == 0, result.output  # no roles from it; the rest works


# -- numbers of more than 4,300 digits -----------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        f"  - version: 3.{HUGE}\n",
        f'  - version: 3.0.0\n    upgradeFrom: ">=1.{HUGE}"\n',
        f"  - version: 3.0.0\n    reversible: {HUGE}\n",
        f"title: {HUGE}\n",
        f'  - version: 3.0.0\n    upgradeFrom: ">=1.{"9" * 70}"\n',
    ],
    ids=["version", "specifier", "reversible", "title", "70-digit specifier"],
)
def test_huge_numbers_in_manifests_are_problems_validate_and_plan_agree(
    tmp_path: Path, extra: str
) -> None:
    folder = _small_manifests(tmp_path)
    text = (folder / "all.yaml").read_text(encoding="utf-8")
    if extra.startswith("title"):
        text = text.replace("name: app\n", "name: app\n" + extra, 1)
    else:
        text = text.replace("  - version: 2.0.0\n", "  - version: 2.0.0\n" + extra, 1)
    (folder / "all.yaml").write_text(text, encoding="utf-8")
    validated = run("--manifests", str(folder), "validate")
    assert validated.exit_code == 1, validated.output
    assert "Traceback" not in validated.output
    problems = validated.stderr.splitlines()[:-1]
    assert problems and all(p.startswith(f"{folder / 'all.yaml'}:") for p in problems), problems
    planned = run("--manifests", str(folder), "plan", "--env", "e")
    assert planned.stderr.splitlines() == problems  # plan refuses exactly what validate found
    assert planned.exit_code == 2


def test_huge_numbers_in_a_saved_plan_and_in_toml(
    gitrepo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    saved = tmp_path / "plan.json"
    saved.write_text('{"format": "ozrelease-plan/1", "n": ' + HUGE + "}", encoding="utf-8")
    refused(run("plan", "--verify", str(saved)), str(saved))
    _project(gitrepo)
    gitrepo.write({".ozrelease.toml": f"[release]\nsupported-lines = {HUGE}\n"})
    refused(run("release", "backports", "--repo", str(gitrepo.path)), ".ozrelease.toml")


@given(digits=st.integers(1, 6000), where=st.sampled_from(["version", "spec"]))
@settings(max_examples=examples(25), deadline=None)
def test_any_number_of_digits_gives_a_version_or_a_value_error(digits: int, where: str) -> None:
    from ozrelease.versions import parse_range, parse_version

    number = "7" * digits
    try:
        if where == "version":
            version = parse_version(f"1.{number}")
            assert str(version) == f"1.{number}"
        else:
            spec = parse_range(f">=1.{number}")
            assert not spec.allows(parse_version("1.0"))
    except ValueError as exc:
        assert (digits > 64 and "digits" in str(exc)) or "characters long" in str(exc)


# -- paths no system call takes ------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "-o", ""],
        ["schema", "-o", "x" * 300],
        ["--manifests", "m" * 5000, "validate"],
        ["--manifests", "", "validate"],
        ["changelog", "generate", "--repo", "r" * 300],
        ["changelog", "check", "--repo", "/" + "d/" * 2100],
        ["plan", "--template", "t" * 300],
        ["plan", "--verify", "v" * 300],
        ["manifest", "import-publiccode", "p" * 300],
    ],
    ids=lambda a: " ".join(x[:12] for x in a),
)
def test_impossible_paths_are_bad_usage(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    lines = refused(run(*args))
    error = lines[-1]
    assert error.startswith("Error: Invalid value for"), lines
    assert len(error) < 250  # the path is shortened, not echoed 5,000 characters long


def test_an_impossible_env_path_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (line,) = refused(run("plan", "--env", "e" * 5000 + ".yaml"), "unknown environment")
    assert len(line) < 250


# -- ./templates/ overrides are named ------------------------------------------------------


def test_a_templates_folder_in_the_working_directory_is_named_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "plan.txt.j2").write_text("mine\n", encoding="utf-8")
    (tmp_path / "templates" / "plan.helm.sh.j2").write_text("rm -rf /tmp/x\n", encoding="utf-8")
    text = run("plan")
    assert (text.exit_code, text.stdout) == (0, "mine\n")
    assert text.stderr.startswith("note: using templates/plan.txt.j2 ")
    helm = run("plan", "--format", "helm")
    assert helm.exit_code == 0
    # never taken for an executable export unless given with --template, and said so
    assert helm.stderr.startswith("warning: ignoring templates/plan.helm.sh.j2 for the helm ")
    assert "rm -rf /tmp/x" not in helm.stdout and helm.stdout.startswith("#!")
    plain = run("plan", "--format", "markdown")  # no override for this one: nothing said
    assert plain.exit_code == 0 and plain.stderr == ""


# -- writes --------------------------------------------------------------------------------


def test_output_onto_a_fifo_writes_into_it_and_never_replaces_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_hang
) -> None:
    monkeypatch.chdir(tmp_path)
    fifo = tmp_path / "out"
    os.mkfifo(fifo)
    refused(run("schema", "-o", str(fifo)), "nobody reads")  # no reader: refused at once
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    received: list[bytes] = []

    def read() -> None:
        with fifo.open("rb") as handle:  # blocks until a writer comes
            received.append(handle.read())

    reader = threading.Thread(target=read)
    reader.start()
    for _ in range(200):  # until the reader is waiting in open() (a writer then finds it)
        result = run("schema", "-o", str(fifo))
        if result.exit_code != 2:
            break
        time.sleep(0.02)
    reader.join()
    assert result.exit_code == 0, result.output
    assert json.loads(received[0])["title"]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # still the FIFO, not a regular file
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary file left


def test_output_through_a_symlink_updates_the_real_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    real = tmp_path / "real" / "plan.txt"
    real.parent.mkdir()
    real.write_text("old\n", encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "plan.txt"
    link.symlink_to(real)
    result = run("plan", "-o", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and link.resolve() == real
    assert real.read_text(encoding="utf-8").startswith("Upgrade plan")
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    dangling = tmp_path / "new.txt"
    dangling.symlink_to(tmp_path / "real" / "created.txt")
    assert run("schema", "-o", str(dangling)).exit_code == 0
    assert dangling.is_symlink() and (tmp_path / "real" / "created.txt").is_file()


def test_a_directory_as_output_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="a directory"):
        write_atomic(tmp_path, "x")


def test_a_write_that_finds_the_file_changed_since_it_was_read_is_refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "CHANGELOG.md"
    path.write_text("a\n", encoding="utf-8")
    seen = path.read_text(encoding="utf-8")
    path.write_text("a\nb\n", encoding="utf-8")  # another run, meanwhile
    with pytest.raises(ChangedError):
        write_atomic(path, seen + "mine\n", expect=seen)
    assert path.read_text(encoding="utf-8") == "a\nb\n"
    write_atomic(path, "fresh\n", expect="a\nb\n")
    with pytest.raises(ChangedError):
        write_atomic(tmp_path / "new.md", "x", expect="it existed")
    write_atomic(tmp_path / "new.md", "x", expect=None)


def test_concurrent_read_modify_write_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "log.txt"
    path.write_text("", encoding="utf-8")

    def add(line: str) -> None:
        while True:
            seen = path.read_text(encoding="utf-8")
            try:
                write_atomic(path, seen + line + "\n", expect=seen)
                return
            except ChangedError:
                continue  # the loser is told, and tries again on what is there now

    threads = [threading.Thread(target=add, args=(f"line {i}",)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(path.read_text(encoding="utf-8").splitlines()) == sorted(
        f"line {i}" for i in range(16)
    )


_KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
from ozrelease import atomic
os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)   # kill -9 between write and rename
atomic.write_atomic(Path(sys.argv[1]), "half\\n" * 1000)
"""


def test_a_temporary_file_of_a_writer_killed_mid_write_is_cleaned_up(tmp_path: Path) -> None:
    target = tmp_path / "CHANGELOG.md"
    target.write_text("mine\n", encoding="utf-8")
    for _ in range(3):  # each killed writer's file is removed by the next writer
        child = subprocess.run([sys.executable, "-c", _KILLED_WRITER, str(target)], check=False)
        assert child.returncode == -signal.SIGKILL
        (left,) = (p.name for p in tmp_path.iterdir() if p.name != "CHANGELOG.md")
        assert left.startswith(".CHANGELOG.md.ozr-")
        assert target.read_text(encoding="utf-8") == "mine\n"  # never half-written
    unrelated = tmp_path / ".CHANGELOG.md.swp"
    unrelated.write_text("an editor's", encoding="utf-8")
    legacy = tmp_path / ".CHANGELOG.md.k3j_x9aq.tmp"  # what earlier versions left
    legacy.write_text("half", encoding="utf-8")
    recent = tmp_path / ".CHANGELOG.md.p0q1r2s3.tmp"  # could be another tool's, in use
    recent.write_text("half", encoding="utf-8")
    day_old = legacy.stat().st_mtime - 2 * 24 * 3600
    os.utime(legacy, (day_old, day_old))
    write_atomic(target, "new\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".CHANGELOG.md.p0q1r2s3.tmp",
        ".CHANGELOG.md.swp",
        "CHANGELOG.md",
    ]


@pytest.mark.slow
def test_two_concurrent_changelog_writes_never_lose_a_section(gitrepo: GitRepo) -> None:
    _project(gitrepo)
    gitrepo.commit(":sparkles: [#2] Add y", {"y.txt": "1\n"})
    exe = Path(sys.executable).parent / "ozrelease"
    for round_ in range(6):
        versions = [f"{round_ + 2}.0.{i}" for i in range(2)]
        procs = [
            subprocess.Popen(
                [str(exe), "changelog", "generate", "--repo", str(gitrepo.path), "--write"]
                + ["--version", v],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for v in versions
        ]
        outcomes = [(p.wait(), p.communicate()[1]) for p in procs]
        text = (gitrepo.path / "CHANGELOG.md").read_text(encoding="utf-8")
        for version, (code, err) in zip(versions, outcomes, strict=True):
            if code == 0:
                assert f"[{version}]" in text, (version, text)  # "wrote" means it is there
            else:
                assert code == 2 and "changed since ozrelease read it" in err, err


# -- git: names that would become flags ----------------------------------------------------


def test_a_tag_format_that_would_be_a_git_flag_is_refused(gitrepo: GitRepo) -> None:
    _project(gitrepo)
    gitrepo.commit(
        "feat: more", {".ozrelease.toml": '[release]\ntag-format = "--message={version}"\n'}
    )
    before = gitrepo.head()
    result = run("release", "prepare", "--repo", str(gitrepo.path), "--yes")
    (line,) = refused(result, "cannot start with '-'")
    assert line.startswith(str(gitrepo.path / ".ozrelease.toml"))
    assert gitrepo.head() == before and gitrepo.git("tag") == "1.0.0"


@pytest.mark.parametrize(
    "name", ["-x", "--message=1", "a..b", "a b", "a~1", "a^", "a:b", "x.lock", "a/.b", "1.0."]
)
def test_tag_names_git_refuses_are_refused_first(name: str) -> None:
    assert tag_name_problem(name) is not None
    checked = subprocess.run(
        ["git", "check-ref-format", f"refs/tags/{name}"], capture_output=True, check=False
    )
    assert checked.returncode != 0 or name.startswith("-")  # `git tag` refuses a leading -


@given(st.text(max_size=12))
@settings(max_examples=examples(60), deadline=None)
def test_tag_name_rules_agree_with_git(name: str) -> None:
    if "\x00" in name:
        return
    ours = tag_name_problem(name) is None
    theirs = (
        subprocess.run(
            ["git", "check-ref-format", f"refs/tags/{name}"], capture_output=True, check=False
        ).returncode
        == 0
        and not name.startswith("-")  # `git tag` refuses these itself
        and name != "@"  # git takes it, and reads `@` as HEAD ever after; we refuse it
    )
    assert ours == theirs, name


# -- one line per error --------------------------------------------------------------------


def test_file_names_and_values_with_line_breaks_stay_on_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "evil\nname.yaml").write_text(
        'kind: Component\nname: "bad\\nname\\r\\u2028x"\nreleases: []\n', encoding="utf-8"
    )
    result = run("--manifests", str(folder), "validate")
    assert result.exit_code == 1
    problems = result.stderr.splitlines()[:-1]
    assert problems and all("evil\\nname.yaml" in p for p in problems), problems
    assert str(Problem("a\nb", 3, "x\ny\rz")) == "a\\nb:3: x\\ny\\u000dz"


# -- terminal control sequences ------------------------------------------------------------


def _inert(text: str) -> None:
    for sequence in CONTROLS:
        assert sequence not in text, repr(text)
    assert not any(ch in text for ch in "\x1b\x07\r\u202e\x9b"), repr(text)


def test_commit_messages_reach_text_output_inert(gitrepo: GitRepo) -> None:
    _project(gitrepo)
    gitrepo.branch("stable/1.0.x", "1.0.0")
    for i, sequence in enumerate(CONTROLS):
        gitrepo.commit(f"fix: crash {sequence}here [#{10 + i}]", {f"f{i}.txt": "1\n"})
    repo = str(gitrepo.path)
    generated = run("changelog", "generate", "--repo", repo)
    assert generated.exit_code == 0, generated.output
    _inert(generated.stdout)
    assert "Crash \\u001b\\]0;owned\\u0007here" in generated.stdout  # shown, not acted on
    checked = run("changelog", "check", "--repo", repo)
    assert checked.exit_code == 1, checked.output
    _inert(checked.output)
    github = run("changelog", "check", "--repo", repo, "--format", "github")
    _inert(github.output)
    backports = run("release", "backports", "--repo", repo, "--lines", "1.0")
    assert backports.exit_code == 0, backports.output
    _inert(backports.output)
    as_json = run("changelog", "generate", "--repo", repo, "--format", "json")
    texts = [e["text"] for s in json.loads(as_json.stdout)["sections"] for e in s["entries"]]
    assert any("\x1b]0;owned\x07" in t for t in texts)  # data stays data in JSON


def test_manifest_notes_reach_the_plan_inert(tmp_path: Path) -> None:
    folder = _small_manifests(
        tmp_path, '    notes: "see \\e]52;c;ZWNobyBoaQ==\\a \\e[2J \\u202eevil\\r done"\n'
    )
    for fmt in ("text", "markdown", "html"):
        result = run("--manifests", str(folder), "plan", "--env", "e", "--format", fmt)
        assert result.exit_code == 0, result.output
        _inert(result.stdout)
        assert "\\u001b" in result.stdout and "ZWNobyBoaQ==" in result.stdout
    as_json = run("--manifests", str(folder), "plan", "--env", "e", "--format", "json")
    notes = json.loads(as_json.stdout)["windows"][0]["steps"][0]["notes"]
    assert "\x1b[2J" in notes[0]  # a program reading JSON gets the value as written


@given(st.text())
@settings(max_examples=examples(200), deadline=None)
def test_inert_leaves_no_control_character_and_changes_nothing_else(text: str) -> None:
    out = terminal.inert(text)
    assert not any(
        (ord(c) < 0x20 and c not in "\t\n")
        or 0x7F <= ord(c) < 0xA0
        or c in "\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e"
        or 0x2066 <= ord(c) <= 0x2069
        for c in out
    )
    assert terminal.inert(out) == out
    if out == text:
        assert terminal.inert(text) is text
    as_json = json.dumps(text, ensure_ascii=False)
    assert json.loads(terminal.inert(as_json)) == text  # JSON stays the same JSON
    assert "\n" not in terminal.one_line(text)


def test_json_on_a_terminal_is_inert_and_still_the_same_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ozrelease.cli import options

    folder = _small_manifests(tmp_path, '    notes: "x \\e[2J \\u202e y"\n')
    monkeypatch.setattr(options, "_on_terminal", lambda: True)
    result = run("--manifests", str(folder), "plan", "--env", "e", "--format", "json")
    _inert(result.stdout)
    notes = json.loads(result.stdout)["windows"][0]["steps"][0]["notes"]
    assert notes == ["x \x1b[2J \u202e y"]


_VERSIONISH = st.text(alphabet="0123456789.vV*=<>!~, +-_abcrdevpostlocal", max_size=40)


@given(text=_VERSIONISH, digits=st.integers(0, 80))
@settings(max_examples=examples(300), deadline=None)
def test_versions_and_specifiers_parse_or_refuse_and_never_crash_later(
    text: str, digits: int
) -> None:
    """What versions.py accepts, every later use takes: comparison, printing, `allows`."""
    from ozrelease.versions import parse_range, parse_version

    probes = [parse_version(v) for v in ("0", "1.0", "2.0rc1", "1.0.post1+local", "9" * 60)]
    text = text.replace("9", "9" * digits, 1)
    try:
        version = parse_version(text)
    except ValueError:
        pass
    else:
        assert str(version) and version == parse_version(str(version))
        assert all((version < p) in (True, False) for p in probes)
        probes.append(version)
    try:
        spec = parse_range(text)
    except ValueError:
        return
    for probe in probes:
        assert spec.allows(probe) in (True, False)
    assert str(spec)


def test_output_to_a_link_to_the_standard_output_pipe_writes_into_the_pipe(
    tmp_path: Path,
) -> None:
    from tests_support import installed_ozrelease

    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")  # what /dev/stdout is; a link of our own, in tmp
    if not Path("/proc/self/fd/1").exists():
        pytest.skip("no /proc")
    done = subprocess.run(
        [installed_ozrelease(), "schema", "-o", str(link)], capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["title"]
    assert link.is_symlink() and str(link.readlink()) == "/proc/self/fd/1"
    assert [p.name for p in tmp_path.iterdir()] == ["stdout"]


def test_changelog_write_through_a_symlinked_changelog(gitrepo: GitRepo) -> None:
    _project(gitrepo)
    real = gitrepo.path / "docs" / "CHANGES.md"
    real.parent.mkdir()
    (gitrepo.path / "CHANGELOG.md").rename(real)
    (gitrepo.path / "CHANGELOG.md").symlink_to(Path("docs") / "CHANGES.md")
    gitrepo.git("add", "-A")
    gitrepo.commit(":sparkles: [#2] Add y", {"y.txt": "1\n"})
    # (the changelog has an Unreleased section already: --replace says to overwrite it)
    result = run("changelog", "generate", "--repo", str(gitrepo.path), "--write", "--replace")
    assert result.exit_code == 0, result.output
    assert (gitrepo.path / "CHANGELOG.md").is_symlink()
    assert "Add y" in real.read_text(encoding="utf-8")


def test_a_writer_waits_for_the_folder_lock_but_not_forever(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fcntl

    from ozrelease import atomic

    monkeypatch.setattr(atomic, "LOCK_WAIT", 0.2)
    fd = os.open(tmp_path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another process, stuck mid-write
    try:
        with pytest.raises(InputError, match="held the lock"):
            write_atomic(tmp_path / "x.md", "x")
    finally:
        os.close(fd)
    write_atomic(tmp_path / "x.md", "x")
    assert (tmp_path / "x.md").read_text(encoding="utf-8") == "x"


def test_a_saved_plan_with_control_characters_is_reported_on_one_line_inert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("plan", "--format", "json", "-o", "plan.json").exit_code == 0
    data = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    data["windows"][0]["steps"][0]["component"] = "evil\x1b]0;x\x07\r\nsecond line"
    (tmp_path / "plan.json").write_text(json.dumps(data), encoding="utf-8")
    result = run("plan", "--verify", "plan.json")
    assert result.exit_code == 1, result.output
    _inert(result.stderr)
    assert all(line.startswith("plan.json: ") for line in result.stderr.splitlines())


def test_a_target_with_a_long_valid_name_is_written_and_its_stale_files_cleaned(
    tmp_path: Path,
) -> None:
    """A file name of 250 bytes is one the system takes: -o writes it (its temporary file
    is cut short to fit), and a killed writer's temporary file for it is cleaned up."""
    name = "é" * 100 + "p" * 50  # 250 bytes in UTF-8
    target = tmp_path / name
    result = run("schema", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").startswith("{")
    assert [p.name for p in tmp_path.iterdir()] == [name]
    child = subprocess.run([sys.executable, "-c", _KILLED_WRITER, str(target)], check=False)
    assert child.returncode == -signal.SIGKILL
    (left,) = (p.name for p in tmp_path.iterdir() if p.name != name)
    assert len(os.fsencode(left)) <= 255 and ".ozr-" in left
    (tmp_path / ("." + name[:20] + ".ozr-1-abc.tmp")).write_text("not for this file")
    write_atomic(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [name, "." + name[:20] + ".ozr-1-abc.tmp"]
    )


EDITABLE = """\
kind: Component
name: app
releases:
  - version: "1.0.0"
  - version: "1.1.0"
    notes: ["Migrations take a minute."]
  - version: "2.0.0"
    reversible: false
    notes: ["One way: no rollback."]
---
kind: Environment
name: e
deployed: {app: 1.0.0}
targets: {app: 2.0.0}
"""


@pytest.mark.parametrize(
    ("field", "value"),
    [("reversible", True), ("notes", []), ("notes", ["Migrations take a minute."])],
)
def test_verify_refuses_a_plan_whose_reversibility_or_notes_were_edited(
    tmp_path: Path, field: str, value: object
) -> None:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "all.yaml").write_text(EDITABLE, encoding="utf-8")
    saved = tmp_path / "plan.json"
    base = ("--manifests", str(manifests), "plan", "--env", "e")
    assert run(*base, "--format", "json", "-o", str(saved)).exit_code == 0
    assert run(*base, "--verify", str(saved)).exit_code == 0  # as saved: verified
    data = json.loads(saved.read_text(encoding="utf-8"))
    (step,) = data["windows"][0]["steps"]
    assert step["reversible"] is False
    assert step["notes"] == ["1.1.0: Migrations take a minute.", "One way: no rollback."]
    step[field] = value
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(data), encoding="utf-8")
    result = run(*base, "--verify", str(edited))
    assert result.exit_code == 1, result.output
    assert "stale plan: window 1, step 1 (app)" in result.stderr
    assert "refusing a stale plan" in result.stderr


def test_verify_refuses_a_plan_when_the_manifests_changed_a_note_since(tmp_path: Path) -> None:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "all.yaml").write_text(EDITABLE, encoding="utf-8")
    saved = tmp_path / "plan.json"
    base = ("--manifests", str(manifests), "plan", "--env", "e")
    assert run(*base, "--format", "json", "-o", str(saved)).exit_code == 0
    (manifests / "all.yaml").write_text(
        EDITABLE.replace("reversible: false\n", "reversible: true\n"), encoding="utf-8"
    )
    result = run(*base, "--verify", str(saved))
    assert result.exit_code == 1
    assert "the manifests now say reversible: true (the plan says false)" in result.stderr
