"""The column-at-a-time path's checks that need the run's state, and taking a file's state in once it passed.

``loaders.columnar`` proves each row of a plain CSV file valid on its own. What the row path
(``loaders.validate``) also checks against the run so far (ids unique across the bundle and the graph,
relationship ends that exist and are loaded, allowed label pairs, duplicate relationships, one current
parent) is checked here on whole batches, against the run's state plus the file's own. The file's state is
kept aside (:class:`_PendingFile`) and applied to the run only once every batch passed, so a file that
fails is read again row by row from the same state, and that path names every problem.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import pyarrow as pa
import pyarrow.compute as pc

from graph.model import REL_MODELS, label_for_id
from loaders import columnar
from loaders.bundle import BundleFile
from loaders.place_links import LOCATED, multi_add

if TYPE_CHECKING:  # only a type: loaders.validate imports this module
    from loaders.validate import _Validator


@dataclass
class _PendingFile:
    """What a file on the column-at-a-time path adds to the run's state, kept aside until the whole file passed."""

    locations: bool = False
    """Whether to note where each id or relationship was (another file of the same label or type follows)."""
    rows: int = 0
    ids: set[str] = field(default_factory=set)
    first_seen: dict[str, int] = field(default_factory=dict)
    """Node files: id -> packed location (with ``locations``)."""
    org_level: dict[str, str] = field(default_factory=dict)
    rel_keys: dict[int, int] = field(default_factory=dict)
    """Relationship files: hash of (source, target) -> packed location (with ``locations``)."""
    rel_pairs: list[Any] = field(default_factory=list)
    """Relationship files without ``locations``: each batch's "source, target" strings, to count at the end."""
    part_of: list[tuple[str, str]] = field(default_factory=list)
    located_in: list[tuple[str, str]] = field(default_factory=list)
    parent: dict[str, tuple[str, int]] = field(default_factory=dict)
    covers: list[tuple[str, str, str]] = field(default_factory=list)


def validate_file(run: _Validator, bundle_file: BundleFile, file: str, file_index: int) -> bool:
    """Validate a plain CSV file column-wise (``loaders.columnar``), if every row of it is surely valid.

    The checks of the row path that need the run's state (duplicate ids and relationships, ends, parents)
    are made on whole batches against the state so far plus the file's own, which is kept aside and
    applied only once the whole file passed. Returns False, with nothing changed, when the file must be
    read row by row instead (which then names every problem).
    """
    batches = columnar.read_checked(run.root, bundle_file, max_field=run.max_field)
    if batches is None:
        return False
    arrow = run.spool.arrow_file(file) if run.spool is not None else None
    # Where each id or relationship was first seen is only ever told when a later file of the same label or
    # type repeats it (ids of other labels have other forms): a bundle's only file keeps sets, not locations.
    pending = _PendingFile(locations=run.files_per_name.get(bundle_file.name, 0) > 1)
    try:
        for batch in batches:
            packed = [file_index << 32 | row for row in batch.column(columnar.ROW_COLUMN).to_pylist()]
            if bundle_file.kind == "node":
                _check_nodes(run, bundle_file.name, batch, packed, pending)
                if arrow is not None:
                    arrow.append(batch)
            else:
                for pair, part in _check_rels(run, bundle_file.name, batch, packed, pending):
                    if arrow is not None:
                        arrow.append(part, pair)
            pending.rows += batch.num_rows
        if pending.rel_pairs and len(pc.unique(pa.chunked_array(pending.rel_pairs))) != pending.rows:
            raise columnar.NotSurelyValid("a duplicate relationship")
    except columnar.NotSurelyValid:
        if arrow is not None:
            arrow.discard()
        return False
    _apply(run, bundle_file, pending)
    if arrow is not None and run.spool is not None:
        run.spool.keep_arrow(arrow)
    return True


def _check_nodes(run: _Validator, label: str, batch: Any, packed: list[int], pending: _PendingFile) -> None:
    ids = batch.column("id").to_pylist()
    before = len(pending.ids)
    pending.ids.update(ids)
    if pending.locations:
        pending.first_seen.update(zip(ids, packed, strict=True))
    if len(pending.ids) != before + len(ids) or not run.id_labels.keys().isdisjoint(ids):
        raise columnar.NotSurelyValid("a duplicate id")
    known = run.known.get
    if any(known(node_id, label) != label for node_id in ids):
        raise columnar.NotSurelyValid("an id the graph has under another label")
    if label == "PartyOrg":
        pending.org_level.update(zip(ids, batch.column("level").to_pylist(), strict=True))


