"""The only jinja2 importer: one Environment for built-in templates, a sandbox for users'."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from ozrelease.errors import InputError
from ozrelease.inputs import read_text
from ozrelease.resources import bundled_templates
from ozrelease.terminal import inert


def _autoescape(name: str | None) -> bool:
    # Templates are named <artifact>.<format>.j2; HTML ones are escaped, the rest are not.
    return bool(name) and (str(name).endswith(".html.j2") or str(name).endswith(".html"))


_OPTIONS: dict[str, Any] = {
    "undefined": jinja2.StrictUndefined,
    "autoescape": _autoescape,
    "keep_trailing_newline": True,
    "trim_blocks": True,
    "lstrip_blocks": True,
}

_MD_SPECIAL = re.compile(r"[\\`*\[\]|]|<(?=[A-Za-z/!?])")


def markdown_text(value: object) -> str:
    """Text that Markdown shows as written: `<BASE_DIR>` is not an HTML tag, `|` does not end
    a table cell, `*` starts no emphasis. Line breaks become spaces (one table row)."""
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), re.sub(r"\s+", " ", str(value)))


def markdown_code(value: object) -> str:
    """`value` as an inline code span, with a fence longer than any backtick run in it."""
    text = " ".join(str(value).split())
    runs = [len(r) for r in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


FILTERS: dict[str, Callable[[object], str]] = {"md": markdown_text, "mdcode": markdown_code}

_builtin: jinja2.Environment | None = None


def _builtin_env() -> jinja2.Environment:
    global _builtin
    if _builtin is None:
        _builtin = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(bundled_templates())), **_OPTIONS
        )
        _builtin.filters.update(FILTERS)
    return _builtin


def render(
    name: str,
    view: Mapping[str, Any],
    *,
    template_file: Path | None = None,
    overrides: Path | None = None,
    autoescape: bool | None = None,
) -> str:
    """Render the built-in template `name` (e.g. `plan.md.j2`) with a prepared view model.

    `template_file` replaces the built-in with a user's template; `overrides` is a user's
    `templates/` folder whose files of the same name win over the built-ins. Users' templates
    render sandboxed and may `{% extends %}` or `{% include %}` the built-ins. `autoescape`
    forces HTML escaping on (or off) for a user's template whatever its file name; by
    default templates named `*.html` or `*.html.j2` are escaped.
    """
    user = template_file is not None or user_override(name, overrides) is not None
    where = str(template_file) if template_file is not None else name
    try:
        if template_file is not None:
            read_text(template_file)  # (refused unless a regular UTF-8 file of bounded size)
            env = _sandbox([template_file.parent], autoescape)
            template = env.get_template(template_file.name)
        elif user:
            assert overrides is not None
            where = str(overrides / name)
            read_text(overrides / name)  # (regular, bounded, UTF-8, like --template)
            template = _sandbox([overrides], autoescape).get_template(name)
        else:
            template = _builtin_env().get_template(name)
        text = template.render(**view)
        # What people read is made inert (control sequences from commits and manifests shown,
        # not acted on); a shell script is data for the shell, and its values are quoted.
        return text if name.endswith(".sh.j2") else inert(text)
    except jinja2.TemplateSyntaxError as exc:
        file = where if exc.name in (name, getattr(template_file, "name", None)) else None
        raise InputError(
            f"template syntax error: {exc.message}",
            file=file or exc.filename or where,
            line=exc.lineno,
        ) from None
    except jinja2.TemplateNotFound as exc:
        raise InputError(f"template not found: {exc.name}", file=where) from None
    except jinja2.exceptions.SecurityError as exc:
        raise InputError(
            f"template refused by the sandbox: {exc}",
            file=where,
            line=_template_line(exc.__traceback__),
        ) from None
    except jinja2.UndefinedError as exc:
        raise InputError(
            f"template uses something the view does not have: {exc.message}",
            file=where,
            line=_template_line(exc.__traceback__),
        ) from None
    except Exception as exc:  # e.g. `{{ 1 / 0 }}` or `{{ windows | sum }}` in a user's template
        if not user:  # a built-in template that fails is a bug: keep its traceback
            raise
        what = str(exc) if isinstance(exc, jinja2.TemplateError) else f"{type(exc).__name__}: {exc}"
        raise InputError(
            f"template failed: {what}", file=where, line=_template_line(exc.__traceback__)
        ) from None


def user_override(name: str, overrides: Path | None) -> Path | None:
    """The file in a user's `templates/` folder that replaces the built-in `name`, if any
    (the CLI says on stderr that it is used: a cloned repository's folder can hold one)."""
    if overrides is None:
        return None
    candidate = overrides / name
    try:
        if candidate.is_file() and overrides.resolve() != bundled_templates().resolve():
            return candidate
    except OSError:
        return None
    return None


def _template_line(tb: TracebackType | None) -> int | None:
    """The template line where rendering failed: jinja2 rewrites the traceback so that its
    frames point into the template source (any frame not in a .py file); the innermost one
    is where it failed."""
    line = None
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.endswith(".py"):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _sandbox(folders: list[Path], autoescape: bool | None = None) -> SandboxedEnvironment:
    loader = jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader([str(f) for f in folders]),
            # `builtin/<name>` always reaches the built-in, even when overridden.
            jinja2.PrefixLoader({"builtin": jinja2.FileSystemLoader(str(bundled_templates()))}),
            jinja2.FileSystemLoader(str(bundled_templates())),
        ]
    )
    options = dict(_OPTIONS)
    if autoescape is not None:
        options["autoescape"] = autoescape
    env = SandboxedEnvironment(loader=loader, **options)
    env.filters.update(FILTERS)
    return env
