"""Interactive network views (pyvis / vis-network), as self-contained offline HTML.

>>> from graph.views import ego_view                                     # doctest: +SKIP
>>> ego_view(engine, "org-mb-01", depth=2).write("out/ego.html")          # doctest: +SKIP

Five views: :func:`ego_view` (an entity's neighborhood, 1-3 steps, filtered by type),
:func:`hierarchy_view` (an organization tree, top-down, with cross-links), :func:`path_view`
(a shortest path), :func:`coverage_view` (a community's compounds and towers colored by coverage)
and :func:`hometown_view` (a hometown group with its members, compounds and branches).
See docs/views.md.
"""

from graph.views.builders import (
    MAX_DEPTH,
    UnknownEntityError,
    coverage_view,
    ego_view,
    fetch_entity,
    hierarchy_view,
    hometown_view,
    path_view,
    walk,
)
from graph.views.render import DEFAULT_NODE_LIMIT, PHYSICS_LIMIT, LegendEntry, NetworkView

__all__ = [
    "DEFAULT_NODE_LIMIT", "MAX_DEPTH", "PHYSICS_LIMIT", "LegendEntry", "NetworkView", "UnknownEntityError", "coverage_view",
    "ego_view", "fetch_entity", "hierarchy_view", "hometown_view", "path_view", "walk",
]
