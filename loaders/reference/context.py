"""Shared state of one generator run: the buffered sink, id counters, seeded RNGs and the member factory.

Memory stays bounded: rows go to the :class:`Sink`, which hands them to the ``BundleWriter`` in
batches; what later phases need is kept as compact per-community summaries (ranges and short lists
of numbers), never as rows.
"""

from __future__ import annotations

import datetime as dt
import random
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from loaders.bundle import BundleWriter
from loaders.reference import names
from loaders.reference.real import AS_OF, CommitteeGroup, CommunityFact, SubdistrictFact

Row = dict[str, Any]
Progress = Callable[[str, int], None]

LAST_EVENT = dt.date(2018, 12, 20)
"""Latest date of an invented event: a little before the as-of date so nothing lands on it by accident."""


def rand_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    """A uniform random day in [start, end] (start when the range is empty)."""
    if end <= start:
        return start
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def pick(rng: random.Random, options: Sequence[tuple[str, float]]) -> str:
    """Pick an option by weight: a plain cumulative walk, identical on every Python version."""
    r = rng.random() * sum(w for _, w in options)
    for value, weight in options:
        r -= weight
        if r < 0:
            return value
    return options[-1][0]


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into integer parts proportional to ``weights`` (largest remainder, ties by index)."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    parts = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


class Selector:
    """Choose exactly ``wanted`` of ``total`` items met one by one (Knuth's selection sampling)."""

    def __init__(self, rng: random.Random, wanted: int, total: int) -> None:
        if wanted > total:
            raise ValueError(f"cannot choose {wanted} of {total}")
        self.rng, self.wanted, self.left = rng, wanted, total

    def __call__(self) -> bool:
        chosen = self.rng.random() * self.left < self.wanted
        self.left -= 1
        if chosen:
            self.wanted -= 1
        return chosen


class Sink:
    """Buffer rows per label/type and flush them to the bundle in batches, reporting progress."""

    FLUSH_AT = 50_000

    def __init__(self, writer: BundleWriter, progress: Progress | None) -> None:
        self._writer = writer
        self._progress = progress
        self._nodes: dict[str, list[Row]] = {}
        self._rels: dict[str, list[Row]] = {}
        self._pending = 0
        self.counts: dict[str, int] = {}

    def node(self, label: str, row: Row) -> None:
        self._nodes.setdefault(label, []).append(row)
        self._pending += 1

    def rel(self, rel_type: str, source: str, target: str, **props: Any) -> None:
        row: Row = {"source": source, "target": target}
        for key, value in props.items():
            if value is not None:
                row[key] = value
        self._rels.setdefault(rel_type, []).append(row)
        self._pending += 1

    def maybe_flush(self) -> None:
        if self._pending >= self.FLUSH_AT:
            self.flush()

    def flush(self) -> None:
        for kind, buffers in (("node", self._nodes), ("rel", self._rels)):
            for name, rows in buffers.items():
                if not rows:
                    continue
                written = self._writer.write_nodes(name, rows) if kind == "node" else self._writer.write_rels(name, rows)
                self.counts[name] = self.counts.get(name, 0) + written
                rows.clear()
                if self._progress is not None:
                    self._progress(name, self.counts[name])
        self._pending = 0


@dataclass
class CommunityStats:
    """What later phases need to know about one community, compactly."""

    compounds: range = range(0)
    members: range = range(0)
    """Numbers of the residents generated for the community's compounds."""
    branches: list[tuple[int, int]] = field(default_factory=list)
    """(branch number, founded ordinal) of the community's compound branches."""
    villages: list[int] = field(default_factory=list)
    """Numbers of its 城中村 compounds."""
    notables: list[tuple[int, int]] = field(default_factory=list)
    """(member number, joined ordinal) of delegates and the committee secretary: who claims projects."""
    enterprises: list[int] = field(default_factory=list)


