"""The ``orggraph`` command line.

Every command takes the engine from ``--engine`` / ``--db-path`` / ``--neo4j-uri`` or the
``ORGGRAPH_*`` settings (see ``orggraph --help`` and docs/configuration in the README).
"""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from api import __version__
from api.cli_keys import keys_app
from api.cli_viz import viz_app
from api.settings import EngineKind, Settings
from graph.errors import GraphError

app = typer.Typer(
    name="orggraph",
    help="Graph knowledge system of urban grassroots Party building (Luohu District first).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
neo4j_app = typer.Typer(help="Run a local Neo4j server from neo4j-local/ (no Docker needed).", no_args_is_help=True)
app.add_typer(neo4j_app, name="neo4j")
app.add_typer(viz_app, name="viz")
app.add_typer(keys_app, name="keys")

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


class _State:
    overrides: dict[str, Any] = {}  # noqa: RUF012 - one process, one CLI invocation


def settings() -> Settings:
    """Settings from the environment, with the command line's global options on top."""
    return Settings(**_State.overrides)


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        console.print(f"orggraph {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    engine: Annotated[EngineKind | None, typer.Option(help="Graph engine: embedded (LadybugDB) or neo4j. "
                                                      "Default: ORGGRAPH_ENGINE or embedded.")] = None,
    db_path: Annotated[Path | None, typer.Option(help="Embedded database directory. Default: ORGGRAPH_DB_PATH "
                                                 "or data/orggraph.lbug.")] = None,
    neo4j_uri: Annotated[str | None, typer.Option(help="Neo4j URI, bolt:// or neo4j://. Default: ORGGRAPH_NEO4J_URI.")] = None,
    neo4j_database: Annotated[str | None, typer.Option(help="Neo4j database name. Default: neo4j.")] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")] = False,
) -> None:
    """Global options; each may also be set as an ORGGRAPH_* environment variable."""
    given = {"engine": engine, "db_path": db_path, "neo4j_uri": neo4j_uri, "neo4j_database": neo4j_database}
    _State.overrides = {k: v for k, v in given.items() if v is not None}


