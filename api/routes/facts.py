"""``GET /api/v1/facts``: published figures, reported vs computed, with a status and a link to the gaps."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import EngineDep
from queries.facts import reconcile

router = APIRouter(tags=["facts"])


class FactStatus(BaseModel):
    id: str = Field(examples=["fact-compounds-org"])
    name: str = Field(examples=["居民小区党的组织覆盖率"])
    reported: float = Field(examples=[99])
    computed: float | None = Field(examples=[99.0312])
    unit: str = Field(examples=["%"])
    tolerance: str = Field(description="exact, about, at_least or at_most")
    margin: float
    status: str = Field(description="agrees, within_tolerance or disagrees")
    as_of: dt.date
    source: str
    sentence: str = Field(description="The sentence the figure comes from.")
    query: str = Field(description="The catalog query that computes it.")
    params: dict[str, Any]
    about: list[str] = Field(description="Ids of what the fact describes.")
    gap: str | None = Field(description="For a disagreeing fact: the gap list that explains it.")


class FactsAnswer(BaseModel):
    total: int
    agrees: int
    within_tolerance: int
    disagrees: int
    rows: list[FactStatus]


@router.get("/facts", response_model=FactsAnswer, summary="Published figures reconciled with the graph")
def facts(engine: EngineDep) -> Any:
    rows = reconcile(engine)
    counts = {s: sum(r["status"] == s for r in rows) for s in ("agrees", "within_tolerance", "disagrees")}
    return {"total": len(rows), **counts, "rows": rows}
