"""The FastAPI application: one engine per app, opened at start-up and closed at shutdown."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from api import __version__
from api.problems import install_problem_handlers
from api.routes import catalog, coverage, entities, health
from api.settings import Settings, get_settings
from graph.engine import GraphEngine

API_PREFIX = "/api/v1"
log = logging.getLogger("orggraph.api")


def create_app(settings: Settings | None = None, *, engine: GraphEngine | None = None) -> FastAPI:
    """Build the app. Pass ``engine`` to serve an engine the caller owns (tests); otherwise the
    app opens the configured one at start-up and closes it at shutdown."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = engine is None
        app.state.engine = settings.open_engine() if own else engine
        log.info("serving the %s engine", app.state.engine.kind)
        try:
            yield
        finally:
            if own:
                app.state.engine.close()

    app = FastAPI(
        title="orggraph",
        version=__version__,
        summary="Organizational relationships of urban grassroots Party building, as a graph",
        description="Coverage and linkage queries over the party-building graph of Luohu District. "
                    "Errors are application/problem+json.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_problem_handlers(app)
    api = APIRouter(prefix=API_PREFIX)
    for module in (health, coverage, entities, catalog):
        api.include_router(module.router)
    app.include_router(api)
    return app