# ------------------------------------------------------------------------------------------ serve


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on. Default: ORGGRAPH_HOST or 127.0.0.1.")] = None,
    port: Annotated[int | None, typer.Option(help="Port. Default: ORGGRAPH_PORT or 8000.")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve the HTTP API, the web pages and the network views.

    Every other setting comes from ORGGRAPH_* environment variables or a .env file (api/settings.py; README
    and docs/deployment.md list them). Off loopback, API keys are required (orggraph keys create).
    """
    import uvicorn

    from api.app import create_app

    config = settings().model_copy(update={k: v for k, v in {"host": host, "port": port}.items() if v is not None})
    console.print(f"orggraph {__version__}: [bold]{config.engine}[/] engine, http://{config.host}:{config.port}/api/v1/health")
    uvicorn.run(create_app(config), host=config.host, port=config.port, log_level=log_level)


# ------------------------------------------------------------------------------------------ load


@app.command()
def load(
    bundle: Annotated[Path, typer.Argument(help="Bundle folder (with manifest.json).", exists=True, file_okay=False)],
    skip_invalid: Annotated[bool, typer.Option("--skip-invalid", help="Write the valid rows even if some are invalid; "
                                               "the invalid ones go to rejects.csv.")] = False,
    sync: Annotated[bool, typer.Option("--sync", help="Also remove entities of the bundle's scope that the bundle no "
                                       "longer holds.")] = False,
    batch_size: Annotated[int, typer.Option(min=1, max=100_000, help="Rows per write transaction.")] = 5000,
    rejects: Annotated[Path | None, typer.Option(help="Where to write rejects.csv. Default: BUNDLE/rejects.csv.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Validate a bundle and load it into the graph (atomic by default: any invalid row, nothing written)."""
    from loaders.load import LoadRefused, bulk_load_tip, load_bundle
    from loaders.progress import rich_progress, show_problems

    start = time.perf_counter()
    try:
        with settings().open_engine() as engine, rich_progress(disabled=quiet) as progress:
            result = load_bundle(engine, bundle, skip_invalid=skip_invalid, sync=sync, batch_size=batch_size,
                                 rejects_path=rejects, progress=progress)
    except LoadRefused as exc:
        show_problems(err_console, exc.report.problems)
        raise fail(f"{exc} Nothing was written. Problems: {exc.rejects_path}", code=2) from None
    except GraphError as exc:
        raise fail(str(exc)) from None
    if result.problems:
        show_problems(err_console, result.problems)
        err_console.print(f"[yellow]{len(result.problems)} invalid row(s) skipped; see {result.rejects_path}[/]")
    table = Table(title=f"Loaded {bundle} into {result.engine}")
    table.add_column("label / type")
    table.add_column("rows", justify="right")
    for name, count in result.written.items():
        table.add_row(name, f"{count:,}")
    if result.removed:
        table.add_row("removed (--sync)", f"{result.removed:,}")
    table.add_row("coverage roll-up (derived)", f"{result.rollup_rows:,}")
    console.print(table)
    elapsed = time.perf_counter() - start
    console.print(f"{result.total_rows:,} rows in {elapsed:.1f} s ({result.total_rows / max(elapsed, 1e-9):,.0f} rows/s)")
    if (tip := bulk_load_tip(result)) is not None:
        console.print(f"[dim]{tip}[/]", soft_wrap=True)


@app.command("rollup")
def rollup_command() -> None:
    """Recompute the coverage roll-up (the stored coverage counts at each dataset's as-of date).

    Every `orggraph load` does this itself; run it after changing the graph by other means (Cypher by
    hand, another tool, `neo4j import --no-start`), or the coverage summaries may show the old counts.
    """
    from queries import rollup

    start = time.perf_counter()
    try:
        with settings().open_engine() as engine, console.status("computing the coverage roll-up…"):
            engine.create_schema()  # a store made before roll-ups existed has no table for them yet
            rows = rollup.rebuild(engine)
            stored = sorted(rollup.complete(engine))
    except GraphError as exc:
        raise fail(str(exc)) from None
    dates = ", ".join(sorted({as_of.isoformat() for _, as_of in stored})) or "none (no dataset loaded)"
    console.print(f"coverage roll-up: {rows:,} rows for as-of {dates} in {time.perf_counter() - start:.1f} s")


@app.command()
def export(
    bundle: Annotated[Path, typer.Argument(help="Bundle folder (with manifest.json).", exists=True, file_okay=False)],
    neo4j_admin: Annotated[Path, typer.Option("--neo4j-admin", help="Folder to write the neo4j-admin import files to "
                                              "(must not exist or be empty; appears only when complete).")],
    database: Annotated[str, typer.Option(help="Database name for the printed neo4j-admin command.")] = "neo4j",
    rejects: Annotated[Path | None, typer.Option(help="Where to write rejects.csv. Default: BUNDLE/rejects.csv.")] = None,
) -> None:
    """Validate a bundle like `load` and write it as the CSV and header files of `neo4j-admin database import full`."""
    import shlex

    from graph.neo4j_local import check_database_name
    from loaders.load import LoadRefused
    from loaders.neo4j_admin import ExportTargetError, export_for_neo4j_admin
    from loaders.progress import show_problems

    start = time.perf_counter()
    try:
        check_database_name(database)
    except ValueError as exc:
        raise fail(f"--database: {exc}") from None
    try:
        with console.status("validating and writing…"):
            result = export_for_neo4j_admin(bundle, neo4j_admin, rejects_path=rejects)
    except LoadRefused as exc:
        show_problems(err_console, exc.report.problems)
        raise fail(f"{exc} Nothing was written. Problems: {exc.rejects_path}", code=2) from None
    except ExportTargetError as exc:
        raise fail(str(exc)) from None
    table = Table(title="Written for neo4j-admin", caption=str(result.out_dir))
    table.add_column("label / type")
    table.add_column("rows", justify="right")
    for name, count in {**result.nodes, **result.relationships}.items():
        table.add_row(name, f"{count:,}")
    console.print(table)
    elapsed = time.perf_counter() - start
    console.print(f"{result.total_rows:,} rows in {elapsed:.1f} s ({result.total_rows / max(elapsed, 1e-9):,.0f} rows/s)")
    console.print(f"Import with Neo4j stopped, into a database that does not exist yet ({result.out_dir / 'neo4j-admin.json'} "
                  "lists the files):", soft_wrap=True)
    sys.stdout.write(shlex.join(result.command(database)) + "\n")
    console.print("Then start Neo4j and create the indexes and constraints (the importer makes none):", soft_wrap=True)
    sys.stdout.write(shlex.join(["cypher-shell", "-d", database, "-f", str(result.out_dir / "schema.cypher")]) + "\n")


# ------------------------------------------------------------------------------------------ query


@app.command("query")
def query_command(
    name: Annotated[str | None, typer.Argument(help="Catalog query name; omit to list the catalog.")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="Parameter as key=value (repeatable); "
                                                    "values are parsed as JSON when they can be (numbers, true).")] = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
) -> None:
    """Run a catalog query (read-only) and print its rows."""
    from pydantic import ValidationError

    from queries.catalog import UnknownQueryError, get_query, load_catalog, run_catalog

    if name is None:
        table = Table(title="Query catalog (orggraph query NAME -p key=value)")
        table.add_column("name", no_wrap=True)
        table.add_column("标题")
        table.add_column("parameters")
        for q in load_catalog().values():
            table.add_row(q.name, q.title_zh, ", ".join(q.parameters))
        console.print(table)
        return
    try:
        query = get_query(name)
    except UnknownQueryError:
        raise fail(f"no catalog query named {name!r}; `orggraph query` lists them") from None
    params = _parse_params(param or [])
    try:
        with settings().open_engine(read_only=True) as engine:
            rows = run_catalog(engine, query.name, params)
    except ValidationError as exc:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise fail(f"bad parameter for {name}: {reasons}") from None
    except GraphError as exc:
        raise fail(str(exc)) from None
    _print_rows(rows, output_format)


