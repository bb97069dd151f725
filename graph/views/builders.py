"""The five network views, each built from catalog queries only (so both engines draw the same picture).

Every builder takes an engine and an id and returns a :class:`~graph.views.render.NetworkView`;
call ``.html()`` for the page or ``.write(path)`` for a file. Unknown ids raise
:class:`UnknownEntityError`. ``limit`` caps the number of nodes drawn: a view that would be larger
is cut and says in a notice what it left out. ``link_base`` prefixes the entity-page links.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graph.engine import GraphEngine
from graph.topology import Topology, walk_until_cut
from graph.views.layout import line_layout, radial_layout, tree_layout
from graph.views.render import DEFAULT_NODE_LIMIT, PHYSICS_LIMIT, LegendEntry, NetworkView
from graph.views.style import (
    COVERAGE_COLORS,
    COVERAGE_ZH,
    FACT_STATUS_COLORS,
    FACT_STATUS_ZH,
    KEEP_ORDER,
    caption,
    fact_number,
    label_zh,
    rel_zh,
    style_of,
)
from queries.answers import nodes_at, step_rows
from queries.catalog import dataset_as_of, run_catalog
from queries.facts import reconcile

MAX_DEPTH = 3
_KEEP_RANK = {label: i for i, label in enumerate(KEEP_ORDER)}
ORG_SIZE = {"区委": 34, "街道党工委": 27, "社区党委": 21}
TREE_EDGE = "#9ca3af"
COVERS_COLOR = "#2563eb"
SERVES_COLOR = "#c026d3"


class UnknownEntityError(LookupError):
    """No entity has that id, or it is not of the kind the view needs."""


def fetch_entity(engine: GraphEngine, entity_id: str, label: str | None = None) -> dict[str, Any]:
    """The entity ``entity_id`` (of ``label`` when given), or :class:`UnknownEntityError`."""
    rows = run_catalog(engine, "entity_by_id", {"id": entity_id})
    if not rows:
        raise UnknownEntityError(f"no entity with id {entity_id!r}")
    node: dict[str, Any] = rows[0]["n"]
    if label and node["label"] != label:
        raise UnknownEntityError(f"{entity_id!r} is a {node['label']}, not a {label}")
    return node


def breakdown(counts: Mapping[str, int]) -> str:
    """``党员 1,204、居民小区 12``: counts per label, largest first, in Chinese."""
    return "、".join(f"{label_zh(label)} {n:,}" for label, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _check_limit(limit: int) -> None:
    if limit < 1:
        raise ValueError("limit must be at least 1")


# ------------------------------------------------------------------------------------------ ego


@dataclass
class Walk:
    """What a limited breadth-first walk found, and what it had to leave out."""

    nodes: dict[str, dict[str, Any]]
    edges: list[tuple[str, str, str]]
    omitted: Counter[str] = field(default_factory=Counter)
    cut_at: int | None = None
    """The distance at which the limit was reached (nothing further was walked), or ``None``."""


def walk(engine: GraphEngine, center: Mapping[str, Any], *, depth: int, types: Iterable[str] | None, limit: int) -> Walk:
    """Walk up to ``depth`` steps from ``center`` through nodes of ``types`` (labels), keeping ``limit`` nodes.

    Within one distance, structure is kept before people (see ``KEEP_ORDER``: organizations and
    places first, members last), then by id, so a cut view still shows the skeleton. Once the limit
    is reached the walk stops and counts, per label, the distinct nodes it left out at that distance.
    """
    wanted = set(types) if types else None
    center_id = str(center["id"])
    topology = engine.topology()
    if topology is not None and (center_index := topology.index_of(center_id)) is not None:
        return _walk_in_memory(engine, topology, center, center_index, depth=depth, types=wanted, limit=limit)
    found = Walk(nodes={center_id: {**center, "distance": 0}}, edges=[])
    edge_keys: set[tuple[str, str, str]] = set()
    frontier = [center_id]
    for distance in range(1, depth + 1):
        fresh: dict[str, dict[str, Any]] = {}
        # step_rows groups the ids by label (neighbors_step finds ids through their label's index) and chunks them.
        for row in step_rows(engine, frontier):
            node = row["node"]
            if wanted is not None and node["label"] not in wanted:
                continue
            key = (row["source"], row["target"], row["type"])
            if key not in edge_keys:
                edge_keys.add(key)
                found.edges.append(key)
            if node["id"] not in found.nodes and node["id"] not in fresh:
                fresh[node["id"]] = node
        order = sorted(fresh, key=lambda i: (_KEEP_RANK.get(fresh[i]["label"], len(_KEEP_RANK)), i))
        room = max(limit - len(found.nodes), 0)
        for node_id in order[:room]:
            found.nodes[node_id] = {**fresh[node_id], "distance": distance}
        if len(order) > room:
            found.omitted.update(fresh[i]["label"] for i in order[room:])
            found.cut_at = distance
            break
        frontier = order
    found.edges = [e for e in found.edges if e[0] in found.nodes and e[1] in found.nodes]
    return found


def _walk_in_memory(engine: GraphEngine, topology: Topology, center: Mapping[str, Any], center_index: int, *,
                    depth: int, types: set[str] | None, limit: int) -> Walk:
    """:func:`walk` over the engine's relationships in memory (:func:`graph.topology.walk_until_cut`): the same
    nodes, relationships and counts, with only the kept nodes read from the database."""
    cut = walk_until_cut(topology, center_index, depth, sorted(types) if types is not None else None, limit, _KEEP_RANK)
    nodes = nodes_at(engine, topology, cut.distance, center)
    edges = [e for e in sorted(cut.edges) if e[0] in nodes and e[1] in nodes]
    return Walk(nodes=nodes, edges=edges, omitted=Counter(cut.omitted), cut_at=cut.cut_at)


def ego_view(engine: GraphEngine, entity_id: str, *, depth: int = 1, types: Iterable[str] | None = None,
             limit: int = DEFAULT_NODE_LIMIT, link_base: str = "", physics_limit: int = PHYSICS_LIMIT) -> NetworkView:
    """The ego network of an entity: everything within ``depth`` (1-3) steps, optionally only ``types``.

    The center is drawn larger. Views above ``physics_limit`` nodes get a radial layout (rings by
    distance) computed here, and no physics.
    """
    if not 1 <= depth <= MAX_DEPTH:
        raise ValueError(f"depth must be between 1 and {MAX_DEPTH}")
    _check_limit(limit)
    center = fetch_entity(engine, entity_id)
    type_list = sorted(set(types)) if types else None
    found = walk(engine, center, depth=depth, types=type_list, limit=limit)
    view = NetworkView(f"{caption(center)} 的关系网络({depth} 层)", kind="ego", link_base=link_base, physics_limit=physics_limit)
    view.root = str(center["id"])
    for node_id, node in found.nodes.items():
        view.add_entity(node, emphasis=node_id == center["id"], extra=[f"距中心:{node['distance']} 步"] if node["distance"] else [])
    for source, target, rel_type in found.edges:
        view.add_link(source, target, rel_type)
    shown = Counter(n["label"] for n in found.nodes.values())
    view.summarize(f"中心:{label_zh(center['label'])} {caption(center)};{breakdown(shown)}")
    if type_list:
        view.summarize("只显示类型:" + "、".join(label_zh(t) for t in type_list))
    if found.cut_at is not None:
        text = (f"节点过多,已截断:最多显示 {limit:,} 个节点。第 {found.cut_at} 层另有 {sum(found.omitted.values()):,} 个节点"
                f"未显示({breakdown(found.omitted)})")
        if found.cut_at < depth:
            text += f";第 {found.cut_at + 1}–{depth} 层未展开" if found.cut_at + 1 < depth else f";第 {depth} 层未展开"
        view.notice(text + "。可减少层数、按类型筛选或提高节点上限(limit)。")
    if view.node_count > physics_limit:
        view.place(radial_layout(list(found.nodes), [(s, t) for s, t, _ in found.edges], str(center["id"])))
    return view


# ------------------------------------------------------------------------------------------ hierarchy


def subtree_until_full(engine: GraphEngine, org_id: str, *, depth: int, limit: int) -> list[dict[str, Any]]:
    """``org_subtree`` rows of ``org_id``, one level deeper per query, until the tree (with its root) has more
    than ``limit`` organizations, ``depth`` is reached or a level is empty.

    The view keeps whole upper levels and cuts the first level that does not fit, so nothing below that
    level is ever drawn: asking level by level never fetches it (a district committee's full subtree at
    depth 12 is every organization of the district).
    """
    rows: list[dict[str, Any]] = []
    for level in range(1, depth + 1):
        rows = run_catalog(engine, "org_subtree", {"id": org_id, "depth": level})
        if len(rows) + 1 > limit or not any(r["depth"] == level for r in rows):
            break
    return rows


def hierarchy_view(engine: GraphEngine, org_id: str, *, depth: int = 2, limit: int = DEFAULT_NODE_LIMIT,
                   link_base: str = "") -> NetworkView:
    """An organization and those below it, ``depth`` levels down, as a top-down tree.

    Over the tree go the cross-links: the towers and business areas its organizations cover (joint
    committees often cover several) and the hometown groups they serve (mobile branches). When the
    tree exceeds ``limit`` nodes, whole upper levels are kept and the deepest kept level is cut.
    """
    if not 1 <= depth <= 12:
        raise ValueError("depth must be between 1 and 12")
    _check_limit(limit)
    root = fetch_entity(engine, org_id, "PartyOrg")
    rows = subtree_until_full(engine, org_id, depth=depth, limit=limit)
    kept: list[dict[str, Any]] = [root]
    index = {org_id: 0}
    omitted: Counter[str] = Counter()
    cut_level: int | None = None
    for level in range(1, depth + 1):
        at_level = sorted((r for r in rows if r["depth"] == level), key=lambda r: (index.get(r["parent_id"], 1 << 30), r["id"]))
        at_level = [r for r in at_level if r["parent_id"] in index]
        room = max(limit - len(kept), 0)
        for row in at_level[:room]:
            index[row["id"]] = len(kept)
            kept.append({"id": row["id"], "label": "PartyOrg", "name": row["name"], "level": row["level"],
                         "formation": row["formation"], "founded": row["founded"], "parent_id": row["parent_id"]})
        if len(at_level) > room:
            omitted["PartyOrg"] += len(at_level) - room
            cut_level = level
            break
    children = Counter(str(o.get("parent_id")) for o in kept)
    view = NetworkView(f"{root['name']} 组织架构({depth} 层)", kind="hierarchy", link_base=link_base, physics_limit=0)
    parents: dict[str, str | None] = {org_id: None}
    order = [org["id"] for org in kept]
    for org in kept:
        props = {k: v for k, v in org.items() if k != "parent_id" and v is not None}
        view.add_entity(props, size=ORG_SIZE.get(str(org.get("level")), 15),
                        extra=[f"下级组织:{children[org['id']]} 个"] if children[org["id"]] else [])
        if org["id"] != org_id:
            parents[org["id"]] = org["parent_id"]
            view.add_link(org["id"], org["parent_id"], "REPORTS_TO", color=TREE_EDGE, arrows=False, width=1.5)
    links = sorted(run_catalog(engine, "org_cross_links", {"ids": order}), key=lambda r: (index[r["source"]], r["target"], r["type"]))
    for row in links:
        target = row["node"]
        if not view.has(target["id"]):
            if view.node_count >= limit:
                omitted[target["label"]] += 1
                continue
            view.add_entity(target)
            parents[target["id"]] = row["source"]
            order.append(target["id"])
        color = COVERS_COLOR if row["type"] == "COVERS" else SERVES_COLOR
        view.add_link(row["source"], target["id"], row["type"], dashed=True, color=color, width=2)
    levels = Counter(str(o.get("level")) for o in kept)
    view.summarize(f"党组织 {len(kept):,} 个(" + "、".join(f"{lv} {n}" for lv, n in levels.most_common()) + ")")
    crossed = Counter(r["type"] for r in links)
    if crossed:
        view.summarize(f"跨层关系:覆盖楼宇/商圈 {crossed['COVERS']} 条,服务同乡村 {crossed['SERVES']} 条")
    if omitted:
        parts = [f"第 {cut_level} 层另有 {omitted['PartyOrg']:,} 个党组织未显示"] if cut_level else []
        ends = Counter({label: n for label, n in omitted.items() if label != "PartyOrg"})
        if ends:
            parts.append(f"跨层关系另有 {sum(ends.values()):,} 个节点未显示({breakdown(ends)})")
        view.notice(f"节点过多,已截断:最多显示 {limit:,} 个节点;{','.join(parts)}。可减少层数或提高节点上限(limit)。")
    view.legend_extra(LegendEntry("上级党组织(隶属)", TREE_EDGE, "line"), LegendEntry("覆盖楼宇/商圈", COVERS_COLOR, "dashed"),
                      LegendEntry("服务同乡村", SERVES_COLOR, "dashed"))
    view.place(tree_layout(parents, order))
    return view


# ------------------------------------------------------------------------------------------ path


def path_view(engine: GraphEngine, source: str, target: str, *, max_length: int = 6, link_base: str = "") -> NetworkView:
    """A shortest path between two entities, left to right, each step captioned with its relationship."""
    from queries.answers import shortest_path

    first = fetch_entity(engine, source)
    last = fetch_entity(engine, target)
    view = NetworkView(f"{caption(first)} → {caption(last)} 的最短路径", kind="path", link_base=link_base, physics_limit=0)
    if source == target:
        view.add_entity(first, emphasis=True)
        view.summarize("起点与终点相同。")
        view.place(line_layout([source]))
        return view
    found = shortest_path(engine, source, target, max_length)
    if found is None:
        view.add_entity(first, emphasis=True)
        view.add_entity(last, emphasis=True)
        view.notice(f"在 {max_length} 步以内没有找到两者之间的路径。")
        view.place(line_layout([source, target]))
        return view
    ids = [str(n["id"]) for n in found["nodes"]]
    for node in found["nodes"]:
        view.add_entity(node, emphasis=node["id"] in (source, target))
    for edge in found["edges"]:
        view.add_link(edge["source"], edge["target"], edge["type"], caption_text=rel_zh(edge["type"]), width=2, color="#6b7280")
    view.summarize(f"路径长度:{found['length']} 步;" + " → ".join(caption(n) for n in found["nodes"]))
    view.place(line_layout(ids))
    return view


# ------------------------------------------------------------------------------------------ coverage


def place_status(rows: Sequence[Mapping[str, Any]]) -> str:
    """``organizational``, ``work`` or ``none`` from a place's ``community_coverage`` rows."""
    modes = {r["mode"] for r in rows if r.get("org")}
    if "organizational" in modes:
        return "organizational"
    return "work" if modes else "none"


