"""The order inside a window: every state between two steps compatible whenever such an order
exists (checked against every permutation), and `together` groups, with the constraint that
forces them, where none does. Also in the verifier, saved plans and the runbooks."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from random import Random

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from tests_support import HERE, deployment_of, ecosystems, examples, summary

from ozrelease import planner
from ozrelease.ecosystem import load as manifest
from ozrelease.ecosystem.compat import Deployment
from ozrelease.ecosystem.model import Api, Component, Ecosystem, Environment, Release
from ozrelease.planner.model import Plan, Step
from ozrelease.planner.order import providers_first, safe_order
from ozrelease.planner.verify import Move, verify, verify_plan
from ozrelease.versions import Version, parse_range, parse_version

KUBERNETES = Path(__file__).resolve().parent / "data" / "kubernetes-skew"

# ------------------------------------------------------------------ brute force


def _held(deployment: Deployment, state: Mapping[str, Version]) -> set[tuple[str, str, str]]:
    return {(v.consumer, v.need.kind, v.need.name) for v in deployment.violations(state)}


def broken_between(
    deployment: Deployment,
    before: Mapping[str, Version],
    units: Sequence[Sequence[Step]],
) -> list[int]:
    """The positions (after unit i) whose state breaks a constraint that held before the
    window: each unit (one step, or a group applied at once) is applied in turn and the
    whole state is checked, nothing else."""
    held = _held(deployment, before)
    state = dict(before)
    found = []
    for i, unit in enumerate(units[:-1]):
        for step in unit:
            state[step.component] = step.to_version
        if _held(deployment, state) - held:
            found.append(i)
    return found


def units_of(steps: Sequence[Step], groups: Sequence[Sequence[str]]) -> list[list[Step]]:
    group_of = {key: i for i, members in enumerate(groups) for key in members}
    units: list[list[Step]] = []
    for step in steps:
        g = group_of.get(step.component)
        if g is not None and units and units[-1][0].component in groups[g]:
            units[-1].append(step)
        else:
            units.append([step])
    return units


def ordered_partitions(items: list[Step]) -> Iterator[list[list[Step]]]:
    """Every way to apply `items` as a sequence of blocks (each block at once)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for smaller in ordered_partitions(rest):
        for i in range(len(smaller) + 1):  # first alone, anywhere
            yield [*smaller[:i], [first], *smaller[i:]]
        for i in range(len(smaller)):  # first joins a block
            yield [*smaller[:i], [first, *smaller[i]], *smaller[i + 1 :]]


def check_window_order(deployment: Deployment, plan: Plan) -> int:
    """Every window of `plan`: its listed order breaks nothing between steps outside its
    together groups; a window with groups has no safe permutation at all; and the groups are
    the finest possible: every safe arrangement of the window (as a sequence of blocks, each
    applied at once) keeps each group inside one block. Returns the number of groups."""
    groups_seen = 0
    for window, before in zip(plan.windows, plan.states(), strict=False):
        groups = [g.components for g in window.together]
        groups_seen += len(groups)
        steps = list(window.steps)
        assert broken_between(deployment, before, units_of(steps, groups)) == []
        for members in groups:
            listed = [s.component for s in steps]
            at = sorted(listed.index(k) for k in members)
            assert at == list(range(at[0], at[0] + len(members)))  # contiguous
            assert len(members) > 1 and window.together[groups.index(members)].reason
        if len(steps) > 5:
            continue
        if groups:
            for order in itertools.permutations(steps):
                assert broken_between(deployment, before, [[s] for s in order]), order
        for arrangement in ordered_partitions(steps):
            if broken_between(deployment, before, arrangement):
                continue
            for members in groups:
                assert any(set(members) <= {s.component for s in b} for b in arrangement), (
                    members,
                    arrangement,
                )
    return groups_seen


# ------------------------------------------------------------------ manifests


def component(name: str, *releases: str) -> str:
    """A Component document; each release is `VERSION` or `VERSION key: value; ...`."""
    lines = [f"kind: Component\nname: {name}\nreleases:"]
    for release in releases:
        version, _, rest = release.partition(" ")
        lines.append(f"  - version: '{version}'")
        for item in filter(None, (part.strip() for part in rest.split(";"))):
            lines.append(f"    {item}")
    return "\n".join(lines) + "\n"


