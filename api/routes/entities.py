"""Lookups and linkage: entities, neighbors, org chains and subtrees, paths, search, lists."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import engine_of
from api.export import DOWNLOADS, DownloadFormat, download, requested_limit
from api.fastroute import LookupRoute
from api.problems import NotFoundError
from api.routes.common import Limit, Offset, PageOf, PathMaxLength, PathSource, PathTarget, answer, in_worker
from graph.engine import GraphEngine
from graph.schema import SEARCHABLE_LABELS
from queries import answers
from queries.catalog import run_catalog
from queries.search import search as search_names
from queries.search import search_rows

router = APIRouter(tags=["entities"], route_class=LookupRoute)
# The lookup routes (entity, neighbors, org chain and subtree, path, search) take the engine from the request
# (engine_of) rather than as EngineDep, and LookupRoute serves them without FastAPI's dependency solving
# when it can do so the same way (api/fastroute.py; docs/benchmarks.md, "API overhead").

EntityIdPath = Annotated[str, Path(min_length=1, max_length=64, description="Graph-wide entity id.",
                                   examples=["org-luohu"])]
SEARCHABLE = SEARCHABLE_LABELS


class Entity(BaseModel):
    id: str = Field(examples=["440303002003"])
    label: str = Field(examples=["Community"])
    model_config = {"extra": "allow"}


def get_entity(engine: GraphEngine, entity_id: str) -> dict[str, Any]:
    rows = run_catalog(engine, "entity_by_id", {"id": entity_id})
    if not rows:
        raise NotFoundError(f"no entity with id {entity_id!r}")
    node: dict[str, Any] = rows[0]["n"]
    return node


def get_org(engine: GraphEngine, org_id: str) -> dict[str, Any]:
    node = get_entity(engine, org_id)
    if node["label"] != "PartyOrg":
        raise NotFoundError(f"{org_id!r} is a {node['label']}, not a party organization")
    return node


@router.get("/entities/{id}", response_model=Entity, summary="Any entity by its id",
            responses={404: {"description": "No such entity (problem+json)"}})
async def entity(request: Request, id: EntityIdPath) -> Response:
    engine = engine_of(request)
    return await answer(Entity, lambda: get_entity(engine, id))


class Edge(BaseModel):
    source: str
    target: str
    type: str


class NeighborsAnswer(BaseModel):
    center: dict[str, Any]
    depth: int
    nodes: list[dict[str, Any]] = Field(description="Nodes with their distance from the center (the center first).")
    edges: list[Edge]
    truncated: bool = Field(description="True when the node limit cut the neighborhood.")
    omitted: int = Field(description="How many nodes the limit left out.")


@router.get("/entities/{id}/neighbors", response_model=NeighborsAnswer, summary="The neighborhood of an entity",
            responses={404: {"description": "No such entity"}})
async def entity_neighbors(
    request: Request,
    id: EntityIdPath,
    depth: Annotated[int, Query(ge=1, le=3, description="Steps from the entity.")] = 1,
    types: Annotated[list[answers.LabelName] | None, Query(description="Only these labels (repeat the parameter).")] = None,
    limit: Annotated[int, Query(ge=1, le=5000, description="Most nodes to return.")] = answers.MAX_NEIGHBORS,
) -> Response:
    engine = engine_of(request)

    def work() -> dict[str, Any]:
        center = get_entity(engine, id)
        hood = answers.neighbors(engine, center, depth=depth, types=types, limit=limit)
        return {"center": hood.center, "depth": depth, "nodes": hood.nodes, "edges": hood.edges,
                "truncated": hood.truncated, "omitted": hood.omitted}

    return await answer(NeighborsAnswer, work)


class ChainAnswer(BaseModel):
    org: dict[str, Any]
    chain: list[dict[str, Any]] = Field(description="The org (distance 0) up to the district committee.")


@router.get("/orgs/{id}/chain", response_model=ChainAnswer, summary="Chain of an org up to the district committee",
            responses={404: {"description": "No such party organization"}})
async def org_chain(request: Request, id: EntityIdPath) -> Response:
    engine = engine_of(request)

    def work() -> dict[str, Any]:
        org = get_org(engine, id)
        return {"org": org, "chain": answers.org_chain(engine, org)}  # the rows of org_chain, walked step by step

    return await answer(ChainAnswer, work)


class SubtreeAnswer(BaseModel):
    org: dict[str, Any]
    depth: int
    total: int
    rows: list[dict[str, Any]]


@router.get("/orgs/{id}/subtree", response_model=SubtreeAnswer, summary="Organizations below an org",
            responses={404: {"description": "No such party organization"}})
async def org_subtree(request: Request, id: EntityIdPath,
                      depth: Annotated[int, Query(ge=1, le=12, description="Levels below the org.")] = 3) -> Response:
    engine = engine_of(request)

    def work() -> dict[str, Any]:
        org = get_org(engine, id)
        rows = run_catalog(engine, "org_subtree", {"id": id, "depth": depth})
        return {"org": org, "depth": depth, "total": len(rows), "rows": rows}

    return await answer(SubtreeAnswer, work)


class PathAnswer(BaseModel):
    source: str
    target: str
    found: bool
    length: int | None = None
    nodes: list[dict[str, Any]] = []
    edges: list[Edge] = []


@router.get("/paths", response_model=PathAnswer, summary="A shortest path between two entities",
            responses={404: {"description": "One of the entities does not exist"}})
async def paths(
    request: Request,
    source: PathSource,
    target: PathTarget,
    max_length: PathMaxLength = 6,
) -> Response:
    engine = engine_of(request)
    return await answer(PathAnswer, lambda: find_path(engine, source, target, max_length))


def find_path(engine: GraphEngine, source: str, target: str, max_length: int) -> dict[str, Any]:
    get_entity(engine, source)
    get_entity(engine, target)
    if source == target:
        node = get_entity(engine, source)
        return {"source": source, "target": target, "found": True, "length": 0, "nodes": [node], "edges": []}
    found = answers.shortest_path(engine, source, target, max_length)
    if found is None:
        return {"source": source, "target": target, "found": False}
    return {"source": source, "target": target, "found": True, **found}


class SearchPage(PageOf):
    q: str


@router.get("/search", response_model=SearchPage, summary="Search entities by part of their name",
            responses={200: {"content": DOWNLOADS}})
async def search(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=50, description=(
        "Part of the name, e.g. 花园; or, in Latin letters, part of its pinyin initials: lhq finds 罗湖区."))],
    label: Annotated[list[answers.LabelName] | None, Query(description="Only these labels (repeatable).")] = None,
    limit: Limit = 20,
    offset: Offset = 0,
    format: DownloadFormat = "json",
) -> Response:
    engine = engine_of(request)
    labels = [lbl for lbl in (label or SEARCHABLE) if lbl in SEARCHABLE]
    if format != "json":
        def pager(skip: int, count: int) -> list[dict[str, Any]]:
            return search_rows(engine, q, labels, count, skip)

        # search_by_name pages itself (SKIP $offset LIMIT $limit), at most SEARCH_CHUNK_ROWS rows a query; the
        # first chunk is read in a worker thread, before the 200 goes out.
        return await in_worker(lambda: download(format, pager, "search", offset=offset,
                                                limit=requested_limit(request, limit), chunk_rows=SEARCH_CHUNK_ROWS))
    return await answer(SearchPage, lambda: search_names(engine, q, labels, limit, offset).as_dict())


SEARCH_CHUNK_ROWS = 500
"""Most rows one ``search_by_name`` query returns (its ``limit`` parameter's bound)."""
