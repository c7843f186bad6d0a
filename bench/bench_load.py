"""Load and validate 2,000 components with 20 releases each (goal: under a second).

Prints the median of several runs, and the same-run baselines: yaml-rs alone parsing the
same files (the floor for any loader built on it) and PyYAML's C loader (what a plain
PyYAML-based loader would cost).

    python bench/bench_load.py [--components 2000] [--releases 20] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml
import yaml_rs

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ecosystems import wide

from ozrelease.ecosystem import load as manifest


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", type=int, default=2000)
    parser.add_argument("--releases", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for rich in (False, True):
        measure(args, rich)


def measure(args: argparse.Namespace, rich: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = wide(Path(tmp) / "manifests", args.components, args.releases, rich=rich)
        files = sorted(folder.glob("*.yaml"))
        size = sum(f.stat().st_size for f in files)

        def load() -> None:
            eco = manifest.load(folder)
            assert len(eco.components) == args.components + 1

        def floor() -> None:
            for f in files:
                yaml_rs.loads(f.read_text(encoding="utf-8"))

        def pyyaml() -> None:
            for f in files:
                list(yaml.load_all(f.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))

        load()  # warm caches of the interpreter, not of ozrelease: every run reads afresh
        ours = median_time(load, args.runs)
        base = median_time(floor, args.runs)
        slow = median_time(pyyaml, max(1, args.runs // 2))
    releases = args.components * args.releases
    shape = (
        "rich: version, date, provides, consumes, requires; every 5th also upgradeFrom and notes"
        if rich
        else "lean: version, date, provides, consumes"
    )
    print(
        f"\nmanifests: {args.components} components x {args.releases} releases "
        f"({releases} releases, {size / 1e6:.1f} MB in {len(files)} files; {shape})"
    )
    print(f"ozrelease load+validate: {ours:.3f} s (median of {args.runs}; goal < 1 s)")
    print(f"yaml-rs parse alone:     {base:.3f} s  -> ozrelease/parse = {ours / base:.2f}x")
    print(f"PyYAML CSafeLoader:      {slow:.3f} s  -> PyYAML/ozrelease = {slow / ours:.1f}x")


if __name__ == "__main__":
    main()