def kube(name: str, minors: range, line: str, skip: int = 1) -> str:
    """A component with one release per minor; `line` is formatted with m (the minor)."""
    releases = []
    for m in minors:
        text = f"1.{m}.0 " + line.format(m=m, next=m + 1, after=m + 2, before=m - 1)
        if m > minors[0]:
            text += f"; upgradeFrom: '>=1.{m - skip},<1.{m}'"
        releases.append(text)
    return component(name, *releases)


def write(tmp_path: Path, *documents: str) -> Path:
    path = tmp_path / "manifests"
    path.mkdir(exist_ok=True)
    (path / "all.yaml").write_text("\n---\n".join(documents), encoding="utf-8")
    return path


def moves_of(plan: Plan, order: Sequence[Sequence[str]] | None = None) -> list[list[Move]]:
    windows = []
    for number, window in enumerate(plan.windows):
        by_key = {s.component: s for s in window.steps}
        keys = order[number] if order is not None else list(by_key)
        windows.append([Move(k, by_key[k].from_label, by_key[k].to_label) for k in keys])
    return windows


def start_of(plan: Plan) -> dict[str, str]:
    return {k: plan.label(k, v) for k, v in plan.start.items()}


APISERVER = kube("kube-apiserver", range(26, 29), "provides: {{kubernetes: '1.{m}'}}")
CONTROLLER_MANAGER = kube(
    "kube-controller-manager", range(26, 29), "consumes: {{kubernetes: '>=1.{m},<1.{after}'}}"
)


@pytest.fixture
def lagging(tmp_path: Path) -> Path:
    return write(
        tmp_path,
        "kind: API\nname: kubernetes",
        APISERVER,
        CONTROLLER_MANAGER,
        "kind: Environment\nname: test\n"
        "deployed: {kube-apiserver: 1.26.0, kube-controller-manager: 1.26.0}\n"
        "targets: {kube-apiserver: 1.28.0}\n",
    )


@pytest.fixture
def peers(tmp_path: Path) -> Path:
    # Each instance consumes its peer's API within one minor: the only other provider.
    return write(
        tmp_path,
        "kind: API\nname: apiserver-peers",
        kube(
            "kube-apiserver",
            range(29, 32),
            "provides: {{apiserver-peers: '1.{m}'}}; "
            "consumes: {{apiserver-peers: '>=1.{before},<1.{after}'}}",
        ),
        "kind: Environment\nname: test\n"
        "deployed: {kube-apiserver@cp1: 1.30.0, kube-apiserver@cp2: 1.29.0}\n"
        "targets: {kube-apiserver: 1.31.0}\n",
    )


@pytest.fixture
def locked(tmp_path: Path) -> Path:
    # a and b accept only each other's same major: no step can go first. c follows b.
    return write(
        tmp_path,
        "kind: API\nname: a-api\n---\nkind: API\nname: b-api",
        component(
            "a",
            "1.0.0 provides: {a-api: 1.0.0}; consumes: {b-api: '<2'}",
            "2.0.0 provides: {a-api: 2.0.0}; consumes: {b-api: '>=2'}",
        ),
        component(
            "b",
            "1.0.0 provides: {b-api: 1.0.0}; consumes: {a-api: '<2'}",
            "2.0.0 provides: {b-api: 2.0.0}; consumes: {a-api: '>=2'}",
        ),
        component("c", "1.0.0 consumes: {b-api: '<3'}", "2.0.0 consumes: {b-api: '>=2'}"),
        "kind: Environment\nname: test\ndeployed: {a: 1.0.0, b: 1.0.0, c: 1.0.0}\n"
        "targets: {a: 2.0.0, c: 2.0.0}\n",
    )


# ------------------------------------------------------------------ the minimal cases


