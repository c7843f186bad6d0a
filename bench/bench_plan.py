"""The planner's speed goals, with figures and optimality status (docs/planner.md):

- the bundled example: under 0.3 s;
- a uniform fleet of 2,000 components (10 layers, 4 releases each, no release skipped,
  consumers tolerating providers one release ahead): under 1 s, close to linear from 200;
- layered ecosystems with mixed upgrade paths (strict, skip-one, free, one enforced stop),
  4-8 releases each and API tolerances of one to three generations, of 20, 50, 200 and
  1,000 components: every one answered (a verified plan, or a proof that none exists),
  under 30 s at 200 and under 2 minutes at 1,000;
- one component with thousands of releases (2,000, 4,000, 10,000): near-linear.

Every plan is checked by the planner's own verifier. `--compare` also runs each engine
alone on the mixed ecosystems (the bitmask search with its own limit, CP-SAT), which is
how the split between them was chosen. The machine's load average is printed before and
after: the figures are wall-clock times on whatever else runs there.

    python bench/bench_plan.py                       # everything but 1,000 mixed
    python bench/bench_plan.py --mixed 20 50 200 1000 --seeds 0 1 2
    python bench/bench_plan.py --only mixed --mixed 20 50 --compare
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ecosystems import layered, many_releases, mixed

from ozrelease import planner
from ozrelease.ecosystem import load as manifest
from ozrelease.ecosystem.compat import Deployment
from ozrelease.errors import OzReleaseError
from ozrelease.planner.verify import verify_plan
from ozrelease.resources import bundled_manifests

SECTIONS = ("bundled", "fleet", "mixed", "releases")


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def timed_plan(folder: Path, env: str, runs: int, **options: object) -> tuple[float, object, str]:
    """The median planning time of `runs`, the last plan, and its status line."""
    times = []
    status = ""
    for _ in range(runs):
        eco = manifest.load(folder)
        deployment = Deployment(eco, eco.environments[env])
        start = time.perf_counter()
        try:
            result = planner.plan(deployment, **options)  # type: ignore[arg-type]
        except OzReleaseError as exc:
            times.append(time.perf_counter() - start)
            return statistics.median(times), None, f"NOT ANSWERED: {exc}"
        times.append(time.perf_counter() - start)
    if result.feasible:
        problems = verify_plan(deployment, result).problems
        status = (
            f"{len(result.windows)} windows, {len(result.steps)} steps, "
            f"{'optimal' if result.optimal else 'NOT proven optimal'}, "
            f"{'verified' if not problems else f'VERIFIER REFUSES: {problems[:2]}'}"
        )
        for warning in result.warnings:
            if warning.message.startswith("not proven optimal"):
                status += f" ({warning.message.split('; it is safe and verified, ')[-1]})"
    else:
        status = f"no safe plan (proven): {result.problems[0].message[:120]}"
    return statistics.median(times), result, status


def bundled(runs: int) -> None:
    folder = bundled_manifests()
    eco = manifest.load(folder)
    env = next(iter(eco.environments))
    seconds, _, status = timed_plan(folder, env, runs)
    print(f"bundled example: plan {seconds:.3f} s (median of {runs}); {status}")
    print(f"  goal under 0.3 s: {'met' if seconds < 0.3 else 'NOT met'}")
    # ortools stays out of a plan the bitmask search answers.
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from ozrelease import planner; from ozrelease.ecosystem import load; "
            "from ozrelease.ecosystem.compat import Deployment; "
            "from ozrelease.resources import bundled_manifests; "
            "eco = load.load(bundled_manifests()); "
            "planner.plan(Deployment(eco, next(iter(eco.environments.values())))); "
            "print('ortools' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    print(f"  ortools imported for it: {probe.stdout.strip()}")


def fleet(runs: int, sizes: list[int], tmp: Path) -> None:
    results = {}
    for size in sizes:
        folder = layered(tmp / f"fleet-{size}", size)
        seconds, _, status = timed_plan(folder, "fleet", runs)
        results[size] = seconds
        print(f"uniform fleet {size:>5}: plan {seconds:.3f} s (median of {runs}); {status}")
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        print(
            f"  ratio {large}/{small}: {results[large] / results[small]:.1f} for "
            f"{large / small:.0f}x the components; goal {large} under 1 s: "
            f"{'met' if results[large] < 1 else 'NOT met'}"
        )


GOALS = {200: 30.0, 1000: 120.0}


def mixed_section(sizes: list[int], seeds: list[int], compare: bool, tmp: Path) -> None:
    for size in sizes:
        for seed in seeds:
            folder = mixed(tmp / f"mixed-{size}-{seed}", size, seed=seed)
            seconds, _, status = timed_plan(folder, "mixed", 1)
            goal = GOALS.get(size)
            verdict = (
                ""
                if goal is None
                else f"; goal {goal:g} s: {'met' if seconds < goal else 'NOT met'}"
            )
            print(f"mixed {size:>4} seed {seed}: plan {seconds:.2f} s; {status}{verdict}")
            if compare:
                for engine in ("search", "cp-sat"):
                    seconds, _, status = timed_plan(folder, "mixed", 1, engine=engine)
                    print(f"    {engine:>6} alone: {seconds:.2f} s; {status}")


def releases_section(counts: list[int], tmp: Path) -> None:
    for count in counts:
        folder = many_releases(tmp / f"releases-{count}", count)
        # In a child process, so that its peak memory is its own (Linux).
        code = (
            "import pathlib, time; from ozrelease import planner; "
            "from ozrelease.ecosystem import load; from ozrelease.ecosystem.compat import "
            "Deployment; from ozrelease.ecosystem.graph import stop_path; "
            f"eco = load.load(pathlib.Path({str(folder)!r})); "
            "d = Deployment(eco, eco.environments['many']); "
            "t = time.perf_counter(); r = planner.plan(d); p = time.perf_counter() - t; "
            "c = eco.components['big']; t = time.perf_counter(); "
            "stop_path(c, c.releases[0].version, c.releases[-1].version); "
            "s = time.perf_counter() - t; "
            # VmHWM: this process's peak (ru_maxrss would carry the parent's over exec)
            "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')]; "
            "print(f'{p:.2f} {s:.2f} {len(r.steps)} {int(hwm[0].split()[1]) // 1024}')"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()
        print(
            f"one component, {count:>6} releases: plan {out[0]} s, stop_path {out[1]} s, "
            f"{out[2]} step(s), peak memory {out[3]} MB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per median (bundled, fleet)")
    parser.add_argument("--only", choices=SECTIONS, nargs="+", default=list(SECTIONS))
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 2000], help="fleet sizes")
    parser.add_argument("--mixed", type=int, nargs="+", default=[20, 50, 200])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--releases", type=int, nargs="+", default=[2000, 4000, 10000])
    parser.add_argument("--compare", action="store_true", help="also each engine alone")
    args = parser.parse_args()
    print(f"before: {load_average()}")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        if "bundled" in args.only:
            bundled(args.runs)
        if "fleet" in args.only:
            fleet(args.runs, args.sizes, tmp)
        if "mixed" in args.only:
            mixed_section(args.mixed, args.seeds, args.compare, tmp)
        if "releases" in args.only:
            releases_section(args.releases, tmp)
    print(f"after: {load_average()}")


if __name__ == "__main__":
    main()
