"""The report as `ozrelease-check/1` JSON, GitHub annotations, GitLab Code Quality, text."""

from __future__ import annotations

import hashlib
from typing import Any

from ozrelease.checks.report import JSON_FORMAT, Finding, Report, describe_range
from ozrelease.wording import plural


def as_json(report: Report, *, verbose: bool = False) -> dict[str, Any]:
    """`ozrelease-check/1` (CONTRACT §3), built from the dataclasses; `section` says which
    changelog section was used, `suppressed` (with `verbose`) what was left out and why."""
    out: dict[str, Any] = {
        "format": JSON_FORMAT,
        "range": {"from": report.since, "to": report.to},
        "commitsScanned": report.commits_scanned,
        "findings": [
            {
                "kind": f.kind,
                "issue": f.issue,
                "commits": list(f.commits),
                "paths": list(f.paths),
                "category": f.category,
                "message": f.message,
            }
            for f in report.findings
        ],
        "section": {
            "file": report.section.path,
            "title": report.section.title,
            "version": report.section.version,
            "date": report.section.date,
            "line": report.section.line,
            "why": report.section.why,
            "alsoCovering": list(report.also_covering),
        },
    }
    if verbose:
        out["suppressed"] = [
            {"rule": s.rule, "subject": s.subject, "reason": s.reason, "commits": list(s.commits)}
            for s in report.suppressed
        ]
    return out


def fingerprint(finding: Finding) -> str:
    """Stable across runs and new commits: kind, issue or category, and what it names."""
    key = "|".join(
        [
            finding.kind,
            finding.issue or "",
            finding.category or "",
            ",".join(finding.names) or ",".join(finding.paths) or ",".join(finding.commits[:1]),
        ]
    )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(report: Report) -> str:
    """GitHub Actions workflow commands: one `::warning` per finding, on the section's
    heading in the changelog, and a `::notice` saying what was checked."""
    lines = []
    file = _escape_property(report.section.path)
    for finding in report.findings:
        title = _escape_property(
            f"ozrelease {finding.kind}"
            + (
                f" {finding.category}"
                if finding.category and finding.kind != "api-breaking"
                else ""
            )
        )
        lines.append(
            f"::warning file={file},line={report.section.line},title={title}::"
            f"{_escape_data(finding.message)}"
        )
    lines.append(
        f"::notice file={file},line={report.section.line}::{_escape_data(_summary(report))}"
    )
    return "\n".join(lines) + "\n"


def gitlab_code_quality(report: Report) -> list[dict[str, Any]]:
    """GitLab Code Quality report entries (the `codequality` artifact)."""
    return [
        {
            "description": finding.message,
            "check_name": f"ozrelease-{finding.kind}",
            "fingerprint": fingerprint(finding),
            "severity": "major" if finding.kind == "api-breaking" else "minor",
            "location": {"path": report.section.path, "lines": {"begin": report.section.line}},
        }
        for finding in report.findings
    ]


def _summary(report: Report) -> str:
    count = len(report.findings)
    head = "no undocumented changes" if not count else plural(count, "undocumented change")
    return (
        f"{head} in {report.commits_scanned} commits ({describe_range(report.since, report.to)}) "
        f"against {report.section.path} section {report.section.title!r}; "
        f"{plural(report.documented, 'issue')} documented, "
        f"{len(report.suppressed)} suppressed"
    )


def text_view(report: Report, *, verbose: bool = False) -> dict[str, Any]:
    """The view model of templates/check.txt.j2."""
    return {
        "range": describe_range(report.since, report.to),
        "commits": report.commits_scanned,
        "section": report.section,
        "also": report.also_covering,
        "findings": [
            {
                "where": f"{report.section.path}:{report.section.line}",
                "kind": f.kind
                + (f" [{f.category}]" if f.category and f.kind != "api-breaking" else ""),
                "message": f.message,
                "commits": [c[:10] for c in f.commits[:5]],
                "more": max(0, len(f.commits) - 5),
            }
            for f in report.findings
        ],
        "verbose": verbose,
        "suppressed": [
            {"rule": s.rule, "subject": s.subject, "reason": s.reason} for s in report.suppressed
        ],
        "summary": _summary(report)[:1].upper() + _summary(report)[1:],
    }
