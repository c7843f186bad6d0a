"""The backport matrix: which fixes on the default branch reached which release line.

    fixes    = bug and security commits (the changelog's classifier) on the default branch
               since the oldest line branched off
    per line = the line's own commits (cherry-pick trailers, issue references) and their
               patch ids, read in one pass each; a fix is present on a line when
               - the line contains it (it predates the line's branch point), or
               - a line commit says `(cherry picked from commit <fix>)`, or the fix says it
                 was picked from a line commit (a forward port), or
               - a line commit has the same patch id (`git cherry-pick` without -x), or
               - a line commit references one of the fix's issues.

Which lines by default (the support policy): `[tool.ozrelease.release] lines` when set; else,
when the repository is a component of the manifests (`component`, or its `repository` URL is
the `origin` remote's), the lines with a release whose end of life has not passed (or that
have no release yet); else the newest `supported-lines` lines (2).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ozrelease.changelog.config import load_config
from ozrelease.changelog.generate import resolve_style
from ozrelease.changelog.grouping import Classifier
from ozrelease.changelog.messages import parse_message
from ozrelease.changelog.schema import Config, SectionRule
from ozrelease.changelog.style import repo_from_url
from ozrelease.changelog.vocabulary import FIX_GITMOJI, FIX_TYPES, SECURITY_GITMOJI, SECURITY_TYPES
from ozrelease.ecosystem.load import load as load_ecosystem
from ozrelease.ecosystem.model import Component, Ecosystem
from ozrelease.errors import ManifestError, UsageError
from ozrelease.history import History
from ozrelease.versions import Version

__all__ = [
    "JSON_FORMAT",
    "PRESENT",
    "Fix",
    "Line",
    "Matrix",
    "as_json",
    "backports",
    "fix_sections",
    "release_lines",
    "view",
]

JSON_FORMAT = "ozrelease-backports/1"
PRESENT, MISSING = "present", "missing"
# How a fix was found on a line, strongest first.
EVIDENCE = ("contained", "cherry-pick", "patch-id", "issue")
_DEFAULT_BRANCHES = ("main", "master", "develop")


@dataclass(frozen=True, order=True)
class Line:
    version: Version
    label: str
    """`1.28`: what the branch pattern's {major}.{minor} say."""
    branch: str
    """The ref read: `stable/1.28.x`, or `origin/stable/1.28.x` when only the remote has it."""


@dataclass(frozen=True)
class Fix:
    commit: str
    subject: str
    issues: tuple[str, ...]
    lines: Mapping[str, str]
    """Line label -> `present` or `missing`."""
    evidence: Mapping[str, str] = field(default_factory=dict)
    """Line label -> how it was found there (one of EVIDENCE), for present lines."""


@dataclass(frozen=True)
class Matrix:
    default_branch: str
    lines: tuple[Line, ...]
    fixes: tuple[Fix, ...]
    policy: str
    """Why these lines, in words."""
    notes: tuple[str, ...] = ()


# -- release lines ---------------------------------------------------------------------------


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    text = re.escape(pattern)
    text = text.replace(re.escape("{major}"), r"(?P<major>\d+)")
    text = text.replace(re.escape("{minor}"), r"(?P<minor>\d+)")
    return re.compile(rf"^(?:(?P<remote>[^/]+)/)?{text}$")


def release_lines(history: History, pattern: str) -> list[Line]:
    """Every release line with a branch (local, else on a remote, `origin` first), oldest
    first."""
    glob = pattern.replace("{major}", "*").replace("{minor}", "*")
    regex = _pattern_regex(pattern)
    found: dict[str, Line] = {}
    local = history.branches(glob)
    remote = sorted(
        history.branches(f"*/{glob}", remote=True),
        key=lambda b: (not b.startswith("origin/"), b),
    )
    for branch in [*local, *remote]:
        match = regex.match(branch)
        if match is None or (branch in remote and match.group("remote") is None):
            continue
        if branch in local and match.group("remote") is not None:
            continue  # a local branch named like origin/stable/1.2.x is not a remote one
        label = match.group("major")
        if match.groupdict().get("minor") is not None:
            label += "." + match.group("minor")
        if label not in found:
            found[label] = Line(Version(label), label, branch)
    return sorted(found.values())


def choose_lines(
    available: Sequence[Line],
    requested: Sequence[str] | None,
    config: Config,
    component: Component | None,
    on: dt.date,
) -> tuple[list[Line], str]:
    """The lines to check and why: `--lines`, else the configured ones, else the support
    policy (the component's end-of-life dates, else the newest `supported-lines`)."""
    by_label = {line.label: line for line in available}
    by_branch = {line.branch: line for line in available}
    known = ", ".join(by_label) or "none"
    wanted = requested if requested is not None else config.release.lines
    if wanted is not None:
        chosen = []
        for text in wanted:
            name = text.strip()
            line = by_label.get(name) or by_branch.get(name)
            if line is None:
                raise UsageError(
                    f"no release line {name!r}: no branch matches "
                    f"{config.release.branch_pattern} for it (lines: {known})"
                )
            if line not in chosen:
                chosen.append(line)
        why = "as asked" if requested is not None else "[tool.ozrelease.release] lines"
        return sorted(chosen), why
    if component is not None and any(r.eol is not None for r in component.releases):
        chosen = [line for line in available if _supported(line, component, on)]
        return chosen, f"supported on {on} by the end-of-life dates of {component.name}"
    count = config.release.supported_lines
    return list(available[-count:]), f"supported-lines: the newest {count}"


