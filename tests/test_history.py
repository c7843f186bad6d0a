"""history.py against real repositories: the scan, tags, refs, shallow clones, patch ids."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from gitrepo import GitRepo
from tests_support import fast_import_history, installed_ozrelease

from ozrelease.errors import GitError
from ozrelease.history import Commit, FileChange, History
from ozrelease.versions import parse_version, tag_version


def scan(repo: GitRepo, to: str = "HEAD", **kwargs: object) -> list[Commit]:
    return list(History(repo.path).commits(to, **kwargs))  # type: ignore[arg-type]


def test_linear_history_fields_files_and_dates(gitrepo: GitRepo) -> None:
    first = gitrepo.commit("Add a", {"a.txt": "a\n", "b.txt": "b\n"})
    second = gitrepo.commit(
        "Change a\n\nWhy it changed.\n\nSigned-off-by: A <a@example.com>",
        {"a.txt": "aa\n", "b.txt": None},
    )
    commits = scan(gitrepo)
    assert [c.sha for c in commits] == [second, first]
    newest = commits[0]
    assert newest.parents == (first,)
    assert newest.subject == "Change a"
    assert newest.body == "Why it changed.\n\nSigned-off-by: A <a@example.com>"
    assert [(t.key, t.value) for t in newest.trailers] == [("signed-off-by", "A <a@example.com>")]
    assert newest.files == (FileChange("M", "a.txt"), FileChange("D", "b.txt"))
    assert commits[1].files == (FileChange("A", "a.txt"), FileChange("A", "b.txt"))
    assert newest.author.name == "Test Author"
    assert newest.authored_at == datetime(2024, 1, 1, 12, 2, tzinfo=UTC)
    assert newest.committed_at == newest.authored_at
    assert not newest.is_merge


def test_renames_empty_commits_and_huge_messages(gitrepo: GitRepo) -> None:
    gitrepo.commit("Add", {"old/name.py": "print('hello world')\n" * 20})
    gitrepo.rename("old/name.py", "new/name.py", "Move it")
    huge = "Huge\n\n" + ("x" * 120 + "\n") * 20_000
    gitrepo.commit(huge)
    commits = scan(gitrepo)
    assert commits[0].files == ()
    assert len(commits[0].body) > 2_000_000
    assert commits[1].files == (FileChange("R", "new/name.py", "old/name.py", 100),)


def test_merges_and_octopus_merges_have_all_parents_and_no_files(gitrepo: GitRepo) -> None:
    base = gitrepo.commit("Base", {"a": "1"})
    for name in ("one", "two", "three"):
        gitrepo.checkout(base, detach=True)
        gitrepo.git("checkout", "--quiet", "-b", name)
        gitrepo.commit(f"On {name}", {f"{name}.txt": name})
    gitrepo.checkout("main")
    plain = gitrepo.merge("one", message="Merge branch 'one'")
    octopus = gitrepo.merge("two", "three", message="Merge branches 'two' and 'three'")
    commits = {c.sha: c for c in scan(gitrepo)}
    assert len(commits[plain].parents) == 2
    assert len(commits[octopus].parents) == 3
    assert commits[octopus].files == () and commits[octopus].is_merge


def test_children_come_before_parents(gitrepo: GitRepo) -> None:
    gitrepo.commit("Base", {"a": "1"})
    gitrepo.pull_request(1, "feature/1-x", ["One", "Two"])
    gitrepo.commit("Direct", {"b": "1"})
    gitrepo.pull_request(2, "feature/2-y", ["Three"])
    seen: set[str] = set()
    for commit in scan(gitrepo):
        assert not (set(commit.parents) & seen)
        seen.add(commit.sha)


def test_messages_in_other_encodings_and_invalid_bytes(gitrepo: GitRepo) -> None:
    gitrepo.commit("Base", {"a": "1"})
    latin = gitrepo.commit_raw("Caf\u00e9 cr\u00e8me\n".encode("iso-8859-1"), encoding="ISO-8859-1")
    bogus = gitrepo.commit_raw(b"Koi \xc1\xc2\n", encoding="no-such-encoding")
    broken = gitrepo.commit_raw(b"Broken \xff\xfe bytes\n\nbody \xe9\n")
    commits = {c.sha: c for c in scan(gitrepo)}
    assert commits[latin].subject == "Caf\u00e9 cr\u00e8me"
    assert commits[latin].encoding == "ISO-8859-1"
    assert commits[bogus].subject.startswith("Koi ")
    assert "\ufffd" in commits[broken].subject
    assert commits[broken].body == "body \ufffd"


def test_range_detached_head_and_count(gitrepo: GitRepo) -> None:
    first = gitrepo.commit("One", {"a": "1"})
    gitrepo.tag("v1.0.0")
    second = gitrepo.commit("Two", {"a": "2"})
    gitrepo.checkout(first, detach=True)
    history = History(gitrepo.path)
    assert [c.sha for c in history.commits("HEAD")] == [first]
    assert [c.sha for c in history.commits("main", since="v1.0.0")] == [second]
    assert history.count("main", since="v1.0.0") == 1
    assert list(history.commits("v1.0.0", since="v1.0.0")) == []


def test_progress_is_reported(gitrepo: GitRepo) -> None:
    gitrepo.commits(*[f"Commit {i}" for i in range(3)])
    seen: list[int] = []
    scan(gitrepo, progress=seen.append)
    assert seen == [3]


def test_stopping_early_ends_the_git_process(gitrepo: GitRepo) -> None:
    gitrepo.commits("One", "Two", "Three")
    stream = History(gitrepo.path).commits()
    assert next(stream).subject == "Three"
    stream.close()  # must not hang or leave git running


def test_resolving_a_full_sha_again_asks_git_once(
    gitrepo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sha = gitrepo.commit("One", {"a": "1"})
    history = History(gitrepo.path)
    assert history.resolve(sha) == sha
    trace = tmp_path / "trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))  # git writes each command it runs there

    def rev_parses() -> int:
        text = trace.read_text() if trace.exists() else ""
        return text.count("built-in: git rev-parse")

    assert history.resolve(sha) == sha
    assert rev_parses() == 0
    assert history.resolve("HEAD") == sha
    assert rev_parses() == 1  # names that can move are always asked
    other = gitrepo.commit("Two", {"a": "2"})
    assert history.resolve("HEAD") == other
    assert history.resolve(other) == other
    assert rev_parses() == 2


def _git_children() -> list[int]:
    """This process's git children, running or not yet reaped (from Linux's /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # (gone meanwhile)
        comm = text[text.index("(") + 1 : text.rindex(")")]
        ppid = int(text[text.rindex(")") + 2 :].split()[1])
        if ppid == os.getpid() and comm == "git":
            found.append(int(stat.parent.name))
    return sorted(found)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_scans_let_go_of_stop_and_reap_git(gitrepo: GitRepo) -> None:
    gitrepo.commit("Start", {"a": "1"})
    fast_import_history(gitrepo, 3000)  # more than fits in the pipe: git waits on us
    history = History(gitrepo.path)
    before = _git_children()
    unread = history.commits()  # git started, nothing read
    assert len(_git_children()) == len(before) + 1
    del unread
    gc.collect()
    assert _git_children() == before
    iterator = iter(history.commits())  # the Scan itself is gone at once, the records not
    assert next(iterator).sha
    assert len(_git_children()) == len(before) + 1
    assert sum(1 for _ in iterator) == 3000  # read to the end though the Scan is gone
    del iterator
    gc.collect()
    assert _git_children() == before


