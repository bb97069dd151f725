"""Search by name: one page of the entities whose name contains a term, and how many there are.

A served embedded database looks the term up in its names in memory (:mod:`graph.name_index`), once they are
built; until then, and on a writable one, it asks the engine as follows.

On LadybugDB a page is two catalog queries (``search_by_name`` and ``search_count``): each reads the searchable
node tables once, and one query doing both reads them twice (slower, measured). On Neo4j it is one query
(``search_page``): every query is a round trip, and its override collects the sorted matches once.

A term of two Chinese characters, what people type most, is answered on Neo4j from a full-text index of
character pairs (:data:`graph.schema.NAME_BIGRAM_INDEX`): the per-label TEXT indexes work with trigrams, and for
a two-character term each of them reads its whole index. The pair index only proposes candidates; the query keeps
the names that contain the term, so the rows are those of ``CONTAINS`` (the tests compare them).

A term of Latin letters and digits is also looked for, lower-cased, among the names' pinyin initials (the stored
``name_initials``, :mod:`graph.initials`): ``lhq`` finds 罗湖区. Every query takes it as ``$initials``, ``None``
for any other term, and a name found both ways is one match.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from graph.engine import GraphEngine, Row
from graph.initials import initials_term
from graph.schema import SEARCHABLE_LABELS
from queries.answers import Page
from queries.catalog import run_query

SINGLE_ROUND_TRIP_DIALECTS = frozenset({"neo4j"})
"""Engines where a page and its count are one query (``search_page``, served on Neo4j only)."""
_TWO_HAN = re.compile(r"[\u4e00-\u9fff]{2}")
"""Two CJK Unified Ideographs: each is a token of its own for Lucene's standard tokenizer, so the pair is one
token of the CJK analyzer, and any name containing the two is indexed with that token."""


def bigram_phrase(q: str) -> str | None:
    """The full-text query for ``q`` if the pair index can answer it (two Chinese characters), else ``None``.

    >>> bigram_phrase("花园"), bigram_phrase("党支部"), bigram_phrase("KK"), bigram_phrase("园")
    ('"花园"', None, None, None)
    """
    q = q.strip()
    return f'"{q}"' if _TWO_HAN.fullmatch(q) else None


def search_params(q: str, labels: Sequence[str], *, limit: int | None = None, offset: int | None = None
                  ) -> dict[str, Any]:
    """The parameters of ``search_by_name`` (with ``limit`` and ``offset``, and ``upto``, their sum) or
    ``search_count`` (without): the term, the labels, and the term to look for among the names' pinyin initials
    (``None``: the names only).

    >>> search_params("LHQ", ["Subdistrict"])
    {'q': 'LHQ', 'labels': ['Subdistrict'], 'initials': 'lhq'}
    """
    params: dict[str, Any] = {"q": q, "labels": list(labels), "initials": initials_term(q)}
    if limit is not None:
        params.update(limit=limit, offset=offset or 0, upto=(offset or 0) + limit)
    return params


def page_params(q: str, labels: Sequence[str], limit: int, offset: int) -> dict[str, Any]:
    """The parameters of ``search_page``: those of ``search_by_name`` and the pair-index phrase."""
    return {**search_params(q, labels, limit=limit, offset=offset), "phrase": bigram_phrase(q)}


def search(engine: GraphEngine, q: str, labels: Sequence[str], limit: int, offset: int = 0) -> Page:
    """The entities of ``labels`` whose name contains ``q``: the page at ``offset``, shortest names first, then by id,
    and the number of all matches. Only :data:`~graph.schema.SEARCHABLE_LABELS` are searched: member names never."""
    _only_searchable(labels)
    rows: list[Row]
    names = engine.name_index()
    if names is not None:  # a served embedded database: the names are in memory (graph/name_index.py)
        rows, total = names.search(q, labels, limit, offset)
        return Page(rows=rows, total=total, limit=limit, offset=offset, extra={"q": q})
    if engine.dialect in SINGLE_ROUND_TRIP_DIALECTS:
        found = run_query(engine, "search_page", page_params(q, labels, limit, offset))
        rows = [{"id": r["id"], "name": r["name"], "label": r["label"]} for r in found]
        if found or offset == 0:  # an empty first page: nothing matches
            return Page(rows=rows, total=int(found[0]["total"]) if found else 0, limit=limit, offset=offset, extra={"q": q})
        # Past the last match no row carries the total: count them.
    else:
        rows = search_rows(engine, q, labels, limit, offset)
    total = run_query(engine, "search_count", search_params(q, labels))[0]["total"]
    return Page(rows=rows, total=int(total), limit=limit, offset=offset, extra={"q": q})


def search_rows(engine: GraphEngine, q: str, labels: Sequence[str], limit: int, offset: int = 0) -> list[Row]:
    """The rows of :func:`search` without the count (a download's chunks): from the names in memory where the engine
    keeps them, else ``search_by_name``."""
    _only_searchable(labels)
    names = engine.name_index()
    if names is not None:
        return names.search(q, labels, limit, offset)[0]
    return run_query(engine, "search_by_name", search_params(q, labels, limit=limit, offset=offset))


def _only_searchable(labels: Sequence[str]) -> None:
    unsearchable = set(labels) - set(SEARCHABLE_LABELS)
    if unsearchable:
        raise ValueError(f"not searchable: {sorted(unsearchable)}")
