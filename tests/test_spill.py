"""Long ranges: finished changes move to a temporary database on disk (changelog.spill), and
everything that comes out is the same as when they stay in memory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from gitrepo import GitRepo, fresh
from hypothesis import given, settings
from hypothesis import strategies as st
from tests_support import fast_import_history

from ozrelease.changelog import generate as changelog
from ozrelease.changelog.commits import Change, Classifier, group_records
from ozrelease.changelog.config import ChangelogConfig
from ozrelease.changelog.spill import Spill, StoredChanges
from ozrelease.cli import cli
from ozrelease.errors import OzReleaseError
from ozrelease.history import History


@pytest.fixture
def gitrepo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    return fresh(tmp_path, monkeypatch)


def _classifier(fmt: str = "rst") -> Classifier:
    config = ChangelogConfig()
    sections, default = config.sections_for(fmt)
    return Classifier(config, sections, default)


# -- random histories, grouped in memory and on disk ---------------------------------------

_SUBJECTS = [
    ":sparkles: [#{issue}] Add {word}",
    ":bug: [#{issue}] Fix {word}",
    ":boom: Drop {word}",
    ":memo: Document {word}",
    ":white_check_mark: [#{issue}] Test {word}",
    "feat(api)!: {word}",
    "fix: {word} (#{issue})",
    "{word} changed",
]
_PATHS = [("src/app/x.py",), ("src/app/tests/test_x.py",), ("docs/x.rst",), ()]


@st.composite
def histories(
    draw: st.DrawFn,
) -> tuple[str, list[tuple[str, tuple[str, ...], str, str, tuple[str, ...]]]]:
    """(tip, records children first) of a random history: a main line with commits, pull
    requests merged with merge commits (some nested, some titled, some not), plain merges
    and issues shared by several changes."""
    count = draw(st.integers(1, 60))
    commits: list[tuple[str, tuple[str, ...], str, str, tuple[str, ...]]] = []
    main: str | None = None
    for n in range(count):
        sha = f"{n:040x}"
        subject = draw(st.sampled_from(_SUBJECTS)).format(
            issue=draw(st.integers(1, 6)), word=draw(st.sampled_from(["a", "b", "c"]))
        )
        paths = draw(st.sampled_from(_PATHS))
        kind = draw(st.integers(0, 3)) if commits else 0
        if kind == 0 or main is None:
            parents: tuple[str, ...] = (main,) if main else ()
            commits.append((sha, parents, subject, "", paths))
        else:
            # A side commit on an older commit, merged into the main line.
            side_parent = draw(st.sampled_from([c[0] for c in commits]))
            commits.append((sha, (side_parent,), subject, "", paths))
            n_merge = f"{n:039x}m"
            issue = draw(st.integers(1, 6))
            merge_subject = (
                f"Merge pull request #{100 + n} from org/issue/{issue}-x"
                if kind < 3
                else "Merge branch 'topic'"
            )
            body = draw(st.sampled_from(["", f":sparkles: [#{issue}] Title", "Reviewed-by: x"]))
            commits.append((n_merge, (main, sha), merge_subject, body, ()))
            sha = n_merge
        main = sha
    assert main is not None
    return main, list(reversed(commits))  # children before parents, as git log gives them


@settings(max_examples=300, deadline=None)
@given(history=histories(), spill_after=st.integers(1, 5), internal=st.booleans())
def test_spilled_changes_equal_the_changes_kept_in_memory(
    history: tuple[str, list[tuple[str, tuple[str, ...], str, str, tuple[str, ...]]]],
    spill_after: int,
    internal: bool,
) -> None:
    tip, records = history
    classifier = _classifier()
    kept = group_records(records, tip=tip, classifier=classifier, internal=internal)
    spilled = group_records(
        records, tip=tip, classifier=classifier, internal=internal, spill_after=spill_after
    )
    assert isinstance(kept, list)
    assert list(spilled) == kept
    if len(kept) < spill_after:  # (fewer units may stay in memory)
        return
    assert isinstance(spilled, StoredChanges)
    assert len(spilled) == len(kept)
    if kept:
        assert spilled[0] == kept[0] and spilled[-1] == kept[-1]
        assert spilled[1:3] == kept[1:3]
    for index in spilled.sections():
        in_section = [c for c in kept if c.section == index]
        in_section.sort(key=lambda c: not c.breaking)  # (stable: by landed otherwise)
        assert list(spilled.in_section(index, _change)) == in_section
    assert set(spilled.sections()) == {c.section for c in kept if c.section is not None}


def _change(made: tuple[int | None, str, tuple[str, ...], tuple[str, ...], bool, int]) -> Change:
    return Change(*made)


def test_a_history_below_the_limit_stays_in_memory() -> None:
    records = [("b" * 40, ("a" * 40,), ":bug: Fix", "", ()), ("a" * 40, (), ":tada: Start", "", ())]
    kept = group_records(records, tip="b" * 40, classifier=_classifier(), spill_after=3)
    assert isinstance(kept, list) and len(kept) == 2


# -- through the changelog, in a real repository -------------------------------------------


def _busy(repo: GitRepo) -> None:
    repo.commit("Initial", {"README": "x"})
    repo.pull_request(1, "issue/7-a", [":recycle: [#7] Prepare", ":bug: [#7] Fix"], title="")
    repo.commit(":memo: [#7] Document it", {"docs/x.rst": "x"})
    repo.pull_request(2, "feature/9-b", [":sparkles: [#9] Add b"], title=":sparkles: [#9] B")
    repo.commit(":boom: Drop the old API", {"src/app/api.py": "x"})
    repo.commit(":white_check_mark: Test", {"src/app/tests/test_x.py": "x"})
    repo.commit(":bug: Fix c", {"src/app/c.py": "c"})


@pytest.mark.parametrize("fmt", ["rst", "markdown"])
def test_generate_writes_the_same_changelog_from_disk(gitrepo: GitRepo, fmt: str) -> None:
    _busy(gitrepo)
    history = History(gitrepo.path)
    kept = changelog.generate(history, fmt=fmt, spill_after=None)
    spilled = changelog.generate(history, fmt=fmt, spill_after=1)
    assert all(isinstance(s.entries, tuple) for s in kept.changelog.sections)
    assert not any(isinstance(s.entries, tuple) for s in spilled.changelog.sections)
    as_json = "".join(changelog.json_pieces(kept.changelog))
    assert "".join(changelog.json_pieces(spilled.changelog)) == as_json
    assert json.loads(as_json)["sections"]  # (something to compare)
    assert changelog.render_section(spilled.changelog, spilled.style) == changelog.render_section(
        kept.changelog, kept.style
    )


def test_the_command_spills_a_long_history_and_prints_the_same(gitrepo: GitRepo) -> None:
    """Past SPILL_AFTER changes `changelog generate` keeps them on disk, and prints what it
    prints when they stay in memory."""
    gitrepo.commit("Initial", {"README": "x"})
    fast_import_history(gitrepo, changelog.SPILL_AFTER + 300)  # one issue, one change each
    history = History(gitrepo.path)
    spilled = changelog.generate(history)
    assert not any(isinstance(s.entries, tuple) for s in spilled.changelog.sections)
    assert sum(len(s.entries) for s in spilled.changelog.sections) == changelog.SPILL_AFTER + 301
    kept = changelog.generate(history, spill_after=None)
    expected = "".join(changelog.json_pieces(kept.changelog)) + "\n"
    result = CliRunner().invoke(
        cli, ["changelog", "generate", "--format", "json", "--repo", str(gitrepo.path)]
    )
    assert (result.exit_code, result.output) == (0, expected)


def test_a_failing_temporary_database_is_a_clear_error() -> None:
    spill = Spill()
    spill.close()
    with pytest.raises(OzReleaseError, match="TMPDIR") as caught:
        spill.add_units([(None, (0, 1, 0, "text", (), ("a" * 40,), False))])
    assert caught.value.exit_code == 2
