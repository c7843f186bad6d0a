"""openapi.py: loading documents and each kind of breaking change between two of them."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests_support import examples

from ozrelease.checks.openapi import KINDS, Breaking, breaking_changes, load_document, semantic_view
from ozrelease.errors import InputError


def document() -> dict[str, Any]:
    """A small OpenAPI 3 document in the style drf-spectacular writes."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "Zaken", "version": "1.5.0"},
        "paths": {
            "/zaken": {
                "get": {
                    "parameters": [
                        {"name": "page", "in": "query", "schema": {"type": "integer"}},
                        {
                            "name": "status",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["open", "closed", "archived"]},
                        },
                    ],
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/Zaak"},
                                    }
                                }
                            }
                        }
                    },
                },
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ZaakRequest"}
                            }
                        }
                    },
                    "responses": {
                        "201": {
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Zaak"}
                                }
                            }
                        }
                    },
                },
            },
            "/zaken/{uuid}": {
                "parameters": [
                    {"name": "uuid", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "get": {
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Zaak"}
                                }
                            }
                        }
                    }
                },
                "delete": {"responses": {"204": {"description": "Deleted"}}},
            },
        },
        "components": {
            "schemas": {
                "Zaak": {
                    "type": "object",
                    "description": "A case.",
                    "properties": {
                        "url": {"type": "string", "format": "uri", "readOnly": True},
                        "identificatie": {"type": "string", "maxLength": 40},
                        "omschrijving": {"type": "string", "maxLength": 80},
                        "kenmerken": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Kenmerk"},
                        },
                        "geheim": {"type": "string", "writeOnly": True},
                        "hoofdzaak": {"$ref": "#/components/schemas/Zaak"},
                    },
                    "required": ["url", "identificatie"],
                },
                "Kenmerk": {
                    "type": "object",
                    "properties": {"kenmerk": {"type": "string"}, "bron": {"type": "string"}},
                },
                "ZaakRequest": {
                    "type": "object",
                    "properties": {
                        "identificatie": {"type": "string", "maxLength": 40},
                        "omschrijving": {"type": "string", "maxLength": 80, "nullable": True},
                        "aantal": {"type": "number"},
                        "vertrouwelijkheid": {
                            "type": "string",
                            "enum": ["openbaar", "geheim", "intern"],
                        },
                        "url": {"type": "string", "readOnly": True},
                    },
                    "required": ["identificatie"],
                },
            }
        },
    }


def changed(edit: Any) -> list[Breaking]:
    new = document()
    edit(new)
    return breaking_changes(document(), new)


def kinds(found: list[Breaking]) -> list[tuple[str, str]]:
    return sorted((b.kind, b.element) for b in found)


