"""Runbooks (`plan --format text|markdown|html`) end to end through the real CLI: golden
files, what each window says, infeasible plans, users' templates and the sandbox, -o."""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from tests_support import RUNBOOK_SMALL as SMALL
from tests_support import RUNBOOK_TODAY as TODAY

from ozrelease.cli import plan as plan_cli
from ozrelease.render import markdown_code, markdown_text


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """End-of-life warnings depend on the day; the goldens must not."""
    monkeypatch.setattr(plan_cli.options, "today", lambda: TODAY)


@pytest.fixture
def small(write) -> Path:
    return write("manifests/all.yaml", SMALL)


# ------------------------------------------------------------------ goldens


@pytest.mark.parametrize(("fmt", "suffix"), [("text", "txt"), ("markdown", "md"), ("html", "html")])
def test_small_ecosystem_runbooks_match_their_goldens(
    small, ozr, golden, fmt: str, suffix: str
) -> None:
    result = ozr("plan", "--format", fmt)
    assert result.exit_code == 0, result.output
    golden(f"plan/small.{suffix}", result.stdout)


@pytest.mark.parametrize(("fmt", "suffix"), [("markdown", "md"), ("html", "html")])
def test_bundled_example_runbooks_match_their_goldens(ozr, golden, fmt: str, suffix: str) -> None:
    # No ./manifests in tmp_path: the bundled Open Zaak ecosystem and example-gemeente.
    result = ozr("plan", "--format", fmt)
    assert result.exit_code == 0, result.output
    golden(f"plan/example-gemeente.{suffix}", result.stdout)


# ------------------------------------------------------------------ what a runbook says


def section(text: str, start: str, end: str | None = None) -> str:
    after = text[text.index(start) :]
    return after[: after.index(end, len(start))] if end else after


def test_markdown_summary_names_every_risk_first(small, ozr) -> None:
    md = ozr("plan", "--format", "markdown").stdout
    summary = section(md, "## Summary", "## Window 1 of 2")
    assert "| zaak | 1.0.0 | **2.0.0** | target |" in summary
    assert "| db | 14 | **16** | pulled in by zaak |" in summary
    # components pulled in, and the constraint that pulls them
    assert "db 14 -> 16, pulled in by zaak: staying would break zaak 2.0.0 requires db" in summary
    # points of no return, end of life, manual steps
    assert (
        "**Window 2, step 2.2: notif 1.0.0 -> 2.0.0 (2.0.0 is irreversible). After it, the "
        "only way back is to restore the backup taken before window 2.**" in summary
    )
    assert "target zaak 2.0.0 is past its end of life (2026-01-01)" in summary
    assert (
        "Window 2, step 2.1: No Helm deploy hints for db in the manifests: upgrade it from 14 "
        "to 16 by hand." in summary
    )
    assert "`helm repo add --force-update -- example https://charts.example.org`" in summary