def test_a_lagging_controller_manager_moves_before_the_apiserver_it_consumes(lagging) -> None:
    deployment = deployment_of(lagging)
    result = planner.plan(deployment)
    assert summary(result) == [
        "kube-apiserver 1.26.0->1.27.0",
        "kube-controller-manager 1.26.0->1.27.0, kube-apiserver 1.27.0->1.28.0",
    ]
    assert result.windows[1].together == ()
    assert verify_plan(deployment, result).problems == ()
    assert check_window_order(deployment, result) == 0
    # Providers first (the old order) puts the apiserver first: two minors ahead of the
    # controller manager between the steps. The verifier says so.
    by_key = {s.component: s for s in result.windows[1].steps}
    old = providers_first(deployment, list(by_key))
    assert old == ["kube-apiserver", "kube-controller-manager"]
    checked = verify(deployment, start_of(result), moves_of(result, [["kube-apiserver"], old]))
    assert checked.problems == (
        "window 2, after step 1 (kube-apiserver): kube-controller-manager 1.26.0 consumes "
        "kubernetes >=1.26,<1.28, but kube-apiserver 1.28.0 provides kubernetes 1.28 (steps "
        "run one at a time; an order that keeps this state compatible, or a together group, "
        "is needed)",
    )


def test_one_at_a_time_follows_the_safe_order(lagging) -> None:
    deployment = deployment_of(lagging)
    result = planner.plan(deployment, strategy="one-at-a-time")
    assert summary(result) == [
        "kube-apiserver 1.26.0->1.27.0",
        "kube-controller-manager 1.26.0->1.27.0",
        "kube-apiserver 1.27.0->1.28.0",
    ]
    assert verify_plan(deployment, result).problems == ()


def test_ha_apiserver_peers_move_lagging_one_first(peers, tmp_path: Path) -> None:
    deployment = deployment_of(peers)
    result = planner.plan(deployment)
    # Name order (cp1 first) would leave them at 1.31 and 1.29, two minors apart.
    assert summary(result) == [
        "kube-apiserver@cp2 1.29.0->1.30.0, kube-apiserver@cp1 1.30.0->1.31.0",
        "kube-apiserver@cp2 1.30.0->1.31.0",
    ]
    assert check_window_order(deployment, result) == 0
    name_order = [["kube-apiserver@cp1", "kube-apiserver@cp2"], ["kube-apiserver@cp2"]]
    checked = verify(deployment, start_of(result), moves_of(result, name_order))
    assert len(checked.problems) == 2  # each instance sees its peer two minors away
    assert all(
        p.startswith("window 1, after step 1 (kube-apiserver@cp1): ") for p in checked.problems
    )


def test_no_safe_order_makes_a_together_group_with_its_reason(locked) -> None:
    deployment = deployment_of(locked)
    result = planner.plan(deployment)
    assert summary(result) == ["a 1.0.0->2.0.0, b 1.0.0->2.0.0, c 1.0.0->2.0.0"]
    (group,) = result.windows[0].together
    assert group.components == ("a", "b")
    assert group.reason == (
        "a cannot move before b: a 2.0.0 consumes b-api >=2, but b 1.0.0 provides b-api "
        "1.0.0; b cannot move before a: b 2.0.0 consumes a-api >=2, but a 1.0.0 provides "
        "a-api 1.0.0"
    )
    assert check_window_order(deployment, result) == 1
    assert verify_plan(deployment, result).problems == ()
    # Without the group, the verifier refuses the same order.
    bare = verify(deployment, start_of(result), moves_of(result))
    assert bare.problems and bare.problems[0].startswith("window 1, after step 1 (a): ")
    # One at a time: c gets its own window, a and b stay together.
    alone = planner.plan(deployment, strategy="one-at-a-time")
    assert summary(alone) == ["a 1.0.0->2.0.0, b 1.0.0->2.0.0", "c 1.0.0->2.0.0"]
    assert [w.together for w in alone.windows] == [(group,), ()]
    assert verify_plan(deployment, alone).problems == ()


