"""A leaner request path for the lookup routes, with FastAPI's own path for everything else.

For a lookup (``GET /api/v1/entities/{id}`` …), FastAPI's request handler solves the route's dependency
tree on every request: the role requirement, then the path and query parameters, each level through
``solve_dependencies`` (cache keys, scope checks, four parameter kinds), about 70 µs of a ~0.5 ms
request (docs/benchmarks.md, "API overhead"). :class:`LookupRoute` keeps the route exactly as FastAPI
builds it (so the OpenAPI document, the parameters and the security it declares do not change) and puts
a shorter path in front of FastAPI's handler, for a request it can serve the same way:

1. every role requirement of the route *as served* (the dependencies of the routers it was included
   through, found with :func:`api.security.effective_routes`) is called, as FastAPI calls it: the key
   is checked on every request, and a refusal is the same 401/403 problem;
2. the path and query parameters are validated with FastAPI's own ``request_params_to_args``; any error
   hands the request to FastAPI's handler, which answers the 422 it always answered;
3. the endpoint is called with the request and the validated values, and must return a ``Response``.

A route the fast path cannot serve the same way — a sync endpoint, a body, header or cookie parameters,
any dependency other than a role requirement, a route included more than once, dependency overrides set
on the app — always goes through FastAPI's handler. So does everything when FastAPI's internals differ
from what this expects (the plan is then ``None``).
"""

from __future__ import annotations

import inspect
import logging
import weakref
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.utils import request_params_to_args
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from api.security import RoleRequirement, effective_routes, original_route

log = logging.getLogger("orggraph.api")


@dataclass(frozen=True)
class FastPlan:
    """What the fast path does for one route in one app."""

    requirements: tuple[RoleRequirement, ...]
    path_params: list[Any]
    query_params: list[Any]
    request_param: str


def plan_for(route: APIRoute, app: FastAPI) -> FastPlan | None:
    """The fast path of ``route`` as ``app`` serves it, or ``None`` when only FastAPI's handler will do."""
    try:
        served = [r for r in effective_routes(app) if original_route(r) is route]
        if len(served) != 1:
            return None  # not served, or included twice (perhaps with different roles): FastAPI sorts it out
        dependant = served[0].dependant
        if dependant.call is not route.endpoint or not inspect.iscoroutinefunction(route.endpoint):
            return None
        if dependant.body_params or dependant.header_params or dependant.cookie_params or dependant.request_param_name is None:
            return None
        if any(getattr(dependant, name) is not None for name in (
                "websocket_param_name", "http_connection_param_name", "response_param_name",
                "background_tasks_param_name", "security_scopes_param_name")):
            return None
        requirements = []
        for sub in dependant.dependencies:
            if not isinstance(sub.call, RoleRequirement) or sub.dependencies or sub.path_params or sub.query_params \
                    or sub.header_params or sub.cookie_params or sub.body_params:
                return None
            requirements.append(sub.call)
        if not requirements:
            return None  # every route declares a role (create_app checks); one that does not is not ours to speed up
        return FastPlan(tuple(requirements), list(dependant.path_params), list(dependant.query_params),
                        dependant.request_param_name)
    except Exception:  # FastAPI's internals moved: stay on its own handler
        log.warning("no fast path for %s: FastAPI's route internals are not as expected", route.path, exc_info=True)
        return None


class LookupRoute(APIRoute):
    """An ``APIRoute`` with the fast path of the module docstring in front of FastAPI's handler."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        full = super().get_route_handler()
        if not inspect.iscoroutinefunction(self.endpoint):
            return full
        endpoint = self.endpoint
        plans: weakref.WeakKeyDictionary[Any, FastPlan | None] = weakref.WeakKeyDictionary()  # per app

        async def handler(request: Request) -> Response:
            app = request.app
            try:
                plan = plans[app]
            except KeyError:
                plan = plans[app] = plan_for(self, app)
            if plan is None or app.dependency_overrides:
                return await full(request)
            for requirement in plan.requirements:
                await requirement(request)
            values, errors = request_params_to_args(plan.path_params, request.path_params)
            if plan.query_params and not errors:
                query, errors = request_params_to_args(plan.query_params, request.query_params)
                values.update(query)
            if errors:
                return await full(request)  # FastAPI's 422, word for word
            values[plan.request_param] = request
            response = await endpoint(**values)
            if not isinstance(response, Response):
                raise TypeError(f"{self.path}: a LookupRoute endpoint returns a Response, not {type(response).__name__}")
            return response

        return handler
