"""`issue-missing`: issues the range names that the section does not, and what excuses them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from ozrelease.changelog.globs import Globs
from ozrelease.changelog.grouping import Change
from ozrelease.changelog.messages import (
    ADVISORY,
    SQUASHED,
    MergeInfo,
    ParsedMessage,
    branch_issue,
    parse_message,
    reverted_subject,
)
from ozrelease.changelog.schema import CHECK_RULES
from ozrelease.changelog.vocabulary import is_fix
from ozrelease.checks.context import (
    Context,
    RangeCommit,
    Stage,
    by_change,
    no_stage,
    shorten,
    show_issue,
)
from ozrelease.checks.reading import (
    is_dependency_commit,
    is_dependency_message,
    package_names,
    user_visible,
)
from ozrelease.checks.report import Finding
from ozrelease.checks.section_text import SectionText
from ozrelease.wording import plural

_ENV_NAME = re.compile(r"(?<![\w.])[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?![\w])")


def check_issues(
    commits: Sequence[RangeCommit],
    changes: Sequence[Change],
    context: Context,
    stage: Stage = no_stage,
) -> int:
    """Report the issues the range references that the section does not document; return
    how many it does document.

    The commits about an issue: those whose message names it, all commits of a pull request
    whose merge names it (title, body, branch name), and all commits of a change whose main
    issue it is.
    """
    members = by_change(commits)
    evidence: dict[str, dict[str, RangeCommit]] = {}  # issue -> non-merge commits about it
    naming: dict[str, dict[str, RangeCommit]] = {}  # issue -> commits whose message names it
    upstream: set[str] = set()
    for commit in commits:
        for issue in commit.ids:
            if _upstream(issue, commit, context.own_repo):
                upstream.add(issue)
                context.suppress(
                    "internal-commits",
                    show_issue(issue),
                    f"an upstream issue that {commit.sha[:10]}, a dependency upgrade, quotes "
                    "(not an issue of this release)",
                    (commit.sha,),
                )
                continue
            if not commit.is_merge and _own_request(issue, commit, members):
                # `[#55] fix api spec translation` inside pull request #55: its own request.
                context.suppress(
                    "pull-requests",
                    show_issue(issue),
                    f"{commit.sha[:10]} names the pull request that merged it, not an issue",
                    (commit.sha,),
                )
                continue
            naming.setdefault(issue, {})[commit.sha] = commit
            about = members.get(commit.change, ()) if commit.is_merge else (commit,)
            for member in about:
                if not member.is_merge:
                    evidence.setdefault(issue, {})[member.sha] = member
    for index, change in enumerate(changes):
        if not change.issues:
            continue
        main = change.issues[0]
        if main in upstream and main not in naming:
            continue  # only quoted by dependency upgrades as the package's own issue
        group = members.get(index, ())
        if main not in naming and (
            _another_repos_number(main, group) or any(main in map(str, c.requests) for c in group)
        ):
            continue  # a branch name's number of another repository, a squash's request
        for member in group:
            if not member.is_merge:
                evidence.setdefault(main, {})[member.sha] = member
            elif main not in member.ids:
                naming.setdefault(main, {})[member.sha] = member

    lines: dict[str, str] = {}

    def said(commit: RangeCommit) -> str:
        """What a commit says it does, in one short line (once per commit)."""
        if commit.sha not in lines:
            lines[commit.sha] = shorten(_descriptions([commit], {})[0], 80)
        return lines[commit.sha]

    # Commits a revert of the range takes back, and those reverts: no change at the tag.
    quoted = {q for c in commits if (q := reverted_subject(c.subject)) is not None}
    if any(reverted_subject(q) is not None for q in quoted):
        quoted = set()  # (a revert reverted: what is left is not told by subjects)
    undone = {
        c.sha
        for c in commits
        if not c.is_merge and (c.subject in quoted or reverted_subject(c.subject) is not None)
    }
    for merge in commits:  # a pull request reverted whole, by its title
        info = merge.parsed.merge if merge.is_merge else None
        if info is not None and (info.title in quoted or merge.subject in quoted):
            undone.update(c.sha for c in members.get(merge.change, ()))
    documented = 0
    label = f"Checking the issues of {len(commits)} commits"
    for done, issue in enumerate(sorted(evidence, key=_issue_order)):
        stage(label, done, len(evidence), "issues")
        about = list(evidence[issue].values())
        shas = _oldest_first(naming.get(issue, {}).values() or about, commits)
        if context.section.has(issue):
            documented += 1
            continue
        subject = show_issue(issue)
        if context.on("reverted") and quoted and all(c.sha in undone for c in about):
            context.suppress("reverted", subject, CHECK_RULES["reverted"], shas)
            continue
        edits = [c for c in about if context.changelog_path in c.paths]
        if edits and context.on("changelog-edits"):
            context.suppress(
                "changelog-edits",
                subject,
                f"{edits[0].sha[:10]}, a commit about it, edits {context.changelog_path}",
                shas,
            )
            continue
        public = [c for c in about if c.internal is None]
        released = next((c for c in about if _is_release_commit(c)), None)
        if (
            released is not None
            and public
            and all(is_dependency_commit(c) for c in public)
            and context.on("internal-commits")
        ):
            context.suppress(
                "internal-commits",
                subject,
                f"the release's own housekeeping issue ({released.sha[:10]} releases it; the "
                "rest is translations, tooling and upgrades, whose pins are checked by name)",
                shas,
            )
            continue
        titles = {c.change: _title_is_internal(c.change, context) for c in public}
        if public and context.on("internal-commits") and all(titles.values()):
            says = ", ".join(sorted({t for t in titles.values() if t}))
            context.suppress(
                "internal-commits",
                subject,
                f"{CHECK_RULES['internal-commits']} (its pull request's title says {says})",
                shas,
            )
            continue
        if not public:
            rules = sorted({c.internal[0] for c in about if c.internal})
            rule = rules[0] if len(rules) == 1 else "internal-commits"
            reasons = "; ".join(f"{c.sha[:10]} {c.internal[1]}" for c in about[:3] if c.internal)
            context.suppress(rule, subject, f"{CHECK_RULES[rule]} ({reasons})", shas)
            continue
        covered = _covered(issue, public, members, context) or _fixes_new_code(
            issue, public, commits, context
        )
        if covered is not None:
            context.suppress(covered[0], subject, covered[1], shas)
            continue
        count = len(public)
        context.issue_findings[issue] = len(context.findings)
        context.findings.append(
            Finding(
                kind="issue-missing",
                issue=issue,
                commits=shas,
                paths=(),
                category=None,
                message=f"{subject} is referenced by {plural(count, 'commit')} "
                f"in the range but not in the section: {headline(public, members)}"
                f" ({public[-1].sha[:10]}{_files(public[-1])}); the section lacks: "
                f"[{subject}] {said(public[-1])}",
            )
        )
    return documented


def _fixes_new_code(
    issue: str, public: Sequence[RangeCommit], commits: Sequence[RangeCommit], context: Context
) -> tuple[str, str] | None:
    """(rule, why) when the issue's commits fix code that no release has shipped yet: they
    are fixes, and every file they touch that is not a test was created in the range by a
    commit of another change the section documents (`:bug: Handle gettext defaults in the
    example generator`, the generator new in this release)."""
    if not context.on("fixes-of-new-code") or not all(
        is_fix(c.parsed.gitmoji, c.parsed.type) for c in public
    ):
        return None
    created: dict[str, str] = {}  # path -> the commit that made it new code
    for commit in reversed(commits):  # (oldest first)
        for path, source in commit.created:
            if source is None or source in created:  # (a rename of shipped code is not new)
                created.setdefault(path, commit.sha)
    config = context.config
    internal = Globs((*config.changelog.internal_paths, *config.check.internal_paths))
    paths = {p for c in public for p in c.paths if not internal(p)}
    own = {c.sha for c in public}
    makers = [created.get(p) for p in sorted(paths)]
    if not paths or any(m is None or m in own for m in makers):
        return None
    documented = context.documented_change(m for m in makers if m is not None)
    if documented is None:
        return None
    return "fixes-of-new-code", (
        f"{CHECK_RULES['fixes-of-new-code']} ({sorted(paths)[0]}: by {documented})"
    )


def _is_release_commit(commit: RangeCommit) -> bool:
    parsed = commit.parsed
    return parsed.gitmoji == "bookmark" or (parsed.type or "").lower() == "release"


def _own_request(
    issue: str, commit: RangeCommit, members: Mapping[int, Sequence[RangeCommit]]
) -> bool:
    """Whether `issue` (this repository's) is the number of the pull request whose merge
    landed `commit`, while the change's commits name other issues, which stand for it."""
    if not issue.isdigit():
        return False
    group = members.get(commit.change, ())
    return any(c.is_merge and int(issue) in c.requests for c in group) and any(
        i != issue for c in group for i in c.ids
    )


def _upstream(issue: str, commit: RangeCommit, own_repo: str | None) -> bool:
    """Whether a dependency upgrade quotes `issue` as the upgraded package's own
    (`Bump vcrpy, see kevin1024/vcrpy#888`): another owner's repository, not tagged in the
    subject's brackets the way the team tags its issues (`[maykinmedia/oaf#140] Upgrade`)."""
    repo = issue.rpartition("#")[0]
    if "/" not in repo or not is_dependency_commit(commit):
        return False
    owner = repo.split("/")[0].lower()
    if own_repo is not None and owner == own_repo.split("/")[0].lower():
        return False
    tagged = re.findall(r"\[([^\]]*)\]", commit.subject)
    return not any(issue.lower() in t.lower() for t in tagged)


def _files(commit: RangeCommit) -> str:
    """`, in src/x.py and 2 more files` for a finding."""
    if not commit.paths:
        return ""
    more = len(commit.paths) - 1
    return f", in {commit.paths[0]}" + (
        f" and {more} more file{'s' if more > 1 else ''}" if more else ""
    )


def _another_repos_number(issue: str, group: Sequence[RangeCommit]) -> bool:
    """Whether an issue number taken from a branch name (`feature/179-timeout`) is the number
    of another repository's issue that the commits name (`[maykinmedia/oaf#179]`)."""
    if "#" in issue:
        return False
    return any(i.rpartition("#")[2] == issue for c in group for i in c.ids if "#" in i)


def headline(public: Sequence[RangeCommit], members: Mapping[int, Sequence[RangeCommit]]) -> str:
    """What the change is called: its pull request's title, else its oldest commit."""
    for commit in members.get(public[0].change, ()):
        merge = commit.parsed.merge
        if commit.is_merge and merge is not None and merge.title:
            return shorten(merge.title)
    return shorten(public[-1].subject)


def _issue_order(issue: str) -> tuple[int, str, int]:
    repo, _, number = issue.rpartition("#")
    return (1 if repo else 0, repo, int(number) if number.isdigit() else 0)


def _oldest_first(items: Iterable[RangeCommit], commits: Sequence[RangeCommit]) -> tuple[str, ...]:
    order = {c.sha: i for i, c in enumerate(commits)}
    return tuple(c.sha for c in sorted(items, key=lambda c: order.get(c.sha, 0), reverse=True))


def _descriptions(
    public: Sequence[RangeCommit], members: Mapping[int, Sequence[RangeCommit]]
) -> list[str]:
    """What a change says it does, for text matching: its pull requests' titles and its
    commits (less its dependency upgrades when it also fixes or adds something).

    Commits that name an issue are that issue's work: a pull request that does not name it
    ("Upgrade dependencies", bundling an issue's commits with upgrades) does not speak for
    them, nor do its commits about other issues."""
    issues = {i for c in public for i in c.ids}
    titles: list[ParsedMessage] = []
    branches: list[str] = []
    commits = {c.sha: c for c in public}
    for change in dict.fromkeys(c.change for c in public):
        own = [c for c in public if c.change == change]
        for commit in members.get(change, ()):
            merge = commit.parsed.merge
            if not commit.is_merge:
                # Its documentation and test commits describe the change too.
                if not commit.ids or not issues or issues & set(commit.ids):
                    commits.setdefault(commit.sha, commit)
            elif merge is not None and (
                not all(c.ids for c in own) or issues & {*commit.ids, _branch_issue(merge)}
            ):
                if merge.title:
                    titles.append(parse_message(merge.title))
                # A branch name says what the change does too (`feature/allow-activation-
                # date-configuring-for-certificates`), when it has the words for it.
                words = _BRANCH_WORDS.findall((merge.branch or "").rsplit("/", 1)[-1])
                if len(words) >= 3:
                    branches.append(" ".join(words))
    # A version bump's words ("Upgrade maykin-common to 0.19.1") do not document the fix
    # that came with it.
    fixes = any(user_visible(c) and not is_dependency_commit(c) for c in public)
    out = [
        *(t.description for t in titles if not (fixes and is_dependency_message(t))),
        *(
            c.parsed.description
            for c in commits.values()
            if not (fixes and is_dependency_commit(c))
        ),
        *branches,
    ]
    # References are no words: "[open-api-framework#67] Add x" says "Add x".
    return [SQUASHED.sub("", _LEADING_BRACKETS.sub("", text)) for text in out]


_BRANCH_WORDS = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def _branch_issue(merge: MergeInfo) -> str:
    number = branch_issue(merge.branch) if merge.branch else None
    return "" if number is None else str(number)


_LEADING_BRACKETS = re.compile(r"^\s*(?:\[[^\]]*\]\s*)+")


def _title_is_internal(change: int, context: Context) -> str | None:
    """The gitmoji or type of a pull request's title that says internal work
    (`[#309] :white_check_mark: Fix tests`), if it says so."""
    for commit in context.members.get(change, ()):
        merge = commit.parsed.merge
        if not (commit.is_merge and merge is not None and merge.title):
            continue
        title = parse_message(_LEADING_BRACKETS.sub("", merge.title))
        extra = context.config.check.internal_gitmoji
        if context.classifier is not None and context.classifier.is_internal(title):
            return f":{title.gitmoji}:" if title.gitmoji else f"type {title.type}"
        if title.gitmoji is not None and title.gitmoji in extra:
            return f":{title.gitmoji}:"
    return None


def _covered(
    issue: str,
    public: Sequence[RangeCommit],
    members: Mapping[int, Sequence[RangeCommit]],
    context: Context,
) -> tuple[str, str] | None:
    """(rule, why) when something other than the issue id documents the change."""
    check = context.config.check
    if context.on("ignored-issues") and (
        issue in check.ignore_issues or show_issue(issue) in check.ignore_issues
    ):
        return "ignored-issues", CHECK_RULES["ignored-issues"]
    other = context.elsewhere(lambda text: text.has(issue))
    if other is not None:
        return "other-sections", f"documented in {other.title}, released inside the range"
    if context.on("advisories") and context.private(issue):
        named = {
            m.group(0).upper()
            for c in public
            for m in ADVISORY.finditer(f"{c.subject}\n{c.parsed.description}")
        }
        known = context.advisories()
        hit = sorted(named & known.keys())
        if hit:
            return "advisories", f"a private security issue; {_naming(hit[0], known)}"
        if known and not named:
            shown = ", ".join(_naming(a, known) for a in sorted(known))
            return "advisories", f"a private security issue; {shown}"
    covered = change_covered(public, members, context)
    if covered is not None:
        return covered
    return None


def _naming(advisory: str, known: Mapping[str, str]) -> str:
    where = known[advisory]
    return (
        f"{where} (released inside the range) names {advisory}"
        if where
        else (f"the section names {advisory}")
    )


def change_covered(
    public: Sequence[RangeCommit],
    members: Mapping[int, Sequence[RangeCommit]],
    context: Context,
) -> tuple[str, str] | None:
    """(rule, why) when the section documents a change without naming its issue: by its
    pull request's number, by the packages it upgrades, the environment variables it
    names, or an entry that says what it says. Sections released inside the range count
    too (rule `other-sections`)."""
    key = tuple(sorted(c.sha for c in public))
    if key not in context.covered:
        context.covered[key] = _change_covered(public, members, context)
    return context.covered[key]


def _change_covered(
    public: Sequence[RangeCommit],
    members: Mapping[int, Sequence[RangeCommit]],
    context: Context,
) -> tuple[str, str] | None:
    found = _said(public, members, context, context.section)
    if found is not None:
        return found
    for doc, text in context.others if context.on("other-sections") else ():
        elsewhere = _said(public, members, context, text)
        if elsewhere is not None:
            return "other-sections", f"documented in {doc.title}: {elsewhere[1]}"
    return None


def _said(
    public: Sequence[RangeCommit],
    members: Mapping[int, Sequence[RangeCommit]],
    context: Context,
    section: SectionText,
) -> tuple[str, str] | None:
    changes = {c.change for c in public}
    if context.on("pull-requests"):
        for commit in [*public, *(c for change in changes for c in members.get(change, ()))]:
            for number in commit.requests:
                if section.has(str(number)):
                    return "pull-requests", f"the section names pull request #{number}"
    upgrades = [c for c in public if is_dependency_commit(c)]
    others = [c for c in public if c not in upgrades]
    # An upgrade with the adaptations it needs; not a fix or feature that came along.
    if upgrades and not any(user_visible(c) for c in others) and context.on("dependency-names"):
        names = {n for c in upgrades for n in package_names(c.parsed.description)}
        if names and all(section.names_package(n) for n in names):
            return "dependency-names", (
                f"a dependency upgrade; the section names {', '.join(sorted(names))}"
            )
    descriptions = _descriptions(public, members)
    if context.on("env-var-names"):
        variables = {m.group(0) for d in descriptions for m in _ENV_NAME.finditer(d)}
        if variables and all(section.names_exactly(v) for v in variables):
            return "env-var-names", f"the section names {', '.join(sorted(variables))}"
    if context.on("matching-text"):
        for description in descriptions:
            block = section.matches(description)
            if block is not None:
                quoted = shorten(block, 80)
                return "matching-text", f"{shorten(description, 80)!r} is documented as {quoted!r}"
    return None
