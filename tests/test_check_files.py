"""The watched files' versions over a range and per commit, as `changelog check` reads them:
blob ids from git's raw diff, contents by id; what a patch shows no text for is left out."""

from __future__ import annotations

from gitrepo import GitRepo

from ozrelease.checks.files import commit_files, range_files
from ozrelease.history import History

PATHS = [
    "conf/base.py",
    "conf/gone.py",
    "conf/new.py",
    "conf/moved.py",
    "conf/renamed.py",
    "conf/same.py",
    "conf/same-renamed.py",
    "conf/mode.sh",
    "conf/logo.bin",
    "conf/tail.py",
    "conf/empty.py",
    "conf/latin.py",
    "conf/was-empty.py",
]


def history_of_every_kind(repo: GitRepo) -> tuple[str, str]:
    """A release and a range after it that changes watched files in every way git can."""
    repo.commit(
        "Start",
        {
            "conf/base.py": "A = 1\n",
            "conf/gone.py": "G = 1\n",
            "conf/moved.py": "M = 1\n" * 20,
            "conf/same.py": "S = 1\n" * 20,
            "conf/mode.sh": "echo ${X:-1}\n",
            "conf/logo.bin": b"\x89PNG\r\n\x00\x00",
            "conf/tail.py": "T = 1\n",
            "conf/was-empty.py": "",
        },
    )
    since = repo.tag("1.0.0")
    repo.commit(
        "Change", {"conf/base.py": "A = 2\n", "conf/gone.py": None, "conf/was-empty.py": "E = 1\n"}
    )
    repo.commit("Add", {"conf/new.py": "N = 1\n", "conf/empty.py": "", "conf/tail.py": "T = 2"})
    repo.rename("conf/moved.py", "conf/renamed.py", "Rename")
    repo.commit("Change the renamed", {"conf/renamed.py": "M = 1\n" * 19 + "M = 2\n"})
    repo.rename("conf/same.py", "conf/same-renamed.py", "Rename only")
    (repo.path / "conf/mode.sh").chmod(0o755)
    repo.git("add", "conf/mode.sh")
    repo.commit("Mode only")
    repo.commit("Binary", {"conf/logo.bin": b"\x89PNG\r\n\x00\x01"})
    repo.commit("Latin-1", {"conf/latin.py": "N = 'caf\u00e9'\n".encode("latin-1")})
    return since, repo.head()


def test_the_range_and_each_commit_read_by_blob(gitrepo: GitRepo) -> None:
    since, tip = history_of_every_kind(gitrepo)
    history = History(gitrepo.path)
    assert range_files(history, since, tip, PATHS) == {
        "conf/base.py": ("A = 1\n", "A = 2\n"),
        "conf/gone.py": ("G = 1\n", None),
        "conf/new.py": (None, "N = 1\n"),
        "conf/renamed.py": ("M = 1\n" * 20, "M = 1\n" * 19 + "M = 2\n"),  # under the new name
        "conf/tail.py": ("T = 1\n", "T = 2\n"),  # a final newline, as a whole-file patch shows
        "conf/was-empty.py": ("\n", "E = 1\n"),
        "conf/latin.py": (None, "N = 'caf\udce9'\n"),  # undecodable bytes kept as surrogates
    }  # renamed or chmod-ed alone, binary, an empty file added: no text to compare
    commits = {
        gitrepo.git("log", "-1", "--format=%s", sha): files
        for sha, files in commit_files(history, since, tip, PATHS)
    }
    # Newest first; commits that leave no text changed (a rename, a mode, a binary) are left out.
    assert list(commits) == ["Latin-1", "Change the renamed", "Add", "Change"]
    assert commits["Change the renamed"] == {
        "conf/renamed.py": ("M = 1\n" * 20, "M = 1\n" * 19 + "M = 2\n")
    }
    assert commits["Change"] == {
        "conf/base.py": ("A = 1\n", "A = 2\n"),
        "conf/gone.py": ("G = 1\n", None),
        "conf/was-empty.py": ("\n", "E = 1\n"),
    }
    assert commits["Add"]["conf/tail.py"] == ("T = 1\n", "T = 2\n")
    # Over the whole history (no `since`), everything is new.
    assert range_files(history, None, tip, ["conf/base.py"]) == {"conf/base.py": (None, "A = 2\n")}
