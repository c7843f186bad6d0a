"""Plan a generated fleet: 2,000 components in 10 layers, 4 releases each, no release
skipping, consumers tolerating providers one release ahead (goal: under 1 second, time
growing close to linearly from 200 to 2,000 components).

Prints medians of several runs for 200 and 2,000 components and their ratio (10x the
components: a ratio near 10 is linear). Loading the manifests is timed apart.

    python bench/bench_plan.py [--runs 5] [--sizes 200 2000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ecosystems import layered

from ozrelease import planner
from ozrelease.ecosystem import load as manifest
from ozrelease.ecosystem.compat import Deployment
from ozrelease.planner.verify import verify_plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 2000])
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            folder = layered(Path(tmp) / f"fleet-{size}", size)
            load_times, plan_times = [], []
            for _ in range(args.runs):
                start = time.perf_counter()
                eco = manifest.load(folder)
                deployment = Deployment(eco, eco.environments["fleet"])
                loaded = time.perf_counter()
                result = planner.plan(deployment)
                done = time.perf_counter()
                load_times.append(loaded - start)
                plan_times.append(done - loaded)
            assert result.feasible and verify_plan(deployment, result).problems == ()
            results[size] = statistics.median(plan_times)
            print(
                f"{size:>5} components: plan {results[size]:.3f} s, load "
                f"{statistics.median(load_times):.3f} s (medians of {args.runs}); "
                f"{len(result.windows)} windows, {len(result.steps)} steps, verified"
            )
    if len(args.sizes) >= 2:
        small, large = args.sizes[0], args.sizes[-1]
        print(
            f"plan time ratio {large}/{small}: {results[large] / results[small]:.1f} "
            f"for {large / small:.0f}x the components (linear: {large / small:.0f})"
        )
        print(
            f"goal: plan of {large} components under 1 s: "
            f"{'met' if results[large] < 1 else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
