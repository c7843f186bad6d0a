"""States of an environment and whether they are compatible (CONTRACT §2), for every command.

A Deployment binds each deployed component (or instance) to the providers of what it consumes
and requires; `violations(state)` lists the constraints a state breaks.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Literal

from ozrelease.ecosystem.model import (
    Component,
    Ecosystem,
    Environment,
    KeyPath,
    Release,
    component_of,
)
from ozrelease.versions import Range, Version, allows_any

Kind = Literal["consumes", "requires"]
State = Mapping[str, Version]


@dataclass(frozen=True)
class Need:
    """One constraint of a release: it consumes `name` (an API) or requires `name` (a
    component), served by the deployed `provider` (None: nothing deployed serves it)."""

    kind: Kind
    name: str
    wanted: Range
    provider: str | None


@dataclass(frozen=True)
class Violation:
    """A constraint a state breaks, with everything needed to explain it."""

    consumer: str
    consumer_version: Version
    need: Need
    provider_version: Version | None

    @property
    def components(self) -> tuple[str, ...]:
        if self.need.provider is None:
            return (self.consumer,)
        return (self.consumer, self.need.provider)


class Deployment:
    """An environment's components bound to their providers, over the ecosystem's releases."""

    def __init__(self, ecosystem: Ecosystem, environment: Environment):
        self.ecosystem = ecosystem
        self.environment = environment
        self.keys: tuple[str, ...] = tuple(sorted(environment.deployed))
        self._bindings: dict[tuple[str, Kind, str], str | None] = {}
        self._providers = provider_index(environment, ecosystem.components)
        self._instances: dict[str, list[str]] = {}
        for key in self.keys:
            self._instances.setdefault(component_of(key), []).append(key)
        self._depends: dict[str, frozenset[str]] = {}
        self._needs: dict[tuple[str, Version], tuple[Need, ...]] = {}

    # -- bindings

    def provider(self, consumer: str, kind: Kind, name: str) -> str | None:
        """The deployed key that serves `consumer`'s need for `name`."""
        cache_key = (consumer, kind, name)
        if cache_key not in self._bindings:
            env = self.environment
            wired = env.wiring.get(consumer, {}).get(name)
            if wired is not None:
                found: str | None = wired
            else:
                index = self._providers if kind == "consumes" else self._instances
                candidates = [k for k in index.get(name, ()) if k != consumer]
                found = candidates[0] if len(candidates) == 1 else None
            self._bindings[cache_key] = found
        return self._bindings[cache_key]

    def release(self, key: str, version: Version) -> Release:
        return self.ecosystem.release(key, version)

    def label(self, key: str, version: Version) -> str:
        return self.ecosystem.label(key, version)

    def needs(self, key: str, version: Version) -> tuple[Need, ...]:
        """The constraints of `key` at `version`, each bound to its provider."""
        cache_key = (key, version)
        found = self._needs.get(cache_key)
        if found is None:
            release = self.release(key, version)
            found = tuple(
                [
                    Need("consumes", api, wanted, self.provider(key, "consumes", api))
                    for api, wanted in sorted(release.consumes.items())
                ]
                + [
                    Need("requires", name, wanted, self.provider(key, "requires", name))
                    for name, wanted in sorted(release.requires.items())
                ]
            )
            self._needs[cache_key] = found
        return found

    def dependencies(self, consumer: str) -> frozenset[str]:
        """The keys that some release of `consumer` (from the deployed one on) depends on."""
        if consumer not in self._depends:
            deployed = self.environment.deployed[consumer]
            component = self.ecosystem.components[component_of(consumer)]
            found: set[str | None] = set()
            for release in component.releases:
                if release.version >= deployed:
                    found.update(self.provider(consumer, "consumes", a) for a in release.consumes)
                    found.update(self.provider(consumer, "requires", n) for n in release.requires)
            found.discard(None)
            found.discard(consumer)
            self._depends[consumer] = frozenset(k for k in found if k is not None)
        return self._depends[consumer]

    # -- compatibility

    def satisfied(
        self, need: Need, consumer_version: Version, provider_version: Version | None
    ) -> bool:
        """Whether `need` is met by its provider at `provider_version`."""
        if need.provider is None or provider_version is None:
            return False
        if need.kind == "requires":
            return allows_any(need.wanted, (provider_version,))
        provided = self.release(need.provider, provider_version).provides.get(need.name)
        return bool(provided) and allows_any(need.wanted, provided)

    def violations(self, state: State) -> list[Violation]:
        """Every constraint `state` breaks, in a stable order."""
        found: list[Violation] = []
        for key in self.keys:
            version = state[key]
            for need in self.needs(key, version):
                pv = state.get(need.provider) if need.provider is not None else None
                if not self.satisfied(need, version, pv):
                    found.append(Violation(key, version, need, pv))
        return found

    def compatible(self, state: State) -> bool:
        return not self.violations(state)

    # -- words

    def explain(self, violation: Violation) -> str:
        """`open-zaak 1.30.0 consumes notificaties >=1.0,<2, but open-notificaties 1.8.0
        provides notificaties 0.9`, and the like."""
        need = violation.need
        who = f"{violation.consumer} {self.label(violation.consumer, violation.consumer_version)}"
        wants = f"{who} {need.kind} {need.name} {need.wanted}"
        if need.provider is None:
            if need.kind == "requires":
                return f"{wants}, but {need.name} is not deployed"
            return f"{wants}, but no deployed component provides {need.name}"
        assert violation.provider_version is not None
        provider = f"{need.provider} {self.label(need.provider, violation.provider_version)}"
        if need.kind == "requires":
            return f"{wants}, but {need.provider} is at {provider.split(' ', 1)[1]}"
        provided = self.release(need.provider, violation.provider_version).provides.get(need.name)
        if not provided:
            return f"{wants}, but {provider} does not provide {need.name}"
        return f"{wants}, but {provider} provides {need.name} {_versions(provided)}"

    def describe_need(self, need: Need) -> str:
        return f"{need.kind} {need.name} {need.wanted}"


