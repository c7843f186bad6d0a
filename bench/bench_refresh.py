"""Measure `manifest refresh` on the bundled components' own repositories: how many of the
hand-curated facts it derives the same, which it does not, and how long each takes.

    python bench/bench_refresh.py --clones DIR --charts DIR [--runs 3] [--details]

DIR holds one clone per component repository, named after the repository (open-zaak,
open-notificaties, open-forms, objects-api, objecttypes-api, open-klant, open-archiefbeheer,
open-inwoner); a bare mirror is fine. --charts is a clone of maykinmedia/charts with its
gh-pages branch. The manifests are the bundled ones (or --manifests).

Per component and fact (releases found, dates, provides, upgradeFrom, chart) it counts:
agree (the manifest and the repository say the same), disagree (both say something, and it
differs, or one has a release the other lacks), and not derived (the manifest has a fact
the repository does not show: hand-curated from a changelog or an inference, or a release
newer than the clone's newest tag). With --charts, "no published chart ships this release"
is a derived answer. Agreement is agree / (agree + disagree). --details lists every disagreement.
Times are medians of --runs runs of the refresh itself (reading tags, documents and the
chart index; the manifests are loaded once). No assertions: the figures are for people.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

from ozrelease.ecosystem import load
from ozrelease.ecosystem.refresh import manifest_value, refresh, same

# component -> (repository folder, extra options the manifest cannot tell)
COMPONENTS: dict[str, tuple[str, dict[str, Any]]] = {
    "open-zaak": ("open-zaak", {}),
    "open-notificaties": ("open-notificaties", {}),
    "open-forms": ("open-forms", {}),
    "open-object": (
        "objects-api",
        {"apis": {"src/objects/api": "objecten", "src/objecttypes/api": "objecttypen"}},
    ),
    "objecttypes-api": ("objecttypes-api", {}),
    "open-klant": ("open-klant", {}),
    "open-archiefbeheer": ("open-archiefbeheer", {}),
    "open-inwoner": ("open-inwoner", {}),
}
FACTS = ("release", "date", "provides", "upgradeFrom", "chart")


def measure(component: Any, derived: Any) -> tuple[dict[str, list[int]], list[str]]:
    """counts[fact] = [agree, disagree, not derived]; and the disagreements."""
    counts = {fact: [0, 0, 0] for fact in FACTS}
    notes: list[str] = []
    by_version = {r.version: r for r in derived.releases}
    floor = derived.releases[0].version if derived.releases else None
    newest = derived.releases[-1].version if derived.releases else None
    for release in component.releases:
        if release.version.is_prerelease or (floor is not None and release.version < floor):
            continue
        found = by_version.get(release.version)
        if found is None and newest is not None and release.version > newest:
            # after the snapshot's newest tag: known to the manifest from elsewhere (a chart
            # index, a changelog of a renamed repository); this clone cannot say
            counts["release"][2] += 1
            continue
        if found is None:
            counts["release"][1] += 1
            notes.append(f"{release.label}: in the manifest, no final tag")
            continue
        counts["release"][0] += 1
        for fact in FACTS[1:]:
            old = manifest_value(release, fact)
            if fact == "date":
                new: Any = found.date
                sourced = True
            else:
                derived_fact = found.fact(fact)
                # with --charts, "no published chart ships it" is an answer too
                sourced = derived_fact is not None or fact == "chart"
                new = derived_fact.value if derived_fact is not None else None
                if fact == "provides" and isinstance(old, dict) and isinstance(new, dict):
                    old = {k: v for k, v in old.items() if k in new} or None
            if old is None and new is None:
                continue
            if not sourced:
                counts[fact][2] += 1
            elif old is not None and new is not None and same(fact, old, new):
                counts[fact][0] += 1
            else:
                counts[fact][1] += 1
                notes.append(f"{release.label}: {fact} manifest {old} / repository {new}")
    known = {r.version for r in component.releases}
    for release in derived.releases:
        if release.version not in known:
            counts["release"][1] += 1
            notes.append(f"{release.label}: tagged, not in the manifest")
    return counts, notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clones", type=Path, required=True)
    parser.add_argument("--charts", type=Path, required=True)
    parser.add_argument("--manifests", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--details", action="store_true")
    args = parser.parse_args()
    ecosystem = load.load(args.manifests)
    total = {fact: [0, 0, 0] for fact in FACTS}
    print(f"{'component':<20}" + "".join(f"{f:>16}" for f in FACTS) + f"{'time':>9}")
    details = []
    for name, (folder, options) in COMPONENTS.items():
        component = ecosystem.components[name]
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            derived = refresh(
                component,
                args.clones / folder,
                charts=args.charts,
                known=set(ecosystem.components),
                **options,
            )
            times.append(time.perf_counter() - start)
        counts, notes = measure(component, derived)
        details.extend(f"{name} {n}" for n in notes)
        for fact in FACTS:
            total[fact] = [a + b for a, b in zip(total[fact], counts[fact], strict=True)]
        cells = "".join(f"{'/'.join(map(str, counts[f])):>16}" for f in FACTS)
        print(f"{name:<20}{cells}{statistics.median(times):>8.2f}s")
    cells = "".join(f"{'/'.join(map(str, total[f])):>16}" for f in FACTS)
    print(f"{'total':<20}{cells}")
    agree = sum(c[0] for c in total.values())
    disagree = sum(c[1] for c in total.values())
    underived = sum(c[2] for c in total.values())
    print(
        f"agree/disagree/not derived: {agree}/{disagree}/{underived}; "
        f"agreement {100 * agree / max(1, agree + disagree):.1f}%"
    )
    if args.details:
        print()
        print("\n".join(details))


if __name__ == "__main__":
    main()
