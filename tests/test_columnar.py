"""The column-at-a-time validation path (loaders/columnar.py) gives exactly what the row path gives.

It may only *prove* files valid: a file it takes must give the same records, ids, counts and state as the
row-by-row validator, and any file with something it does not read as canonical (or with a problem) must be
left to the row path, so problems keep their file, row, column and reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from graph.ladybug_engine import LadybugEngine
from graph.model import NODE_MODELS, REL_MODELS
from loaders import columnar
from loaders.bundle import BundleFile, BundleWriter, iter_manifest_files, read_manifest
from loaders.export import snapshot
from loaders.load import load_bundle
from loaders.readers import problem_file
from loaders.spool import RecordSpool
from loaders.validate import ValidationReport, validate_bundle
from tests.bundles import small_bundle


def _validate(root: Path, spool_dir: Path, *, columnar_path: bool, monkeypatch: pytest.MonkeyPatch) -> ValidationReport:
    with monkeypatch.context() as patch:
        if not columnar_path:
            patch.setattr(columnar, "read_checked", lambda *a, **k: None)
        spool_dir.mkdir(parents=True)
        spool = RecordSpool(spool_dir)
        report = validate_bundle(root, spool=spool)
        return report


def _spooled(report: ValidationReport) -> dict[str, list[tuple[Any, ...]]]:
    assert report.manifest is not None
    found: dict[str, list[tuple[Any, ...]]] = {}
    for bundle_file in iter_manifest_files(report.manifest):
        if bundle_file.kind == "node":
            found[bundle_file.name] = list(report.spooled_values(bundle_file))
        else:
            for pair in report.spooled_pairs(bundle_file):
                found[f"{bundle_file.name} {pair}"] = list(report.spooled_values(bundle_file, pair))
    return found


def _same_outcome(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ValidationReport:
    """Validate ``root`` both ways and assert the reports and spooled records are the same; return the fast one."""
    fast = _validate(root, tmp_path / "fast-spool", columnar_path=True, monkeypatch=monkeypatch)
    slow = _validate(root, tmp_path / "slow-spool", columnar_path=False, monkeypatch=monkeypatch)
    assert [(p.file, p.row, p.column, p.reason) for p in fast.problems] == [(p.file, p.row, p.column, p.reason) for p in slow.problems]
    assert fast.counts == slow.counts
    assert fast.id_labels == slow.id_labels
    assert fast.log.total == slow.log.total
    if fast.manifest is not None:
        assert _spooled(fast) == _spooled(slow)
    return fast


def _took_columnar(report: ValidationReport, name: str) -> bool:
    assert report.manifest is not None and report.spool is not None
    bundle_file = next(f for f in iter_manifest_files(report.manifest) if f.name == name)
    if bundle_file.kind == "node":
        return report.spool.node_batches(problem_file(bundle_file)) is not None
    pairs = report.spooled_pairs(bundle_file)
    return bool(pairs) and report.spool.rel_batches(problem_file(bundle_file), pairs[0]) is not None


def test_the_reference_bundle_takes_the_columnar_path_with_the_same_records(reference_bundle: Path, tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    report = _same_outcome(reference_bundle, tmp_path, monkeypatch)
    assert report.ok
    assert report.manifest is not None
    for bundle_file in iter_manifest_files(report.manifest):
        # every CSV file of the generator is plain; only the Fact label has a type (float) without a column rule
        assert _took_columnar(report, bundle_file.name) == (bundle_file.name != "Fact"), bundle_file.name


def test_bulk_copy_of_record_batches_gives_the_graph_of_the_row_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = small_bundle(tmp_path / "bundle")
    graphs = []
    for columnar_path in (True, False):
        with monkeypatch.context() as patch:
            if not columnar_path:
                patch.setattr(columnar, "read_checked", lambda *a, **k: None)
            engine = LadybugEngine(tmp_path / f"graph-{columnar_path}.lbug")
            try:
                load_bundle(engine, root)
                graphs.append(snapshot(engine))
                # the bookkeeping the snapshot leaves out: every node and relationship records its bundle's scope
                scopes = engine.read("MATCH (n:Compound) RETURN DISTINCT n.scope AS s UNION "
                                     "MATCH ()-[r:COVERS]->() RETURN DISTINCT r.scope AS s")
                assert [r["s"] for r in scopes] == ["small"]
            finally:
                engine.close()
    assert graphs[0] == graphs[1]
    assert len(graphs[0]["Compound"]) == 3 and len(graphs[0]["COVERS"]) == 5  # something was compared


def _rewrite(path: Path, change: Any) -> None:
    """Rewrite a CSV file's data rows through ``change(rows)`` (rows of dicts, header kept)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    rows = change(rows) or rows
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)