def coverage_view(engine: GraphEngine, community_id: str, *, as_of: dt.date | None = None, min_floors: int = 20,
                  limit: int = DEFAULT_NODE_LIMIT, link_base: str = "", physics_limit: int = PHYSICS_LIMIT) -> NetworkView:
    """A community's compounds and towers (``min_floors`` floors and up) colored by coverage at ``as_of``.

    Green: organizational coverage; yellow: work coverage only; red: none. The organizations that
    cover them are drawn with their links (solid: organizational, dashed: work), and the community's
    own party committee next to the community; so are the published facts that describe the community,
    colored by their status (see :func:`add_facts`). Uncovered places are kept first when the view is cut.
    """
    _check_limit(limit)
    community = fetch_entity(engine, community_id, "Community")
    as_of = as_of or dataset_as_of(engine)
    rows = run_catalog(engine, "community_coverage", {"community": community_id, "as_of": as_of, "min_floors": min_floors})
    places: dict[str, dict[str, Any]] = {}
    by_place: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        places[row["place"]["id"]] = row["place"]
        by_place.setdefault(row["place"]["id"], []).append(row)
    status = {pid: place_status(r) for pid, r in by_place.items()}
    rank = {"none": 0, "work": 1, "organizational": 2}
    view = NetworkView(f"{community['name']} 党的覆盖(截至 {as_of.isoformat()})", kind="coverage", link_base=link_base,
                       physics_limit=physics_limit)
    view.add_entity(community, emphasis=True)
    view.root = community_id
    around = run_catalog(engine, "neighbors_step", {"ids": [community_id]})
    committees = [r for r in around if r["type"] == "COVERS" and r["node"]["label"] == "PartyOrg"]
    for row in committees:
        view.add_entity(row["node"], size=ORG_SIZE.get(str(row["node"].get("level")), 15))
        view.add_link(row["node"]["id"], community_id, "COVERS", color="#dc2626")
    omitted: Counter[str] = Counter()
    facts = [r["node"] for r in around if r["type"] == "DESCRIBES" and r["node"]["label"] == "Fact"]
    facts_summary = add_facts(view, engine, community_id, facts, limit, omitted)
    for pid in sorted(places, key=lambda p: (rank[status[p]], places[p]["label"], p)):
        if view.node_count >= limit:
            omitted[places[pid]["label"]] += 1
            continue
        orgs = sorted({r["org"]["name"] for r in by_place[pid] if r.get("org")})
        view.add_entity(places[pid], color=COVERAGE_COLORS[status[pid]],
                        extra=[f"覆盖状况:{COVERAGE_ZH[status[pid]]}"] + ([f"覆盖组织:{'、'.join(orgs)}"] if orgs else []))
        view.add_link(pid, community_id, "LOCATED_IN", color="#d1d5db", arrows=False)
    for pid in places:
        for row in by_place[pid]:
            org = row.get("org")
            if not org or not view.has(pid):
                continue
            if not view.has(org["id"]):
                if view.node_count >= limit:
                    omitted[org["label"]] += 1
                    continue
                view.add_entity(org)
            organizational = row["mode"] == "organizational"
            view.add_link(org["id"], pid, "COVERS", dashed=not organizational,
                          color=COVERAGE_COLORS["organizational" if organizational else "work"], width=2)
    for label, zh in (("Compound", "居民小区"), ("Building", f"{min_floors} 层以上商务楼宇")):
        counts = Counter(status[p] for p in places if places[p]["label"] == label)
        view.summarize(f"{zh} {sum(counts.values())} 个:组织覆盖 {counts['organizational']},仅工作覆盖 {counts['work']},"
                       f"未覆盖 {counts['none']}")
    if facts_summary:
        view.summarize(facts_summary)
    if omitted:
        view.notice(f"节点过多,已截断:最多显示 {limit:,} 个节点,另有 {sum(omitted.values()):,} 个未显示({breakdown(omitted)});"
                    "未覆盖的地点优先显示。")
    view.legend_extra(*(LegendEntry(f"地点:{COVERAGE_ZH[k]}", c, "dot") for k, c in COVERAGE_COLORS.items()),
                      LegendEntry("组织覆盖关系", COVERAGE_COLORS["organizational"], "line"),
                      LegendEntry("工作覆盖关系", COVERAGE_COLORS["work"], "dashed"))
    if view.node_count > physics_limit:
        view.place(radial_layout([n["id"] for n in view.nodes], [(e["from"], e["to"]) for e in view.edges], community_id))
    return view


