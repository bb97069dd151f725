"""The HTTP API on both engines: exact answers on the reference dataset and on a hand-built graph."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.app import create_app
from api.settings import Settings
from graph.engine import GraphEngine
from loaders.load import load_bundle
from tests.bundles import small_bundle


def client_for(engine: GraphEngine) -> TestClient:
    return TestClient(create_app(Settings(engine=engine.kind), engine=engine))  # type: ignore[arg-type]


@pytest.fixture
def api(reference_engine: GraphEngine) -> Iterator[TestClient]:
    with client_for(reference_engine) as client:
        yield client


def problem(response: object, status: int) -> dict:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body: dict = response.json()  # type: ignore[attr-defined]
    assert body["status"] == status and body["title"] and body["detail"]
    return body


# ------------------------------------------------------------------ coverage


def test_coverage_summary_district_matches_the_article(api: TestClient) -> None:
    body = api.get("/api/v1/coverage/summary", params={"target": "compound", "level": "district"}).json()
    assert body["as_of"] == "2018-12-28"
    [row] = body["rows"]
    assert (row["area_id"], row["area_name"], row["total"]) == ("440303", "罗湖区", 929)
    assert row["organizational"]["covered"] == 920 and row["organizational"]["rate"] == 0.9903
    assert row["work"] == {"covered": 929, "rate": 1.0}


def test_coverage_levels_add_up(api: TestClient) -> None:
    sub = api.get("/api/v1/coverage/summary", params={"level": "subdistrict"}).json()["rows"]
    com = api.get("/api/v1/coverage/summary", params={"level": "community"}).json()["rows"]
    assert len(sub) == 10 and [r["area_id"] for r in sub] == sorted(r["area_id"] for r in sub)
    assert sum(r["total"] for r in sub) == sum(r["total"] for r in com) == 929
    assert sum(r["organizational"]["covered"] for r in sub) == sum(r["organizational"]["covered"] for r in com) == 920


def test_coverage_of_towers_and_as_of(api: TestClient) -> None:
    [row] = api.get("/api/v1/coverage/summary", params={"target": "building", "level": "district"}).json()["rows"]
    assert row["total"] == 31 and row["organizational"]["covered"] == 31
    [early] = api.get("/api/v1/coverage/summary", params={"target": "building", "level": "district",
                                                          "as_of": "2006-12-31"}).json()["rows"]
    assert 1 <= early["organizational"]["covered"] < 31


def test_gaps_with_pagination_boundaries(api: TestClient) -> None:
    full = api.get("/api/v1/coverage/gaps", params={"target": "compound", "limit": 1000}).json()
    assert full["total"] == 9 == len(full["rows"])
    ids = [r["id"] for r in full["rows"]]
    assert ids == sorted(ids)
    assert all(r["missing"] == "organizational" and r["responsible_name"].endswith("社区党委") for r in full["rows"])
    pages = [api.get("/api/v1/coverage/gaps", params={"limit": 4, "offset": o}).json() for o in (0, 4, 8, 9)]
    assert [len(p["rows"]) for p in pages] == [4, 4, 1, 0]
    assert all(p["total"] == 9 for p in pages)
    assert [r["id"] for p in pages for r in p["rows"]] == ids
    assert api.get("/api/v1/coverage/gaps", params={"mode": "work"}).json()["total"] == 0


def test_gaps_filtered_by_area(api: TestClient) -> None:
    full = api.get("/api/v1/coverage/gaps", params={"limit": 1000}).json()["rows"]
    subdistrict = full[0]["subdistrict_id"]
    part = api.get("/api/v1/coverage/gaps", params={"subdistrict": subdistrict}).json()
    assert part["total"] == sum(r["subdistrict_id"] == subdistrict for r in full)


def test_gaps_as_csv_and_xlsx(api: TestClient) -> None:
    response = api.get("/api/v1/coverage/gaps", params={"format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    lines = response.content.decode("utf-8-sig").strip().splitlines()
    assert lines[0].split(",")[:2] == ["id", "name"] and len(lines) == 10
    assert "社区" in lines[1]
    response = api.get("/api/v1/coverage/gaps", params={"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None and sheet.max_row == 10 and sheet.cell(1, 1).value == "id"


def test_other_gap_lists(api: TestClient) -> None:
    own = api.get("/api/v1/coverage/gaps/enterprises-without-own-branch").json()
    assert own["total"] > 0 and all(r["members"] >= 3 for r in own["rows"])
    assert api.get("/api/v1/coverage/gaps/committees-below-reserve-ratio").json()["total"] == 0
    assert api.get("/api/v1/coverage/gaps/unclaimed-projects").json()["total"] > 0
    problem(api.get("/api/v1/coverage/gaps/no-such-list"), 422)


# ------------------------------------------------------------------ lookups and linkage


def test_entity_lookup_and_404(api: TestClient) -> None:
    body = api.get("/api/v1/entities/440303002003").json()
    assert body == {**body, "id": "440303002003", "label": "Community", "name": "黄贝岭社区"}
    assert "does-not-exist" in problem(api.get("/api/v1/entities/does-not-exist"), 404)["detail"]


def test_neighbors_with_types_and_limit(api: TestClient) -> None:
    body = api.get("/api/v1/entities/htg-01/neighbors", params={"depth": 1}).json()
    labels = {n["label"] for n in body["nodes"][1:]}
    assert {"PartyOrg", "Member", "Community"} <= labels
    assert body["nodes"][0]["id"] == "htg-01" and body["nodes"][0]["distance"] == 0
    only = api.get("/api/v1/entities/htg-01/neighbors", params={"types": ["PartyOrg"]}).json()
    assert [n["label"] for n in only["nodes"][1:]] == ["PartyOrg"]
    cut = api.get("/api/v1/entities/htg-01/neighbors", params={"limit": 5}).json()
    assert cut["truncated"] and len(cut["nodes"]) <= 6 and cut["omitted"] > 0
    node_ids = {n["id"] for n in body["nodes"]}
    assert all(e["source"] in node_ids and e["target"] in node_ids for e in body["edges"])
    problem(api.get("/api/v1/entities/htg-01/neighbors", params={"depth": 4}), 422)


def test_org_chain_and_subtree(api: TestClient) -> None:
    chain = api.get("/api/v1/orgs/org-mb-01/chain").json()["chain"]
    assert chain[0]["id"] == "org-mb-01" and chain[-1]["id"] == "org-luohu"
    assert [c["distance"] for c in chain] == list(range(len(chain)))
    sub = api.get("/api/v1/orgs/org-luohu/subtree", params={"depth": 1}).json()
    assert sum(r["level"] == "街道党工委" for r in sub["rows"]) == 10
    assert all(r["depth"] == 1 and r["parent_id"] == "org-luohu" for r in sub["rows"])
    deep = api.get("/api/v1/orgs/org-luohu/subtree", params={"depth": 12}).json()
    assert deep["total"] > sub["total"]
    problem(api.get("/api/v1/orgs/440303/chain"), 404)


def test_paths(api: TestClient) -> None:
    body = api.get("/api/v1/paths", params={"source": "htg-01", "target": "org-luohu"}).json()
    assert body["found"] and body["length"] == len(body["edges"]) == len(body["nodes"]) - 1
    assert body["nodes"][0]["id"] == "htg-01" and body["nodes"][-1]["id"] == "org-luohu"
    for edge, a, b in zip(body["edges"], body["nodes"], body["nodes"][1:], strict=False):
        assert {edge["source"], edge["target"]} == {a["id"], b["id"]}
    problem(api.get("/api/v1/paths", params={"source": "htg-01", "target": "nope"}), 404)
    problem(api.get("/api/v1/paths", params={"source": "htg-01", "target": "org-luohu", "max_length": 0}), 422)


def test_search(api: TestClient) -> None:
    body = api.get("/api/v1/search", params={"q": "黄贝岭"}).json()
    assert body["total"] >= 2 and all("黄贝岭" in r["name"] for r in body["rows"])
    assert all(r["label"] != "Member" for r in body["rows"]), "member names are never searchable"
    only = api.get("/api/v1/search", params={"q": "黄贝岭", "label": "Community"}).json()
    assert [r["id"] for r in only["rows"]] == ["440303002003"]
    page2 = api.get("/api/v1/search", params={"q": "花园", "limit": 5, "offset": 5}).json()
    assert len(page2["rows"]) == 5 and page2["total"] > 10
    problem(api.get("/api/v1/search", params={"q": ""}), 422)
    by_initials = api.get("/api/v1/search", params={"q": "HBL", "label": "Community"}).json()  # 黄贝岭: h-b-l
    assert [r["id"] for r in by_initials["rows"]] == ["440303002003"] and by_initials["total"] == 1
    both = api.get("/api/v1/search", params={"q": "jj100", "limit": 500}).json()  # 京基100 by its initials
    assert {"bld-000001", "org-bd-jj100"} <= {r["id"] for r in both["rows"]}


def test_catalog_routes(api: TestClient) -> None:
    listed = {q["name"]: q for q in api.get("/api/v1/queries").json()}
    assert "gaps_compounds" in listed and "neighbors_step" not in listed
    assert {p["name"] for p in listed["gaps_compounds"]["parameters"]} >= {"as_of", "mode", "subdistrict", "community"}
    rows = api.get("/api/v1/queries/mobile_branches").json()
    assert rows["total"] == 12
    assert api.get("/api/v1/queries/members_recruited", params={"from": "2014-01-01"}).json()["rows"][0]["delegates"] == 39
    body = problem(api.get("/api/v1/queries/gaps_compounds", params={"mode": "all"}), 422)
    assert body["errors"][0]["parameter"] == "mode"
    problem(api.get("/api/v1/queries/nope"), 404)
    problem(api.get("/api/v1/queries/coverage_compounds", params={"as_of": "yesterday"}), 422)


def test_bad_parameters_are_422_naming_the_parameter(api: TestClient) -> None:
    body = problem(api.get("/api/v1/coverage/summary", params={"target": "tower"}), 422)
    assert body["errors"][0]["parameter"] == "target"
    problem(api.get("/api/v1/coverage/summary", params={"as_of": "2018-02-30"}), 422)
    problem(api.get("/api/v1/coverage/gaps", params={"limit": 0}), 422)
    problem(api.get("/api/v1/coverage/gaps", params={"subdistrict": "桂园"}), 422)


def test_openapi_is_complete(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()
    for path in ("/api/v1/coverage/summary", "/api/v1/coverage/gaps", "/api/v1/entities/{id}",
                 "/api/v1/entities/{id}/neighbors", "/api/v1/orgs/{id}/chain", "/api/v1/orgs/{id}/subtree",
                 "/api/v1/paths", "/api/v1/search", "/api/v1/queries", "/api/v1/health"):
        assert path in spec["paths"], path


# ------------------------------------------------------------------ a hand-built graph


def test_hand_built_graph_answers(engine: GraphEngine, tmp_path: Path) -> None:
    load_bundle(engine, small_bundle(tmp_path))
    with client_for(engine) as client:
        [row] = client.get("/api/v1/coverage/summary", params={"level": "community"}).json()["rows"]
        assert row["total"] == 3 and row["organizational"] == {"covered": 1, "rate": 0.3333}
        assert row["work"] == {"covered": 2, "rate": 0.6667}
        org_gaps = client.get("/api/v1/coverage/gaps").json()["rows"]
        assert [(r["id"], r["missing"], r["responsible_id"]) for r in org_gaps] == [
            ("cmp-2", "organizational", "org-c"), ("cmp-3", "organizational+work", "org-c")]
        assert [r["id"] for r in client.get("/api/v1/coverage/gaps", params={"mode": "work"}).json()["rows"]] == ["cmp-3"]
        [towers] = client.get("/api/v1/coverage/summary", params={"target": "building", "level": "district"}).json()["rows"]
        assert towers["total"] == 1 and towers["organizational"]["covered"] == 1
        [before] = client.get("/api/v1/coverage/summary", params={"target": "building", "level": "district",
                                                                   "as_of": "2009-12-31"}).json()["rows"]
        assert before["organizational"]["covered"] == 0
        [low] = client.get("/api/v1/coverage/summary", params={"target": "building", "level": "district",
                                                                "min_floors": 5}).json()["rows"]
        assert (low["total"], low["organizational"]["covered"]) == (2, 1)
        chain = client.get("/api/v1/orgs/org-b/chain").json()["chain"]
        assert [c["id"] for c in chain] == ["org-b", "org-c", "org-s", "org-d"]
        path = client.get("/api/v1/paths", params={"source": "cmp-1", "target": "cmp-2"}).json()
        assert path["length"] == 2
        common = client.get("/api/v1/queries/common_neighbors", params={"source": "cmp-1", "target": "bld-1"}).json()
        assert {r["node"]["id"] for r in common["rows"]} == {"org-b", "440303001011"}


def test_coverage_trend_of_towers_from_2006(api: TestClient) -> None:
    body = api.get("/api/v1/coverage/trend", params={"target": "building", "from": "2006-01-01", "to": "2018-12-28"}).json()
    points = body["points"]
    assert [p["as_of"] for p in points][:2] == ["2006-01-01", "2007-01-01"] and points[-1]["as_of"] == "2018-12-28"
    covered = [p["organizational"]["covered"] for p in points]
    assert covered == sorted(covered) and covered[-1] == 31 and covered[0] < covered[-1]
    problem(api.get("/api/v1/coverage/trend", params={"from": "2019-01-01", "to": "2018-01-01"}), 422)
    problem(api.get("/api/v1/coverage/trend", params={"from": "2000-01-01", "step": "month"}), 422)


def test_api_docs_page_works_offline(api: TestClient) -> None:
    page = api.get("/docs").text
    assert "/static/vendor/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "http://" not in page and "https://" not in page
    assert api.get("/static/vendor/swagger-ui-dist/swagger-ui-bundle.js").status_code == 200