def _set(row: int, column: str, value: str) -> Any:
    def change(rows: list[dict[str, str]]) -> None:
        rows[row][column] = value
    return change


# (file, change, columnar path still taken for that file): each a form the columnar path must not take on
# (it would read it differently or it is invalid), plus valid canonical forms it must take.
CASES: dict[str, tuple[str, Any, bool]] = {
    "padded value": ("nodes/Compound.csv", _set(0, "name", " 小区1"), False),
    "TRUE for a yes/no": ("nodes/Compound.csv", _set(0, "synthetic", "TRUE"), False),
    "是 for a yes/no": ("nodes/Compound.csv", _set(0, "synthetic", "是"), True),
    "bad enum": ("nodes/Compound.csv", _set(1, "kind", "别墅"), False),
    "number with a plus sign": ("nodes/Building.csv", _set(0, "floors", "+25"), False),
    "number out of bounds": ("nodes/Building.csv", _set(0, "floors", "301"), False),
    "number with leading zeros": ("nodes/Building.csv", _set(0, "floors", "025"), True),
    "date not padded": ("nodes/PartyOrg.csv", _set(3, "founded", "2010-1-1"), False),
    "date not in the calendar": ("nodes/PartyOrg.csv", _set(3, "founded", "2010-02-30"), False),
    "dates in the wrong order": ("nodes/PartyOrg.csv", _set(3, "dissolved", "2009-01-01"), False),
    "id of another label's form": ("nodes/Compound.csv", _set(0, "id", "bld-9"), False),
    "duplicate id": ("nodes/Compound.csv", _set(1, "id", "cmp-1"), False),
    "value too long": ("nodes/Compound.csv", _set(0, "name", "长" * 201), False),
    "missing required value": ("nodes/Compound.csv", _set(0, "kind", ""), False),
    "quoted comma": ("nodes/Compound.csv", _set(0, "name", "小区,一"), False),
    "unknown end": ("rels/LOCATED_IN.csv", _set(0, "source", "cmp-9"), False),
    "labels the type cannot link": ("rels/LOCATED_IN.csv", _set(0, "target", "440303001"), False),
    "duplicate relationship": ("rels/LOCATED_IN.csv", _set(1, "source", "cmp-1"), False),
    "relationship dates reversed": ("rels/REPORTS_TO.csv", lambda rows: rows[0].update(since="2020-01-01", until="2019-01-01"), False),
    "a second current parent": ("rels/REPORTS_TO.csv", _set(2, "source", "org-c"), False),
    "bad relationship enum": ("rels/COVERS.csv", _set(0, "mode", "both"), False),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_file_the_columnar_path_cannot_prove_valid_gets_the_row_paths_outcome(case: str, tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    path, change, taken = CASES[case]
    root = small_bundle(tmp_path / "bundle")
    _rewrite(root / path, change)
    report = _same_outcome(root, tmp_path, monkeypatch)
    name = Path(path).stem
    assert _took_columnar(report, name) == taken
    if not taken and not report.ok:
        assert any(p.file == path and p.row is not None for p in report.problems)


def test_blank_lines_lone_carriage_returns_and_a_bom_keep_their_row_numbers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = small_bundle(tmp_path / "bundle")
    compounds = root / "nodes/Compound.csv"
    text = compounds.read_text(encoding="utf-8")
    lines = text.splitlines()
    # a blank line before a bad row: the bad row's number counts the blank line, as a person counts lines
    compounds.write_text("\n".join([lines[0], lines[1], "", lines[2].replace("商品房", "别墅"), lines[3]]) + "\n", encoding="utf-8")
    report = _same_outcome(root, tmp_path / "a", monkeypatch)
    assert [p.row for p in report.problems if p.file == "nodes/Compound.csv"] == [4]
    compounds.write_text("\r".join(lines) + "\r\n", encoding="utf-8")
    _same_outcome(root, tmp_path / "b", monkeypatch)
    compounds.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")
    assert _took_columnar(_same_outcome(root, tmp_path / "c", monkeypatch), "Compound")


def test_gb18030_files_take_the_columnar_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = small_bundle(tmp_path / "bundle")
    compounds = root / "nodes/Compound.csv"
    compounds.write_bytes(compounds.read_text(encoding="utf-8").encode("gb18030"))
    report = _same_outcome(root, tmp_path, monkeypatch)
    assert report.ok and _took_columnar(report, "Compound")


def test_every_model_but_fact_has_column_rules() -> None:
    unsupported = []
    for kind, models in (("node", NODE_MODELS), ("rel", REL_MODELS)):
        for name in models:
            try:
                columnar.model_rules(kind, name)
            except columnar.Unsupported:
                unsupported.append(name)
    assert unsupported == ["Fact"]  # its float fields have no column rule: Fact files are read row by row


def test_a_validator_without_a_column_rule_keeps_the_model_on_the_row_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule added to a model must not be skipped: an unknown validator makes the model unsupported."""
    monkeypatch.setattr(columnar, "_KNOWN_MODEL_VALIDATORS", frozenset({"_dates_in_order"}))
    columnar.model_rules.cache_clear()
    try:
        with pytest.raises(columnar.Unsupported):
            columnar.model_rules("node", "Member")  # its _joined_after_birth is now unknown
        columnar.model_rules("node", "Community")
    finally:
        columnar.model_rules.cache_clear()


def test_a_member_too_young_when_joining_is_left_to_the_row_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "bundle"
    with BundleWriter(root, name="m", scope="m", as_of=dt.date(2020, 1, 1)) as w:
        w.write_nodes("Member", [
            {"id": "mem-1", "name": "甲", "gender": "男", "birth_year": 1990, "joined": dt.date(2015, 1, 1)},
            {"id": "mem-2", "name": "乙", "gender": "女", "birth_year": 1990, "joined": dt.date(2003, 1, 1)},
        ])
    report = _same_outcome(root, tmp_path, monkeypatch)
    assert not _took_columnar(report, "Member")
    assert [p.row for p in report.problems] == [3]


def test_spool_batches_leave_out_rows_rejected_after_the_file_passed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A REPORTS_TO cycle is found after its file passed the columnar checks: its row must not be written."""
    root = small_bundle(tmp_path / "bundle")
    _rewrite(root / "rels/REPORTS_TO.csv", lambda rows: rows.append({"source": "org-d", "target": "org-b", "since": "",
                                                                      "until": ""}))
    report = _same_outcome(root, tmp_path, monkeypatch)
    assert _took_columnar(report, "REPORTS_TO")
    assert any("cycle" in p.reason for p in report.problems)
    bundle_file = next(f for f in iter_manifest_files(read_manifest(root)) if f.name == "REPORTS_TO")
    batches = report.spooled_batches(bundle_file, ("PartyOrg", "PartyOrg"))
    assert batches is not None
    written = {(s, t) for b in batches for s, t in zip(b.column("source").to_pylist(), b.column("target").to_pylist(), strict=True)}
    assert len(written) == 3 and len(list(report.spooled_values(bundle_file))) == 3


def test_unplain_files_are_not_read_at_all(tmp_path: Path) -> None:
    root = small_bundle(tmp_path / "bundle")
    compounds = root / "nodes/Compound.csv"
    compounds.write_text(compounds.read_text(encoding="utf-8").replace("小区1", '"小区1"'), encoding="utf-8")
    bundle_file = BundleFile(path="nodes/Compound.csv", kind="node", name="Compound", format="csv")
    assert columnar.read_checked(root, bundle_file, max_field=10_000) is None


def test_the_covers_check_reads_the_spooled_rows_of_a_columnar_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """COVERS rows are checked again once every org's anchor is known; from the spool when the file was columnar."""
    root = small_bundle(tmp_path / "bundle")
    _rewrite(root / "nodes/Subdistrict.csv", lambda rows: rows.append({"id": "440303002", "name": "黄贝街道", "synthetic": ""}))
    _rewrite(root / "nodes/Compound.csv", lambda rows: rows.append({"id": "cmp-9", "name": "别处小区", "kind": "商品房"}))
    _rewrite(root / "nodes/Community.csv", lambda rows: rows.append({"id": "440303002001", "name": "别处社区"}))
    _rewrite(root / "rels/PART_OF.csv", lambda rows: rows.extend([{"source": "440303002", "target": "440303"},
                                                                   {"source": "440303002001", "target": "440303002"}]))
    _rewrite(root / "rels/LOCATED_IN.csv", lambda rows: rows.append({"source": "cmp-9", "target": "440303002001"}))
    _rewrite(root / "rels/COVERS.csv", lambda rows: rows.insert(1, {"source": "org-b", "target": "cmp-9", "mode": "work"}))
    report = _same_outcome(root, tmp_path, monkeypatch)
    assert _took_columnar(report, "COVERS")
    assert [(p.file, p.row, p.column) for p in report.problems] == [("rels/COVERS.csv", 3, "target")]
    assert "cannot cover a place in another subdistrict" in report.problems[0].reason


def test_an_ids_form_names_one_label_only() -> None:
    """The columnar path labels relationship ends by their id's form: no prefix may start another, and
    ``id_labels`` must agree with ``label_for_id``."""
    from graph.model import ID_PREFIXES, label_for_id

    prefixes = list(ID_PREFIXES.values())
    assert all(re.fullmatch(r"[a-z]+-", p) for p in prefixes)  # id_labels reads the letters up to the first '-'
    assert not [(a, b) for a in prefixes for b in prefixes if a != b and b.startswith(a)]
    ids = ["440303", "440303001", "440303001011", *(p + "1" for p in prefixes), "x-1", "4403030", "mem"]
    assert columnar.id_labels(pa.array(ids)).to_pylist() == [label_for_id(i) for i in ids]


def test_a_label_split_over_two_files_still_says_where_a_repeated_id_was_first(tmp_path: Path,
                                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    root = small_bundle(tmp_path / "bundle")
    (root / "nodes/Compound2.csv").write_text("id,name,kind\r\ncmp-7,小区7,商品房\r\ncmp-2,又一个,商品房\r\n", encoding="utf-8")
    (root / "rels/LOCATED_IN2.csv").write_text("source,target\r\ncmp-7,440303001011\r\ncmp-1,440303001011\r\n", encoding="utf-8")
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    files = manifest["files"]
    at = next(i for i, f in enumerate(files) if f["name"] == "Compound")
    files.insert(at + 1, {"path": "nodes/Compound2.csv", "kind": "node", "name": "Compound", "format": "csv"})
    files.append({"path": "rels/LOCATED_IN2.csv", "kind": "rel", "name": "LOCATED_IN", "format": "csv"})
    (root / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    report = _same_outcome(root, tmp_path, monkeypatch)
    assert [(p.file, p.row) for p in report.problems] == [("nodes/Compound2.csv", 3), ("rels/LOCATED_IN2.csv", 3)]
    assert "nodes/Compound.csv row 3" in report.problems[0].reason
    assert "rels/LOCATED_IN.csv row 2" in report.problems[1].reason
