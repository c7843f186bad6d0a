"""What upgrading one component touches: the constraints around it, before and after, and
what must move with it, which is what the planner moves for that one target (`impact X`
names whatever `plan --to X` would move, and why)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ozrelease.ecosystem.compat import Deployment, Need, provided_text
from ozrelease.ecosystem.graph import stop_path
from ozrelease.ecosystem.model import Component, Release, component_of
from ozrelease.errors import InputError
from ozrelease.planner import plan
from ozrelease.planner.model import Plan, Step
from ozrelease.versions import Version, allows_any, parse_version
from ozrelease.wording import plural


@dataclass(frozen=True)
class Check:
    """One constraint between the upgraded component and a neighbour, before and after."""

    direction: str  # "needs" (the upgraded one depends on `other`) | "used-by"
    other: str
    other_version: str | None
    need: str  # "consumes notificaties >=1.0,<2"
    holds_now: bool
    holds_after: bool
    message: str
    fix: str | None = None  # what would satisfy it: "open-notificaties >=1.10.0 (1.10.0 ... )"


@dataclass(frozen=True)
class KeyImpact:
    key: str
    current: str
    new: str
    direct: bool  # deployed -> new allowed in one step
    path: tuple[str, ...]  # the shortest upgrade path (stops), including new
    checks: tuple[Check, ...]
    dropped: tuple[str, ...]  # APIs provided now and no longer by the new release
    must_move: tuple[str, ...]  # the keys the plan moves because of this one

    @property
    def broken(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.holds_after)


@dataclass(frozen=True)
class Move:
    """A key the plan for the target moves, though nobody asked, and why."""

    key: str
    from_label: str
    to_label: str
    pulled_in_by: str | None
    reason: str  # the constraint that would break if it stayed


@dataclass(frozen=True)
class Impact:
    environment: str
    component: str
    version: str
    keys: tuple[KeyImpact, ...]
    feasible: bool = True  # a safe plan reaches the target
    windows: int = 0  # the windows that plan takes
    moves: tuple[Move, ...] = ()
    problems: tuple[str, ...] = ()  # infeasible: why, in the manifests' terms
    rewire: tuple[str, ...] = ()  # wiring to another provider of what the new release serves


def impact(deployment: Deployment, subject: str) -> Impact:
    """What moving one component (every instance of it, or one instance) to a version does
    to the constraints between it and its neighbours."""
    name, _, wanted = subject.partition("=")
    name = name.strip()
    env = deployment.environment
    keys = [k for k in deployment.keys if k == name or component_of(k) == name]
    if not keys:
        known = sorted({component_of(k) for k in deployment.keys} | set(deployment.keys))
        raise InputError(
            f"{name!r} is not deployed in environment {env.name} (deployed: {', '.join(known)})"
        )
    component = deployment.ecosystem.components[component_of(keys[0])]
    release = _pick_release(component, wanted.strip())
    for key in keys:  # as `plan --to` refuses it (CONTRACT §1): bad usage, not an answer
        deployed = env.deployed[key]
        if release.version < deployed:
            raise InputError(
                f"{subject.strip()}: {key} is at {deployment.label(key, deployed)}; "
                f"{release.label} is older, and downgrades are never planned"
            )
    found = plan(deployment, [f"{name}={release.label}"])
    moves = _moves(deployment, found, set(keys)) if found.feasible else ()
    results = []
    for key in keys:
        pulled = tuple(sorted(m.key for m in moves if m.pulled_in_by in (key, None)))
        results.append(_impact_on(deployment, key, release, found, pulled))
    return Impact(
        env.name,
        component.name,
        release.label,
        tuple(results),
        feasible=found.feasible,
        windows=len(found.windows),
        moves=moves,
        problems=tuple(p.message for p in found.problems),
        rewire=_rewire(deployment, keys, release, found),
    )


def _rewire(deployment: Deployment, keys: list[str], new: Release, found: Plan) -> tuple[str, ...]:
    """Consumers wired to another provider of an API the new release provides, which would
    accept it: after Open Object 4.x merged the Objecttypes API, Open Forms stays wired to
    the standalone objecttypes-api until someone re-points it."""
    final = dict(found.target) if found.feasible else dict(deployment.environment.deployed)
    hints = []
    for consumer, entries in sorted(deployment.environment.wiring.items()):
        for api, provider in sorted(entries.items()):
            if provider in keys or consumer in keys or api not in new.provides:
                continue
            wanted = deployment.release(consumer, final[consumer]).consumes.get(api)
            if wanted is None or not allows_any(wanted, new.provides[api]):
                continue
            hints.append(
                f"{consumer} is wired to {provider} for {api}, which {new} provides too "
                f"({provided_text(new, api)}): re-point {consumer} (its service configuration "
                f"and the environment's wiring) to retire {provider} if nothing else uses it"
            )
    return tuple(hints)


def _moves(deployment: Deployment, found: Plan, targets: set[str]) -> tuple[Move, ...]:
    """Every key the plan moves besides the targets: from where to where, and why."""
    first: dict[str, Step] = {}
    last: dict[str, Step] = {}
    for step in found.steps:
        if step.component in targets:
            continue
        first.setdefault(step.component, step)
        last[step.component] = step
    return tuple(
        Move(
            key,
            first[key].from_label,
            last[key].to_label,
            first[key].pulled_in_by,
            _reason(deployment, found, key),
        )
        for key in sorted(first)
    )


def _reason(deployment: Deployment, found: Plan, key: str) -> str:
    """The first constraint of the plan's states that `key`, left where it was, breaks; or
    the one it breaks now, which the plan's first window repairs."""
    for violation in deployment.violations(dict(found.start)):
        if key in violation.components:
            return f"broken now, the first window repairs it: {deployment.explain(violation)}"
    stays = [found.start[key]] + [s.to_version for s in found.steps if s.component == key][:-1]
    for version in stays:
        for state in found.states()[1:]:
            if state[key] == version:
                continue
            trial = {**state, key: version}
            for violation in deployment.violations(trial):
                if key in violation.components:
                    return deployment.explain(violation)
    return "it moves so that the plan needs no more windows"


