"""Commit message parsing (gitmoji, Conventional Commits, references, trailers) and grouping."""

from __future__ import annotations

import pytest
from gitrepo import GitRepo
from hypothesis import given, settings
from hypothesis import strategies as st
from tests_support import examples

from ozrelease.changelog.config import ChangelogConfig
from ozrelease.changelog.grouping import Change, Classifier, group_changes
from ozrelease.changelog.messages import (
    IssueRef,
    MergeInfo,
    branch_issue,
    cherry_picks,
    find_issue_refs,
    is_housekeeping,
    parse_merge,
    parse_message,
    parse_trailers,
)
from ozrelease.changelog.vocabulary import GITMOJIS
from ozrelease.history import History

# -- gitmoji -------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "emoji"), [(n, e) for n, e, *_ in GITMOJIS])
def test_every_gitmoji_is_read_as_shortcode_and_as_emoji(name: str, emoji: str) -> None:
    for subject in (f":{name}: Do it", f"{emoji} Do it", f"{emoji.replace(chr(0xFE0F), '')}Do it"):
        message = parse_message(subject)
        assert (message.gitmoji, message.description, message.style) == (name, "Do it", "gitmoji")


def test_gitmoji_variants() -> None:
    assert parse_message(":pencil: Old docs emoji").gitmoji == "memo"
    assert parse_message(":ok_hand: [#9] Process feedback").gitmoji == "ok_hand"  # unknown, kept
    assert parse_message("\U0001f512 Lock without variation selector").gitmoji == "lock"
    assert parse_message("Plain subject").gitmoji is None


# -- Conventional Commits -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "body", "expected"),
    [
        ("feat: add x", "", ("feat", None, False, "Add x")),
        ("feat(api)!: drop v1", "", ("feat", "api", True, "Drop v1")),
        ("fix(deps): bump y", "", ("fix", "deps", False, "Bump y")),
        ("refactor: z", "BREAKING CHANGE: the config moved", ("refactor", None, True, "Z")),
        ("chore: w", "Text.\n\nBREAKING-CHANGE: gone", ("chore", None, True, "W")),
        ("Fix: capitalised", "", ("fix", None, False, "Capitalised")),
        ("Note: not a type", "", (None, None, False, "Note: not a type")),
        (":bug: [#2406] fix: expand on /zaken", "", ("fix", None, False, "Expand on /zaken")),
        (":boom: Remove the old API", "", (None, None, True, "Remove the old API")),
        ("feat: squashed (#123)", "", ("feat", None, False, "Squashed")),
    ],
)
def test_conventional_commits(subject: str, body: str, expected: tuple[object, ...]) -> None:
    message = parse_message(subject, body)
    assert (message.type, message.scope, message.breaking, message.description) == expected


def test_types_from_configuration_are_recognised() -> None:
    assert parse_message("dependencies: bump").type is None
    assert parse_message("dependencies: bump", types=["dependencies"]).type == "dependencies"


# -- issue references ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        (":sparkles: [#2426] Add slug", ["2426"]),
        ("[#2429 / #2427] Allow closing", ["2429", "2427"]),
        ("[open-zaak/security-issues#12] Fix", ["open-zaak/security-issues#12"]),
        (
            "[#2462 / maykinmedia/open-api-framework#223] Bump",
            ["2462", "maykinmedia/open-api-framework#223"],
        ),
        ("Fix GH-17 for good", ["17"]),
        (
            "See https://github.com/open-zaak/open-notificaties/issues/5",
            ["open-zaak/open-notificaties#5"],
        ),
        ("See https://gitlab.com/group/sub/proj/-/issues/8", ["group/sub/proj#8"]),
        ("open-zaak/open-zaak#99 is ours", ["99"]),
        ("&#123; entity, a#1 word, #0", []),
        ("issue #7, then #7 again", ["7"]),
    ],
)
def test_issue_references(text: str, ids: list[str]) -> None:
    assert [r.id("open-zaak/open-zaak") for r in find_issue_refs(text)] == ids


def test_references_in_bodies_need_a_keyword() -> None:
    body = "Steps:\n#1 open it\n\nFixes #12, closes org/repo#3\nRelated to GH-4\n\nIssue: #5"
    assert [r.id() for r in parse_message("Subject", body).issues] == ["12", "org/repo#3", "4", "5"]


def test_pull_request_number_is_not_an_issue() -> None:
    message = parse_message(
        "Merge pull request #12 from org/issue/2448-some-branch", ":bug: [#2448] Fix it"
    )
    assert [r.id() for r in message.issues] == ["2448"]
    assert message.merge == MergeInfo(
        "pull-request", 12, "issue/2448-some-branch", ":bug: [#2448] Fix it"
    )