def _parse_params(pairs: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise fail(f"--param {pair!r}: expected key=value")
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
    return params


def _print_rows(rows: list[dict[str, Any]], output_format: str) -> None:
    if output_format == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2, default=str) + "\n")
    elif output_format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else [])
        writer.writeheader()
        writer.writerows({k: json.dumps(v, ensure_ascii=False, default=str) if isinstance(v, dict | list) else v
                          for k, v in r.items()} for r in rows)
    elif output_format == "table":
        table = Table(caption=f"{len(rows)} row(s)")
        for col in rows[0] if rows else []:
            table.add_column(col)
        for r in rows:
            table.add_row(*(json.dumps(v, ensure_ascii=False, default=str) if isinstance(v, dict | list) else str(v)
                            for v in r.values()))
        console.print(table)
    else:
        raise fail(f"--format {output_format!r}: expected table, json or csv")


# ------------------------------------------------------------------------------------------ data


@app.command()
def reference(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the bundle to (created).")],
    scale: Annotated[int, typer.Option(min=1, max=1000, help="Multiply compounds, buildings, enterprises, members and "
                                       "projects by N (benchmarks).")] = 1,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 2018,
) -> None:
    """Write the "Luohu 2018" reference dataset as a bundle."""
    from loaders.reference import generate

    start = time.perf_counter()
    with console.status("generating…") as status:
        manifest = generate(out_dir, scale=scale, seed=seed,
                            progress=lambda label, n: status.update(f"generating {label}: {n:,}"))
    console.print(f"wrote {len(manifest.files)} files to {out_dir} in {time.perf_counter() - start:.1f} s")