def _supported(line: Line, component: Component, on: dt.date) -> bool:
    size = len(line.version.release)
    releases = [r for r in component.releases if r.version.release[:size] == line.version.release]
    if not releases:
        return True  # not released yet: a line being prepared
    return any(r.eol is None or r.eol >= on for r in releases)


def component_for(history: History, config: Config, ecosystem: Ecosystem) -> Component | None:
    """The manifests' component this repository is: `component`, else the one whose
    `repository` is the origin remote."""
    if config.release.component is not None:
        name = config.release.component
        if name not in ecosystem.components:
            raise UsageError(
                f"[tool.ozrelease.release] component {name!r} is not in the manifests "
                f"({ecosystem.source})"
            )
        return ecosystem.components[name]
    remote = history.remote_url()
    own = repo_from_url(remote) if remote else None
    if own is None:
        return None
    for component in ecosystem.components.values():
        theirs = repo_from_url(component.repository) if component.repository else None
        if theirs is not None and theirs.lower() == own.lower():
            return component
    return None


def default_branch(history: History, config: Config) -> str:
    candidates = (
        (config.release.default_branch,) if config.release.default_branch else (_DEFAULT_BRANCHES)
    )
    local = set(history.branches())
    remote = set(history.branches(remote=True))
    for name in candidates:
        if name in local:
            return name
        if f"origin/{name}" in remote:
            return f"origin/{name}"
    raise UsageError(
        f"no default branch ({', '.join(candidates)}); set [tool.ozrelease.release] default-branch"
    )


# -- fixes -----------------------------------------------------------------------------------


def fix_sections(sections: Sequence[SectionRule]) -> frozenset[int]:
    """The changelog sections that hold fixes: those fed by fix or security types or the
    bug, ambulance, adhesive bandage or lock gitmoji."""
    return frozenset(
        index
        for index, rule in enumerate(sections)
        if rule.types & (FIX_TYPES | SECURITY_TYPES)
        or rule.gitmoji & (FIX_GITMOJI | SECURITY_GITMOJI)
    )


@dataclass
class _LineFacts:
    shas: set[str] = field(default_factory=set)
    picked: set[str] = field(default_factory=set)
    issues: set[str] = field(default_factory=set)
    patch_ids: set[str] = field(default_factory=set)
    outside: set[str] = field(default_factory=set)
    """Commits of the default branch that the line does not contain."""


def backports(
    history: History,
    *,
    lines: Sequence[str] | None = None,
    config: Config | None = None,
    ecosystem: Ecosystem | None = None,
    read_manifests: bool = False,
    manifests: Path | str | None = None,
    on: dt.date | None = None,
) -> Matrix:
    """The matrix of fixes against release lines (see the module docstring).

    With `read_manifests` (from `manifests`, None: the bundled ones) and no lines asked for
    or configured, the ecosystem is read for the support policy; when they cannot be read,
    the policy falls back to supported-lines with a note (an error when `component` is set).
    """
    config = config if config is not None else load_config(history.root)
    on = on or dt.date.today()
    notes = []
    if ecosystem is None and read_manifests and lines is None and config.release.lines is None:
        try:
            ecosystem = load_ecosystem(manifests)
        except ManifestError as exc:
            if config.release.component is not None:
                raise
            notes.append(
                f"the manifests could not be read ({exc.message}); the support policy "
                "falls back to supported-lines"
            )
    available = release_lines(history, config.release.branch_pattern)
    if not available:
        raise UsageError(
            f"no release lines: no branch matches {config.release.branch_pattern} "
            "(set [tool.ozrelease.release] branch-pattern)"
        )
    component = component_for(history, config, ecosystem) if ecosystem is not None else None
    chosen, policy = choose_lines(available, lines, config, component, on)
    main = default_branch(history, config)
    if not chosen:
        return Matrix(main, (), (), policy, tuple(notes))
    style = resolve_style(history, config)
    classifier = Classifier(config.changelog, style.sections, style.default_section)
    wanted = fix_sections(style.sections)
    own = style.own_repo
    oldest = chosen[0]

    candidates = []
    in_range: set[str] = set()
    for commit in history.commits(main, since=oldest.branch, files=False):
        in_range.add(commit.sha)
        if commit.is_merge:
            continue
        parsed = parse_message(commit.subject, commit.body, types=classifier.types)
        if classifier.is_internal(parsed) or classifier.section(parsed) not in wanted:
            continue
        issues = tuple(dict.fromkeys(ref.id(own) for ref in parsed.issues))
        candidates.append((commit.sha, commit.subject, issues, commit.cherry_picked_from))

    facts = (
        {
            line.label: _line_facts(
                history, line, main, classifier.types, own, in_range if line is oldest else None
            )
            for line in chosen
        }
        if candidates
        else {}
    )
    # Patch ids only where the cheaper evidence (the commit itself, a cherry-pick trailer)
    # does not settle it: diffs are the expensive part, and most commits in the range are
    # no fix at all.
    unsettled = [
        sha
        for sha, _, issues, picked_from in candidates
        if any(
            _evidence(facts[line.label], sha, issues, picked_from, None) in (None, "issue")
            for line in chosen
        )
    ]
    fix_ids = history.patch_ids_of(unsettled) if unsettled else {}
    if fix_ids:
        for line in chosen:
            facts[line.label].patch_ids = set(history.patch_ids(line.branch, since=main).values())

    fixes = []
    for sha, subject, issues, picked_from in candidates:
        states: dict[str, str] = {}
        evidence: dict[str, str] = {}
        for line in chosen:
            how = _evidence(facts[line.label], sha, issues, picked_from, fix_ids.get(sha))
            states[line.label] = PRESENT if how else MISSING
            if how:
                evidence[line.label] = how
        fixes.append(Fix(sha, subject, issues, states, evidence))
    return Matrix(main, tuple(chosen), tuple(fixes), policy, tuple(notes))


