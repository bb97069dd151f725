"""Query plans: the Neo4j ``PROFILE`` of every catalog query, and a check that no query scans where an index should be used.

``python -m bench.plans [--scale 100] [--repeat 3] [--queries NAME,...]``

Every catalog query runs with each of its example parameter sets (``queries.examples``) on Neo4j holding
the reference dataset at ``--scale`` (default 100; the store ``data/bench/api-neo4j-s{scale}`` of
``bench.api`` is reused when it exists, else built the same way, by ``bench.api``'s own functions, and
kept). For each run: rows, total db hits, time (median of ``--repeat`` runs without ``PROFILE``, after one
warm-up), the operators that scan, the top operators by db hits, and a verdict. Prints a markdown table,
saves the raw figures and plan trees to ``data/bench/results/plans-*.json``, and exits with status 1
when any query violates the rule below (one message per violation).

The rule: when is a full scan wrong?
------------------------------------

A *scan* is an operator that reads every node of a label or every relationship of a type, or of the
whole graph: ``NodeByLabelScan`` (and the union/intersection/subtraction label scans),
``AllNodesScan``, ``Directed/UndirectedRelationshipTypeScan``, ``Directed/UndirectedAllRelationshipsScan``
(and their ``Partitioned`` variants). A scan is a **violation** -- an index should have been used -- when

1. it reads the whole graph (``AllNodesScan``, all-relationships scans): every label has a uniqueness
   constraint on ``id``, and no catalog query needs every node; or
2. the query is a **lookup**: its parameter model has a required entity-id parameter (``id``, ``ids``,
   ``source``, ``target``, ``pairs``, ``community``), so its answer is the neighborhood of given ids and
   must start from an index seek on them, never read a whole label; or
3. the scanned variable is filtered on a property that an index of the server can answer: a ``Filter``
   operator above the scan (on its way to the plan's root) has a top-level conjunct (not inside an
   ``OR``) ``v.p = …``, ``v.p IN …``, ``v.p < / <= / > / >= …``, ``v.p STARTS WITH …`` or
   ``v.p IS NOT NULL`` (or ``… = v.p`` etc.), and ``SHOW INDEXES`` on the server lists an online RANGE
   index (uniqueness constraints own one) whose first property is ``p`` on the scanned label or type;
   ``CONTAINS`` / ``ENDS WITH`` count only with a TEXT index. The indexes are read from the server, not
   from ``graph.schema``, so the check sees what the planner sees.

Any other scan is legitimate: aggregate queries (coverage summaries, counts per level or per year,
gap lists over a whole label) read their label once, and a filter on a property without an index
(dates, ``CONTAINS`` without a text index) cannot be answered by one. A scan that the rule flags but
that is the right plan is listed in ``ALLOW``, keyed by query and scanned label or type, with the reason.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

NODE_LABEL_SCANS = frozenset({"NodeByLabelScan", "UnionNodeByLabelsScan", "IntersectionNodeByLabelsScan",
                              "SubtractionNodeByLabelsScan"})
ALL_NODES_SCANS = frozenset({"AllNodesScan"})
REL_TYPE_SCANS = frozenset({"DirectedRelationshipTypeScan", "UndirectedRelationshipTypeScan",
                            "DirectedUnionRelationshipTypesScan", "UndirectedUnionRelationshipTypesScan"})
ALL_REL_SCANS = frozenset({"DirectedAllRelationshipsScan", "UndirectedAllRelationshipsScan"})
SCANS = NODE_LABEL_SCANS | ALL_NODES_SCANS | REL_TYPE_SCANS | ALL_REL_SCANS

LOOKUP_PARAMETERS = frozenset({"id", "ids", "source", "target", "pairs", "community"})
"""Entity-id parameters: a query whose parameter model requires one of them is a lookup."""

# What each kind of index answers (Neo4j 5): RANGE indexes equality, ranges, prefixes and existence; TEXT
# indexes string equality, prefixes, suffixes and substrings. POINT, FULLTEXT, VECTOR and LOOKUP (the
# label/type index behind the scans themselves) answer none of these predicates.
INDEX_ANSWERS: dict[str, frozenset[str]] = {
    "RANGE": frozenset({"equality", "range", "prefix", "exists"}),
    "TEXT": frozenset({"equality", "prefix", "suffix", "contains"}),
}

# Scans that rule 1, 2 or 3 flags but that are the right plan: (query, scanned label or type) -> why. Empty:
# at scales 1 and 100 no catalog plan needs an exception (the aggregate queries' scans do not break the rule;
# e.g. orgs_by_level reads every PartyOrg and filters only unindexed dates). An entry that no scan needs any
# more is reported as a note, so the list cannot silently go stale.
ALLOW: dict[tuple[str, str], str] = {}


# ------------------------------------------------------------------------------------------------ indexes


@dataclass(frozen=True)
class Index:
    """One index of the server, as ``SHOW INDEXES`` lists it."""

    name: str
    type: str  # RANGE, TEXT, POINT, LOOKUP, FULLTEXT, VECTOR
    entity: str  # NODE or RELATIONSHIP
    labels: tuple[str, ...]  # labels or relationship types
    properties: tuple[str, ...]
    constraint: str | None = None  # the uniqueness constraint that owns it


SHOW_INDEXES = ("SHOW INDEXES YIELD name, type, entityType, labelsOrTypes, properties, owningConstraint, state "
                "WHERE state = 'ONLINE' RETURN name, type, entityType, labelsOrTypes, properties, owningConstraint")


def server_indexes(rows: Iterable[Mapping[str, Any]]) -> list[Index]:
    """The indexes of ``SHOW_INDEXES`` rows."""
    return [Index(name=r["name"], type=r["type"], entity=r["entityType"], labels=tuple(r["labelsOrTypes"] or ()),
                  properties=tuple(r["properties"] or ()), constraint=r.get("owningConstraint")) for r in rows]


def answering_index(indexes: Iterable[Index], labels: Iterable[str], prop: str, kind: str) -> Index | None:
    """An index on one of ``labels`` (or types) whose first property is ``prop`` and that answers a ``kind`` predicate."""
    wanted = set(labels)
    for index in indexes:
        if (index.properties[:1] == (prop,) and wanted & set(index.labels)
                and kind in INDEX_ANSWERS.get(index.type, frozenset())):
            return index
    return None


# ------------------------------------------------------------------------------------------------ plan trees


def operator_name(op: Mapping[str, Any]) -> str:
    """``NodeByLabelScan`` of ``NodeByLabelScan@neo4j``."""
    return str(op.get("operatorType", "?")).split("@", 1)[0]


def details(op: Mapping[str, Any]) -> str:
    """The operator's ``Details`` (the server sends the arguments as ``args``; ``arguments`` accepted too)."""
    return str((op.get("args") or op.get("arguments") or {}).get("Details", ""))


