"""Compare generated changelog sections with the ones maintainers wrote, release by release.

    python bench/measure_sections.py --repo ../open-zaak 1.22.0..1.23.0 1.23.0..1.24.0
    python bench/measure_sections.py --repo ../commitizen v4.16.4..v4.16.5 --json

For each range FROM..TO the repository is checked out at TO in a temporary work tree, the
section for TO (and every newer one) is cut out of its changelog, so the generator learns only
from sections released before, and `changelog generate --from FROM --to TO --version TO` runs
there. The maintainers' section for TO is read from the changelog as it was at TO.

Per release it prints:
- issue recall: the issues (and pull requests) the maintainers' section names that the
  generated one names too;
- entries: how many of the maintainers' entries the generated section has (by issue, request
  or most of their words; commit links and hashes are no words);
- same section: of the issues found, how many stand under a heading of the same name (for a
  section that names no issue or request at all, of its entries matched by words);
- extra entries: generated entries that name nothing the maintainers' section names and whose
  words match none of its entries: the entries maintainers left out, each one a deletion a
  release manager would have to make before publishing.
No assertions: the figures are for people (docs/changelog.md has the last run).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from ozrelease.changelog import files
from ozrelease.changelog.config import load_config
from ozrelease.changelog.generate import generate, resolve_style
from ozrelease.changelog.messages import find_issue_refs, parse_message
from ozrelease.history import History
from ozrelease.versions import tag_version

_WORD = re.compile(r"[a-z0-9_]{3,}")
_NUMBER_IN_TEXT = re.compile(r"(?:PR#|#|pull/)(\d+)")
_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "from",
        "into",
        "when",
        "that",
        "this",
        "add",
        "fix",
        "use",
        "not",
        "are",
        "was",
        "has",
        "have",
    ]
)


def words(text: str) -> set[str]:
    text = _LINK.sub(" ", text)  # (a commit link says nothing: python-semantic-release's)
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


_LINK = re.compile(r"https?://\S+|\b[0-9a-f]{7,40}\b")


def kind(title: str) -> str:
    """A heading as a kind of section: its words, `project` left out (`Project maintenance`
    and `Maintenance` are one kind)."""
    return " ".join(sorted(words(re.sub(r"[^\w\s]", " ", title)) - {"project"}))


# Sphinx roles for this repository's own pull requests and issues (`[:pr:`38`]`, open-afval):
# no repository of that name.
_OWN_ROLES = {"pr", "pull", "pulls", "pull-request", "mr", "issue", "issues", "gh"}


def key(issue: str) -> str:
    repo, sep, number = issue.rpartition("#")
    name = repo.rsplit("/", 1)[-1].lower()
    return f"{'' if name in _OWN_ROLES else name}#{number}" if sep else f"#{issue}"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def measure(repo: Path, since: str, to: str) -> dict[str, object]:
    history = History(repo)
    config = load_config(history.root)
    style = resolve_style(history, config)
    changelog = style.path.as_posix()
    text_at_to = git(repo, "show", f"{to}:{changelog}")
    theirs_file = files.parse_changelog(
        text_at_to, style.format, roles=style.roles, own_repo=style.own_repo
    )
    version = tag_version(to)
    label = str(version) if version is not None else to.lstrip("v")  # (`release/0.4.0`)
    theirs = theirs_file.section(to) or theirs_file.section(label)
    if theirs is None:
        raise SystemExit(f"{changelog} at {to} has no section for {to}")
    with tempfile.TemporaryDirectory(prefix="measure-") as tmp:
        tree = Path(tmp) / repo.name  # (named as the clone: a local clone knows itself so)
        git(repo, "worktree", "add", "--quiet", "--detach", str(tree), to)
        try:
            lines = text_at_to.splitlines(keepends=True)
            earlier = [s for s in theirs_file.sections if s.start > theirs.end]
            cut = lines[: theirs_file.sections[0].start - 1] if theirs_file.sections else []
            if earlier:
                cut += lines[earlier[0].start - 1 :]
            (tree / changelog).write_text("".join(cut), encoding="utf-8")
            ours = generate(History(tree), since=since, to=to, version=label)
            requests = {
                c.sha: parse_message(c.subject, c.body).requests
                for c in History(tree).commits(to, since=since, files=False)
            }
        finally:
            git(repo, "worktree", "remove", "--force", str(tree))
    # What the maintainers' section names, entry by entry, with its heading.
    their_entries = []
    for entry in theirs.entries:
        keys = {key(i) for i in entry.issues}
        keys |= {f"#{n}" for n in _NUMBER_IN_TEXT.findall(entry.text)}
        keys |= {key(r.id(style.own_repo)) for r in find_issue_refs(entry.text)}
        their_entries.append((keys, kind(entry.category or ""), words(entry.text)))
    their_keys = {k for keys, _, _ in their_entries for k in keys}
    heading_of: dict[str, set[str]] = {}
    for keys, heading, _ in their_entries:
        for k in keys:
            heading_of.setdefault(k, set()).add(heading)  # (listed under several: any counts)
    our_keys: dict[str, str] = {}
    extra = []
    total = 0
    for section in ours.changelog.sections:
        for entry in section.entries:
            total += 1
            keys = {key(i) for i in entry.issues}
            keys |= {f"#{n}" for sha in entry.commits for n in requests.get(sha, ())}
            for k in keys:
                our_keys.setdefault(k, kind(section.title))
            named = keys & their_keys
            said = words(entry.text)
            matched = named or any(
                len(said & theirs_words) >= max(2, 0.5 * len(said))
                for _, _, theirs_words in their_entries
            )
            if not matched:
                extra.append(f"{section.title}: {entry.text}")
    our_words = [(words(e.text), kind(s.title)) for s in ours.changelog.sections for e in s.entries]
    our_words += [
        (words(i.text), kind(s.title))
        for s in ours.changelog.sections
        for e in s.entries
        for i in e.items
    ]
    entry_hits = 0
    by_words: list[bool] = []  # their entries without keys matched by words: same heading?
    for keys, heading, theirs_words in their_entries:
        if keys & set(our_keys):
            entry_hits += 1
            continue
        hits = [h for w, h in our_words if len(w & theirs_words) >= max(2, 0.5 * len(theirs_words))]
        if hits:
            entry_hits += 1
            if not keys and heading:
                by_words.append(heading in hits)
    found = their_keys & set(our_keys)
    headed = [k for k in found if heading_of[k] - {""}]  # (entries under no heading: no say)
    same = [k for k in headed if our_keys[k] in heading_of[k]]
    # Sections that name no issue or request (commit links only): the same heading is
    # measured over the entries matched by their words instead.
    same_share = (
        len(same) / len(headed)
        if headed
        else (sum(by_words) / len(by_words) if by_words and not their_keys else None)
    )
    return {
        "release": to,
        "range": f"{since}..{to}",
        "theirIssues": len(their_keys),
        "recalled": len(found),
        "recall": round(len(found) / len(their_keys), 3) if their_keys else None,
        "theirEntries": len(their_entries),
        "entryRecall": round(entry_hits / len(their_entries), 3) if their_entries else None,
        "sameSection": round(same_share, 3) if same_share is not None else None,
        "entries": total,
        "extra": len(extra),
        "extraShare": round(len(extra) / total, 3) if total else 0.0,
        "missed": sorted(their_keys - set(our_keys)),
        "otherSection": sorted(
            f"{k}: theirs {sorted(heading_of[k])}, ours {our_keys[k]!r}"
            for k in headed
            if k not in same
        ),
        "extraEntries": extra,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument("ranges", nargs="+", metavar="FROM..TO")
    parser.add_argument("--json", action="store_true", help="one JSON object per release")
    parser.add_argument("--details", action="store_true", help="list misses and extras")
    args = parser.parse_args()
    for spec in args.ranges:
        since, _, to = spec.partition("..")
        result = measure(args.repo.resolve(), since, to)
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
            continue
        recall = result["recall"]
        same = result["sameSection"]
        entry_recall = result["entryRecall"]  # (None: their section has no entries)
        print(
            f"{result['range']:>22}  recall {result['recalled']}/{result['theirIssues']}"
            f" ({'-' if recall is None else f'{recall:.0%}'})"
            f"  entries {'-' if entry_recall is None else f'{entry_recall:.0%}'}"
            f" of {result['theirEntries']}"
            f"  same section {'-' if same is None else f'{same:.0%}'}"
            f"  extra {result['extra']}/{result['entries']} ({result['extraShare']:.0%})"
        )
        if args.details:
            for name in ("missed", "otherSection", "extraEntries"):
                for item in result[name]:  # type: ignore[attr-defined]
                    print(f"    {name}: {item}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