def _line_facts(
    history: History,
    line: Line,
    main: str,
    types: Iterable[str],
    own: str | None,
    outside: set[str] | None,
) -> _LineFacts:
    facts = _LineFacts()
    known = frozenset(types)
    for commit in history.commits(line.branch, since=main, files=False):
        facts.shas.add(commit.sha)
        facts.picked.update(commit.cherry_picked_from)
        parsed = parse_message(commit.subject, commit.body, types=known)
        facts.issues.update(ref.id(own) for ref in parsed.issues)
    if outside is None:
        outside = {c.sha for c in history.commits(main, since=line.branch, files=False)}
    facts.outside = outside
    return facts


def _evidence(
    facts: _LineFacts,
    sha: str,
    issues: Sequence[str],
    picked_from: Sequence[str],
    patch_id: str | None,
) -> str | None:
    if sha not in facts.outside:
        return "contained"
    if any(sha.startswith(p) for p in facts.picked) or any(
        s.startswith(p) for p in picked_from for s in facts.shas
    ):
        return "cherry-pick"
    if patch_id is not None and patch_id in facts.patch_ids:
        return "patch-id"
    if any(issue in facts.issues for issue in issues):
        return "issue"
    return None


# -- output ----------------------------------------------------------------------------------


def as_json(matrix: Matrix) -> dict[str, Any]:
    """`ozrelease-backports/1` (CONTRACT §3), plus `evidence`: how each present fix was
    recognised on each line."""
    return {
        "format": JSON_FORMAT,
        "lines": [line.label for line in matrix.lines],
        "fixes": [
            {
                "commit": fix.commit,
                "subject": fix.subject,
                "issues": list(fix.issues),
                "lines": dict(fix.lines),
                "evidence": dict(fix.evidence),
            }
            for fix in matrix.fixes
        ],
    }


_WORDS = {
    "contained": "yes",
    "cherry-pick": "yes -x",
    "patch-id": "yes patch",
    "issue": "yes issue",
}


def view(matrix: Matrix, *, width: int = 60) -> dict[str, Any]:
    """The view model of templates/backports.txt.j2."""
    labels = [line.label for line in matrix.lines]
    cells = {
        label: max(len(label), *(len(w) for w in _WORDS.values()), len("MISSING"))
        for label in labels
    }
    rows = []
    for fix in matrix.fixes:
        subject = fix.subject if len(fix.subject) <= width else fix.subject[: width - 1] + "…"
        rows.append(
            {
                "commit": fix.commit[:10],
                "cells": [
                    (
                        _WORDS[fix.evidence[label]] if fix.lines[label] == PRESENT else "MISSING"
                    ).ljust(cells[label])
                    for label in labels
                ],
                "subject": subject,
                "issues": ", ".join(f"#{i}" if i.isdigit() else i for i in fix.issues),
            }
        )
    missing = []
    for line in matrix.lines:
        gone = [f for f in matrix.fixes if f.lines[line.label] == MISSING]
        if gone:
            missing.append(
                {
                    "label": line.label,
                    "branch": line.branch,
                    "count": len(gone),
                    "commits": [f.commit[:10] for f in gone],
                }
            )
    return {
        "default_branch": matrix.default_branch,
        "lines": [{"label": line.label, "branch": line.branch} for line in matrix.lines],
        "header": ["commit".ljust(10), *(label.ljust(cells[label]) for label in labels)],
        "rows": rows,
        "missing": missing,
        "policy": matrix.policy,
        "fix_count": len(matrix.fixes),
    }
