"""Benchmark `changelog generate --format json` against the `git log --name-status` floor and
git-cliff, on synthetic repositories built with `git fast-import`; prints figures and ratios.

    python bench/bench_changelog.py                    # 5,000, 50,000 and 200,000 commits
    python bench/bench_changelog.py --sizes 5000 --runs 5
    python bench/bench_changelog.py --repo ../open-zaak --from 1.29.0 --to 1.30.0

The synthetic history looks like Open Zaak's: gitmoji subjects with `[#N]` references, pull
requests merged with "Merge pull request #N from org/issue/N-..." every few commits, and
(`--shape open-zaak`, the default) as many files per commit, in as deep a tree, as Open Zaak's
own history (4.2 files per commit on average, 2 the median; 1,300 files in some 300
directories). `--shape light` changes one or two files per commit in a flat tree, which costs
git the least, so fixed costs (starting Python) weigh the most. The benchmark prints each
repository's figures; `--repo` measures a real one. git-cliff comes from PyPI into its own
virtual environment (default /tmp/bench-venv), never into the project's. No assertions: the
figures are for people.

A second baseline, "python+click, same log", starts a Python interpreter with click and
streams the very `git log` ozrelease runs, parsing nothing: the least any Python command line
could take for the range, so the remaining gap is ozrelease's own work.

Times are medians of --runs rounds; each round runs the baselines, ozrelease and git-cliff one
after the other (after one untimed warm-up round), so a busy machine slows all three alike
and the ratios compare runs made side by side. Peak memory is ozrelease's own (git runs in
a process of its own); after several sizes the growth per commit is printed. ozrelease runs
with its bytecode cached (under the work directory), as an installed package has it, unless
--no-bytecode-cache.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

GITMOJI = [
    ":sparkles:",
    ":bug:",
    ":memo:",
    ":arrow_up:",
    ":recycle:",
    ":white_check_mark:",
    ":lock:",
    ":art:",
    ":zap:",
    ":fire:",
    ":construction_worker:",
    ":wrench:",
]
WORDS = [
    "zaak",
    "besluit",
    "document",
    "notificatie",
    "catalogus",
    "autorisatie",
    "archief",
    "api",
    "form",
    "slug",
]
ENV = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"}


# Files changed per non-merge commit in Open Zaak's history (4,443 commits up to 1.21): how
# many commits changed 1, 2, ... 20 files, then those that changed more (68 on average).
OPEN_ZAAK_FILES = [1691, 791, 633, 357, 237, 164, 122, 85, 64, 47, 49, 27, 20, 23, 20, 16, 10]
OPEN_ZAAK_FILES += [3, 5, 5]
OPEN_ZAAK_MORE = (74, 68)
COMPONENTS = ["zaken", "documenten", "catalogi", "besluiten", "autorisaties", "notificaties"]
COMPONENTS += ["selectielijst", "accounts"]
LAYERS = ["api", "models", "admin", "tests", "migrations", "management/commands", "templates"]


def shape_of(shape: str, rng: random.Random) -> tuple[list[str], Callable[[], int]]:
    """(the files of the tree, how many files a commit changes) for a shape: `open-zaak`
    (Open Zaak's: 1,300 files in about 270 directories, 2 to 7 deep; 4.2 files per commit on
    average, 2 the median, a long tail) or `light` (3,040 paths in 80 directories, one or
    two files per commit: a cheap history for git, so fixed costs weigh the most)."""
    if shape == "light":
        files = [f"src/app/module_{i % 40}/file_{i}.py" for i in range(3000)]
        files += [f"src/app/module_{i}/tests/test_{i}.py" for i in range(40)]
        return files, lambda: rng.choice((1, 1, 2))
    files = []
    for component in COMPONENTS:
        for layer in LAYERS:
            for module in range(4):
                base = f"src/openzaak/components/{component}/{layer}/part_{module}"
                files += [f"{base}/{name}_{i}.py" for i, name in enumerate(WORDS[:6])]
    sizes = list(range(1, len(OPEN_ZAAK_FILES) + 1)) + [OPEN_ZAAK_MORE[1]]
    weights = OPEN_ZAAK_FILES + [OPEN_ZAAK_MORE[0]]
    return files, lambda: rng.choices(sizes, weights)[0]


def build(
    path: Path, commits: int, seed: int = 5, shape: str = "open-zaak", tags_every: int = 45
) -> float:
    """A repository of `commits` commits (about one in six a pull-request merge), with an
    annotated release tag on the main line after every `tags_every` commits (0: none)."""
    rng = random.Random(seed)
    if path.exists():
        shutil.rmtree(path)
    subprocess.run(["git", "init", "--quiet", "--initial-branch=main", str(path)], check=True)
    started = time.perf_counter()
    proc = subprocess.Popen(
        ["git", "fast-import", "--quiet"], cwd=path, stdin=subprocess.PIPE, env=ENV
    )
    assert proc.stdin is not None
    out = proc.stdin
    stamp = 1_600_000_000
    mark = 0
    main: int | None = None
    issue = 1000
    files, changed = shape_of(shape, rng)

    def commit(subject: str, parent: int | None, merge: int | None = None, body: str = "") -> int:
        nonlocal mark, stamp
        mark += 1
        stamp += 60
        message = (subject + ("\n\n" + body if body else "") + "\n").encode()
        lines = [
            b"commit refs/heads/main",
            f"mark :{mark}".encode(),
            f"author Dev <dev@example.com> {stamp} +0000".encode(),
            f"committer Dev <dev@example.com> {stamp} +0000".encode(),
            f"data {len(message)}".encode(),
            message,
        ]
        if parent is not None:
            lines.append(f"from :{parent}".encode())
        if merge is not None:
            lines.append(f"merge :{merge}".encode())
        else:
            for name in rng.sample(files, min(changed(), len(files))):
                content = f"# {mark} {rng.random()}\n".encode()
                lines.append(f"M 100644 inline {name}".encode())
                lines.append(f"data {len(content)}".encode())
                lines.append(content)
        out.write(b"\n".join(lines) + b"\n\n")
        return mark

    made = release = 0
    while made < commits:
        if main is not None and rng.random() < 0.75 and commits - made >= 4:
            issue += 1
            side = main
            for _ in range(rng.randint(1, 3)):
                side = commit(f"{rng.choice(GITMOJI)} [#{issue}] {_words(rng)}", side)
                made += 1
            title = f"{rng.choice(GITMOJI)} [#{issue}] {_words(rng)}"
            main = commit(
                f"Merge pull request #{issue + 5000} from org/issue/{issue}-x",
                main,
                side,
                body=title,
            )
        else:
            main = commit(f"{rng.choice(GITMOJI)} {_words(rng)}", main)
        made += 1
        if tags_every and made >= release * tags_every + tags_every:
            release += 1
            name = f"1.{release // 10}.{release % 10}"
            text = f"Release {name}\n".encode()
            out.write(
                f"tag {name}\nfrom :{main}\n".encode()
                + f"tagger Dev <dev@example.com> {stamp} +0000\ndata {len(text)}\n".encode()
                + text
                + b"\n"
            )
    out.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "reset", "--quiet", "--hard"], cwd=path, check=True, env=ENV)
    # What `git gc` (and so most real clones) keep: a commit-graph.
    subprocess.run(
        ["git", "commit-graph", "write", "--reachable"],
        cwd=path,
        check=True,
        env=ENV,
        capture_output=True,
    )
    return time.perf_counter() - started


def git_out(repo: Path, *args: str) -> str:
    """What `git ARGS` prints in `repo`."""
    done = subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=ENV
    )
    return done.stdout


def root_of(repo: Path, to: str) -> str:
    """The (oldest) root commit: without --from, ozrelease would start at the newest tag, so
    all three start after the root commit instead and read the same range."""
    return git_out(repo, "rev-list", "--max-parents=0", to).split()[-1]


def describe(repo: Path) -> str:
    """The tree and the files per commit, to compare with a real repository's."""

    files = len(git_out(repo, "ls-tree", "-r", "--name-only", "HEAD").splitlines())
    dirs = len(git_out(repo, "ls-tree", "-r", "-d", "--name-only", "HEAD").splitlines())
    changed = [
        len(chunk.split())
        for chunk in git_out(repo, "log", "--no-merges", "--format=%x1e", "--name-only").split(
            "\x1e"
        )
        if chunk.strip()
    ]
    merges = len(git_out(repo, "rev-list", "--merges", "HEAD").splitlines())
    tags = len(git_out(repo, "tag").splitlines())
    mean = sum(changed) / len(changed) if changed else 0.0
    return (
        f"{files:,} files in {dirs:,} directories; {mean:.1f} files per non-merge commit "
        f"(median {statistics.median(changed) if changed else 0:g}); {merges:,} merges; "
        f"{tags:,} tags"
    )


