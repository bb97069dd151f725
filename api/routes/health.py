"""``GET /api/v1/health``: is the engine up, which one, and how much is in it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api import __version__
from api.deps import EngineDep
from queries import coverage_intervals

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


class CoverageIntervalsStatus(BaseModel):
    """When each coverage relationship counts, in memory (queries/coverage_intervals.py): coverage summaries and
    trends at any date are computed from it once ready (on Neo4j: while no transaction has committed since)."""

    ready: bool = Field(examples=[True])
    reading: bool = Field(False, description="being read in the background (summaries use the roll-up or queries "
                          "meanwhile)")
    units: int | None = Field(None, description="compounds, buildings and enterprises counted, one per community "
                              "they are counted in", examples=[1409])
    intervals: int | None = Field(None, description="coverage relationships of theirs", examples=[1808])
    megabytes: float | None = Field(None, description="memory it holds", examples=[0.1])
    read_s: float | None = Field(None, description="seconds it took to read", examples=[0.12])
    built_s: float | None = Field(None, description="seconds it took to build", examples=[0.01])


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
    coverage_intervals: CoverageIntervalsStatus | None = Field(None, description="as served: when each coverage "
                                                               "relationship counts, in memory; null where none is "
                                                               "kept (a writable database, "
                                                               "ORGGRAPH_COVERAGE_INTERVALS=false)")


@router.get("/health", response_model=Health, summary="Engine status and node counts per label",
            responses={503: {"description": "The graph engine is unreachable (problem+json, with Retry-After)"}})
def health(engine: EngineDep) -> Health:
    engine.ping()
    counts = engine.node_counts()
    described = engine.describe()
    topology, names = described.get("topology"), described.get("search_names")
    intervals = described.get("kept", {}).get(coverage_intervals.KEPT_AS)
    return Health(status="ok", engine=engine.kind, version=__version__, nodes=counts, total_nodes=sum(counts.values()),
                  topology=TopologyStatus(**topology) if topology is not None else None,
                  search_names=SearchNamesStatus(**names) if names is not None else None,
                  coverage_intervals=_intervals_status(intervals) if intervals is not None else None)


def _intervals_status(summary: dict[str, Any]) -> CoverageIntervalsStatus:
    """A kept value's summary is its own sizes once read, else ``{"ready": False, "reading": …}``."""
    if "units" in summary:
        return CoverageIntervalsStatus(ready=True, **summary)
    return CoverageIntervalsStatus(ready=False, reading=summary.get("reading", False))
