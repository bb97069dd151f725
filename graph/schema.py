"""Schema of each engine, derived from the domain model (``graph.model``), never written by hand.

Both builders return lists of idempotent DDL statements, so creating the schema twice is harmless.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType

from graph.model import NODE_MODELS, REL_MODELS, node_properties, rel_properties

ENTITY_LABEL = "Entity"
"""Neo4j only: a second label on every node, so that a lookup by graph-wide id uses one index."""

LADYBUG_TYPES: dict[type, str] = {str: "STRING", int: "INT64", float: "DOUBLE", bool: "BOOLEAN", dt.date: "DATE"}

# Properties the catalog queries filter or sort on, beyond the unique ``id`` every label has.
NEO4J_INDEXES: dict[str, tuple[str, ...]] = {
    "Community": ("name",),
    "Compound": ("name", "kind"),
    "Building": ("name", "floors"),
    "BusinessArea": ("name",),
    "Enterprise": ("name", "industry"),
    "PartyOrg": ("name", "level"),
    "Member": ("mobile", "category"),
    "HometownGroup": ("name",),
    "Project": ("name", "category"),
    "ServiceCenter": ("name", "level"),
}
NEO4J_REL_INDEXES: dict[str, tuple[str, ...]] = {"COVERS": ("mode",), "MEMBER_OF": ("role",)}
DERIVED_TABLES: dict[str, dict[str, type]] = {
    "CoverageRollup": {
        "id": str, "target": str, "as_of": dt.date, "community_id": str, "floors": int,
        "total": int, "organizational_covered": int, "work_covered": int,
    },
}
"""Tables the loaders derive from the graph, not part of the domain model: no bundle holds them, no
export writes them, and every load rebuilds them (``queries.rollup``). ``CoverageRollup`` holds the
coverage counts per community at the loaded dataset's as-of date, so the coverage summary need not
read every compound and ``COVERS`` of the district on each request."""
SEARCHABLE_LABELS: tuple[str, ...] = tuple(label for label in NODE_MODELS if label not in ("Member", "Dataset"))
"""Labels whose names the search finds: not members (names are personal data) and not the bookkeeping node.
On Neo4j each has a TEXT index on ``name``, which answers ``CONTAINS`` (a RANGE index cannot)."""
NAME_BIGRAM_INDEX = "name_bigrams"
"""On Neo4j, a full-text index of the names of every searchable label, split by Lucene's CJK analyzer into
overlapping pairs of Chinese characters. The TEXT indexes work with trigrams, so for a two-character term (what
people type most) each of them reads its whole index; this one looks the pair up (``queries.search``)."""


@dataclass(frozen=True)
class GraphSchema:
    """What an engine holds: node labels and relationship types with their properties, and indexes.

    Two engines built from the same model report equal ``labels`` and ``rel_types``.
    """

    labels: dict[str, tuple[str, ...]]
    rel_types: dict[str, tuple[str, ...]]
    indexes: tuple[str, ...] = field(default=())


BOOKKEEPING: dict[str, type] = {"scope": str}
"""Stored on every node and relationship besides the model's properties: the ``scope`` of the bundle
that loaded it, so that ``load --sync`` removes only what that bundle's scope owns."""


DERIVED_NODE_PROPERTIES: dict[str, type] = {"name_initials": str}
"""Stored on every node of a :data:`SEARCHABLE_LABELS` label besides the model's properties, derived by the
loaders from its ``name`` (no bundle holds them, no export writes them): the pinyin initials the search also
matches a Latin term against (:func:`graph.initials.name_initials`)."""


@cache
def stored_node_properties(label: str) -> Mapping[str, type]:
    """The model's properties of ``label``, the bookkeeping ones, then the derived ones of a searchable label (last,
    where ``ALTER TABLE … ADD`` puts a column: a LadybugDB table made before them has the same column order once
    :func:`ladybug_ddl` has added them, and ``COPY`` fills columns in order)."""
    derived = DERIVED_NODE_PROPERTIES if label in SEARCHABLE_LABELS else {}
    return MappingProxyType({**node_properties(label), **BOOKKEEPING, **derived})


@cache
def stored_rel_properties(rel_type: str) -> Mapping[str, type]:
    return MappingProxyType({**rel_properties(rel_type), **BOOKKEEPING})


def node_row_keys(label: str) -> list[str]:
    """The keys of a node of ``label`` read as a row, in order: ``id``, ``label``, then its stored properties (the
    catalog's ``n.__PROPERTIES__`` slot, and the node rows a served database keeps in memory)."""
    return ["id", "label", *(name for name in stored_node_properties(label) if name != "id")]


