"""``orggraph keys``: issue, list and revoke API keys (register with ``app.add_typer(keys_app, name="keys")``).

A new key is printed once, on standard output, and never stored: the keys file keeps its SHA-256
only. The file is ``ORGGRAPH_API_KEYS_FILE`` (default ``data/api-keys.jsonl``) or ``--file``; a
running API re-reads it when it changes, so a revocation takes effect at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.keys import Role, add_key, read_keys_file, revoke_key
from api.settings import Settings

keys_app = typer.Typer(help="API keys: create (printed once), list, revoke. See docs/security.md.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)

FileOption = Annotated[Path | None, typer.Option("--file", help="Keys file. Default: ORGGRAPH_API_KEYS_FILE or "
                                                 "data/api-keys.jsonl.")]


def _keys_file(given: Path | None) -> Path:
    path = given or Settings().api_keys_file
    if path is None:
        err_console.print("[bold red]error:[/] no keys file: set ORGGRAPH_API_KEYS_FILE or pass --file")
        raise typer.Exit(1)
    return path


@keys_app.command("create")
def create(
    role: Annotated[Role, typer.Option(help="viewer: aggregates, organizations, places; analyst: plus members with "
                                       "masked names; admin: plus full member data and the Cypher console.")],
    name: Annotated[str, typer.Option(help="Who or what uses the key (shown in `keys list`, not secret).")],
    file: FileOption = None,
) -> None:
    """Issue a key and print it once (only its hash is stored)."""
    if not name.strip() or len(name) > 200:
        err_console.print("[bold red]error:[/] --name must be 1 to 200 characters")
        raise typer.Exit(1)
    path = _keys_file(file)
    record, token = add_key(path, role, name.strip())
    err_console.print(f"created key [bold]{record.id}[/] ({record.role.value}, {record.name!r}) in {path}.\n"
                      "It is shown only this once; send it in the X-API-Key header:")
    typer.echo(token)


@keys_app.command("list")
def list_keys(file: FileOption = None) -> None:
    """List the keys (ids, roles, names, dates; never the keys themselves)."""
    path = _keys_file(file)
    settings = Settings()
    table = Table(title=f"API keys ({path})")
    for column in ("id", "role", "name", "created", "status", "source"):
        table.add_column(column)
    rows = [(r, "file") for r in read_keys_file(path)] + [(r, "ORGGRAPH_API_KEYS") for r in settings.api_keys]
    for record, source in rows:
        status = "active" if record.active else f"revoked {record.revoked:%Y-%m-%d %H:%M}"
        created = f"{record.created:%Y-%m-%d %H:%M}" if record.created else ""
        table.add_row(record.id, record.role.value, record.name, created, status, source)
    console.print(table if rows else f"no keys in {path}: the API runs open on loopback and refuses other addresses")


@keys_app.command("revoke")
def revoke(key_id: Annotated[str, typer.Argument(help="The key's id (see `orggraph keys list`).")], file: FileOption = None) -> None:
    """Revoke a key: the API refuses it from its next request (the record stays, marked revoked)."""
    path = _keys_file(file)
    try:
        record = revoke_key(path, key_id)
    except KeyError:
        in_env = any(r.id == key_id for r in Settings().api_keys)
        where = "it is set in ORGGRAPH_API_KEYS: remove it there" if in_env else "`orggraph keys list` shows the ids"
        err_console.print(f"[bold red]error:[/] no key {key_id!r} in {path}; {where}")
        raise typer.Exit(1) from None
    console.print(f"revoked key {record.id} ({record.role.value}, {record.name!r}) at {record.revoked:%Y-%m-%d %H:%M} UTC")
