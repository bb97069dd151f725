"""Export for neo4j-admin, then Neo4j's own bulk importer: the imported graph must equal a normal load.

One real import and one server start: the reference bundle is exported, imported with
``neo4j-admin database import full`` into a fresh store, served, given the schema, and then every catalog
query must answer as on the embedded engine that loaded the same bundle the normal way.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from graph.engine import GraphEngine
from graph.ladybug_engine import LadybugEngine
from graph.model import NODE_MODELS, REL_MODELS
from graph.neo4j_engine import Neo4jEngine
from graph.neo4j_local import IMPORT_PLAN_NAME, LocalNeo4j, Neo4jLocalError, import_arguments, import_full
from graph.schema import neo4j_ddl
from loaders.export import snapshot
from loaders.load import LoadRefused, load_bundle
from loaders.neo4j_admin import AdminExport, ExportTargetError, export_for_neo4j_admin
from queries import rollup
from queries.catalog import prepare_params, run_catalog
from tests.bundles import small_bundle
from tests.differential import differential
from tests.test_catalog import CASES, DETERMINED_COLUMNS
from tests.test_load import rewrite_csv

pytestmark = pytest.mark.neo4j
runner = CliRunner()


@pytest.fixture(scope="module")
def admin_export(reference_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> AdminExport:
    return export_for_neo4j_admin(reference_bundle, tmp_path_factory.mktemp("admin") / "export")


@pytest.fixture(scope="module")
def imported(admin_export: AdminExport, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jEngine]:
    """A Neo4j server whose store neo4j-admin built from the export, started with the schema created, all by
    ``orggraph neo4j import`` (so the command is what is tested)."""
    home = tmp_path_factory.mktemp("admin-home")
    result = runner.invoke(app, ["neo4j", "import", str(admin_export.out_dir), "--home", str(home), "--heap", "512m"])
    server = LocalNeo4j.attach(home)
    if result.exit_code != 0 or server is None:
        if server is not None:
            server.stop()
        pytest.fail(f"orggraph neo4j import failed:\n{result.output}", pytrace=False)
    nodes, rels = sum(admin_export.nodes.values()), sum(admin_export.relationships.values())
    assert f"imported {nodes:,} nodes and {rels:,} relationships" in " ".join(result.output.split()), result.output
    engine = Neo4jEngine(server.uri)
    try:
        yield engine
    finally:
        engine.close()
        server.stop()


@pytest.mark.parametrize("name", sorted(CASES))
def test_imported_graph_answers_every_catalog_query_like_a_normal_load(
        name: str, imported: Neo4jEngine, reference_embedded: LadybugEngine) -> None:
    pair: tuple[GraphEngine, GraphEngine] = (reference_embedded, imported)
    for raw in CASES[name]:
        if name in DETERMINED_COLUMNS:
            keep = DETERMINED_COLUMNS[name]
            first, second = ([{k: r[k] for k in keep} for r in run_catalog(e, name, raw)] for e in pair)
            assert first == second and first, f"{name}{raw}: {first} != {second}"
            continue
        differential(pair, name, prepare_params(reference_embedded, name, raw))


def test_imported_graph_equals_a_normal_load(imported: Neo4jEngine, reference_embedded: LadybugEngine) -> None:
    """Same nodes and relationships with the same typed properties, plus what Neo4j alone carries."""
    expected, got = snapshot(reference_embedded), snapshot(imported)
    for key in expected:
        assert got[key] == expected[key], key
    count = "MATCH (n:{0}) RETURN count(n) AS n"
    for label in NODE_MODELS:
        assert imported.read(count.format(label)) == reference_embedded.read(count.format(label)), label
    for rel_type in REL_MODELS:
        query = f"MATCH ()-[r:{rel_type}]->() RETURN count(r) AS n"
        assert imported.read(query) == reference_embedded.read(query), rel_type
    # Neo4j only: every node also carries :Entity; the loader's scope bookkeeping is on everything.
    # The coverage roll-up is derived (no Entity, no scope), and computed by the import command as by a load.
    total = imported.read("MATCH (n) WHERE NOT n:CoverageRollup RETURN count(n) AS n")[0]["n"]
    assert imported.read("MATCH (n:Entity) RETURN count(n) AS n")[0]["n"] == total > 15_000
    assert imported.read("MATCH (n) WHERE NOT n:CoverageRollup AND (n.scope <> 'luohu-2018' OR n.scope IS NULL) "
                         "RETURN count(n) AS n") == [{"n": 0}]
    assert rollup.complete(imported) == rollup.complete(reference_embedded) != set()
    assert imported.read("MATCH ()-[r]->() WHERE r.scope <> 'luohu-2018' OR r.scope IS NULL RETURN count(r) AS n") == [{"n": 0}]
    dataset = imported.read("MATCH (d:Dataset) RETURN d.id AS id, d.as_of AS as_of, d.scope AS scope")
    assert dataset == reference_embedded.read("MATCH (d:Dataset) RETURN d.id AS id, d.as_of AS as_of, d.scope AS scope")
    constraints = imported.read("SHOW CONSTRAINTS YIELD name RETURN count(*) AS n")[0]["n"]
    assert constraints == sum(s.startswith("CREATE CONSTRAINT") for s in neo4j_ddl())


def test_export_files_are_typed_and_listed(admin_export: AdminExport) -> None:
    out = admin_export.out_dir
    assert (out / "nodes/Member.header.csv").read_text().strip() == (
        "id:ID,synthetic:boolean,name,gender,birth_year:long,joined:date,mobile:boolean,category,delegate,scope,:LABEL")
    assert (out / "rels/COVERS.header.csv").read_text().strip() == (
        ":START_ID,:END_ID,:TYPE,since:date,until:date,mode,formation,scope")
    assert "value:double" in (out / "nodes/Fact.header.csv").read_text()
    first = (out / "nodes/District.csv").read_text(encoding="utf-8").splitlines()[0]
    assert first == '"440303",false,"罗湖区","luohu-2018","lhq","District;Entity"'  # the derived initials last
    assert admin_export.nodes["Dataset"] == 1 and not admin_export.multiline_fields
    args = import_arguments(out)
    assert args[:3] == ["database", "import", "full"] and args[-1] == "neo4j"
    assert f"--nodes={out / 'nodes/Member.header.csv'},{out / 'nodes/Member.csv'}" in args
    assert sum(a.startswith("--relationships=") for a in args) == len(admin_export.relationships)
    assert (out / "schema.cypher").read_text().count(";\n") == len(neo4j_ddl())
    assert (out / IMPORT_PLAN_NAME).is_file()


def test_text_is_quoted_so_commas_quotes_and_line_breaks_survive(tmp_path: Path) -> None:
    bundle = small_bundle(tmp_path / "b")
    tricky = '测试路\n1号, "A"座'
    rewrite_csv(bundle / "nodes/Compound.csv", change=lambda r: {**r, "address": tricky} if r["id"] == "cmp-1" else r)
    result = export_for_neo4j_admin(bundle, tmp_path / "out")
    assert result.multiline_fields and "--multiline-fields=true" in result.command()
    rows = _admin_rows(result.out_dir, "nodes/Compound")
    assert rows[0]["address"] == tricky and rows[1]["address"] is None  # empty unquoted: no property
    assert rows[0]["households:long"] is None and rows[0][":LABEL"] == "Compound;Entity"


def _admin_rows(out: Path, stem: str) -> list[dict[str, Any]]:
    """Rows as neo4j-admin reads them: RFC 4180 quoting, and an empty field (unquoted: strings are always quoted) is null."""
    header = (out / f"{stem}.header.csv").read_text(encoding="utf-8").strip().split(",")
    with open(out / f"{stem}.csv", encoding="utf-8", newline="") as handle:
        return [{h: (v if v != "" else None) for h, v in zip(header, row, strict=True)} for row in csv.reader(handle)]


def test_a_bad_bundle_gives_the_loaders_problems_and_writes_nothing(tmp_path: Path) -> None:
    bundle = small_bundle(tmp_path / "b")
    rewrite_csv(bundle / "nodes/Compound.csv", change=lambda r: {**r, "kind": "别墅"} if r["id"] == "cmp-2" else r)
    rewrite_csv(bundle / "rels/LOCATED_IN.csv", change=lambda r: {**r, "target": "440303009999"} if r["source"] == "bld-2" else r)
    engine = LadybugEngine(tmp_path / "db", buffer_pool_mb=64)
    with pytest.raises(LoadRefused) as by_loader:
        load_bundle(engine, bundle, rejects_path=tmp_path / "load-rejects.csv")
    engine.close()
    out = tmp_path / "out"
    with pytest.raises(LoadRefused) as by_export:
        export_for_neo4j_admin(bundle, out, rejects_path=tmp_path / "export-rejects.csv")
    # The same problems, except that an unknown id cannot be "in the graph": the import makes a new store.
    loader_said = [(p.file, p.row, p.column, p.reason.replace(" nor in the graph", "")) for p in by_loader.value.report.problems]
    assert [(p.file, p.row, p.column, p.reason) for p in by_export.value.report.problems] == loader_said
    where = [(p.file, p.row, p.column) for p in by_export.value.report.problems]
    assert where[0] == ("nodes/Compound.csv", 3, "kind") and ("rels/LOCATED_IN.csv", 6, "target") in where
    assert (tmp_path / "export-rejects.csv").read_text().count("\n") == (tmp_path / "load-rejects.csv").read_text().count("\n")
    assert not out.exists() and not list(tmp_path.glob(".out.partial-*"))

    result = runner.invoke(app, ["export", str(bundle), "--neo4j-admin", str(out)])
    assert result.exit_code == 2, result.output
    assert "nodes/Compound.csv" in result.output and "Nothing was written" in result.output
    assert not out.exists()


def test_the_output_directory_must_be_new_or_empty(tmp_path: Path) -> None:
    bundle = small_bundle(tmp_path / "b")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(ExportTargetError, match="not an empty directory"):
        export_for_neo4j_admin(bundle, tmp_path / "full")
    assert [p.name for p in (tmp_path / "full").iterdir()] == ["keep.txt"]
    with pytest.raises(ExportTargetError, match="','"):
        export_for_neo4j_admin(bundle, tmp_path / "a,b")
    (tmp_path / "empty").mkdir()
    assert export_for_neo4j_admin(bundle, tmp_path / "empty").nodes["Compound"] == 3


def test_cli_prints_the_command(tmp_path: Path) -> None:
    bundle = small_bundle(tmp_path / "b")
    out = tmp_path / "out"
    result = runner.invoke(app, ["export", str(bundle), "--neo4j-admin", str(out), "--database", "luohu"])
    assert result.exit_code == 0, result.output
    command = next(line for line in result.output.splitlines() if line.startswith("neo4j-admin "))
    assert command.endswith(" luohu") and f"--nodes={out / 'nodes/District.header.csv'}" in command
    assert f"-f {out / 'schema.cypher'}" in result.output
    bad = runner.invoke(app, ["export", str(bundle), "--neo4j-admin", str(tmp_path / "o2"), "--database", "No_Such!"])
    assert bad.exit_code == 1 and "database name" in bad.output and not (tmp_path / "o2").exists()


def test_a_failed_import_leaves_no_store(tmp_path: Path) -> None:
    """Data that passed validation but was changed afterwards: the importer fails, naming the file and line."""
    out = export_for_neo4j_admin(small_bundle(tmp_path / "b"), tmp_path / "out").out_dir
    with open(out / "rels/LOCATED_IN.csv", "a", encoding="utf-8") as handle:
        handle.write('"cmp-1","nowhere",LOCATED_IN,,,"small"\n')
    home = tmp_path / "home"
    with pytest.raises(Neo4jLocalError, match="nowhere"):
        import_full(home, out, max_off_heap="128m")
    assert not (home / "data" / "databases" / "neo4j").exists()
    assert not (home / "data" / "transactions" / "neo4j").exists()
    shutil.rmtree(home)


def test_files_written_from_record_batches_equal_the_text_lines(reference_bundle: Path,
                                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The files the column-at-a-time validation spooled as Arrow batches are written by Arrow's CSV writer; byte for
    byte they must be what the text lines (the path of every other file) give."""
    import loaders.neo4j_admin as admin

    batched = []
    real = admin._with_constant
    monkeypatch.setattr(admin, "_with_constant", lambda *a: batched.append(a[0].num_rows) or real(*a))
    fast = export_for_neo4j_admin(reference_bundle, tmp_path / "fast").out_dir
    assert sum(batched) > 40_000  # the reference bundle went through Arrow, not the lines
    monkeypatch.setattr(admin, "_arrow_writes", lambda columns: False)
    slow = export_for_neo4j_admin(reference_bundle, tmp_path / "slow").out_dir
    names = sorted(p.relative_to(slow).as_posix() for p in slow.rglob("*.csv"))
    assert names == sorted(p.relative_to(fast).as_posix() for p in fast.rglob("*.csv")) and len(names) > 30
    names.append(IMPORT_PLAN_NAME)  # the plan: the same files, row counts and multiline flag
    for name in names:
        assert (fast / name).read_bytes() == (slow / name).read_bytes(), name


