"""Hostile bundles through the whole loader: it loads, or refuses with problems a person can act on,
and a refused load leaves the graph exactly as it was.

tests/test_loader_validation.py checks each validation rule and fuzzes single cells through
``validate_bundle``; here hypothesis breaks whole files (structure, encodings, NUL bytes, huge
fields, duplicate ids, truncation, the manifest) and runs ``load_bundle`` into a graph that already
holds data, so atomicity is what is tested.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.engine import GraphEngine
from graph.ladybug_engine import LadybugEngine
from loaders.export import snapshot
from loaders.load import LoadRefused, load_bundle
from tests.bundles import small_bundle

ENCODINGS = ("utf-16", "utf-32", "big5", "shift_jis", "euc_kr", "cp1252", "latin-1", "gb18030", "utf-8-sig")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_bundle(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, template: Path) -> Iterator[LadybugEngine]:
    """An embedded graph already holding the small bundle: a refused load must leave it as it is."""
    engine = LadybugEngine(tmp_path_factory.mktemp("fuzz-db") / "graph.lbug", buffer_pool_mb=128)
    load_bundle(engine, template)
    yield engine
    engine.close()


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".csv", ".json"))


ARGUMENTS: dict[str, st.SearchStrategy[Any]] = {
    "insert": st.tuples(st.floats(0, 1), st.binary(min_size=1, max_size=40)),  # random bytes anywhere
    "truncate": st.floats(0, 1),  # the file cut short
    "encode": st.sampled_from(ENCODINGS),  # the whole file in another encoding
    "duplicate": st.floats(0, 1),  # a row twice: a duplicate id
    "huge": st.integers(10_001, 300_000),  # a field longer than the limit
    "nul": st.floats(0, 1),  # a NUL byte anywhere
    "quote": st.floats(0, 1),  # an unbalanced quote anywhere
    "swap_header": st.text(max_size=30),  # the header replaced
    "cell": st.text(max_size=60),  # any text in the last cell
}
Edit = tuple[str, str, Any]


@st.composite
def damage(draw: st.DrawFn, files: list[str]) -> list[Edit]:
    """One to three edits (file, kind, argument) to apply to a copy of the bundle."""
    edits = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(sorted(ARGUMENTS)))
        edits.append((draw(st.sampled_from(files)), kind, draw(ARGUMENTS[kind])))
    return edits


def _at(data: bytes, share: float) -> int:
    return int(len(data) * share)


def _edit(name: str, data: bytes, kind: str, argument: Any) -> bytes:
    lines = data.splitlines(keepends=True)
    if kind == "insert":
        share, raw = argument
        return data[:_at(data, share)] + raw + data[_at(data, share):]
    if kind == "truncate":
        return data[:_at(data, argument)]
    if kind == "encode":
        try:
            return data.decode("utf-8").encode(argument, errors="replace")
        except UnicodeDecodeError:
            return data
    if kind in ("nul", "quote"):
        mark = b"\x00" if kind == "nul" else b'"'
        return data[:_at(data, argument)] + mark + data[_at(data, argument):]
    if kind == "swap_header":
        return b"".join([argument.encode("utf-8", "surrogatepass") + b"\n", *lines[1:]])
    if len(lines) < 2:
        return data
    if kind == "duplicate":
        line = lines[1 + int((len(lines) - 2) * argument)]
        return b"".join([*lines, line if line.endswith(b"\n") else line + b"\n"])
    row = 1 if kind == "huge" else len(lines) - 1
    cells = lines[row].rstrip(b"\r\n").split(b",")
    if kind == "huge":
        cells[min(1, len(cells) - 1)] = "长".encode() * argument
    else:  # "cell": any text, quoted as CSV quotes it
        cells[-1] = ('"' + argument.replace('"', '""') + '"').encode("utf-8", "surrogatepass")
    lines[row] = b",".join(cells) + b"\n"
    return b"".join(lines)


def apply(root: Path, edits: list[Edit]) -> None:
    for name, kind, argument in edits:
        path = root / name
        path.write_bytes(_edit(name, path.read_bytes(), kind, argument))


def load_or_refuse(engine: GraphEngine, root: Path) -> bool:
    """Load ``root``: True if it loaded; False if refused, after checking the refusal is clear and wrote nothing."""
    before = snapshot(engine)
    try:
        load_bundle(engine, root)
    except LoadRefused as refused:
        problems = refused.report.problems
        assert problems, "a refusal names its problems"
        for problem in problems:
            assert problem.file and problem.reason and "Traceback" not in problem.reason, problem
        assert refused.rejects_path.is_file(), "the problems are also in rejects.csv"
        assert snapshot(engine) == before, "a refused load wrote something"
        return False
    return True


def test_fuzzed_bundles_load_or_are_refused_cleanly(loaded: LadybugEngine, template: Path) -> None:
    names = [str(p.relative_to(template)) for p in _files(template)]
    outcomes: list[bool] = []

    @settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(edits=damage(names))
    def run(edits: list[Edit]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "bundle"
            shutil.copytree(template, root)
            apply(root, edits)
            outcomes.append(load_or_refuse(loaded, root))
        if outcomes[-1]:
            load_bundle(loaded, template)  # back to the template's graph for the next example

    run()
    assert False in outcomes, "the fuzzer never produced a refused bundle: it is not testing anything"


CASES: dict[str, list[Edit]] = {
    "utf-16 file": [("nodes/Compound.csv", "encode", "utf-16")],
    "big5 file": [("nodes/PartyOrg.csv", "encode", "big5")],
    "nul byte": [("nodes/Building.csv", "nul", 0.6)],
    "huge field": [("nodes/Compound.csv", "huge", 50_000)],
    "duplicate id": [("nodes/PartyOrg.csv", "duplicate", 0.5)],
    "unbalanced quote": [("rels/COVERS.csv", "quote", 0.3)],
    "truncated manifest": [("manifest.json", "truncate", 0.5)],
    "garbage header": [("rels/LOCATED_IN.csv", "swap_header", "源,目标\x00")],
}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_bundles_are_refused_on_both_engines(engine: GraphEngine, template: Path, tmp_path: Path, case: str) -> None:
    load_bundle(engine, template)
    root = tmp_path / "bundle"
    shutil.copytree(template, root)
    apply(root, CASES[case])
    assert load_or_refuse(engine, root) is False, f"{case}: loaded instead of refused"