@pytest.mark.parametrize(
    ("branch", "number"),
    [
        ("issue/2448-some-branch", 2448),
        ("feature/2448-x", 2448),
        ("feature/#44-test-coverage", 44),
        ("2406-zaken_zoek-has-query-params", 2406),
        ("issue-2448-regression", 2448),
        ("fix/2426-add-slug", 2426),
        ("release/1.29.1", None),
        ("chore/oaw-60-replace-spectral", None),
        ("feature/OO-757-upgrade", None),
        ("patch-1", None),
        ("dependabot/npm_and_yarn/lodash-4.17.21", None),
    ],
)
def test_issue_number_in_branch_names(branch: str, number: int | None) -> None:
    assert branch_issue(branch) == number


@pytest.mark.parametrize(
    ("subject", "housekeeping"),
    [
        ("Prepare release `4.0.0`", True),
        (":pencil: Update changelog and bump version", True),
        ("Bumped version to 0.4.1", True),
        ("Release v3.1.0", True),
        ("Preparing for the release of 2.0", True),
        ("fixup! :bug: Fix it", True),
        ("Bump version of django to 5.2", False),
        ("Release the lock before saving", False),
        ("Prepare the form for submission", False),
        (":sparkles: Add a release date field", False),
    ],
)
def test_release_commits_in_words_are_housekeeping(subject: str, housekeeping: bool) -> None:
    assert is_housekeeping(parse_message(subject)) is housekeeping


@pytest.mark.parametrize(
    ("subject", "internal"),
    [
        ("Apply black", True),
        ("Black", True),
        (":art: Run isort", True),
        ("Switch to ruff", True),
        ("Remove unused imports", True),
        ("Reformat code with black", True),
        ("Add black to CI", False),
        ("Fix the black theme colours", False),
        (":sparkles: Use prettier URLs", False),
    ],
)
def test_a_formatter_run_is_internal_work(subject: str, internal: bool) -> None:
    assert _classifier().is_internal(parse_message(subject)) is internal


@pytest.mark.parametrize(
    ("subject", "body", "description", "ids"),
    [
        # GitHub titles a request after its branch (sharing-configs 0.1.2).
        ("Feature/44 show content size (#46)", "", "Show content size", ("44",)),
        (
            "Merge pull request #54 from org/feature/#44-test-coverage",
            "Feature/#44 test coverage",
            None,
            ("44",),
        ),
        (":bug: Issue/7 crash on upload", "", "Crash on upload", ("7",)),
        # Django's convention names the ticket first (maykin-2fa, django-timeline-logger).
        ("Closes #10 -- add paths of django-webtest backends", "", "Add paths of", ("10",)),
        ("Fixed #12, #13 \u2014 Added x", "", "Added x", ("12", "13")),
        ("Fixes #18 \u2013 added db indices", "", "Added db indices", ("18",)),
        # zaken-api: "Refs." and an issue URL
        (
            ":sparkles: Refs. org/zaken#1727 -- add PUT for zaakobjecten",
            "",
            "Add PUT",
            ("org/zaken#1727",),
        ),
        (
            "Refs: https://github.com/org/zaken/issues/17 -- allow update",
            "",
            "Allow update",
            ("org/zaken#17",),
        ),
        # Not a branch or a ticket: kept as written.
        ("Fix/path handling", "", "Fix/path handling", ()),
        ("release/1.2.3 notes", "", "Release/1.2.3 notes", ()),
        ("Feature/44", "", "Feature/44", ()),
        ("Fix #12: crash on upload", "", "Fix #12: crash on upload", ("12",)),
    ],
)
def test_branch_names_and_closed_tickets_leading_a_subject(
    subject: str, body: str, description: str | None, ids: tuple[str, ...]
) -> None:
    parsed = parse_message(subject, body)
    assert parsed.ids() == ids
    if description is not None:
        assert parsed.description.startswith(description)
    else:
        assert parsed.merge is not None and parsed.merge.title is not None
        assert parse_message(parsed.merge.title).description == "Test coverage"