def test_markdown_windows_have_preflight_steps_health_and_rollback(small, ozr) -> None:
    md = ozr("plan", "--format", "markdown").stdout
    w1 = section(md, "## Window 1 of 2", "## Window 2 of 2")
    # the state before is compatible, with the constraints that hold
    assert "- [ ] The state before this window is compatible: 2 constraints hold:" in w1
    assert "ok: zaak 1.0.0 consumes notificaties >=1.0,<2: notif 1.0.0 provides" in w1
    # no irreversible step, no migration: a backup is recommended, not required
    assert "Recommended: back up the databases of zaak" in w1
    # a release no chart ships keeps the chart deployed now, pinned, and its own values
    assert "No chart in the manifests ships zaak 1.1.0: the chart deployed now, example/zaak " in w1
    assert (
        "helm upgrade --version 1.0.0 --reset-then-reuse-values --set-string image.tag=1.1.0 "
        "--wait -- zaak example/zaak" in w1
    )
    # nothing migrated: helm's own rollback to the previous revision
    assert "helm rollback --wait -- zaak" in w1

    w2 = section(md, "## Window 2 of 2")
    assert "**Back up the databases of db, notif and zaak and check that the backup restores**" in (
        w2
    )
    assert "notif 1.0.0 -> 2.0.0 cannot be rolled back (2.0.0 is irreversible)" in w2
    assert "- [ ] Allow time: notif: Data migration of all subscriptions" in w2
    # steps in order, providers first, with images and charts
    order = [w2.index(f"### Step 2.{i}: ") for i in (1, 2, 3)]
    assert order == sorted(order)
    assert "### Step 2.1: db 14 -> 16" in w2 and "### Step 2.3: zaak 1.1.0 -> 2.0.0" in w2
    assert "| Image | `example/notif:2.0.0` |" in w2
    assert "| Chart | `example/notif 0.2.0` |" in w2
    assert "| Helm release | `notif` in namespace `zgw` |" in w2
    assert (
        "helm upgrade --namespace zgw --version 0.2.0 --reset-then-reuse-values "
        "--set-string image.tag=2.0.0 --wait -- notif example/notif" in w2
    )
    # health: the manifests' URL, else helm status and the pods
    assert "https://notif.example.org/api/" in w2
    assert "helm status -- zaak\nkubectl get pods --selector app.kubernetes.io/instance=zaak" in w2
    # irreversible: restore the backup, said plainly
    assert (
        "**Point of no return.** No rollback: 2.0.0 is irreversible, a point of no return. To "
        "go back, restore the databases of notif from the backup taken before window 2, then "
        "deploy notif 1.0.0 on it." in w2
    )
    # a manual step says what to do by hand
    assert "**Manual step:** No Helm deploy hints for db in the manifests" in w2
    # notes: code stays code, the rest cannot turn into HTML, tables or emphasis
    assert "run `manage.py check_subs` first." in w2
    assert "IMPORT\\_DIR" not in w2  # intraword underscores need no escape
    assert "defaults to \\<BASE_DIR>/import \\| check \\*it\\*" in w2
    assert "The upgrade is complete." in w2


def test_text_runbook_keeps_its_compact_shape(small, ozr) -> None:
    text = ozr("plan").stdout
    assert text.startswith("Upgrade plan for test (fewest-windows, least-change): 2 windows, 4 ")
    assert "  1. db 14 -> 16  [pulled in by zaak; manual]" in text
    assert "  2. notif 1.0.0 -> 2.0.0  [pulled in by zaak; IRREVERSIBLE]" in text
    assert "Points of no return:" in text


def test_broken_now_is_said_first_and_repaired(write, ozr) -> None:
    write("manifests/all.yaml", SMALL.replace("deployed: {zaak: 1.0.0", "deployed: {zaak: 2.0.0"))
    md = ozr("plan", "--format", "markdown", "--to", "zaak=2.0.0")
    assert md.exit_code == 0, md.output
    summary = section(md.stdout, "## Summary", "## Window 1")
    assert "### Broken now" in summary
    assert "zaak 2.0.0 consumes notificaties >=2.0,<3, but notif 1.0.0 provides" in summary
    w1 = section(md.stdout, "## Window 1")
    assert "broken before this window (broken now); this window repairs them" in w1
    assert "**BROKEN**: zaak 2.0.0 requires db >=16, but db is at 14" in w1


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_infeasible_plans_explain_and_exit_1(write, ozr, fmt: str) -> None:
    write("manifests/all.yaml", SMALL)
    result = ozr("plan", "--format", fmt, "--to", "zaak=2.0.0", "--to", "db=14")
    assert result.exit_code == 1
    assert "No safe plan exists for test" in result.stdout
    assert "db" in result.stdout and "zaak" in result.stdout
    assert "Window 1" not in result.stdout
    if fmt == "html":  # the dependency graph helps to see why
        assert result.stdout.count("<svg") == 1


def test_nothing_to_do(write, ozr) -> None:
    write("manifests/all.yaml", SMALL.replace("targets: {zaak: 2.0.0}", "targets: {}"))
    for fmt in ("text", "markdown", "html"):
        result = ozr("plan", "--format", fmt)
        assert result.exit_code == 0
        assert "Nothing to do" in result.stdout


