"""``GET /api/v1/analysis/{name}``: network analytics over a bounded subgraph."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import EngineDep
from api.routes.entities import get_entity
from graph import analytics
from queries import answers

router = APIRouter(prefix="/analysis", tags=["analysis"])

AnalysisName = Literal["betweenness", "articulation_points", "components", "communities", "degree"]


class AnalysisAnswer(BaseModel):
    name: str
    scope: str
    id: str
    nodes: int = Field(description="Nodes in the analysed subgraph.")
    edges: int
    truncated: bool = Field(description="True when the node limit cut the subgraph.")
    results: list[dict[str, Any]]


@router.get("/{name}", response_model=AnalysisAnswer, summary="Centrality, cut points, components, communities, degrees",
            responses={404: {"description": "No such entity"}})
def analysis(
    engine: EngineDep,
    name: AnalysisName,
    id: Annotated[str, Query(min_length=1, max_length=64, description="The entity the scope starts from.",
                             examples=["org-luohu"])],
    scope: Annotated[answers.Scope, Query(description="ego: neighborhood of id; subtree: an org and everything below "
                                          "it with their cross-links; subdistrict: around a subdistrict.")] = "ego",
    depth: Annotated[int, Query(ge=1, le=3, description="Steps for ego and subdistrict scopes.")] = 2,
    limit: Annotated[int, Query(ge=10, le=5000, description="Most nodes in the subgraph.")] = 2000,
    top: Annotated[int, Query(ge=1, le=500, description="betweenness: how many nodes to return.")] = 20,
    label: Annotated[list[answers.LabelName] | None, Query(description="betweenness / articulation points: "
                                                           "only report these labels.")] = None,
) -> Any:
    entity = get_entity(engine, id)
    hood = answers.subgraph(engine, scope, entity, depth=depth, limit=limit)
    graph = analytics.to_networkx(hood.nodes, hood.edges)
    if name == "betweenness":
        results = analytics.betweenness(graph, top=top, labels=label)
    elif name == "articulation_points":
        results = analytics.articulation_points(graph, labels=label)
    else:
        results = analytics.ANALYSES[name](graph)
    return {"name": name, "scope": scope, "id": id, "nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(),
            "truncated": hood.truncated, "results": results}
