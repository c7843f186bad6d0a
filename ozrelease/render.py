"""The only jinja2 importer: one Environment for built-in templates, a sandbox for users'."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from ozrelease.errors import InputError
from ozrelease.resources import bundled_templates


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

_builtin: jinja2.Environment | None = None


def _builtin_env() -> jinja2.Environment:
    global _builtin
    if _builtin is None:
        _builtin = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(bundled_templates())), **_OPTIONS
        )
    return _builtin


def render(
    name: str,
    view: Mapping[str, Any],
    *,
    template_file: Path | None = None,
    overrides: Path | None = None,
) -> str:
    """Render the built-in template `name` (e.g. `plan.md.j2`) with a prepared view model.

    `template_file` replaces the built-in with a user's template; `overrides` is a user's
    `templates/` folder whose files of the same name win over the built-ins. Users' templates
    render sandboxed and may `{% extends %}` or `{% include %}` the built-ins.
    """
    try:
        if template_file is not None:
            env = _sandbox([template_file.parent])
            template = env.get_template(template_file.name)
        elif overrides is not None and (overrides / name).is_file():
            template = _sandbox([overrides]).get_template(name)
        else:
            template = _builtin_env().get_template(name)
        return template.render(**view)
    except jinja2.TemplateSyntaxError as exc:
        raise InputError(
            f"template syntax error: {exc.message}", file=exc.filename or name, line=exc.lineno
        ) from None
    except jinja2.TemplateNotFound as exc:
        raise InputError(f"template not found: {exc.name}") from None
    except jinja2.UndefinedError as exc:
        where = str(template_file) if template_file else name
        raise InputError(
            f"template uses something the view does not have: {exc.message}", file=where
        ) from None
    except jinja2.exceptions.SecurityError as exc:
        where = str(template_file) if template_file else name
        raise InputError(f"template refused by the sandbox: {exc}", file=where) from None


def _sandbox(folders: list[Path]) -> SandboxedEnvironment:
    loader = jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader([str(f) for f in folders]),
            # `builtin/<name>` always reaches the built-in, even when overridden.
            jinja2.PrefixLoader({"builtin": jinja2.FileSystemLoader(str(bundled_templates()))}),
            jinja2.FileSystemLoader(str(bundled_templates())),
        ]
    )
    return SandboxedEnvironment(loader=loader, **_OPTIONS)