def add_facts(view: NetworkView, engine: GraphEngine, about_id: str, facts: Sequence[Mapping[str, Any]], limit: int,
              omitted: Counter[str]) -> str:
    """Draw the published facts that describe ``about_id``, colored by how they reconcile with the graph
    (green agrees, amber within tolerance, red disagrees), with legend entries; return the summary line
    (empty when no fact describes it)."""
    if not facts:
        return ""
    reconciled = {r["id"]: r for r in reconcile(engine)}  # every fact's query runs: only when some are drawn
    shown: Counter[str] = Counter()
    for fact in sorted(facts, key=lambda f: str(f["id"])):
        if view.node_count >= limit:
            omitted["Fact"] += 1
            continue
        row = reconciled.get(str(fact["id"]))
        status = row["status"] if row else "disagrees"
        shown[status] += 1
        computed = f"{fact_number(row['computed'])} {fact.get('unit') or ''}" if row else "—"
        # Drawn larger than in other views: here the facts are what the community is measured against.
        view.add_entity(fact, color=FACT_STATUS_COLORS[status], size=14,
                        extra=[f"图谱计算值:{computed}", f"核对:{FACT_STATUS_ZH[status]}"])
        view.add_link(str(fact["id"]), about_id, "DESCRIBES", dashed=True, color=FACT_STATUS_COLORS[status], width=1.5)
    view.legend_extra(*(LegendEntry(f"公开数据:{zh}", FACT_STATUS_COLORS[s], style_of("Fact").shape)
                        for s, zh in FACT_STATUS_ZH.items()))
    return f"公开数据 {sum(shown.values())} 条:" + ",".join(f"{zh} {shown[s]}" for s, zh in FACT_STATUS_ZH.items() if shown[s])