def test_neo4j_import_of_a_bundle_is_one_step_to_a_served_store_equal_to_a_normal_load(tmp_path: Path) -> None:
    """`orggraph neo4j import BUNDLE`: validation, the files, neo4j-admin, the server, schema and roll-up; no files left."""
    bundle, home = small_bundle(tmp_path / "b"), tmp_path / "home"
    expected_engine = LadybugEngine(tmp_path / "db", buffer_pool_mb=64)
    try:
        load_bundle(expected_engine, bundle)
        expected, expected_rollup = snapshot(expected_engine), rollup.complete(expected_engine)
    finally:
        expected_engine.close()
    result = runner.invoke(app, ["neo4j", "import", str(bundle), "--home", str(home), "--heap", "512m"])
    server = LocalNeo4j.attach(home)
    try:
        assert result.exit_code == 0 and server is not None, result.output
        text = " ".join(result.output.split())
        nodes = sum(len(rows) for name, rows in expected.items() if name in NODE_MODELS)  # the Dataset node included
        rels = sum(len(rows) for name, rows in expected.items() if name in REL_MODELS)
        assert f"imported {nodes:,} nodes and {rels:,} relationships" in text, text[text.find("imported"):][:80]
        for phase in ("validate", "write CSV", "import", "start", "schema", "roll-up"):
            assert f"│ {phase} " in result.output, phase
        with Neo4jEngine(server.uri) as engine:
            assert snapshot(engine) == expected
            assert rollup.complete(engine) == expected_rollup != set()
            assert {r["name"] for r in engine.read("SHOW INDEXES YIELD name RETURN name")} >= {"entity_id", "name_bigrams"}
    finally:
        if server is not None:
            server.stop()
    assert not list(home.glob("bulk-load-*"))  # the scratch export is gone


