"""`manifest refresh --write`: the derived facts written into the manifest, every comment kept."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ozrelease.atomic import write_atomic
from ozrelease.ecosystem.refresh.model import Change, DerivedRelease, Refresh, printable
from ozrelease.errors import InputError
from ozrelease.inputs import read_text
from ozrelease.versions import Version, parse_version

# Kinds of change --write applies; `differs` (an inference against the manifest),
# `missing-tag` and `not-derived` are left for a person.
APPLIED = frozenset({"new-release", "added", "changed"})


def _yaml(mapping: int = 2, offset: int = 2) -> Any:
    # ruamel.yaml round-trips a manifest byte for byte (comments, quotes, flow maps, key
    # order), which is what lets --write touch only the facts it writes.
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line that was one line
    yaml.indent(mapping=mapping, sequence=offset + 2, offset=offset)
    return yaml


# The indentations people write manifests in: the bundled manifests' (`releases:` then
# `  - version:`), sequences flush with their key (`- version:`), and four spaces.
_STYLES = ((2, 2), (2, 0), (4, 2), (4, 4), (4, 0))


def _styled(text: str, path: Path) -> tuple[Any, str]:
    """The YAML instance in the file's own indentation, and the file as it round-trips
    unchanged (what `_kept` aligns the written file with)."""
    best: tuple[int, Any, str] | None = None
    lines = text.splitlines()
    for mapping, offset in _STYLES:
        yaml = _yaml(mapping, offset)
        out = io.StringIO()
        yaml.dump_all(_load(yaml, text, path), out)
        same = sum(1 for a, b in zip(lines, out.getvalue().splitlines(), strict=False) if a == b)
        if best is None or same > best[0]:
            best = (same, yaml, out.getvalue())
        if out.getvalue() == text:
            break
    assert best is not None
    return best[1], best[2]


def _kept(original: str, before: str, after: str) -> str:
    """`after` with every line it did not change taken from the file as it was, so that
    what ruamel.yaml only re-spells (`[{version: "12"}]`, spaces after a colon, a CRLF
    line end, a byte order mark, another document of the file) stays as the person wrote
    it. `before` is the unchanged file as ruamel.yaml writes it; where it does not align
    line for line with the original, or the result would read differently, `after`."""
    from difflib import SequenceMatcher

    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    old = original.splitlines(keepends=True)
    was = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    if len(old) != len(was):
        return after
    crlf = bool(old) and all(line.endswith("\r\n") for line in old)
    lines: list[str] = []
    matcher = SequenceMatcher(None, was, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            lines.extend(old[i1:i2])
        else:
            lines.extend(line[:-1] + "\r\n" if crlf else line for line in new[j1:j2])
    merged = "".join(lines)
    safe = YAML(typ="safe", pure=True)
    try:
        if list(safe.load_all(merged)) == list(safe.load_all(after)):
            return merged
    except YAMLError:  # any doubt: the plain round trip, which reads as it should
        pass
    return after


def write(result: Refresh, path: Path) -> int:
    """Apply `result`'s changes to the manifest file at `path`, atomically; the number of
    facts written (0: the file is left untouched). When another run wrote the file between
    our read and our rename, nothing is written (ChangedError, exit 2)."""
    text = _read(path)
    applied = [c for c in result.changes if c.kind in APPLIED]
    if not applied:
        return 0
    derived = {r.label: r for r in result.releases}

    def edit(document: Any) -> int:
        if document.get("name") != result.component:
            raise InputError(
                f"the manifest changed since it was read (expected {result.component})",
                file=str(path),
            )
        releases = document.get("releases")
        if releases is None:
            from ruamel.yaml.comments import CommentedSeq

            releases = CommentedSeq()
            document["releases"] = releases
        written = 0
        for change in applied:
            assert change.version is not None
            release = derived[change.version]
            if change.kind == "new-release":
                _insert(releases, _new_release(release, result.origin))
                written += 1 + sum(1 for _ in _facts(release))
            else:
                item = _find(releases, release.version)
                if item is None:  # pragma: no cover - the comparison found it
                    continue
                written += _set(item, change, release)
        return written

    new, written = _edited(path, text, result.doc, result.component, edit)
    if written:
        write_atomic(path, new, expect=text)
    return written


# A line that starts or ends a YAML document (`---`, `...`), nothing else on it but a comment.
_MARKER = re.compile(r"^(?:---|\.\.\.)(?:[ \t]+#[^\n]*|[ \t]*)(?:\r?\n|$)", re.MULTILINE)
_ANY_MARKER = re.compile(r"^(?:---|\.\.\.)(?:[ \t]|\r?$)", re.MULTILINE)


def _chunks(text: str) -> list[str]:
    """The file cut at its document markers, markers kept as chunks of their own (joined,
    the file again), so that only the document edited is re-emitted: a header comment
    before the first `---`, an empty document, every other document stay as written.
    One chunk (the whole file) where a marker line holds content (`--- {a: 1}`)."""
    if len(_ANY_MARKER.findall(text)) != len(_MARKER.findall(text)):
        return [text]
    chunks: list[str] = []
    at = 0
    for match in _MARKER.finditer(text):
        chunks += [text[at : match.start()], match.group()]
        at = match.end()
    return [*chunks, text[at:]]


def _edited(
    path: Path, text: str, index: int, name: str, edit: Callable[[Any], int]
) -> tuple[str, int]:
    """`text` with its `index`-th document (empty ones not counted) changed by `edit`, and
    what `edit` returned; every other chunk of the file kept as it was."""
    chunks = _chunks(text)
    seen = 0
    for number, chunk in enumerate(chunks):
        if _MARKER.fullmatch(chunk) and len(chunks) > 1:
            continue
        yaml, before = _styled(chunk, path)
        documents = _load(yaml, chunk, path)
        present = [d for d in documents if d is not None]
        if index >= seen + len(present):
            seen += len(present)
            continue
        written = edit(present[index - seen])
        out = io.StringIO()
        yaml.dump_all(documents, out)
        chunks[number] = _ended(_kept(chunk, before, out.getvalue()))
        return "".join(chunks), written
    raise InputError(f"no document {index} for {name}", file=str(path))


def _read(path: Path) -> str:
    return read_text(path, newline="")  # a regular file only; CRLF stays CRLF


def _load(yaml: Any, text: str, path: Path) -> list[Any]:
    """Every document of the file, for a round trip; a file that changed into something
    ruamel.yaml cannot read since the manifests were loaded is an input error."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        return list(yaml.load_all(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise InputError(f"cannot edit: {exc.problem}", file=str(path), line=line) from None
    except YAMLError as exc:
        raise InputError(f"cannot edit: {exc}", file=str(path)) from None


