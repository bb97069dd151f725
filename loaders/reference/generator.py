"""The "Luohu 2018" reference dataset: every figure of the seed article, as a bundle of CSV files.

Real: the district, its 10 subdistricts, the 115 residents' committees of the 2016 NBS edition (with
the later changes as validity dates), the towers and places of ``data/``, and the organizations the
article names. Everything else is invented, plainly named and marked ``synthetic``.

The run is deterministic for a seed: every random choice comes from a ``random.Random`` seeded from
the seed and the name of the part it belongs to, iteration is over lists in fixed order, and no
clock is read. It streams: rows are written community by community (enterprise by enterprise), so
memory grows with the number of ids kept for later phases, not with the number of rows.

``scale`` multiplies compounds (and their branches, bodies and residents), synthetic low-rise
buildings, enterprises, members and projects. Fixed at every scale: administrative units, the 83
community committees, the 31 towers of 20+ floors, the 3 business areas, the 12 mobile branches and
their groups, and the service centers. Counted figures scale with N: 929N compounds (42N 城中村, 9N
without an organization), 8N four-in-one compounds, 496N mobile members, 302N 两新 recruits and 39N
两新 delegates, so every rate stays the same.

Run ``python -m loaders.reference OUT_DIR --scale N`` to time a run.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

from loaders.bundle import BundleWriter, Manifest
from loaders.reference import compounds, extras, facts, names, twonew
from loaders.reference.context import Ctx, Progress, Sink, rand_date
from loaders.reference.real import (
    AREAS,
    AS_OF,
    DISTRICT_ID,
    DISTRICT_NAME,
    DISTRICT_ORG_ID,
    DISTRICT_ORG_NAME,
    SYNTHETIC_TOWERS,
    committee_groups,
    load_admin,
    load_towers,
    tower_key,
)

NAME = "Luohu 2018"
SCOPE = "luohu-2018"
LOW_BUILDINGS = 40
"""Synthetic buildings below 20 floors per unit of scale."""
LOW_COVERED = 0.7
"""Share of those with a building branch; the rest have no party organization."""

SUBDISTRICT_BUSINESS_WEIGHT = {
    "440303001": 3.0, "440303002": 1.5, "440303003": 2.5, "440303004": 1.5, "440303005": 3.0,
    "440303006": 2.0, "440303007": 0.7, "440303008": 0.7, "440303009": 0.7, "440303010": 0.7,
}
"""Where synthetic office buildings go: the old commercial core (桂园, 南湖, 东门) gets most."""


@dataclass(frozen=True)
class BuildingInfo:
    id: str
    name: str
    floors: int
    community: str
    key: str | None
    """towers.csv name of a real tower; ``None`` for synthetic buildings."""
    covered: bool
    """Synthetic buildings only: whether it gets a building branch (real towers are covered by table)."""


def generate(out_dir: Path, *, scale: int = 1, seed: int = 2018, progress: Progress | None = None) -> Manifest:
    """Write the reference bundle to ``out_dir`` and return its manifest.

    ``progress(name, rows)`` is called after each batch written, with the label or relationship type
    and the number of its rows written so far.
    """
    if scale < 1:
        raise ValueError(f"scale must be at least 1, not {scale}")
    subdistricts, communities = load_admin()
    description = (f"Synthetic reference dataset built on public facts about Luohu District (seed article of {AS_OF}); "
                   f"scale {scale}, seed {seed}. Records with synthetic=false are real; invented ones are marked.")
    with BundleWriter(out_dir, name=NAME, scope=SCOPE, as_of=AS_OF, description=description, synthetic=True) as writer:
        sink = Sink(writer, progress)
        ctx = Ctx(sink, seed=seed, scale=scale, subdistricts=subdistricts, communities=communities, groups=committee_groups())
        _admin(ctx)
        _committees(ctx)
        buildings = _buildings(ctx)
        _areas(ctx)
        compounds.generate(ctx)
        twonew.generate(ctx, buildings)
        extras.mobile(ctx)
        extras.officers(ctx)
        extras.projects(ctx)
        extras.centers(ctx, {b.key: b.id for b in buildings if b.key is not None})
        sink.flush()
        # the article's figures themselves, each with the query that computes it (queries/facts.py)
        writer.write_nodes("Fact", facts.fact_rows())
        writer.write_rels("DESCRIBES", facts.describes_rows())
    return writer.manifest


def _admin(ctx: Ctx) -> None:
    out = ctx.out
    out.node("District", {"id": DISTRICT_ID, "synthetic": False, "name": DISTRICT_NAME})
    for sub in ctx.subdistricts:
        out.node("Subdistrict", {"id": sub.code, "synthetic": False, "name": sub.name})
        out.rel("PART_OF", sub.code, DISTRICT_ID)
    for c in ctx.communities.values():
        out.node("Community", {"id": c.code, "synthetic": False, "name": c.name,
                               "valid_from": c.valid_from, "valid_to": c.valid_to})
        out.rel("PART_OF", c.code, c.subdistrict)


def _committees(ctx: Ctx) -> None:
    """区委 -> 10 街道党工委 -> 83 社区党委, each covering its own area (which anchors everything below it)."""
    rng = ctx.rng("committees")
    ctx.org(DISTRICT_ORG_ID, DISTRICT_ORG_NAME, "区委", founded=None, parent=None, synthetic=False)
    ctx.out.rel("COVERS", DISTRICT_ORG_ID, DISTRICT_ID, mode="organizational")
    for sub in ctx.subdistricts:
        # Founding dates of real committees are not published: left empty (always valid) rather than invented.
        ctx.org(sub.org_id, sub.org_name, "街道党工委", founded=None, parent=DISTRICT_ORG_ID, synthetic=False)
        ctx.out.rel("COVERS", sub.org_id, sub.code, mode="organizational")
    for group in ctx.groups:
        # Before every branch below them (the earliest, a mobile branch, is of 2007).
        founded = rand_date(rng, dt.date(2003, 1, 1), dt.date(2006, 12, 31))
        ctx.committee_founded[group.org_id] = founded
        ctx.org(group.org_id, group.name, "社区党委", founded=founded, parent=f"org-sd-{group.subdistrict}")
        for code in group.codes:
            community = ctx.communities[code]
            since = founded if community.in_2016 else community.valid_from
            ctx.out.rel("COVERS", group.org_id, code, mode="organizational", since=since, until=community.until)


def _buildings(ctx: Ctx) -> list[BuildingInfo]:
    """Real towers, synthetic towers (to reach 31 of 20+ floors) and synthetic low-rise buildings (x scale)."""
    rng = ctx.rng("buildings")
    infos: list[BuildingInfo] = []
    for tower in load_towers():
        number = ctx.next("building")
        info = BuildingInfo(f"bld-{number:06d}", tower.name, tower.floors, tower.community, tower_key(tower.name), True)
        infos.append(info)
        ctx.out.node("Building", {"id": info.id, "synthetic": False, "name": tower.name, "floors": tower.floors,
                                  "address": tower.address})
    codes = [c.code for c in ctx.communities.values() if c.in_2016]
    cumulative: list[float] = []
    total = 0.0
    for code in codes:
        total += SUBDISTRICT_BUSINESS_WEIGHT[ctx.communities[code].subdistrict]
        cumulative.append(total)
    plan = [(True, True)] * SYNTHETIC_TOWERS + [(False, rng.random() < LOW_COVERED) for _ in range(LOW_BUILDINGS * ctx.scale)]
    for tall, covered in plan:
        number = ctx.next("building")
        community = codes[bisect.bisect(cumulative, rng.random() * total)]
        floors = rng.randint(20, 45) if tall else rng.randint(5, 19)
        info = BuildingInfo(f"bld-{number:06d}", names.building(number), floors, community, None, covered)
        infos.append(info)
        ctx.out.node("Building", {"id": info.id, "synthetic": True, "name": info.name, "floors": floors,
                                  "address": f"测试大道{number}号"})
    for info in infos:
        ctx.out.rel("LOCATED_IN", info.id, info.community)
        ctx.building_community[info.id] = info.community
    return infos


def _areas(ctx: Ctx) -> None:
    for area in AREAS:
        ctx.out.node("BusinessArea", {"id": area.id, "synthetic": False, "name": area.name, "kind": area.kind})
        ctx.out.rel("LOCATED_IN", area.id, area.community)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the Luohu 2018 reference bundle and report time and memory.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--tracemalloc", action="store_true", help="measure peak Python heap (slows the run down)")
    args = parser.parse_args(argv)
    if args.tracemalloc:
        tracemalloc.start()
    start = time.perf_counter()
    manifest = generate(args.out_dir, scale=args.scale, seed=args.seed)
    elapsed = time.perf_counter() - start
    print(f"{len(manifest.files)} files in {elapsed:.1f} s")
    if args.tracemalloc:
        print(f"peak traced Python memory: {tracemalloc.get_traced_memory()[1] / 2**20:.1f} MiB")