def operators(plan: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every operator of a plan tree, depth first."""
    yield plan
    for child in plan.get("children") or ():
        yield from operators(child)


def total_db_hits(plan: Mapping[str, Any]) -> int:
    return sum(int(op.get("dbHits") or 0) for op in operators(plan))


def top_operators(plan: Mapping[str, Any], n: int = 3) -> list[dict[str, Any]]:
    """The ``n`` operators with the most db hits (those with none left out)."""
    ops = sorted((op for op in operators(plan) if op.get("dbHits")), key=lambda op: -int(op["dbHits"]))
    return [{"operator": operator_name(op), "details": details(op)[:120], "db_hits": int(op["dbHits"]), "rows": int(op.get("rows") or 0)}
            for op in ops[:n]]


def _plain(text: str) -> str:
    """Details text without ``cache[…]`` wrappers and backticks: ``cache[o.level]`` is ``o.level``."""
    return re.sub(r"cache\[([^\]]*)\]", r"\1", text).replace("`", "")


def conjuncts(predicate: str) -> list[str]:
    """The top-level ``AND`` parts of a predicate (not those inside parentheses, brackets or strings)."""
    parts, depth, start, i, quote = [], 0, 0, 0, ""
    while i < len(predicate):
        ch = predicate[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and predicate.startswith(" AND ", i):
            parts.append(predicate[start:i])
            start = i = i + 5
            continue
        i += 1
    parts.append(predicate[start:])
    return [_unwrap(p.strip()) for p in parts if p.strip()]


def _unwrap(text: str) -> str:
    """``(a AND b)`` -> ``a AND b`` when the outer parentheses enclose the whole text."""
    while text.startswith("(") and text.endswith(")"):
        depth = 0
        for i, ch in enumerate(text):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and i < len(text) - 1:
                return text
        text = text[1:-1].strip()
    return text


_OPS = r"(<>|=~|<=|>=|=|<|>|IN\b|STARTS WITH|ENDS WITH|CONTAINS|IS NOT NULL)"
_KINDS = {"=": "equality", "IN": "equality", "<": "range", "<=": "range", ">": "range", ">=": "range",
          "STARTS WITH": "prefix", "ENDS WITH": "suffix", "CONTAINS": "contains", "IS NOT NULL": "exists"}
_FLIPPED = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def property_predicates(conjunct: str, var: str) -> list[tuple[str, str]]:
    """(property, kind) of ``var`` that a conjunct tests in a form an index can answer; empty for ``OR``s and others.

    >>> property_predicates("o.level = $autostring_0", "o")
    [('level', 'equality')]
    >>> property_predicates("$min_floors <= x.floors", "x")
    [('floors', 'range')]
    >>> property_predicates("o.founded IS NULL OR o.founded <= $as_of", "o")
    []
    """
    if re.search(r"\bOR\b|\bXOR\b|^NOT\b", conjunct):
        return []
    v = re.escape(var)
    left = re.match(rf"^{v}\.(\w+)\s*{_OPS}\s*(.*)$", conjunct)
    if left:
        prop, op, rest = left.group(1), left.group(2), left.group(3)
        if op in _KINDS and not re.search(rf"\b{v}\.", rest):
            return [(prop, _KINDS[op])]
        return []
    right = re.match(rf"^(.*?)\s*(<=|>=|=|<|>)\s*{v}\.(\w+)$", conjunct)
    if right and not re.search(rf"\b{v}\.", right.group(1)) and not right.group(1).endswith(("<", ">", "!", "=")):
        return [(right.group(3), _KINDS[_FLIPPED[right.group(2)]])]
    return []


@dataclass
class Scan:
    """One scanning operator of a plan, and whether it breaks the rule."""

    operator: str
    variable: str
    labels: tuple[str, ...]  # labels or relationship types ('' for the whole graph)
    details: str
    db_hits: int
    rows: int
    violation: str = ""
    allowed: str = ""  # the ALLOW reason when the rule flags it but the scan is right

    @property
    def label(self) -> str:
        return "|".join(self.labels) or "*"

    def describe(self) -> str:
        what = f"{self.operator} {self.variable}:{self.label}" if self.labels else f"{self.operator} {self.variable}"
        return what


def _scanned(op: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    """(variable, labels or types) of a scanning operator."""
    name, text = operator_name(op), _plain(details(op))
    if name in NODE_LABEL_SCANS:
        m = re.match(r"\s*(\w+)\s*:\s*([\w|&:]+)", text)
        if m:
            return m.group(1), tuple(x for x in re.split(r"[|&:]", m.group(2)) if x)
    elif name in REL_TYPE_SCANS or name in ALL_REL_SCANS:
        m = re.search(r"-\[\s*(\w*)\s*(?::\s*([\w|]+))?\s*\]-", text)
        if m:
            return m.group(1), tuple(x for x in (m.group(2) or "").split("|") if x)
    elif name in ALL_NODES_SCANS:
        m = re.match(r"\s*(\w+)", text)
        if m:
            return m.group(1), ()
    ids = op.get("identifiers") or []
    return (str(ids[0]) if ids else "?"), ()


def find_scans(plan: Mapping[str, Any], indexes: Iterable[Index], *, query: str = "", lookup: bool = False,
               allow: Mapping[tuple[str, str], str] = ALLOW) -> list[Scan]:
    """Every scan of ``plan``, each with its violation of the rule (module docstring), if any."""
    indexes = list(indexes)
    found: list[Scan] = []

    def visit(op: Mapping[str, Any], filters: tuple[str, ...]) -> None:
        name = operator_name(op)
        if name == "Filter":
            filters = (*filters, *conjuncts(_plain(details(op))))
        if name in SCANS:
            var, labels = _scanned(op)
            scan = Scan(operator=name, variable=var, labels=labels, details=details(op), db_hits=int(op.get("dbHits") or 0),
                        rows=int(op.get("rows") or 0))
            scan.violation = _violation(scan, filters, indexes, lookup=lookup)
            reason = allow.get((query, scan.label))
            if scan.violation and reason:
                scan.allowed, scan.violation = reason, ""
            found.append(scan)
        for child in op.get("children") or ():
            visit(child, filters)

    visit(plan, ())
    return found


def _violation(scan: Scan, filters: Iterable[str], indexes: list[Index], *, lookup: bool) -> str:
    """Why ``scan`` breaks the rule, or ''."""
    if scan.operator in ALL_NODES_SCANS or scan.operator in ALL_REL_SCANS:
        return f"{scan.describe()} reads the whole graph"
    if lookup:
        return f"{scan.describe()} in a lookup: a query that starts from given ids must start from an index seek"
    labels = list(scan.labels)
    for conjunct in filters:
        # A label test on the variable narrows what an all-nodes scan reads; for label scans it adds labels.
        labels += re.findall(rf"^{re.escape(scan.variable)}:(\w+)$", conjunct)
    for conjunct in filters:
        for prop, kind in property_predicates(conjunct, scan.variable):
            index = answering_index(indexes, labels, prop, kind)
            if index is not None:
                return (f"{scan.describe()} then filters {scan.variable}.{prop} ({kind}), which the {index.type} index "
                        f"{index.name} on :{'|'.join(index.labels)}({', '.join(index.properties)}) answers")
    return ""


# ------------------------------------------------------------------------------------------------ running


def is_lookup(name: str) -> bool:
    """True when the query's parameter model requires an entity-id parameter (rule 2)."""
    from queries.specs import SPECS

    fields = SPECS[name].params.model_fields
    return any((f.alias or k) in LOOKUP_PARAMETERS and f.is_required() for k, f in fields.items())


def example_ids(examples: Mapping[str, list[dict[str, Any]]]) -> set[str]:
    """Every entity id named by the example parameters (ids, pairs, communities, subdistricts)."""
    from graph.model import label_for_id

    found: set[str] = set()

    def collect(key: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                collect(k, v)
        elif isinstance(value, list):
            for v in value:
                collect(key, v)
        elif (key in LOOKUP_PARAMETERS | {"subdistrict"} and isinstance(value, str) and value
              and label_for_id(value) is not None):  # not a word such as the roll-up's target=building
            found.add(value)

    for cases in examples.values():
        for raw in cases:
            collect("", raw)
    return found


def missing_ids(engine: Any, examples: Mapping[str, list[dict[str, Any]]]) -> list[str]:
    """The example ids that the database does not hold, apart from those meant to find nothing."""
    from queries.examples import ABSENT_IDS

    wanted = sorted(example_ids(examples) - ABSENT_IDS)
    present = {r["id"] for r in engine.read("MATCH (n:Entity) WHERE n.id IN $ids RETURN n.id AS id", {"ids": wanted})}
    return [i for i in wanted if i not in present]


@dataclass
class CaseResult:
    """One query with one parameter set: figures, scans and verdict."""

    query: str
    params: dict[str, Any]
    lookup: bool
    rows: int = 0
    db_hits: int = 0
    ms: float | None = None
    profile_ms: float | None = None
    scans: list[Scan] = field(default_factory=list)
    top: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""
    skipped: str = ""  # why the case did not run (not a failure)
    plan: dict[str, Any] | None = None

    @property
    def violations(self) -> list[str]:
        found = [s.violation for s in self.scans if s.violation]
        return [self.error, *found] if self.error else found

    @property
    def verdict(self) -> str:
        if self.error:
            return "error"
        if self.skipped:
            return "not run"
        if self.violations:
            return "VIOLATION"
        return "ok (allow-listed)" if any(s.allowed for s in self.scans) else "ok"


def run_text(driver: Any, database: str, text: str, values: Mapping[str, Any], *, timeout_s: float = 600.0) -> tuple[int, Any]:
    """Run ``text`` in a read transaction and return (rows, the driver's ``ResultSummary``); notifications off."""
    import neo4j

    def work(tx: neo4j.ManagedTransaction) -> tuple[int, Any]:
        res = tx.run(text, dict(values))
        count = sum(1 for _ in res)
        return count, res.consume()

    with driver.session(database=database, default_access_mode=neo4j.READ_ACCESS,
                        notifications_min_severity=neo4j.NotificationMinimumSeverity.OFF) as session:
        return session.execute_read(neo4j.unit_of_work(timeout=timeout_s)(work))


def profile_case(driver: Any, database: str, engine: Any, name: str, raw: Mapping[str, Any], indexes: Iterable[Index], *,
                 repeat: int = 0, timeout_s: float = 600.0, allow: Mapping[tuple[str, str], str] = ALLOW) -> CaseResult:
    """PROFILE catalog query ``name`` with example parameters ``raw`` on Neo4j and check its plan.

    ``engine`` (a ``Neo4jEngine``) validates the parameters and fills defaults as the API does; ``driver``
    runs the text in read transactions; ``indexes`` are the server's (:func:`read_indexes`). With ``repeat`` > 0
    the plain query runs once to warm up and then ``repeat`` times: ``ms`` is their median.
    """
    import neo4j

    from graph.cypher import check_parameters
    from graph.values import to_parameter
    from queries.catalog import endpoint_labels, get_query, prepare_params, resolve_label

    result = CaseResult(query=name, params=dict(raw), lookup=is_lookup(name))
    query = get_query(name)
    params = prepare_params(engine, name, raw)
    label = None
    if query.labeled:
        resolved = resolve_label(params)
        if resolved is None:
            result.skipped = "no id of a known form: the catalog answers nothing without asking the engine"
            return result
        label, params = resolved
    ends = endpoint_labels(query, params) if query.endpoint_params else None
    if query.endpoint_params and ends is None:
        result.skipped = "no id of a known form: the catalog answers nothing without asking the engine"
        return result
    text = query.text_for("neo4j", label, endpoint_labels=ends)
    values = {k: to_parameter(v) for k, v in check_parameters(text, params).items()}
    try:
        started = time.perf_counter()
        rows, summary = run_text(driver, database, "PROFILE " + text, values, timeout_s=timeout_s)
        result.profile_ms = round((time.perf_counter() - started) * 1000, 1)
        if repeat > 0:
            run_text(driver, database, text, values, timeout_s=timeout_s)
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                run_text(driver, database, text, values, timeout_s=timeout_s)
                times.append((time.perf_counter() - started) * 1000)
            result.ms = round(statistics.median(times), 1)
    except neo4j.exceptions.Neo4jError as exc:
        result.error = f"{exc.code}: {exc.message}"
        return result
    plan = summary.profile or {}
    result.rows, result.plan = rows, plan
    result.db_hits = total_db_hits(plan)
    result.top = top_operators(plan)
    result.scans = find_scans(plan, indexes, query=name, lookup=result.lookup, allow=allow)
    return result


def read_indexes(driver: Any, database: str) -> list[Index]:
    """The server's online indexes (``SHOW INDEXES``)."""
    records, _, _ = driver.execute_query(SHOW_INDEXES, database_=database)
    return server_indexes(r.data() for r in records)


def check_catalog(driver: Any, database: str, engine: Any, examples: Mapping[str, list[dict[str, Any]]], *, repeat: int = 0,
                  only: Iterable[str] = (), log: Callable[[str], None] | None = None,
                  allow: Mapping[tuple[str, str], str] = ALLOW) -> list[CaseResult]:
    """Profile and check every example of every query (or of those named in ``only``)."""
    indexes = read_indexes(driver, database)
    wanted = set(only)
    results = []
    for name in sorted(examples):
        if wanted and name not in wanted:
            continue
        for raw in examples[name]:
            r = profile_case(driver, database, engine, name, raw, indexes, repeat=repeat, allow=allow)
            results.append(r)
            if log:
                top = ", ".join(f"{t['operator']} {t['db_hits']:,}" for t in r.top)
                log(f"  {name:<38} {_params_text(raw):<48} {r.rows:>7,} rows {r.db_hits:>12,} db hits "
                    f"{r.ms if r.ms is not None else r.profile_ms} ms  {r.verdict}  [{top}]")
    return results


def stale_allow_entries(results: Iterable[CaseResult], allow: Mapping[tuple[str, str], str] = ALLOW) -> list[tuple[str, str]]:
    """ALLOW entries that no scan of ``results`` needed (the plan changed: drop them)."""
    results = list(results)
    used = {(r.query, s.label) for r in results for s in r.scans if s.allowed}
    checked = {r.query for r in results}
    return [key for key in allow if key[0] in checked and key not in used]


# ------------------------------------------------------------------------------------------------ report


def _params_text(raw: Mapping[str, Any]) -> str:
    return json.dumps(raw, ensure_ascii=False, separators=(", ", ": ")) if raw else "(defaults)"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def table(results: Iterable[CaseResult]) -> str:
    from bench.common import md_table

    rows = []
    for r in results:
        scans = "; ".join(dict.fromkeys(s.describe() for s in r.scans)) or "–"
        rows.append([r.query, _cell(_params_text(r.params)), r.rows, r.db_hits, r.ms if r.ms is not None else r.profile_ms,
                     _cell(scans), r.verdict])
    return md_table(["query", "params", "rows", "db hits", "ms", "scans", "verdict"], rows)


def top_table(results: Iterable[CaseResult], n: int = 10) -> str:
    from bench.common import md_table

    costly = sorted(results, key=lambda r: -r.db_hits)[:n]
    rows = [[r.query, _cell(_params_text(r.params)), r.db_hits,
             _cell("; ".join(f"{t['operator']} {t['db_hits']:,}" for t in r.top))] for r in costly]
    return md_table(["query", "params", "db hits", "top operators by db hits"], rows)


def messages(results: Iterable[CaseResult]) -> list[str]:
    """One line per violation: query, parameters and what is wrong."""
    return [f"{r.query} {_params_text(r.params)}: {v}" for r in results for v in r.violations]


def as_json(r: CaseResult) -> dict[str, Any]:
    return {"query": r.query, "params": r.params, "lookup": r.lookup, "rows": r.rows, "db_hits": r.db_hits, "ms": r.ms,
            "profile_ms": r.profile_ms, "verdict": r.verdict, "violations": r.violations, "scans": [asdict(s) for s in r.scans],
            "top_operators": r.top, "error": r.error, "skipped": r.skipped, "plan": r.plan}


# ------------------------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.plans", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs without PROFILE per case (0: report the PROFILE run's time)")
    parser.add_argument("--queries", default="", help="only these queries (comma-separated)")
    parser.add_argument("--neo4j-heap", default="2g")
    parser.add_argument("--neo4j-pagecache", default="2g")
    args = parser.parse_args(argv)

    import neo4j

    from bench.api import _database, _open
    from bench.common import describe_machine, loadavg, machine, parse_list, save_results
    from queries.examples import EXAMPLES

    info = machine()

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    store = argparse.Namespace(keep_data=True, neo4j_heap=args.neo4j_heap, neo4j_pagecache=args.neo4j_pagecache)
    with _database("neo4j", args.scale, store) as where:
        engine = _open("neo4j", where, timeout_s=3600)  # also creates indexes added since the store was loaded
        driver = neo4j.GraphDatabase.driver(where["uri"])
        try:
            missing = missing_ids(engine, EXAMPLES)
            if missing:
                log(f"example ids missing at scale {args.scale}: {missing}")
            indexes = read_indexes(driver, engine.database)
            log(f"scale {args.scale}: {len(indexes)} online indexes; profiling the catalog ...")
            results = check_catalog(driver, engine.database, engine, EXAMPLES, repeat=args.repeat, only=parse_list(args.queries),
                                    log=log)
        finally:
            driver.close()
            engine.close()
    stale = stale_allow_entries(results)
    end = loadavg()
    path = save_results("plans", {"machine": info, "args": vars(args), "scale": args.scale, "loadavg_end": end,
                                  "indexes": [asdict(i) for i in indexes], "missing_example_ids": missing,
                                  "stale_allow_entries": [list(k) for k in stale], "cases": [as_json(r) for r in results]})
    print(f"\nMachine: {describe_machine(info)}")
    print(f"Command: python -m bench.plans --scale {args.scale} --repeat {args.repeat} (load average at the start "
          f"{info['loadavg_start'][0]:.1f}, at the end {end[0]:.1f} on {info['cores']} cores)\n")
    print(table(results))
    print("\nTop operators by db hits (the 10 costliest cases):\n")
    print(top_table(results))
    print(f"\nraw figures and plans: {path}")
    for key in stale:
        log(f"note: ALLOW entry {key} matched no scan: the plan no longer needs it")
    problems = messages(results)
    problems += [f"example id {i!r} does not exist at scale {args.scale}" for i in missing]
    if problems:
        print(f"\n{len(problems)} problem(s):", file=sys.stderr)
        for line in problems:
            print(f"  {line}", file=sys.stderr)
        return 1
    print("\nno query scans where an index should be used")
    return 0


if __name__ == "__main__":
    sys.exit(main())
