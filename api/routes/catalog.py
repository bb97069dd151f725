"""The query catalog over HTTP: list it, and run any public query with query-string parameters."""

from __future__ import annotations

import typing
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from api.deps import EngineDep
from api.export import DOWNLOADS, DownloadFormat, catalog_pager, download, requested_limit
from api.problems import NotFoundError
from api.routes.common import Limit, Offset, PageOf
from queries import answers
from queries.catalog import get_query
from queries.specs import SPECS

router = APIRouter(prefix="/queries", tags=["catalog"])
PUBLIC = {name: spec for name, spec in SPECS.items() if spec.kind != "internal"}
PAGING = {"limit", "offset", "format"}


class ParameterInfo(BaseModel):
    name: str
    type: str
    required: bool
    default: Any = None
    description: str | None = None


class QueryInfo(BaseModel):
    name: str = Field(examples=["gaps_compounds"])
    kind: str = Field(examples=["gaps"])
    title_en: str
    title_zh: str
    description: str
    parameters: list[ParameterInfo]


def describe(name: str) -> QueryInfo:
    spec = SPECS[name]
    params = [
        ParameterInfo(name=f.alias or key, type=_type_name(f.annotation), required=f.is_required(),
                      default=None if f.is_required() else f.default, description=f.description)
        for key, f in spec.params.model_fields.items()
    ]
    return QueryInfo(name=name, kind=spec.kind, title_en=spec.title_en, title_zh=spec.title_zh,
                     description=get_query(name).description, parameters=params)


def _type_name(annotation: Any) -> str:
    return str(annotation).replace("typing.", "").replace("datetime.", "").replace("<class '", "").replace("'>", "")


@router.get("", response_model=list[QueryInfo], summary="The catalog: every public query with its parameters")
def list_queries() -> Any:
    return [describe(name) for name in PUBLIC]


class QueryRows(PageOf):
    name: str
    parameters: dict[str, Any]


@router.get("/{name}", response_model=QueryRows, summary="Run one catalog query (read-only)",
            responses={404: {"description": "No such query"}, 422: {"description": "Bad parameter"},
                       200: {"content": DOWNLOADS}})
def run(engine: EngineDep, name: str, request: Request, limit: Limit = 100, offset: Offset = 0,
        format: DownloadFormat = "json") -> Any:
    if name not in PUBLIC:
        raise NotFoundError(f"no catalog query named {name!r}; GET /api/v1/queries lists them")
    raw: dict[str, Any] = {}
    model = SPECS[name].params
    list_fields = {f.alias or k for k, f in model.model_fields.items() if typing.get_origin(f.annotation) is list}
    for key, value in request.query_params.multi_items():
        if key in PAGING:
            continue
        if key in list_fields:
            raw.setdefault(key, []).append(value)
        else:
            raw[key] = value
    if format != "json":
        return download(format, catalog_pager(engine, name, raw), name, offset=offset, limit=requested_limit(request, limit))
    rows = answers.catalog_rows(engine, name, raw)
    return answers.page(rows, limit, offset, name=name, parameters=raw).as_dict()
