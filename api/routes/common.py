"""Parameters and response shapes shared by the list routes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, Field

from api.export import ListFormat

Limit = Annotated[int, Query(ge=1, le=1000, description="Rows per page.")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Rows to skip.")]
Format = Annotated[ListFormat, Query(description="json, or a csv / xlsx download of this page.")]
AsOfQuery = Annotated[dt.date | None, Query(description="Evaluate at this date (YYYY-MM-DD); default: the dataset's as-of date.")]
PathSource = Annotated[str, Query(min_length=1, max_length=64, description="Id of the entity the path starts at.",
                                  examples=["htg-01"])]
PathTarget = Annotated[str, Query(min_length=1, max_length=64, description="Id of the entity the path ends at.",
                                  examples=["org-luohu"])]
PathMaxLength = Annotated[int, Query(ge=1, le=10, description="Longest path to look for, in steps.")]
NBS_SUBDISTRICT = r"^(\d{9})?$"
NBS_COMMUNITY = r"^(\d{12})?$"


class PageOf(BaseModel):
    """A page of a list: ``total`` rows exist; this page holds ``rows[offset:offset+limit]``."""

    total: int = Field(examples=[9])
    limit: int = Field(examples=[100])
    offset: int = Field(examples=[0])
    rows: list[dict[str, Any]]