@pytest.mark.parametrize(
    ("subject", "body", "expected"),
    [
        (
            "Merge commit from fork",
            ":lock: [org/sec#1] Fix",
            MergeInfo("fork", None, None, ":lock: [org/sec#1] Fix"),
        ),
        (
            "Merge branch 'feature/12-x' into 'main'",
            "Add x\n\nSee merge request group/proj!34",
            MergeInfo("merge-request", 34, "feature/12-x", "Add x"),
        ),
        ("Merge branch 'stable/1.2.x'", "", MergeInfo("branch", None, "stable/1.2.x", None)),
        (
            "Merged in feature/9-y (pull request #41)",
            "",
            MergeInfo("pull-request", 41, "feature/9-y", None),
        ),
        ("Merged PR 77: Add z", "", MergeInfo("pull-request", 77, None, "Add z")),
        ("Not a merge", "", None),
    ],
)
def test_merge_messages(subject: str, body: str, expected: MergeInfo | None) -> None:
    assert parse_merge(subject, body) == expected


# -- trailers ------------------------------------------------------------------------------


def test_trailers_and_cherry_picks() -> None:
    body = (
        "Explain.\n\nCo-authored-by: A <a@example.com>\nSigned-off-by: B <b@example.com>\n"
        "  continued\n(cherry picked from commit 0123456789abcdef0123456789abcdef01234567)"
    )
    trailers = parse_trailers(body)
    assert [(t.key, t.value) for t in trailers] == [
        ("co-authored-by", "A <a@example.com>"),
        ("signed-off-by", "B <b@example.com> continued"),
    ]
    assert cherry_picks(body) == ("0123456789abcdef0123456789abcdef01234567",)
    assert parse_message("S", body).co_authors == ("A <a@example.com>",)
    assert parse_trailers("Just prose: with a colon\nand more") == ()
    assert parse_trailers("") == ()


# -- properties ----------------------------------------------------------------------------

_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)


@settings(max_examples=examples(300), deadline=None)
@given(subject=_text, body=_text)
def test_random_messages_never_crash(subject: str, body: str) -> None:
    message = parse_message(subject, body)
    assert isinstance(message.description, str)
    find_issue_refs(subject + body)
    parse_trailers(body)
    branch_issue(subject)
    parse_merge("Merge " + subject, body)


_repo_part = st.from_regex(r"[a-z0-9][a-z0-9-]{0,15}", fullmatch=True)
_ref = st.builds(
    IssueRef,
    st.one_of(st.none(), st.builds(lambda a, b: f"{a}/{b}", _repo_part, _repo_part)),
    st.integers(min_value=1, max_value=10**6),
)
_filler = st.text(st.sampled_from(list("abc XYZ.,:;()!?-\n")), max_size=30)


def _write(ref: IssueRef, form: int) -> str:
    if ref.repo is None:
        return [f"#{ref.number}", f"[#{ref.number}]", f"GH-{ref.number}"][form % 3]
    return [
        f"{ref.repo}#{ref.number}",
        f"[{ref.repo}#{ref.number}]",
        f"https://github.com/{ref.repo}/issues/{ref.number}",
    ][form % 3]


@settings(max_examples=examples(300), deadline=None)
@given(ref=_ref, form=st.integers(0, 2), before=_filler, after=_filler)
def test_references_round_trip(ref: IssueRef, form: int, before: str, after: str) -> None:
    text = f"{before} {_write(ref, form)} {after}"
    assert ref in find_issue_refs(text)


# -- grouping commits into changes ---------------------------------------------------------


def _changes(repo: GitRepo, own: str | None = None) -> list[Change]:
    config = ChangelogConfig()
    sections, default = config.sections_for("rst")
    classifier = Classifier(config, sections, default)
    history = History(repo.path)
    tip = history.resolve("HEAD")
    return group_changes(history.commits(tip), tip=tip, classifier=classifier, own_repo=own)


def _titles(repo: GitRepo) -> dict[str, str]:
    return {
        c.text: [
            "Security patches",
            "New features",
            "Bugfixes",
            "Project maintenance",
            "Documentation",
        ][c.section]
        if c.section is not None
        else "internal"
        for c in _changes(repo)
    }


def test_a_pull_request_is_one_change(gitrepo: GitRepo) -> None:
    gitrepo.commit("Initial", {"README": "x"})
    merge = gitrepo.pull_request(
        12,
        "issue/2448-closing",
        [
            ":white_check_mark: [#2448] Add a test",
            ":bug: [#2448] Fix closing",
            ":safety_vest: [#2448] Clearer error",
        ],
        title=":bug: [#2448] Fix closing hoofdzaken",
    )
    changes = _changes(gitrepo)
    change = next(c for c in changes if c.issues == ("2448",))
    assert change.text == "Fix closing hoofdzaken"
    assert change.section == 2 and not change.breaking
    assert len(change.commits) == 4 and change.commits[-1] == merge


