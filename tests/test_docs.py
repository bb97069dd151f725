"""Documentation that is generated from the code stays true to it."""

from __future__ import annotations

from pathlib import Path

from loaders.template import readme_text

ROOT = Path(__file__).resolve().parents[1]


def test_data_format_doc_matches_the_model() -> None:
    doc = (ROOT / "docs" / "data-format.md").read_text(encoding="utf-8")
    generated = readme_text().split("\n", 1)[1]
    assert generated in doc, "docs/data-format.md is stale: regenerate it from loaders.template.readme_text()"


def test_readme_shows_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
