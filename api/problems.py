"""Errors as RFC 9457 problem details (``application/problem+json``), for every route.

Every failure a client can meet has a status, a short title and a detail it can act on; nothing
escapes as a bare 500 with a stack trace, and no detail echoes personal data.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.redaction import scrub
from api.security import API_KEY_HEADER_NAME, AuthenticationError, PermissionDeniedError
from graph.errors import EngineUnavailableError, MissingParameterError, QueryError, QueryTimeoutError

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_S = 5
log = logging.getLogger("orggraph.api")


class NotFoundError(LookupError):
    """The requested entity (or query, or view) does not exist."""


def problem(status: int, title: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    """Build a problem+json response."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def install_problem_handlers(app: FastAPI) -> None:
    """Map every error type to its problem response."""

    @app.exception_handler(AuthenticationError)
    async def _unauthenticated(request: Request, exc: AuthenticationError) -> JSONResponse:
        return problem(401, "Unauthorized", str(exc), headers={"WWW-Authenticate": f'ApiKey header="{API_KEY_HEADER_NAME}"'})

    @app.exception_handler(PermissionDeniedError)
    async def _forbidden(request: Request, exc: PermissionDeniedError) -> JSONResponse:
        return problem(403, "Forbidden", str(exc))

    @app.exception_handler(EngineUnavailableError)
    async def _unavailable(request: Request, exc: EngineUnavailableError) -> JSONResponse:
        log.warning("engine unavailable on %s: %s", request.url.path, scrub(exc))
        return problem(503, "Graph engine unavailable", "The graph database does not answer; try again shortly.",
                       headers={"Retry-After": str(RETRY_AFTER_S)})

    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, exc: NotFoundError) -> JSONResponse:
        return problem(404, "Not found", str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"parameter": ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body")),
             "reason": err.get("msg", "invalid")}
            for err in exc.errors()
        ]
        detail = "; ".join(f"{e['parameter']}: {e['reason']}" for e in errors)
        return problem(422, "Invalid parameter", detail, errors=errors)

    @app.exception_handler(ValidationError)
    async def _invalid_params(request: Request, exc: ValidationError) -> JSONResponse:
        errors = [{"parameter": ".".join(str(p) for p in err["loc"]), "reason": err["msg"]} for err in exc.errors()]
        detail = "; ".join(f"{e['parameter']}: {e['reason']}" for e in errors)
        return problem(422, "Invalid parameter", detail, errors=errors)

    @app.exception_handler(MissingParameterError)
    async def _missing(request: Request, exc: MissingParameterError) -> JSONResponse:
        return problem(422, "Missing parameter", str(exc), errors=[{"parameter": m, "reason": "required"} for m in exc.missing])

    @app.exception_handler(QueryTimeoutError)
    async def _timed_out(request: Request, exc: QueryTimeoutError) -> JSONResponse:
        # Stopped at the time limit: the server is busy or the question too big now, not a bug; worth a retry.
        log.warning("query timed out on %s", request.url.path)
        return problem(503, "Query timed out", "The graph engine stopped this query at its time limit; try again "
                       "later or ask for less (a smaller depth, limit or scope).", headers={"Retry-After": "5"})

    @app.exception_handler(QueryError)
    async def _query_failed(request: Request, exc: QueryError) -> JSONResponse:
        # The engine's message may quote values of the query; scrub() blanks quoted text before logging.
        log.error("query failed on %s: %s", request.url.path, scrub(exc))
        return problem(500, "Query failed", "The graph engine could not answer this request.")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, _TITLES.get(exc.status_code, "Error"), str(exc.detail), headers=dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The stack without the exception's message: messages (pydantic's, say) may echo input values.
        log.error("unexpected %s on %s\n%s", type(exc).__name__, request.url.path,
                  "".join(traceback.format_tb(exc.__traceback__)).rstrip())
        return problem(500, "Internal error", "An unexpected error occurred; it has been logged.")


_TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed"}