@app.command()
def template(out_dir: Annotated[Path, typer.Argument(help="Folder to write the empty bundle template to.")]) -> None:
    """Write an empty bundle: a header-only file per label and type, the manifest, and a README of the columns."""
    from loaders.template import write_template

    paths = write_template(out_dir)
    console.print(f"wrote {len(paths)} files to {out_dir}; see {out_dir / 'README.md'}")


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    scale: Annotated[int, typer.Option(min=1, help="Reference dataset scale.")] = 1,
) -> None:
    """Generate the reference dataset (once), load it into the embedded engine and serve it."""
    bundle = Path("data") / ("reference-luohu-2018" if scale == 1 else f"reference-luohu-2018-x{scale}")
    if not (bundle / "manifest.json").exists():
        reference(bundle, scale=scale, seed=2018)
    _State.overrides["engine"] = "embedded"
    load(bundle, skip_invalid=False, sync=False, batch_size=5000, rejects=None, quiet=False)
    serve(host=None, port=port, log_level="info")


# ------------------------------------------------------------------------------------------ neo4j

NEO4J_HOME_HELP = "Server home directory (data, logs, conf). Default: neo4j-local/run."


@neo4j_app.command("start")
def neo4j_start(
    home: Annotated[Path | None, typer.Option(help=NEO4J_HOME_HELP)] = None,
    port: Annotated[int | None, typer.Option(help="Bolt port on 127.0.0.1. Default: a free one.")] = None,
) -> None:
    """Start a local Neo4j 5 Community server (builds the jars with Maven on first use)."""
    from graph.neo4j_local import DEFAULT_HOME, LocalNeo4j, Neo4jLocalError, ensure_jars

    home = home or DEFAULT_HOME
    running = LocalNeo4j.attach(home)
    if running:
        console.print(f"already running: {running.uri} (pid {running.pid})")
        return
    try:
        with console.status("fetching Neo4j jars (first time only)…"):
            ensure_jars()
        with console.status("starting Neo4j…"):
            server = LocalNeo4j.start(home, port)
    except Neo4jLocalError as exc:
        raise fail(str(exc)) from None
    console.print(f"Neo4j is up at [bold]{server.uri}[/] (pid {server.pid}, {server.startup_seconds:.1f} s).\n"
                  f"Use it: ORGGRAPH_ENGINE=neo4j ORGGRAPH_NEO4J_URI={server.uri} orggraph …")


@neo4j_app.command("stop")
def neo4j_stop(home: Annotated[Path | None, typer.Option(help=NEO4J_HOME_HELP)] = None) -> None:
    """Stop the local Neo4j server cleanly."""
    from graph.neo4j_local import DEFAULT_HOME, LocalNeo4j

    server = LocalNeo4j.attach(home or DEFAULT_HOME)
    if server is None:
        console.print("not running")
        return
    server.stop()
    console.print("stopped")


