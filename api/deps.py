"""FastAPI dependencies: the one engine of the app, and the settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.settings import Settings
from graph.engine import GraphEngine


def get_engine(request: Request) -> GraphEngine:
    """The engine the app opened at start-up."""
    engine: GraphEngine = request.app.state.engine
    return engine


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


EngineDep = Annotated[GraphEngine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
