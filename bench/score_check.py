"""Score `ozrelease changelog check` against a hand classification made before it ran.

    python bench/score_check.py docs/check-measurement/held-out-2.yaml --data /work/data
    python bench/score_check.py docs/check-measurement/classification.yaml --set held-out

For each release of the classification (`repo: owner/name`, `range: PREV..TAG`), the clone
`--data/NAME` is checked out at TAG in a temporary git worktree and `ozrelease changelog check
--from PREV --to TAG --format json` runs there with the default configuration. `issue-missing`
findings are matched with the classification's issue items by issue (a bare `#12` is the
repository's own): right when the item is `undocumented`. `change-missing` findings name files
and variables, not the classification's free-text items, so they are listed beside the change
items for a person to score; the script counts them. No assertions: the figures are for people
(docs/changelog-check.md).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml


def issue_key(ref: str, own: str) -> str:
    """`#12`, `12`, `owner/name#12` and `name#12` as `name#12` (bare: the own repository's)."""
    ref = ref.strip()
    repo, sep, number = ref.rpartition("#")
    if not sep:
        repo, number = "", ref
    name = repo.rsplit("/", 1)[-1] if repo else own
    return f"{name.lower()}#{number}"


def run_check(clone: Path, since: str, to: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="score-") as tmp:
        tree = Path(tmp) / clone.name  # (named as the clone: a local clone knows itself so)
        add = ["git", "-C", str(clone), "worktree", "add", "--quiet", "--detach"]
        if subprocess.run([*add, str(tree), to]).returncode != 0:
            # A clone whose snapshot lacks a large file: check out the rest, and have git
            # take the missing files for unchanged.
            subprocess.run(["git", "-C", str(clone), "worktree", "prune"], check=True)
            subprocess.run([*add, "--no-checkout", str(tree), to], check=True)
            subprocess.run(["git", "reset", "--quiet"], cwd=tree, check=True)
            subprocess.run(["git", "checkout-index", "--all", "--force"], cwd=tree)
            missing = subprocess.run(
                ["git", "ls-files", "--deleted", "-z"], cwd=tree, capture_output=True, check=True
            ).stdout.split(b"\0")
            for path in filter(None, missing):
                subprocess.run(["git", "update-index", "--skip-worktree", path], cwd=tree)
        try:
            done = subprocess.run(
                [
                    "ozrelease",
                    "changelog",
                    "check",
                    "--from",
                    since,
                    "--to",
                    to,
                    "--format",
                    "json",
                ],
                cwd=tree,
                capture_output=True,
                text=True,
            )
        finally:
            subprocess.run(
                ["git", "-C", str(clone), "worktree", "remove", "--force", str(tree)], check=True
            )
    if done.returncode not in (0, 1):
        return {"error": done.stderr.strip() or f"exit {done.returncode}", "findings": []}
    result: dict[str, object] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("classification", type=Path)
    parser.add_argument("--data", type=Path, default=Path(".."), help="folder of the clones")
    parser.add_argument("--set", dest="only", help="only releases of this set")
    args = parser.parse_args()
    releases = yaml.safe_load(args.classification.read_text(encoding="utf-8"))["releases"]
    totals = {"issue": [0, 0, 0], "change": [0, 0]}  # found, right, truths / found, truths
    for release in releases:
        if args.only and release.get("set") != args.only:
            continue
        owner_name = release["repo"]
        own = owner_name.rsplit("/", 1)[-1]
        since, _, to = release["range"].partition("..")
        items = release["items"]
        result = run_check(args.data / own, since, to)
        findings = result.get("findings", [])
        assert isinstance(findings, list)
        truths = {issue_key(i["ref"], own): i["class"] for i in items if i["kind"] == "issue"}
        undocumented = {k for k, c in truths.items() if c == "undocumented"}
        found = [f for f in findings if f["kind"] == "issue-missing"]
        keys = {issue_key(str(f["issue"]), own) for f in found}
        right = keys & undocumented
        changes = [f for f in findings if f["kind"] == "change-missing"]
        change_truths = [i for i in items if i["kind"] == "change" and i["class"] == "undocumented"]
        print(f"== {owner_name} {release['range']} ({release.get('set')})")
        if "error" in result:
            print(f"   error: {result['error']}")
        print(
            f"   issue-missing: found {len(keys)}, right {len(right)}, truths {len(undocumented)}"
        )
        for key in sorted(keys):
            print(f"     {key}: {truths.get(key, 'not classified')}")
        for key in sorted(undocumented - keys):
            print(f"     missed {key}")
        print(f"   change-missing: found {len(changes)}, truths {len(change_truths)}")
        for finding in changes:
            print(f"     finding: {finding['message']}")
        for item in change_truths:
            print(f"     truth: {item['ref']}")
        totals["issue"][0] += len(keys)
        totals["issue"][1] += len(right)
        totals["issue"][2] += len(undocumented)
        totals["change"][0] += len(changes)
        totals["change"][1] += len(change_truths)
    found, right, truths = totals["issue"]
    print(f"issue-missing over all: {found} found, {right} right, {truths} truths")
    print(f"change-missing over all: {totals['change'][0]} found, {totals['change'][1]} truths")
    sys.exit(0)


if __name__ == "__main__":
    main()
