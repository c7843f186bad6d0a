"""Property tests on random small ecosystems: every plan verifies, its window and step counts
equal a brute-force breadth-first optimum, and 'no plan' agrees with brute force; for the
planner as users get it, for each of its engines alone, and under --max-steps."""

from __future__ import annotations

from brute import brute_force
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from tests_support import HERE, ecosystems, examples

from ozrelease import planner
from ozrelease.ecosystem.compat import Deployment
from ozrelease.ecosystem.model import Api, Component, Ecosystem, Environment, Release
from ozrelease.planner.verify import verify_plan
from ozrelease.versions import parse_range, parse_version

PATHS = ("strict", "skip-one", "free", "minimum")


@st.composite
def mixed(draw: st.DrawFn) -> tuple[Deployment, list[str]]:
    """Layered like the benchmark's ecosystems: each component has its own kind of upgrade
    path (no release skipped, at most one skipped, any, or one enforced stop), 2-5
    releases spanning API generations 0-4, and consumes APIs of components before it,
    accepting providers within one to three generations of its own."""
    count = draw(st.integers(2, 4))
    names = [f"m{i}" for i in range(count)]
    components = {}
    deployed = {}
    for c, name in enumerate(names):
        size = draw(st.integers(2, 5))
        path = draw(st.sampled_from(PATHS))
        tolerance = draw(st.integers(1, 3))
        used = [o for o in range(c) if draw(st.booleans())]
        releases = []
        for i in range(size):
            generation = round(i * 4 / (size - 1))
            consumes = {
                f"api{o}": parse_range(
                    f">=1.{max(0, generation - tolerance)},<=1.{generation + tolerance}"
                )
                for o in used
            }
            upgrade = None
            if i and path == "strict":
                upgrade = parse_range(f"==1.{i - 1}.0")
            elif i > 1 and path == "skip-one":
                upgrade = parse_range(f">=1.{i - 2}.0")
            elif i > size // 2 and path == "minimum":
                upgrade = parse_range(f">=1.{size // 2}.0")
            releases.append(
                Release(
                    component=name,
                    version=parse_version(f"1.{i}.0"),
                    label=f"1.{i}.0",
                    where=HERE,
                    provides={f"api{c}": (parse_version(f"1.{generation}"),)},
                    consumes=consumes,
                    upgrade_from=upgrade,
                )
            )
        components[name] = Component(name=name, where=HERE, releases=tuple(releases))
        deployed[name] = parse_version(f"1.{draw(st.sampled_from([0, 0, 1]))}.0")
    apis = {f"api{c}": Api(name=f"api{c}", where=HERE) for c in range(count)}
    requests = [f"{name}=latest" for name in names if draw(st.sampled_from([True, True, False]))]
    env = Environment(name="generated", where=HERE, deployed=deployed)
    eco = Ecosystem(
        components=components, apis=apis, environments={env.name: env}, source="generated"
    )
    return Deployment(eco, env), requests


ALL = st.one_of(ecosystems(), ecosystems(deep=True), mixed())


@settings(max_examples=examples(500), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ALL, st.sampled_from(["least-change", "latest"]))
def test_plans_verify_and_match_brute_force(
    case: tuple[Deployment, list[str]], prefer: str
) -> None:
    check_against_brute_force(case, prefer, engine="auto")


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ALL, st.sampled_from(["least-change", "latest"]), st.sampled_from(["search", "cp-sat"]))
def test_each_engine_alone_matches_brute_force(
    case: tuple[Deployment, list[str]], prefer: str, engine: str
) -> None:
    check_against_brute_force(case, prefer, engine=engine)


def check_against_brute_force(
    case: tuple[Deployment, list[str]], prefer: str, *, engine: str
) -> None:
    deployment, requests = case
    targets = planner.resolve_targets(deployment, requests)
    result = planner.plan(deployment, requests, prefer=prefer, engine=engine)
    optimum = brute_force(deployment, targets)
    event(
        "no plan"
        if optimum is None
        else f"{min(optimum[0], 3)}{'+' if optimum[0] >= 3 else ''} windows"
    )
    if optimum is None:
        assert not result.feasible, result
        assert result.problems
        named = set(deployment.keys)
        assert all(set(p.components) <= named and p.components for p in result.problems)
        return
    assert result.feasible, [p.message for p in result.problems]
    assert verify_plan(deployment, result).problems == ()
    assert (len(result.windows), len(result.steps)) == optimum
    assert result.optimal
    # One at a time splits windows but never breaks a state or adds a step.
    alone = planner.plan(
        deployment, requests, strategy="one-at-a-time", prefer=prefer, engine=engine
    )
    assert verify_plan(deployment, alone).problems == ()
    assert len(alone.steps) == len(result.steps)
    assert len(alone.windows) >= len(result.windows)


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ALL, st.integers(1, 3))
def test_max_steps_matches_brute_force(case: tuple[Deployment, list[str]], max_steps: int) -> None:
    """Fewest windows, then fewest steps, among plans of at most N steps per window."""
    deployment, requests = case
    targets = planner.resolve_targets(deployment, requests)
    result = planner.plan(deployment, requests, max_steps=max_steps)
    optimum = brute_force(deployment, targets, max_steps=max_steps)
    event("no plan" if optimum is None else f"{min(optimum[0], 4)} windows")
    if optimum is None:
        assert not result.feasible, result
        assert result.problems and all(p.components for p in result.problems)
        return
    assert result.feasible, [p.message for p in result.problems]
    assert verify_plan(deployment, result).problems == ()
    assert all(len(w.steps) <= max_steps for w in result.windows)
    assert (len(result.windows), len(result.steps)) == optimum
    assert result.max_steps == max_steps and result.optimal


@settings(max_examples=examples(100), deadline=None)
@given(st.one_of(ecosystems(), mixed()))
def test_same_inputs_same_plan(case: tuple[Deployment, list[str]]) -> None:
    deployment, requests = case
    first = planner.plan(deployment, requests)
    second = planner.plan(deployment, requests)
    assert first == second
