"""Synthetic ecosystems for the benchmarks, written as real manifest files."""

from __future__ import annotations

from pathlib import Path


def layered(
    folder: Path,
    components: int,
    *,
    layers: int = 10,
    releases: int = 4,
    providers_per_consumer: int = 2,
) -> Path:
    """`components` in `layers` layers; each consumes the API of a few components of the
    layer below. Release r provides its API at version 1.r and accepts providers at 1.r or
    one release ahead (1.r+1). No release may be skipped. Everything is deployed at its
    oldest release and targeted at `latest`."""
    folder.mkdir(parents=True, exist_ok=True)
    per_layer = components // layers
    names = [[f"c{layer}-{i}" for i in range(per_layer)] for layer in range(layers)]
    apis = []
    deployed = []
    for layer, row in enumerate(names):
        lines = []
        for i, name in enumerate(row):
            published = ", ".join(f"1.{r}" for r in range(releases))
            apis.append(f"kind: API\nname: api-{name}\nversions: [{published}]\n")
            below = names[layer - 1] if layer else []
            used = (
                [below[(i + k) % len(below)] for k in range(providers_per_consumer)]
                if below
                else []
            )
            doc = [f"kind: Component\nname: {name}\nreleases:"]
            for r in range(releases):
                doc.append(f"  - version: '1.{r}.0'")
                doc.append(f"    provides: {{api-{name}: '1.{r}'}}")
                if used:
                    consumes = ", ".join(f"api-{u}: '>=1.{r},<=1.{r + 1}'" for u in used)
                    doc.append(f"    consumes: {{{consumes}}}")
                if r:
                    doc.append(f"    upgradeFrom: '==1.{r - 1}.0'")
            lines.append("\n".join(doc) + "\n")
            deployed.append(f"  {name}: '1.0.0'")
        (folder / f"layer-{layer}.yaml").write_text("---\n".join(lines), encoding="utf-8")
    (folder / "apis.yaml").write_text("---\n".join(apis), encoding="utf-8")
    (folder / "env.yaml").write_text(
        "kind: Environment\nname: fleet\ndeployed:\n"
        + "\n".join(deployed)
        + "\ntargets: {"
        + ", ".join(f"{n}: latest" for row in names for n in row)
        + "}\n",
        encoding="utf-8",
    )
    return folder


def wide(folder: Path, components: int, releases: int, *, rich: bool = True) -> Path:
    """`components` with `releases` each, for the loader benchmark. Every release has a
    version, a date, an API provided and one consumed; `rich` adds what the bundled
    manifests also carry: a required component, and every fifth release an upgrade path
    and a note."""
    folder.mkdir(parents=True, exist_ok=True)
    apis = [f"kind: API\nname: api-{c}\nversions: ['1.0.0']\n" for c in range(components)]
    (folder / "apis.yaml").write_text("---\n".join(apis), encoding="utf-8")
    pg = ["kind: Component\nname: postgresql\nreleases:"] + [
        f"  - version: '{v}'" for v in range(12, 19)
    ]
    docs = ["\n".join(pg) + "\n"]
    for c in range(components):
        doc = [
            f"kind: Component\nname: comp-{c}\ntitle: Component {c}\n"
            f"repository: https://example.org/comp-{c}\nreleases:"
        ]
        for r in range(releases):
            doc.append(f"  - version: {1 + r // 10}.{r % 10}.0")
            doc.append(f"    date: 2025-{1 + r % 12:02d}-{1 + r % 28:02d}")
            doc.append(f"    provides: {{api-{c}: 1.0.0}}")
            if c:
                doc.append(f"    consumes: {{api-{c - 1}: '>=1.0,<2'}}")
            if rich:
                doc.append("    requires: {postgresql: '>=14'}")
            if rich and r % 5 == 0:
                doc.append(f"    upgradeFrom: '>={1 + max(r - 5, 0) // 10}.0'")
                doc.append("    notes: Data migration; take a backup first.")
        docs.append("\n".join(doc) + "\n")
    for start in range(0, len(docs), 100):
        (folder / f"components-{start // 100:03d}.yaml").write_text(
            "---\n".join(docs[start : start + 100]), encoding="utf-8"
        )
    return folder