def test_a_weak_title_gives_way_to_the_main_commit(gitrepo: GitRepo) -> None:
    gitrepo.commit("Initial", {"README": "x"})
    gitrepo.pull_request(
        5,
        "fix/2426-add-slug",
        [":sparkles: [#2426] Add slug to the form", ":art: [#2426] Tidy"],
        title="Fix/2426 add slug",
    )
    assert _titles(gitrepo)["Add slug to the form"] == "New features"


def test_commits_of_one_issue_across_pull_requests_become_one_change(gitrepo: GitRepo) -> None:
    gitrepo.commit("Initial", {"README": "x"})
    gitrepo.pull_request(1, "feature/7-a", [":recycle: [#7] Prepare"], title=":recycle: [#7] Prep")
    gitrepo.pull_request(2, "feature/7-b", [":sparkles: [#7] Add it"], title=":sparkles: [#7] Add")
    gitrepo.commit(":memo: [#7] Document it", {"docs/x.rst": "x"})
    changes = [c for c in _changes(gitrepo) if "7" in c.issues]
    assert len(changes) == 1
    assert changes[0].text == "Add" and changes[0].section == 1
    assert len(changes[0].commits) == 5


def test_internal_changes_are_left_out(gitrepo: GitRepo) -> None:
    gitrepo.commit("Initial", {"README": "x"})
    gitrepo.commit("Add a test", {"src/app/tests/test_x.py": "x"})
    gitrepo.commit("Tweak CI", {".github/workflows/ci.yml": "x"})
    gitrepo.commit(":bookmark: Release 1.0.0", {"setup.cfg": "x"})
    gitrepo.commit("chore(release): 1.0.0", {"setup.cfg": "y"})
    gitrepo.commit(":memo: Changelog", {"CHANGELOG.rst": "x"})
    gitrepo.commit("Real change", {"src/app/x.py": "x"})
    titles = _titles(gitrepo)
    assert titles["Real change"] == "Project maintenance"
    assert {
        titles[t] for t in ("Add a test", "Tweak CI", "Release 1.0.0", "1.0.0", "Changelog")
    } == {"internal"}


def test_plain_branch_merges_keep_commits_apart_and_nested_requests_group(
    gitrepo: GitRepo,
) -> None:
    gitrepo.commit("Initial", {"README": "x"})
    gitrepo.branch("stable/1.0.x")
    gitrepo.checkout("stable/1.0.x")
    gitrepo.commits(":bug: Fix one", ":bug: Fix two")
    gitrepo.checkout("main")
    gitrepo.merge("stable/1.0.x", message="Merge branch 'stable/1.0.x'")
    # A pull request into a feature branch, which is then merged as a pull request itself.
    gitrepo.branch("feature/big")
    gitrepo.pull_request(
        20, "feature/20-part", [":sparkles: Part"], title=":sparkles: Part", base="feature/big"
    )
    gitrepo.checkout("feature/big")
    gitrepo.commits(":sparkles: Whole")
    gitrepo.checkout("main")
    gitrepo.merge("feature/big", message="Merge pull request #21 from org/feature/big\n\nBig one")
    titles = _titles(gitrepo)
    assert titles["Fix one"] == titles["Fix two"] == "Bugfixes"
    assert titles["Part"] == titles["Big one"] == "New features"


def test_octopus_merge_on_the_main_line(gitrepo: GitRepo) -> None:
    base = gitrepo.commit("Initial", {"README": "x"})
    for name in ("a", "b"):
        gitrepo.checkout(base, detach=True)
        gitrepo.git("checkout", "--quiet", "-b", name)
        gitrepo.commits(f":sparkles: Feature {name}")
    gitrepo.checkout("main")
    gitrepo.merge("a", "b", message="Merge branches 'a' and 'b'")
    titles = _titles(gitrepo)
    assert titles["Feature a"] == titles["Feature b"] == "New features"


# -- fast paths: the same answers as the general rules -------------------------------------


