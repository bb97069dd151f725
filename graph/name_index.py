"""The searchable names of a served embedded database, in memory: search by name without reading the tables.

A read-only LadybugDB database sees no write until it is opened again (see :mod:`graph.topology`), so the names
it holds stay what they were when it was opened. :func:`build` keeps them in the order the search answers in
(shortest name first, then by id) and, for every character and every pair of adjacent characters, the ranks of
the names that contain it. A term is then looked up instead of scanned for:

- one character, or two: its list *is* the answer (a name contains the pair exactly when the pair is one of its
  adjacent pairs);
- longer: the names holding every pair of the term, each then checked to contain the whole term (holding the
  pairs does not mean holding them in that order).

The names' pinyin initials (the stored ``name_initials``, :mod:`graph.initials`) are indexed the same way, and a
Latin term is also looked up among them, as the search queries do.

The answer is the rows of ``search_by_name`` and the count of ``search_count`` (``CONTAINS``: case-sensitive, on
characters; ``size()`` counts characters, as ``len`` does), which ``tests/test_search.py`` checks term by term.
At scale 100 that is 340,938 names, with their initials, in about 128 MB, built in about 6 s in the background after
the topology; a search takes 0.02-1.4 ms for one or two characters (176,278 matches of 花园), 10-20 ms for a common
longer term (党支部: 76,148 candidates, each checked).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graph.initials import initials_term

_NO_RANKS = np.zeros(0, dtype=np.int32)
_CHECK_EVERY = 50_000
"""Names added between two looks at ``cancelled`` while building."""


@dataclass(frozen=True)
class NameIndex:
    """Names, ids and labels in search order, and the ranks of the names holding each character or pair."""

    ids: list[str]
    names: list[str]
    label_codes: np.ndarray  # int8, per rank: an index into label_names
    label_names: tuple[str, ...]
    postings: dict[str, np.ndarray]  # a character or a pair -> ascending int32 ranks
    initials: list[str | None]  # per rank: the name's pinyin initials
    initial_postings: dict[str, np.ndarray]  # as postings, over the initials
    built_s: float = 0.0
    nbytes: int = field(default=0, compare=False)

    @property
    def count(self) -> int:
        return len(self.ids)

    def search(self, q: str, labels: Sequence[str], limit: int, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """The rows ``{id, name, label}`` of the names of ``labels`` containing ``q`` (or whose initials contain
        :func:`~graph.initials.initials_term` of it), from ``offset`` (at most ``limit``), and how many there are."""
        ranks = _containing(q, self.names, self.postings, len(self.ids))
        term = initials_term(q)
        if term is not None:  # a name found both ways is one match; a mask merges two sorted lists in one pass
            either = np.zeros(len(self.ids), dtype=bool)
            either[ranks] = True
            either[_containing(term, self.initials, self.initial_postings, len(self.ids))] = True
            ranks = np.flatnonzero(either).astype(np.int32)
        asked = set(labels)
        wanted = np.array([name in asked for name in self.label_names], dtype=bool)
        ranks = ranks[wanted[self.label_codes[ranks]]]
        page = ranks[offset:offset + limit].tolist()
        rows = [{"id": self.ids[r], "name": self.names[r], "label": self.label_names[self.label_codes[r]]} for r in page]
        return rows, len(ranks)


def _containing(q: str, texts: Sequence[str | None], postings: dict[str, np.ndarray], count: int) -> np.ndarray:
    """The ascending ranks of the ``texts`` that contain ``q``, from their ``postings``."""
    if not q:
        return np.arange(count, dtype=np.int32)  # every name contains the empty string
    if len(q) == 1:
        return postings.get(q, _NO_RANKS)
    pairs = sorted((postings.get(q[i:i + 2], _NO_RANKS) for i in range(len(q) - 1)), key=len)
    ranks = pairs[0]
    for other in pairs[1:]:
        if not len(ranks):
            break
        ranks = np.intersect1d(ranks, other, assume_unique=True)
    if len(q) > 2:
        ranks = np.fromiter((r for r in ranks.tolist() if q in texts[r]), dtype=np.int32)
    return ranks


def build(rows: Sequence[tuple[str, str | None, str, str | None]], *, cancelled: Callable[[], bool] = lambda: False
          ) -> NameIndex | None:
    """The index of ``rows`` (id, name, label, name initials); rows without a name are never found, as
    ``CONTAINS`` on null. ``None`` when ``cancelled()`` turns true while it is built (the engine is closing)."""
    started = time.perf_counter()
    named = sorted(((len(name), node_id, name, label, initials)
                    for node_id, name, label, initials in rows if name is not None), key=lambda row: row[:2])
    label_names = tuple(sorted({row[3] for row in named}))
    code_of = {label: code for code, label in enumerate(label_names)}
    grams: defaultdict[str, list[int]] = defaultdict(list)
    initial_grams: defaultdict[str, list[int]] = defaultdict(list)
    for rank, (_, _, name, _, initials) in enumerate(named):
        for gram in _grams(name):
            grams[gram].append(rank)  # ranks ascend, so every list is sorted
        for gram in _grams(initials or ""):
            initial_grams[gram].append(rank)
        if rank % _CHECK_EVERY == 0 and cancelled():
            return None
    postings = {gram: np.array(ranks, dtype=np.int32) for gram, ranks in grams.items()}
    initial_postings = {gram: np.array(ranks, dtype=np.int32) for gram, ranks in initial_grams.items()}
    ids = [row[1] for row in named]
    names = [row[2] for row in named]
    initials_of = [row[4] for row in named]
    codes = np.array([code_of[row[3]] for row in named], dtype=np.int8)
    nbytes = (sum(a.nbytes for a in (*postings.values(), *initial_postings.values())) + codes.nbytes
              + sum(len(s) * 4 + 50 for s in names) + sum(len(s) + 50 for s in ids)
              + sum(len(s) + 50 for s in initials_of if s))  # the strings, roughly
    return NameIndex(ids, names, codes, label_names, postings, initials_of, initial_postings,
                     built_s=time.perf_counter() - started, nbytes=nbytes)


def _grams(text: str) -> set[str]:
    """The characters of ``text`` and its pairs of adjacent characters."""
    return {*text, *(text[i:i + 2] for i in range(len(text) - 1))}


def name_index_summary(index: NameIndex | None) -> dict[str, Any] | None:
    """Sizes and build time for ``describe()`` and the logs; ``None`` before it is built."""
    if index is None:
        return None
    return {"names": index.count, "megabytes": round(index.nbytes / 2**20, 1), "built_s": round(index.built_s, 2)}
