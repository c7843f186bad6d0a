"""Random YAML and random manifest-shaped data: the loader answers, never a traceback."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tests_support import examples

from ozrelease.cli import cli
from ozrelease.ecosystem import load as manifest
from ozrelease.ecosystem import releases
from ozrelease.errors import InputError

KEYS = sorted(
    manifest.COMPONENT_KEYS
    | releases.RELEASE_KEYS
    | manifest.API_KEYS
    | manifest.ENVIRONMENT_KEYS
    | releases.DEPLOY_KEYS
    | {"helm", "bogus"}
)
NAMES = ["open-zaak", "open-notificaties", "zaken", "notificaties", "postgresql", "x", "Bad_Name"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.floats(allow_nan=False),
    st.sampled_from(
        [
            "1.0.0",
            "1.30",
            "v2",
            ">=1.0,<2",
            "latest",
            "*",
            "=>1",
            "1.x",
            "",
            "Component",
            "API",
            "Environment",
            *NAMES,
        ]
    ),
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1)),
    st.text(max_size=20),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(KEYS + NAMES), st.text(max_size=8)), children, max_size=5
        ),
    ),
    max_leaves=25,
)
documents = st.one_of(
    values,
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["Component", "API", "Environment", "Other"]),
            "name": st.sampled_from(NAMES),
        },
        optional={key: values for key in KEYS if key not in ("kind", "name")},
    ),
)


def _check(text: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.yaml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        try:
            _eco, problems = manifest.check(path)
        except InputError as exc:  # nothing in it at all: say so, exit 2
            assert "no manifests here" in exc.message
            result = CliRunner().invoke(cli, ["--manifests", str(path), "validate"])
            assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.output
            return
        for problem in problems:
            assert problem.file == str(path)
            assert problem.message and "\n" not in problem.message
        result = CliRunner().invoke(cli, ["--manifests", str(path), "validate"])
        assert result.exit_code == (1 if problems else 0), result.output
        assert "Traceback" not in result.output
        if problems:
            assert all(line.startswith(str(path)) for line in result.stderr.splitlines()[:-1])


@settings(max_examples=examples(150), deadline=10_000, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(documents, min_size=1, max_size=4))
def test_random_manifest_shaped_data(docs: list[object]) -> None:
    text = yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True)
    _check(text)


PIECES = [
    *"kind: -[]{}&*!|>'\"#\n\t ,?@`%0123aZ.",
    "\u00e9",
    "\ufeff",
    "\x00",
    "---\n",
    "  ",
    "kind: Component\n",
    "releases:\n",
    "  - version: 1.0\n",
    "&a ",
    "*a",
    "<<: ",
]


@settings(max_examples=examples(200), deadline=10_000)
@given(st.lists(st.sampled_from(PIECES), max_size=80))
@example(["kind: Component\n", ":"])  # (a key that is not text: None; it was a traceback)
def test_random_yaml_text(pieces: list[str]) -> None:
    _check("".join(pieces))


@pytest.mark.parametrize("key", ["~", "1", "2.5", "[a]"])
def test_keys_that_are_not_text_are_reported(tmp_path: Path, key: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(f"kind: Component\nname: x\n{key}: y\nnmae: z\n", encoding="utf-8")
    problems = manifest.check(path)[1]
    texts = [str(p) for p in problems]
    assert any("unknown key" in t and "'nmae'" in t and "did you mean 'name'" in t for t in texts)
    assert any("unknown key" in t and "'nmae'" not in t for t in texts), texts


@settings(max_examples=examples(100), deadline=10_000)
@given(st.binary(max_size=200))
def test_random_bytes(data: bytes) -> None:
    _check(data)


@settings(max_examples=examples(40), deadline=10_000, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(
        st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)),
        min_size=1,
        max_size=30,
    ).filter(lambda s: s not in (".", "..") and not s.startswith("."))
)
def test_any_file_name_gives_one_line_per_problem(name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "m"
        folder.mkdir()
        (folder / f"{name}.yaml").write_text("kind: API\nname: [x\n", encoding="utf-8")
        result = CliRunner().invoke(cli, ["--manifests", str(folder), "validate"])
        assert result.exit_code == 1, result.output
        lines = result.stderr.splitlines()  # (every separator str knows: \x85, \u2028, ...)
        assert len(lines) == 2, lines  # the problem and the count
        assert lines[0].startswith(str(folder)) and ":2: YAML syntax error" in lines[0]
        assert "\x1b" not in result.stderr and "\r" not in result.stderr
