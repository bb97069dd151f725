"""The query catalog: named, parameterized, read-only Cypher, one ``.cypher`` file per query.

A query ``NAME`` lives in ``queries/NAME.cypher`` in the Cypher subset both engines run. Where a
construct differs, ``NAME.neo4j.cypher`` or ``NAME.ladybug.cypher`` overrides it for that engine.
The ``//`` comment lines at the top of the common file are its description; the titles and the
models of its parameters and rows are in ``queries.specs``.

An override may return its rows collected into one list of maps, ``RETURN collect({…}) AS __rows__``
(``COLLECTED_ROWS``): :func:`run_query` unfolds it into the same rows. The Neo4j driver spends 25-80 µs of
Python per record (a step of 1,000 relationships: ~45 ms of client CPU for 5 ms of server work), and one record
holding a list is unpacked natively: the hot internal steps of walks return their rows so on Neo4j.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from graph.cypher import allowed_label, parameter_names
from graph.engine import GraphEngine, Row
from graph.model import NODE_MODELS, label_for_id
from graph.schema import node_row_keys

QUERY_DIR = Path(__file__).parent
DIALECTS = ("neo4j", "ladybug")
LABEL_SLOT = "__LABEL__"
EVERY_LABEL_SLOT = "__EVERY_LABEL__"
"""A query naming a node's label as ``__EVERY_LABEL__`` runs once per label of the model, joined with UNION ALL:
a lookup of ids of any label from each label's primary key, on an engine without a graph-wide id index."""
COLLECTED_ROWS = "__rows__"
PROPERTY_MAP_SLOT = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\.__PROPERTY_MAP__\b")
"""``n.__PROPERTY_MAP__`` in a labeled query: the node as a map with the keys of :func:`node_columns`."""
PROPERTIES_SLOT = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\.__PROPERTIES__\b")
"""``n.__PROPERTIES__`` in a labeled query: the node as columns (:func:`node_columns`)."""
ENDPOINT_SLOTS: dict[str, str] = {"__SOURCE_LABEL__": "source", "__TARGET_LABEL__": "target"}
"""Label slots filled from the ``source`` / ``target`` id parameters of a query about two entities."""
_WRITE_CLAUSE = re.compile(r"\b(CREATE|MERGE|SET|DELETE|REMOVE|DROP|DETACH|LOAD|COPY|INSTALL|ATTACH|ALTER|IMPORT)\b", re.I)


def _node_fields(variable: str, label: str) -> list[tuple[str, str]]:
    """A node of ``label`` as (key, expression) pairs: ``id``, ``label`` (a literal, so that the API's redaction
    knows a member's row as it knows a member's node, api/redaction.py), then every stored property."""
    return [(key, f"'{label}'" if key == "label" else f"{variable}.{key}") for key in node_row_keys(label)]


def node_columns(variable: str, label: str) -> str:
    """``n.id AS id, 'Member' AS label, n.name AS name, …``: the node as the columns of a row shaped like it."""
    return ", ".join(f"{expression} AS {key}" for key, expression in _node_fields(variable, label))


def node_map(variable: str, label: str) -> str:
    """``{id: n.id, label: 'Member', name: n.name, …}``: :func:`node_columns` as one map."""
    return "{" + ", ".join(f"{key}: {expression}" for key, expression in _node_fields(variable, label)) + "}"


class UnknownQueryError(KeyError):
    """No catalog query has that name."""


