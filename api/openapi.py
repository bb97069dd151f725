"""The OpenAPI document as the app really answers: problem+json errors, API key security, 401/403/503.

FastAPI documents a 422 with its own ``HTTPValidationError`` body and knows nothing of the problem
handlers or the role checks; :func:`install_openapi` rewrites each operation's error responses so a
client (or schemathesis) can rely on the document.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from api.keys import Role
from api.problems import PROBLEM_JSON, RETRY_AFTER_S
from api.security import RoleRequirement, declared_access, effective_routes, original_route


class ProblemError(BaseModel):
    parameter: str
    reason: str


class Problem(BaseModel):
    """RFC 9457 problem details, the body of every error."""

    model_config = ConfigDict(extra="allow")

    type: str = Field("about:blank", examples=["about:blank"])
    title: str = Field(examples=["Not found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["no entity with id 'org-x'"])
    errors: list[ProblemError] | None = Field(None, description="Each bad parameter and why (422).")


_REF = {"$ref": "#/components/schemas/Problem"}
_DESCRIPTIONS = {
    "400": "Bad request", "401": "No API key, or an unknown or revoked one", "403": "The key's role may not use this route",
    "404": "Not found", "413": "Request body too large", "422": "Invalid parameter", "503": "The graph engine is unreachable",
}


def _problem_response(code: str, existing: dict[str, Any] | None) -> dict[str, Any]:
    description = (existing or {}).get("description") or _DESCRIPTIONS.get(code, "Error")
    response: dict[str, Any] = {"description": description, "content": {PROBLEM_JSON: {"schema": _REF}}}
    if code == "503":
        response["headers"] = {"Retry-After": {"description": f"Seconds to wait ({RETRY_AFTER_S})",
                                               "schema": {"type": "integer"}}}
    if code == "401":
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    return response


def install_openapi(app: FastAPI) -> None:
    """Replace ``app.openapi`` with a generator that documents the app's real error responses."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, summary=app.summary, description=app.description,
                             routes=app.routes)
        roles: dict[tuple[str, str], Role | None] = {}
        for route in effective_routes(app):
            if isinstance(original_route(route), APIRoute):
                declared = declared_access(route)
                role = next((d.role for d in declared if isinstance(d, RoleRequirement)), None)
                for method in route.methods or ():
                    roles[(route.path_format, method.lower())] = role
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                responses: dict[str, Any] = operation.setdefault("responses", {})
                role = roles.get((path, method))
                codes = {code for code in responses if code[0] in "45"} | {"422", "503"}
                if role is not None:
                    codes.add("401")
                    if role != Role.viewer:
                        codes.add("403")
                else:
                    operation.pop("security", None)
                if "requestBody" in operation:
                    codes.add("413")
                for code in sorted(codes):
                    responses[code] = _problem_response(code, responses.get(code))
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        components["ProblemError"] = components["Problem"].pop("$defs", {}).get("ProblemError",
                                                                                 ProblemError.model_json_schema())
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