def test_neo4j_import_refuses_an_existing_database_a_bad_bundle_and_a_plain_folder(tmp_path: Path) -> None:
    bundle = small_bundle(tmp_path / "b")
    existing = tmp_path / "existing"
    (existing / "data" / "databases" / "neo4j").mkdir(parents=True)
    refused = runner.invoke(app, ["neo4j", "import", str(bundle), "--home", str(existing)])
    assert refused.exit_code == 1 and "already holds a Neo4j database" in " ".join(refused.output.split())
    assert not (bundle / "rejects.csv").exists()  # refused before reading the bundle

    rewrite_csv(bundle / "nodes/Compound.csv", change=lambda r: {**r, "kind": "别墅"} if r["id"] == "cmp-2" else r)
    home = tmp_path / "home"
    bad = runner.invoke(app, ["neo4j", "import", str(bundle), "--home", str(home)])
    assert bad.exit_code == 2 and "nodes/Compound.csv" in bad.output and "Nothing was written" in bad.output
    assert (bundle / "rejects.csv").is_file()
    assert not (home / "data" / "databases" / "neo4j").exists() and not list(home.glob("bulk-load-*"))

    comma = runner.invoke(app, ["neo4j", "import", str(bundle), "--home", str(tmp_path / "a,b")])
    assert comma.exit_code == 1 and "must not hold one" in " ".join(comma.output.split())

    plain = runner.invoke(app, ["neo4j", "import", str(tmp_path / "b" / "nodes"), "--home", str(tmp_path / "h2")])
    assert plain.exit_code == 1 and "neither a bundle" in " ".join(plain.output.split())