def _words(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 8))).capitalize()


def timed_once(
    command: list[str], cwd: Path, env: dict[str, str] = ENV, timeout: float | None = None
) -> float:
    started = time.perf_counter()
    subprocess.run(
        command,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
        env=env,
        timeout=timeout,
    )
    return time.perf_counter() - started


def timed(command: list[str], cwd: Path, runs: int, env: dict[str, str] = ENV) -> float:
    return statistics.median(timed_once(command, cwd, env) for _ in range(runs))


def interleaved(
    commands: dict[str, tuple[list[str], dict[str, str]]],
    cwd: Path,
    runs: int,
    timeout: float | None = None,
) -> dict[str, float | None]:
    """Median seconds of each command, run in turns (one untimed warm-up round first); None
    for a command that failed, inf for one stopped after `timeout` seconds (not run again)."""
    times: dict[str, list[float] | None] = {name: [] for name in commands}
    for round_ in range(runs + 1):
        for name, (command, env) in commands.items():
            found = times[name]
            if found is None or found == [math.inf]:
                continue
            try:
                seconds = timed_once(command, cwd, env, timeout)
            except subprocess.CalledProcessError:
                times[name] = None
                continue
            except subprocess.TimeoutExpired:
                times[name] = [math.inf]
                continue
            if round_:
                found.append(seconds)
    return {name: None if t is None else statistics.median(t) for name, t in times.items()}


