"""States of an environment and whether they are compatible (CONTRACT §2), for every command.

A Deployment binds each deployed component (or instance) to the providers of what it consumes
and requires; `violations(state)` lists the constraints a state breaks.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from ozrelease.manifest import providers
from ozrelease.model import Ecosystem, Environment, Release, component_of
from ozrelease.versions import Range, Version

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
        self._ok = lru_cache(maxsize=None)(self._satisfied)

    # -- bindings

    def provider(self, consumer: str, kind: Kind, name: str) -> str | None:
        """The deployed key that serves `consumer`'s need for `name`."""
        cache_key = (consumer, kind, name)
        if cache_key not in self._bindings:
            env = self.environment
            wired = env.wiring.get(consumer, {}).get(name)
            if wired is not None:
                found: str | None = wired
            elif kind == "consumes":
                candidates = providers(env, self.ecosystem.components, name, consumer)
                found = candidates[0] if len(candidates) == 1 else None
            else:
                instances = [k for k in self.keys if component_of(k) == name and k != consumer]
                found = instances[0] if len(instances) == 1 else None
            self._bindings[cache_key] = found
        return self._bindings[cache_key]

    def release(self, key: str, version: Version) -> Release:
        return self.ecosystem.release(key, version)

    def label(self, key: str, version: Version) -> str:
        return self.ecosystem.label(key, version)

    def needs(self, key: str, version: Version) -> Iterator[Need]:
        """The constraints of `key` at `version`, each bound to its provider."""
        release = self.release(key, version)
        for api, wanted in sorted(release.consumes.items()):
            yield Need("consumes", api, wanted, self.provider(key, "consumes", api))
        for name, wanted in sorted(release.requires.items()):
            yield Need("requires", name, wanted, self.provider(key, "requires", name))

    def neighbours(self, key: str) -> set[str]:
        """Keys that `key` may ever depend on, or that may ever depend on it (any release)."""
        found: set[str] = set()
        for other in self.keys:
            for a, b in ((key, other), (other, key)):
                if self.depends_ever(a, b):
                    found.add(other)
        found.discard(key)
        return found

    def depends_ever(self, consumer: str, provider: str) -> bool:
        """Some release of `consumer` (from the deployed one on) depends on `provider`."""
        deployed = self.environment.deployed[consumer]
        component = self.ecosystem.components[component_of(consumer)]
        for release in component.releases:
            if release.version < deployed:
                continue
            for api in release.consumes:
                if self.provider(consumer, "consumes", api) == provider:
                    return True
            for name in release.requires:
                if self.provider(consumer, "requires", name) == provider:
                    return True
        return False

    # -- compatibility

    def satisfied(
        self, need: Need, consumer_version: Version, provider_version: Version | None
    ) -> bool:
        """Whether `need` is met by its provider at `provider_version`."""
        if need.provider is None or provider_version is None:
            return False
        return self._ok(need.kind, need.name, need.wanted, need.provider, provider_version)

    def _satisfied(
        self, kind: Kind, name: str, wanted: Range, provider: str, provider_version: Version
    ) -> bool:
        if kind == "requires":
            return wanted.allows(provider_version)
        provided = self.release(provider, provider_version).provides.get(name)
        return bool(provided) and any(wanted.allows(v) for v in provided or ())

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
