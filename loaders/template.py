"""An empty bundle template for users to fill in, generated from the domain model.

Generated rather than hand-written so it can never drift from ``graph.model``: a new property or
allowed value appears in the template (headers, README, example rows) the day it enters the model.
CSV has no comments, so the explanations and one example row per file go to ``README.md``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic.fields import FieldInfo

from graph.model import (
    ID_PREFIXES,
    NBS_CODE_LENGTHS,
    NODE_MODELS,
    REL_MODELS,
    Node,
    Rel,
    node_properties,
    rel_properties,
)
from loaders.bundle import MANIFEST_NAME, BundleWriter, cell_text, columns_for

_NBS_EXAMPLES = {"District": "440303", "Subdistrict": "440303001", "Community": "440303001001"}
_EXAMPLE_VALUES: dict[str, Any] = {
    "birth_year": 1980, "joined": dt.date(2005, 7, 1), "floors": 28, "households": 600, "employees": 50, "size": 120,
    "industry": "金融", "origin": "四川达州", "address": "深圳市罗湖区示例路1号", "founded": dt.date(2008, 7, 1),
    "since": dt.date(2018, 1, 1),
}
_LEFT_EMPTY = frozenset({"until", "valid_to", "dissolved"})
"""Fields whose value means "it ended": an example fills them in only to mislead."""
_TYPE_WORDS = {bool: "true/false (also 1/0, 是/否)", int: "whole number", dt.date: "date YYYY-MM-DD", str: "text"}


def example_id(label: str, number: int = 1) -> str:
    """A well-formed id for ``label``: an NBS code for administrative units, else the label's prefix."""
    if label in _NBS_EXAMPLES:
        return str(int(_NBS_EXAMPLES[label]) + number - 1)
    return f"{ID_PREFIXES[label]}{number:04d}"


def example_row(kind: Literal["node", "rel"], name: str) -> dict[str, Any]:
    """One valid row of a label or type (checked against the model before being shown to anyone)."""
    model: type[Node] | type[Rel] = NODE_MODELS[name] if kind == "node" else REL_MODELS[name]
    row: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        if field_name in _LEFT_EMPTY:
            continue
        allowed = _literal_values(info.annotation)
        if field_name == "id":
            row[field_name] = example_id(name)
        elif field_name in ("source", "target"):
            pair = REL_MODELS[name].endpoints[0]
            # a link between two nodes of one label (REPORTS_TO) must not be a loop
            number = 2 if field_name == "target" and pair[0] == pair[1] else 1
            row[field_name] = example_id(pair[0] if field_name == "source" else pair[1], number)
        elif field_name == "name":
            row[field_name] = f"示例{model.zh.split('/')[0]}"
        elif field_name in _EXAMPLE_VALUES:
            row[field_name] = _EXAMPLE_VALUES[field_name]
        elif allowed:
            row[field_name] = allowed[0]
        else:
            defaults: dict[type, Any] = {bool: False, int: 1, float: 1.0, dt.date: dt.date(2018, 12, 28), str: "示例"}
            row[field_name] = defaults[_property_type(kind, name, field_name)]
    model.model_validate(row)  # a template example that does not validate is a bug here
    return row


def write_template(directory: str | Path, *, as_of: dt.date | None = None) -> list[Path]:
    """Write an empty bundle (manifest, one header-only CSV per label and type, README.md); return the paths.

    The manifest lists every file, so a user fills in what they have and deletes the rest (or
    leaves it empty: empty files are valid).
    """
    root = Path(directory)
    with BundleWriter(root, name="my-bundle", scope="my-scope", as_of=as_of or dt.date.today(),
                      description="Fill in the CSV files (see README.md); delete files you do not need from `files`.") as writer:
        for label in NODE_MODELS:
            writer.write_nodes(label, [])
        for rel_type in REL_MODELS:
            writer.write_rels(rel_type, [])
    readme = root / "README.md"
    readme.write_text(readme_text(), encoding="utf-8")
    return [root / MANIFEST_NAME, readme] + [root / f.path for f in writer.manifest.files]