def test_together_in_plan_json_and_saved_plans(locked, ozr, tmp_path: Path) -> None:
    assert ozr("plan", "--format", "json", "-o", "plan.json").exit_code == 0
    data = json.loads((tmp_path / "plan.json").read_text())
    (window,) = data["windows"]
    assert [g["components"] for g in window["together"]] == [["a", "b"]]
    assert window["together"][0]["reason"].startswith("a cannot move before b: ")
    verified = ozr("plan", "--verify", "plan.json")
    assert verified.exit_code == 0, verified.output
    # A saved plan without the group asks for what no operator can do.
    del window["together"]
    (tmp_path / "bare.json").write_text(json.dumps(data))
    bare = ozr("plan", "--verify", "bare.json")
    assert bare.exit_code == 1
    assert "bare.json: window 1, after step 1 (a): a 2.0.0 consumes b-api >=2" in bare.stderr
    # A group of steps that are not one after the other is refused, and so is junk.
    window["together"] = [{"components": ["a", "c"], "reason": "x"}]
    (tmp_path / "split.json").write_text(json.dumps(data))
    split = ozr("plan", "--verify", "split.json")
    assert split.exit_code == 1
    assert "window 1, together group 1: its steps are not one after the other" in split.stderr
    window["together"] = [{"components": "a"}]
    (tmp_path / "junk.json").write_text(json.dumps(data))
    junk = ozr("plan", "--verify", "junk.json")
    assert junk.exit_code == 2
    assert junk.stderr.strip().splitlines() == [
        "junk.json: malformed plan: together must be a list of {components: [str], reason: str}"
    ]


def test_runbooks_show_a_together_group_as_one_block(locked, ozr) -> None:
    text = ozr("plan").stdout
    assert (
        "  Together: apply steps 1.1 and 1.2 at the same time, not one after the other\n"
        "    No order of them keeps every state in between compatible: start them back to "
        "back, then check the health of each.\n"
        "    why: a cannot move before b: a 2.0.0 consumes b-api >=2"
    ) in text
    block = text.split("Together:", 1)[1].split("End of together", 1)[0]
    assert "1. a 1.0.0 -> 2.0.0" in block and "2. b 1.0.0 -> 2.0.0" in block
    assert "3. c" not in block and "3. c" in text
    markdown = ozr("plan", "--format", "markdown").stdout
    head = markdown.index("> **Together:** apply steps 1.1 and 1.2 at the same time")
    assert markdown.index("### Step 1.1") > head
    assert markdown.index("End of together") < markdown.index("### Step 1.3")
    assert "> Why: a cannot move before b: a 2.0.0 consumes b-api >=2" in markdown
    html = ozr("plan", "--format", "html").stdout
    start = html.index('<section class="together"')
    end = html.index("</section>", start)
    inside = html[start:end]
    assert 'id="step-1-1"' in inside and 'id="step-1-2"' in inside
    assert 'id="step-1-3"' not in inside
    assert "a cannot move before b: a 2.0.0 consumes b-api &gt;=2" in inside


# ------------------------------------------------------------------ the skew policy


def test_kubernetes_skew_policy_every_state_between_steps_is_allowed() -> None:
    """The worked example: twelve clusters under the Kubernetes version skew policy. Every
    plan's listed order passes only through states the policy allows; the old order
    (providers first) did not in several windows, among them the two minimal cases."""
    eco = manifest.load(KUBERNETES)
    assert len(eco.environments) == 12
    old_broke: dict[str, int] = {}
    windows = 0
    for name, env in sorted(eco.environments.items()):
        deployment = Deployment(eco, env)
        result = planner.plan(deployment)
        assert result.feasible, (name, result.problems)
        assert verify_plan(deployment, result).problems == ()
        for window, before in zip(result.windows, result.states(), strict=False):
            windows += 1
            groups = [g.components for g in window.together]
            assert broken_between(deployment, before, units_of(window.steps, groups)) == []
            by_key = {s.component: s for s in window.steps}
            old = [[by_key[k]] for k in providers_first(deployment, list(by_key))]
            if broken_between(deployment, before, old):
                old_broke[name] = old_broke.get(name, 0) + 1
    assert {"ha-peers-apart", "lagging-controllers", "nodes-three-behind"} <= set(old_broke)
    assert sum(old_broke.values()) < windows


# ------------------------------------------------------------------ against brute force


