"""A network view: a pyvis ``Network`` plus a title, a legend and a notice, rendered as one offline HTML file.

pyvis's own template links Bootstrap from a CDN even with ``cdn_resources="in_line"``, and its writer
uses the platform's default encoding. So the nodes, edges and options come from pyvis, and the page
around them is ours: vis-network's script and style (shipped in the pyvis wheel) are inlined, nothing
is fetched from anywhere, and files are written as UTF-8.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from pyvis.network import Network

from graph.views.layout import Position, radial_layout
from graph.views.style import LABEL_STYLES, caption, label_zh, rel_zh, style_of, tooltip, wrap

DEFAULT_NODE_LIMIT = 500
"""Most nodes a view draws unless told otherwise; beyond it a view is cut, with a notice."""
PHYSICS_LIMIT = 150
"""Above this many nodes a view gets precomputed positions and no physics simulation."""
BIG_VIEW = 300
"""Above this many nodes edges are hidden while dragging or zooming, to keep the view fluid."""
VIS_DIR = "lib/vis-9.1.2"
SHAPE_ONLY = "#9ca3af"
FONT_FACE = "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', 'WenQuanYi Zen Hei', sans-serif"


@dataclass(frozen=True)
class LegendEntry:
    """One line of a legend: a node shape or an edge style with its color and meaning."""

    text: str
    color: str
    shape: str
    """A vis-network node shape, or ``line`` / ``dashed`` for an edge."""


@cache
def _vis_assets() -> tuple[str, str]:
    root = resources.files("pyvis") / VIS_DIR
    return (root / "vis-network.min.js").read_text(encoding="utf-8"), (root / "vis-network.css").read_text(encoding="utf-8")


@cache
def _template_env() -> Environment:
    return Environment(loader=PackageLoader("graph.views", "templates"), autoescape=select_autoescape(["html", "svg"]))


def entity_url(link_base: str, entity_id: str) -> str:
    """The entity page of ``entity_id``; ``link_base`` is empty for a page served by the app itself."""
    return f"{link_base.rstrip('/')}/entities/{quote(entity_id, safe='')}"


def script_json(value: Any) -> Markup:
    """JSON to put inside a ``<script>`` element: readable UTF-8, but no ``<``, ``>`` or ``&`` that could
    end the element early, whatever the names in the data hold."""
    text = json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


class NetworkView:
    """A view under construction: add entities and links, then :meth:`html` or :meth:`write`.

    ``link_base`` prefixes the entity-page links of the nodes (empty inside the app; the app's
    address for a file written by the CLI). Views with more than ``physics_limit`` nodes need
    positions (:meth:`place`); smaller ones are laid out by vis-network's physics in the browser.
    """

    def __init__(self, title: str, *, kind: str, link_base: str = "", physics_limit: int = PHYSICS_LIMIT) -> None:
        self.title = title
        self.kind = kind
        self.link_base = link_base
        self.physics_limit = physics_limit
        self.notices: list[str] = []
        self.summary: list[str] = []
        self.extra_legend: list[LegendEntry] = []
        self.labels: set[str] = set()
        self.recolored: set[str] = set()
        self.net = Network(height="100%", width="100%", directed=True, cdn_resources="in_line")
        self._edge_keys: set[tuple[str, str, str]] = set()
        self._positions: dict[str, Position] = {}
        self.root: str | None = None
        """The node a physics view starts from: the others start on rings around it, so the simulation
        only has to settle a sensible layout rather than untangle a random one."""

    # -- building ---------------------------------------------------------------------------------

    def has(self, node_id: str) -> bool:
        return node_id in self.net.node_map

    def add_entity(self, node: Mapping[str, Any], *, color: str | None = None, border: str | None = None,
                   size: int | None = None, extra: Iterable[str] = (), emphasis: bool = False) -> None:
        """Add one entity (a node dict with ``id`` and ``label``) once; later calls for it are ignored."""
        node_id = str(node["id"])
        if self.has(node_id):
            return
        label = str(node.get("label", ""))
        style = style_of(label)
        self.labels.add(label)
        fill = color or style.color
        if color:
            self.recolored.add(label)
        self.net.add_node(
            node_id, label=wrap(caption(node)), shape=style.shape, title=tooltip(node, extra),
            color={"background": fill, "border": border or fill,
                   "highlight": {"background": fill, "border": "#111827"}, "hover": {"background": fill, "border": "#111827"}},
            size=(size or style.size) * (1.6 if emphasis else 1), borderWidth=3 if border or emphasis else 1,
            font={"size": 16 if emphasis else 11 if label == "Member" else 13, "bold": emphasis},
            url=entity_url(self.link_base, node_id), kind=label_zh(label), caption=caption(node),
        )

    def add_link(self, source: str, target: str, rel_type: str, *, dashed: bool = False, color: str | None = None,
                 width: float = 1.0, caption_text: str | None = None, arrows: bool = True) -> None:
        """Add a relationship between two nodes already in the view (others are skipped), once per type."""
        key = (source, target, rel_type)
        if key in self._edge_keys or not (self.has(source) and self.has(target)):
            return
        self._edge_keys.add(key)
        options: dict[str, Any] = {"title": rel_zh(rel_type), "dashes": dashed, "width": width,
                                   "arrows": {"to": {"enabled": arrows, "scaleFactor": 0.5}}}
        if color:
            options["color"] = {"color": color, "highlight": color, "hover": color}
        if caption_text:
            options["label"] = caption_text
            options["font"] = {"size": 13}
        self.net.add_edge(source, target, **options)

    def place(self, positions: Mapping[str, Position]) -> None:
        """Fix node positions (used when the view is big, or always for trees and paths)."""
        self._positions.update(positions)

    def notice(self, text: str) -> None:
        """A line shown above the network, e.g. what a cut left out."""
        self.notices.append(text)

    def summarize(self, text: str) -> None:
        """A line of plain facts shown under the title (counts, the as-of date)."""
        self.summary.append(text)

    def legend_extra(self, *entries: LegendEntry) -> None:
        self.extra_legend.extend(entries)

    # -- reading --------------------------------------------------------------------------------

    @property
    def nodes(self) -> list[dict[str, Any]]:
        """The vis-network node dicts (id, label, color, shape, title, url …)."""
        result: list[dict[str, Any]] = self.net.nodes
        return result

    @property
    def edges(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.net.edges
        return result

    @property
    def node_count(self) -> int:
        return len(self.net.nodes)

    @property
    def edge_count(self) -> int:
        return len(self.net.edges)

    @property
    def physics(self) -> bool:
        """Whether the browser lays the view out itself (small views without fixed positions)."""
        return not self._positions and self.node_count <= self.physics_limit

    def legend(self) -> list[LegendEntry]:
        """One entry per label present (in the model's order of styles), then the view's own entries."""
        # A label whose nodes carry another meaning's colors (coverage) shows its shape only, in gray.
        order = [*LABEL_STYLES, *sorted(self.labels - LABEL_STYLES.keys())]  # a label added to the model later still shows
        entries = [LegendEntry(label_zh(label), SHAPE_ONLY if label in self.recolored else style_of(label).color, style_of(label).shape)
                   for label in order if label in self.labels]
        return entries + self.extra_legend

    def options(self) -> dict[str, Any]:
        big = self.node_count > BIG_VIEW
        return {
            "autoResize": True,
            "nodes": {"font": {"face": FONT_FACE, "color": "#1f2937", "strokeWidth": 3, "strokeColor": "#ffffff"},
                      "scaling": {"label": {"drawThreshold": 6}}},
            "edges": {"color": {"color": "#9ca3af", "highlight": "#111827", "hover": "#4b5563"},
                      "font": {"face": FONT_FACE, "size": 11, "align": "middle", "strokeWidth": 3},
                      "smooth": False if self._positions else {"enabled": True, "type": "continuous", "roundness": 0.3}},
            "interaction": {"hover": True, "tooltipDelay": 120, "hideEdgesOnDrag": big, "hideEdgesOnZoom": big,
                            "navigationButtons": False, "keyboard": {"enabled": True, "bindToWindow": False}},
            # vis-network's improvedLayout (a Kamada-Kawai pass in the browser) costs about a second for 100 nodes;
            # the rings computed here start the simulation as well.
            "layout": {"improvedLayout": False, "randomSeed": 7},
            "physics": {"enabled": self.physics, "solver": "forceAtlas2Based",
                        "forceAtlas2Based": {"gravitationalConstant": -60, "springLength": 110, "avoidOverlap": 0.8},
                        "stabilization": {"enabled": True, "iterations": 200, "fit": True}},
        }

    def vis_nodes(self) -> list[dict[str, Any]]:
        """Node dicts as the page hands them to vis-network, with positions: fixed ones, or for a physics
        view with a ``root`` the rings it starts from."""
        positions = self._positions
        if not positions and self.root and self.has(self.root):
            positions = radial_layout([n["id"] for n in self.nodes], [(e["from"], e["to"]) for e in self.edges], self.root)
        if not positions:
            return self.nodes
        return [{**n, "x": round(positions[n["id"]][0], 1), "y": round(positions[n["id"]][1], 1)}
                if n["id"] in positions else n for n in self.nodes]

    def html(self) -> str:
        """The whole view as one self-contained HTML document (no external resource)."""
        script, css = _vis_assets()
        data = {"nodes": self.vis_nodes(), "edges": self.edges, "options": self.options()}
        return _template_env().get_template("view.html").render(
            title=self.title, kind=self.kind, notices=self.notices, summary=self.summary, legend=self.legend(), node_count=self.node_count,
            edge_count=self.edge_count, physics=self.physics, data=script_json(data),
            vis_script=script, vis_css=css,
        )

    def write(self, path: str | Path) -> Path:
        """Write :meth:`html` to ``path`` as UTF-8 (pyvis's own writer uses the locale's encoding)."""
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(self.html(), encoding="utf-8")
        return out
