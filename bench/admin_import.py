"""Bulk-import benchmark: the reference bundle exported for neo4j-admin and imported by Neo4j's own tool.

``python -m bench.admin_import [--scales 1,10,100] [--max-off-heap 1g] [--threads N] [--keep]``

For each scale: ``export_for_neo4j_admin`` (the loader's validation, then the CSV and header files),
then ``neo4j-admin database import full`` into a fresh home (``graph.neo4j_local.import_full``, JVM start
included). No server is started: the import is the whole cost of getting the data into a store; the
indexes and constraints are created after the first start and are not timed here.

Prints a markdown table and saves the raw figures to ``data/bench/results/admin-import-*.json``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import BENCH_DIR, bundle, describe_machine, dir_size, machine, md_table, parse_list, save_results


def export_and_import(root: Path, export_dir: Path, home: Path, *, max_off_heap: str = "1g",
                      threads: int | None = None) -> dict[str, Any]:
    """``orggraph export --neo4j-admin`` of the bundle ``root`` into ``export_dir``, then ``neo4j-admin database
    import full`` into ``home`` (a fresh one), checked: the figures of both steps."""
    from loaders.neo4j_admin import export_for_neo4j_admin
    from loaders.neo4j_bulk import import_checked

    started = time.perf_counter()
    export = export_for_neo4j_admin(root, export_dir)
    exported = time.perf_counter()
    expected = (sum(export.nodes.values()), sum(export.relationships.values()))
    result = import_checked(home, export.out_dir, expected=expected, max_off_heap=max_off_heap, threads=threads)
    finished = time.perf_counter()
    return {"rows": export.total_rows, "nodes": result.nodes, "relationships": result.relationships,
            "validate_s": export.validate_seconds, "write_csv_s": export.write_seconds, "export_s": exported - started,
            "import_s": finished - exported, "total_s": finished - started,
            "export_mb": dir_size(export.out_dir) / 2**20}


def run_scale(scale: int, args: argparse.Namespace) -> dict[str, Any]:
    """Export and import one scale in a scratch directory under data/bench (removed unless ``--keep``)."""
    root = bundle(scale)
    scratch = Path(tempfile.mkdtemp(prefix=f"admin-import-s{scale}-", dir=BENCH_DIR))
    try:
        figures = export_and_import(root, scratch / "export", scratch / "home", max_off_heap=args.max_off_heap,
                                    threads=args.threads)
        return {"scale": scale, **figures, "store_mb": dir_size(scratch / "home" / "data") / 2**20,
                "loadavg_end": os.getloadavg()}
    finally:
        if args.keep:
            print(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def print_report(info: dict[str, Any], runs: list[dict[str, Any]]) -> None:
    print(f"\n## neo4j-admin bulk import (`python -m bench.admin_import`, {info['date'][:10]})\n")
    print(f"Machine: {describe_machine(info)}; load average at the start {info['loadavg_start'][0]:.2f}.\n")
    headers = ["scale", "rows", "validate s", "write CSV s", "export s", "export rows/s", "neo4j-admin import s",
               "import rows/s", "total s", "total rows/s", "CSV MiB", "store MiB"]
    table = [[r["scale"], r["rows"], r["validate_s"], r["write_csv_s"], r["export_s"], round(r["rows"] / r["export_s"]),
              r["import_s"], round(r["rows"] / r["import_s"]), r["total_s"], round(r["rows"] / r["total_s"]), r["export_mb"], r["store_mb"]]
             for r in runs]
    print(md_table(headers, table))
    ends = ", ".join(f"s{r['scale']}: {r['loadavg_end'][0]:.2f}" for r in runs)
    print(f"\nLoad average (1 min) at the end of each scale: {ends}. *Import* includes the JVM start of neo4j-admin.")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.admin_import", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,10,100", help="comma-separated scales of the reference bundle")
    parser.add_argument("--max-off-heap", default="1g", help="neo4j-admin --max-off-heap-memory")
    parser.add_argument("--threads", type=int, default=None, help="neo4j-admin --threads (default: all cores)")
    parser.add_argument("--keep", action="store_true", help="keep the export and the store")
    args = parser.parse_args()
    info = machine()
    runs = []
    for scale in map(int, parse_list(args.scales)):
        runs.append(run_scale(scale, args))
        print(f"scale {scale}: {runs[-1]['rows']:,} rows, export {runs[-1]['export_s']:.1f} s, "
              f"import {runs[-1]['import_s']:.1f} s", flush=True)
    print_report(info, runs)
    print(f"\nraw figures: {save_results('admin-import', {'machine': info, 'args': vars(args), 'runs': runs})}")


if __name__ == "__main__":
    main()
