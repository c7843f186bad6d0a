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
