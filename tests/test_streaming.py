"""Large results: CSV downloads stream a chunk at a time, XLSX downloads are capped, the loader's readers
read lazily, and the views stop at their node limit without fetching what they would not draw."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import tracemalloc
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

import loaders.readers as readers
from api.app import create_app
from api.export import chunks, csv_stream, pageable
from api.settings import Settings
from graph.engine import GraphEngine, Row
from graph.views.builders import ego_view, hierarchy_view
from loaders.bundle import BundleFile, BundleWriter
from loaders.load import load_bundle
from loaders.problems import ProblemLog
from queries.catalog import get_query

GAPS = "/api/v1/coverage/gaps"
LONG = 2345
"""Rows of the long gap list: more than two CSV chunks (1000 rows each) and than two JSON pages."""


def client_for(engine: GraphEngine) -> TestClient:
    return TestClient(create_app(Settings(engine=engine.kind), engine=engine))  # type: ignore[arg-type]


def long_gap_bundle(root: Path, n: int = LONG) -> Path:
    """``n`` compounds in one community, none covered: a gap list of ``n`` rows."""
    with BundleWriter(root, name="long", scope="long", as_of=dt.date(2020, 1, 1)) as w:
        w.write_nodes("District", [{"id": "440303", "name": "罗湖区"}])
        w.write_nodes("Subdistrict", [{"id": "440303001", "name": "桂园街道"}])
        w.write_nodes("Community", [{"id": "440303001011", "name": "老围社区"}])
        w.write_nodes("Compound", [{"id": f"cmp-{i:05d}", "name": f"花园小区{i}", "kind": "商品房"} for i in range(n)])
        w.write_rels("PART_OF", [{"source": "440303001", "target": "440303"}, {"source": "440303001011", "target": "440303001"}])
        w.write_rels("LOCATED_IN", [{"source": f"cmp-{i:05d}", "target": "440303001011"} for i in range(n)])
    return root


def spy_reads(engine: GraphEngine, monkeypatch: pytest.MonkeyPatch, seen: Callable[[str, Mapping[str, Any]], bool]
              ) -> list[dict[str, Any]]:
    """Record the parameters of each read of ``engine`` for which ``seen(query, params)`` holds."""
    calls: list[dict[str, Any]] = []
    real = engine.read

    def read(query: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        if seen(query, params or {}):
            calls.append(dict(params or {}))
        return real(query, params)

    monkeypatch.setattr(engine, "read", read)
    return calls


def csv_rows(content: bytes) -> list[dict[str, str]]:
    assert content.startswith("\ufeff".encode()), "UTF-8 BOM first, so Excel shows Chinese"
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def as_csv_text(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{k: "" if v is None else str(v) for k, v in row.items()} for row in rows]


# ------------------------------------------------------------------ downloads


@pytest.fixture
def long_api(engine: GraphEngine, tmp_path: Path) -> Iterator[tuple[GraphEngine, TestClient]]:
    """Each engine holding the long gap list, and an API client over it."""
    load_bundle(engine, long_gap_bundle(tmp_path / "bundle"))
    with client_for(engine) as client:
        yield engine, client


def test_csv_download_of_a_long_list_equals_the_json_pages_and_is_fetched_in_chunks(
        long_api: tuple[GraphEngine, TestClient], monkeypatch: pytest.MonkeyPatch) -> None:
    engine, api = long_api
    pages = [api.get(GAPS, params={"limit": 1000, "offset": offset}).json() for offset in (0, 1000, 2000)]
    assert pages[0]["total"] == LONG
    json_rows = [row for page in pages for row in page["rows"]]
    asked = spy_reads(engine, monkeypatch, lambda query, params: "page_skip" in params)
    response = api.get(GAPS, params={"format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.headers["x-accel-buffering"] == "no", "a proxy passes the chunks on as they come"
    assert csv_rows(response.content) == as_csv_text(json_rows)
    assert [(c["page_skip"], c["page_limit"]) for c in asked] == [(0, 1000), (1000, 1000), (2000, 1000)]


def test_csv_download_with_a_limit_holds_that_page(long_api: tuple[GraphEngine, TestClient]) -> None:
    _, api = long_api
    page = api.get(GAPS, params={"limit": 7, "offset": 1995}).json()["rows"]
    assert csv_rows(api.get(GAPS, params={"limit": 7, "offset": 1995, "format": "csv"}).content) == as_csv_text(page)
    tail = csv_rows(api.get(GAPS, params={"offset": 2340, "format": "csv"}).content)
    assert [r["id"] for r in tail] == [f"cmp-{i:05d}" for i in range(2340, LONG)]


def test_other_list_routes_stream_the_whole_list(long_api: tuple[GraphEngine, TestClient]) -> None:
    _, api = long_api
    ids = [f"cmp-{i:05d}" for i in range(LONG)]
    catalog = csv_rows(api.get("/api/v1/queries/gaps_compounds", params={"format": "csv"}).content)
    assert [r["id"] for r in catalog] == ids
    search_pages = [api.get("/api/v1/search", params={"q": "花园", "label": "Compound", "limit": 500, "offset": o}).json()
                    for o in range(0, LONG, 500)]
    found = csv_rows(api.get("/api/v1/search", params={"q": "花园", "label": "Compound", "format": "csv"}).content)
    assert found == as_csv_text([r for p in search_pages for r in p["rows"]]) and len(found) == LONG


def test_xlsx_download_is_capped_with_a_problem(long_api: tuple[GraphEngine, TestClient],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    _, api = long_api
    monkeypatch.setattr("api.export.XLSX_MAX_ROWS", 2000)
    refused = api.get(GAPS, params={"format": "xlsx"})
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    body = refused.json()
    assert body["errors"][0]["parameter"] == "format" and "format=csv" in body["detail"]
    sheet = load_workbook(io.BytesIO(api.get(GAPS, params={"format": "xlsx", "limit": 1000}).content)).active
    assert sheet is not None and sheet.max_row == 1001
    monkeypatch.setattr("api.export.XLSX_MAX_ROWS", LONG)
    sheet = load_workbook(io.BytesIO(api.get(GAPS, params={"format": "xlsx"}).content)).active
    assert sheet is not None and sheet.max_row == LONG + 1


def test_a_bad_download_parameter_is_a_problem_not_a_cut_stream(embedded_engine: GraphEngine) -> None:
    with client_for(embedded_engine) as api:
        response = api.get("/api/v1/queries/mobile_branches", params={"as_of": "not-a-date", "format": "csv"})
        assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
        empty = api.get(GAPS, params={"format": "csv"})
        assert empty.status_code == 200 and empty.content.decode("utf-8-sig").strip() == ""


def test_csv_bytes_go_out_before_the_next_chunk_is_fetched() -> None:
    rows = [{"id": f"x-{i}", "when": dt.date(2020, 1, 1), "tags": ["a"], "name": "=1+1"} for i in range(25)]
    asked: list[int] = []

    def pager(skip: int, count: int) -> list[Row]:
        asked.append(skip)
        return rows[skip:skip + count]

    pieces = csv_stream(chunks(pager, offset=0, limit=None, chunk_rows=10))
    first = next(pieces)
    assert asked == [0], "only the first chunk is fetched when its bytes are sent"
    assert first.decode("utf-8-sig").splitlines()[:2] == ["id,when,tags,name", 'x-0,2020-01-01,"[""a""]",\'=1+1']
    text = (first + b"".join(pieces)).decode("utf-8-sig")
    assert asked == [0, 10, 20] and len(text.splitlines()) == 26


def test_which_catalog_queries_page_in_the_engine() -> None:
    assert pageable(get_query("gaps_compounds").text) and pageable(get_query("unclaimed_projects").text)
    assert not pageable(get_query("search_by_name").text), "it has its own SKIP/LIMIT"
    assert not pageable(get_query("neighbors_step").text), "UNION: paging would bind to its last part"
    assert not pageable(get_query("entity_by_id").text), "no ORDER BY: pages would not be stable"
    assert not pageable("MATCH (n) RETURN n.name AS name // ORDER BY name")


# ------------------------------------------------------------------ readers


def write_big_csv(path: Path, rows: int) -> int:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("id,name,kind,households,address\n")
        for i in range(rows):
            handle.write(f"cmp-{i:07d},花园小区第{i}号,商品房,{i % 900},深圳市罗湖区某某路{i}号某某大厦附近\n")
    return path.stat().st_size


def test_csv_reader_memory_is_bounded_by_its_block_not_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The CSV fast path first checks the whole file in blocks (C speed, a few copies of one block in memory),
    # then parses it line by line: with 128 KiB blocks a 4 MB file must be read in well under 1 MB.
    monkeypatch.setattr(readers, "_CHECK_BLOCK", 128 << 10)
    (tmp_path / "nodes").mkdir()
    size = write_big_csv(tmp_path / "nodes/Compound.csv", 40_000)
    assert size > 4_000_000
    problems = ProblemLog()
    reader = readers.read_rows(tmp_path, BundleFile(path="nodes/Compound.csv", kind="node", name="Compound"), problems)
    tracemalloc.start()
    try:
        count = sum(1 for _ in reader)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 40_000 and not problems.problems
    assert peak < size / 3, f"peak {peak / 2**20:.1f} MiB reading a {size / 2**20:.1f} MiB file"


def test_jsonl_reader_yields_the_first_row_before_reading_the_file(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "nodes").mkdir()
    path = tmp_path / "nodes/Compound.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for i in range(40_000):
            handle.write(json.dumps({"id": f"cmp-{i}", "name": f"花园{i}", "kind": "商品房", "households": i}, ensure_ascii=False) + "\n")
    opened: list[Any] = []

    def recording_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = open(file, mode, *args, **kwargs)  # noqa: SIM115  # the reader closes it
        opened.append(handle)
        return handle

    monkeypatch.setattr(readers, "open", recording_open, raising=False)
    rows = iter(readers.read_rows(tmp_path, BundleFile(path="nodes/Compound.jsonl", kind="node", name="Compound",
                                                       format="jsonl"), ProblemLog()))
    assert next(rows) == (1, {"id": "cmp-0", "name": "花园0", "kind": "商品房", "households": "0"})
    read_so_far = opened[0].raw.tell()
    assert read_so_far < 256 * 1024 < path.stat().st_size // 10, f"{read_so_far} bytes read for the first row"
    assert sum(1 for _ in rows) == 40_000 - 1


# ------------------------------------------------------------------ views


def tree_bundle(root: Path, fanout: int = 5, levels: int = 3) -> Path:
    """A party-organization tree: ``org-r`` with ``fanout`` children per organization, ``levels`` deep."""
    orgs = [{"id": "org-r", "name": "区委", "level": "区委"}]
    reports: list[dict[str, str]] = []
    parents = ["org-r"]
    for _ in range(levels):
        children = []
        for parent in parents:
            for i in range(fanout):
                child = f"{parent}-{i}"
                orgs.append({"id": child, "name": f"党组织{child}", "level": "党支部"})
                reports.append({"source": child, "target": parent})
                children.append(child)
        parents = children
    with BundleWriter(root, name="tree", scope="tree", as_of=dt.date(2020, 1, 1)) as w:
        w.write_nodes("PartyOrg", orgs)
        w.write_rels("REPORTS_TO", reports)
    return root


def test_hierarchy_view_fetches_no_level_below_its_cut(embedded_engine: GraphEngine, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    load_bundle(embedded_engine, tree_bundle(tmp_path / "tree"))
    asked = spy_reads(embedded_engine, monkeypatch, lambda query, params: "REPORTS_TO*1..12" in query)
    small = hierarchy_view(embedded_engine, "org-r", depth=12, limit=4)
    assert [c["depth"] for c in asked] == [1], "level 1 (5 orgs) already overflows: nothing deeper is fetched"
    assert small.node_count == 4 and "第 1 层另有 2 个党组织未显示" in small.html()
    asked.clear()
    medium = hierarchy_view(embedded_engine, "org-r", depth=12, limit=100)
    assert [c["depth"] for c in asked] == [1, 2, 3] and medium.node_count == 100
    asked.clear()
    whole = hierarchy_view(embedded_engine, "org-r", depth=12, limit=1000)
    assert [c["depth"] for c in asked] == [1, 2, 3, 4], "stops at the first empty level, not at depth 12"
    assert whole.node_count == 1 + 5 + 25 + 125


def test_ego_view_walks_no_step_past_its_cut(embedded_engine: GraphEngine, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    load_bundle(embedded_engine, tree_bundle(tmp_path / "tree", fanout=8, levels=2))
    # A walk step is neighbors_step (a list of ids) or neighbors_one (one id): both match -[r]- from the node.
    steps = spy_reads(embedded_engine, monkeypatch, lambda query, params: "-[r]->(b)" in query)
    view = ego_view(embedded_engine, "org-r", depth=3, limit=5)
    assert len(steps) == 1, "the first step (8 neighbors) overflows the limit: no second step is walked"
    assert view.node_count == 5
