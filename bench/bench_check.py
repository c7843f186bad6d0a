"""Benchmark `ozrelease changelog check` on Open Zaak's release ranges; prints wall time
(median of --runs) and peak memory per range, and the long range first..last.

    git clone /work/.mirror/open-zaak+open-zaak/repo /work/fetch/open-zaak   # (the fetch tool)
    git -C /work/fetch/open-zaak checkout 1.26.0
    python bench/bench_check.py --repo /work/fetch/open-zaak
    python bench/bench_check.py --repo ../open-zaak --first 1.20.0 --last 1.26.0 --runs 5

Every range is `--from` one final release tag `--to` the next (by version, on the release's
own line: the newest final tag reachable from it), as a release manager runs the check at
release time, with `--changelog CHANGELOG.rst --format json` (no terminal: no progress output)
against the work tree's changelog. The long range is `--from FIRST --to LAST`. Each figure is
the median of --runs runs after one untimed warm-up; peak memory is the child's maximum
resident set (`wait4`). No assertions: the figures are for people (docs/changelog-check.md).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

_FINAL = re.compile(r"^\d+\.\d+\.\d+$")


def _version(tag: str) -> tuple[int, ...]:
    return tuple(int(p) for p in tag.split("."))


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def release_ranges(repo: Path, first: str, last: str) -> list[tuple[str, str, int]]:
    """(from, to, commits) for every final release in (first, last], from the newest final
    tag reachable from it."""
    tags = [t for t in _git(repo, "tag").split() if _FINAL.match(t)]
    wanted = sorted(
        (t for t in tags if _version(first) < _version(t) <= _version(last)), key=_version
    )
    out = []
    for tag in wanted:
        reachable = _git(repo, "tag", "--merged", tag).split()
        older = [t for t in reachable if _FINAL.match(t) and _version(t) < _version(tag)]
        if not older:
            continue
        since = max(older, key=_version)
        count = int(_git(repo, "rev-list", "--count", f"{since}..{tag}").strip())
        out.append((since, tag, count))
    return out


# Children run as an installed package does, with its bytecode cached (the warm-up writes
# it): an environment that sets PYTHONDONTWRITEBYTECODE would have every run compile
# ozrelease's modules anew, a quarter of a second here.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_once(command: list[str], cwd: Path) -> tuple[float, int, int]:
    """(wall seconds, peak RSS in KB, exit code) of one run."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.stderr is not None:
        process.stderr.close()
    return wall, usage.ru_maxrss, process.returncode


def measure(command: list[str], cwd: Path, runs: int) -> tuple[float, int, int]:
    run_once(command, cwd)  # warm-up: git's and the OS's caches, Python's bytecode
    results = [run_once(command, cwd) for _ in range(runs)]
    return (
        statistics.median(r[0] for r in results),
        max(r[1] for r in results),
        results[-1][2],
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, required=True, help="an Open Zaak clone")
    parser.add_argument("--first", default="1.8.0")
    parser.add_argument("--last", default="1.26.0")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-long", action="store_true", help="skip the long range")
    args = parser.parse_args()
    exe = shutil.which("ozrelease") or sys.exit("ozrelease is not installed in this environment")
    repo = args.repo.resolve()
    base = [exe, "changelog", "check", "--changelog", "CHANGELOG.rst", "--format", "json"]
    print(f"{'range':<18} {'commits':>7} {'wall s':>7} {'peak MB':>8} exit")
    walls = []
    for since, tag, count in release_ranges(repo, args.first, args.last):
        wall, peak, code = measure([*base, "--from", since, "--to", tag], repo, args.runs)
        walls.append(wall)
        print(f"{since + '..' + tag:<18} {count:>7} {wall:>7.2f} {peak / 1024:>8.0f} {code}")
    if walls:
        print(
            f"{len(walls)} release ranges: median {statistics.median(walls):.2f} s, "
            f"slowest {max(walls):.2f} s"
        )
    if not args.no_long:
        count = int(_git(repo, "rev-list", "--count", f"{args.first}..{args.last}").strip())
        command = [*base, "--from", args.first, "--to", args.last]
        wall, peak, code = measure(command, repo, max(1, args.runs // 2))
        print(
            f"long range {args.first}..{args.last}: {count} commits, {wall:.2f} s, "
            f"{peak / 1024:.0f} MB peak, exit {code}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
