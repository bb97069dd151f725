"""The query catalog: named, parameterized, read-only Cypher, one ``.cypher`` file per query.

A query ``NAME`` lives in ``queries/NAME.cypher`` in the Cypher subset both engines run. Where a
construct differs, ``NAME.neo4j.cypher`` or ``NAME.ladybug.cypher`` overrides it for that engine.
The ``//`` comment lines at the top of the common file are its description; the titles and the
models of its parameters and rows are in ``queries.specs``.
"""

from __future__ import annotations

import datetime as dt
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
_WRITE_CLAUSE = re.compile(r"\b(CREATE|MERGE|SET|DELETE|REMOVE|DROP|DETACH|LOAD|COPY|INSTALL|ATTACH|ALTER|IMPORT)\b", re.I)


class UnknownQueryError(KeyError):
    """No catalog query has that name."""


@dataclass(frozen=True)
class CatalogQuery:
    """One catalog query: its common text, engine overrides and metadata."""

    name: str
    text: str
    description: str = ""
    overrides: dict[str, str] = field(default_factory=dict)

    @property
    def title_en(self) -> str:
        from queries.specs import SPECS

        return SPECS[self.name].title_en if self.name in SPECS else self.name

    @property
    def title_zh(self) -> str:
        from queries.specs import SPECS

        return SPECS[self.name].title_zh if self.name in SPECS else ""

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


def _parse(path: Path) -> tuple[str, str]:
    """Return (description, text) of a query file; refuse write clauses (the catalog is read-only)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = [ln.strip()[2:].strip() for ln in lines[: next((i for i, ln in enumerate(lines) if not ln.startswith("//")), 0)]]
    text = "\n".join(ln for ln in lines[len(header):]).strip()
    code = re.sub(r"'[^']*'|\"[^\"]*\"|//[^\n]*", " ", text)
    if _WRITE_CLAUSE.search(code):
        raise ValueError(f"{path.name}: catalog queries are read-only, but this one has a write clause")
    return " ".join(header), text


@lru_cache
def load_catalog(directory: Path = QUERY_DIR) -> dict[str, CatalogQuery]:
    """Read every query of the catalog, sorted by name."""
    queries: dict[str, CatalogQuery] = {}
    for path in sorted(directory.glob("*.cypher")):
        name, _, dialect = path.name.removesuffix(".cypher").partition(".")
        if dialect:
            continue
        description, text = _parse(path)
        overrides = {}
        for d in DIALECTS:
            override = directory / f"{name}.{d}.cypher"
            if override.exists():
                overrides[d] = _parse(override)[1]
        queries[name] = CatalogQuery(name=name, text=text, overrides=overrides, description=description)
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
    """Run catalog query ``name`` on ``engine`` (read-only) with parameters as they are, and return its rows."""
    return engine.read(get_query(name).text_for(engine.dialect), params)


def prepare_params(engine: GraphEngine, name: str, raw: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Validate ``raw`` against the query's parameter model and fill defaults.

    A missing ``as_of`` becomes the loaded dataset's as-of date (today when nothing is loaded).
    Raises :class:`pydantic.ValidationError` naming each bad parameter and why.
    """
    from queries.specs import SPECS

    model = SPECS[name].params.model_validate(dict(raw or {}))
    params = model.cypher_params() if hasattr(model, "cypher_params") else model.model_dump()
    if "as_of" in params and params["as_of"] is None:
        params["as_of"] = dataset_as_of(engine)
    used = parameter_names(get_query(name).text_for(engine.dialect))
    return {k: v for k, v in params.items() if k in used}


def run_catalog(engine: GraphEngine, name: str, raw: Mapping[str, Any] | None = None) -> list[Row]:
    """Run catalog query ``name`` with validated parameters and defaults filled in."""
    return run_query(engine, name, prepare_params(engine, name, raw))


def dataset_as_of(engine: GraphEngine) -> dt.date:
    """The as-of date of the loaded data, or today when no bundle has been loaded."""
    rows = run_query(engine, "dataset_as_of")
    as_of = rows[0]["as_of"] if rows else None
    return as_of if isinstance(as_of, dt.date) else dt.date.today()
