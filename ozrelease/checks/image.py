"""The runtime image among the `dependencies`: the base image the container runs on (a
Dockerfile's last `FROM`), by Python version and Debian release, as operators read it."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ozrelease.checks.context import Context
from ozrelease.checks.files import FileVersions, Watched
from ozrelease.checks.named import Named, in_order, report_names, touching
from ozrelease.checks.section_text import SectionText

_FROM = re.compile(r"^\s*FROM\s+(?:--\S+\s+)*(?P<image>\S+)", re.I | re.M)
_PYTHON = re.compile(r"(?:^|/)python:(?P<version>\d+\.\d+)")
# Distribution releases an image tag names, with the number people also write ("Debian 12").
_RELEASES = {
    "buster": "debian 10",
    "bullseye": "debian 11",
    "bookworm": "debian 12",
    "trixie": "debian 13",
    "forky": "debian 14",
    "jammy": "ubuntu 22.04",
    "noble": "ubuntu 24.04",
    "alpine": "alpine",
}


def is_dockerfile(path: str) -> bool:
    return path.rpartition("/")[2] == "Dockerfile"


def runtime_image(text: str | None) -> str | None:
    """The image of a Dockerfile's last stage (`python:3.12-slim-bookworm`), the one that
    runs; None without one or with a variable for it (`FROM ${BASE}`)."""
    if text is None:
        return None
    images = _FROM.findall(text)
    if not images or "$" in images[-1]:
        return None
    return str(images[-1])


def _parts(image: str) -> tuple[str | None, str | None]:
    """(Python version, distribution release) an image names, as far as it names them."""
    python = _PYTHON.search(image)
    tag = image.rpartition(":")[2].lower()
    release = next((r for r in _RELEASES if r in tag), None)
    return (python.group("version") if python else None), release


def image_changes(versions: FileVersions, paths: set[str]) -> dict[str, tuple[str, set[str]]]:
    """What changed in the runtime image of each Dockerfile: `python 3.10 -> 3.12`, `debian
    bullseye -> bookworm`; a patch or digest bump of the same Python and release is none."""
    out: dict[str, tuple[str, set[str]]] = {}
    for path in sorted(paths):
        if path not in versions or not is_dockerfile(path):
            continue
        before, after = (runtime_image(text) for text in versions[path])
        if before is None or after is None or before == after:
            continue
        (old_python, old_release), (new_python, new_release) = _parts(before), _parts(after)
        if old_python and new_python and old_python != new_python:
            out.setdefault(f"python {new_python}", (f"{before} -> {after}", set()))[1].add(path)
        if old_release and new_release and old_release != new_release:
            out.setdefault(new_release, (f"{before} -> {after}", set()))[1].add(path)
    return out


def names_image(text: SectionText, name: str) -> bool:
    """Whether the section says the new Python version (`3.12`, with "Python" in the same
    entry) or the new release (`trixie`, "Debian 13")."""
    if name.startswith("python "):
        version = re.escape(name.removeprefix("python "))
        pattern = re.compile(rf"(?<![\d.]){version}(?![\d])")
        return any(pattern.search(block) and "python" in block.lower() for block, _ in text.blocks)
    number = r"\s+".join(map(re.escape, _RELEASES.get(name, name).split()))
    return bool(
        re.search(rf"\b{re.escape(name)}\b", text.text, re.I)
        or re.search(rf"\b{number}(?!\d|\.\d)", text.text, re.I)
    )


def check_image(
    versions: FileVersions,
    attributed: Mapping[str, set[str]],
    entry: Watched,
    context: Context,
    order: Mapping[str, int],
) -> None:
    """A new Python version or distribution release of the runtime image must be said; the
    release that came with a new Python version the section names is said with it ("Moved
    the project from Python 3.9 to Python 3.10" for python:3.10-slim-bookworm)."""
    changes = image_changes(versions, entry.files)
    said = {
        path
        for name, (_, files) in changes.items()
        if name.startswith("python ")
        and (
            names_image(context.section, name)
            or context.elsewhere(lambda text, n=name: names_image(text, n)) is not None  # type: ignore[misc]
        )
        for path in files
    }
    items = [
        Named(
            name,
            what,
            tuple(sorted(files)),
            in_order(attributed.get(name) or touching(entry, files), order),
        )
        for name, (what, files) in changes.items()
        if not names_image(context.section, name)
        and (name.startswith("python ") or not files <= said)
    ]
    report_names("dependencies", items, context, names_image, kind="image")