# The process's own high-water mark: VmHWM belongs to the memory it has since exec, whereas
# ru_maxrss also keeps what the process was before exec, a copy of this (possibly large)
# benchmark process.
PEAK = (
    "import atexit, resource, sys\n"
    "def peak():\n"
    "    try:\n"
    "        with open('/proc/self/status') as status:\n"
    "            return int(next(l for l in status if l.startswith('VmHWM:')).split()[1])\n"
    "    except (OSError, StopIteration):\n"
    "        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "atexit.register(lambda: sys.stderr.write('PEAK %d\\n' % peak()))\n"
    "from ozrelease.cli import main\n"
    "sys.argv = ['ozrelease'] + sys.argv[1:]\n"
    "main()\n"
)


def peak_kib(args: list[str], cwd: Path, env: dict[str, str] = ENV) -> int:
    """Peak resident memory of the ozrelease process itself (git runs in its own process)."""
    done = subprocess.run(
        [sys.executable, "-c", PEAK, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
    )
    line = [x for x in done.stderr.splitlines() if x.startswith("PEAK ")][-1]
    return int(line.split()[1])


def git_cliff(venv: Path) -> Path | None:
    exe = venv / "bin" / "git-cliff"
    if exe.exists():
        return exe
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "git-cliff"], check=True)
    except subprocess.CalledProcessError:
        return None
    return exe if exe.exists() else None


# The least a Python command line can take for the same read: the interpreter, click, and
# the `git log` that ozrelease runs, streamed and thrown away (nothing parsed).
PYTHON_FLOOR = (
    "import subprocess, sys\n"
    "import click\n"
    "log = subprocess.Popen(['git', 'log', '-z', '--topo-order', '--no-color',\n"
    "    '--no-show-signature', '--encoding=UTF-8', '--format=%x1e%H%x00%P%x00%e%x00%B',\n"
    "    '--name-only', '-M', '--diff-merges=off', '--no-relative', *sys.argv[1:]],\n"
    "    stdout=subprocess.PIPE)\n"
    "while log.stdout.read1(1 << 20):\n"
    "    pass\n"
    "sys.exit(log.wait())\n"
)


def ozrelease() -> str:
    """The ozrelease installed beside the Python running the benchmark, else the one on PATH
    (which may be a shim, such as pyenv's: a shell script that adds its own start-up)."""
    beside = Path(sys.executable).parent / "ozrelease"
    return str(beside) if beside.exists() else (shutil.which("ozrelease") or "ozrelease")


def measure(
    repo: Path,
    since: str | None,
    to: str,
    runs: int,
    cliff: Path | None,
    env: dict[str, str] = ENV,
    timeout: float | None = None,
) -> tuple[int, int]:
    """Print the figures for one range; return (commits, ozrelease peak KiB)."""
    rev = [to] if since is None else [f"{since}..{to}"]
    count = int(git_out(repo, "rev-list", "--count", *rev).strip())
    ours_args = ["changelog", "generate", "--format", "json", "--to", to]
    if since is not None:
        ours_args += ["--from", since]
    commands = {
        "floor": (["git", "log", "--name-status", *rev], ENV),
        "python": ([interpreter(ozrelease()), "-c", PYTHON_FLOOR, *rev], env),
        "ours": ([ozrelease(), *ours_args], env),
    }
    if cliff is not None:
        cliff_args = [str(cliff), "--repository", str(repo), "--output", os.devnull]
        commands["cliff"] = (cliff_args + ([rev[0]] if since is not None else []), ENV)
    found = interleaved(commands, repo, runs, timeout)
    floor, ours, theirs = found["floor"], found["ours"], found.get("cliff")
    least = found["python"]
    assert floor is not None and ours is not None, "git log or ozrelease failed"
    peak = peak_kib(ours_args, repo, env)
    print(f"  commits in range          {count:>10,}")
    print(f"  git log --name-status     {floor:>10.2f} s")
    if least is not None:
        print(
            f"  python+click, same log    {least:>10.2f} s   {least / floor:5.2f}x the floor "
            "(started, read, nothing parsed)"
        )
    print(f"  ozrelease generate (json) {ours:>10.2f} s   {ours / floor:5.2f}x the git log floor")
    print(f"  ozrelease peak RSS        {peak / 1024:>10.1f} MiB")
    if cliff is not None:
        if theirs is None:
            print("  git-cliff                 failed")
        elif theirs == math.inf and timeout is not None:
            print(
                f"  git-cliff                 stopped after {timeout:.0f} s: over "
                f"{timeout / floor:.0f}x the floor, over {timeout / ours:.0f}x ozrelease"
            )
        else:
            print(
                f"  git-cliff                 {theirs:>10.2f} s   {theirs / floor:5.2f}x the "
                f"floor, {theirs / ours:5.2f}x ozrelease"
            )
    return count, peak