def _exited(pid: int) -> bool:
    """Whether a child has exited (a zombie until it is reaped), from Linux's /proc."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()[0] == "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_git_writes_the_whole_range_before_it_is_read(gitrepo: GitRepo) -> None:
    gitrepo.commit("Start", {"a": "1"})
    fast_import_history(gitrepo, 3000)  # more than fits in the pipe
    history = History(gitrepo.path)
    before = _git_children()
    scan = history.commits()  # nothing read yet: git need not wait for the reader
    (git,) = [pid for pid in _git_children() if pid not in before]
    deadline = time.monotonic() + 60
    while not _exited(git) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _exited(git)
    assert sum(1 for _ in scan) == 3001
    assert _git_children() == before


def test_a_scan_stopped_early_leaves_no_reader_behind(gitrepo: GitRepo) -> None:
    gitrepo.commit("Start", {"a": "1"})
    fast_import_history(gitrepo, 3000)
    for _ in range(3):
        with History(gitrepo.path).commits() as scan:
            next(scan)
    deadline = time.monotonic() + 10
    while _readers() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _readers() == []


def _readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "git-output" and t.is_alive()]


def test_paths_and_first_parent(gitrepo: GitRepo) -> None:
    gitrepo.commit("Docs", {"docs/a.rst": "a"})
    gitrepo.pull_request(3, "feature/3-x", ["Code"])
    history = History(gitrepo.path)
    assert [c.subject for c in history.commits(paths=["docs"])] == ["Docs"]
    assert [c.subject for c in history.commits(first_parent=True)] == [
        "Merge pull request #3 from org/feature/3-x",
        "Docs",
    ]
    assert all(c.files == () for c in history.commits(files=False))


# -- tags and refs -----------------------------------------------------------------------


def test_tags_lightweight_annotated_and_not_versions(gitrepo: GitRepo) -> None:
    first = gitrepo.commit("One", {"a": "1"})
    gitrepo.tag("v1.2.0")
    gitrepo.tag("nightly")
    second = gitrepo.commit("Two", {"a": "2"})
    gitrepo.tag("1.10.0", message="Release 1.10.0")
    tags = {t.name: t for t in History(gitrepo.path).tags()}
    assert tags["v1.2.0"].sha == first and not tags["v1.2.0"].annotated
    assert tags["v1.2.0"].version == parse_version("1.2.0") and tags["v1.2.0"].prefix == "v"
    assert tags["1.10.0"].sha == second and tags["1.10.0"].annotated
    assert tags["1.10.0"].prefix == ""
    assert tags["nightly"].version is None
    assert [t.name for t in History(gitrepo.path).tags()] == ["nightly", "v1.2.0", "1.10.0"]


def test_newest_tag_goes_by_version_order_and_reachability(gitrepo: GitRepo) -> None:
    gitrepo.commit("One", {"a": "1"})
    gitrepo.tag("1.10.0")
    gitrepo.commit("Two", {"a": "2"})
    gitrepo.tag("1.9.0")  # newer by date, older by version
    gitrepo.branch("other")
    gitrepo.commit("Three", {"a": "3"})
    gitrepo.tag("2.0.0rc1")
    gitrepo.checkout("other")
    gitrepo.commit("Elsewhere", {"b": "1"})
    gitrepo.tag("3.0.0")  # not reachable from main
    history = History(gitrepo.path)
    assert history.newest_tag("main").name == "2.0.0rc1"  # type: ignore[union-attr]
    assert history.newest_tag("main", exclude_ref=True).name == "1.10.0"  # type: ignore[union-attr]
    assert history.newest_tag("main", prereleases=False).name == "1.10.0"  # type: ignore[union-attr]
    assert history.newest_tag("other").name == "3.0.0"  # type: ignore[union-attr]


def test_newest_tag_on_a_maintenance_branch_with_many_newer_tags(gitrepo: GitRepo) -> None:
    """Higher versions out of reach (released on main after the branch was cut) do not
    count; the answer is the highest reachable version, whichever ref it is asked for."""
    gitrepo.commit("Start", {"a": "0"})
    gitrepo.tag("1.0.0")
    gitrepo.branch("stable/1.x")
    shas = {}
    for minor in range(1, 9):  # 1.1.0 ... 1.8.0 (and a pre-release) on main
        shas[f"main-{minor}"] = gitrepo.commit(f"Main {minor}", {"a": str(minor)})
        gitrepo.tag(f"1.{minor}.0")
    gitrepo.tag("2.0.0rc1")
    gitrepo.checkout("stable/1.x")
    for patch in range(1, 4):  # 1.0.1 ... 1.0.3 on the maintenance branch
        shas[f"stable-{patch}"] = gitrepo.commit(f"Fix {patch}", {"b": str(patch)})
        gitrepo.tag(f"1.0.{patch}")
    shas["merged"] = gitrepo.merge("main", message="Merge main into stable")
    history = History(gitrepo.path)
    expected_names = {
        "stable-1": "1.0.1", "stable-3": "1.0.3", "main-3": "1.3.0", "merged": "2.0.0rc1",
    }  # fmt: skip
    for name, sha in shas.items():
        for exclude_ref in (False, True):
            for prereleases in (False, True):
                found = history.newest_tag(sha, exclude_ref=exclude_ref, prereleases=prereleases)
                reachable = [
                    t
                    for t in history.tags(merged_into=sha)
                    if t.version is not None
                    and not (exclude_ref and t.sha == sha)
                    and (prereleases or not t.version.is_prerelease)
                ]
                best = max(reachable, key=lambda t: (t.version, t.date, t.name), default=None)
                assert found == best, (name, exclude_ref, prereleases)
    for name, tag in expected_names.items():
        assert history.newest_tag(shas[name]).name == tag  # type: ignore[union-attr]
    assert history.newest_tag(shas["stable-1"], exclude_ref=True).name == "1.0.0"  # type: ignore[union-attr]


def test_no_tags(gitrepo: GitRepo) -> None:
    gitrepo.commit("One", {"a": "1"})
    assert History(gitrepo.path).newest_tag() is None
    assert History(gitrepo.path).tags() == ()


def test_unknown_refs_and_non_repositories(gitrepo: GitRepo, tmp_path: Path) -> None:
    with pytest.raises(GitError, match="no commits yet"):
        History(gitrepo.path).resolve("HEAD")
    gitrepo.commit("One", {"a": "1"})
    history = History(gitrepo.path)
    with pytest.raises(GitError, match="unknown ref 'nope'"):
        history.resolve("nope")
    with pytest.raises(GitError, match="unknown ref '--all'"):
        list(history.commits("--all"))
    with pytest.raises(GitError, match="unknown ref"):
        list(history.commits(since="v9"))
    (tmp_path / "plain").mkdir()
    with pytest.raises(GitError, match="not a git repository"):
        History(tmp_path / "plain")
    with pytest.raises(GitError, match="no such directory"):
        History(tmp_path / "missing")
    assert history.root == gitrepo.path
    assert History(gitrepo.path / ".git").root == gitrepo.path
    (gitrepo.path / "sub" / "deeper").mkdir(parents=True)
    assert History(gitrepo.path / "sub" / "deeper").root == gitrepo.path
    bare = tmp_path / "bare.git"
    gitrepo.git("clone", "--quiet", "--bare", str(gitrepo.path), str(bare))
    assert History(bare).root == bare
    assert History(bare).resolve("HEAD") == history.resolve("HEAD")


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give files away"
)
def test_a_repository_git_refuses_says_why(gitrepo: GitRepo) -> None:
    gitrepo.commit("One", {"a": "1"})
    for path in [gitrepo.path, *gitrepo.path.rglob("*")]:
        os.chown(path, 4321, 4321, follow_symlinks=False)  # someone else's (a CI container)
    with pytest.raises(GitError) as refused:
        History(gitrepo.path)
    message = str(refused.value)
    assert "not a git repository" not in message
    assert "dubious ownership" in message
    assert f"git config --global --add safe.directory {gitrepo.path}" in message


def test_no_git_on_path(gitrepo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    gitrepo.commit("One", {"a": "1"})
    history = History(gitrepo.path)
    monkeypatch.setenv("PATH", str(gitrepo.path / "sub"))  # (a directory without git)
    with pytest.raises(GitError, match="git is not installed"):
        History(gitrepo.path)
    with pytest.raises(GitError, match="git is not installed"):
        list(history.commits())


def test_branches_and_remote(gitrepo: GitRepo) -> None:
    gitrepo.commit("One", {"a": "1"})
    for name in ("stable/1.28.x", "stable/1.29.x", "feature/x"):
        gitrepo.branch(name)
    history = History(gitrepo.path)
    assert history.branches("stable/*") == ("stable/1.28.x", "stable/1.29.x")
    assert history.remote_url() is None
    gitrepo.git("remote", "add", "origin", "git@github.com:open-zaak/open-zaak.git")
    assert history.remote_url() == "git@github.com:open-zaak/open-zaak.git"


# -- shallow clones ------------------------------------------------------------------------


def test_shallow_clone_is_detected_where_the_range_reaches_its_boundary(
    gitrepo: GitRepo, tmp_path: Path
) -> None:
    gitrepo.commits("One", "Two")
    gitrepo.tag("1.0.0")
    gitrepo.commits("Three", "Four", "Five")
    clone = gitrepo.clone(tmp_path / "shallow", depth=2)
    history = History(clone.path)
    assert history.is_shallow() and len(history.shallow_boundary()) == 1
    assert [c.subject for c in history.commits(since="HEAD~1")] == ["Five"]
    with pytest.raises(GitError, match=r"shallow.*git fetch --unshallow --tags.*fetch-depth: 0"):
        list(history.commits())
    with pytest.raises(GitError, match=r"unknown ref '1.0.0' .*shallow.*--unshallow"):
        history.resolve("1.0.0")
    assert not History(gitrepo.path).is_shallow()


# -- for backports (issue 7) ---------------------------------------------------------------


def test_cherry_picks_and_patch_ids(gitrepo: GitRepo) -> None:
    gitrepo.commit("Base", {"a.txt": "1\n"})
    gitrepo.branch("stable/1.0.x")
    fix = gitrepo.commit(":bug: Fix it", {"b.txt": "fixed\n"})
    gitrepo.commit("Unrelated", {"c.txt": "c\n"})
    gitrepo.checkout("stable/1.0.x")
    with_x = gitrepo.cherry_pick(fix)
    gitrepo.git("reset", "--quiet", "--hard", "HEAD~1")
    without_x = gitrepo.cherry_pick(fix, record=False)
    history = History(gitrepo.path)
    picked = next(c for c in history.commits(with_x) if c.sha == with_x)
    assert picked.cherry_picked_from == (fix,)
    ids = history.patch_ids("main")
    assert len(ids) == 3
    assert history.patch_ids(without_x, since="stable/1.0.x~1")[without_x] == ids[fix]


def test_patch_ids_of_chosen_commits(gitrepo: GitRepo) -> None:
    shas = [gitrepo.commit(f"Change {n}", {f"f{n}.txt": f"{n}\n"}) for n in range(5)]
    gitrepo.branch("topic")
    gitrepo.checkout("topic")
    topic = gitrepo.commit("On topic", {"t.txt": "t\n"})
    gitrepo.checkout("main")
    gitrepo.commit("On main", {"m.txt": "m\n"})
    merge = gitrepo.merge("topic")
    assert len(gitrepo.git("rev-list", "--parents", "-n1", merge).split()) == 3
    empty = gitrepo.commit("Nothing", {})
    history = History(gitrepo.path)
    every = history.patch_ids("main")
    asked = [shas[1], shas[3], topic, merge, empty]
    # The same ids as for the whole range; merges and empty commits have none.
    assert history.patch_ids_of(asked) == {sha: every[sha] for sha in (shas[1], shas[3], topic)}
    assert history.patch_ids_of([]) == {}


# -- scans: git starts at once, and stops when the scan does ---------------------------------


def test_a_scan_starts_git_when_it_is_made(gitrepo: GitRepo) -> None:
    gitrepo.commit("One", {"a": "1"})
    history = History(gitrepo.path)
    with pytest.raises(GitError, match="unknown ref 'nope'"):
        history.commits("nope")  # (not iterated: the refs are resolved and git started here)


def test_a_scan_closed_early_stops_git_and_counts_what_it_read(gitrepo: GitRepo) -> None:
    gitrepo.commit("Initial", {"README": "x"})
    fast_import_history(gitrepo, 3000)  # more than a pipe holds: git waits for the reader
    history = History(gitrepo.path)
    with history.commits() as scan:
        first = next(scan)
        assert first.subject == ":bug: [#3000] Fix number 3000"
    assert list(scan) == []  # closed: nothing more comes
    whole = history.commits()
    assert sum(1 for _ in whole) == 3001 and whole.read == 3001


def test_the_installed_command_finds_worktrees_bare_repositories_and_git_dir(
    gitrepo: GitRepo, tmp_path: Path
) -> None:
    """`changelog generate` from a linked worktree (its own branch's commits), from a bare
    clone with `--repo`, and from anywhere with GIT_DIR / GIT_WORK_TREE set, as git reads them."""
    gitrepo.commit(":tada: Start", {"CHANGELOG.md": "", "src/a.py": "0"})
    gitrepo.tag("1.0.0")
    gitrepo.commit(":sparkles: [#1] Add zaak notes", {"src/a.py": "1"})
    exe = installed_ozrelease()
    linked = tmp_path / "linked"
    gitrepo.git("worktree", "add", "--quiet", "-b", "feature/2", str(linked))
    subprocess.run(["git", "-C", str(linked), "commit", "--quiet", "--allow-empty",
                    "-m", ":bug: [#2] Fix the zaak list"], check=True)  # fmt: skip
    bare = tmp_path / "bare.git"
    gitrepo.git("clone", "--quiet", "--bare", str(gitrepo.path), str(bare))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "GIT_DIR": str(gitrepo.path / ".git"), "GIT_WORK_TREE": str(gitrepo.path)}

    def entries(cwd: Path, *args: str, environ: dict[str, str] | None = None) -> list[str]:
        done = subprocess.run(
            [exe, "changelog", "generate", "--from", "1.0.0", "--format", "json", *args],
            cwd=cwd, env=environ, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return [e["text"] for s in json.loads(done.stdout)["sections"] for e in s["entries"]]

    assert entries(linked) == ["Add zaak notes", "Fix the zaak list"]
    assert entries(elsewhere, "--repo", str(bare)) == ["Add zaak notes"]
    assert entries(elsewhere, environ=env) == ["Add zaak notes"]


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("1.2.3", "1.2.3"),
        ("v1.2.3", "1.2.3"),
        ("release/0.4.0", "0.4.0"),
        ("releases/v2.1", "2.1"),
        ("release-1.2.3", "1.2.3"),
        ("version/3.0.0rc1", "3.0.0rc1"),
        ("zgw-consumers-1.1.0", None),  # another package's tag
        ("archive/1.0.x", None),
        ("release/1.2.3/hotfix", None),
        ("stable", None),
    ],
)
def test_which_tag_names_are_versions(name: str, version: str | None) -> None:
    found = tag_version(name)
    assert (str(found) if found is not None else None) == version
