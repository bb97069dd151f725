"""Parameters and response shapes shared by the list routes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Query
from fastapi.exceptions import ResponseValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from api.export import ListFormat
from api.guard import current_context

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


async def answer(model: type[BaseModel], work: Callable[[], Any]) -> Response:
    """Run ``work`` (which reads the engine) in a worker thread and return its answer as JSON, checked
    against ``model`` (the route's ``response_model``, which stays what the OpenAPI document says).

    A plain ``def`` route costs two thread-pool hops: one for the route, and one more for FastAPI's
    validation of its return value. Here the route is ``async`` and the work, the validation and the JSON
    encoding are done in one hop, with the same pydantic calls FastAPI makes, so the bytes are the same.
    The engine calls stay off the event loop (a query may wait for a connection, or run until its time
    limit). The hop goes to the app's :class:`~api.workers.WorkerPool` (about half the cost of anyio's
    ``run_in_threadpool``, which serves outside a request). Context variables (the request's role, for
    redaction and the audit) follow into the thread either way.
    """
    def run() -> Response:
        content = work()
        try:
            body = model.model_validate(content).model_dump_json(by_alias=True)
        except ValidationError as exc:  # our bug, not the client's: a 500, as FastAPI's own check gives
            raise ResponseValidationError(errors=exc.errors(include_url=False)) from None
        return Response(content=body, media_type="application/json")

    return await in_worker(run)


async def in_worker(work: Callable[[], Response]) -> Response:
    """Run ``work``, which reads the engine and makes the response, in the app's worker pool (see :func:`answer`)."""
    ctx = current_context()
    if ctx is not None and ctx.workers is not None:
        return await ctx.workers.run(work)
    response: Response = await run_in_threadpool(work)
    return response
