"""Paths a commit left as they were, the schemas they reach included: found by the identity
of the parts two versions share, and skipped by the breaking-change walk without changing
what it finds."""

from __future__ import annotations

from ozrelease.checks.openapi import breaking_changes
from ozrelease.checks.spec_parts import PartLoader
from ozrelease.checks.spec_refs import RefIndex

BEFORE = """\
openapi: 3.0.3
info:
  title: Zaken
paths:
  /zaken:
    get:
      responses:
        '200':
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Zaak'
  /statussen:
    get:
      responses:
        '200':
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Status'
  /rollen:
    post:
      requestBody:
        $ref: '#/components/requestBodies/Rol'
components:
  requestBodies:
    Rol:
      content:
        application/json:
          schema:
            $ref: '#/components/schemas/Rol'
  schemas:
    Zaak:
      type: object
      properties:
        url: {type: string}
        status:
          $ref: '#/components/schemas/Status'
    Status:
      type: object
      properties:
        url: {type: string}
        toelichting: {type: string}
    Rol:
      type: object
      properties:
        omschrijving: {type: string, maxLength: 80}
"""


# /statussen's operation changes (a new required parameter), its Status schema does not; Rol
# narrows, so /rollen changes too.
REQUIRED_QUERY_AND_NARROWER_ROL = BEFORE.replace(
    "  /statussen:\n    get:\n",
    "  /statussen:\n    get:\n      parameters:\n      - {name: q, in: query, required: true}\n",
).replace("maxLength: 80", "maxLength: 40")


def versions(after: str) -> tuple[dict[str, object], dict[str, object]]:
    loader = PartLoader()
    return loader.load(BEFORE, "openapi.yaml"), loader.load(after, "openapi.yaml")


def test_a_path_whose_schemas_changed_is_walked_and_the_others_are_not() -> None:
    # Status loses a property: /statussen uses it, and /zaken too (Zaak.status), /rollen not.
    old, new = versions(BEFORE.replace("        toelichting: {type: string}\n", ""))
    unchanged = RefIndex().unchanged_paths(old, new)
    assert unchanged == {"/rollen"}
    found = breaking_changes(old, new, unchanged)
    assert [(b.kind, b.element) for b in found] == [
        ("response-property-removed", "Status.toelichting")
    ]
    assert found == breaking_changes(old, new)


def test_a_change_reached_through_a_request_body_reference_counts() -> None:
    old, new = versions(BEFORE.replace("maxLength: 80", "maxLength: 40"))
    unchanged = RefIndex().unchanged_paths(old, new)
    assert unchanged == {"/zaken", "/statussen"}
    found = breaking_changes(old, new, unchanged)
    assert [(b.kind, b.element) for b in found] == [("type-narrowed", "Rol.omschrijving")]
    assert found == breaking_changes(old, new)


def test_two_schemas_known_by_one_name_skip_nothing() -> None:
    # An inline schema of /rollen names #/components/requestBodies/Rol in a schema's place:
    # the walk would know it and #/components/schemas/Rol both as `Rol`.
    twice = BEFORE.replace(
        "        url: {type: string}\n        status:",
        "        url: {type: string}\n        rol:\n"
        "          $ref: '#/components/requestBodies/Rol'\n        status:",
    )
    loader = PartLoader()
    old = loader.load(twice, "openapi.yaml")
    new = loader.load(twice.replace("maxLength: 80", "maxLength: 40"), "openapi.yaml")
    assert RefIndex().unchanged_paths(old, new) == frozenset()


def test_documents_parsed_whole_share_nothing_and_skip_nothing() -> None:
    # (JSON, and YAML the part reader does not vouch for, are parsed whole.)
    loader = PartLoader()
    old = loader.load("---\n" + BEFORE, "openapi.yaml")
    new = loader.load("---\n" + BEFORE, "openapi.yaml")
    assert old == new and old is not new
    assert RefIndex().unchanged_paths(old, new) == frozenset()


def test_the_parts_a_long_history_no_longer_uses_are_forgotten() -> None:
    loader, index = PartLoader(keep=2), RefIndex(keep=2)
    previous = loader.load(BEFORE, "openapi.yaml")
    for length in range(50, 80):
        current = loader.load(BEFORE.replace("maxLength: 80", f"maxLength: {length}"), "x.yaml")
        assert index.unchanged_paths(previous, current) == {"/zaken", "/statussen"}
        previous = current
    # Each version's Rol request schema is a new part; only the last few stay indexed.
    assert len(index._refs) < 12


def test_the_schemas_a_changed_path_reaches_unchanged_are_not_walked_again() -> None:
    old, new = versions(REQUIRED_QUERY_AND_NARROWER_ROL)
    unchanged, same = RefIndex().compare(old, new)
    assert unchanged == {"/zaken"}
    assert same == {"#/components/schemas/Zaak", "#/components/schemas/Status"}
    found = breaking_changes(old, new, unchanged, same)
    assert sorted((b.kind, b.element) for b in found) == [
        ("parameter-required", "q"),
        ("type-narrowed", "Rol.omschrijving"),
    ]
    assert found == breaking_changes(old, new)


def test_a_walk_kept_to_some_paths_compares_only_what_they_reach() -> None:
    # The commits of a range are searched only on the paths where the range broke something.
    old, new = versions(REQUIRED_QUERY_AND_NARROWER_ROL)
    unchanged, same = RefIndex().compare(old, new, only={"/statussen"})
    assert unchanged == frozenset()  # (its operation changed)
    assert same == {"#/components/schemas/Status"}  # (Rol, Zaak: not reached from it)
    found = breaking_changes(old, new, unchanged, same, only={"/statussen"})
    assert [(b.kind, b.element) for b in found] == [("parameter-required", "q")]
    assert found == [b for b in breaking_changes(old, new) if b.path == "/statussen"]
