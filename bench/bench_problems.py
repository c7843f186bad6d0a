"""Locate many problems in one mapping: 40,000 unknown keys in one API document (goal: a
few seconds; it took 234 s when every problem scanned its mapping for its key).

Prints the median of several runs of `check` on the file, which reports every key.

    python bench/bench_problems.py [--keys 40000] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from ozrelease.ecosystem import load as manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=40_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "wide.yaml"
        keys = "".join(f"k{i}: x\n" for i in range(args.keys))
        path.write_text("kind: API\nname: wide\n" + keys, encoding="utf-8")
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            _, problems = manifest.check(path)
            times.append(time.perf_counter() - start)
        assert len(problems) == args.keys, len(problems)
    print(f"{args.keys} problems in one mapping, located: {statistics.median(times):.2f} s median")


if __name__ == "__main__":
    main()
