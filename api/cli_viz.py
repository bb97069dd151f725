"""``orggraph viz …``: write a network view to an HTML file that opens offline in any browser.

Registered in ``api.cli`` as ``app.add_typer(viz_app, name="viz")``. The global options of
``orggraph`` (``--engine``, ``--db-path`` …) choose the engine, as for every other command.

    orggraph viz ego org-mb-01 --depth 2 --out out/ego.html
    orggraph viz hierarchy org-luohu --depth 3 --limit 2000 --out out/tree.html
    orggraph viz path htg-01 org-luohu --out out/path.html
    orggraph viz coverage 440303002003 --as-of 2012-12-31 --out out/coverage.html
    orggraph viz hometown htg-01 --out out/htg.html
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from graph import views
from graph.engine import GraphEngine
from graph.errors import GraphError

viz_app = typer.Typer(help="Write an interactive network view (offline HTML) to a file.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)

Out = Annotated[Path, typer.Option("--out", "-o", help="HTML file to write (UTF-8); folders are created.", dir_okay=False)]
Limit = Annotated[int, typer.Option(min=1, max=100_000, help="Most nodes to draw; a bigger view is cut, with a notice.")]
LinkBase = Annotated[str, typer.Option(help="Address of the running app, for the nodes' links to entity pages.")]
DEFAULT_LINK_BASE = "http://127.0.0.1:8000"


def _write(build: Callable[[GraphEngine], views.NetworkView], out: Path) -> None:
    """Open the configured engine read-only, build the view, write it; errors end the command with a message."""
    from api.cli import settings  # here, not at import: api.cli imports this module to register it

    try:
        with settings().open_engine(read_only=True) as engine:
            view = build(engine)
    except (views.UnknownEntityError, GraphError, ValueError) as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from None
    path = view.write(out)
    console.print(f"wrote {path} ({view.node_count:,} nodes, {view.edge_count:,} relationships)")
    for notice in view.notices:
        console.print(f"[yellow]{notice}[/]")


@viz_app.command()
def ego(
    entity_id: Annotated[str, typer.Argument(help="Entity id, e.g. org-mb-01.")],
    out: Out,
    depth: Annotated[int, typer.Option(min=1, max=views.MAX_DEPTH, help="Steps from the entity.")] = 1,
    types: Annotated[list[str] | None, typer.Option("--type", "-t", help="Only this label (repeatable), e.g. PartyOrg.")] = None,
    limit: Limit = views.DEFAULT_NODE_LIMIT,
    link_base: LinkBase = DEFAULT_LINK_BASE,
) -> None:
    """The ego network of an entity (1-3 steps), optionally of some labels only."""
    from graph.model import NODE_MODELS

    unknown = sorted(set(types or ()) - set(NODE_MODELS))
    if unknown:
        err_console.print(f"[bold red]error:[/] unknown label(s) {', '.join(unknown)}; expected {', '.join(NODE_MODELS)}")
        raise typer.Exit(2)
    _write(lambda e: views.ego_view(e, entity_id, depth=depth, types=types, limit=limit, link_base=link_base), out)


@viz_app.command()
def hierarchy(
    org_id: Annotated[str, typer.Argument(help="Party organization id, e.g. org-luohu.")],
    out: Out,
    depth: Annotated[int, typer.Option(min=1, max=12, help="Levels below the organization.")] = 2,
    limit: Limit = views.DEFAULT_NODE_LIMIT,
    link_base: LinkBase = DEFAULT_LINK_BASE,
) -> None:
    """An organization tree, top-down, with buildings covered and hometown groups served drawn over it."""
    _write(lambda e: views.hierarchy_view(e, org_id, depth=depth, limit=limit, link_base=link_base), out)


@viz_app.command()
def path(
    source: Annotated[str, typer.Argument(help="First entity id.")],
    target: Annotated[str, typer.Argument(help="Second entity id.")],
    out: Out,
    max_length: Annotated[int, typer.Option(min=1, max=10, help="Longest path to look for, in steps.")] = 6,
    link_base: LinkBase = DEFAULT_LINK_BASE,
) -> None:
    """A shortest path between two entities."""
    _write(lambda e: views.path_view(e, source, target, max_length=max_length, link_base=link_base), out)


@viz_app.command()
def coverage(
    community_id: Annotated[str, typer.Argument(help="Community NBS code, e.g. 440303002003.")],
    out: Out,
    as_of: Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Evaluate at this date (YYYY-MM-DD); "
                                                      "default: the dataset's as-of date.")] = None,
    min_floors: Annotated[int, typer.Option(min=1, max=300, help="Buildings with at least this many floors.")] = 20,
    limit: Limit = views.DEFAULT_NODE_LIMIT,
    link_base: LinkBase = DEFAULT_LINK_BASE,
) -> None:
    """A community's compounds and towers colored by organizational / work / no coverage."""
    day = as_of.date() if as_of else None
    _write(lambda e: views.coverage_view(e, community_id, as_of=day, min_floors=min_floors, limit=limit, link_base=link_base),
           out)


@viz_app.command()
def hometown(
    group_id: Annotated[str, typer.Argument(help="Hometown group id, e.g. htg-01.")],
    out: Out,
    limit: Limit = views.DEFAULT_NODE_LIMIT,
    link_base: LinkBase = DEFAULT_LINK_BASE,
) -> None:
    """A hometown group with its members (by id only), their compounds and branches, and its mobile branch."""
    _write(lambda e: views.hometown_view(e, group_id, limit=limit, link_base=link_base), out)