# ------------------------------------------------------------------------------------------ hometown group


def hometown_view(engine: GraphEngine, group_id: str, *, limit: int = DEFAULT_NODE_LIMIT, link_base: str = "",
                  physics_limit: int = PHYSICS_LIMIT) -> NetworkView:
    """A hometown group (同乡村): its members (shown only by id), the compounds they live in, the
    branches they belong to, the mobile branch serving the group and its community."""
    _check_limit(limit)
    group = fetch_entity(engine, group_id, "HometownGroup")
    around = run_catalog(engine, "neighbors_step", {"ids": [group_id]})
    members = {r["node"]["id"]: r["node"] for r in around if r["type"] == "BELONGS_TO"}
    rows = run_catalog(engine, "hometown_group_members", {"id": group_id})
    view = NetworkView(f"{group['name']}(来自{group.get('origin', '')})", kind="hometown", link_base=link_base,
                       physics_limit=physics_limit)
    view.add_entity(group, emphasis=True)
    view.root = group_id
    for row in sorted(around, key=lambda r: (r["type"], r["node"]["id"])):
        if row["type"] in ("SERVES", "LOCATED_IN"):
            view.add_entity(row["node"])
            view.add_link(row["source"], row["target"], row["type"], width=2.5 if row["type"] == "SERVES" else 1,
                          color=SERVES_COLOR if row["type"] == "SERVES" else None)
    omitted: Counter[str] = Counter()
    for member_id in sorted(members):
        if view.node_count >= limit:
            omitted["Member"] += 1
            continue
        view.add_entity(members[member_id])
        view.add_link(member_id, group_id, "BELONGS_TO", color="#fcd34d")
    compounds: set[str] = set()
    branches: set[str] = set()
    for row in rows:
        if not view.has(row["member_id"]):
            continue
        for key, label, rel_type, seen in (("compound", "Compound", "LIVES_IN", compounds), ("branch", "PartyOrg", "MEMBER_OF", branches)):
            target = row.get(f"{key}_id")
            if not target:
                continue
            if not view.has(target):
                if view.node_count >= limit:
                    omitted[label] += 1
                    continue
                view.add_entity({"id": target, "label": label, "name": row.get(f"{key}_name") or target})
            seen.add(target)
            view.add_link(row["member_id"], target, rel_type)
    mobile = sum(1 for m in members.values() if m.get("mobile"))
    serving = [r["node"]["name"] for r in around if r["type"] == "SERVES"]
    view.summarize(f"党员 {len(members)} 名(流动党员 {mobile} 名),居住在 {len(compounds)} 个小区,所属党组织 {len(branches)} 个;"
                   + (f"服务本同乡村:{'、'.join(serving)}" if serving else "尚无流动党支部服务本同乡村"))
    if omitted:
        view.notice(f"节点过多,已截断:最多显示 {limit:,} 个节点,另有 {sum(omitted.values()):,} 个未显示({breakdown(omitted)})。")
    view.legend_extra(LegendEntry("服务(流动党支部)", SERVES_COLOR, "line"))
    if view.node_count > physics_limit:
        view.place(radial_layout([n["id"] for n in view.nodes], [(e["from"], e["to"]) for e in view.edges], group_id))
    return view
