"""Who "this repository" is on its forge, and the Sphinx roles its changelog links issues with."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ozrelease.errors import InputError
from ozrelease.inputs import read_bytes

__all__ = [
    "Identity",
    "forge_identity",
    "repo_from_url",
    "sphinx_issue_roles",
    "unknown_identity_note",
]

_REPO = re.compile(r"^[\w.-]+(/[\w.-]+)+$")
_FORGE_ISSUE = re.compile(
    r"^https?://(?:www\.)?(?P<host>[^/]+)/(?P<repo>[\w.-]+(?:/[\w.-]+)+?)(?:/-)?/(?:issues|pull|merge_requests)/%s/?$"
)
# What follows `owner/name` in a web address of a repository's page on a forge.
_PAGE = re.compile(
    r"/(?:-/.*|issues|pulls?|merge_requests|tree|blob|wiki|releases|discussions|actions|"
    r"blame|commits?|compare|tags|branches|security|projects|milestones|labels)(?:/.*)?$"
)
_MAX_FILE = 1 << 20  # publiccode.yml and pyproject.toml beyond this are not read


@dataclass(frozen=True)
class Identity:
    """`owner/name` of this repository on its forge, and where that was read."""

    repo: str | None
    source: str
    """`configuration`, `remote origin`, `remote upstream`, `publiccode.yml url`,
    `pyproject.toml [project.urls] Repository`, or `unknown`."""
    url: str | None = None
    """The URL it was read from (a remote's), for the forge host."""


def repo_from_url(url: str) -> str | None:
    """`owner/name` of a forge URL (https or ssh, GitHub or GitLab style), else None.

    A web address of a page inside the repository (`.../issues`, `.../tree/main`, `/-/...`)
    names the repository too. A local path or a `file://` URL names none."""
    text = url.strip()
    match = re.match(r"^(?:ssh://)?[\w.-]+@(?P<host>[^:/]+)[:/](?P<path>.+?)(?:\.git)?/?$", text)
    if not match:
        match = re.match(
            r"^(?:https?|git)://(?:[^@/]+@)?(?P<host>[^/]+)/(?P<path>.+?)(?:\.git)?/?$", text
        )
    if not match:
        return None
    path = _PAGE.sub("", match.group("path").split("/-/")[0])
    if match.group("host").lower() in ("github.com", "www.github.com", "bitbucket.org"):
        path = "/".join(path.split("/")[:2])  # these forges have no subgroups
    path = path.removesuffix(".git")
    return path if _REPO.match(path) else None


def forge_identity(
    root: Path,
    configured: str | None,
    remote_url: Callable[[str], str | None],
    remotes: Callable[[], Iterable[str]] | None,
) -> Identity:
    """This repository's `owner/name`: from configuration, else the `origin` remote, else any
    other remote (sorted by name), else `publiccode.yml`'s `url`, else a repository URL in
    `pyproject.toml` `[project.urls]`. A remote that is a local path or a mirror names none;
    `Identity.repo` is None when nothing does. With `remotes` None, only configuration and
    `origin` are read."""
    if configured:
        return Identity(configured, "configuration")
    origin = remote_url("origin")
    if origin and (repo := repo_from_url(origin)):
        return Identity(repo, "remote origin", origin)
    if remotes is None:
        return Identity(None, "unknown")
    for name in sorted(set(remotes()) - {"origin"}):
        url = remote_url(name)
        if url and (repo := repo_from_url(url)):
            return Identity(repo, f"remote {name}", url)
    for candidate in ("publiccode.yml", "publiccode.yaml"):
        url = _publiccode_url(root / candidate)
        if url and (repo := repo_from_url(url)):
            return Identity(repo, f"{candidate} url", url)
    found = _project_url(root / "pyproject.toml")
    if found is not None:
        key, url, repo = found
        return Identity(repo, f"pyproject.toml [project.urls] {key}", url)
    return Identity(None, "unknown")


def unknown_identity_note() -> str:
    """What to say on stderr when the repository's forge identity is unknown."""
    return (
        "note: this repository's forge name (owner/name) is unknown: no remote is a forge URL "
        "and neither publiccode.yml url nor pyproject.toml [project.urls] names one, so a bare "
        "#N is not matched with references that name the repository; set "
        '[tool.ozrelease.changelog] repository = "owner/name"'
    )


def _small_text(path: Path) -> str | None:
    try:
        if not path.is_file() or path.stat().st_size > _MAX_FILE:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _publiccode_url(path: Path) -> str | None:
    """The top-level `url:` of a publiccode file, read as a line (no YAML loader needed)."""
    text = _small_text(path)
    if text is None:
        return None
    for line in text.splitlines():
        match = re.match(r"^url:\s*(?P<q>['\"]?)(?P<url>[^'\"#\s]+)(?P=q)\s*(?:#.*)?$", line)
        if match:
            return match.group("url")
    return None


# [project.urls] keys that name the repository itself, best first.
_URL_KEYS = ("repository", "source", "source code", "code", "github", "gitlab", "homepage")


def _project_url(path: Path) -> tuple[str, str, str] | None:
    text = _small_text(path)
    if text is None:
        return None
    import tomllib  # only when no remote named the repository (changelog generate stays lean)

    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):
        return None
    project = data.get("project")
    urls = project.get("urls") if isinstance(project, dict) else None
    if not isinstance(urls, dict):
        return None
    ranked = sorted(
        (
            (_URL_KEYS.index(key.lower()) if key.lower() in _URL_KEYS else len(_URL_KEYS), key)
            for key, value in urls.items()
            if isinstance(key, str) and isinstance(value, str)
        ),
    )
    for _, key in ranked:
        url = urls[key]
        host = re.match(r"^https?://(?:www\.)?([^/]+)/", url)
        if host is None or not re.search(r"github|gitlab|codeberg|bitbucket|gitea", host.group(1)):
            continue  # a documentation site or a home page elsewhere names no repository
        repo = repo_from_url(url)
        if repo:
            return key, url, repo
    return None


def sphinx_issue_roles(root: Path) -> dict[str, str]:
    """Sphinx `extlinks` roles that point at a forge's issues, as role -> `owner/name`.

    Read from `docs/conf.py` (or `docs/source/conf.py`, `doc/conf.py`) with `ast`: the file is
    never executed. A missing or unreadable file gives no roles.
    """
    for candidate in ("docs/conf.py", "docs/source/conf.py", "doc/conf.py", "doc/source/conf.py"):
        path = root / candidate
        if path.is_file():
            try:
                tree = ast.parse(read_bytes(path), filename=str(path))
            except (SyntaxError, ValueError, OSError, InputError, RecursionError, MemoryError):
                return {}  # (too deeply nested for Python's parser counts as unreadable)
            return _roles_from_ast(tree)
    return {}


def _roles_from_ast(tree: ast.Module) -> dict[str, str]:
    links: dict[str, object] = {}
    for node in tree.body:
        value: ast.expr | None = None
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "extlinks" for t in node.targets)
        ) or (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == "extlinks"
        ):
            value = node.value
        if value is None:
            continue
        try:
            literal = ast.literal_eval(value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
        if isinstance(literal, dict):
            links = dict(literal)
    roles = {}
    for role, target in links.items():
        url = target[0] if isinstance(target, tuple | list) and target else target
        if not isinstance(role, str) or not isinstance(url, str):
            continue
        match = _FORGE_ISSUE.match(url.strip())
        if match:
            roles[role] = match.group("repo")
    return roles