def _pick_release(component: Component, wanted: str) -> Release:
    if wanted in ("", "latest"):
        newest = component.newest()
        if newest is None:
            raise InputError(f"{component.name} lists no releases")
        return newest
    try:
        version = parse_version(wanted)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    found = component.release(version)
    if found is None:
        labels = ", ".join(r.label for r in component.releases[-6:])
        raise InputError(f"{component.name} {wanted} is not a listed release (newest: {labels})")
    return found


def _impact_on(
    deployment: Deployment, key: str, new: Release, found: Plan, pulled: tuple[str, ...]
) -> KeyImpact:
    env = deployment.environment
    current_version = env.deployed[key]
    current = deployment.release(key, current_version)
    checks: list[Check] = []
    # What the new release depends on.
    for need in deployment.needs(key, new.version):
        pv = env.deployed.get(need.provider) if need.provider else None
        now_needs = {(n.kind, n.name): n for n in deployment.needs(key, current_version)}
        before = now_needs.get((need.kind, need.name))
        holds_now = before is not None and deployment.satisfied(before, current_version, pv)
        after = deployment.satisfied(need, new.version, pv)
        message = f"{key} {new.label} {deployment.describe_need(need)}: " + _provider_words(
            deployment, need, pv
        )
        fix = None if after else _provider_fix(deployment, need)
        checks.append(
            Check(
                "needs",
                need.provider or need.name,
                deployment.label(need.provider, pv) if need.provider and pv else None,
                deployment.describe_need(need),
                holds_now,
                after,
                message,
                fix,
            )
        )
    # Who depends on it.
    for other in deployment.keys:
        if other == key:
            continue
        other_version = env.deployed[other]
        for need in deployment.needs(other, other_version):
            if need.provider != key:
                continue
            holds_now = deployment.satisfied(need, other_version, current_version)
            after = deployment.satisfied(need, other_version, new.version)
            who = f"{other} {deployment.label(other, other_version)}"
            message = f"{who} {deployment.describe_need(need)}: " + _provider_words(
                deployment, need, new.version, label=new.label
            )
            fix = None if after else _consumer_fix(deployment, other, need, new)
            checks.append(
                Check(
                    "used-by",
                    other,
                    deployment.label(other, other_version),
                    deployment.describe_need(need),
                    holds_now,
                    after,
                    message,
                    fix,
                )
            )
    dropped = tuple(sorted(api for api in current.provides if api not in new.provides))
    if found.feasible:  # the stops the plan takes
        path: tuple[str, ...] = tuple(s.to_label for s in found.steps if s.component == key)
    else:
        stops = stop_path(
            deployment.ecosystem.components[component_of(key)], current_version, new.version
        )
        path = tuple(r.label for r in stops) if stops is not None else ()
    return KeyImpact(
        key=key,
        current=current.label,
        new=new.label,
        direct=len(path) <= 1,
        path=path,
        checks=tuple(checks),
        dropped=dropped,
        must_move=pulled,
    )


def _provider_words(
    deployment: Deployment, need: Need, version: Version | None, label: str | None = None
) -> str:
    if need.provider is None:
        return "nothing deployed serves it"
    if version is None:
        return f"{need.provider} is not deployed"
    shown = label or deployment.label(need.provider, version)
    ok = deployment.satisfied(need, version, version)
    if need.kind == "requires":
        return f"{need.provider} {shown} {'satisfies' if ok else 'does not satisfy'} it"
    provided = deployment.release(need.provider, version).provides.get(need.name, ())
    what = (
        f"provides {need.name} {' and '.join(str(v) for v in provided)}"
        if provided
        else f"does not provide {need.name}"
    )
    return f"{need.provider} {shown} {what} ({'ok' if ok else 'broken'})"


