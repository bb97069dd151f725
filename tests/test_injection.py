"""Injection strings into every parameter of every endpoint, on both engines: never a 500, the graph unchanged.

The endpoints and their parameters come from the app itself: ``app.openapi()`` for the API, the
routes' own declarations for the HTML pages (not in the OpenAPI document), and the parameter models
of the query catalog for ``/api/v1/queries/{name}``. Every value reaches Cypher only as a parameter,
so quotes, ``}) DETACH DELETE n //``, backticks, NUL and huge strings are just text that matches nothing.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.routing import APIRoute

from api.keys import Role
from api.routes.catalog import PUBLIC
from api.security import effective_routes, original_route
from graph.engine import GraphEngine
from loaders.export import snapshot
from queries.specs import SPECS
from tests.secure import SecureApp, secure_app

INJECTIONS = [
    "'", '"', "\\", "`", "}) DETACH DELETE n //", "x'}) MATCH (m) DETACH DELETE m RETURN 1 //", "` DETACH DELETE n //",
    "$id", "罗湖\u202e\u200b区🙂", "a\x00'}) DELETE n //", "x" * 10_000,
]
TYPED = [INJECTIONS[4], INJECTIONS[-1]]
CORE = INJECTIONS[3:6] + INJECTIONS[9:]
"""The catalog's query parameters get the strings aimed at Cypher itself (a backtick, the DETACH DELETE tails,
NUL, the long one): the quote-only strings add nothing there that the API parameters did not already test."""
ID_VALUES = {"id": "org-luohu", "org_id": "org-luohu", "entity_id": "org-luohu", "source": "htg-01", "target": "org-luohu",
             "community_id": "440303002003", "community": "440303002003", "group_id": "htg-01",
             "subdistrict_id": "440303001", "q": "花园"}
"""Valid values for the required parameters, so each request reaches the code behind the one being attacked."""


def _typed(schema: dict[str, Any]) -> bool:
    """True for a parameter whose schema no injection string can satisfy (a number, an enum, a date, a
    pattern): validation answers 422 before any query runs, so two strings prove it as well as all."""
    schema = schema.get("items", schema)
    options = schema.get("anyOf", [schema])
    return all(o.get("type") in ("integer", "number", "boolean", "null") or "enum" in o or "pattern" in o
               or o.get("format") in ("date", "date-time") for o in options)


def _text_field(annotation: Any) -> bool:
    """True when a catalog parameter takes free text (``str`` somewhere in its type)."""
    return annotation is str or any(_text_field(a) for a in typing.get_args(annotation))


def _baseline(name: str, schema: dict[str, Any]) -> Any:
    if name in ID_VALUES:
        return ID_VALUES[name]
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    return schema.get("examples", ["x"])[0] if schema.get("examples") else "1"


def _operations(app: SecureApp) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any], set[str]]]:
    """(method, path template, required values, {parameter: location}, typed parameters) of every operation."""
    spec = app.client.app.openapi()  # type: ignore[attr-defined]
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            params = {p["name"]: p for p in op.get("parameters", [])}
            required = {n: _baseline(n, p.get("schema", {})) for n, p in params.items() if p.get("required")}
            if path == "/api/v1/queries/{name}":
                required["name"] = "gaps_compounds"
            where = {n: p["in"] for n, p in params.items()}
            typed = {n for n, p in params.items() if _typed(p.get("schema", {}))}
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body:
                where.update({"query": "body", "params": "body"})
            yield method, path, required, where, typed
    for route in effective_routes(app.client.app):  # type: ignore[arg-type]
        api_route = original_route(route)
        if not isinstance(api_route, APIRoute) or api_route.include_in_schema or "GET" not in (route.methods or ()):
            continue
        if route.path in ("/openapi.json", "/docs", "/redoc"):
            continue
        dependant = route.dependant
        names = {p.name: "path" for p in dependant.path_params} | {p.name: "query" for p in dependant.query_params}
        required = {n: ID_VALUES.get(n, "gaps_compounds" if n == "name" else "x") for n, w in names.items() if w == "path"}
        yield "get", route.path, required, names, set()


def _request(app: SecureApp, method: str, path: str, values: dict[str, Any], where: dict[str, str]) -> Any:
    url = re.sub(r"\{(\w+)\}", lambda m: quote(str(values[m.group(1)]), safe=""), path)
    if method == "post":
        body = {"query": values.get("query", "RETURN $x AS x"), "params": {"x": values.get("params", "v")}}
        return app.post(Role.admin, url, json=body)
    query = {k: v for k, v in values.items() if where.get(k) == "query"}
    return app.get(Role.admin, url, params=query)


@pytest.fixture
def attacked(reference_engine: GraphEngine, tmp_path: Path) -> Iterator[SecureApp]:
    app = secure_app(reference_engine, tmp_path)
    with app.client:
        yield app


def test_injection_strings_in_every_parameter(attacked: SecureApp, reference_engine: GraphEngine) -> None:
    before = snapshot(reference_engine)
    failures: list[str] = []
    sent = 0
    for method, path, required, where, typed in _operations(attacked):
        for name in where:
            for value in TYPED if name in typed else INJECTIONS:
                values = {**required, name: value}
                response = _request(attacked, method, path, values, where)
                sent += 1
                if response.status_code >= 500:
                    failures.append(f"{method.upper()} {path} {name}={value[:30]!r}: {response.status_code} {response.text[:200]}")
    for query in PUBLIC:  # the catalog route takes each query's own parameters from the query string
        fields = SPECS[query].params.model_fields
        required = {f.alias or k: ID_VALUES.get(f.alias or k, (f.examples or ["x"])[0]) for k, f in fields.items() if f.is_required()}
        for key, field in fields.items():
            for value in CORE if _text_field(field.annotation) else TYPED:
                response = attacked.get(Role.admin, f"/api/v1/queries/{query}", params={**required, field.alias or key: value})
                sent += 1
                if response.status_code >= 500:
                    failures.append(f"/queries/{query} {key}={value[:30]!r}: {response.status_code} {response.text[:200]}")
    print(f"\n{sent} injection requests on {reference_engine.kind}")
    assert sent > 600
    assert not failures, "\n".join(failures[:20])
    assert snapshot(reference_engine) == before, "the graph changed"
