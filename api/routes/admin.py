"""``POST /api/v1/admin/cypher``: the raw, read-only Cypher console (admin only).

A query runs only if it is provably a read, checked three times: the statement's clauses
(:mod:`graph.readonly`, both engines), Neo4j's own plan (``EXPLAIN``: the query type must be ``r``),
and the transaction it runs in (a READ session on Neo4j; a read-only database under ``serve`` on
LadybugDB). It has a time limit and a row limit (``ORGGRAPH_CYPHER_TIMEOUT_S``, ``_MAX_ROWS``).
Every call is audited: the query's hash and length, its parameter names, the outcome; never values.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.audit import query_fingerprint
from api.deps import EngineDep, SettingsDep
from api.problems import problem
from api.redaction import scrub
from api.security import SecurityState, current_principal
from graph.errors import MissingParameterError, QueryError, QueryTimeoutError
from graph.readonly import WriteRefusedError, check_read_only

router = APIRouter(prefix="/admin", tags=["admin"])

MAX_QUERY_CHARS = 20_000
MAX_PARAMS = 100
_PARAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")

ParamValue = str | int | float | bool | None | list[Any] | dict[str, Any]


def _check_value(value: Any, depth: int = 0) -> None:
    if depth > 8:
        raise ValueError("parameter values nest too deeply")
    if isinstance(value, str):
        if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            raise ValueError("text with unpaired surrogate characters is not valid Unicode")
    elif isinstance(value, list):
        for item in value:
            _check_value(item, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_value(key, depth + 1)
            _check_value(item, depth + 1)


class CypherRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: Annotated[str, Field(min_length=1, max_length=MAX_QUERY_CHARS,
                                examples=["MATCH (o:PartyOrg {level: $level}) RETURN o.id, o.name ORDER BY o.id"])]
    params: dict[str, ParamValue] = Field(default_factory=dict, max_length=MAX_PARAMS,
                                          examples=[{"level": "流动党支部"}], description="Values for the $parameters.")

    @field_validator("query")
    @classmethod
    def _text(cls, value: str) -> str:
        _check_value(value)
        return value

    @field_validator("params")
    @classmethod
    def _params(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name, item in value.items():
            if not _PARAM_NAME.match(name):
                raise ValueError("parameter names are letters, digits and _, not starting with a digit, at most 64")
            _check_value(item)
        return value


class CypherAnswer(BaseModel):
    columns: list[str]
    rows: list[dict[str, Any]]
    row_count: int
    truncated: bool = Field(description="True when the row limit cut the answer.")
    max_rows: int
    elapsed_ms: float
    engine: str
    query_type: str | None = Field(None, description="Neo4j's plan type (r = read only); null on LadybugDB.")


CONSOLE_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "Refused (not a read), rejected by the engine, or timed out (problem+json)"},
}


@router.post("/cypher", response_model=CypherAnswer, summary="Run a read-only Cypher query (admin)",
             responses=CONSOLE_RESPONSES)
def cypher(body: CypherRequest, engine: EngineDep, settings: SettingsDep, request: Request) -> Any:
    principal = current_principal(request)
    security: SecurityState = request.app.state.security
    audit = {"key_id": principal.key_id, "role": principal.role.value, **query_fingerprint(body.query),
             "param_names": sorted(body.params)}
    started = time.perf_counter()

    def refuse(title: str, detail: str, outcome: str) -> Any:
        security.audit.write("cypher", **audit, outcome=outcome, elapsed_ms=_ms(started))
        return problem(400, title, detail)

    try:
        check_read_only(body.query, engine.dialect)  # first: cheap, and it also refuses reads of files (LOAD CSV)
        query_type = engine.query_type(body.query, body.params)
        if query_type is not None and query_type != "r":
            return refuse("Not a read", f"Neo4j plans this query as type {query_type!r}; only read-only queries (r) run here.",
                          "refused")
        columns, rows, truncated = engine.read_limited(body.query, body.params, max_rows=settings.cypher_max_rows,
                                                       timeout_s=settings.cypher_timeout_s)
    except WriteRefusedError as exc:
        return refuse("Not a read", str(exc), "refused")
    except MissingParameterError as exc:
        return refuse("Missing parameter", str(exc), "error")
    except QueryError as exc:
        if isinstance(exc, QueryTimeoutError):
            return refuse("Query timed out", f"The query ran longer than {settings.cypher_timeout_s:g} s and was stopped.",
                          "timeout")
        return refuse("Query failed", f"The engine rejected the query: {scrub(exc, 500)}", "error")
    elapsed = _ms(started)
    security.audit.write("cypher", **audit, outcome="ok", rows=len(rows), truncated=truncated, elapsed_ms=elapsed)
    return CypherAnswer(columns=columns, rows=[_plain(r) for r in rows], row_count=len(rows), truncated=truncated,
                        max_rows=settings.cypher_max_rows, elapsed_ms=elapsed, engine=engine.kind, query_type=query_type)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _plain(value: Any) -> Any:
    """A value as JSON can hold it: dates as ISO text; NaN, infinities, bytes and other types as text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)