def _provider_fix(deployment: Deployment, need: Need) -> str | None:
    """Which releases of the provider would satisfy `need`."""
    if need.provider is None:
        return None
    component = deployment.ecosystem.components[component_of(need.provider)]
    deployed = deployment.environment.deployed[need.provider]
    good = [
        r
        for r in component.releases
        if r.version >= deployed and deployment.satisfied(need, deployed, r.version)
    ]
    if not good:
        return f"no release of {component.name} from the deployed one on satisfies it"
    return f"{need.provider} must move: {_span(good)} would satisfy it"


def _consumer_fix(deployment: Deployment, consumer: str, need: Need, new: Release) -> str | None:
    """Which releases of the consumer would accept the new provider release."""
    component = deployment.ecosystem.components[component_of(consumer)]
    deployed = deployment.environment.deployed[consumer]
    good = []
    for release in component.releases:
        if release.version < deployed:
            continue
        for other_need in deployment.needs(consumer, release.version):
            if (other_need.kind, other_need.name) == (
                need.kind,
                need.name,
            ) and deployment.satisfied(other_need, release.version, new.version):
                good.append(release)
                break
    if not good:
        return f"no release of {component.name} accepts {new}"
    return f"{consumer} must move: {_span(good)} would accept {new}"


def _span(releases: list[Release]) -> str:
    if len(releases) == 1:
        return releases[0].label
    return f"{releases[0].label} to {releases[-1].label} ({len(releases)} releases)"


def impact_json(result: Impact) -> dict[str, Any]:
    return {
        "format": "ozrelease-impact/1",
        "environment": result.environment,
        "component": result.component,
        "version": result.version,
        "feasible": result.feasible,
        "windows": result.windows,
        "moves": [
            {
                "component": m.key,
                "from": m.from_label,
                "to": m.to_label,
                "pulledInBy": m.pulled_in_by,
                "reason": m.reason,
            }
            for m in result.moves
        ],
        "problems": list(result.problems),
        "rewire": list(result.rewire),
        "instances": [
            {
                "key": k.key,
                "from": k.current,
                "to": k.new,
                "direct": k.direct,
                "path": list(k.path),
                "droppedApis": list(k.dropped),
                "mustMove": list(k.must_move),
                "checks": [
                    {
                        "direction": c.direction,
                        "other": c.other,
                        "otherVersion": c.other_version,
                        "constraint": c.need,
                        "holdsNow": c.holds_now,
                        "holdsAfter": c.holds_after,
                        "message": c.message,
                        "fix": c.fix,
                    }
                    for c in k.checks
                ],
            }
            for k in result.keys
        ],
    }


def impact_view(result: Impact) -> dict[str, Any]:
    keys = []
    for k in result.keys:
        if k.current == k.new:
            route = f"{k.key} is already at {k.new}"
        elif not k.path:
            route = (
                f"{k.key} cannot be upgraded from {k.current} to {k.new}: no upgrade path "
                "(upgradeFrom) leads there"
            )
        elif not result.feasible:
            route = (
                f"{k.key} {k.current} -> {k.new}: {len(k.path)} steps by upgradeFrom, "
                f"through {', '.join(k.path[:-1]) or 'no stops'}"
            )
        elif k.direct:
            route = f"{k.key} {k.current} -> {k.new}: one step"
        else:
            route = (
                f"{k.key} {k.current} -> {k.new}: {len(k.path)} steps, through "
                f"{', '.join(k.path[:-1])} (required stops)"
            )
        rows = []
        for c in k.checks:
            if c.holds_after and c.holds_now:
                status = "ok"
            elif c.holds_after:
                status = "FIXED"
            elif c.holds_now:
                status = "BREAKS"
            else:
                status = "BROKEN"
            rows.append(
                {"status": status, "direction": c.direction, "message": c.message, "fix": c.fix}
            )
        keys.append(
            {
                "route": route,
                "needs": [r for r in rows if r["direction"] == "needs"],
                "used_by": [r for r in rows if r["direction"] == "used-by"],
                "dropped": list(k.dropped),
                "must_move": list(k.must_move),
            }
        )
    return {
        "environment": result.environment,
        "component": result.component,
        "version": result.version,
        "keys": keys,
        "feasible": result.feasible,
        "windows": plural(result.windows, "window"),
        "moves": [
            {
                "text": f"{m.key} {m.from_label} -> {m.to_label}",
                "reason": m.reason,
            }
            for m in result.moves
        ],
        "problems": list(result.problems),
        "rewire": list(result.rewire),
    }
