"""FastAPI dependencies: the one engine of the app, and the settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.settings import Settings
from graph.engine import GraphEngine

# The dependencies are ``async def`` although they do not await: FastAPI runs a plain ``def`` dependency in the
# thread pool, one hop per dependency per request, which cost more than the whole of a lookup's query.


async def get_engine(request: Request) -> GraphEngine:
    """The engine the app opened at start-up."""
    return engine_of(request)


def engine_of(request: Request) -> GraphEngine:
    """The engine the app opened at start-up (the guarded one), for routes that take the request itself."""
    engine: GraphEngine = request.app.state.engine
    return engine


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


EngineDep = Annotated[GraphEngine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