def _versions(versions: tuple[Version, ...]) -> str:
    return " and ".join(str(v) for v in versions)


def provided_text(release: Release, api: str) -> str:
    return _versions(release.provides.get(api, ()))


def provider_index(env: Environment, components: Mapping[str, Component]) -> dict[str, list[str]]:
    """API -> the deployed keys that provide it now or in a later release, sorted."""
    index: dict[str, list[str]] = {}
    for key in sorted(env.deployed):
        version = env.deployed[key]
        provided = {
            api
            for release in components[component_of(key)].releases
            if release.version >= version
            for api in release.provides
        }
        for api in provided:
            index.setdefault(api, []).append(key)
    return index


def binding_problems(
    env: Environment,
    components: Mapping[str, Component],
    written: Collection[tuple[str, str]] = (),
) -> list[tuple[KeyPath, str]]:
    """Consumed APIs with no deployed provider, or several and no wiring; likewise for
    required components deployed as several instances. `written`: (consumer, API or
    component) wiring entries written, even if invalid (their problem is said already)."""
    problems: list[tuple[KeyPath, str]] = []
    index = provider_index(env, components)
    for consumer, version in sorted(env.deployed.items()):
        component = components[component_of(consumer)]
        current = component.release(version)
        apis_used = {api for r in component.releases if r.version >= version for api in r.consumes}
        for api in sorted(apis_used):
            if api in env.wiring.get(consumer, {}) or (consumer, api) in written:
                continue
            found = [key for key in index.get(api, ()) if key != consumer]
            if len(found) > 1:
                problems.append(
                    (
                        ("deployed", consumer),
                        f"{consumer} consumes {api}, which several deployed components "
                        f"provide ({', '.join(found)}): say which in wiring.{consumer}",
                    )
                )
            elif not found and current is not None and api in current.consumes:
                problems.append(
                    (
                        ("deployed", consumer),
                        f"{consumer} {current.label} consumes {api} "
                        f"({current.consumes[api]}), but no deployed component "
                        "provides it",
                    )
                )
        required = {name for r in component.releases if r.version >= version for name in r.requires}
        for name in sorted(required):
            if name in env.wiring.get(consumer, {}) or (consumer, name) in written:
                continue
            if name not in components:
                continue  # an unknown component: said once, where it is required
            instances = sorted(k for k in env.deployed if component_of(k) == name)
            if not instances and current is not None and name in current.requires:
                problems.append(
                    (
                        ("deployed", consumer),
                        f"{consumer} {current.label} requires {name} "
                        f"({current.requires[name]}), which is not deployed",
                    )
                )
            elif len(instances) > 1:
                problems.append(
                    (
                        ("deployed", consumer),
                        f"{consumer} requires {name}, which is deployed several times "
                        f"({', '.join(instances)}): say which in wiring.{consumer}",
                    )
                )
    return problems


# --------------------------------------------------------------------------- entry points