def readme_text() -> str:
    """The template's README: conventions, then every label and type with columns, values and an example."""
    lines = [
        "# Bundle template",
        "",
        "A bundle is this folder: `manifest.json` says what each file holds, one file per node label (`nodes/`)",
        "and per relationship type (`rels/`). Fill in the files you have data for; remove the others from",
        "`files` in `manifest.json` (or leave them with just their header row). Set `name`, `scope` (what",
        "`load --sync` may remove: data loaded earlier from bundles of the same scope) and `as_of` (the date",
        "the data describes).",
        "",
        "- Formats: CSV (UTF-8, UTF-8 with BOM, or GB18030/GBK as Chinese Excel saves it), XLSX (one sheet per",
        "  file entry, named after the label or type, or `sheet` in the manifest), JSON Lines (one object per line).",
        "- The first CSV row is the header: column names exactly as below, in any order. Optional columns may be left out.",
        "- An empty cell means \"no value\" (the default applies when there is one).",
        "- Dates are `YYYY-MM-DD`. True/false columns take `true`/`false`, `1`/`0` or `是`/`否`.",
        "- `id` is unique across the whole graph: administrative units use their NBS statistical code",
        "  (district 6 digits, subdistrict 9, community 12), everything else a prefix shown below.",
        "- Relationships: `source` and `target` are ids, defined in this bundle or already in the graph.",
        "  `since`/`until` say when the link held; an empty `until` means it still holds.",
        "- Every problem is reported at once with file, row, column and reason (`rejects.csv`).",
        "",
        "## Nodes",
        "",
    ]
    for label, node_model in NODE_MODELS.items():
        lines += _section("node", label, node_model)
    lines += ["## Relationships", ""]
    for rel_type, rel_model in REL_MODELS.items():
        lines += _section("rel", rel_type, rel_model)
    return "\n".join(lines)


def _section(kind: Literal["node", "rel"], name: str, model: type[Node] | type[Rel]) -> list[str]:
    folder = "nodes" if kind == "node" else "rels"
    doc = (vars(model).get("__doc__") or "").strip().splitlines()  # own docstring only, never the base class's
    summary = doc[0].replace("``", "`") if doc else ""
    lines = [f"### {name} — {model.zh}", ""]
    if summary:
        lines += [summary, ""]
    lines.append(f"File `{folder}/{name}.csv`.")
    if kind == "node":
        if name in NBS_CODE_LENGTHS:
            lines.append(f"`id`: the {NBS_CODE_LENGTHS[name]}-digit NBS code.")
        else:
            lines.append(f"`id`: starts with `{ID_PREFIXES[name]}`.")
    else:
        pairs = ", ".join(f"{a} → {b}" for a, b in REL_MODELS[name].endpoints)
        lines.append(f"Links: {pairs}.")
    lines += ["", "| column | type | required | allowed values / notes |", "|---|---|---|---|"]
    for column in columns_for(kind, name):
        info = model.model_fields[column]
        lines.append(f"| `{column}` | {_type_words(kind, name, column)} | {'yes' if info.is_required() else 'no'} "
                     f"| {_notes(column, info)} |")
    example = example_row(kind, name)
    columns = columns_for(kind, name)
    lines += ["", "Example:", "", "```csv", ",".join(columns), ",".join(_csv_cell(example.get(c)) for c in columns), "```", ""]
    return lines


def _csv_cell(value: Any) -> str:
    text = cell_text(value)
    return f'"{text}"' if any(ch in text for ch in ',"\n') else text


def _property_type(kind: Literal["node", "rel"], name: str, column: str) -> type:
    if column in ("id", "source", "target"):
        return str
    return (node_properties(name) if kind == "node" else rel_properties(name))[column]


def _type_words(kind: Literal["node", "rel"], name: str, column: str) -> str:
    if column in ("id", "source", "target"):
        return "id"
    if _literal_values(NODE_MODELS[name].model_fields[column].annotation if kind == "node"
                       else REL_MODELS[name].model_fields[column].annotation):
        return "one of the values"
    return _TYPE_WORDS.get(_property_type(kind, name, column), "text")


def _notes(column: str, info: FieldInfo) -> str:
    notes: list[str] = []
    allowed = _literal_values(info.annotation)
    if allowed:
        notes.append(" / ".join(f"`{v}`" for v in allowed))
    for constraint in [*info.metadata, *_annotated_metadata(info.annotation)]:
        for attribute, words in (("ge", "at least"), ("gt", "more than"), ("le", "at most"), ("lt", "less than"),
                                 ("max_length", "at most {} characters")):
            value = getattr(constraint, attribute, None)
            if value is not None and column not in ("id", "source", "target"):
                notes.append(words.format(value) if "{}" in words else f"{words} {value}")
    if not info.is_required() and info.default is not None:
        notes.append(f"default `{cell_text(info.default)}`")
    if column in _LEFT_EMPTY:
        notes.append("empty while it still holds")
    return "; ".join(notes)


def _annotated_metadata(annotation: Any) -> list[Any]:
    """Constraints hidden in ``Annotated[...]`` inside an ``X | None`` annotation."""
    found: list[Any] = []
    for arg in get_args(annotation):
        found.extend(getattr(arg, "__metadata__", ()))
        found.extend(_annotated_metadata(arg))
    return found


def _literal_values(annotation: Any) -> tuple[Any, ...]:
    if get_origin(annotation) is Literal:
        return get_args(annotation)
    for arg in get_args(annotation):
        found = _literal_values(arg)
        if found:
            return found
    return ()