def _check_rels(run: _Validator, rel_type: str, batch: Any, packed: list[int],
                pending: _PendingFile) -> Iterator[tuple[tuple[str, str], Any]]:
    """Check a batch of relationships; yield its rows per (source label, target label) pair.

    An id's form names its label (``label_for_id``; every id of the bundle was checked to fit its label),
    so the ends' labels are computed column-wise; that each end exists is a set operation."""
    sources, targets = batch.column("source").to_pylist(), batch.column("target").to_pylist()
    ends = set(sources)
    ends.update(targets)
    for node_id in ends.difference(run.id_labels):  # ends in the graph, not the bundle (none on a fresh load)
        if run.known.get(node_id) != label_for_id(node_id) or label_for_id(node_id) is None:
            raise columnar.NotSurelyValid("an unknown end")
    if run.rejected_ids and not run.rejected_ids.keys().isdisjoint(ends):
        raise columnar.NotSurelyValid("an end whose row has problems")
    source_labels = columnar.id_labels(batch.column("source"))
    target_labels = columnar.id_labels(batch.column("target"))
    codes = pc.binary_join_element_wise(source_labels, target_labels, "\x1f").dictionary_encode()
    kinds = [cast("tuple[str, str]", tuple(k.split("\x1f"))) for k in codes.dictionary.to_pylist()]
    if not set(kinds) <= set(REL_MODELS[rel_type].endpoints):
        raise columnar.NotSurelyValid("labels the type cannot link")
    if pending.locations:  # as the row path's duplicate check, which a later file of this type continues
        keys = list(map(hash, zip(sources, targets, strict=True)))
        before = len(pending.rel_keys)
        pending.rel_keys.update(zip(keys, packed, strict=True))
        if len(pending.rel_keys) != before + len(keys) or not run.rel_seen.get(rel_type, {}).keys().isdisjoint(keys):
            raise columnar.NotSurelyValid("a duplicate relationship")
    else:  # the type's only file: duplicates are counted at its end (validate_file)
        pending.rel_pairs.append(pc.binary_join_element_wise(batch.column("source"), batch.column("target"), "\x1f"))
    if rel_type in ("PART_OF", "LOCATED_IN", "REPORTS_TO", "COVERS"):  # the types the later checks need
        _note_links(run, rel_type, batch, sources, targets, source_labels.to_pylist(), target_labels.to_pylist(),
                    packed, pending)
    if len(kinds) == 1:
        yield kinds[0], batch
        return
    for n, pair in enumerate(kinds):
        yield pair, batch.filter(pc.equal(codes.indices, n))


def _note_links(run: _Validator, rel_type: str, batch: Any, sources: list[str], targets: list[str],
                source_labels: list[str], target_labels: list[str], packed: list[int], pending: _PendingFile) -> None:
    """What the row path's ``_rel`` notes of each row for the later checks (parents, places, anchors), kept aside."""
    current = [u is None for u in batch.column("until").to_pylist()]
    for i, (source, target) in enumerate(zip(sources, targets, strict=True)):
        if rel_type == "PART_OF" and source_labels[i] == "Community" and target_labels[i] == "Subdistrict":
            pending.part_of.append((source, target))
        elif rel_type == "LOCATED_IN" and source_labels[i] in LOCATED:
            pending.located_in.append((source, target))
        elif rel_type == "REPORTS_TO" and current[i]:
            existing = run.parent.get(source) or pending.parent.get(source)
            if existing is None:
                pending.parent[source] = (target, packed[i])
            elif existing[0] != target:
                raise columnar.NotSurelyValid("a second parent")
        elif rel_type == "COVERS" and current[i]:
            pending.covers.append((source, target, target_labels[i]))


def _apply(run: _Validator, bundle_file: BundleFile, pending: _PendingFile) -> None:
    """Take in the state of a file that passed the column-at-a-time checks, as the row path would have."""
    name = bundle_file.name
    run.counts[name] += pending.rows
    if bundle_file.kind == "node":
        run.id_labels.update(dict.fromkeys(pending.ids, name))
        run.first_seen.update(pending.first_seen)
        run.org_level.update(pending.org_level)
        return
    run.rel_seen.setdefault(name, {}).update(pending.rel_keys)
    for source, target in pending.part_of:
        multi_add(run.part_of, source, target)
    for source, target in pending.located_in:
        multi_add(run.located_in, source, target)
    run.parent.update(pending.parent)
    for source, target, target_label in pending.covers:
        if run.anchors_org(source, target_label):
            multi_add(run.anchors, source, target)


__all__ = ["validate_file"]