PATHS = ("strict", "skip-one", "free", "minimum")


def mixed(folder: Path, components: int, *, seed: int = 0) -> Path:
    """A layered ecosystem as hosting parties run them: `components` in layers, each with
    4-8 releases and its own kind of upgrade path (`strict`: no release may be skipped,
    like Open Forms; `skip-one`: at most one release skipped; `free`: any older release,
    like Open Zaak; `minimum`: one enforced stop halfway, like Open Klant). Every
    component's releases span API generations 0-7 of its own API; a consumer consumes 1-3
    APIs of the layer below and accepts providers within one to three generations of its
    own (its tolerance). Everything is deployed at its oldest release, compatible, and
    targeted at `latest`. Same seed, same files."""
    import random

    rng = random.Random(f"{seed}-{components}")
    folder.mkdir(parents=True, exist_ok=True)
    layers = max(3, min(10, components // 5))
    per_layer = [
        components // layers + (1 if i < components % layers else 0) for i in range(layers)
    ]
    names = [[f"m{layer}-{i}" for i in range(count)] for layer, count in enumerate(per_layer)]
    deployed = []
    for layer, row in enumerate(names):
        docs = []
        for name in row:
            count = rng.randint(4, 8)
            path = rng.choice(PATHS)
            tolerance = rng.randint(1, 3)
            below = names[layer - 1] if layer else []
            used = rng.sample(below, min(len(below), rng.randint(1, 3))) if below else []
            doc = [f"kind: Component\nname: {name}\nreleases:"]
            for r in range(count):
                generation = round(r * 7 / (count - 1))
                doc.append(f"  - version: '1.{r}.0'")
                doc.append(f"    provides: {{api-{name}: '1.{generation}'}}")
                if used:
                    low, high = max(0, generation - tolerance), generation + tolerance
                    accepted = ", ".join(f"api-{u}: '>=1.{low},<=1.{high}'" for u in used)
                    doc.append(f"    consumes: {{{accepted}}}")
                if r and path == "strict":
                    doc.append(f"    upgradeFrom: '==1.{r - 1}.0'")
                elif r > 1 and path == "skip-one":
                    doc.append(f"    upgradeFrom: '>=1.{r - 2}.0'")
                elif r > count // 2 and path == "minimum":
                    doc.append(f"    upgradeFrom: '>=1.{count // 2}.0'")
            docs.append("\n".join(doc) + "\n")
            deployed.append(f"  {name}: '1.0.0'")
        (folder / f"layer-{layer}.yaml").write_text("---\n".join(docs), encoding="utf-8")
    # Declared, so that the manifests load whether or not declaring an API is required.
    apis = [f"kind: API\nname: api-{n}\n" for row in names for n in row]
    (folder / "apis.yaml").write_text("---\n".join(apis), encoding="utf-8")
    (folder / "env.yaml").write_text(
        "kind: Environment\nname: mixed\ndeployed:\n"
        + "\n".join(deployed)
        + "\ntargets: {"
        + ", ".join(f"{n}: latest" for row in names for n in row)
        + "}\n",
        encoding="utf-8",
    )
    return folder


def many_releases(folder: Path, releases: int) -> Path:
    """One component with `releases` releases (default upgrade paths: any older one) and a
    consumer that accepts every one of them, deployed at the oldest, targeted at latest."""
    folder.mkdir(parents=True, exist_ok=True)
    doc = ["kind: Component\nname: big\nreleases:"]
    for r in range(releases):
        doc.append(f"  - version: '{1 + r // 1000}.{r % 1000}.0'")
        doc.append("    provides: {big-api: '1.0'}")
    consumer = (
        "kind: Component\nname: user\nreleases:\n  - version: '1.0.0'\n"
        "    consumes: {big-api: '>=1.0,<2'}\n"
    )
    api = "kind: API\nname: big-api\n"
    (folder / "big.yaml").write_text(
        "\n".join(doc) + "\n---\n" + consumer + "---\n" + api, encoding="utf-8"
    )
    (folder / "env.yaml").write_text(
        "kind: Environment\nname: many\ndeployed: {big: '1.0.0', user: '1.0.0'}\n"
        "targets: {big: latest}\n",
        encoding="utf-8",
    )
    return folder
