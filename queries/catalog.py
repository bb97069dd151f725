"""The query catalog: named, parameterized, read-only Cypher, one ``.cypher`` file per query.

A query ``NAME`` lives in ``queries/NAME.cypher`` in the Cypher subset both engines run. Where a
construct differs, ``NAME.neo4j.cypher`` or ``NAME.ladybug.cypher`` overrides it for that engine.
A file starts with ``//`` header lines giving its metadata::

    // title_en: Entity by id
    // title_zh: 按编号查询实体
    // description: Any node of the graph by its graph-wide id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from graph.cypher import parameter_names
from graph.engine import GraphEngine, Row

QUERY_DIR = Path(__file__).parent
DIALECTS = ("neo4j", "ladybug")
_HEADER = re.compile(r"^//\s*(\w+):\s*(.*)$")
_WRITE_CLAUSE = re.compile(r"\b(CREATE|MERGE|SET|DELETE|REMOVE|DROP|DETACH|LOAD|COPY|INSTALL|ATTACH|ALTER|IMPORT)\b", re.I)


class UnknownQueryError(KeyError):
    """No catalog query has that name."""


@dataclass(frozen=True)
class CatalogQuery:
    """One catalog query: its common text, engine overrides and metadata."""

    name: str
    text: str
    title_en: str = ""
    title_zh: str = ""
    description: str = ""
    overrides: dict[str, str] = field(default_factory=dict)

    def text_for(self, dialect: str) -> str:
        """The text an engine of ``dialect`` runs."""
        return self.overrides.get(dialect, self.text)

    @property
    def parameters(self) -> list[str]:
        """Every ``$parameter`` of the query, over all its variants, sorted."""
        names: set[str] = set()
        for text in (self.text, *self.overrides.values()):
            names |= parameter_names(text)
        return sorted(names)


def _parse(path: Path) -> tuple[dict[str, str], str]:
    meta: dict[str, str] = {}
    body: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _HEADER.match(line.strip())
        if match and not body:
            meta[match.group(1)] = match.group(2).strip()
        elif line.strip() or body:
            body.append(line)
    text = "\n".join(body).strip()
    if _WRITE_CLAUSE.search(re.sub(r"'[^']*'|\"[^\"]*\"|//[^\n]*", " ", text)):
        raise ValueError(f"{path.name}: catalog queries are read-only, but this one has a write clause")
    return meta, text


@lru_cache
def load_catalog(directory: Path = QUERY_DIR) -> dict[str, CatalogQuery]:
    """Read every query of the catalog, sorted by name."""
    queries: dict[str, CatalogQuery] = {}
    for path in sorted(directory.glob("*.cypher")):
        name, _, dialect = path.name.removesuffix(".cypher").partition(".")
        if dialect:
            continue
        meta, text = _parse(path)
        overrides = {}
        for d in DIALECTS:
            override = directory / f"{name}.{d}.cypher"
            if override.exists():
                overrides[d] = _parse(override)[1]
        queries[name] = CatalogQuery(name=name, text=text, overrides=overrides, title_en=meta.get("title_en", name),
                                     title_zh=meta.get("title_zh", ""), description=meta.get("description", ""))
    stray = {p.name.split(".")[0] for p in directory.glob("*.*.cypher")} - queries.keys()
    if stray:
        raise ValueError(f"override files without a common query: {sorted(stray)}")
    return queries


def get_query(name: str) -> CatalogQuery:
    """The catalog query called ``name``; :class:`UnknownQueryError` if there is none."""
    catalog = load_catalog()
    if name not in catalog:
        raise UnknownQueryError(name)
    return catalog[name]


def run_query(engine: GraphEngine, name: str, params: Mapping[str, Any] | None = None) -> list[Row]:
    """Run catalog query ``name`` on ``engine`` (read-only) and return its rows."""
    return engine.read(get_query(name).text_for(engine.dialect), params)
