"""The command line: help texts, load, query, template, reference."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from tests.bundles import small_bundle
from tests.test_load import rewrite_csv

runner = CliRunner()


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "load", "query", "neo4j", "demo", "reference", "template", "viz", "keys", "rollup"):
        assert command in result.output
    for command in ("start", "stop", "status"):
        assert command in runner.invoke(app, ["neo4j", "--help"]).output


def test_load_then_query(tmp_path: Path) -> None:
    db = tmp_path / "db"
    bundle = small_bundle(tmp_path / "b")
    result = runner.invoke(app, ["--db-path", str(db), "load", str(bundle), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "Compound" in result.output and "rows/s" in result.output
    result = runner.invoke(app, ["--db-path", str(db), "query", "gaps_compounds", "-p", "mode=work", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["id"] for r in rows] == ["cmp-3"]
    result = runner.invoke(app, ["--db-path", str(db), "query", "gaps_compounds", "-p", "mode=everything"])
    assert result.exit_code == 1 and "mode" in result.output
    listing = runner.invoke(app, ["--db-path", str(db), "query"])
    assert "coverage_compounds" in listing.output


def test_rollup_recomputes_the_stored_coverage(tmp_path: Path) -> None:
    db = tmp_path / "db"
    loaded = runner.invoke(app, ["--db-path", str(db), "load", str(small_bundle(tmp_path / "b")), "--quiet"])
    assert "coverage roll-up (derived)" in loaded.output
    result = runner.invoke(app, ["--db-path", str(db), "rollup"])
    assert result.exit_code == 0, result.output
    assert "as-of 2020-01-01" in result.output
    assert "orggraph load" in runner.invoke(app, ["rollup", "--help"]).output
    empty = runner.invoke(app, ["--db-path", str(tmp_path / "empty"), "rollup"])
    assert empty.exit_code == 0 and "none (no dataset loaded)" in empty.output


def test_invalid_bundle_exits_2_with_the_problems(tmp_path: Path) -> None:
    bundle = small_bundle(tmp_path / "b")
    rewrite_csv(bundle / "nodes/Building.csv", change=lambda r: {**r, "floors": "0"} if r["id"] == "bld-2" else r)
    result = runner.invoke(app, ["--db-path", str(tmp_path / "db"), "load", str(bundle), "--quiet"])
    assert result.exit_code == 2
    assert "Nothing was written" in " ".join(result.output.split())
    assert "nodes/Building.csv" in result.output and "floors" in result.output
    assert (bundle / "rejects.csv").exists()


def test_template_and_reference(tmp_path: Path) -> None:
    result = runner.invoke(app, ["template", str(tmp_path / "t")])
    assert result.exit_code == 0 and (tmp_path / "t" / "manifest.json").exists()
    assert (tmp_path / "t" / "nodes" / "Compound.csv").read_text(encoding="utf-8").startswith("id,")
    result = runner.invoke(app, ["reference", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert len((tmp_path / "r" / "nodes" / "Compound.csv").read_text(encoding="utf-8").splitlines()) == 930