def interpreter(script: str) -> str:
    """The Python a console script runs with (its #! line), else this one."""
    try:
        with Path(script).open("rb") as text:
            first = text.readline().decode("utf-8", "replace")
    except OSError:
        return sys.executable
    command = first[2:].strip() if first.startswith("#!") else ""
    return command if "python" in command and Path(command).exists() else sys.executable


def startup(env: dict[str, str], runs: int) -> float:
    """Seconds for ozrelease to start and load the changelog command (its fixed cost)."""
    command = [ozrelease(), "changelog", "generate", "--help"]
    timed_once(command, Path.cwd(), env)
    return timed(command, Path.cwd(), runs, env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,50000,200000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--cliff-venv", type=Path, default=Path("/tmp/bench-venv"))
    parser.add_argument(
        "--timeout",
        type=float,
        default=300,
        metavar="SECONDS",
        help="stop a command that runs longer (git-cliff on a long tagged history) and "
        "report the bound instead",
    )
    parser.add_argument("--no-cliff", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="keep repositories already built")
    parser.add_argument(
        "--tags-every",
        type=int,
        default=45,
        metavar="N",
        help="an annotated release tag on the main line after every N commits, as often as "
        "Open Zaak has one (124 tags in 5,588 commits); 0 for none",
    )
    parser.add_argument(
        "--shape",
        choices=["open-zaak", "light"],
        default="open-zaak",
        help="open-zaak: files and directories per commit as in Open Zaak's history; light: "
        "one or two files per commit in a flat tree (git's cheapest case)",
    )
    parser.add_argument("--no-bytecode-cache", action="store_true")
    parser.add_argument("--repo", type=Path, default=None, help="a real repository instead")
    parser.add_argument("--from", dest="since", default=None)
    parser.add_argument("--to", default="HEAD")
    args = parser.parse_args()
    cliff = None if args.no_cliff else git_cliff(args.cliff_venv)
    if cliff is None and not args.no_cliff:
        print("git-cliff could not be installed; skipping it")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="ozrelease-bench-"))
    env = ENV
    if not args.no_bytecode_cache:
        env = {k: v for k, v in ENV.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    print(f"ozrelease: {ozrelease()} (Python: {interpreter(ozrelease())})")
    print(
        f"ozrelease startup (changelog generate --help): {startup(env, args.runs):.2f} s"
        f"{'' if args.no_bytecode_cache else ' (bytecode cached)'}"
    )
    if args.repo is not None:
        since = args.since or root_of(args.repo, args.to)
        print(f"{args.repo} {since}..{args.to}")
        measure(args.repo, since, args.to, args.runs, cliff, env, args.timeout)
        return
    curve = []
    for size in (int(s) for s in args.sizes.split(",")):
        path = workdir / f"synthetic-{args.shape}-{size}"
        reuse = args.reuse and (path / ".git").is_dir()
        seconds = 0.0 if reuse else build(path, size, shape=args.shape, tags_every=args.tags_every)
        print(
            f"synthetic repository ({args.shape}), {size:,} commits "
            f"(fast-import {seconds:.1f} s): {path}"
        )
        print(f"  {describe(path)}")
        since = root_of(path, "HEAD")
        curve.append(measure(path, since, "HEAD", args.runs, cliff, env, args.timeout))
    if len(curve) > 1:
        print("peak memory by commits (ozrelease process):")
        for count, peak in curve:
            print(f"  {count:>10,} commits  {peak / 1024:8.1f} MiB")
        (first, low), (last, high) = curve[0], curve[-1]
        if last > first:
            per = (high - low) * 1024 / (last - first)
            print(f"  growth: {per:.0f} bytes per commit ({first:,} -> {last:,} commits)")


if __name__ == "__main__":
    main()
