"""The FastAPI application: one engine per app, opened at start-up and closed at shutdown.

Security (docs/security.md) is built in here, so no entry point can skip it: the app refuses to be
built for a non-loopback host without API keys, every router is included with the role it needs,
and routes only ever see the guarded engine (read-only, redacting, audited; ``api/guard.py``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.routing import APIRoute
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from api import __version__
from api.guard import RequestContextMiddleware, guard
from api.keys import Role
from api.openapi import install_openapi
from api.problems import install_problem_handlers
from api.routes import admin, analysis, catalog, coverage, entities, facts, health, login, pages, viz
from api.security import PUBLIC, SecurityState, declared_access, effective_routes, original_route, requires
from api.settings import Settings, get_settings
from api.workers import WorkerPool
from graph.engine import GraphEngine
from queries import coverage_intervals

API_PREFIX = "/api/v1"
log = logging.getLogger("orggraph.api")


def create_app(settings: Settings | None = None, *, engine: GraphEngine | None = None) -> FastAPI:
    """Build the app. Pass ``engine`` to serve an engine the caller owns (tests); otherwise the
    app opens the configured one at start-up and closes it at shutdown."""
    settings = settings or get_settings()
    security = SecurityState(settings)
    security.refuse_if_insecure()  # at build time, so `serve` fails before it binds the port
    quiet_driver_trace()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        security.check_startup()
        own = engine is None
        raw = engine if engine is not None else open_served_engine(settings)
        app.state.engine = guard(raw)  # routes see only the guarded engine
        if own:
            app.state.engine.prepare_topology()  # in the background; walks and paths use queries until it is ready
            if settings.coverage_intervals:  # in the background too; summaries use the roll-up or queries until then
                coverage_intervals.keep(app.state.engine)
        app.state.workers = WorkerPool(settings.worker_threads)  # the lookups' engine work (api/workers.py)
        log.info("serving the %s engine", raw.kind)
        try:
            yield
        finally:
            app.state.workers.shutdown()  # waits for work still running: the engine is not closed under a query
            if own:
                raw.close()

    app = FastAPI(
        title="orggraph",
        version=__version__,
        summary="Organizational relationships of urban grassroots Party building, as a graph",
        description="Coverage and linkage queries over the party-building graph of Luohu District. "
                    "Errors are application/problem+json.",
        lifespan=lifespan,
        docs_url=None, redoc_url=None, openapi_url=None,  # added below as routes that declare their access
        # Off unless asked for: looking for configured providers costs ~5 % of an entity lookup, on every request.
        telemetry={"tracing": settings.opentelemetry, "metrics": settings.opentelemetry, "logs": settings.opentelemetry},
    )
    app.state.settings = settings
    app.state.security = security
    app.add_middleware(RequestContextMiddleware, audit=security.audit)
    install_problem_handlers(app)
    install_openapi(app)
    viewer, admin_only = [requires(Role.viewer)], [requires(Role.admin)]
    # Each router straight into the app, with the API prefix, not through one more /api/v1 router: FastAPI
    # matches an included router's routes once to pick it and once more to run one, at every level of nesting.
    # The lookups first: the router tries each route in turn, and their paths overlap no other router's.
    for module in (entities, coverage, catalog, analysis, facts, health):
        app.include_router(module.router, prefix=API_PREFIX, dependencies=viewer)
    app.include_router(admin.router, prefix=API_PREFIX, dependencies=admin_only)
    _add_documentation_routes(app)
    app.include_router(viz.router, dependencies=viewer)
    app.include_router(pages.router, dependencies=viewer)
    login.install(app)  # /login and /logout (declared public), and pages without a login redirect there
    pages.mount_static(app)
    check_declared_roles(app)
    return app


def quiet_driver_trace() -> None:
    """The Neo4j driver logs every Bolt message at DEBUG, parameters and records included; unless an
    operator set its level on purpose, keep it at INFO so a DEBUG root logger cannot leak member data."""
    driver_log = logging.getLogger("neo4j")
    if driver_log.level == logging.NOTSET:
        driver_log.setLevel(logging.INFO)


def open_served_engine(settings: Settings) -> GraphEngine:
    """The engine ``serve`` opens. The embedded database is opened read-only: the API never writes,
    and then LadybugDB itself refuses any write, whatever the query checks miss."""
    if settings.engine != "embedded":
        return settings.open_engine(read_only=True)  # Neo4j: served, so with the search names in memory
    if not settings.db_path.exists():
        settings.open_engine().close()  # a read-only open cannot create the database; create it empty once
    return settings.open_engine(read_only=True)


def _add_documentation_routes(app: FastAPI) -> None:
    @app.get("/openapi.json", include_in_schema=False, dependencies=[PUBLIC])
    def openapi_document() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=[PUBLIC])
    def swagger_page() -> HTMLResponse:
        # Swagger UI from our own node_modules (swagger-ui-dist), never from a CDN: the pages work offline.
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} API",
                                   swagger_js_url="/static/vendor/swagger-ui-dist/swagger-ui-bundle.js",
                                   swagger_css_url="/static/vendor/swagger-ui-dist/swagger-ui.css",
                                   swagger_favicon_url="/static/vendor/swagger-ui-dist/favicon-32x32.png")

    @app.get("/redoc", include_in_schema=False, dependencies=[PUBLIC])
    def redoc_page() -> RedirectResponse:
        return RedirectResponse("/docs")  # one offline API page is enough; ReDoc would need a CDN or a large bundle


def check_declared_roles(app: FastAPI) -> None:
    """Refuse an app with a route that declares no role (or a mount other than static files)."""
    undeclared = [
        f"{','.join(sorted(route.methods or ()))} {route.path}" if isinstance(original_route(route), APIRoute) else repr(route)
        for route in effective_routes(app)
        if not (isinstance(original_route(route), APIRoute) and declared_access(route))
        and not (isinstance(original_route(route), Mount) and isinstance(original_route(route).app, StaticFiles))
    ]
    if undeclared:
        raise RuntimeError(f"routes without a declared role: {'; '.join(undeclared)}. Include their router with "
                           "dependencies=[requires(Role.viewer)] (or the role they need); see api/security.py")
