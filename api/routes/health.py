"""``GET /api/v1/health``: is the engine up, which one, and how much is in it."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api import __version__
from api.deps import EngineDep

router = APIRouter(tags=["health"])


class SearchNamesStatus(BaseModel):
    names: int = Field(examples=[4200])
    megabytes: float = Field(description="memory it holds, roughly", examples=[0.6])
    built_s: float = Field(description="seconds it took to build", examples=[0.04])


class NodeRowsStatus(BaseModel):
    labels: int = Field(examples=[14])
    nodes: int = Field(examples=[4300])
    megabytes: float = Field(description="memory it holds", examples=[0.5])
    built_s: float = Field(description="seconds it took to build", examples=[0.02])


class TopologyStatus(BaseModel):
    """The relationships in memory (graph/topology.py; on Neo4j graph/neo4j_copy.py), which walks and paths use
    once ready (on Neo4j: while no transaction has committed since they were read)."""

    ready: bool = Field(examples=[True])
    building: bool = Field(False, description="being built in the background (walks and paths use queries meanwhile)")
    nodes: int | None = Field(None, examples=[15816])
    relationships: int | None = Field(None, examples=[31836])
    megabytes: float | None = Field(None, description="memory it holds", examples=[1.1])
    built_s: float | None = Field(None, description="seconds it took to build", examples=[0.25])
    read_s: float | None = Field(None, description="Neo4j: seconds it took to read from the server, before building",
                                 examples=[1.2])
    search_names: SearchNamesStatus | None = Field(None, description="the searchable names in memory, built with it "
                                                   "(graph/name_index.py), which the search uses once ready")
    node_rows: NodeRowsStatus | None = Field(None, description="the nodes' properties in memory, members never, built "
                                             "with it (graph/node_rows.py), which walks and paths read their nodes from")


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    engine: str = Field(description="embedded or neo4j", examples=["embedded"])
    version: str = Field(examples=[__version__])
    nodes: dict[str, int] = Field(description="node count per label", examples=[{"Compound": 929}])
    total_nodes: int = Field(examples=[20000])
    topology: TopologyStatus | None = Field(None, description="as served: the relationships in memory for "
                                            "neighborhoods and paths (on Neo4j the copy held, used while no transaction "
                                            "has committed since it was read, graph/committed.py); null where none "
                                            "is kept (a writable database, ORGGRAPH_EMBEDDED_TOPOLOGY=false, "
                                            "ORGGRAPH_NEO4J_TOPOLOGY=false)")
    search_names: SearchNamesStatus | None = Field(None, description="Neo4j, served: the searchable names in memory "
                                                   "(graph/committed.py), which the search uses while no "
                                                   "transaction has committed since they were read; null before the "
                                                   "first copy is read, on the embedded engine (see topology) and with "
                                                   "ORGGRAPH_NEO4J_SEARCH_NAMES=false")


@router.get("/health", response_model=Health, summary="Engine status and node counts per label",
            responses={503: {"description": "The graph engine is unreachable (problem+json, with Retry-After)"}})
def health(engine: EngineDep) -> Health:
    engine.ping()
    counts = engine.node_counts()
    described = engine.describe()
    topology, names = described.get("topology"), described.get("search_names")
    return Health(status="ok", engine=engine.kind, version=__version__, nodes=counts, total_nodes=sum(counts.values()),
                  topology=TopologyStatus(**topology) if topology is not None else None,
                  search_names=SearchNamesStatus(**names) if names is not None else None)