@st.composite
def coupled(draw: st.DrawFn) -> tuple[Deployment, list[str]]:
    """Two to four components of two or three releases that accept each other's API in a
    narrow range around their own release (often only the same one), deployed at skewed
    releases, some targeted at latest: windows where order matters, and where none works."""
    count = draw(st.integers(2, 4))
    names = [f"c{i}" for i in range(count)]
    components = {}
    for c, name in enumerate(names):
        links = {
            other: draw(st.sampled_from(["none", "consumes", "consumes", "requires"]))
            for other in range(count)
            if other != c
        }
        releases = []
        for i in range(draw(st.integers(2, 3))):
            consumes, requires = {}, {}
            for other, kind in links.items():
                low = i - draw(st.integers(0, 1))
                high = i + draw(st.integers(1, 2))
                text = f">=1.{max(low, 0)},<1.{high}"
                if kind == "consumes":
                    consumes[f"api{other}"] = parse_range(text)
                elif kind == "requires":
                    requires[names[other]] = parse_range(text)
            releases.append(
                Release(
                    component=name,
                    version=parse_version(f"1.{i}.0"),
                    label=f"1.{i}.0",
                    where=HERE,
                    provides={f"api{c}": (parse_version(f"1.{i}"),)},
                    consumes=consumes,
                    requires=requires,
                    upgrade_from=parse_range(f"==1.{i - 1}.0") if i else None,
                )
            )
        components[name] = Component(name=name, where=HERE, releases=tuple(releases))
    apis = {f"api{c}": Api(name=f"api{c}", where=HERE) for c in range(count)}
    deployed = {
        n: components[n].releases[draw(st.integers(0, len(components[n].releases) - 2))].version
        for n in names
    }
    env = Environment(name="generated", where=HERE, deployed=deployed)
    eco = Ecosystem(
        components=components, apis=apis, environments={env.name: env}, source="generated"
    )
    targets = [f"{n}=latest" for n in names if draw(st.booleans())] or [f"{names[0]}=latest"]
    return Deployment(eco, env), targets


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(coupled(), ecosystems(), ecosystems(deep=True)),
    st.sampled_from(["fewest-windows", "one-at-a-time"]),
)
def test_every_listed_order_is_safe_or_no_safe_order_exists(
    case: tuple[Deployment, list[str]], strategy: str
) -> None:
    deployment, requests = case
    result = planner.plan(deployment, requests, strategy=strategy)
    if not result.feasible:
        event("no plan")
        return
    assert verify_plan(deployment, result).problems == ()
    groups = check_window_order(deployment, result)
    for window in result.windows:  # the planner's tables and the manifests' needs agree
        moves = {s.component: (s.from_version, s.to_version) for s in window.steps}
        exact = safe_order(deployment, moves)
        assert exact.keys == tuple(s.component for s in window.steps)
        assert [(g.keys, g.reason) for g in exact.groups] == [
            (g.components, g.reason) for g in window.together
        ]
    reordered = any(
        [s.component for s in w.steps]
        != providers_first(deployment, [s.component for s in w.steps])
        for w in result.windows
    )
    event("together" if groups else "reordered" if reordered else "providers first")


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(coupled(), ecosystems(deep=True)), st.randoms(use_true_random=False))
def test_the_verifier_refuses_exactly_the_orders_brute_force_refuses(
    case: tuple[Deployment, list[str]], rng: Random
) -> None:
    """Shuffle every window of a plan and drop its groups: the verifier refuses a window
    exactly when replaying its shuffled order breaks something, and says so first where
    the replay first breaks (it then names each broken constraint once, where it breaks)."""
    deployment, requests = case
    result = planner.plan(deployment, requests)
    if not result.feasible:
        return
    shuffled = []
    broken: dict[int, list[int]] = {}
    for number, (window, before) in enumerate(
        zip(result.windows, result.states(), strict=False), start=1
    ):
        steps = list(window.steps)
        rng.shuffle(steps)
        shuffled.append([Move(s.component, s.from_label, s.to_label) for s in steps])
        broken[number] = broken_between(deployment, before, [[s] for s in steps])
    checked = verify(deployment, start_of(result), shuffled)
    for number, positions in broken.items():
        said = [
            int(p.split("after step ", 1)[1].split(" ", 1)[0]) - 1
            for p in checked.problems
            if p.startswith(f"window {number}, after step ")
        ]
        assert set(said) <= set(positions), checked.problems
        assert (min(said) if said else None) == (min(positions) if positions else None)
    event("refused" if any(broken.values()) else "accepted")
