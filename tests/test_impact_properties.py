"""`impact X` on random small ecosystems: it names exactly what `plan --to X` moves besides
X, and agrees with a brute-force search about whether anything else has to move at all."""

from __future__ import annotations

from brute import brute_force
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from tests_support import examples

from ozrelease import planner
from ozrelease.ecosystem.compat import Deployment
from ozrelease.ecosystem.model import Component, Ecosystem, Environment, Release, Where
from ozrelease.planner.impact import impact
from ozrelease.versions import parse_range, parse_version

HERE = Where("generated")


@st.composite
def ecosystems(draw: st.DrawFn) -> tuple[Deployment, str]:
    """Two to four components of up to four releases; consumers accept a window of their
    providers' API versions, sometimes a component requires another; some releases may
    be reached only from the one before (required stops). No API is declared."""
    count = draw(st.integers(2, 4))
    names = [f"c{i}" for i in range(count)]
    components = {}
    deployed = {}
    for c, name in enumerate(names):
        size = draw(st.integers(1, 4))
        links = {o: draw(st.sampled_from(["none", "consumes", "requires"])) for o in range(count)}
        releases = []
        for i in range(size):
            consumes, requires = {}, {}
            for other, kind in links.items():
                if other == c or kind == "none":
                    continue
                low = max(0, i - draw(st.integers(0, 1)))
                text = f">=1.{low},<1.{i + draw(st.integers(1, 2))}"
                if kind == "consumes":
                    consumes[f"api{other}"] = parse_range(text)
                else:
                    requires[names[other]] = parse_range(text)
            upgrade = None
            if i > 0 and draw(st.booleans()):
                upgrade = parse_range(f"==1.{i - 1}.0")
            releases.append(
                Release(
                    component=name,
                    version=parse_version(f"1.{i}.0"),
                    label=f"1.{i}.0",
                    where=HERE,
                    provides={f"api{c}": (parse_version(f"1.{i}"),)},
                    consumes=consumes,
                    requires=requires,
                    upgrade_from=upgrade,
                )
            )
        components[name] = Component(name=name, where=HERE, releases=tuple(releases))
        deployed[name] = parse_version(f"1.{draw(st.sampled_from([0, 0, 0, size - 1]))}.0")
    env = Environment(name="generated", where=HERE, deployed=deployed)
    eco = Ecosystem(components=components, apis={}, environments={env.name: env}, source="gen")
    target = draw(st.sampled_from(names))
    return Deployment(eco, env), target


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ecosystems())
def test_impact_names_what_the_plan_for_that_target_moves(case: tuple[Deployment, str]) -> None:
    deployment, name = case
    newest = deployment.ecosystem.components[name].releases[-1]
    if not deployment.compatible(dict(deployment.environment.deployed)):
        event("broken start")
        return  # a broken start: the plan repairs it, and that is not the target's doing
    result = impact(deployment, name)
    plan = planner.plan(deployment, [f"{name}=latest"])
    assert result.feasible == plan.feasible
    targets = {name: newest.version}
    if not plan.feasible:
        assert brute_force(deployment, targets) is None
        event("no plan")
        return
    moved = {s.component: s.to_label for s in plan.steps if s.component != name}
    event("others move" if moved else "only the target moves")
    assert {m.key: m.to_label for m in result.moves} == moved
    assert all(m.pulled_in_by == name and m.reason for m in result.moves)
    # Nothing else has to move exactly when the target can be reached with every other
    # component pinned in as few windows as the plan takes (brute force, from the contract).
    pinned = {**dict(deployment.environment.deployed), **targets}
    alone = brute_force(deployment, pinned)
    if not result.moves:
        assert alone is not None and alone[0] == len(plan.windows)
    elif alone is not None:
        assert alone[0] > len(plan.windows), (alone, len(plan.windows))


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ecosystems())
def test_plans_over_undeclared_apis_match_brute_force(case: tuple[Deployment, str]) -> None:
    # No API of these ecosystems is declared (CONTRACT §2: declaring one is optional).
    deployment, name = case
    assert not deployment.ecosystem.apis
    plan = planner.plan(deployment, [f"{name}=latest"])
    newest = deployment.ecosystem.components[name].releases[-1].version
    optimum = brute_force(deployment, {name: newest})
    assert plan.feasible == (optimum is not None)
    if optimum is not None:
        assert (len(plan.windows), len(plan.steps)) == optimum