def test_markdown_escapes() -> None:
    assert markdown_text("<BASE_DIR> a|b *x* [l](u) `c` >=1,<2 \\") == (
        "\\<BASE_DIR> a\\|b \\*x\\* \\[l\\](u) \\`c\\` >=1,<2 \\\\"
    )
    assert markdown_text("two\nlines") == "two lines"
    assert markdown_code("a `b` c") == "``a `b` c``"
    assert markdown_code("`x`") == "`` `x` ``"


# ------------------------------------------------------------------ HTML


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in {"meta", "input", "br", "img", "link", "hr"}:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def test_html_is_self_contained_balanced_and_escaped(small, ozr) -> None:
    html = ozr("plan", "--format", "html").stdout
    parser = _Collector()
    parser.feed(html)
    assert parser.errors == [] and parser.stack == []
    names = [t for t, _ in parser.tags]
    # nothing to fetch: no scripts, no stylesheets or images from elsewhere, no CDN
    assert "script" not in names and "link" not in names and "img" not in names
    for _, attrs in parser.tags:
        for key in ("src", "href"):
            value = attrs.get(key)
            assert value is None or value.startswith("#"), (key, value)
    assert "@media print" in html and "<style>" in html
    assert names.count("svg") == 2
    # autoescaped: the note's <BASE_DIR> is text, not a tag
    assert "&lt;BASE_DIR&gt;/import | check *it*" in html
    assert "<BASE_DIR>" not in html
    assert "<code>manage.py check_subs</code>" in html
    # commands keep one line each
    assert "<pre><code>helm status -- zaak\nkubectl get pods --selector" in html
    # the timeline: a box per step, in window columns
    assert html.count('<rect class="step') == 4
    assert 'class="step irreversible"' in html and 'class="step pulled manual"' in html
    # the dependency graph: a box per deployed component, an arrow per dependency
    assert html.count('<rect class="node') == 3
    assert html.count('marker-end="url(#graph-arrow)"') == 2


# ------------------------------------------------------------------ users' templates


def test_user_template_file_renders_sandboxed_with_the_runbook_view(small, ozr, write) -> None:
    write(
        "my.md.j2",
        """
        {{ environment }}: {{ headline }}
        {% for w in windows %}{% for s in w.steps %}{{ s.label }} {{ s.image or s.manual_text }}
        {% endfor %}{% endfor %}
        """,
    )
    result = ozr("plan", "--format", "markdown", "--template", "my.md.j2")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("test: 2 maintenance windows, 4 steps.\n1.1 example/zaak:1.1.0")
    assert "2.1 No Helm deploy hints for db" in result.stdout


def test_user_html_template_is_autoescaped(small, ozr, write) -> None:
    source = "{{ windows[-1].steps[-1].notes_plain[0] }}\n"
    write("notes.j2", source)
    write("notes.html", source)
    for name in ("notes.j2", "notes.html"):
        html = ozr("plan", "--format", "html", "--template", name)
        assert html.exit_code == 0, html.output
        assert "&lt;BASE_DIR&gt;" in html.stdout
    # the same template for text is not escaped
    text = ozr("plan", "--format", "text", "--template", "notes.j2")
    assert "<BASE_DIR>" in text.stdout


def test_templates_folder_overrides_builtins_by_name(small, ozr, write) -> None:
    write(
        "templates/plan.md.j2",
        "{% extends 'builtin/plan.md.j2' %}\n",
    )
    same = ozr("plan", "--format", "markdown").stdout
    write("templates/plan.md.j2", "Custom for {{ environment }}\n")
    result = ozr("plan", "--format", "markdown")
    assert result.exit_code == 0 and result.stdout == "Custom for test\n"
    assert same.startswith("# Upgrade runbook: test")
    # other formats still use the built-ins
    assert ozr("plan").stdout.startswith("Upgrade plan for test")