@dataclass(frozen=True)
class CatalogQuery:
    """One catalog query: its common text, engine overrides and metadata."""

    name: str
    text: str
    description: str = ""
    overrides: dict[str, str] = field(default_factory=dict)
    _filled: dict[tuple[str, str | None, tuple[tuple[str, str], ...]], str] = field(
        default_factory=dict, compare=False, repr=False)
    """Texts already filled in, by dialect and labels: the slots are filled once, not on every run (labels come
    from the model's allow-list, so there are at most a few hundred)."""

    @property
    def title_en(self) -> str:
        from queries.specs import SPECS

        return SPECS[self.name].title_en if self.name in SPECS else self.name

    @property
    def title_zh(self) -> str:
        from queries.specs import SPECS

        return SPECS[self.name].title_zh if self.name in SPECS else ""

    def text_for(self, dialect: str, label: str | None = None, *, endpoint_labels: Mapping[str, str] | None = None) -> str:
        """The text an engine of ``dialect`` runs, with the label slots filled in when the query has some.

        A query may name its start node's label as ``__LABEL__``: the caller passes a label of the
        model (checked against the allow-list), so lookups by id use that label's index; ``n.__PROPERTIES__``
        then returns that label's stored properties as columns (``PROPERTIES_SLOT``). A query about
        two entities may name theirs as ``__SOURCE_LABEL__`` / ``__TARGET_LABEL__``, given in
        ``endpoint_labels`` by parameter (``{"source": …, "target": …}``, see :func:`endpoint_labels`):
        LadybugDB looks up an id without a label in every node table (a hundred times slower).
        """
        key = (dialect, label, tuple(sorted((endpoint_labels or {}).items())))
        if (filled := self._filled.get(key)) is None:
            filled = self._filled[key] = self._fill(dialect, label, endpoint_labels)
        return filled

    def _fill(self, dialect: str, label: str | None, endpoint_labels: Mapping[str, str] | None) -> str:
        text = self.overrides.get(dialect, self.text)
        if LABEL_SLOT in text:
            if label is None:
                raise ValueError(f"query {self.name} needs a label for {LABEL_SLOT}")
            text = text.replace(LABEL_SLOT, allowed_label(label))
            # Columns instead of the node: LadybugDB builds a node's value several times slower than its columns.
            text = PROPERTIES_SLOT.sub(lambda m: node_columns(m[1], allowed_label(label)), text)
            text = PROPERTY_MAP_SLOT.sub(lambda m: node_map(m[1], allowed_label(label)), text)
        if EVERY_LABEL_SLOT in text:
            text = "\nUNION ALL\n".join(text.replace(EVERY_LABEL_SLOT, allowed_label(each)) for each in NODE_MODELS)
        for slot, param in ENDPOINT_SLOTS.items():
            if slot in text:
                if not endpoint_labels or param not in endpoint_labels:
                    raise ValueError(f"query {self.name} needs the label of ${param} for {slot}")
                text = text.replace(slot, allowed_label(endpoint_labels[param]))
        return text

    @property
    def endpoint_params(self) -> list[str]:
        """The id parameters whose labels fill this query's endpoint slots (``source``, ``target``)."""
        texts = (self.text, *self.overrides.values())
        return [param for slot, param in ENDPOINT_SLOTS.items() if any(slot in t for t in texts)]

    @property
    def labeled(self) -> bool:
        """True when the query has a label slot (``__LABEL__``)."""
        return any(LABEL_SLOT in t for t in (self.text, *self.overrides.values()))

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


def run_query(engine: GraphEngine, name: str, params: Mapping[str, Any] | None = None, *, label: str | None = None) -> list[Row]:
    """Run catalog query ``name`` on ``engine`` (read-only) with parameters as they are, and return its rows.

    Endpoint label slots are filled from the ``source`` / ``target`` ids; an id of no known form
    matches nothing, so the answer is empty without asking the engine.
    """
    query = get_query(name)
    ends = None
    if query.endpoint_params:
        ends = endpoint_labels(query, params or {})
        if ends is None:
            return []
    return unfold_collected(engine.read(query.text_for(engine.dialect, label, endpoint_labels=ends), params))


def unfold_collected(rows: list[Row]) -> list[Row]:
    """The rows of a query, whether it returned them as rows or as one record of ``collect({…}) AS __rows__``
    (``COLLECTED_ROWS``, module docstring)."""
    if len(rows) == 1 and rows[0].keys() == {COLLECTED_ROWS}:
        collected: list[Row] = rows[0][COLLECTED_ROWS]
        return collected
    return rows


def endpoint_labels(query: CatalogQuery, params: Mapping[str, Any]) -> dict[str, str] | None:
    """The labels that ``query``'s endpoint id parameters name, or ``None`` when one has no known form."""
    labels = {param: label_for_id(str(params.get(param, ""))) for param in query.endpoint_params}
    if any(label is None for label in labels.values()):
        return None
    return {param: label for param, label in labels.items() if label is not None}


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
    used = get_query(name).parameters
    return {k: v for k, v in params.items() if k in used}


def run_catalog(engine: GraphEngine, name: str, raw: Mapping[str, Any] | None = None, *, label: str | None = None) -> list[Row]:
    """Run catalog query ``name`` with validated parameters and defaults filled in.

    A query with a label slot gets the label that its ``id`` / ``ids`` parameter names (all ids must
    name the same label; ``queries.answers.step_rows`` groups mixed ones). Ids of no known form match
    nothing, so the answer is empty without asking the engine.
    """
    params = prepare_params(engine, name, raw)
    if get_query(name).labeled and label is None:
        resolved = resolve_label(params)
        if resolved is None:
            return []
        label, params = resolved
    return run_query(engine, name, params, label=label)


def resolve_label(params: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The label that a labeled query's ``id`` / ``ids`` parameter names, and the parameters to run with.

    ``ids`` keeps only the ids of that label; ``None`` when no id has a known form (nothing can match).
    Raises ``ValueError`` when the ids name several labels.
    """
    out = dict(params)
    ids = [out["id"]] if "id" in out else list(out.get("ids", []))
    labels = {found for i in ids if (found := label_for_id(i)) is not None}
    if len(labels) > 1:
        raise ValueError(f"ids of several labels ({sorted(labels)}); run one query per label")
    if not labels:
        return None
    label = labels.pop()
    if "ids" in out:
        out["ids"] = [i for i in ids if label_for_id(i) == label]
    return label, out


def dataset_as_of(engine: GraphEngine) -> dt.date:
    """The as-of date of the loaded data, or today when no bundle has been loaded."""
    rows = run_query(engine, "dataset_as_of")
    as_of = rows[0]["as_of"] if rows else None
    return as_of if isinstance(as_of, dt.date) else dt.date.today()