def expected_schema() -> GraphSchema:
    """The schema the model asks for (property names sorted; ``source``/``target`` are not properties),
    with the derived tables."""
    return GraphSchema(
        labels={**{label: tuple(sorted(stored_node_properties(label))) for label in NODE_MODELS},
                **{label: tuple(sorted(props)) for label, props in DERIVED_TABLES.items()}},
        rel_types={t: tuple(sorted(stored_rel_properties(t))) for t in REL_MODELS},
    )


def neo4j_ddl() -> list[str]:
    """Uniqueness constraints on ``id`` per label, plus the property indexes the queries use."""
    statements = [f"CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:{ENTITY_LABEL}) REQUIRE n.id IS UNIQUE"]
    statements += [
        f"CREATE CONSTRAINT {label.lower()}_id IF NOT EXISTS FOR (n:{label}) REQUIRE n.id IS UNIQUE" for label in NODE_MODELS
    ]
    for label, props in NEO4J_INDEXES.items():
        statements += [f"CREATE INDEX {label.lower()}_{p} IF NOT EXISTS FOR (n:{label}) ON (n.{p})" for p in props]
    statements += [f"CREATE TEXT INDEX {label.lower()}_name_text IF NOT EXISTS FOR (n:{label}) ON (n.name)"
                   for label in SEARCHABLE_LABELS]
    statements += [f"CREATE TEXT INDEX {label.lower()}_initials_text IF NOT EXISTS FOR (n:{label}) ON (n.name_initials)"
                   for label in SEARCHABLE_LABELS]
    statements.append(f"CREATE FULLTEXT INDEX {NAME_BIGRAM_INDEX} IF NOT EXISTS FOR (n:{'|'.join(SEARCHABLE_LABELS)}) "
                      "ON EACH [n.name] OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk'}}")
    # Derived nodes carry no Entity label (a lookup by id must not find them); their id is still unique.
    statements += [f"CREATE CONSTRAINT {label.lower()}_id IF NOT EXISTS FOR (n:{label}) REQUIRE n.id IS UNIQUE"
                   for label in DERIVED_TABLES]
    for rel_type, props in NEO4J_REL_INDEXES.items():
        statements += [
            f"CREATE INDEX {rel_type.lower()}_{p} IF NOT EXISTS FOR ()-[r:{rel_type}]-() ON (r.{p})" for p in props
        ]
    return statements


def property_expression(dialect: str, expression: str, py_type: type) -> str:
    """Wrap a parameter expression so its type is fixed on LadybugDB.

    LadybugDB infers the type of ``r.x`` in ``UNWIND $rows AS r`` from the values; a column that is
    ``None`` in every row of a batch would become STRING and fail to bind to an INT64 property.
    """
    if dialect == "ladybug" and py_type is not str:
        return f"CAST({expression} AS {LADYBUG_TYPES[py_type]})"
    return expression


def ladybug_ddl() -> list[str]:
    """Node tables keyed by ``id`` and relationship tables with every (from, to) pair and typed properties."""
    statements = []
    for label in NODE_MODELS:
        cols = [f"{name} {LADYBUG_TYPES[t]}" for name, t in stored_node_properties(label).items()]
        statements.append(f"CREATE NODE TABLE IF NOT EXISTS {label}({', '.join(cols)}, PRIMARY KEY (id))")
        if label in SEARCHABLE_LABELS:  # a table made before the derived properties were stored gets them
            statements += [f"ALTER TABLE {label} ADD IF NOT EXISTS {name} {LADYBUG_TYPES[t]}"
                           for name, t in DERIVED_NODE_PROPERTIES.items()]
    for label, props in DERIVED_TABLES.items():
        cols = [f"{name} {LADYBUG_TYPES[t]}" for name, t in props.items()]
        statements.append(f"CREATE NODE TABLE IF NOT EXISTS {label}({', '.join(cols)}, PRIMARY KEY (id))")
    for rel_type, model in REL_MODELS.items():
        pairs = [f"FROM {a} TO {b}" for a, b in model.endpoints]
        cols = [f"{name} {LADYBUG_TYPES[t]}" for name, t in stored_rel_properties(rel_type).items()]
        statements.append(f"CREATE REL TABLE IF NOT EXISTS {rel_type}({', '.join(pairs + cols)})")
    return statements