@pytest.mark.parametrize(
    ("subject", "body", "expected"),
    [
        (":bug:Fix it", "", ("bug", "Fix it", [])),
        (":unknown_code: x", "", ("unknown_code", "X", [])),
        ("::double", "", (None, "::double", [])),
        (":spark les: x", "", (None, ":spark les: x", [])),
        (": bug: weird", "", (None, ": bug: weird", [])),
        (":Sparkles: caps", "", ("Sparkles", "Caps", [])),
        ("\ufe0f\u2728 odd", "", ("sparkles", "Odd", [])),
        ("[#1] [GH-2] Fix", "", (None, "Fix", [(None, 1), (None, 2)])),
        ("#12: thing", "", (None, "Thing", [(None, 12)])),
        # a gitmoji after the leading references, as some Open Zaak commits write it
        ("[#123] :bug: Fix thing", "", ("bug", "Fix thing", [(None, 123)])),
        ("[#12] \U0001f41b Fix it", "", ("bug", "Fix it", [(None, 12)])),
        ("[#5]:sparkles: x", "", ("sparkles", "X", [(None, 5)])),
        ("[#7]: Fix", "", (None, "Fix", [(None, 7)])),
        # (#4) ends the subject as a squash merge's pull request does: a request, no issue
        ("Fix it [acme/w#3] (#4)", "", (None, "Fix it", [("acme/w", 3)])),
        ("[#8]", "", (None, "", [(None, 8)])),
        # re.I also folds a few non-ASCII letters (long s, dotless i, Kelvin sign)
        ("Fix it", "clo\u017fes #3", (None, "Fix it", [(None, 3)])),
        ("Fix it", "\u0130ssue #4", (None, "Fix it", [(None, 4)])),
        ("Fix it", "\u017fee #12", (None, "Fix it", [(None, 12)])),
        ("Fix it", "RELATED TO #5", (None, "Fix it", [(None, 5)])),
        ("Fix it", "Plain #6 mention", (None, "Fix it", [])),
    ],
)
def test_gitmoji_and_reference_edge_cases(
    subject: str, body: str, expected: tuple[str | None, str, list[tuple[str | None, int]]]
) -> None:
    message = parse_message(subject, body)
    found = [(ref.repo, ref.number) for ref in message.issues]
    assert (message.gitmoji, message.description, found) == expected


@pytest.mark.parametrize(
    ("subject", "body", "expected"),
    [
        (
            "Merge pull request #7 from org/issue/9-x",
            ":sparkles: [#9] Title\n\nSee merge request g/p!4",
            ("merge-request", 4, ":sparkles: [#9] Title"),
        ),
        ("Merge branch x", "See merge request g/p!5", ("merge-request", 5, None)),
        ("Merge pull request #8 from org/x", "Reviewed-by: someone", ("pull-request", 8, None)),
        (
            "Merge pull request #8 from org/x",
            "Title line\none more\n\nSecond",
            ("pull-request", 8, "Title line one more"),
        ),
        ("Merge pull request #8 from org/x", "Ti\x1ctle", ("pull-request", 8, "Ti tle")),
    ],
)
def test_merge_titles_and_merge_requests(
    subject: str, body: str, expected: tuple[str, int, str | None]
) -> None:
    merge = parse_merge(subject, body)
    assert merge is not None
    assert (merge.kind, merge.number, merge.title) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("no colon here", []),
        ("(cherry picked from commit abcdef1)", []),
        ("Key: v\n  cont\n(cherry picked from commit 1234567)", [("key", "v cont")]),
        ("  \n\n \t\n", []),
        ("A: b\n\nKey: x", [("key", "x")]),
        ("text\x1cKey: v", []),
    ],
)
def test_trailer_edge_cases(body: str, expected: list[tuple[str, str]]) -> None:
    assert [(t.key, t.value) for t in parse_trailers(body)] == expected


def _classifier(fmt: str = "rst") -> Classifier:
    config = ChangelogConfig()
    sections, default = config.sections_for(fmt)
    return Classifier(config, sections, default)


def _busy_history(repo: GitRepo) -> None:
    """Pull requests (one nested, one sharing commits with another), plain and octopus
    merges, one issue over several requests, internal-only changes."""
    base = repo.commit("Initial", {"README": "x"})
    repo.pull_request(
        1, "issue/7-a", [":recycle: [#7] Prepare", ":white_check_mark: [#7] Test"], title=""
    )
    repo.commit(":memo: [#7] Document it", {"docs/x.rst": "x"})
    repo.branch("feature/big")
    repo.pull_request(
        20, "feature/20-part", [":sparkles: Part"], title=":sparkles: Part", base="feature/big"
    )
    repo.checkout("feature/big")
    repo.commits(":boom: [#8] Whole")
    repo.checkout("main")
    repo.merge("feature/big", message="Merge pull request #21 from org/feature/big\n\nBig")
    for name in ("a", "b"):
        repo.checkout(base, detach=True)
        repo.git("checkout", "--quiet", "-b", name)
        repo.commits(f":bug: Fix {name}", f":white_check_mark: Test {name}")
    repo.checkout("main")
    repo.merge("a", "b", message="Merge branches 'a' and 'b'")
    repo.commit("Add a test", {"src/app/tests/test_x.py": "x"})
    repo.commit("Direct fix #7", {"src/app/x.py": "y"})