class Ctx:
    """One run of the generator."""

    def __init__(self, sink: Sink, *, seed: int, scale: int, subdistricts: Sequence[SubdistrictFact],
                 communities: Sequence[CommunityFact], groups: Sequence[CommitteeGroup]) -> None:
        self.out = sink
        self.seed = seed
        self.scale = scale
        self.subdistricts = tuple(subdistricts)
        self.communities = {c.code: c for c in communities}
        self.groups = tuple(groups)
        self.committee_of = {code: g for g in groups for code in g.codes}
        self.committee_founded: dict[str, dt.date] = {}
        self.committee_secretary: dict[str, tuple[int, int]] = {}
        self.stats: dict[str, CommunityStats] = {c.code: CommunityStats() for c in communities}
        self.building_community: dict[str, str] = {}
        self.compound_total = 0
        # Compound branches residents can belong to: parallel arrays (branch number, compound number, founded ordinal).
        self.res_branch = array("l")
        self.res_compound = array("l")
        self.res_founded = array("l")
        self.dongle_branch: str | None = None
        self._counters: dict[str, int] = {}

    def rng(self, part: str) -> random.Random:
        """An independent RNG per part, so changing one part leaves the others' data as it was."""
        return random.Random(f"luohu-2018/{self.seed}/{part}")

    def next(self, key: str) -> int:
        value = self._counters.get(key, 0) + 1
        self._counters[key] = value
        return value

    def peek(self, key: str) -> int:
        """The last number handed out for ``key`` (0 if none)."""
        return self._counters.get(key, 0)

    # ------------------------------------------------------------------ members

    def member(self, rng: random.Random, category: str, *, born: tuple[int, int], joined: tuple[dt.date, dt.date] | None = None,
               mobile: bool = False, delegate: str | None = None, male: float = 0.55) -> Row:
        """Write a synthetic member and return the row (callers read ``id``, ``joined``, ``birth_year``).

        ``joined`` bounds the joining date; it is clipped so the member was at least 18 when joining.
        """
        number = self.next("member")
        birth_year = rng.randint(*born)
        adult = dt.date(birth_year + 18, 1, 1)
        lo, hi = joined if joined is not None else (adult, AS_OF)
        lo = max(lo, adult)
        hi = min(hi, LAST_EVENT)
        row: Row = {
            "id": member_id(number), "synthetic": True, "name": names.person(rng, number),
            "gender": "男" if rng.random() < male else "女", "birth_year": birth_year,
            "joined": rand_date(rng, lo, max(lo, hi)), "mobile": mobile, "category": category, "delegate": delegate,
        }
        self.out.node("Member", row)
        return row

    def member_of(self, member: Row, org_id: str, founded: dt.date | None, role: str, until: dt.date | None = None) -> None:
        since = member["joined"] if founded is None else max(member["joined"], founded)
        self.out.rel("MEMBER_OF", member["id"], org_id, role=role, since=since, until=until)

    def org(self, org_id: str, name: str, level: str, *, founded: dt.date | None, parent: str | None,
            formation: str | None = None, dissolved: dt.date | None = None, synthetic: bool = True,
            reports_since: dt.date | None = None) -> None:
        self.out.node("PartyOrg", {"id": org_id, "synthetic": synthetic, "name": name, "level": level, "formation": formation,
                                   "founded": founded, "dissolved": dissolved})
        if parent is not None:
            self.out.rel("REPORTS_TO", org_id, parent, since=reports_since)


def member_id(number: int) -> str:
    return f"mem-{number:07d}"


def compound_id(number: int) -> str:
    return f"cmp-{number:06d}"


def branch_id(number: int) -> str:
    return f"org-br-{number:06d}"


def roles(count: int) -> list[str]:
    """Roles of an organization's members in order: one secretary, a committee when big enough."""
    out = ["member"] * count
    if count:
        out[0] = "secretary"
    if count >= 7:
        out[1] = "deputy"
        for i in range(2, min(count, 5)):
            out[i] = "committee"
    elif count >= 5:
        out[1] = out[2] = "committee"
    return out
