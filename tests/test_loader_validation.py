"""Bundle readers and validation: each test breaks one rule and checks the exact problem reported."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import Any, Literal

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.model import NODE_MODELS, REL_MODELS
from loaders.bundle import BundleFile, BundleWriter, Manifest, columns_for, read_manifest
from loaders.problems import Problem, ProblemLog, write_rejects_csv
from loaders.readers import detect_encoding, read_rows
from loaders.template import example_row, write_template
from loaders.validate import ValidationReport, iter_valid_records, validate_bundle

AS_OF = dt.date(2018, 12, 28)
SD1, SD2 = "440303001", "440303002"
C1, C2 = "440303001001", "440303002001"

BASE_NODES: dict[str, list[dict[str, Any]]] = {
    "District": [{"id": "440303", "name": "罗湖区"}],
    "Subdistrict": [{"id": SD1, "name": "桂园街道"}, {"id": SD2, "name": "黄贝街道"}],
    "Community": [{"id": C1, "name": "老围社区"}, {"id": C2, "name": "黄贝岭社区"}],
    "Compound": [{"id": "cmp-1", "name": "东乐花园", "kind": "商品房", "households": 600},
                 {"id": "cmp-2", "name": "鸿翔花园", "kind": "城中村"}],
    "Building": [{"id": "bld-1", "name": "地王大厦", "floors": 69}, {"id": "bld-2", "name": "京基100", "floors": 100}],
    "Enterprise": [{"id": "ent-1", "name": "测试律师事务所", "kind": "社会组织", "industry": "律师"},
                   {"id": "ent-2", "name": "测试珠宝公司", "kind": "非公企业", "industry": "珠宝"}],
    "PartyOrg": [
        {"id": "org-dist", "name": "罗湖区委", "level": "区委"},
        {"id": "org-s1", "name": "桂园街道党工委", "level": "街道党工委"},
        {"id": "org-s2", "name": "黄贝街道党工委", "level": "街道党工委"},
        {"id": "org-c1", "name": "老围社区党委", "level": "社区党委", "founded": dt.date(2008, 7, 1)},
        {"id": "org-b1", "name": "东乐花园党支部", "level": "党支部"},
        {"id": "org-ind", "name": "罗湖区律师行业党委", "level": "行业党委"},
    ],
    "Member": [{"id": "mem-1", "name": "张某0001", "gender": "女", "birth_year": 1980, "joined": dt.date(2005, 7, 1)}],
}
BASE_RELS: dict[str, list[dict[str, Any]]] = {
    "PART_OF": [{"source": SD1, "target": "440303"}, {"source": SD2, "target": "440303"},
                {"source": C1, "target": SD1}, {"source": C2, "target": SD2}],
    "LOCATED_IN": [{"source": "cmp-1", "target": C1}, {"source": "cmp-2", "target": C2}, {"source": "bld-1", "target": C1},
                   {"source": "bld-2", "target": C2}, {"source": "ent-1", "target": "bld-1"},
                   {"source": "ent-2", "target": "bld-2"}],
    "REPORTS_TO": [{"source": "org-s1", "target": "org-dist"}, {"source": "org-s2", "target": "org-dist"},
                   {"source": "org-c1", "target": "org-s1"}, {"source": "org-b1", "target": "org-c1"},
                   {"source": "org-ind", "target": "org-dist"}],
    "COVERS": [{"source": "org-dist", "target": "440303", "mode": "organizational"},
               {"source": "org-s1", "target": SD1, "mode": "organizational"},
               {"source": "org-s2", "target": SD2, "mode": "organizational"},
               {"source": "org-c1", "target": C1, "mode": "organizational"},
               {"source": "org-b1", "target": "cmp-1", "mode": "organizational", "formation": "单独建"},
               {"source": "org-ind", "target": "cmp-2", "mode": "work"},
               {"source": "org-ind", "target": "ent-2", "mode": "work"}],
    "MEMBER_OF": [{"source": "mem-1", "target": "org-b1", "role": "secretary"}],
    "LIVES_IN": [{"source": "mem-1", "target": "cmp-1"}],
}


def make_bundle(root: Path, nodes: dict[str, list[dict[str, Any]]] | None = None,
                rels: dict[str, list[dict[str, Any]]] | None = None) -> Path:
    """Write a CSV bundle: the valid base bundle, or the given tables."""
    nodes = BASE_NODES if nodes is None else nodes
    rels = BASE_RELS if rels is None else rels
    with BundleWriter(root, name="test", scope="test", as_of=AS_OF) as writer:
        for label, rows in nodes.items():
            writer.write_nodes(label, rows)
        for rel_type, rows in rels.items():
            writer.write_rels(rel_type, rows)
    return root


def base_with(root: Path, *, nodes: dict[str, list[dict[str, Any]]] | None = None,
              rels: dict[str, list[dict[str, Any]]] | None = None) -> Path:
    """The base bundle plus extra rows appended to some tables."""
    all_nodes, all_rels = copy.deepcopy(BASE_NODES), copy.deepcopy(BASE_RELS)
    for label, rows in (nodes or {}).items():
        all_nodes.setdefault(label, []).extend(rows)
    for rel_type, rows in (rels or {}).items():
        all_rels.setdefault(rel_type, []).extend(rows)
    return make_bundle(root, all_nodes, all_rels)


def one_problem(report: ValidationReport) -> Problem:
    assert len(report.problems) == 1, "\n".join(map(str, report.problems))
    assert not report.ok
    return report.problems[0]


def write_manifest(root: Path, files: list[BundleFile]) -> None:
    manifest = Manifest(name="test", scope="test", as_of=AS_OF, files=files)
    (root / "manifest.json").write_text(manifest.model_dump_json(indent=2), encoding="utf-8")


# ------------------------------------------------------------------ the base


def test_base_bundle_is_valid(tmp_path: Path) -> None:
    report = validate_bundle(make_bundle(tmp_path))
    assert report.ok, report.problems
    assert report.counts["PartyOrg"] == 6 and report.counts["COVERS"] == 7
    assert report.id_labels["cmp-1"] == "Compound" and report.id_labels[C1] == "Community"
    assert report.manifest is not None and report.manifest.name == "test"


def test_iter_valid_records_gives_typed_rows_in_field_order(tmp_path: Path) -> None:
    root = make_bundle(tmp_path)
    report = validate_bundle(root)
    files = {f.name: f for f in read_manifest(root).files}
    orgs = dict(iter_valid_records(root, files["PartyOrg"], report))
    assert list(orgs[5]) == list(NODE_MODELS["PartyOrg"].model_fields)
    assert orgs[5]["founded"] == dt.date(2008, 7, 1) and orgs[5]["synthetic"] is False
    covers = list(iter_valid_records(root, files["COVERS"], report))
    row, record = covers[4]
    assert row == 6
    assert record == {"source": "org-b1", "target": "cmp-1", "since": None, "until": None, "mode": "organizational",
                      "formation": "单独建", "source_label": "PartyOrg", "target_label": "Compound"}
    compounds = dict(iter_valid_records(root, files["Compound"]))  # no report: validates first
    assert compounds[2]["households"] == 600


def test_iter_valid_records_skips_rejected_rows(tmp_path: Path) -> None:
    root = base_with(tmp_path, nodes={"Compound": [{"id": "cmp-3", "name": "坏小区", "kind": "别墅"}]})
    report = validate_bundle(root)
    compound_file = next(f for f in read_manifest(root).files if f.name == "Compound")
    assert [row for row, _ in iter_valid_records(root, compound_file, report)] == [2, 3]
    assert report.is_rejected(compound_file, 4)


# -------------------------------------------------------------- row checks


def test_literal_value_not_allowed(tmp_path: Path) -> None:
    report = validate_bundle(base_with(tmp_path, nodes={"Compound": [{"id": "cmp-3", "name": "x", "kind": "xx"}]}))
    assert one_problem(report) == Problem("nodes/Compound.csv", 4, "kind",
                                          "kind: 'xx' is not one of 商品房, 城中村, 单位宿舍, 其他")


@pytest.mark.parametrize("value", ["2018-13-01", "20180101", "1514764800", "2018/01/01"])
def test_bad_date(tmp_path: Path, value: str) -> None:
    org = {"id": "org-9", "name": "x", "level": "党支部", "founded": value}
    report = validate_bundle(base_with(tmp_path, nodes={"PartyOrg": [org]}))
    assert one_problem(report) == Problem("nodes/PartyOrg.csv", 8, "founded", f"founded: '{value}' is not a date (YYYY-MM-DD)")


@pytest.mark.parametrize(("text", "expected"), [("true", True), ("1", True), ("是", True), ("false", False), ("0", False),
                                                ("否", False), ("TRUE", True)])
def test_booleans_accept_chinese_and_digits(tmp_path: Path, text: str, expected: bool) -> None:
    root = make_bundle(tmp_path, {"Compound": [{"id": "cmp-1", "name": "x", "kind": "其他", "synthetic": text}]}, {})
    report = validate_bundle(root)
    assert report.ok, report.problems
    [(_, record)] = iter_valid_records(root, read_manifest(root).files[0], report)
    assert record["synthetic"] is expected


def test_bad_boolean(tmp_path: Path) -> None:
    root = make_bundle(tmp_path, {"Compound": [{"id": "cmp-1", "name": "x", "kind": "其他", "synthetic": "maybe"}]}, {})
    assert one_problem(validate_bundle(root)) == Problem(
        "nodes/Compound.csv", 2, "synthetic", "synthetic: 'maybe' is not a yes/no value (true/false, 1/0, 是/否)")


@pytest.mark.parametrize(("floors", "reason"), [("abc", "floors: 'abc' is not a whole number"),
                                                ("0", "floors: '0' must be at least 1"),
                                                ("301", "floors: '301' must be at most 300")])
def test_bad_number(tmp_path: Path, floors: str, reason: str) -> None:
    root = make_bundle(tmp_path, {"Building": [{"id": "bld-1", "name": "x", "floors": floors}]}, {})
    assert one_problem(validate_bundle(root)) == Problem("nodes/Building.csv", 2, "floors", reason)


def test_number_too_large_for_the_database(tmp_path: Path) -> None:
    root = make_bundle(tmp_path, {"Compound": [{"id": "cmp-1", "name": "x", "kind": "其他", "households": "9" * 30}]}, {})
    assert one_problem(validate_bundle(root)) == Problem(
        "nodes/Compound.csv", 2, "households", f"households: '{'9' * 30}' is too large (the database stores 64-bit integers)")


def test_id_with_wrong_prefix(tmp_path: Path) -> None:
    root = make_bundle(tmp_path, {"Compound": [{"id": "bld-9", "name": "x", "kind": "其他"}]}, {})
    assert one_problem(validate_bundle(root)) == Problem(
        "nodes/Compound.csv", 2, "id", "id: 'bld-9': a Compound id must start with 'cmp-'")


def test_missing_required_value(tmp_path: Path) -> None:
    root = make_bundle(tmp_path, {"Compound": [{"id": "cmp-1", "name": "x"}]}, {})
    assert one_problem(validate_bundle(root)) == Problem("nodes/Compound.csv", 2, "kind", "kind: a value is required")


def test_dates_out_of_order_name_the_later_column(tmp_path: Path) -> None:
    org = {"id": "org-9", "name": "x", "level": "党支部", "founded": "2018-01-01", "dissolved": "2017-01-01"}
    problem = one_problem(validate_bundle(base_with(tmp_path, nodes={"PartyOrg": [org]})))
    assert (problem.file, problem.row, problem.column) == ("nodes/PartyOrg.csv", 8, "dissolved")
    assert problem.reason == "dissolved 2017-01-01 is before founded 2018-01-01"


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    bad = [{"id": "cmp-3", "name": "a", "kind": "xx"}, {"id": "cmp-4", "name": "b", "kind": "其他", "households": "many"},
           {"id": "cmp-5", "name": "c", "kind": "其他", "households": "-1"}]
    report = validate_bundle(base_with(tmp_path, nodes={"Compound": bad}))
    assert [(p.row, p.column) for p in report.problems] == [(4, "kind"), (5, "households"), (6, "households")]


# ------------------------------------------------------------- id checks


def test_duplicate_id_names_both_rows(tmp_path: Path) -> None:
    report = validate_bundle(base_with(tmp_path, nodes={"Compound": [{"id": "cmp-1", "name": "again", "kind": "其他"}]}))
    assert one_problem(report) == Problem(
        "nodes/Compound.csv", 4, "id", "duplicate id 'cmp-1': already used by the Compound in nodes/Compound.csv row 2")


def test_duplicate_id_across_files(tmp_path: Path) -> None:
    root = make_bundle(tmp_path)
    line = json.dumps({"id": "cmp-2", "name": "又一个", "kind": "其他"})
    (root / "nodes" / "more.jsonl").write_text(line + "\n", encoding="utf-8")
    manifest = read_manifest(root)
    manifest.files.append(BundleFile(path="nodes/more.jsonl", kind="node", name="Compound", format="jsonl"))
    write_manifest(root, manifest.files)
    assert one_problem(validate_bundle(root)) == Problem(
        "nodes/more.jsonl", 1, "id", "duplicate id 'cmp-2': already used by the Compound in nodes/Compound.csv row 3")


def test_id_with_another_label_in_the_graph(tmp_path: Path) -> None:
    root = make_bundle(tmp_path, {"Compound": [{"id": "cmp-1", "name": "x", "kind": "其他"}]}, {})
    problem = one_problem(validate_bundle(root, known_ids={"cmp-1": "Building"}))
    assert (problem.row, problem.column) == (2, "id")
    assert problem.reason == "id 'cmp-1' is already a Building in the graph; ids are unique across labels"


# -------------------------------------------------------- relationship ends


def test_unknown_target_id(tmp_path: Path) -> None:
    report = validate_bundle(base_with(tmp_path, rels={"LIVES_IN": [{"source": "mem-1", "target": "cmp-404"}]}))
    assert one_problem(report) == Problem(
        "rels/LIVES_IN.csv", 3, "target", "target: unknown id 'cmp-404': not defined in this bundle")


def test_ids_known_in_the_graph_are_accepted(tmp_path: Path) -> None:
    root = base_with(tmp_path, rels={"LIVES_IN": [{"source": "mem-1", "target": "cmp-404"}]})
    report = validate_bundle(root, known_ids={"cmp-404": "Compound"})
    assert report.ok, report.problems
    lives_in = next(f for f in read_manifest(root).files if f.name == "LIVES_IN")
    assert [r["target_label"] for _, r in iter_valid_records(root, lives_in, report)] == ["Compound", "Compound"]
    report = validate_bundle(root, known_ids={"cmp-9": "Compound"})
    assert one_problem(report).reason == "target: unknown id 'cmp-404': not defined in this bundle nor in the graph"


def test_endpoint_labels_not_allowed(tmp_path: Path) -> None:
    report = validate_bundle(base_with(tmp_path, rels={"COVERS": [{"source": "org-b1", "target": "mem-1", "mode": "work"}]}))
    problem = one_problem(report)
    assert (problem.file, problem.row, problem.column) == ("rels/COVERS.csv", 9, "target")
    assert problem.reason.startswith("COVERS cannot link PartyOrg 'org-b1' → Member 'mem-1'; allowed: PartyOrg → Compound")


def test_relationship_to_a_rejected_row(tmp_path: Path) -> None:
    root = base_with(tmp_path, nodes={"Compound": [{"id": "cmp-3", "name": "x", "kind": "xx"}]},
                     rels={"LIVES_IN": [{"source": "mem-1", "target": "cmp-3"}]})
    problems = validate_bundle(root).problems
    assert len(problems) == 2
    assert problems[1] == Problem("rels/LIVES_IN.csv", 3, "target",
                                  "target: 'cmp-3' is not loaded: its row (nodes/Compound.csv row 4) has problems")


def test_duplicate_relationship(tmp_path: Path) -> None:
    report = validate_bundle(base_with(tmp_path, rels={"MEMBER_OF": [{"source": "mem-1", "target": "org-b1"}]}))
    assert one_problem(report) == Problem(
        "rels/MEMBER_OF.csv", 3, None, "duplicate MEMBER_OF mem-1 → org-b1: same as rels/MEMBER_OF.csv row 2")


# ----------------------------------------------------------------- REPORTS_TO


def test_second_parent(tmp_path: Path) -> None:
    report = validate_bundle(base_with(tmp_path, rels={"REPORTS_TO": [{"source": "org-b1", "target": "org-s2"}]}))
    assert one_problem(report) == Problem(
        "rels/REPORTS_TO.csv", 7, "target", "'org-b1' already reports to 'org-c1' (rels/REPORTS_TO.csv row 5); "
        "an organization has one current parent (set 'until' on the old link)")


def test_former_parent_with_until_is_fine(tmp_path: Path) -> None:
    old = {"source": "org-b1", "target": "org-s2", "since": "2001-01-01", "until": "2008-01-01"}
    assert validate_bundle(base_with(tmp_path, rels={"REPORTS_TO": [old]})).ok


def test_reports_to_cycle(tmp_path: Path) -> None:
    orgs = [{"id": "org-x1", "name": "x1", "level": "党支部"}, {"id": "org-x2", "name": "x2", "level": "党总支"},
            {"id": "org-x3", "name": "x3", "level": "党委"}]
    links = [{"source": "org-x2", "target": "org-x3"}, {"source": "org-x1", "target": "org-x2"},
             {"source": "org-x3", "target": "org-x1"}]
    report = validate_bundle(base_with(tmp_path, nodes={"PartyOrg": orgs}, rels={"REPORTS_TO": links}))
    assert one_problem(report) == Problem("rels/REPORTS_TO.csv", 7, "target",
                                          "REPORTS_TO cycle: org-x2 → org-x3 → org-x1 → org-x2")


def test_self_parent_is_a_cycle(tmp_path: Path) -> None:
    report = validate_bundle(base_with(tmp_path, nodes={"PartyOrg": [{"id": "org-x", "name": "x", "level": "党支部"}]},
                                       rels={"REPORTS_TO": [{"source": "org-x", "target": "org-x"}]}))
    assert one_problem(report).reason == "REPORTS_TO cycle: org-x → org-x"


# ---------------------------------------------------------------------- COVERS


def test_covers_compound_in_another_subdistrict(tmp_path: Path) -> None:
    report = validate_bundle(base_with(tmp_path, rels={"COVERS": [{"source": "org-b1", "target": "cmp-2", "mode": "work"}]}))
    assert one_problem(report) == Problem(
        "rels/COVERS.csv", 9, "target", f"Compound 'cmp-2' is in subdistrict {SD2}, but 'org-b1' belongs to subdistrict {SD1} "
        "through 'org-c1': it cannot cover a place in another subdistrict")


def test_covers_enterprise_in_another_subdistrict(tmp_path: Path) -> None:
    report = validate_bundle(base_with(tmp_path, rels={"COVERS": [{"source": "org-c1", "target": "ent-2", "mode": "work"}]}))
    problem = one_problem(report)
    assert (problem.file, problem.row, problem.column) == ("rels/COVERS.csv", 9, "target")
    assert problem.reason.startswith(f"Enterprise 'ent-2' is in subdistrict {SD2}, but 'org-c1' belongs to subdistrict {SD1}:")


def test_community_committee_anchored_under_the_wrong_subdistrict(tmp_path: Path) -> None:
    report = validate_bundle(base_with(tmp_path, rels={"COVERS": [{"source": "org-c1", "target": C2, "mode": "organizational"}]}))
    problem = one_problem(report)
    assert (problem.row, problem.column) == (9, "target")
    assert problem.reason.startswith(f"Community '{C2}' is in subdistrict {SD2}, but 'org-c1' belongs to subdistrict {SD1} "
                                     "through 'org-s1'")


def test_unanchored_orgs_cover_anywhere(tmp_path: Path) -> None:
    extra = [{"source": "org-ind", "target": "cmp-1", "mode": "work"}, {"source": "org-ind", "target": "ent-1", "mode": "work"}]
    assert validate_bundle(base_with(tmp_path, rels={"COVERS": extra})).ok


# ---------------------------------------------------------------- headers


def test_unknown_column(tmp_path: Path) -> None:
    root = make_bundle(tmp_path, {"Compound": []}, {})
    (root / "nodes" / "Compound.csv").write_text("id,name,kind,househods\ncmp-1,x,其他,12\n", encoding="utf-8")
    problem = one_problem(validate_bundle(root))
    assert (problem.file, problem.row, problem.column) == ("nodes/Compound.csv", 1, "househods")
    assert problem.reason.startswith("unknown column 'househods'; the Compound columns are: id, synthetic, name, kind, ")


def test_missing_required_column_is_reported_once(tmp_path: Path) -> None:
    root = make_bundle(tmp_path, {"Compound": []}, {})
    (root / "nodes" / "Compound.csv").write_text(" id , name \ncmp-1,x\ncmp-2,y\n", encoding="utf-8")
    report = validate_bundle(root)
    assert one_problem(report) == Problem("nodes/Compound.csv", 1, "kind", "required column 'kind' is missing from the header")
    assert list(iter_valid_records(root, read_manifest(root).files[0], report)) == []


def test_missing_optional_columns_are_fine(tmp_path: Path) -> None:
    root = make_bundle(tmp_path, {"Compound": []}, {})
    (root / "nodes" / "Compound.csv").write_text("kind,id,name\n其他,cmp-1,x\n", encoding="utf-8")
    report = validate_bundle(root)
    assert report.ok
    [(_, record)] = iter_valid_records(root, read_manifest(root).files[0], report)
    assert record == {"id": "cmp-1", "synthetic": False, "name": "x", "kind": "其他", "households": None, "address": None}


def test_missing_file_and_manifest(tmp_path: Path) -> None:
    root = make_bundle(tmp_path, {"Compound": []}, {})
    (root / "nodes" / "Compound.csv").unlink()
    expected = Problem("nodes/Compound.csv", None, None, "file not found (listed in manifest.json)")
    assert one_problem(validate_bundle(root)) == expected
    (root / "manifest.json").unlink()
    problem = one_problem(validate_bundle(root))
    assert problem.file == "manifest.json" and "no manifest" in problem.reason


def test_path_outside_the_bundle(tmp_path: Path) -> None:
    (tmp_path / "secret.csv").write_text("id,name\n", encoding="utf-8")
    root = tmp_path / "bundle"
    root.mkdir()
    write_manifest(root, [BundleFile(path="../secret.csv", kind="node", name="District")])
    assert one_problem(validate_bundle(root)).reason == "the path points outside the bundle folder"


# ------------------------------------------------------- formats and encodings

TABLE = [["id", "name", "kind", "households", "address", "synthetic"],
         ["cmp-1", "东乐花园", "商品房", "600", "罗湖区东乐路1号, 东门", "true"],
         ["cmp-2", "鸿翔花园", "城中村", "", "", "否"],
         ["cmp-3", "𠀀园", "其他", "12", "引号\"和换行\n第二行", "0"]]


def _csv_bundle(root: Path, data: bytes) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Compound.csv").write_bytes(data)
    write_manifest(root, [BundleFile(path="Compound.csv", kind="node", name="Compound")])
    return root


def _csv_text(rows: list[list[str]]) -> str:
    with tempfile.SpooledTemporaryFile(mode="w+", newline="") as handle:
        csv.writer(handle).writerows(rows)
        handle.seek(0)
        return str(handle.read())


def _records(root: Path) -> list[tuple[int, dict[str, Any]]]:
    report = validate_bundle(root)
    assert report.ok, report.problems
    assert report.manifest is not None
    return list(iter_valid_records(root, report.manifest.files[0], report))


def test_all_formats_and_encodings_read_identically(tmp_path: Path) -> None:
    text = _csv_text(TABLE)
    expected = _records(_csv_bundle(tmp_path / "utf8", text.encode("utf-8")))
    assert [row for row, _ in expected] == [2, 3, 4]
    assert expected[2][1]["name"] == "𠀀园" and expected[0][1]["households"] == 600 and expected[1][1]["synthetic"] is False

    assert _records(_csv_bundle(tmp_path / "bom", text.encode("utf-8-sig"))) == expected
    assert _records(_csv_bundle(tmp_path / "gb18030", text.encode("gb18030"))) == expected
    gbk_table = [row for row in TABLE if "𠀀园" not in row]  # GBK lacks that character: the two must agree without it
    assert _records(_csv_bundle(tmp_path / "gbk", _csv_text(gbk_table).encode("gbk"))) == expected[:2]

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "小区"
    sheet.append(TABLE[0])
    sheet.append(["cmp-1", "东乐花园", "商品房", 600.0, "罗湖区东乐路1号, 东门", True])
    sheet.append([" cmp-2 ", "鸿翔花园", "城中村", None, "", "否"])
    sheet.append(["cmp-3", "𠀀园", "其他", 12, "引号\"和换行\n第二行", 0])
    (tmp_path / "xlsx").mkdir()
    workbook.save(tmp_path / "xlsx" / "book.xlsx")
    write_manifest(tmp_path / "xlsx", [BundleFile(path="book.xlsx", kind="node", name="Compound", format="xlsx", sheet="小区")])
    assert _records(tmp_path / "xlsx") == expected

    (tmp_path / "jsonl").mkdir()
    lines = [{"id": "cmp-1", "name": "东乐花园", "kind": "商品房", "households": 600, "address": "罗湖区东乐路1号, 东门",
              "synthetic": True},
             {"id": "cmp-2", "name": "鸿翔花园", "kind": "城中村", "households": None, "synthetic": "否"},
             {"id": "cmp-3", "name": "𠀀园", "kind": "其他", "households": 12.0, "address": "引号\"和换行\n第二行",
              "synthetic": 0}]
    jsonl = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n"
    (tmp_path / "jsonl" / "c.jsonl").write_text(jsonl, encoding="utf-8")
    write_manifest(tmp_path / "jsonl", [BundleFile(path="c.jsonl", kind="node", name="Compound", format="jsonl")])
    assert [r for _, r in _records(tmp_path / "jsonl")] == [r for _, r in expected]
    assert [row for row, _ in _records(tmp_path / "jsonl")] == [1, 2, 3]


def test_xlsx_typed_dates_and_missing_sheet(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "PartyOrg"
    sheet.append(["id", "name", "level", "founded"])
    sheet.append(["org-1", "x", "党支部", dt.datetime(2008, 7, 1)])
    sheet.append([])
    sheet.append(["org-2", "y", "党委", dt.date(2012, 5, 1)])
    workbook.save(tmp_path / "book.xlsx")
    files = [BundleFile(path="book.xlsx", kind="node", name="PartyOrg", format="xlsx"),
             BundleFile(path="book.xlsx", kind="node", name="Member", format="xlsx")]
    write_manifest(tmp_path, files)
    report = validate_bundle(tmp_path)
    assert one_problem(report) == Problem("book.xlsx [Member]", None, None, "no sheet named 'Member'; the workbook has: PartyOrg")
    rows = list(iter_valid_records(tmp_path, files[0], report))
    assert [(row, r["founded"]) for row, r in rows] == [(2, dt.date(2008, 7, 1)), (4, dt.date(2012, 5, 1))]


def test_jsonl_problems(tmp_path: Path) -> None:
    lines = ['{"id": "cmp-1", "name": "x", "kind": "其他", "extra": 1}', "", "[1, 2]", "{not json",
             '{"id": "cmp-2", "name": {"zh": "x"}, "kind": "其他"}']
    (tmp_path / "c.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_manifest(tmp_path, [BundleFile(path="c.jsonl", kind="node", name="Compound", format="jsonl")])
    problems = validate_bundle(tmp_path).problems
    assert [(p.row, p.column) for p in problems] == [(1, "extra"), (3, None), (4, None), (5, "name")]
    assert problems[0].reason.startswith("unknown column 'extra'")
    assert problems[1].reason == "each line must be a JSON object, not list"
    assert problems[3].reason == "name: a dict is not a plain value"


def test_gb18030_detection_prefers_gb18030() -> None:
    sample = "id,name\ncmp-1,罗湖区东门街道鸿翔花园\n".encode("gbk")
    assert detect_encoding(sample, at_eof=True) == "gb18030"
    assert detect_encoding(b"id,name\n", at_eof=True) == "utf-8"
    assert detect_encoding(b"\xef\xbb\xbfid\n", at_eof=True) == "utf-8-sig"


def test_utf16_file_is_refused_clearly(tmp_path: Path) -> None:
    root = _csv_bundle(tmp_path, _csv_text(TABLE).encode("utf-16"))
    assert "UTF-16" in one_problem(validate_bundle(root)).reason


def test_gbk_after_an_ascii_only_sample_is_detected(tmp_path: Path) -> None:
    ascii_part = "id,name,floors\n" + "".join(f"bld-{i},Tower {i},10\n" for i in range(4000))
    assert len(ascii_part) > 64 * 1024
    tmp_path.joinpath("Building.csv").write_bytes(ascii_part.encode("ascii") + "bld-x,地王大厦,69\n".encode("gbk"))
    building = BundleFile(path="Building.csv", kind="node", name="Building")
    write_manifest(tmp_path, [building])
    report = validate_bundle(tmp_path)
    assert report.ok, report.problems
    assert list(iter_valid_records(tmp_path, building, report))[-1][1]["name"] == "地王大厦"


def test_encoding_change_after_the_sample_spoils_only_its_row(tmp_path: Path) -> None:
    rows = [TABLE[0], ["cmp-a", "东乐花园", "其他", "", "", ""]]
    rows += [[f"cmp-{i}", f"name{i}", "其他", "", "", ""] for i in range(3000)]
    data = _csv_text(rows).encode("utf-8") + "cmp-x,东乐花园,其他,,,\n".encode("gbk") + "cmp-y,ok,其他,,,\n".encode()
    assert len(data) > 64 * 1024
    report = validate_bundle(_csv_bundle(tmp_path, data))
    problem = one_problem(report)
    assert (problem.row, problem.column) == (3003, None)
    assert problem.reason.startswith("bytes that are not valid UTF-8")
    assert report.counts["Compound"] == 3002


def test_nul_byte(tmp_path: Path) -> None:
    data = "id,name,kind\ncmp-1,a,其他\ncmp-2,b\x00,其他\ncmp-3,c,其他\n".encode()
    report = validate_bundle(_csv_bundle(tmp_path, data))
    problem = one_problem(report)
    assert (problem.file, problem.row, problem.column) == ("Compound.csv", 3, None)
    assert "NUL byte" in problem.reason
    assert report.counts["Compound"] == 2


def test_unreadable_header_skips_the_file(tmp_path: Path) -> None:
    problem = one_problem(validate_bundle(_csv_bundle(tmp_path, b"id,na\x00me,kind\ncmp-1,a,other\n")))
    assert (problem.row, problem.column) == (None, None)
    assert problem.reason.startswith("row 1: line contains a NUL byte") and problem.reason.endswith("the file is skipped")


def test_bad_manifest_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text('{"name": "x",\n "scope": }', encoding="utf-8")
    problem = one_problem(validate_bundle(tmp_path))
    assert (problem.file, problem.row) == ("manifest.json", 2) and problem.reason.startswith("not valid JSON")
    (tmp_path / "manifest.json").write_text('{"name": "x", "scope": "s", "as_of": "2018-13-01", "files": []}', encoding="utf-8")
    assert one_problem(validate_bundle(tmp_path)).column == "as_of"


def test_huge_field(tmp_path: Path) -> None:
    data = f"id,name,kind\ncmp-1,{'长' * 20_000},其他\ncmp-2,b,其他\n".encode()
    report = validate_bundle(_csv_bundle(tmp_path, data))
    assert one_problem(report) == Problem("Compound.csv", 2, "name", "value is 20,000 characters long; the limit is 10,000")
    assert [row for row, _ in iter_valid_records(tmp_path, BundleFile(path="Compound.csv", kind="node", name="Compound"),
                                                  report)] == [3]


def test_enormous_field_and_line(tmp_path: Path) -> None:
    data = (f"id,name,kind\ncmp-1,{'x' * 200_000},其他\ncmp-2,\"{'y' * 2_000_000}\",其他\ncmp-3,c,其他\n").encode()
    report = validate_bundle(_csv_bundle(tmp_path, data))
    assert [(p.row, p.column) for p in report.problems] == [(2, None), (3, None)]
    assert "field larger than field limit" in report.problems[0].reason
    assert report.problems[1].reason.startswith("line longer than")
    assert report.counts["Compound"] == 1


def test_empty_file_and_blank_rows(tmp_path: Path) -> None:
    root = _csv_bundle(tmp_path, b"")
    assert one_problem(validate_bundle(root)).reason.startswith("the file is empty; expected a header row")
    root = _csv_bundle(tmp_path, "id,name,kind,,\n\n,,,,\ncmp-1,x,其他,,\ncmp-2,y,其他,,oops\n".encode())
    problem = one_problem(validate_bundle(root))
    assert (problem.row, problem.reason) == (5, "this row has a value in column 5, which has no header")


def test_read_rows_gives_person_row_numbers(tmp_path: Path) -> None:
    root = _csv_bundle(tmp_path, 'id,name,kind\ncmp-1,"two\nlines",其他\n\ncmp-2, ,其他\n'.encode())
    rows = list(read_rows(root, BundleFile(path="Compound.csv", kind="node", name="Compound"), ProblemLog()))
    assert rows == [(2, {"id": "cmp-1", "name": "two\nlines", "kind": "其他"}),
                    (4, {"id": "cmp-2", "name": None, "kind": "其他"})]


# ---------------------------------------------------------------- rejects.csv


def test_rejects_csv_escapes_formulas(tmp_path: Path) -> None:
    log = ProblemLog(limit=3)
    log.add("nodes/Compound.csv", 2, "name", "=cmd|' /C calc'!A0")
    log.add("+evil.csv", None, "@x", "-1 is bad")
    log.add("a.csv", 3, None, "\tTab")
    log.add("a.csv", 4, None, "dropped past the limit")
    assert log.total == 4 and log.dropped == 1 and log.is_rejected("a.csv", 4)
    path = tmp_path / "rejects.csv"
    assert write_rejects_csv(path, log) == 4
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["file", "row", "column", "reason"]
    assert rows[1] == ["nodes/Compound.csv", "2", "name", "'=cmd|' /C calc'!A0"]
    assert rows[2] == ["'+evil.csv", "", "'@x", "'-1 is bad"]
    assert rows[3] == ["a.csv", "3", "", "'\tTab"]
    assert rows[4][3] == "... and 1 more problems not listed (limit 3)"


def test_problem_log_cap() -> None:
    log = ProblemLog(limit=2)
    for row in range(5):
        log.add("f", row, None, "bad")
    assert len(log.problems) == 2 and log.total == 5 and log.rejected_rows("f") == frozenset(range(5))


# -------------------------------------------------------------------- template


def test_template_is_a_valid_empty_bundle(tmp_path: Path) -> None:
    paths = write_template(tmp_path, as_of=AS_OF)
    assert all(p.is_file() for p in paths)
    report = validate_bundle(tmp_path)
    assert report.ok and set(report.counts) == set(NODE_MODELS) | set(REL_MODELS)
    assert (tmp_path / "nodes" / "Compound.csv").read_text(encoding="utf-8").strip() == ",".join(columns_for("node", "Compound"))
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "### Compound — 居民小区" in readme and "`商品房` / `城中村` / `单位宿舍` / `其他`" in readme
    assert "### COVERS — 覆盖" in readme and "PartyOrg → Compound" in readme


@pytest.mark.parametrize("name", [*NODE_MODELS, *REL_MODELS])
def test_template_examples_load(tmp_path: Path, name: str) -> None:
    kind: Literal["node", "rel"] = "node" if name in NODE_MODELS else "rel"
    row = example_row(kind, name)
    if kind == "node":
        root = make_bundle(tmp_path, {name: [row]}, {})
    else:
        pair = REL_MODELS[name].endpoints[0]
        nodes = {label: [example_row("node", label)] for label in dict.fromkeys(pair)}
        if pair[0] == pair[1]:
            nodes[pair[0]].append({**example_row("node", pair[0]), "id": row["target"]})
        root = make_bundle(tmp_path, nodes, {name: [row]})
    report = validate_bundle(root)
    assert report.ok, report.problems


# ------------------------------------------------------------------- fuzzing

_COMPOUND = BundleFile(path="Compound.csv", kind="node", name="Compound")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cell=st.text(max_size=300), column=st.sampled_from(["id", "name", "kind", "households", "synthetic", "address"]))
def test_random_text_in_a_cell_only_makes_problems(cell: str, column: str) -> None:
    row = {"id": "cmp-1", "name": "x", "kind": "其他", column: cell}
    with tempfile.TemporaryDirectory() as tmp:
        root = make_bundle(Path(tmp), {"Compound": [row]}, {})
        report = validate_bundle(root)
        assert all(isinstance(p, Problem) and p.reason for p in report.problems)
        for _, record in iter_valid_records(root, report.manifest.files[0] if report.manifest else _COMPOUND, report):
            assert NODE_MODELS["Compound"].model_validate(record)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cell=st.binary(max_size=300), fmt=st.sampled_from(["csv", "jsonl"]))
def test_random_bytes_in_a_cell_only_make_problems(cell: bytes, fmt: str) -> None:
    if fmt == "csv":
        data = b"id,name,kind\ncmp-1," + cell + b",\xe5\x85\xb6\xe4\xbb\x96\ncmp-2,y,\xe5\x85\xb6\xe4\xbb\x96\n"
    else:
        data = b'{"id": "cmp-1", "name": "' + cell + b'", "kind": "x"}\n'
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / f"Compound.{fmt}").write_bytes(data)
        bundle_file = BundleFile(path=f"Compound.{fmt}", kind="node", name="Compound", format=fmt)
        write_manifest(root, [bundle_file])
        report = validate_bundle(root)
        assert all(isinstance(p, Problem) and p.reason for p in report.problems)
        list(iter_valid_records(root, bundle_file, report))
