"""API documents loaded part by part: the same mapping as one whole parse, whatever the YAML,
and the parts two versions share are the same objects."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ozrelease.checks.openapi import load_document, same_semantics
from ozrelease.checks.spec_parts import PartLoader

DOCUMENT = """\
# generated
openapi: 3.0.3
info:
  title: Zaken
  description: |
    Text with a line at the key's column below.

    paths: not a key
paths:
  /zaken:
    get:
      parameters:
      - name: page
        in: query
      responses:
        '200': {description: OK}
    post:
      requestBody: {required: true}
  '/zaken/{uuid}':
    get:
      summary: "a quoted
        multi-line summary"
components:
  schemas:
    Zaak:
      type: object
      properties:
        url: {type: string}
    Zaak:
      type: array
  200:
    x: 1
servers:
- url: /zaken/api/v1
"""

ODD = [
    "a: &k {q: 1}\nb: *k\n",  # an alias to another part's anchor
    "---\na: 1\n",
    "%YAML 1.2\n---\na: 1\n",
    "a:\n\tb: 1\n",
    "a:\n  b: 'x\ty'\n  c:\n    d: 1\n",  # a tab, not in an indentation
    "a:\r\n  b: 1\r\n",
    "  a: 1\n",
    "- a\n- b\n",
    "? a\n: b\n",
    "a: [1,\n2]\n",
    "a:\n  b: 1\n c: 2\n",
    "a:\n    b: 1\n  c: 2\n",
    "a:\n  - x\n  b: 1\n",
    "a:\n  b:\n  - 1\n  c: 2\n",
    "{a: 1}\n",
    "",
    "# only a comment\n",
]


def loaded(text: str) -> object:
    try:
        return repr(load_document(text, "openapi.yaml"))
    except Exception as exc:  # (the same failure, whatever it is)
        return type(exc)


@pytest.mark.parametrize("text", [DOCUMENT, *ODD])
def test_the_same_mapping_as_a_whole_parse(text: str) -> None:
    loader = PartLoader()
    try:
        mine: object = repr(loader.load(text, "openapi.yaml"))
    except Exception as exc:
        mine = type(exc)
    assert mine == loaded(text)  # repr: key order and types too


def test_versions_share_what_they_did_not_change() -> None:
    loader = PartLoader()
    old = loader.load(DOCUMENT, "openapi.yaml")
    new = loader.load(DOCUMENT.replace("title: Zaken", "title: Zaken API"), "openapi.yaml")
    assert new["paths"]["/zaken"]["get"] is old["paths"]["/zaken"]["get"]
    assert new["components"]["schemas"] is not old["components"]["schemas"]  # (rebuilt)
    assert new["components"]["schemas"]["Zaak"] is old["components"]["schemas"]["Zaak"]
    assert new["info"] != old["info"] and same_semantics(old, new)
    # Parts of versions long gone are forgotten.
    for number in range(20):
        loader.load(f"a{number}: 1\n", "openapi.yaml")
    assert len(loader.parts) <= 2 * loader.keep


# -- JSON written one member per line (drf-yasg's swagger2.0.json) -----------------------------

JSON_DOCUMENT = json.dumps(
    {
        "swagger": "2.0",
        "info": {"title": "Zaken", "version": "1"},
        "paths": {
            "/zaken": {
                "get": {"parameters": [{"name": "page", "in": "query"}], "responses": {}},
                "post": {"parameters": [], 'x-a"b': {"n": 1.5e300, "t": True}},
            },
            "/zaken/{uuid}": {"get": {}},
        },
        "definitions": {"Zaak": {"type": "object", "properties": {"url": {"type": "string"}}}},
        "empty": {},
        "list": [1, {"a": [2]}],
    },
    indent=4,
)

ODD_JSON = [
    JSON_DOCUMENT,
    JSON_DOCUMENT + "\n\n",
    json.dumps(json.loads(JSON_DOCUMENT)),  # on one line
    json.dumps(json.loads(JSON_DOCUMENT), indent="\t"),
    JSON_DOCUMENT.replace('"info": {', '"info": {"a": 1,'),  # two members on a line
    JSON_DOCUMENT.replace('"swagger": "2.0",', '"swagger": "2.0", "basePath": "/",'),
    JSON_DOCUMENT.replace('"empty": {}', '"info": {"title": "again"}'),  # a duplicate key
    JSON_DOCUMENT.replace('"2.0",', '"2.0"'),  # no comma: not JSON
    JSON_DOCUMENT.replace('"1"\n', '"1",\n'),  # a comma after the last member: not JSON
    JSON_DOCUMENT.replace('"/zaken/{uuid}"', '    "/zaken/{uuid}"'),  # indented unevenly
    JSON_DOCUMENT.replace("\n", "\r\n"),
    "[" + JSON_DOCUMENT + "]",
    '{\n    "a": "x\ny"\n}',  # a newline in a string: not JSON
]


@pytest.mark.parametrize("text", ODD_JSON)
def test_json_gives_the_same_mapping_as_a_whole_parse(text: str) -> None:
    def parse(how: Any) -> object:
        try:
            return repr(how(text, "swagger2.0.json"))
        except Exception as exc:
            return type(exc)

    assert parse(PartLoader().load) == parse(load_document)


def test_json_versions_share_what_they_did_not_change() -> None:
    loader = PartLoader()
    old = loader.load(JSON_DOCUMENT, "swagger2.0.json")
    new = loader.load(JSON_DOCUMENT.replace('"Zaken"', '"Zaken API"'), "swagger2.0.json")
    assert new["paths"]["/zaken"]["get"] is old["paths"]["/zaken"]["get"]
    assert new["definitions"]["Zaak"]["properties"] is old["definitions"]["Zaak"]["properties"]
    assert new["info"] != old["info"] and same_semantics(old, new)