@neo4j_app.command("import")
def neo4j_import(
    source: Annotated[Path, typer.Argument(help="A bundle folder (with manifest.json), or a directory written by "
                                                "`orggraph export BUNDLE --neo4j-admin DIR`.",
                                           exists=True, file_okay=False, metavar="BUNDLE_OR_EXPORT")],
    home: Annotated[Path | None, typer.Option(help=NEO4J_HOME_HELP + " Its database must not exist yet.")] = None,
    port: Annotated[int | None, typer.Option(help="Bolt port of the server started afterwards. Default: a free one.")] = None,
    heap: Annotated[str, typer.Option(help="Java heap of the importer.")] = "1g",
    start: Annotated[bool, typer.Option(help="Start the server afterwards, create the indexes and constraints and "
                                             "compute the coverage roll-up.")] = True,
    rejects: Annotated[Path | None, typer.Option(help="For a bundle: where to write rejects.csv. Default: BUNDLE/rejects.csv.")] = None,
) -> None:
    """Build a new local Neo4j store with Neo4j's own bulk importer (neo4j-admin database import full).

    The fastest first load of a big bundle: 55,000-62,000 rows/s at scale 100 on 2 cores, about 2.5 times `orggraph load`.

    A bundle is validated like `load` (nothing written on any problem), written for the importer in a scratch folder, then imported.

    The store must not exist yet: use a new --home.

    The importer makes no indexes or constraints, so the server is then started, they are created, and the coverage roll-up computed.

    With --no-start, do that later: `orggraph neo4j start --home HOME`, then `orggraph --engine neo4j --neo4j-uri URI rollup`.
    """
    from graph.neo4j_local import DEFAULT_HOME, IMPORT_PLAN_NAME, Neo4jLocalError, ensure_jars
    from loaders.bundle import MANIFEST_NAME
    from loaders.load import LoadRefused
    from loaders.neo4j_bulk import PHASES, bulk_load, check_new_home, finish_by_hand, import_export
    from loaders.progress import show_problems

    is_bundle = (source / MANIFEST_NAME).is_file()
    if not is_bundle and not (source / IMPORT_PLAN_NAME).is_file():
        raise fail(f"{source}: neither a bundle (no {MANIFEST_NAME}) nor an export for neo4j-admin (no {IMPORT_PLAN_NAME})")
    if rejects is not None and not is_bundle:
        raise fail(f"--rejects is for a bundle; {source} is an export, validated when it was written")
    home = home or DEFAULT_HOME
    try:
        check_new_home(home)  # before the slow steps
        with console.status("fetching Neo4j jars (first time only)…"):
            ensure_jars()
        with console.status("…") as status:
            def on_phase(phase: str) -> None:
                status.update(f"{PHASES[phase]}…")

            if is_bundle:
                result = bulk_load(source, home, port=port, heap=heap, start=start, rejects_path=rejects, on_phase=on_phase)
            else:
                result = import_export(source, home, port=port, heap=heap, start=start, on_phase=on_phase)
    except LoadRefused as exc:
        show_problems(err_console, exc.report.problems)
        raise fail(f"{exc} Nothing was written. Problems: {exc.rejects_path}", code=2) from None
    except (Neo4jLocalError, OSError) as exc:
        raise fail(str(exc)) from None
    table = Table(title="Bulk load into Neo4j", caption=str(Path(home).resolve()))
    table.add_column("phase")
    table.add_column("seconds", justify="right")
    for phase, seconds in result.seconds_by_phase.items():
        table.add_row(phase, f"{seconds:.1f}")
    console.print(table)
    console.print(f"imported {result.nodes:,} nodes and {result.relationships:,} relationships: {result.rows:,} rows in "
                  f"{result.seconds:.1f} s ({result.rows_per_s:,.0f} rows/s)")
    if result.server is not None:
        console.print(f"Neo4j is up at [bold]{result.server.uri}[/] (pid {result.server.pid}) with the imported graph.\n"
                      f"Use it: ORGGRAPH_ENGINE=neo4j ORGGRAPH_NEO4J_URI={result.server.uri} orggraph …")
    else:
        console.print(f"Not started. It still needs its indexes, constraints and coverage roll-up: "
                      f"{finish_by_hand(Path(home).resolve())}", soft_wrap=True)


@neo4j_app.command("status")
def neo4j_status(home: Annotated[Path | None, typer.Option(help=NEO4J_HOME_HELP)] = None) -> None:
    """Show whether the local Neo4j server runs, and where."""
    from graph.neo4j_local import DEFAULT_HOME, LocalNeo4j

    server = LocalNeo4j.attach(home or DEFAULT_HOME)
    if server is None:
        console.print("not running")
        raise typer.Exit(3)
    for key, value in server.status().items():
        console.print(f"{key}: {value}")


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # python -m api.cli
    main()