@pytest.mark.parametrize(
    "source",
    [
        "line one\n{{ environment.__class__.__mro__ }}\n",
        "line one\n{{ windows.__class__.__base__.__subclasses__() }}\n",
        "line one\n{% for x in ().__class__.__base__.__subclasses__() %}{% endfor %}\n",
    ],
)
def test_user_template_cannot_reach_unsafe_attributes(small, ozr, write, source: str) -> None:
    write("evil.md.j2", source)
    result = ozr("plan", "--format", "markdown", "--template", "evil.md.j2")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert re.fullmatch(
        r"evil\.md\.j2:2: template refused by the sandbox: access to attribute '__\w+__' of "
        r"'\w+' object is unsafe\.\n",
        result.stderr,
    ), result.stderr
    assert "Traceback" not in result.output


def test_user_template_syntax_error_is_file_and_line(small, ozr, write) -> None:
    write("broken.md.j2", "ok\n\n{% for w in windows %}\n{{ w.title }\n")
    result = ozr("plan", "--format", "markdown", "--template", "broken.md.j2")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("broken.md.j2:4: template syntax error: "), result.stderr
    write("templates/plan.md.j2", "fine\n{% if %}\n")
    result = ozr("plan", "--format", "markdown")
    assert result.exit_code == 2
    note, error = result.stderr.splitlines()  # the override is named, then its error
    assert note.startswith(f"note: using templates{os.sep}plan.md.j2 "), result.stderr
    assert error.startswith(f"templates{os.sep}plan.md.j2:2: template syntax error: "), error


def test_user_template_that_uses_what_the_view_lacks(small, ozr, write) -> None:
    write("typo.md.j2", "{{ environment }}\n{{ enviroment }}\n")
    result = ozr("plan", "--format", "markdown", "--template", "typo.md.j2")
    assert result.exit_code == 2
    assert result.stderr == (
        "typo.md.j2:2: template uses something the view does not have: 'enviroment' is undefined\n"
    )


def test_user_template_that_fails_while_rendering(small, ozr, write) -> None:
    write("sum.md.j2", "{{ environment }}\n\n{{ windows | sum }}\n")
    result = ozr("plan", "--format", "markdown", "--template", "sum.md.j2")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (
        "sum.md.j2:3: template failed: TypeError: unsupported operand type(s) for +: 'int' "
        "and 'dict'\n"
    )


def test_template_usage_errors(small, ozr) -> None:
    missing = ozr("plan", "--format", "markdown", "--template", "nope.j2")
    assert missing.exit_code == 2 and "nope.j2" in missing.stderr
    data = ozr("plan", "--format", "argocd", "--template", "nope.j2")
    assert data.exit_code == 2
    assert "--template works with --format text, markdown, html, helm" in data.stderr


# ------------------------------------------------------------------ output


@pytest.mark.parametrize("fmt", ["text", "markdown", "html", "json", "helm", "argocd", "ansible"])
def test_every_format_is_byte_identical_across_runs_and_with_o(small, ozr, tmp_path, fmt) -> None:
    first = ozr("plan", "--format", fmt)
    second = ozr("plan", "--format", fmt)
    assert first.exit_code == 0 and first.stdout_bytes == second.stdout_bytes
    out = tmp_path / f"plan.{fmt}"
    out.write_text("old content\n")
    written = ozr("plan", "--format", fmt, "-o", str(out))
    assert written.exit_code == 0 and written.stdout == ""
    assert out.read_bytes() == first.stdout_bytes
    # atomic: a temporary file beside the target, renamed; nothing left behind
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".plan")) == []


def test_bundled_example_is_byte_identical_across_runs(ozr) -> None:
    for fmt in ("html", "helm", "argocd", "ansible"):
        assert (
            ozr("plan", "--format", fmt).stdout_bytes == ozr("plan", "--format", fmt).stdout_bytes
        )


def test_infeasible_runbook_with_o_writes_the_explanation(small, ozr, tmp_path) -> None:
    out = tmp_path / "why.md"
    result = ozr(
        "plan", "--format", "markdown", "--to", "zaak=2.0.0", "--to", "db=14", "-o", "why.md"
    )
    assert result.exit_code == 1
    assert "## Why" in out.read_text()