def schemas(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["components"]["schemas"]  # type: ignore[no-any-return]


def test_the_same_document_or_additions_break_nothing() -> None:
    assert breaking_changes(document(), document()) == []

    def add(doc: dict[str, Any]) -> None:
        doc["paths"]["/besluiten"] = {"get": {"responses": {"200": {}}}}
        doc["paths"]["/zaken"]["get"]["parameters"].append(
            {"name": "sort", "in": "query", "schema": {"type": "string"}}
        )
        schemas(doc)["Zaak"]["properties"]["nieuw"] = {"type": "string"}
        schemas(doc)["ZaakRequest"]["properties"]["optioneel"] = {"type": "string"}
        schemas(doc)["ZaakRequest"]["properties"]["omschrijving"]["maxLength"] = 200
        schemas(doc)["ZaakRequest"]["properties"]["aantal"]["type"] = "number"
        schemas(doc)["Zaak"]["description"] = "Another description."

    assert changed(add) == []


def test_removed_path_and_operation() -> None:
    def remove(doc: dict[str, Any]) -> None:
        del doc["paths"]["/zaken/{uuid}"]["delete"]
        doc["paths"]["/besluiten"] = doc["paths"].pop("/zaken")

    assert kinds(changed(remove)) == [
        ("operation-removed", "DELETE /zaken/{uuid}"),
        ("path-removed", "/zaken"),
    ]


def test_each_change_knows_the_path_that_found_it_and_a_walk_may_keep_to_some() -> None:
    def remove(doc: dict[str, Any]) -> None:
        del doc["paths"]["/zaken/{uuid}"]["delete"]
        doc["paths"]["/besluiten"] = doc["paths"].pop("/zaken")

    new = document()
    remove(new)
    found = breaking_changes(document(), new)
    assert sorted((b.element, b.path) for b in found) == [
        ("/zaken", "/zaken"),
        ("DELETE /zaken/{uuid}", "/zaken/{uuid}"),
    ]
    only = breaking_changes(document(), new, only={"/zaken/{uuid}"})
    assert [b.element for b in only] == ["DELETE /zaken/{uuid}"]


def test_a_renamed_path_parameter_is_the_same_path() -> None:
    def rename(doc: dict[str, Any]) -> None:
        doc["paths"]["/zaken/{zaak_uuid}"] = doc["paths"].pop("/zaken/{uuid}")

    assert changed(rename) == []


def test_removed_and_required_parameters() -> None:
    def edit(doc: dict[str, Any]) -> None:
        params = doc["paths"]["/zaken"]["get"]["parameters"]
        params[0]["required"] = True  # page became required
        del params[1]  # status removed
        params.append(
            {"name": "Accept-Crs", "in": "header", "required": True, "schema": {"type": "string"}}
        )

    found = changed(edit)
    assert kinds(found) == [
        ("parameter-removed", "status"),
        ("parameter-required", "Accept-Crs"),
        ("parameter-required", "page"),
    ]
    assert "query parameter status of GET /zaken was removed" in [b.detail for b in found]


def test_new_required_request_fields_and_body() -> None:
    def edit(doc: dict[str, Any]) -> None:
        request = schemas(doc)["ZaakRequest"]
        request["required"] = ["identificatie", "omschrijving", "verplicht", "url"]
        request["properties"]["verplicht"] = {"type": "string"}
        doc["paths"]["/zaken"]["post"]["requestBody"]["required"] = True

    found = changed(edit)
    assert kinds(found) == [
        ("request-body-required", "POST /zaken"),
        ("request-field-required", "ZaakRequest.omschrijving"),
        ("request-field-required", "ZaakRequest.verplicht"),
    ]  # url is readOnly: a client never sends it
    assert "request field ZaakRequest.verplicht is new and required (POST /zaken)" in [
        b.detail for b in found
    ]


def test_removed_response_properties_follow_refs_and_skip_write_only() -> None:
    def edit(doc: dict[str, Any]) -> None:
        del schemas(doc)["Zaak"]["properties"]["omschrijving"]
        del schemas(doc)["Zaak"]["properties"]["geheim"]  # writeOnly: never in a response
        del schemas(doc)["Kenmerk"]["properties"]["bron"]

    assert kinds(changed(edit)) == [
        ("response-property-removed", "Kenmerk.bron"),
        ("response-property-removed", "Zaak.omschrijving"),
    ]


def test_narrowed_types_lengths_patterns_and_nullability() -> None:
    def edit(doc: dict[str, Any]) -> None:
        props = schemas(doc)["ZaakRequest"]["properties"]
        props["identificatie"]["maxLength"] = 20
        props["identificatie"]["pattern"] = "^[A-Z]+$"
        props["omschrijving"]["nullable"] = False
        props["aantal"]["type"] = "integer"

    found = changed(edit)
    assert kinds(found) == [
        ("type-narrowed", "ZaakRequest.aantal"),
        ("type-narrowed", "ZaakRequest.identificatie"),
        ("type-narrowed", "ZaakRequest.omschrijving"),
    ]
    details = " ".join(b.detail for b in found)
    assert "maxLength 40 -> 20" in details and "a new pattern" in details


def test_a_changed_pattern_or_a_wider_limit_is_not_reported() -> None:
    def first(doc: dict[str, Any]) -> None:
        schemas(doc)["ZaakRequest"]["properties"]["identificatie"]["pattern"] = "^[A-Z]+$"

    def second(doc: dict[str, Any]) -> None:
        first(doc)
        schemas(doc)["ZaakRequest"]["properties"]["identificatie"]["pattern"] = "^[A-Z0-9]+$"
        schemas(doc)["ZaakRequest"]["properties"]["identificatie"]["maxLength"] = 50

    old, new = document(), document()
    first(old)
    second(new)
    assert breaking_changes(old, new) == []


def test_narrowed_enums_in_requests_and_parameters() -> None:
    def edit(doc: dict[str, Any]) -> None:
        schemas(doc)["ZaakRequest"]["properties"]["vertrouwelijkheid"]["enum"] = ["openbaar"]
        doc["paths"]["/zaken"]["get"]["parameters"][1]["schema"]["enum"] = ["open", "closed"]
        doc["paths"]["/zaken"]["get"]["parameters"][0]["schema"]["enum"] = [1, 2, 3]

    found = changed(edit)
    assert kinds(found) == [
        ("enum-narrowed", "ZaakRequest.vertrouwelijkheid"),
        ("enum-narrowed", "page"),
        ("enum-narrowed", "status"),
    ]
    assert any("no longer accepts geheim, intern" in b.detail for b in found)
    assert any("only accepts an enumeration now" in b.detail for b in found)


def test_changed_response_types() -> None:
    def edit(doc: dict[str, Any]) -> None:
        schemas(doc)["Zaak"]["properties"]["identificatie"] = {"type": "integer"}

    assert kinds(changed(edit)) == [("type-changed", "Zaak.identificatie")]


def test_all_of_and_one_of_are_read_as_one_schema() -> None:
    """drf-spectacular writes nullable references as allOf, polymorphic ones as oneOf."""

    def edit(doc: dict[str, Any]) -> None:
        zaak = schemas(doc)["Zaak"]
        schemas(doc)["ZaakBasis"] = {
            "type": "object",
            "properties": {"url": zaak["properties"].pop("url")},
            "required": ["url"],
        }
        schemas(doc)["ZaakDetail"] = {"allOf": [{"$ref": "#/components/schemas/ZaakBasis"}, zaak]}
        schemas(doc)["Zaak"] = {
            "oneOf": [
                {"$ref": "#/components/schemas/ZaakDetail"},
                {"$ref": "#/components/schemas/ZaakBasis"},
            ]
        }

    assert changed(edit) == []

    def narrow(doc: dict[str, Any]) -> None:
        edit(doc)
        del schemas(doc)["ZaakBasis"]["properties"]["url"]

    assert kinds(changed(narrow)) == [("response-property-removed", "Zaak.url")]


def test_recursive_schemas_end() -> None:
    def edit(doc: dict[str, Any]) -> None:
        del schemas(doc)["Zaak"]["properties"]["identificatie"]

    # Zaak.hoofdzaak refers to Zaak itself; each named schema is compared once.
    assert kinds(changed(edit)) == [("response-property-removed", "Zaak.identificatie")]


def test_swagger_2_documents() -> None:
    old = {
        "swagger": "2.0",
        "paths": {
            "/kanalen": {
                "get": {
                    "parameters": [{"name": "naam", "in": "query", "type": "string"}],
                    "responses": {"200": {"schema": {"$ref": "#/definitions/Kanaal"}}},
                },
                "post": {
                    "parameters": [
                        {"name": "body", "in": "body", "schema": {"$ref": "#/definitions/Kanaal"}}
                    ],
                    "responses": {"201": {}},
                },
            }
        },
        "definitions": {
            "Kanaal": {"type": "object", "properties": {"naam": {"type": "string"}}},
        },
    }
    new = copy.deepcopy(old)
    new["paths"]["/kanalen"]["get"]["parameters"][0]["enum"] = ["zaken"]
    new["definitions"]["Kanaal"]["properties"] = {"naam": {"type": "string"}, "x": {}}
    new["definitions"]["Kanaal"]["required"] = ["x"]
    del old["definitions"]["Kanaal"]["properties"]["naam"]
    assert kinds(breaking_changes(old, new)) == [
        ("enum-narrowed", "naam"),
        ("request-field-required", "Kanaal.x"),
    ]


def test_every_kind_is_described() -> None:
    assert {"path-removed", "parameter-required", "enum-narrowed"} <= set(KINDS)
    found = changed(lambda doc: doc["paths"].pop("/zaken"))
    assert all(b.kind in KINDS for b in found)


def test_names_a_changelog_would_use() -> None:
    assert Breaking("x", "Zaak.identificatieCode", "", "").names == (
        "Zaak.identificatieCode",
        "identificatieCode",
    )
    # An everyday word is no evidence that a changelog speaks of the element.
    assert Breaking("x", "SubmissionStep.completed", "", "").names == ("SubmissionStep.completed",)


def test_semantic_view_ignores_wording() -> None:
    new = document()
    new["info"]["version"] = "1.5.1"
    schemas(new)["Zaak"]["description"] = "Reworded."
    schemas(new)["Zaak"]["properties"]["url"]["example"] = "https://example.com"
    assert semantic_view(new) == semantic_view(document())
    schemas(new)["Zaak"]["properties"]["url"]["format"] = "uuid"
    assert semantic_view(new) != semantic_view(document())


def test_loading_yaml_json_and_errors() -> None:
    text = json.dumps(document())
    assert load_document(text, "src/openapi.json")["info"]["title"] == "Zaken"
    yaml_text = "openapi: 3.0.3\ninfo: {title: Zaken, version: 1.0.0}\npaths: {}\n"
    assert load_document(yaml_text, "src/openapi.yaml")["paths"] == {}
    with pytest.raises(InputError, match=r"src/openapi\.yaml: not a readable API document"):
        load_document("paths: [unclosed", "src/openapi.yaml")
    with pytest.raises(InputError, match="expected a mapping"):
        load_document("- a\n- b\n", "x.yaml")


_KEYS = st.sampled_from(["type", "description", "summary", "x-extra", "properties", "enum", "a"])
_DOCS = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 2) | st.sampled_from(["s", "t", "1"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=examples(200), deadline=None)
@given(st.dictionaries(_KEYS | st.just("info"), _DOCS, max_size=4), st.data())
def test_same_semantics_agrees_with_the_semantic_view(
    old: dict[str, Any], data: st.DataObject
) -> None:
    from ozrelease.checks.openapi import same_semantics

    new = data.draw(st.dictionaries(_KEYS | st.just("info"), _DOCS, max_size=4) | st.just(old))
    assert same_semantics(old, new) == (semantic_view(old) == semantic_view(new))


def test_two_schemas_of_one_name_in_other_places_are_both_compared() -> None:
    """`#/components/schemas/Kenmerk` and `#/components/x-models/Kenmerk` are two schemas: a
    property removed from the second is reported though the first was compared already."""

    def with_models(doc: dict[str, Any]) -> dict[str, Any]:
        doc["components"]["x-models"] = {
            "Kenmerk": {"type": "object", "properties": {"code": {"type": "string"}}}
        }
        properties = schemas(doc)["Zaak"]["properties"]
        properties["archiefKenmerk"] = {"$ref": "#/components/x-models/Kenmerk"}
        return doc

    old, new = with_models(document()), with_models(document())
    del new["components"]["x-models"]["Kenmerk"]["properties"]["code"]
    assert ("response-property-removed", "Kenmerk.code") in kinds(breaking_changes(old, new))
