"""LadybugDB 0.22 crashes the whole process (a segmentation fault, after a few runs) on ``ORDER BY … SKIP s LIMIT n``
when ``s`` lies far past the last row: ``MATCH (x:Enterprise) RETURN x.id AS id ORDER BY id SKIP 20000 LIMIT 64``
on the reference dataset's 408 enterprises crashes within 80 runs, while ``SKIP 5000``, ``LIMIT`` alone and ``SKIP``
alone do not. A client chooses the offsets of searches and downloads, so orggraph must never send that shape with
a skip it does not know to lie within the rows. Each test repeats the client's request often enough that the old
shapes crashed the test process (found by the OpenAPI fuzz test, one run in six)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from api.export import catalog_pager, chunks
from graph.engine import GraphEngine, Row
from graph.ladybug_engine import LadybugEngine
from queries.catalog import run_catalog
from queries.search import search

REPEAT = 80
FAR = (20_000, 1_000_000)


def test_a_search_far_past_its_last_match_answers_an_empty_page(reference_embedded: LadybugEngine) -> None:
    assert reference_embedded.name_index() is None  # the query answers, not the names in memory
    first = search(reference_embedded, "花园", ["Compound"], 500, 0)
    assert first.total > 500 and len(first.rows) == 500
    for offset in FAR:
        for _ in range(REPEAT):
            page = search(reference_embedded, "花园", ["Compound"], 50, offset)
        assert page.rows == [] and page.total == first.total
    assert search(reference_embedded, "花园", ["Compound"], 5, 3).rows == first.rows[3:8]
    assert search(reference_embedded, "花园", ["Compound"], 5, 497).rows[:3] == first.rows[497:]
    assert len(search(reference_embedded, "花园", ["Compound"], 5, first.total - 2).rows) == 2
    assert run_catalog(reference_embedded, "search_by_name", {"q": "花园", "labels": ["Compound"], "offset": 1_000_000}) == []


class ReadLog:
    def __init__(self, engine: GraphEngine, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        real = engine.read

        def read(query: str, params: Any = None) -> list[Row]:
            self.calls.append((query, dict(params or {})))
            return real(query, params)

        monkeypatch.setattr(engine, "read", read)


def test_a_download_at_any_offset_never_skips_past_the_rows(reference_embedded: LadybugEngine,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    name = "enterprises_without_own_branch"
    everything = run_catalog(reference_embedded, name)
    assert len(everything) > 10
    log = ReadLog(reference_embedded, monkeypatch)

    def download(offset: int, limit: int | None, chunk_rows: int) -> list[Row]:
        return [row for chunk in chunks(catalog_pager(reference_embedded, name, {}), offset=offset, limit=limit,
                                        chunk_rows=chunk_rows) for row in chunk]

    for offset in FAR:
        for _ in range(REPEAT):
            assert download(offset, None, 64) == []
    assert download(0, None, 4) == everything
    assert download(3, None, 4) == everything[3:]
    assert download(3, 5, 2) == everything[3:8]
    assert download(len(everything) - 1, None, 1) == everything[-1:]
    assert download(0, None, len(everything)) == everything  # a chunk ending exactly at the last row
    for query, params in log.calls:
        if re.search(r"\bSKIP\b", query) and re.search(r"\bLIMIT\b", query):
            assert params["page_skip"] <= len(everything), (params, query[-80:])


def test_the_console_refuses_order_skip_limit_on_the_embedded_engine(reference_embedded: LadybugEngine) -> None:
    from graph.errors import QueryError

    with pytest.raises(QueryError, match="SKIP … LIMIT is refused"):
        reference_embedded.read_limited("MATCH (x:Enterprise) RETURN x.id AS id ORDER BY id SKIP 20000 LIMIT 64",
                                        max_rows=10, timeout_s=5)
    _, rows, _ = reference_embedded.read_limited("MATCH (x:Enterprise) RETURN x.id AS id ORDER BY id LIMIT 3",
                                                 max_rows=10, timeout_s=5)
    assert len(rows) == 3
    quoted = "MATCH (x:Enterprise) WHERE x.name <> 'ORDER BY a SKIP 1 LIMIT 2' RETURN count(x) AS n"
    assert reference_embedded.read_limited(quoted, max_rows=10, timeout_s=5)[1][0]["n"] > 10