def _ended(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def _find(releases: Any, version: Version) -> Any:
    for item in releases:
        try:
            if parse_version(str(item.get("version"))) == version:
                return item
        except ValueError:
            continue
    return None


def _insert(releases: Any, item: Any) -> None:
    """Insert by version order, after the newest older release."""
    version = parse_version(str(item["version"]))
    position = len(releases)
    for index, existing in enumerate(releases):
        try:
            if parse_version(str(existing.get("version"))) > version:
                position = index
                break
        except ValueError:
            continue
    releases.insert(position, item)


def _facts(release: DerivedRelease) -> Any:
    for key in ("provides", "requires", "upgradeFrom", "eol", "chart"):
        fact = release.fact(key)
        if fact is not None and fact.value is not None:
            yield key, fact


def _new_release(release: DerivedRelease, origin: str) -> Any:
    from ruamel.yaml.comments import CommentedMap

    item = CommentedMap()
    item["version"] = _quoted(release.label)
    _comment(item, "version", f"# source: {origin} git tag {release.tag}")
    item["date"] = _node("date", release.date)
    _comment(item, "date", "# source: git tag date")
    for key, fact in _facts(release):
        item[key] = _node(key, fact.value)
        _comment(item, key, f"# {fact.source}")
    return item


def _set(item: Any, change: Change, release: DerivedRelease) -> int:
    key = change.field
    assert key is not None
    if key == "date":
        value: Any = release.date
        comment = "# source: git tag date"
    else:
        fact = release.fact(key)
        if fact is None:
            return 0
        if fact.value is None:
            return 0  # "no key matches": nothing to write, the old value is reported
        value = fact.value
        if key in {"requires", "provides"} and isinstance(item.get(key), dict):
            # the entries the repository does not show stay as written
            merged = dict(item[key])
            merged.update(value)
            value = {k: v if isinstance(v, list) else str(v) for k, v in merged.items()}
        comment = f"# {fact.source}"
    if key in item:
        item.ca.items.pop(key, None)  # the old source comment goes with the old value
        item[key] = _node(key, value)
    else:
        _place(item, key, _node(key, value))
    _comment(item, key, comment)
    return 1


_ORDER = (
    *("version", "date", "provides", "consumes", "requires", "upgradeFrom", "reversible"),
    *("eol", "chart", "notes", "actions", "deploy"),
)


def _place(item: Any, key: str, value: Any) -> None:
    """Insert a new key where the manifests put it (version, date, provides, ...)."""
    rank = _ORDER.index(key) if key in _ORDER else len(_ORDER)
    position = len(item)
    for index, existing in enumerate(item):
        if existing in _ORDER and _ORDER.index(existing) > rank:
            position = index
            break
    item.insert(position, key, value)


def _comment(item: Any, key: Any, text: str, *, slot: int = 2) -> None:
    """`value  # text` on the line of `key`, two spaces before the `#` as the manifests have
    it (the emitter writes one, the token the other; ruamel.yaml's own placement aligns to
    a column instead)."""
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    text = printable(text)  # a newline in a comment would start YAML of its own
    token = CommentToken(f" {text}\n", CommentMark(0), None)
    entry: list[Any] = [None, None, None, None]
    entry[slot] = token  # a mapping keeps a value's comment in slot 2, a sequence in 0
    item.ca.items[key] = entry


def _quoted(text: str) -> Any:
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    return DoubleQuotedScalarString(text)


def _node(key: str, value: Any) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, bool):
        return value
    if isinstance(value, dt.date):
        # a fresh object per fact: ruamel.yaml writes one object met twice as an anchor
        # and an alias (`eol: &id001 ...`, `eol: *id001`), which a person editing one
        # release's date would silently change for the other
        return dt.date(value.year, value.month, value.day)
    if isinstance(value, dict):
        node = CommentedMap()
        for name, inner in value.items():
            if isinstance(inner, list):
                seq = CommentedSeq(_quoted(str(v)) for v in inner)
                seq.fa.set_flow_style()
                node[name] = seq
            else:
                node[name] = _quoted(str(inner))
        node.fa.set_flow_style()
        return node
    return _quoted(str(value))


def write_api(result: Any, path: Path) -> int:
    """Add the new published versions of a standard to its API document's `versions`."""
    text = _read(path)

    def edit(document: Any) -> int:
        if document.get("name") != result.api or not result.new:
            return 0
        versions = document.get("versions")
        if versions is None:
            from ruamel.yaml.comments import CommentedSeq

            versions = CommentedSeq()
            versions.fa.set_flow_style()
            document["versions"] = versions
        for label in result.new:
            version = parse_version(label)
            position = len(versions)
            for index, existing in enumerate(versions):
                if parse_version(str(existing)) > version:
                    position = index
                    break
            versions.insert(position, _quoted(label))
            if not versions.fa.flow_style():
                tag = result.tags.get(label, label)
                _comment(versions, position, f"# source: {result.origin} git tag {tag}", slot=0)
        return len(result.new)

    new, written = _edited(path, text, result.doc, result.api, edit)
    if written:
        write_atomic(path, new, expect=text)
    return written
