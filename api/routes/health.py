"""``GET /api/v1/health``: is the engine up, which one, and how much is in it."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api import __version__
from api.deps import EngineDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    engine: str = Field(description="embedded or neo4j", examples=["embedded"])
    version: str = Field(examples=[__version__])
    nodes: dict[str, int] = Field(description="node count per label", examples=[{"Compound": 929}])
    total_nodes: int = Field(examples=[20000])


@router.get("/health", response_model=Health, summary="Engine status and node counts per label",
            responses={503: {"description": "The graph engine is unreachable (problem+json, with Retry-After)"}})
def health(engine: EngineDep) -> Health:
    engine.ping()
    counts = engine.node_counts()
    return Health(status="ok", engine=engine.kind, version=__version__, nodes=counts, total_nodes=sum(counts.values()))
